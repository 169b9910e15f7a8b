import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Row, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { ISSUE_STATES, SEVERITIES } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { qualityKeys, qualityQueries } from './queries';
import {
  AnnotationLink,
  Assignee,
  BoardColumn,
  type Severity,
  SeverityTag,
  useMembers,
  useProjectId,
} from './shared';

type Issue = GetResponse<'/api/v1/projects/{projectId}/quality/issues'>['items'][number];
/** The assignee filter's value for issues nobody is assigned to (user ids are UUIDs). */
const UNASSIGNED = 'unassigned';
type IssueState = (typeof ISSUE_STATES)[number];
/** The moves the API allows from each state. */
const MOVES: Record<IssueState, IssueState[]> = {
  open: ['in_progress', 'resolved', 'wont_fix'],
  in_progress: ['open', 'resolved', 'wont_fix'],
  resolved: ['open'],
  wont_fix: ['open'],
};

/** Quality issues in status columns; reviewers assign them, move them and make improvement tasks. */
export function IssuesBoard() {
  const { t } = useTranslation('quality');
  const projectId = useProjectId();
  const members = useMembers(projectId);
  const [severities, setSeverities] = useState<Severity[]>([]);
  const [assignee, setAssignee] = useState<string>();
  const issues = useQuery(qualityQueries.issues(projectId));
  const rules = useQuery(qualityQueries.rules(projectId));
  if (issues.isPending) return <Loading />;
  if (issues.error) return <ProblemAlert error={issues.error} />;
  const ruleName = new Map((rules.data?.items ?? []).map((r) => [r.id, r.name]));
  const shown = issues.data.filter(
    (i) =>
      (!severities.length || severities.includes(i.severity as Severity)) &&
      (assignee === undefined || (assignee === UNASSIGNED ? !i.assignee_id : i.assignee_id === assignee)),
  );
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap>
        <Select<Severity[]>
          mode="multiple"
          allowClear
          optionFilterProp="label"
          style={{ minWidth: 220 }}
          placeholder={t('issues.anySeverity')}
          aria-label={t('issues.severityFilter')}
          value={severities}
          onChange={setSeverities}
          options={SEVERITIES.map((v) => ({ value: v, label: t(`severity.${v}`) }))}
        />
        <Select<string>
          allowClear
          showSearch
          optionFilterProp="label"
          style={{ minWidth: 220 }}
          placeholder={t('issues.anyAssignee')}
          aria-label={t('issues.assigneeFilter')}
          value={assignee}
          onChange={setAssignee}
          options={[{ value: UNASSIGNED, label: t('issues.unassigned') }, ...members.options]}
        />
        <Typography.Text type="secondary">
          {t('issues.shown', { shown: shown.length, total: issues.data.length })}
        </Typography.Text>
      </Space>
      <Row gutter={[12, 12]} data-testid="issues-board">
        {ISSUE_STATES.map((status) => {
          const items = shown.filter((i) => i.status === status);
          return (
            <BoardColumn
              key={status}
              testId={`issues-${status}`}
              title={t(`issueStatus.${status}`)}
              count={items.length}
              empty={t('issues.empty')}
              xl={6}
            >
              {items.map((i) => (
                <IssueCard key={i.id} issue={i} ruleName={i.rule_id ? ruleName.get(i.rule_id) : undefined} />
              ))}
            </BoardColumn>
          );
        })}
      </Row>
    </Space>
  );
}

function IssueCard({ issue, ruleName }: { issue: Issue; ruleName?: string }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const review = can(me.data, 'quality:review');
  const refresh = () => queryClient.invalidateQueries({ queryKey: qualityKeys.issues(issue.project_id) });
  const update = useMutation({
    mutationFn: (body: { status?: IssueState; assignee_id?: string | null }) =>
      must(api.PATCH('/api/v1/quality/issues/{id}', { params: { path: { id: issue.id } }, body })),
    onSuccess: refresh,
  });
  const improve = useMutation({
    mutationFn: () =>
      must(
        api.POST('/api/v1/quality/improvement-tasks', {
          // Without the issue's assignee, the project's workflow setting picks one.
          body: { issue_id: issue.id, assignee_id: issue.assignee_id ?? undefined },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: qualityKeys.improvements(issue.project_id) });
      void message.success(t('issues.improvementCreated'));
    },
  });
  const status = issue.status as IssueState;
  return (
    <Card size="small" data-testid={`issue-${issue.id}`} aria-label={t('issues.cardLabel', { id: issue.id })}>
      <Space orientation="vertical" size={4} style={{ width: '100%' }}>
        <Space wrap>
          <SeverityTag severity={issue.severity} />
          <Typography.Text type="secondary">
            <AnnotationLink
              projectId={issue.project_id}
              annotationId={issue.annotation_id}
              taskId={issue.task_id}
            />
          </Typography.Text>
        </Space>
        <Typography.Text>{issue.message}</Typography.Text>
        {ruleName ? (
          <Typography.Text type="secondary">{t('issues.byRule', { name: ruleName })}</Typography.Text>
        ) : null}
        <Typography.Text type="secondary">{f.date(issue.created_at)}</Typography.Text>
        <Assignee
          projectId={issue.project_id}
          assigneeId={issue.assignee_id}
          editable={review}
          onChange={(v) => update.mutate({ assignee_id: v })}
        />
        {review ? (
          <Space wrap size={4}>
            {MOVES[status]?.map((to) => (
              <Button
                key={to}
                size="small"
                loading={update.isPending && update.variables?.status === to}
                onClick={() => update.mutate({ status: to })}
              >
                {t(`issues.move.${to}`)}
              </Button>
            ))}
            {status === 'open' || status === 'in_progress' ? (
              <Button size="small" type="dashed" loading={improve.isPending} onClick={() => improve.mutate()}>
                {t('issues.improve')}
              </Button>
            ) : null}
          </Space>
        ) : null}
        <ProblemAlert error={update.error ?? improve.error} />
      </Space>
    </Card>
  );
}
