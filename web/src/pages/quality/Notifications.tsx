import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Card, List, Segmented, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { qualityKeys, qualityQueries } from './queries';

/** The caller's in-app notifications (alerts, reports, improvement tasks), newest first. */
export function Notifications() {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const queryClient = useQueryClient();
  const [unread, setUnread] = useState(true);
  const list = useQuery({
    ...qualityQueries.notifications(unread),
    refetchInterval: 30_000,
  });
  // A comment's notice is worded here, in the reader's language, from what it names.
  const titleOf = (n: { kind: string; title: string; data: Record<string, unknown> }) =>
    n.kind === 'COMMENT_CREATED'
      ? t('comments:notification', {
          who: (n.data.author_name as string | null) || t('comments:someone'),
          task: n.data.task_id,
        })
      : n.title;
  const read = useMutation({
    mutationFn: (id: number) =>
      must(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: qualityKeys.notifications }),
  });
  return (
    <Card
      data-testid="notifications"
      title={
        <Space>
          {t('notifications.title')}
          <Badge count={list.data?.unread ?? 0} />
        </Space>
      }
      extra={
        <Segmented<boolean>
          value={unread}
          onChange={setUnread}
          options={[
            { value: true, label: t('notifications.unread') },
            { value: false, label: t('notifications.all') },
          ]}
        />
      }
    >
      <ProblemAlert error={list.error ?? read.error} />
      <List
        loading={list.isPending}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: t('notifications.none') }}
        renderItem={(n) => (
          <List.Item
            key={n.id}
            actions={
              n.read_at
                ? []
                : [
                    <Button
                      key="read"
                      size="small"
                      loading={read.isPending && read.variables === n.id}
                      onClick={() => read.mutate(n.id)}
                    >
                      {t('notifications.markRead')}
                    </Button>,
                  ]
            }
          >
            <List.Item.Meta
              title={<Typography.Text strong={!n.read_at}>{titleOf(n)}</Typography.Text>}
              description={
                <Space orientation="vertical" size={0}>
                  <span>{n.body}</span>
                  <Typography.Text type="secondary">{f.date(n.created_at)}</Typography.Text>
                </Space>
              }
            />
          </List.Item>
        )}
      />
    </Card>
  );
}
