import { Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { RequirePermission } from '../../components/RequirePermission';
import { can, useMe } from '../../lib/session';
import { BillDetail } from './BillDetail';
import { BillsTab } from './BillsTab';
import { RulesTab } from './RulesTab';
import { StatementDetail, StatementsTab } from './StatementsTab';
import { TrendsTab } from './TrendsTab';

const TABS = [
  { key: 'bills', permission: 'billing:read', element: <BillsTab /> },
  { key: 'statements', permission: 'billing:read_own', element: <StatementsTab /> },
  { key: 'rules', permission: 'billing:read', element: <RulesTab /> },
  { key: 'trends', permission: 'billing:read', element: <TrendsTab /> },
] as const;

/** Billing: bills, statements, rules and trends, each its own sub-route (/billing/bills…). */
export default function BillingPage() {
  const { t } = useTranslation('billing');
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const tabs = TABS.filter((tab) => can(me.data, tab.permission));
  const active = location.pathname.split('/')[2] ?? tabs[0]?.key;
  return (
    <>
      <Typography.Title level={2}>{t('title')}</Typography.Title>
      <Tabs
        activeKey={active}
        onChange={(key) => navigate(`/billing/${key}`)}
        items={tabs.map((tab) => ({ key: tab.key, label: t(`tabs.${tab.key}`) }))}
      />
      <Routes>
        <Route index element={<Navigate to={tabs[0]?.key ?? 'statements'} replace />} />
        {TABS.map((tab) => (
          <Route
            key={tab.key}
            path={tab.key}
            element={<RequirePermission permission={tab.permission}>{tab.element}</RequirePermission>}
          />
        ))}
        <Route
          path="bills/:id"
          element={
            <RequirePermission permission="billing:read">
              <BillDetail />
            </RequirePermission>
          }
        />
        <Route
          path="statements/:id"
          element={
            <RequirePermission permission="billing:read_own">
              <StatementDetail />
            </RequirePermission>
          }
        />
      </Routes>
    </>
  );
}
