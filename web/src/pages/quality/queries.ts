import { queryOptions } from '@tanstack/react-query';
import { allPages, api, type GetQuery, must } from '../../api/client';
import { projectKeys } from '../../lib/project';

/**
 * The quality pages' TanStack Query keys, in one place. Every key of a project starts with
 * `all(projectId)`, so a finished job (rescoring, a rules run, agreement) refreshes the
 * project's quality pages with one invalidation.
 */
export const qualityKeys = {
  /** Everything of every project (the improvement board moves tasks between projects' lists). */
  any: ['quality'] as const,
  all: (projectId: number) => ['quality', projectId] as const,
  agreement: (projectId: number) => ['quality', projectId, 'agreement'] as const,
  trend: (projectId: number, from: string, to: string) => ['quality', projectId, 'trend', from, to] as const,
  ranking: (projectId: number) => ['quality', projectId, 'ranking'] as const,
  scoring: (projectId: number) => ['quality', projectId, 'scoring'] as const,
  rules: (projectId: number) => ['quality', projectId, 'rules'] as const,
  ruleVersions: (projectId: number, ruleId: number) =>
    ['quality', projectId, 'rule-versions', ruleId] as const,
  ruleTemplates: ['quality', 'rule-templates'] as const,
  checkFailures: (projectId: number) => ['quality', projectId, 'check-failures'] as const,
  issues: (projectId: number) => ['quality', projectId, 'issues'] as const,
  improvements: (projectId: number) => ['quality', projectId, 'improvements'] as const,
  improvement: (projectId: number, taskId: number) => ['quality', projectId, 'improvement', taskId] as const,
  myImprovements: ['quality', 'my-improvements'] as const,
  workflow: (projectId: number) => ['quality', projectId, 'workflow'] as const,
  alerts: (projectId: number) => ['quality', projectId, 'alerts'] as const,
  alertsOf: (projectId: number, filter: string) => ['quality', projectId, 'alerts', filter] as const,
  alertConfig: (projectId: number) => ['quality', projectId, 'alert-config'] as const,
  reportRuns: (projectId: number) => ['quality', projectId, 'report-runs'] as const,
  reportRun: (runId: number | undefined) => ['quality', 'report-run', runId] as const,
  reportSchedules: (projectId: number) => ['quality', projectId, 'report-schedules'] as const,
  notifications: ['notifications'] as const,
  notificationsOf: (unread: boolean) => ['notifications', unread] as const,
};

/** The quality pages' reads: each one's key beside the call that fills it. */
export const qualityQueries = {
  agreement: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.agreement(projectId),
      queryFn: () =>
        must(api.GET('/api/v1/projects/{id}/agreement', { params: { path: { id: projectId } } })),
    }),
  trend: (projectId: number, from: string, to: string) =>
    queryOptions({
      queryKey: qualityKeys.trend(projectId, from, to),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{projectId}/quality/trend', {
            params: { path: { projectId }, query: { from, to } },
          }),
        ),
    }),
  ranking: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.ranking(projectId),
      queryFn: () =>
        must(api.GET('/api/v1/projects/{id}/quality/ranking', { params: { path: { id: projectId } } })),
    }),
  scoring: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.scoring(projectId),
      queryFn: () =>
        must(api.GET('/api/v1/projects/{id}/quality/config', { params: { path: { id: projectId } } })),
    }),
  rules: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.rules(projectId),
      queryFn: () =>
        must(api.GET('/api/v1/projects/{projectId}/quality/rules', { params: { path: { projectId } } })),
    }),
  ruleVersions: (projectId: number, ruleId: number) =>
    queryOptions({
      queryKey: qualityKeys.ruleVersions(projectId, ruleId),
      queryFn: () =>
        must(api.GET('/api/v1/quality/rules/{id}/versions', { params: { path: { id: ruleId } } })),
    }),
  ruleTemplates: () =>
    queryOptions({
      queryKey: qualityKeys.ruleTemplates,
      queryFn: () => must(api.GET('/api/v1/quality/rule-templates')),
    }),
  checkFailures: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.checkFailures(projectId),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{projectId}/quality/check-results', {
            params: { path: { projectId }, query: { passed: false, limit: 50 } },
          }),
        ),
    }),
  issues: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.issues(projectId),
      queryFn: () =>
        allPages((cursor) =>
          must(
            api.GET('/api/v1/projects/{projectId}/quality/issues', {
              params: { path: { projectId }, query: { limit: 1000, cursor } },
            }),
          ),
        ),
    }),
  improvements: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.improvements(projectId),
      queryFn: () =>
        allPages((cursor) =>
          must(
            api.GET('/api/v1/projects/{projectId}/quality/improvement-tasks', {
              params: { path: { projectId }, query: { limit: 1000, cursor } },
            }),
          ),
        ),
    }),
  improvement: (projectId: number, taskId: number) =>
    queryOptions({
      queryKey: qualityKeys.improvement(projectId, taskId),
      queryFn: () =>
        must(api.GET('/api/v1/quality/improvement-tasks/{id}', { params: { path: { id: taskId } } })),
    }),
  myImprovements: () =>
    queryOptions({
      queryKey: qualityKeys.myImprovements,
      queryFn: () =>
        allPages((cursor) =>
          must(api.GET('/api/v1/quality/improvement-tasks', { params: { query: { limit: 1000, cursor } } })),
        ),
    }),
  workflow: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.workflow(projectId),
      queryFn: () =>
        must(api.GET('/api/v1/projects/{projectId}/quality/workflow', { params: { path: { projectId } } })),
    }),
  /** The project's alerts in one status, or all of them. */
  alerts: (
    projectId: number,
    filter: NonNullable<GetQuery<'/api/v1/projects/{projectId}/quality/alerts'>['status']> | 'all',
  ) =>
    queryOptions({
      queryKey: qualityKeys.alertsOf(projectId, filter),
      queryFn: () =>
        allPages((cursor) =>
          must(
            api.GET('/api/v1/projects/{projectId}/quality/alerts', {
              params: {
                path: { projectId },
                query: { limit: 1000, cursor, status: filter === 'all' ? undefined : filter },
              },
            }),
          ),
        ),
    }),
  alertConfig: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.alertConfig(projectId),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{projectId}/quality/alert-config', { params: { path: { projectId } } }),
        ),
    }),
  reportRuns: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.reportRuns(projectId),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{projectId}/quality/report-runs', {
            params: { path: { projectId }, query: { limit: 50 } },
          }),
        ),
    }),
  reportRun: (runId: number | undefined) =>
    queryOptions({
      queryKey: qualityKeys.reportRun(runId),
      queryFn: () => must(api.GET('/api/v1/quality/report-runs/{id}', { params: { path: { id: runId! } } })),
    }),
  reportSchedules: (projectId: number) =>
    queryOptions({
      queryKey: qualityKeys.reportSchedules(projectId),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{projectId}/quality/report-schedules', {
            params: { path: { projectId } },
          }),
        ),
    }),
  notifications: (unread: boolean) =>
    queryOptions({
      queryKey: qualityKeys.notificationsOf(unread),
      queryFn: () =>
        must(
          api.GET('/api/v1/notifications', { params: { query: { limit: 50, unread: unread || undefined } } }),
        ),
    }),
  /** Every member of the project (the assignee pickers). */
  members: (projectId: number) =>
    queryOptions({
      queryKey: projectKeys.allMembers(projectId),
      queryFn: () =>
        must(
          api.GET('/api/v1/projects/{id}/members', {
            params: { path: { id: projectId }, query: { limit: 1000 } },
          }),
        ),
    }),
};
