import { useQuery } from '@tanstack/react-query';
import { Card, Col, DatePicker, Empty, Row, Space, Table } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { GetResponse } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { Chart } from '../dashboard/Chart';
import { billingQueries } from './queries';
import { useDecimal, useMoney } from './shared';

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;
type Month = GetResponse<'/api/v1/billing/trends'>['months'][number];

/** Per month: amount, work hours and cost per accepted annotation, from bills that are not void. */
export function TrendsTab() {
  const { t } = useTranslation('billing');
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(11, 'month').startOf('month'),
    dayjs().startOf('month'),
  ]);
  const from = range[0].format('YYYY-MM');
  const to = range[1].format('YYYY-MM');
  const data = useQuery(billingQueries.trends(from, to));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <DatePicker.RangePicker
        picker="month"
        aria-label={t('trends.range')}
        value={range}
        allowClear={false}
        onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
      />
      {data.error ? (
        <ProblemAlert error={data.error} />
      ) : data.isPending ? (
        <Loading />
      ) : data.data.months.length ? (
        <Trends months={data.data.months} />
      ) : (
        <Empty description={t('trends.none')} />
      )}
    </Space>
  );
}

function Trends({ months }: { months: Month[] }) {
  const { t } = useTranslation('billing');
  const money = useMoney();
  const dec = useDecimal();
  const f = useFormat();
  const currency = months[0]?.currency ?? 'CNY';
  // ECharts reads the decimal strings for plotting only; the figures shown are the API's strings.
  const amounts = useMemo(
    () => ({
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => (DECIMAL.test(String(v)) ? money(String(v), currency) : '—'),
      },
      legend: { top: 0 },
      grid: { left: 64, right: 64, bottom: 32, top: 40 },
      xAxis: { type: 'category', data: months.map((m) => m.period) },
      yAxis: [
        { type: 'value', name: t('trends.amount') },
        { type: 'value', name: t('trends.costPerAccepted') },
      ],
      series: [
        { name: t('trends.amount'), type: 'bar', data: months.map((m) => m.amount) },
        {
          name: t('trends.costPerAccepted'),
          type: 'line',
          yAxisIndex: 1,
          data: months.map((m) => m.cost_per_accepted),
        },
      ],
    }),
    [months, t, money, currency],
  );
  const hours = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 64, right: 64, bottom: 32, top: 40 },
      xAxis: { type: 'category', data: months.map((m) => m.period) },
      yAxis: [
        { type: 'value', name: t('trends.hours') },
        { type: 'value', name: t('trends.accepted'), minInterval: 1 },
      ],
      series: [
        { name: t('trends.hours'), type: 'bar', data: months.map((m) => m.hours) },
        { name: t('trends.accepted'), type: 'line', yAxisIndex: 1, data: months.map((m) => m.accepted) },
      ],
    }),
    [months, t],
  );
  return (
    <>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card title={t('trends.amountTitle')}>
            <Chart option={amounts} label={t('trends.amountTitle')} />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={t('trends.hoursTitle')}>
            <Chart option={hours} label={t('trends.hoursTitle')} />
          </Card>
        </Col>
      </Row>
      <Table<Month>
        rowKey="period"
        size="small"
        dataSource={months}
        pagination={false}
        columns={[
          { title: t('bills.period'), dataIndex: 'period' },
          {
            title: t('trends.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (v: string, m) => money(v, m.currency),
          },
          { title: t('trends.hours'), dataIndex: 'hours', align: 'right', render: (v: string) => dec(v) },
          {
            title: t('trends.accepted'),
            dataIndex: 'accepted',
            align: 'right',
            render: (v: number) => f.number(v),
          },
          {
            title: t('trends.costPerAccepted'),
            dataIndex: 'cost_per_accepted',
            align: 'right',
            render: (v: string | null, m) => (v == null ? '—' : money(v, m.currency)),
          },
        ]}
      />
    </>
  );
}
