import { useTranslation } from 'react-i18next';
import { TabbedSection } from '../../components/TabbedSection';
import { AuditTab } from './AuditTab';
import { AiSection } from './ai/AiSection';
import { LicenseTab } from './LicenseTab';
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
  { key: 'license', permission: 'license:read', element: <LicenseTab /> },
  { key: 'ai', permission: 'llm:read', element: <AiSection />, nested: true },
] as const;

/** Administration: one tab per area, each its own sub-route (/admin/users, /admin/audit…). */
export default function AdminPage() {
  const { t } = useTranslation('admin');
  return <TabbedSection title={t('title')} ns="admin" base="/admin" tabs={TABS} fallback="users" />;
}
