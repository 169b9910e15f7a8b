import { DownloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Descriptions, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { GetResponse } from '../../api/client';
import { BILL_EXPORT_FORMATS } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { Pager, useCursor } from '../admin/paging';
import { billingQueries } from './queries';
import { LinesTable, StatusTag, useMoney, useNames } from './shared';

type Statement = GetResponse<'/api/v1/billing/statements'>['items'][number];

/** Pay statements: an annotator gets their own (the API decides), billing readers everyone's. */
export function StatementsTab() {
  const { t } = useTranslation('billing');
  const money = useMoney();
  const names = useNames();
  const paging = useCursor('');
  const statements = useQuery(billingQueries.statements(paging.cursor));
  return (
    <>
      <ProblemAlert error={statements.error} style={{ marginBottom: 16 }} />
      <Table<Statement>
        rowKey="id"
        size="small"
        loading={statements.isPending}
        dataSource={statements.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t('bills.period'),
            dataIndex: 'period',
            render: (p: string, s) => <Link to={`/billing/statements/${s.id}`}>{p}</Link>,
          },
          { title: t('lines.annotator'), dataIndex: 'user_id', render: (id: string) => names.user(id) },
          { title: t('bills.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('statements.lines'), dataIndex: 'lines', align: 'right' },
          {
            title: t('bills.total'),
            dataIndex: 'total',
            align: 'right',
            render: (v: string, s) => money(v, s.currency),
          },
        ]}
      />
      <Pager paging={paging} nextCursor={statements.data?.next_cursor} />
    </>
  );
}

export function StatementDetail() {
  const { t } = useTranslation('billing');
  const id = Number(useParams().id);
  const money = useMoney();
  const names = useNames();
  const data = useQuery(billingQueries.statement(id));
  if (data.isPending) return <Loading />;
  if (data.error) return <ProblemAlert error={data.error} />;
  const s = data.data.statement;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/billing/statements">{t('statements.back')}</Link>
      <Card
        title={t('statements.title', { period: s.period })}
        extra={
          <Space wrap>
            {BILL_EXPORT_FORMATS.map((format) => (
              <Button
                key={format}
                icon={<DownloadOutlined />}
                href={`/api/v1/billing/statements/${s.id}/export?format=${format}`}
                download
              >
                {t(`export.${format}`)}
              </Button>
            ))}
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('lines.annotator')}>{names.user(s.user_id)}</Descriptions.Item>
          <Descriptions.Item label={t('bills.status')}>
            <StatusTag status={s.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('bills.total')}>{money(s.total, s.currency)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Typography.Title level={4}>{t('bill.lines')}</Typography.Title>
      <LinesTable lines={data.data.lines} />
    </Space>
  );
}
