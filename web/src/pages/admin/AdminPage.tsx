import { Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { RequirePermission } from '../../components/RequirePermission';
import { can, useMe } from '../../lib/session';
import { AuditTab } from './AuditTab';
import { RolesTab } from './RolesTab';
import { SecurityTab } from './SecurityTab';
import { TokensTab } from './TokensTab';
import { UsersTab } from './UsersTab';

const TABS = [
  { key: 'users', permission: 'users:read', element: <UsersTab /> },
  { key: 'roles', permission: 'roles:read', element: <RolesTab /> },
  { key: 'tokens', permission: 'tokens:manage', element: <TokensTab /> },
  { key: 'security', permission: 'security:read', element: <SecurityTab /> },
  { key: 'audit', permission: 'audit:read', element: <AuditTab /> },
] as const;

/** Administration: one tab per area, each its own sub-route (/admin/users, /admin/audit…). */
export default function AdminPage() {
  const { t } = useTranslation('admin');
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
        onChange={(key) => navigate(`/admin/${key}`)}
        items={tabs.map((tab) => ({ key: tab.key, label: t(`tabs.${tab.key}`) }))}
      />
      <Routes>
        <Route index element={<Navigate to={tabs[0]?.key ?? 'users'} replace />} />
        {TABS.map((tab) => (
          <Route
            key={tab.key}
            path={tab.key}
            element={<RequirePermission permission={tab.permission}>{tab.element}</RequirePermission>}
          />
        ))}
      </Routes>
    </>
  );
}
