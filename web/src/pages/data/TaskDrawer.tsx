import { useQuery } from '@tanstack/react-query';
import { Descriptions, Drawer, List, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
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

/**
 * A task's detail from the data manager: every data field (the search's matches marked, from
 * the row the search returned), its annotations and its predictions.
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
        </div>
      ) : null}
    </Drawer>
  );
}
