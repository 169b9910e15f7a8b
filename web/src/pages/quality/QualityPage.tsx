import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { RequirePermission } from '../../components/RequirePermission';
import { can, useMe } from '../../lib/session';
import { ProjectPage } from '../projects/ProjectPage';
import { AlertsTab } from './AlertsTab';
import { ImprovementBoard } from './ImprovementBoard';
import { IssuesBoard } from './IssuesBoard';
import { OverviewTab } from './OverviewTab';
import { ReportsTab } from './ReportsTab';
import { RulesTab } from './RulesTab';
import { useProjectId } from './shared';

// The project's improvement tasks are listed to reviewers only (assignees see theirs on /quality).
const TABS = [
  { key: 'overview', permission: 'quality:read', element: <OverviewTab /> },
  { key: 'rules', permission: 'quality:read', element: <RulesTab /> },
  { key: 'issues', permission: 'quality:read', element: <IssuesBoard /> },
  { key: 'improvements', permission: 'quality:review', element: <ImprovementBoard /> },
  { key: 'alerts', permission: 'quality:read', element: <AlertsTab /> },
  { key: 'reports', permission: 'quality:read', element: <ReportsTab /> },
] as const;

/** A project's quality: overview, rules, issues, improvement tasks, alerts and reports, each a sub-route. */
export default function QualityPage() {
  const { t } = useTranslation('quality');
  const id = useProjectId();
  const navigate = useNavigate();
  const location = useLocation();
  const me = useMe();
  // /projects/:id/quality/<tab>
  const active = location.pathname.split('/')[4] || 'overview';
  return (
    <ProjectPage section="quality">
      {() => (
        <>
          <Tabs
            activeKey={active}
            onChange={(key) => navigate(`/projects/${id}/quality/${key}`)}
            items={TABS.filter((tab) => can(me.data, tab.permission)).map((tab) => ({
              key: tab.key,
              label: t(`tabs.${tab.key}`),
            }))}
          />
          <Routes>
            <Route index element={<Navigate to="overview" replace />} />
            {TABS.map((tab) => (
              <Route
                key={tab.key}
                path={tab.key}
                element={<RequirePermission permission={tab.permission}>{tab.element}</RequirePermission>}
              />
            ))}
          </Routes>
        </>
      )}
    </ProjectPage>
  );
}
