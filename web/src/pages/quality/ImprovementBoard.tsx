import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Drawer,
  Form,
  Input,
  Modal,
  Row,
  Select,
  Space,
  Switch,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { AUTO_ASSIGN, IMPROVEMENT_STATES, SEVERITIES } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { qualityKeys, qualityQueries } from './queries';
import { AnnotationLink, Assignee, BoardColumn, type Severity, useMembers, useProjectId } from './shared';

export type ImprovementTask = GetResponse<'/api/v1/quality/improvement-tasks'>['items'][number];
type TaskState = (typeof IMPROVEMENT_STATES)[number];
type Who = 'assignee' | 'reviewer';
/** The API's moves from each state, and who may make them. */
const MOVES: Record<TaskState, { to: TaskState; by: Who }[]> = {
  pending: [{ to: 'in_progress', by: 'assignee' }],
  in_progress: [{ to: 'submitted', by: 'assignee' }],
  submitted: [
    { to: 'approved', by: 'reviewer' },
    { to: 'rejected', by: 'reviewer' },
  ],
  approved: [{ to: 'pending', by: 'reviewer' }],
  rejected: [
    { to: 'in_progress', by: 'assignee' },
    { to: 'pending', by: 'reviewer' },
  ],
};

/** The project's improvement tasks, pending → in progress → submitted → approved or rejected. */
export function ImprovementBoard() {
  const projectId = useProjectId();
  const tasks = useQuery(qualityQueries.improvements(projectId));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <WorkflowCard projectId={projectId} />
      {tasks.isPending ? (
        <Loading />
      ) : tasks.error ? (
        <ProblemAlert error={tasks.error} />
      ) : (
        <Board tasks={tasks.data} testId="improvement-board" />
      )}
    </Space>
  );
}

interface WorkflowForm {
  auto_create_improvement: boolean;
  min_severity: Severity;
  auto_assign: 'annotator' | 'user' | 'none';
  assignee_id?: string | null;
}

/** Whether failed checks open improvement tasks by themselves, from which severity, for whom. */
function WorkflowCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const { message } = App.useApp();
  const members = useMembers(projectId);
  const queryClient = useQueryClient();
  const [form] = Form.useForm<WorkflowForm>();
  const manage = can(me.data, 'quality:manage');
  const workflow = useQuery(qualityQueries.workflow(projectId));
  useEffect(() => {
    if (workflow.data) form.setFieldsValue(workflow.data as WorkflowForm);
  }, [workflow.data, form]);
  const save = useMutation({
    mutationFn: (v: WorkflowForm) =>
      must(
        api.PUT('/api/v1/projects/{projectId}/quality/workflow', {
          params: { path: { projectId } },
          body: { ...v, assignee_id: v.auto_assign === 'user' ? (v.assignee_id ?? null) : null },
        }),
      ),
    onSuccess: (w) => {
      queryClient.setQueryData(qualityKeys.workflow(projectId), w);
      void message.success(t('workflow.saved'));
    },
  });
  const autoAssign = Form.useWatch('auto_assign', form);
  return (
    <Card size="small" title={t('workflow.title')}>
      <ProblemAlert error={workflow.error ?? save.error} style={{ marginBottom: 8 }} />
      <Form<WorkflowForm>
        form={form}
        layout="inline"
        disabled={!manage || workflow.isPending}
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item name="auto_create_improvement" label={t('workflow.auto')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="min_severity" label={t('workflow.minSeverity')}>
          <Select
            style={{ minWidth: 120 }}
            options={SEVERITIES.map((v) => ({ value: v, label: t(`severity.${v}`) }))}
          />
        </Form.Item>
        <Form.Item name="auto_assign" label={t('workflow.assign')}>
          <Select
            style={{ minWidth: 180 }}
            options={AUTO_ASSIGN.map((v) => ({
              value: v,
              label: t(`workflow.assignTo.${v}`),
            }))}
          />
        </Form.Item>
        {autoAssign === 'user' ? (
          <Form.Item
            name="assignee_id"
            label={t('issues.assignee')}
            rules={[{ required: true, message: t('workflow.assigneeRequired') }]}
          >
            <Select showSearch optionFilterProp="label" style={{ minWidth: 180 }} options={members.options} />
          </Form.Item>
        ) : null}
        {manage ? (
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('common:save')}
          </Button>
        ) : null}
      </Form>
    </Card>
  );
}

/** Columns of improvement tasks (a project's, or the caller's own on the quality home page). */
export function Board({ tasks, testId }: { tasks: ImprovementTask[]; testId: string }) {
  const { t } = useTranslation('quality');
  const [historyOf, setHistoryOf] = useState<ImprovementTask | null>(null);
  return (
    <Row gutter={[12, 12]} data-testid={testId}>
      {IMPROVEMENT_STATES.map((status) => {
        const items = tasks.filter((i) => i.status === status);
        return (
          <BoardColumn
            key={status}
            testId={`improvements-${status}`}
            title={t(`taskStatus.${status}`)}
            count={items.length}
            empty={t('improvements.empty')}
            xl={{ flex: '20%' }}
          >
            {items.map((i) => (
              <TaskCard key={i.id} task={i} onHistory={() => setHistoryOf(i)} />
            ))}
          </BoardColumn>
        );
      })}
      {historyOf ? <HistoryDrawer task={historyOf} onClose={() => setHistoryOf(null)} /> : null}
    </Row>
  );
}

function TaskCard({ task, onHistory }: { task: ImprovementTask; onHistory: () => void }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const queryClient = useQueryClient();
  const [moving, setMoving] = useState<TaskState | null>(null);
  const review = can(me.data, 'quality:review');
  const mine = task.assignee_id === me.data?.user.id && can(me.data, 'quality:improve');
  const refresh = () => queryClient.invalidateQueries({ queryKey: qualityKeys.any });
  const assign = useMutation({
    mutationFn: (assignee_id: string | null) =>
      must(
        api.PATCH('/api/v1/quality/improvement-tasks/{id}', {
          params: { path: { id: task.id } },
          body: { assignee_id },
        }),
      ),
    onSuccess: refresh,
  });
  const start = useMutation({
    mutationFn: (to: TaskState) =>
      must(
        api.POST('/api/v1/quality/improvement-tasks/{id}/transitions', {
          params: { path: { id: task.id } },
          body: { to },
        }),
      ),
    onSuccess: refresh,
  });
  const moves = (MOVES[task.status as TaskState] ?? []).filter((m) => (m.by === 'reviewer' ? review : mine));
  return (
    <Card size="small" data-testid={`improvement-${task.id}`}>
      <Space orientation="vertical" size={4} style={{ width: '100%' }}>
        <Typography.Text strong>
          <AnnotationLink
            projectId={task.project_id}
            annotationId={task.annotation_id}
            taskId={task.task_id}
            improvementId={task.id}
          />
        </Typography.Text>
        {task.issue_id ? <Tag>{t('improvements.fromIssue', { id: task.issue_id })}</Tag> : null}
        {task.comment ? <Typography.Text>{task.comment}</Typography.Text> : null}
        <Typography.Text type="secondary">{f.date(task.updated_at)}</Typography.Text>
        <Assignee
          projectId={task.project_id}
          assigneeId={task.assignee_id}
          editable={review}
          onChange={(v) => assign.mutate(v)}
        />
        <Space wrap size={4}>
          {moves.map((m) =>
            m.to === 'in_progress' ? (
              <Button key={m.to} size="small" loading={start.isPending} onClick={() => start.mutate(m.to)}>
                {t(`improvements.move.${m.to}`)}
              </Button>
            ) : (
              <Button key={m.to} size="small" onClick={() => setMoving(m.to)}>
                {t(`improvements.move.${m.to}`)}
              </Button>
            ),
          )}
          <Button size="small" type="link" onClick={onHistory}>
            {t('improvements.history')}
          </Button>
        </Space>
        <ProblemAlert error={assign.error ?? start.error} />
      </Space>
      {moving ? (
        <TransitionDialog
          task={task}
          to={moving}
          onClose={() => setMoving(null)}
          onDone={() => {
            setMoving(null);
            void refresh();
          }}
        />
      ) : null}
    </Card>
  );
}

/** A move with a comment; submitting also carries the improved result (Label Studio JSON). */
function TransitionDialog({
  task,
  to,
  onClose,
  onDone,
}: {
  task: ImprovementTask;
  to: TaskState;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation('quality');
  const [form] = Form.useForm<{ comment?: string; result?: string }>();
  const move = useMutation({
    mutationFn: (v: { comment?: string; result?: string }) =>
      must(
        api.POST('/api/v1/quality/improvement-tasks/{id}/transitions', {
          params: { path: { id: task.id } },
          body: {
            to,
            comment: v.comment || undefined,
            result:
              to === 'submitted' ? (JSON.parse(v.result ?? '[]') as Record<string, unknown>[]) : undefined,
          },
        }),
      ),
    onSuccess: onDone,
  });
  return (
    <Modal
      open
      title={t(`improvements.move.${to}`)}
      okText={t(`improvements.move.${to}`)}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={move.isPending}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ result: JSON.stringify(task.proposed_result ?? task.original_result, null, 2) }}
        onFinish={(v) => move.mutate(v)}
      >
        {to === 'submitted' ? (
          <Form.Item
            name="result"
            label={t('improvements.result')}
            extra={t('improvements.resultHelp')}
            rules={[
              {
                validator: async (_, value: string) => {
                  const parsed: unknown = JSON.parse(value);
                  if (!Array.isArray(parsed)) throw new Error(t('improvements.resultArray'));
                },
                message: t('improvements.resultInvalid'),
              },
            ]}
          >
            <Input.TextArea rows={10} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
        ) : null}
        <Form.Item name="comment" label={t('improvements.comment')}>
          <Input.TextArea rows={3} maxLength={2000} />
        </Form.Item>
      </Form>
      <ProblemAlert error={move.error} />
    </Modal>
  );
}

function HistoryDrawer({ task, onClose }: { task: ImprovementTask; onClose: () => void }) {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const members = useMembers(task.project_id);
  const detail = useQuery(qualityQueries.improvement(task.project_id, task.id));
  return (
    <Drawer open onClose={onClose} title={t('improvements.historyOf', { id: task.id })} size="large">
      <ProblemAlert error={detail.error} />
      {detail.isPending ? (
        <Loading />
      ) : detail.data ? (
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Timeline
            data-testid="improvement-history"
            items={detail.data.history.map((h) => ({
              key: `${h.at}-${h.to}`,
              content: (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>
                    {h.from
                      ? t('improvements.moved', {
                          from: t(`taskStatus.${h.from}`, { defaultValue: h.from }),
                          to: t(`taskStatus.${h.to}`, { defaultValue: h.to }),
                        })
                      : t('improvements.created')}
                  </Typography.Text>
                  <Typography.Text type="secondary">
                    {t('improvements.byAt', { who: members.name(h.actor_id), at: f.date(h.at) })}
                  </Typography.Text>
                  {h.comment ? <Typography.Text>{h.comment}</Typography.Text> : null}
                </Space>
              ),
            }))}
          />
          <div>
            <Typography.Title level={5}>{t('improvements.original')}</Typography.Title>
            <pre style={{ whiteSpace: 'pre-wrap' }}>
              {JSON.stringify(detail.data.original_result, null, 2)}
            </pre>
          </div>
          {detail.data.proposed_result ? (
            <div>
              <Typography.Title level={5}>{t('improvements.proposed')}</Typography.Title>
              <pre style={{ whiteSpace: 'pre-wrap' }}>
                {JSON.stringify(detail.data.proposed_result, null, 2)}
              </pre>
            </div>
          ) : null}
        </Space>
      ) : null}
    </Drawer>
  );
}
