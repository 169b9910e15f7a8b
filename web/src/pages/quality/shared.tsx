import { useQuery } from '@tanstack/react-query';
import { Badge, Card, Col, type ColProps, Empty, Progress, Select, Tag, Typography } from 'antd';
import { type ReactNode, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { SEVERITIES } from '../../api/enums';
import { useMe } from '../../lib/session';
import { qualityQueries } from './queries';

export type Severity = (typeof SEVERITIES)[number];
const SEVERITY_COLORS: Record<string, string> = {
  low: 'default',
  medium: 'gold',
  high: 'orange',
  critical: 'red',
};

/** The project id of the current /projects/:id/quality route. */
export function useProjectId(): number {
  return Number(useParams().id);
}

export function SeverityTag({ severity }: { severity: string }) {
  const { t } = useTranslation('quality');
  return <Tag color={SEVERITY_COLORS[severity]}>{t(`severity.${severity}`, { defaultValue: severity })}</Tag>;
}

/**
 * What an issue, alert or improvement task is about, linked to it in the labeling view: the
 * annotation there (or, for an improvement task, the task's own work on it).
 */
export function AnnotationLink({
  projectId,
  annotationId,
  taskId,
  improvementId,
}: {
  projectId: number;
  annotationId: number;
  taskId: number | null;
  improvementId?: number;
}) {
  const { t } = useTranslation('quality');
  if (taskId === null) return <>{t('links.annotation', { annotation: annotationId })}</>;
  const query = improvementId ? `improvement=${improvementId}` : `annotation=${annotationId}&task=${taskId}`;
  return (
    <Link to={`/projects/${projectId}/label?${query}`}>
      {t('links.task', { task: taskId, annotation: annotationId })}
    </Link>
  );
}

/** A score in [0, 1] with three decimals in the reader's locale, or a dash. */
export function useScore() {
  const { i18n } = useTranslation();
  const lng = i18n.language;
  // Stable per language, so chart options built with it are not rebuilt on every render.
  return useMemo(() => {
    const format = new Intl.NumberFormat(lng, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
    return (v: number | null | undefined) => (v == null ? '—' : format.format(v));
  }, [lng]);
}

/**
 * The project's members by user id (names for ids, options for assignee pickers); the
 * caller is always known, other ids stand for themselves.
 */
export function useMembers(projectId: number) {
  const me = useMe();
  const members = useQuery(qualityQueries.members(projectId));
  const user = me.data?.user;
  // Stable while the data is, so charts keyed on names do not redraw on every render.
  return useMemo(() => {
    const names = new Map((members.data?.items ?? []).map((m) => [m.user_id, m.name || m.email]));
    if (user) names.set(user.id, user.name || user.email);
    return {
      name: (id: string | null | undefined) => (id ? (names.get(id) ?? id) : ''),
      options: [...names].map(([value, label]) => ({ value, label })),
    };
  }, [members.data, user]);
}

/** Follows a background job (GET /jobs/{id}) until it ends, announcing the end. */
/** Who an issue or improvement task is assigned to: a picker for reviewers, a line for others. */
export function Assignee({
  projectId,
  assigneeId,
  editable,
  onChange,
}: {
  projectId: number;
  assigneeId: string | null | undefined;
  editable: boolean;
  onChange: (assigneeId: string | null) => void;
}) {
  const { t } = useTranslation('quality');
  const members = useMembers(projectId);
  if (editable) {
    return (
      <Select
        allowClear
        showSearch
        size="small"
        style={{ width: '100%' }}
        optionFilterProp="label"
        placeholder={t('issues.unassigned')}
        aria-label={t('issues.assignee')}
        value={assigneeId ?? undefined}
        options={members.options}
        onChange={(v) => onChange(v ?? null)}
      />
    );
  }
  return assigneeId ? (
    <Typography.Text>{t('issues.assignedTo', { name: members.name(assigneeId) })}</Typography.Text>
  ) : null;
}

export const jobRunning = (status: string | undefined) =>
  status !== undefined && status !== 'completed' && status !== 'failed';

/** A job's state and progress bar, with its error when it failed. */
export function JobProgress({
  job,
  label,
  testId,
}: {
  job: { status: string; progress: number; error: string | null } | undefined;
  label: string;
  testId: string;
}) {
  const { t } = useTranslation();
  if (!job) return null;
  return (
    <div data-testid={testId} style={{ minWidth: 240 }}>
      <Typography.Text>
        {label} — {t(`job.state.${job.status}`, { defaultValue: job.status })}
      </Typography.Text>
      <Progress
        percent={Math.round(job.progress * 100)}
        status={job.status === 'failed' ? 'exception' : job.status === 'completed' ? 'success' : 'active'}
      />
      {job.error ? <Typography.Text type="danger">{job.error}</Typography.Text> : null}
    </div>
  );
}

/** One column of a status board (issues, improvement tasks): a titled card with its count. */
export function BoardColumn({
  testId,
  title,
  count,
  empty,
  xl,
  children,
}: {
  testId: string;
  title: string;
  count: number;
  empty: string;
  xl: ColProps['xl'];
  children: ReactNode;
}) {
  return (
    <Col xs={24} md={12} xl={xl}>
      <Card
        size="small"
        data-testid={testId}
        title={
          <Typography.Text>
            {title} <Badge count={count} showZero color="gray" />
          </Typography.Text>
        }
        styles={{ body: { display: 'flex', flexDirection: 'column', gap: 8 } }}
      >
        {count ? children : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} />}
      </Card>
    </Col>
  );
}
