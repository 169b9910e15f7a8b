import {
  AccountBookOutlined,
  AuditOutlined,
  ConsoleSqlOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  MonitorOutlined,
  ProjectOutlined,
  SafetyCertificateOutlined,
} from '@ant-design/icons';
import { type LoaderFunctionArgs, Navigate, type RouteObject } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { RequirePermission } from './components/RequirePermission';
import { projectQuery } from './lib/project';
import { queryClient } from './lib/queryClient';
import { meQuery, sessionHint } from './lib/session';
import { viewFromParams } from './pages/data/filters';
import { tasksQuery } from './pages/data/queries';

// Every page loads on demand, so each first page carries only its own code (the sign-in
// form's validation, say, stays out of the dashboard's); the labeling pages alone pull in
// the Label Studio editor. Pages are route-level `lazy`: the router loads a page's code
// beside its loaders and renders once, instead of a Suspense fallback first (React holds a
// fallback at least 300 ms before revealing the page).
type PageModule = { default: React.ComponentType };

function page(load: () => Promise<PageModule>, permission?: string | string[]) {
  return async () => {
    const { default: Page } = await load();
    return { element: permission ? guarded(permission, <Page />) : <Page /> };
  };
}

const BILLING = ['billing:read', 'billing:read_own'];
// Annotators (quality:improve) see their improvement tasks and notifications there too.
const QUALITY = ['quality:read', 'quality:improve'];

/** Side-menu entries: path, icon, label key (namespace common unless prefixed) and the permission that shows them. */
export const menu: {
  path: string;
  icon: React.ReactNode;
  labelKey: string;
  permission?: string | string[];
}[] = [
  { path: '/', icon: <DashboardOutlined />, labelKey: 'menu.dashboard' },
  { path: '/projects', icon: <ProjectOutlined />, labelKey: 'menu.projects', permission: 'projects:read' },
  { path: '/quality', icon: <SafetyCertificateOutlined />, labelKey: 'quality:menu', permission: QUALITY },
  { path: '/ask', icon: <ConsoleSqlOutlined />, labelKey: 'ask:menu', permission: 'sql:ask' },
  { path: '/billing', icon: <AccountBookOutlined />, labelKey: 'menu.billing', permission: BILLING },
  { path: '/admin', icon: <AuditOutlined />, labelKey: 'menu.admin', permission: 'users:read' },
  { path: '/system', icon: <MonitorOutlined />, labelKey: 'menu.system', permission: 'jobs:read_all' },
];
export const dataIcon = <DatabaseOutlined />;

/**
 * Route loaders start a page's code and data as navigation starts, beside the session check,
 * instead of one after the other; they return at once and never block the render.
 */
function prefetchProject({ params }: LoaderFunctionArgs) {
  if (sessionHint.present()) void queryClient.prefetchQuery(projectQuery(Number(params.id)));
  return null;
}

// The server announces this first page's URL as a preload (firstReads in
// src/platform/http/console.ts); a change here must change it there.
function prefetchDataManager(args: LoaderFunctionArgs) {
  if (sessionHint.present()) {
    // The page's view is in its URL (a reload or a shared link): the first page fetched is that one.
    const { filter, sort } = viewFromParams(new URL(args.request.url).searchParams);
    void queryClient.prefetchInfiniteQuery(tasksQuery(Number(args.params.id), filter, sort));
  }
  return prefetchProject(args);
}

function prefetchSession() {
  if (sessionHint.present()) void queryClient.prefetchQuery(meQuery);
  return null;
}

function guarded(permission: string | string[], page: React.ReactNode) {
  return <RequirePermission permission={permission}>{page}</RequirePermission>;
}

export const routes: RouteObject[] = [
  { path: '/login', lazy: page(() => import('./pages/auth/LoginPage')) },
  { path: '/invite', lazy: page(() => import('./pages/auth/InvitePage')) },
  { path: '/forgot-password', lazy: page(() => import('./pages/auth/ForgotPasswordPage')) },
  { path: '/reset-password', lazy: page(() => import('./pages/auth/ResetPasswordPage')) },
  {
    element: <AppLayout />,
    loader: prefetchSession,
    children: [
      { index: true, lazy: page(() => import('./pages/dashboard/DashboardPage')) },
      { path: 'projects', lazy: page(() => import('./pages/projects/ProjectsPage'), 'projects:read') },
      {
        path: 'projects/new',
        lazy: page(() => import('./pages/projects/ProjectCreatePage'), 'projects:create'),
      },
      { path: 'projects/:id', element: <Navigate to="data" replace /> },
      {
        path: 'projects/:id/data',
        loader: prefetchDataManager,
        lazy: page(() => import('./pages/data/DataManagerPage'), 'projects:read'),
      },
      {
        path: 'projects/:id/settings',
        loader: prefetchProject,
        lazy: page(() => import('./pages/projects/ProjectSettingsPage'), 'projects:update'),
      },
      {
        path: 'projects/:id/label',
        loader: prefetchProject,
        lazy: page(() => import('./pages/labeling/LabelingPage'), 'annotations:write'),
      },
      {
        path: 'projects/:id/review',
        loader: prefetchProject,
        lazy: page(() => import('./pages/review/ReviewPage'), 'reviews:write'),
      },
      {
        path: 'projects/:id/quality/*',
        loader: prefetchProject,
        lazy: page(() => import('./pages/quality/QualityPage'), 'quality:read'),
      },
      { path: 'quality', lazy: page(() => import('./pages/quality/QualityHomePage'), QUALITY) },
      { path: 'admin/*', lazy: page(() => import('./pages/admin/AdminPage'), 'users:read') },
      { path: 'ask', lazy: page(() => import('./pages/ask/AskPage'), 'sql:ask') },
      { path: 'billing/*', lazy: page(() => import('./pages/billing/BillingPage'), BILLING) },
      { path: 'profile', lazy: page(() => import('./pages/profile/ProfilePage')) },
      { path: 'system', lazy: page(() => import('./pages/system/SystemPage'), 'jobs:read_all') },
      { path: '*', lazy: page(() => import('./pages/NotFoundPage')) },
    ],
  },
];
