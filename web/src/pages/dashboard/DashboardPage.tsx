import { useQuery } from '@tanstack/react-query';
import { Col, Empty, Row, Segmented, Space, Statistic } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { lazy, Suspense, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { Loading } from '../../components/Loading';
import { PageTitle } from '../../components/PageTitle';
import { Panel } from '../../components/Panel';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { projectKeys } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { Chart } from './Chart';
import { dashboardQuery } from './queries';

type Dashboard = GetResponse<'/api/v1/dashboard'>;
const REVIEW_OUTCOMES = ['approved', 'rejected', 'modification_requested'] as const;
const PRESET_DAYS = [7, 30, 90] as const;
const CustomRange = lazy(() => import('./CustomRange'));
// Only an empty tenant sees it: its own chunk, out of the dashboard's first load.
const GetStarted = lazy(() => import('../projects/GetStarted').then((m) => ({ default: m.GetStarted })));

/** The last `n` days, today included. */
function lastDays(n: number): [Dayjs, Dayjs] {
  return [
    dayjs()
      .subtract(n - 1, 'day')
      .startOf('day'),
    dayjs().endOf('day'),
  ];
}

export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  const me = useMe();
  const [period, setPeriod] = useState<number | 'custom'>(30);
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => lastDays(30));
  const from = range[0].startOf('day').toISOString();
  const to = range[1].add(1, 'day').startOf('day').toISOString();
  const allowed = can(me.data, 'projects:read');
  const data = useQuery({ ...dashboardQuery(from, to), enabled: allowed });
  // A tenant without projects has no statistics to show: it is shown how to start instead.
  const anyProject = useQuery({
    queryKey: [...projectKeys.list, 'any'],
    queryFn: () => must(api.GET('/api/v1/projects', { params: { query: { limit: 1 } } })),
    enabled: allowed,
  });
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <PageTitle>{t('title')}</PageTitle>
        <Space wrap>
          <Segmented<number | 'custom'>
            aria-label={t('range')}
            value={period}
            onChange={(p) => {
              setPeriod(p);
              if (p !== 'custom') setRange(lastDays(p));
            }}
            options={[
              ...PRESET_DAYS.map((n) => ({ value: n, label: t('lastDays', { n }) })),
              { value: 'custom' as const, label: t('custom') },
            ]}
          />
          {period === 'custom' ? (
            <Suspense fallback={null}>
              <CustomRange value={range} onChange={setRange} />
            </Suspense>
          ) : null}
        </Space>
      </Space>
      {!allowed ? (
        <Empty description={t('noAccess')} />
      ) : data.error ? (
        <ProblemAlert error={data.error} />
      ) : data.isPending || anyProject.isPending ? (
        <Loading />
      ) : anyProject.data?.items.length === 0 ? (
        <Panel>
          <Suspense fallback={<Loading />}>
            <GetStarted />
          </Suspense>
        </Panel>
      ) : (
        <Charts data={data.data} />
      )}
    </Space>
  );
}

function Charts({ data }: { data: Dashboard }) {
  const { t } = useTranslation('dashboard');
  const f = useFormat();
  const sum = (k: 'tasks_created' | 'tasks_completed' | 'annotations' | 'skips') =>
    data.days.reduce((n, d) => n + d[k], 0);
  const perDay = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 16, bottom: 32, top: 40 },
      xAxis: { type: 'category', data: data.days.map((d) => f.day(`${d.day}T12:00:00`)) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('tasksCreated'), type: 'line', smooth: true, data: data.days.map((d) => d.tasks_created) },
        {
          name: t('tasksCompleted'),
          type: 'line',
          smooth: true,
          data: data.days.map((d) => d.tasks_completed),
        },
        { name: t('annotations'), type: 'bar', data: data.days.map((d) => d.annotations) },
      ],
    }),
    [data, t, f],
  );
  const throughput = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 140, right: 16, bottom: 24, top: 40 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: data.annotators.map((a) => a.name || a.email) },
      series: [
        { name: t('annotations'), type: 'bar', stack: 'n', data: data.annotators.map((a) => a.annotations) },
        { name: t('skips'), type: 'bar', stack: 'n', data: data.annotators.map((a) => a.skips) },
      ],
    }),
    [data, t],
  );
  const reviews = useMemo(
    () => ({
      tooltip: { trigger: 'item' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie',
          radius: ['40%', '70%'],
          data: REVIEW_OUTCOMES.map((s) => ({ name: t(`reviews.${s}`), value: data.reviews[s] ?? 0 })),
        },
      ],
    }),
    [data, t],
  );
  const progress = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 140, right: 16, bottom: 24, top: 40 },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: data.projects.map((p) => p.title) },
      series: [
        { name: t('finished'), type: 'bar', stack: 'p', data: data.projects.map((p) => p.finished) },
        {
          name: t('remaining'),
          type: 'bar',
          stack: 'p',
          data: data.projects.map((p) => p.tasks - p.finished),
        },
      ],
    }),
    [data, t],
  );
  const reviewTotal = REVIEW_OUTCOMES.reduce((n, s) => n + (data.reviews[s] ?? 0), 0);

  return (
    <>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Panel>
            <Statistic title={t('tasksCreated')} value={f.number(sum('tasks_created'))} />
          </Panel>
        </Col>
        <Col xs={12} md={6}>
          <Panel>
            <Statistic title={t('tasksCompleted')} value={f.number(sum('tasks_completed'))} />
          </Panel>
        </Col>
        <Col xs={12} md={6}>
          <Panel>
            <Statistic title={t('annotations')} value={f.number(sum('annotations'))} />
          </Panel>
        </Col>
        <Col xs={12} md={6}>
          <Panel>
            <Statistic title={t('reviewed')} value={f.number(reviewTotal)} />
          </Panel>
        </Col>
      </Row>
      <Panel title={t('perDay')} extra={t('timeZone', { tz: data.time_zone })}>
        <Chart option={perDay} label={t('perDay')} />
      </Panel>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Panel title={t('throughput')}>
            {data.annotators.length ? (
              <Chart
                option={throughput}
                label={t('throughput')}
                height={Math.max(200, data.annotators.length * 32 + 80)}
              />
            ) : (
              <Empty description={t('noData')} />
            )}
          </Panel>
        </Col>
        <Col xs={24} lg={12}>
          <Panel title={t('reviewOutcomes')}>
            {reviewTotal ? (
              <Chart option={reviews} label={t('reviewOutcomes')} />
            ) : (
              <Empty description={t('noData')} />
            )}
          </Panel>
        </Col>
      </Row>
      <Panel title={t('projectProgress')}>
        {data.projects.length ? (
          <Chart
            option={progress}
            label={t('projectProgress')}
            height={Math.max(200, data.projects.length * 32 + 80)}
          />
        ) : (
          <Empty description={t('noData')} />
        )}
      </Panel>
    </>
  );
}
