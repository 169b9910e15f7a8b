import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, DatePicker, Progress, Select, Space, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { BILL_STATES } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJob } from '../../lib/jobs';
import { can, useMe } from '../../lib/session';
import { Pager, useCursor } from '../admin/paging';
import { billingKeys, billingQueries } from './queries';
import { type Bill, StatusTag, useMoney } from './shared';

type State = (typeof BILL_STATES)[number];

export function BillsTab() {
  const { t } = useTranslation('billing');
  const f = useFormat();
  const money = useMoney();
  const me = useMe();
  const [status, setStatus] = useState<State | undefined>();
  const paging = useCursor(status ?? '');
  const bills = useQuery(billingQueries.bills(status, paging.cursor));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {can(me.data, 'billing:manage') ? <GenerateBill /> : null}
      <Select<State>
        allowClear
        aria-label={t('bills.status')}
        placeholder={t('bills.status')}
        value={status}
        onChange={setStatus}
        style={{ width: 200 }}
        options={BILL_STATES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
      />
      <ProblemAlert error={bills.error} />
      <Table<Bill>
        rowKey="id"
        size="small"
        loading={bills.isPending}
        dataSource={bills.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t('bills.period'),
            dataIndex: 'period',
            render: (p: string, b) => <Link to={`/billing/bills/${b.id}`}>{p}</Link>,
          },
          { title: t('bills.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          {
            title: t('bills.total'),
            dataIndex: 'total',
            align: 'right',
            render: (v: string, b) => money(v, b.currency),
          },
          { title: t('bills.currency'), dataIndex: 'currency' },
          { title: t('bills.generated'), dataIndex: 'generated_at', render: (d: string | null) => f.date(d) },
          { title: t('bills.issued'), dataIndex: 'issued_at', render: (d: string | null) => f.date(d) },
        ]}
      />
      <Pager paging={paging} nextCursor={bills.data?.next_cursor} />
    </Space>
  );
}

/** Generates (or regenerates a draft of) a month's bill as a job and follows it. */
function GenerateBill() {
  const { t } = useTranslation('billing');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [month, setMonth] = useState<Dayjs>(() => dayjs().subtract(1, 'month'));
  const start = useMutation({
    mutationFn: (period: string) => must(api.POST('/api/v1/billing/bills', { body: { period } })),
  });
  const jobId = start.data?.job_id ?? null;
  const job = useJob(jobId, { done: t('generate.done'), failed: t('generate.failed') });
  const state = job.data?.status;
  const billId = start.data?.bill.id;
  useEffect(() => {
    if (state !== 'completed' || billId === undefined) return;
    void queryClient.invalidateQueries({ queryKey: billingKeys.bills });
    navigate(`/billing/bills/${billId}`);
  }, [state, billId, queryClient, navigate]);

  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <DatePicker
          picker="month"
          aria-label={t('generate.month')}
          data-testid="bill-month"
          value={month}
          allowClear={false}
          onChange={(m) => m && setMonth(m)}
        />
        <Button
          type="primary"
          loading={start.isPending || (jobId !== null && state !== 'completed' && state !== 'failed')}
          onClick={() => start.mutate(month.format('YYYY-MM'))}
        >
          {t('generate.start')}
        </Button>
      </Space>
      {job.data ? (
        <div data-testid="bill-job">
          <Typography.Text>
            {t('generate.job', { period: start.data?.bill.period })} —{' '}
            {t(`common:job.state.${job.data.status}`, { defaultValue: job.data.status })}
          </Typography.Text>
          <Progress
            percent={Math.round(job.data.progress * 100)}
            status={state === 'failed' ? 'exception' : state === 'completed' ? 'success' : 'active'}
          />
          {job.data.error ? <Typography.Text type="danger">{job.data.error}</Typography.Text> : null}
        </div>
      ) : null}
      <ProblemAlert error={start.error ?? job.error} />
    </Space>
  );
}
