import { DislikeOutlined, LikeOutlined } from '@ant-design/icons';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { type Log, logs } from './requests';

/** One's questions and queries, newest first; a click loads one back into the Ask tab. */
export function HistoryTab({ onLoad }: { onLoad: (log: Log) => void }) {
  const { t } = useTranslation('ask');
  const format = useFormat();
  const q = useInfiniteQuery({
    queryKey: ['sql', 'logs'],
    queryFn: ({ pageParam }) => logs(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (p) => p.next_cursor ?? undefined,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ProblemAlert error={q.error} />
      <Table
        size="small"
        rowKey="id"
        loading={q.isPending}
        dataSource={items}
        pagination={false}
        onRow={(log) => ({ onClick: () => onLoad(log), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('history.at'),
            dataIndex: 'created_at',
            render: (v: string) => format.date(v),
            width: 180,
          },
          { title: t('history.question'), dataIndex: 'question', render: (v: string | null) => v ?? '—' },
          {
            title: t('sql'),
            dataIndex: 'sql',
            ellipsis: true,
            render: (v: string) => <code>{v}</code>,
          },
          {
            title: t('history.outcome'),
            dataIndex: 'outcome',
            width: 110,
            render: (v: string) => <Tag color={v === 'answered' ? 'green' : 'red'}>{t(`outcome.${v}`)}</Tag>,
          },
          {
            title: t('history.rows'),
            dataIndex: 'row_count',
            width: 80,
            render: (v: number | null) => v ?? '—',
          },
          {
            title: t('history.feedback'),
            dataIndex: 'feedback',
            render: (v: Log['feedback']) => <FeedbackCell feedback={v} />,
          },
        ]}
      />
      {q.hasNextPage ? (
        <Button onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>
          {t('history.more')}
        </Button>
      ) : null}
    </Space>
  );
}

/** A log's feedback: right, or wrong with the corrected SQL when one was given. */
function FeedbackCell({ feedback }: { feedback: Log['feedback'] }) {
  const { t } = useTranslation('ask');
  if (!feedback) return <>—</>;
  if (feedback.correct)
    return (
      <Tag color="green" icon={<LikeOutlined />}>
        {t('history.correct')}
      </Tag>
    );
  return (
    <Space direction="vertical" size={2}>
      <Tag color="orange" icon={<DislikeOutlined />}>
        {t('history.wrong')}
      </Tag>
      {feedback.sql ? (
        <Typography.Text type="secondary">
          {t('history.corrected')} <code>{feedback.sql}</code>
        </Typography.Text>
      ) : null}
    </Space>
  );
}
