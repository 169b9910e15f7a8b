import { useQuery } from '@tanstack/react-query';
import { Card, Col, Row, Segmented, Table, Tag } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { useFormat } from '../../../lib/format';
import { Chart } from '../../dashboard/Chart';
import { aiKeys } from './queries';

type Group = 'feature' | 'model' | 'user';

/** The last 30 days' calls, tokens and spend: per day as a chart, per feature, model or user, and the latest calls. */
export function UsageTab() {
  const { t } = useTranslation('ai');
  const f = useFormat();
  const [group, setGroup] = useState<Group>('feature');
  const daily = useQuery({
    queryKey: aiKeys.summary('day'),
    queryFn: () => must(api.GET('/api/v1/llm/usage/summary', { params: { query: { group_by: 'day' } } })),
  });
  const grouped = useQuery({
    queryKey: aiKeys.summary(group),
    queryFn: () => must(api.GET('/api/v1/llm/usage/summary', { params: { query: { group_by: group } } })),
  });
  const latest = useQuery({
    queryKey: aiKeys.usage,
    queryFn: () => must(api.GET('/api/v1/llm/usage', { params: { query: { limit: 50 } } })),
  });
  const option = useMemo(() => {
    // One point a day, the currencies' rows of a day summed for calls and tokens.
    const days = new Map<string, { calls: number; tokensIn: number; tokensOut: number }>();
    for (const r of daily.data?.items ?? []) {
      const d = days.get(r.key) ?? { calls: 0, tokensIn: 0, tokensOut: 0 };
      d.calls += r.calls;
      d.tokensIn += r.tokens_in;
      d.tokensOut += r.tokens_out;
      days.set(r.key, d);
    }
    const keys = [...days.keys()];
    return {
      tooltip: { trigger: 'axis' },
      legend: {},
      grid: { left: 60, right: 60 },
      xAxis: { type: 'category', data: keys },
      yAxis: [
        { type: 'value', name: t('usage.tokens') },
        { type: 'value', name: t('usage.calls') },
      ],
      series: [
        {
          name: t('usage.tokensIn'),
          type: 'bar',
          stack: 'tokens',
          data: keys.map((k) => days.get(k)!.tokensIn),
        },
        {
          name: t('usage.tokensOut'),
          type: 'bar',
          stack: 'tokens',
          data: keys.map((k) => days.get(k)!.tokensOut),
        },
        { name: t('usage.calls'), type: 'line', yAxisIndex: 1, data: keys.map((k) => days.get(k)!.calls) },
      ],
    };
  }, [daily.data, t]);
  return (
    <>
      <ProblemAlert error={daily.error ?? grouped.error ?? latest.error} style={{ marginBottom: 16 }} />
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Card title={t('usage.perDay')} size="small">
            <Chart option={option} label={t('usage.perDay')} />
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card
            size="small"
            title={t('usage.grouped')}
            extra={
              <Segmented<Group>
                value={group}
                onChange={setGroup}
                options={(['feature', 'model', 'user'] as const).map((g) => ({
                  value: g,
                  label: t(`usage.by.${g}`),
                }))}
              />
            }
          >
            <Table
              rowKey={(r) => `${r.key}/${r.currency}`}
              size="small"
              pagination={false}
              loading={grouped.isPending}
              dataSource={grouped.data?.items ?? []}
              columns={[
                {
                  title: t(`usage.by.${group}`),
                  dataIndex: 'key',
                  render: (k: string) => (group === 'feature' ? t(`features.${k}`) : k || '—'),
                },
                { title: t('usage.calls'), dataIndex: 'calls' },
                { title: t('usage.failures'), dataIndex: 'failures' },
                {
                  title: t('usage.tokens'),
                  key: 'tokens',
                  render: (_, r) => f.number(r.tokens_in + r.tokens_out),
                },
                { title: t('usage.cost'), key: 'cost', render: (_, r) => `${r.cost} ${r.currency ?? ''}` },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <Card title={t('usage.latest')} size="small" style={{ marginTop: 16 }}>
        <Table
          rowKey="id"
          size="small"
          loading={latest.isPending}
          dataSource={latest.data?.items ?? []}
          pagination={false}
          data-testid="usage-rows"
          columns={[
            { title: t('usage.time'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
            { title: t('bindings.feature'), dataIndex: 'feature', render: (k: string) => t(`features.${k}`) },
            { title: t('usage.kind'), dataIndex: 'kind' },
            { title: t('models.model'), dataIndex: 'model' },
            { title: t('usage.tokensIn'), dataIndex: 'tokens_in' },
            { title: t('usage.tokensOut'), dataIndex: 'tokens_out' },
            { title: t('usage.latency'), dataIndex: 'latency_ms', render: (ms: number) => `${ms} ms` },
            { title: t('usage.cost'), key: 'cost', render: (_, r) => `${r.cost} ${r.currency ?? ''}` },
            {
              title: t('usage.result'),
              key: 'result',
              render: (_, r) =>
                r.success ? <Tag color="green">{t('usage.ok')}</Tag> : <Tag color="red">{r.error_code}</Tag>,
            },
          ]}
        />
      </Card>
    </>
  );
}
