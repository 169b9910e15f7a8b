import {
  AccountBookOutlined,
  AuditOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  MonitorOutlined,
  ProjectOutlined,
  SafetyCertificateOutlined,
} from '@ant-design/icons';
import { lazy } from 'react';
import { type LoaderFunctionArgs, Navigate, type RouteObject } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { RequirePermission } from './components/RequirePermission';
import { projectQuery } from './lib/project';
import { queryClient } from './lib/queryClient';
import { meQuery, sessionHint } from './lib/session';
import LoginPage from './pages/auth/LoginPage';
import { tasksQuery } from './pages/data/queries';
import NotFoundPage from './pages/NotFoundPage';

// Every page but the login loads on demand, so the first page stays small; the labeling
// pages alone pull in the Label Studio editor.
const loadDataManager = () => import('./pages/data/DataManagerPage');
const DashboardPage = lazy(() => import('./pages/dashboard/DashboardPage'));
const ProjectsPage = lazy(() => import('./pages/projects/ProjectsPage'));
const ProjectCreatePage = lazy(() => import('./pages/projects/ProjectCreatePage'));
const ProjectSettingsPage = lazy(() => import('./pages/projects/ProjectSettingsPage'));
const DataManagerPage = lazy(loadDataManager);
const LabelingPage = lazy(() => import('./pages/labeling/LabelingPage'));
const ReviewPage = lazy(() => import('./pages/review/ReviewPage'));
const AdminPage = lazy(() => import('./pages/admin/AdminPage'));
const ProfilePage = lazy(() => import('./pages/profile/ProfilePage'));
const SystemPage = lazy(() => import('./pages/system/SystemPage'));
const BillingPage = lazy(() => import('./pages/billing/BillingPage'));
const BILLING = ['billing:read', 'billing:read_own'];
const QualityHomePage = lazy(() => import('./pages/quality/QualityHomePage'));
const QualityPage = lazy(() => import('./pages/quality/QualityPage'));
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
  { path: '/billing', icon: <AccountBookOutlined />, labelKey: 'menu.billing', permission: BILLING },
  { path: '/admin', icon: <AuditOutlined />, labelKey: 'menu.admin', permission: 'users:read' },
  { path: '/system', icon: <MonitorOutlined />, labelKey: 'menu.system', permission: 'jobs:read' },
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

function prefetchDataManager(args: LoaderFunctionArgs) {
  void loadDataManager();
  if (sessionHint.present())
    void queryClient.prefetchInfiniteQuery(tasksQuery(Number(args.params.id), {}, 'id'));
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
  { path: '/login', element: <LoginPage /> },
  {
    element: <AppLayout />,
    loader: prefetchSession,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'projects', element: guarded('projects:read', <ProjectsPage />) },
      { path: 'projects/new', element: guarded('projects:create', <ProjectCreatePage />) },
      { path: 'projects/:id', element: <Navigate to="data" replace /> },
      {
        path: 'projects/:id/data',
        loader: prefetchDataManager,
        element: guarded('projects:read', <DataManagerPage />),
      },
      {
        path: 'projects/:id/settings',
        loader: prefetchProject,
        element: guarded('projects:update', <ProjectSettingsPage />),
      },
      {
        path: 'projects/:id/label',
        loader: prefetchProject,
        element: guarded('annotations:write', <LabelingPage />),
      },
      {
        path: 'projects/:id/review',
        loader: prefetchProject,
        element: guarded('reviews:write', <ReviewPage />),
      },
      {
        path: 'projects/:id/quality/*',
        loader: prefetchProject,
        element: guarded('quality:read', <QualityPage />),
      },
      { path: 'quality', element: guarded(QUALITY, <QualityHomePage />) },
      { path: 'admin/*', element: guarded('users:read', <AdminPage />) },
      { path: 'billing/*', element: guarded(BILLING, <BillingPage />) },
      { path: 'profile', element: <ProfilePage /> },
      { path: 'system', element: guarded('jobs:read', <SystemPage />) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
