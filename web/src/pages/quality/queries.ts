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
