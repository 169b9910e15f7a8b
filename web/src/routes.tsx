import {
  AuditOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  MonitorOutlined,
  ProjectOutlined,
} from '@ant-design/icons';
import { lazy } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { AppLayout } from './components/AppLayout';
import { RequirePermission } from './components/RequirePermission';
import LoginPage from './pages/auth/LoginPage';
import NotFoundPage from './pages/NotFoundPage';

// Every page but the login loads on demand, so the first page stays small; the labeling
// pages alone pull in the Label Studio editor.
const DashboardPage = lazy(() => import('./pages/dashboard/DashboardPage'));
const ProjectsPage = lazy(() => import('./pages/projects/ProjectsPage'));
const ProjectCreatePage = lazy(() => import('./pages/projects/ProjectCreatePage'));
const ProjectSettingsPage = lazy(() => import('./pages/projects/ProjectSettingsPage'));
const DataManagerPage = lazy(() => import('./pages/data/DataManagerPage'));
const LabelingPage = lazy(() => import('./pages/labeling/LabelingPage'));
const ReviewPage = lazy(() => import('./pages/review/ReviewPage'));
const AdminPage = lazy(() => import('./pages/admin/AdminPage'));
const ProfilePage = lazy(() => import('./pages/profile/ProfilePage'));
const SystemPage = lazy(() => import('./pages/system/SystemPage'));

/** Side-menu entries: path, icon, label key (namespace common) and the permission that shows them. */
export const menu: { path: string; icon: React.ReactNode; labelKey: string; permission?: string }[] = [
  { path: '/', icon: <DashboardOutlined />, labelKey: 'menu.dashboard' },
  { path: '/projects', icon: <ProjectOutlined />, labelKey: 'menu.projects', permission: 'projects:read' },
  { path: '/admin', icon: <AuditOutlined />, labelKey: 'menu.admin', permission: 'users:read' },
  { path: '/system', icon: <MonitorOutlined />, labelKey: 'menu.system', permission: 'jobs:read' },
];
export const dataIcon = <DatabaseOutlined />;

function guarded(permission: string, page: React.ReactNode) {
  return <RequirePermission permission={permission}>{page}</RequirePermission>;
}

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginPage /> },
  {
    element: <AppLayout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'projects', element: guarded('projects:read', <ProjectsPage />) },
      { path: 'projects/new', element: guarded('projects:create', <ProjectCreatePage />) },
      { path: 'projects/:id', element: <Navigate to="data" replace /> },
      { path: 'projects/:id/data', element: guarded('projects:read', <DataManagerPage />) },
      { path: 'projects/:id/settings', element: guarded('projects:update', <ProjectSettingsPage />) },
      { path: 'projects/:id/label', element: guarded('annotations:write', <LabelingPage />) },
      { path: 'projects/:id/review', element: guarded('reviews:write', <ReviewPage />) },
      { path: 'admin/*', element: guarded('users:read', <AdminPage />) },
      { path: 'profile', element: <ProfilePage /> },
      { path: 'system', element: guarded('jobs:read', <SystemPage />) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
