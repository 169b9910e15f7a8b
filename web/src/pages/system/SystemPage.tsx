import { useQuery } from '@tanstack/react-query';
import {
  Badge,
  Card,
  Col,
  Descriptions,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { systemQueries } from './queries';

/** How often the page asks again: the server's sampler refreshes its snapshot every few seconds. */
const REFRESH_MS = 5000;

const STATUS_BADGE = { up: 'success', down: 'error', unknown: 'default' } as const;
const JOB_COLOR: Record<string, string> = {
  queued: 'default',
  running: 'processing',
  completed: 'success',
  failed: 'error',
  cancelled: 'warning',
};
const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

function uptime(seconds: number) {
  return {
    d: Math.floor(seconds / 86400),
    h: Math.floor((seconds % 86400) / 3600),
    m: Math.floor((seconds % 3600) / 60),
  };
}

export default function SystemPage() {
  const { t } = useTranslation('system');
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2}>{t('title')}</Typography.Title>
      <Status />
      <Services />
      <Metrics />
      <Jobs />
    </Space>
  );
}

function Services() {
  const { t } = useTranslation('system');
  const f = useFormat();
  const services = useQuery({ ...systemQueries.services(), refetchInterval: REFRESH_MS });
  return (
    <Card title={t('services.title')}>
      <ProblemAlert error={services.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="name"
        size="small"
        data-testid="services"
        loading={services.isPending}
        dataSource={services.data?.services ?? []}
        pagination={false}
        columns={[
          { title: t('services.name'), dataIndex: 'name', render: (n: string) => <code>{n}</code> },
          {
            title: t('services.status'),
            dataIndex: 'status',
            render: (s: 'up' | 'down' | 'unknown') => (
              <Badge status={STATUS_BADGE[s]} text={t(`services.statuses.${s}`)} />
            ),
          },
          {
            title: t('services.latency'),
            dataIndex: 'latency_ms',
            render: (ms: number | null) => (ms == null ? '—' : t('ms', { n: f.number(ms, 1) })),
          },
          { title: t('services.checked'), dataIndex: 'checked_at', render: (d: string | null) => f.date(d) },
          { title: t('services.error'), dataIndex: 'error' },
        ]}
      />
    </Card>
  );
}

function Status() {
  const { t } = useTranslation('system');
  const f = useFormat();
  const status = useQuery({ ...systemQueries.status(), refetchInterval: REFRESH_MS });
  const s = status.data;
  return (
    <Card title={t('status.title')} loading={status.isPending}>
      <ProblemAlert error={status.error} />
      {s ? (
        <Descriptions size="small" column={{ xs: 1, md: 2, lg: 3 }}>
          <Descriptions.Item label={t('status.overall')}>
            <Tag color={s.status === 'ok' ? 'green' : 'orange'}>{t(`status.states.${s.status}`)}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('status.version')}>{s.version}</Descriptions.Item>
          <Descriptions.Item label={t('status.uptime')}>
            {t('status.uptimeValue', uptime(s.uptime_seconds))}
          </Descriptions.Item>
          <Descriptions.Item label={t('status.started')}>{f.date(s.started_at)}</Descriptions.Item>
          <Descriptions.Item label={t('status.sampled')}>{f.date(s.sampled_at)}</Descriptions.Item>
          <Descriptions.Item label={t('status.database')}>
            {s.database.driver} · {s.database.status}
          </Descriptions.Item>
          <Descriptions.Item label={t('status.pool')}>
            {t('status.poolValue', {
              total: s.database.pool.total,
              max: s.database.pool.max,
              idle: s.database.pool.idle,
              waiting: s.database.pool.waiting,
            })}
          </Descriptions.Item>
          <Descriptions.Item label={t('status.queue')}>
            {s.jobs.queue_depth == null ? '—' : f.number(s.jobs.queue_depth)}
          </Descriptions.Item>
        </Descriptions>
      ) : null}
    </Card>
  );
}

function Metrics() {
  const { t } = useTranslation('system');
  const f = useFormat();
  const metrics = useQuery({ ...systemQueries.metrics(), refetchInterval: REFRESH_MS });
  const m = metrics.data ?? {};
  const stat = (key: string, label: string, format: (n: number) => string) => (
    <Col xs={12} md={8} lg={6} key={key}>
      <Statistic title={label} value={m[key] == null ? '—' : format(m[key] as number)} />
    </Col>
  );
  const ms = (n: number) => t('ms', { n: f.number(n, 1) });
  return (
    <Card title={t('metrics.title')} loading={metrics.isPending}>
      <ProblemAlert error={metrics.error} />
      <Row gutter={[16, 16]}>
        {stat('http_requests_per_second', t('metrics.rps'), (n) => f.number(n, 1))}
        {stat('http_error_rate', t('metrics.errorRate'), (n) => f.percent(n))}
        {stat('http_latency_p50_ms', t('metrics.p50'), ms)}
        {stat('http_latency_p95_ms', t('metrics.p95'), ms)}
        {stat('http_latency_p99_ms', t('metrics.p99'), ms)}
        {stat('event_loop_lag_p99_ms', t('metrics.lag'), ms)}
        {stat('memory_rss_bytes', t('metrics.rss'), f.bytes)}
        {stat('memory_heap_used_bytes', t('metrics.heap'), f.bytes)}
        {stat('http_requests_total', t('metrics.requests'), (n) => f.number(n))}
        {stat('services_down', t('metrics.down'), (n) => f.number(n))}
      </Row>
    </Card>
  );
}

function Jobs() {
  const { t } = useTranslation('system');
  const f = useFormat();
  const [state, setState] = useState<(typeof JOB_STATES)[number] | undefined>();
  const jobs = useQuery({ ...systemQueries.jobs(state), refetchInterval: REFRESH_MS });
  return (
    <Card title={t('jobs.title')}>
      <Select
        allowClear
        aria-label={t('jobs.state')}
        placeholder={t('jobs.state')}
        value={state}
        onChange={setState}
        style={{ width: 180, marginBottom: 16 }}
        options={JOB_STATES.map((s) => ({ value: s, label: t(`common:job.state.${s}`) }))}
      />
      <ProblemAlert error={jobs.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={jobs.isPending}
        dataSource={jobs.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('jobs.kind'), dataIndex: 'kind', render: (k: string) => <code>{k}</code> },
          {
            title: t('jobs.state'),
            dataIndex: 'state',
            render: (s: string) => <Tag color={JOB_COLOR[s]}>{t(`common:job.state.${s}`)}</Tag>,
          },
          {
            title: t('jobs.progress'),
            dataIndex: 'progress',
            render: (p: number, j) => (
              <Progress
                percent={Math.round(p * 100)}
                size="small"
                status={j.state === 'failed' ? 'exception' : j.state === 'completed' ? 'success' : 'active'}
              />
            ),
          },
          { title: t('jobs.created'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          { title: t('jobs.finished'), dataIndex: 'finished_at', render: (d: string | null) => f.date(d) },
          { title: t('jobs.error'), dataIndex: 'error', ellipsis: true },
        ]}
      />
    </Card>
  );
}
