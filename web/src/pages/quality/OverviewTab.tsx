import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Empty,
  Form,
  InputNumber,
  Modal,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type GetResponse, must } from '../../api/client';
import { SCORE_DIMENSIONS } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJob } from '../../lib/jobs';
import { can, useMe } from '../../lib/session';
import { Chart } from '../dashboard/Chart';
import { qualityKeys, qualityQueries } from './queries';
import { JobProgress, jobRunning, useMembers, useProjectId, useScore } from './shared';

type Agreement = GetResponse<'/api/v1/projects/{id}/agreement'>;
type Coefficient = Agreement['controls'][string]['alpha'];
type Ranked = GetResponse<'/api/v1/projects/{id}/quality/ranking'>['items'][number];
type Day = GetResponse<'/api/v1/projects/{projectId}/quality/trend'>['days'][number];

/** Agreement per control and per annotator pair, the score trend and the annotator ranking. */
export function OverviewTab() {
  const projectId = useProjectId();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <AgreementSection projectId={projectId} />
      <TrendSection projectId={projectId} />
      <RankingSection projectId={projectId} />
    </Space>
  );
}

function AgreementSection({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const score = useScore();
  const queryClient = useQueryClient();
  const [full, setFull] = useState(false);
  const agreement = useQuery({
    ...qualityQueries.agreement(projectId),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
  const compute = useMutation({
    mutationFn: () =>
      must(
        api.POST('/api/v1/projects/{id}/agreement/runs', {
          params: { path: { id: projectId } },
          body: { incremental: !full },
        }),
      ),
    onSuccess: (run) => {
      if (!run.job_id) void queryClient.invalidateQueries({ queryKey: qualityKeys.all(projectId) });
    },
  });
  const job = useJob(compute.data?.job_id, { done: t('agreement.done'), failed: t('agreement.failed') });
  const jobState = job.data?.status;
  useEffect(() => {
    if (jobState === 'completed')
      void queryClient.invalidateQueries({ queryKey: qualityKeys.all(projectId) });
  }, [jobState, projectId, queryClient]);

  const notComputed = agreement.error instanceof ApiError && agreement.error.status === 404;
  const a = agreement.data;
  return (
    <Card
      title={t('agreement.title')}
      extra={
        can(me.data, 'quality:manage') ? (
          <Space wrap>
            <Checkbox checked={full} onChange={(e) => setFull(e.target.checked)}>
              {t('agreement.full')}
            </Checkbox>
            <Button
              type="primary"
              loading={compute.isPending || jobRunning(jobState)}
              onClick={() => compute.mutate()}
            >
              {t('agreement.compute')}
            </Button>
          </Space>
        ) : null
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <JobProgress job={job.data} label={t('agreement.job')} testId="agreement-job" />
        <ProblemAlert error={compute.error ?? job.error ?? (notComputed ? null : agreement.error)} />
        {agreement.isPending ? (
          <Loading />
        ) : notComputed || !a ? (
          <Empty description={t('agreement.none')} />
        ) : (
          <>
            <Row gutter={[16, 16]}>
              <Col xs={12} md={6}>
                <Statistic title={t('agreement.mean')} value={score(a.mean_score)} />
              </Col>
              <Col xs={12} md={6}>
                <Statistic title={t('agreement.tasksScored')} value={f.number(a.tasks_scored)} />
              </Col>
              <Col xs={12} md={6}>
                <Statistic title={t('agreement.pairs')} value={f.number(a.annotator_pairs.length)} />
              </Col>
              <Col xs={12} md={6}>
                <Descriptions
                  size="small"
                  column={1}
                  items={[
                    { key: 'at', label: t('agreement.computedAt'), children: f.date(a.computed_at) },
                    {
                      key: 'run',
                      label: t('agreement.latestRun'),
                      children: t(`common:job.state.${a.latest_run.status}`, {
                        defaultValue: a.latest_run.status,
                      }),
                    },
                  ]}
                />
              </Col>
            </Row>
            <ControlsTable agreement={a} />
            <PairMatrix projectId={projectId} pairs={a.annotator_pairs} />
          </>
        )}
      </Space>
    </Card>
  );
}

function StatisticCell({ s }: { s: Coefficient }) {
  const score = useScore();
  if (s.value == null) {
    return s.reason ? (
      <Tooltip title={s.reason}>
        <Tag>—</Tag>
      </Tooltip>
    ) : (
      <>—</>
    );
  }
  return <>{score(s.value)}</>;
}

function ControlsTable({ agreement }: { agreement: Agreement }) {
  const { t } = useTranslation('quality');
  const score = useScore();
  const rows = Object.entries(agreement.controls).map(([name, c]) => ({ name, ...c }));
  return (
    <Table
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={rows}
      scroll={{ x: true }}
      data-testid="agreement-controls"
      columns={[
        { title: t('agreement.control'), dataIndex: 'name' },
        { title: t('agreement.type'), dataIndex: 'type' },
        { title: t('agreement.metric'), dataIndex: 'metric' },
        { title: t('agreement.tasks'), dataIndex: 'tasks', align: 'right' },
        {
          title: t('agreement.meanScore'),
          dataIndex: 'mean_score',
          align: 'right',
          render: (v: number | null) => score(v),
        },
        { title: t('agreement.alpha'), key: 'alpha', render: (_, c) => <StatisticCell s={c.alpha} /> },
        {
          title: t('agreement.fleiss'),
          key: 'fleiss',
          render: (_, c) => <StatisticCell s={c.fleiss_kappa} />,
        },
        { title: t('agreement.cohen'), key: 'cohen', render: (_, c) => <StatisticCell s={c.cohen_kappa} /> },
      ]}
    />
  );
}

/** The annotator × annotator matrix as a heat map (symmetric; the diagonal is left empty). */
function PairMatrix({ projectId, pairs }: { projectId: number; pairs: Agreement['annotator_pairs'] }) {
  const { t } = useTranslation('quality');
  const members = useMembers(projectId);
  const score = useScore();
  const name = members.name;
  // Annotators in name order; the y axis runs top-down so the diagonal reads like a table.
  const ids = useMemo(
    () =>
      [...new Set(pairs.flatMap((p) => [p.annotator_a, p.annotator_b]))].sort((a, b) =>
        name(a).localeCompare(name(b)),
      ),
    [pairs, name],
  );
  const labels = useMemo(() => ids.map(name), [ids, name]);
  const option = useMemo(() => {
    const index = new Map(ids.map((id, i) => [id, i]));
    const tasks = new Map<string, number>();
    const data: [number, number, number][] = [];
    for (const p of pairs) {
      const a = index.get(p.annotator_a)!;
      const b = index.get(p.annotator_b)!;
      const v = Math.round(p.mean_score * 1000) / 1000;
      data.push([a, b, v], [b, a, v]);
      tasks.set(`${a},${b}`, p.tasks);
      tasks.set(`${b},${a}`, p.tasks);
    }
    return {
      tooltip: {
        formatter: (p: { value: [number, number, number] }) => {
          const [x, y, v] = p.value;
          return t('agreement.pairTooltip', {
            a: labels[x],
            b: labels[y],
            score: score(v),
            tasks: tasks.get(`${x},${y}`) ?? 0,
          });
        },
      },
      grid: { left: 120, right: 24, top: 16, bottom: 90 },
      xAxis: { type: 'category', data: labels, axisLabel: { rotate: 30 }, splitArea: { show: true } },
      yAxis: { type: 'category', data: labels, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: 1,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        inRange: { color: ['#cf1322', '#faad14', '#52c41a'] },
      },
      series: [{ type: 'heatmap', data, label: { show: ids.length <= 12 } }],
    };
  }, [ids, labels, pairs, score, t]);
  if (!pairs.length) return <Empty description={t('agreement.noPairs')} />;
  const lowest = [...pairs].sort((p, q) => p.mean_score - q.mean_score);
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={14}>
        <Card size="small" title={t('agreement.matrix')} data-testid="agreement-matrix">
          <Chart
            heatmap
            option={option}
            height={Math.min(900, Math.max(320, 40 * ids.length + 140))}
            label={t('agreement.matrixLabel', { count: ids.length })}
          />
        </Card>
      </Col>
      <Col xs={24} xl={10}>
        <Card size="small" title={t('agreement.lowestPairs')}>
          <Table
            rowKey={(p) => `${p.annotator_a}|${p.annotator_b}`}
            size="small"
            dataSource={lowest}
            pagination={{ pageSize: 8, hideOnSinglePage: true }}
            data-testid="agreement-pairs"
            columns={[
              {
                title: t('agreement.annotatorA'),
                dataIndex: 'annotator_a',
                render: (id) => members.name(id),
              },
              {
                title: t('agreement.annotatorB'),
                dataIndex: 'annotator_b',
                render: (id) => members.name(id),
              },
              { title: t('agreement.tasks'), dataIndex: 'tasks', align: 'right' },
              {
                title: t('agreement.meanScore'),
                dataIndex: 'mean_score',
                align: 'right',
                render: (v: number) => score(v),
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}

function TrendSection({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(29, 'day').startOf('day'),
    dayjs().endOf('day'),
  ]);
  const from = range[0].startOf('day').toISOString();
  const to = range[1].add(1, 'day').startOf('day').toISOString();
  const trend = useQuery(qualityQueries.trend(projectId, from, to));
  return (
    <Card
      title={t('trend.title')}
      extra={
        <DatePicker.RangePicker
          aria-label={t('trend.range')}
          value={range}
          allowClear={false}
          onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
        />
      }
    >
      {trend.error ? (
        <ProblemAlert error={trend.error} />
      ) : trend.isPending ? (
        <Loading />
      ) : trend.data.days.length ? (
        <TrendChart days={trend.data.days} />
      ) : (
        <Empty description={t('trend.none')} />
      )}
    </Card>
  );
}

function TrendChart({ days }: { days: Day[] }) {
  const { t } = useTranslation('quality');
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 56, bottom: 32, top: 40 },
      xAxis: { type: 'category', data: days.map((d) => d.day) },
      yAxis: [
        { type: 'value', name: t('trend.meanTotal'), min: 0, max: 1 },
        { type: 'value', name: t('trend.count'), minInterval: 1 },
      ],
      series: [
        {
          name: t('trend.meanTotal'),
          type: 'line',
          connectNulls: true,
          data: days.map((d) => d.mean_total),
        },
        {
          name: t('trend.scored'),
          type: 'bar',
          yAxisIndex: 1,
          barMaxWidth: 32,
          data: days.map((d) => d.scored),
        },
        {
          name: t('trend.issues'),
          type: 'bar',
          yAxisIndex: 1,
          barMaxWidth: 32,
          data: days.map((d) => d.issues),
        },
      ],
    }),
    [days, t],
  );
  return (
    <div data-testid="quality-trend">
      <Chart option={option} label={t('trend.title')} />
    </div>
  );
}

function RankingSection({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const score = useScore();
  const f = useFormat();
  const queryClient = useQueryClient();
  const ranking = useQuery(qualityQueries.ranking(projectId));
  const [settings, setSettings] = useState(false);
  const rescore = useMutation({
    mutationFn: () =>
      must(api.POST('/api/v1/projects/{id}/quality/scores/runs', { params: { path: { id: projectId } } })),
  });
  const job = useJob(rescore.data?.job_id, { done: t('ranking.done'), failed: t('ranking.failed') });
  const jobState = job.data?.status;
  useEffect(() => {
    if (jobState === 'completed')
      void queryClient.invalidateQueries({ queryKey: qualityKeys.all(projectId) });
  }, [jobState, projectId, queryClient]);
  return (
    <Card
      title={t('ranking.title')}
      extra={
        <Space wrap>
          <Button onClick={() => setSettings(true)}>{t('scoring.title')}</Button>
          {can(me.data, 'quality:manage') ? (
            <Button loading={rescore.isPending || jobRunning(jobState)} onClick={() => rescore.mutate()}>
              {t('ranking.rescore')}
            </Button>
          ) : null}
        </Space>
      }
    >
      {settings ? <ScoringDialog projectId={projectId} onClose={() => setSettings(false)} /> : null}
      <JobProgress job={job.data} label={t('ranking.job')} testId="rescore-job" />
      <ProblemAlert error={ranking.error ?? rescore.error ?? job.error} />
      <Table<Ranked>
        rowKey="user_id"
        size="small"
        loading={ranking.isPending}
        dataSource={ranking.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: true }}
        data-testid="ranking"
        locale={{ emptyText: t('ranking.none') }}
        columns={[
          { title: t('ranking.rank'), dataIndex: 'rank', width: 64 },
          {
            title: t('ranking.annotator'),
            key: 'who',
            render: (_, r) => r.name || r.email || r.user_id,
          },
          { title: t('ranking.total'), dataIndex: 'total', align: 'right', render: (v: number) => score(v) },
          { title: t('dimension.accuracy'), dataIndex: 'accuracy', align: 'right', render: score },
          { title: t('dimension.completeness'), dataIndex: 'completeness', align: 'right', render: score },
          { title: t('dimension.timeliness'), dataIndex: 'timeliness', align: 'right', render: score },
          { title: t('dimension.consistency'), dataIndex: 'consistency', align: 'right', render: score },
          {
            title: t('ranking.annotations'),
            dataIndex: 'annotations',
            align: 'right',
            render: (v: number) => f.number(v),
          },
          {
            title: t('ranking.gold'),
            dataIndex: 'gold_compared',
            align: 'right',
            render: (v: number) => f.number(v),
          },
          { title: t('ranking.computedAt'), dataIndex: 'computed_at', render: (d: string) => f.date(d) },
        ]}
      />
    </Card>
  );
}

type ScoringForm = Omit<GetResponse<'/api/v1/projects/{id}/quality/config'>, 'project' | 'updated_at'>;

/** How annotations are scored: dimension weights (adding up to 1), required controls, pace, gold share. */
function ScoringDialog({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ScoringForm>();
  const manage = can(me.data, 'quality:manage');
  const config = useQuery(qualityQueries.scoring(projectId));
  const save = useMutation({
    mutationFn: (body: ScoringForm) =>
      must(api.PUT('/api/v1/projects/{id}/quality/config', { params: { path: { id: projectId } }, body })),
    onSuccess: (c) => {
      queryClient.setQueryData(qualityKeys.scoring(projectId), c);
      void message.success(t('scoring.saved'));
      onClose();
    },
  });
  const weights = Form.useWatch('weights', form);
  const total = SCORE_DIMENSIONS.reduce((sum, d) => sum + (weights?.[d] ?? 0), 0);
  return (
    <Modal
      open
      title={t('scoring.title')}
      okText={t('common:save')}
      okButtonProps={{ disabled: !manage || !config.data }}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      {config.isPending ? (
        <Loading />
      ) : config.error ? (
        <ProblemAlert error={config.error} />
      ) : (
        <Form<ScoringForm>
          form={form}
          layout="vertical"
          disabled={!manage}
          initialValues={config.data}
          onFinish={(v) => save.mutate(v)}
        >
          <Typography.Text type="secondary">{t('scoring.weightsHelp')}</Typography.Text>
          <Row gutter={12} style={{ marginTop: 8 }}>
            {SCORE_DIMENSIONS.map((d) => (
              <Col key={d} span={12}>
                <Form.Item name={['weights', d]} label={t(`dimension.${d}`)} rules={[{ required: true }]}>
                  <InputNumber min={0} max={1} step={0.05} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            ))}
          </Row>
          <Typography.Text
            type={Math.abs(total - 1) > 1e-6 ? 'danger' : 'secondary'}
            data-testid="weights-total"
          >
            {t('scoring.weightsTotal', { total: Math.round(total * 1000) / 1000 })}
          </Typography.Text>
          <Form.Item
            name="required_fields"
            label={t('scoring.requiredFields')}
            extra={t('config.controlsHelp')}
            style={{ marginTop: 12 }}
          >
            <Select mode="tags" open={false} aria-label={t('scoring.requiredFields')} />
          </Form.Item>
          <Form.Item
            name="expected_duration_seconds"
            label={t('scoring.expectedDuration')}
            extra={t('scoring.expectedDurationHelp')}
          >
            <InputNumber min={1} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="gold_ratio" label={t('scoring.goldRatio')} extra={t('scoring.goldRatioHelp')}>
            <InputNumber min={0} max={1} step={0.05} style={{ width: '100%' }} />
          </Form.Item>
        </Form>
      )}
      <ProblemAlert error={save.error} />
    </Modal>
  );
}
