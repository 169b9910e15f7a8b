import { EditOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Descriptions, Drawer, List, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, type GetResponse, must } from '../../api/client';
import { CommentThread } from '../../components/CommentThread';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Highlighted, pointerOf, rangesAt } from './Highlighted';
import type { TaskRow } from './TaskGrid';

/** Every leaf of a task's data with its JSON Pointer, nested values included. */
function leaves(value: unknown, path: string[] = []): { path: string[]; text: string }[] {
  if (value !== null && typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, text: value === null ? 'null' : String(value) }];
}

/** What a result chose, in words: its labels, choices or text answers. */
function summary(result: unknown[]): string {
  return result
    .flatMap((r) => Object.values((r as { value?: Record<string, unknown> }).value ?? {}))
    .filter((v): v is unknown[] => Array.isArray(v))
    .flat()
    .filter((v) => typeof v === 'string')
    .join(', ');
}

type HistoryEntry = GetResponse<'/api/v1/projects/{id}/tasks/{taskId}/history'>['items'][number];

/** Who did what to the task, and when: creation, submits, skips, fixes, changes, reviews. */
function History({ projectId, taskId }: { projectId: number; taskId: number }) {
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const history = useQuery({
    queryKey: ['task-history', projectId, taskId],
    queryFn: () =>
      must(
        api.GET('/api/v1/projects/{id}/tasks/{taskId}/history', {
          params: { path: { id: projectId, taskId } },
        }),
      ),
  });
  const line = (e: HistoryEntry) =>
    t(`history.${e.action}`, {
      who: e.user_name || t('history.someone'),
      id: e.annotation,
      import: e.import,
      status: e.review_status ? t(`history.status.${e.review_status}`) : '',
      context: e.action === 'task_created' && e.import ? 'import' : undefined,
    });
  return (
    <div data-testid="task-history" style={{ marginTop: 16 }}>
      <Typography.Text strong>{t('history.title')}</Typography.Text>
      <ProblemAlert error={history.error} />
      <Timeline
        style={{ marginTop: 12 }}
        items={(history.data?.items ?? []).map((e, i) => ({
          key: i,
          color: e.review_status === 'rejected' ? 'red' : e.action === 'reviewed' ? 'green' : 'blue',
          content: (
            <span data-testid="history-entry">
              {line(e)} <Typography.Text type="secondary">{fmt.date(e.at)}</Typography.Text>
            </span>
          ),
        }))}
      />
    </div>
  );
}

/**
 * Label this task: the caller's own annotation of it opens for editing; otherwise the labeling
 * page walks a selection of just this task.
 */
function labelLink(projectId: number, taskId: number, own: { id: number } | undefined) {
  const query = own ? `annotation=${own.id}&task=${taskId}` : `tasks=${taskId}`;
  return `/projects/${projectId}/label?${query}`;
}

/**
 * A task's detail from the data manager: every data field (the search's matches marked, from
 * the row the search returned), its annotations and predictions, its comment threads and its
 * history, and a way to label it.
 */
export function TaskDrawer({
  projectId,
  task,
  onClose,
}: {
  projectId: number;
  task: TaskRow | null;
  onClose: () => void;
}) {
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const me = useMe();
  const navigate = useNavigate();
  const detail = useQuery({
    queryKey: ['task', projectId, task?.id],
    queryFn: () =>
      must(
        api.GET('/api/v1/projects/{id}/tasks/{taskId}', {
          params: { path: { id: projectId, taskId: task!.id } },
        }),
      ),
    enabled: task !== null,
  });
  return (
    <Drawer
      open={task !== null}
      onClose={onClose}
      size="large"
      title={task ? t('detail.title', { id: task.id }) : ''}
      extra={
        task && can(me.data, 'annotations:write') ? (
          <Button
            type="primary"
            icon={<EditOutlined />}
            disabled={detail.isPending}
            onClick={() =>
              navigate(
                labelLink(
                  projectId,
                  task.id,
                  detail.data?.annotations.filter((a) => a.completed_by === me.data?.user.id).at(-1),
                ),
              )
            }
          >
            {t('history.label')}
          </Button>
        ) : null
      }
    >
      {task ? (
        <div data-testid="task-detail">
          <Descriptions column={1} bordered size="small" title={t('detail.data')}>
            {leaves(task.data).map((leaf) => (
              <Descriptions.Item key={pointerOf(...leaf.path)} label={leaf.path.join('.')}>
                <span style={{ whiteSpace: 'pre-wrap' }}>
                  <Highlighted text={leaf.text} ranges={rangesAt(task.highlights, pointerOf(...leaf.path))} />
                </span>
              </Descriptions.Item>
            ))}
          </Descriptions>
          <ProblemAlert error={detail.error} />
          <List
            header={<Typography.Text strong>{t('detail.annotations')}</Typography.Text>}
            loading={detail.isPending}
            dataSource={detail.data?.annotations ?? []}
            locale={{ emptyText: t('detail.noAnnotations') }}
            renderItem={(a) => (
              <List.Item data-testid="detail-annotation">
                {t('detail.annotation', { id: a.id, when: fmt.date(a.created_at) })}
                {': '}
                {a.was_cancelled ? t('detail.skipped') : summary(a.result)}
              </List.Item>
            )}
          />
          <List
            header={<Typography.Text strong>{t('detail.predictions')}</Typography.Text>}
            loading={detail.isPending}
            dataSource={detail.data?.predictions ?? []}
            locale={{ emptyText: t('detail.noPredictions') }}
            renderItem={(p) => (
              <List.Item>
                {t('detail.prediction', {
                  id: p.id,
                  model: p.model_version || '—',
                  score: fmt.number(p.score, 2),
                })}
                {': '}
                {summary(p.result)}
              </List.Item>
            )}
          />
          <CommentThread projectId={projectId} taskId={task.id} />
          <History projectId={projectId} taskId={task.id} />
        </div>
      ) : null}
    </Drawer>
  );
}
