import { useTranslation } from 'react-i18next';
import { Route } from 'react-router';
import { RequirePermission } from '../../components/RequirePermission';
import { TabbedSection } from '../../components/TabbedSection';
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
  return (
    <TabbedSection title={t('title')} ns="billing" base="/billing" tabs={TABS} fallback="statements">
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
    </TabbedSection>
  );
}
