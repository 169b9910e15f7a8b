import { Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { can, useMe } from '../lib/session';
import { RequirePermission } from './RequirePermission';

export interface SectionTab {
  key: string;
  permission: string;
  element: React.ReactNode;
  /** The tab is a section of its own tabs (sub-routes under it). */
  nested?: boolean;
}

/**
 * A page of tabs, each its own sub-route under `base` (/admin/users, /billing/bills…), shown
 * only to holders of its permission; tab labels are `tabs.<key>` of namespace `ns`.
 * `children` adds the section's other routes (detail pages).
 */
export function TabbedSection({
  title,
  ns,
  base,
  tabs,
  fallback,
  children,
  level = 2,
}: {
  /** None for a section nested in another's tab. */
  title?: string;
  ns: string;
  base: string;
  tabs: readonly SectionTab[];
  fallback: string;
  children?: React.ReactNode;
  /** The path segment that names the tab: 2 for /admin/users, 3 for /admin/ai/models. */
  level?: number;
}) {
  const { t } = useTranslation(ns);
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const visible = tabs.filter((tab) => can(me.data, tab.permission));
  const active = location.pathname.split('/')[level] ?? visible[0]?.key;
  return (
    <>
      {title && <Typography.Title level={2}>{title}</Typography.Title>}
      <Tabs
        activeKey={active}
        onChange={(key) => navigate(`${base}/${key}`)}
        items={visible.map((tab) => ({ key: tab.key, label: t(`tabs.${tab.key}`) }))}
      />
      <Routes>
        <Route index element={<Navigate to={visible[0]?.key ?? fallback} replace />} />
        {tabs.map((tab) => (
          <Route
            key={tab.key}
            path={tab.nested ? `${tab.key}/*` : tab.key}
            element={<RequirePermission permission={tab.permission}>{tab.element}</RequirePermission>}
          />
        ))}
        {children}
      </Routes>
    </>
  );
}
