import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Checkbox,
  DatePicker,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { CHANNELS, REPORT_FORMATS, REPORTS } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { qualityKeys, qualityQueries } from './queries';
import { useMembers, useProjectId } from './shared';

type Run = GetResponse<'/api/v1/projects/{projectId}/quality/report-runs'>['items'][number];
type Schedule = GetResponse<'/api/v1/projects/{projectId}/quality/report-schedules'>['items'][number];
type Report = (typeof REPORTS)[number];
type Format = (typeof REPORT_FORMATS)[number];
const RUN_COLORS: Record<string, string> = {
  queued: 'default',
  running: 'blue',
  completed: 'green',
  failed: 'red',
};
const FINISHED = new Set(['completed', 'failed']);
/** Five fields, as the API takes them (it checks the values). */
const CRON = /^\s*\S+(\s+\S+){4}\s*$/;

/** Report runs (generate, follow, download) and scheduled reports. */
export function ReportsTab() {
  const projectId = useProjectId();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <GenerateCard projectId={projectId} />
      <RunsCard projectId={projectId} />
      <SchedulesCard projectId={projectId} />
    </Space>
  );
}

function GenerateCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const queryClient = useQueryClient();
  const [report, setReport] = useState<Report>('summary');
  const [format, setFormat] = useState<Format>('xlsx');
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(29, 'day').startOf('day'),
    dayjs(),
  ]);
  const from = range[0].startOf('day').toISOString();
  const to = range[1].add(1, 'day').startOf('day').toISOString();
  const generate = useMutation({
    mutationFn: () =>
      must(
        api.POST('/api/v1/projects/{projectId}/quality/report-runs', {
          params: { path: { projectId } },
          body: { report, format, from, to },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: qualityKeys.reportRuns(projectId) }),
  });
  const runId = generate.data?.id;
  const run = useQuery({
    ...qualityQueries.reportRun(runId),
    enabled: runId !== undefined,
    refetchInterval: (q) => (q.state.data && FINISHED.has(q.state.data.status) ? false : 500),
  });
  const status = run.data?.status;
  const query = new URLSearchParams({ format, from, to }).toString();
  return (
    <Card title={t('reports.generate')}>
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <Space wrap>
          <Select<Report>
            aria-label={t('reports.report')}
            data-testid="report-type"
            showSearch
            optionFilterProp="label"
            style={{ minWidth: 160 }}
            value={report}
            onChange={setReport}
            options={REPORTS.map((r) => ({ value: r, label: t(`reportType.${r}`) }))}
          />
          <Select<Format>
            aria-label={t('reports.format')}
            data-testid="report-format"
            showSearch
            optionFilterProp="label"
            style={{ minWidth: 120 }}
            value={format}
            onChange={setFormat}
            options={REPORT_FORMATS.map((x) => ({ value: x, label: t(`format.${x}`) }))}
          />
          <DatePicker.RangePicker
            aria-label={t('reports.period')}
            value={range}
            allowClear={false}
            onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
          />
          {can(me.data, 'quality:review') ? (
            <Button
              type="primary"
              loading={generate.isPending || (status !== undefined && !FINISHED.has(status))}
              onClick={() => generate.mutate()}
            >
              {t('reports.run')}
            </Button>
          ) : null}
          <Button href={`/api/v1/projects/${projectId}/quality/reports/${report}?${query}`} download>
            {t('reports.downloadNow')}
          </Button>
        </Space>
        {run.data ? (
          <Space data-testid="report-run">
            <Typography.Text>{t('reports.runOf', { id: run.data.id })}</Typography.Text>
            <Tag color={RUN_COLORS[run.data.status]}>
              {t(`common:job.state.${run.data.status}`, { defaultValue: run.data.status })}
            </Tag>
            {run.data.status === 'completed' ? <DownloadRun run={run.data} /> : null}
            {run.data.error ? <Typography.Text type="danger">{run.data.error}</Typography.Text> : null}
          </Space>
        ) : null}
        <ProblemAlert error={generate.error ?? run.error} />
      </Space>
    </Card>
  );
}

function DownloadRun({ run }: { run: Run }) {
  const { t } = useTranslation('quality');
  return (
    <Button type="link" href={`/api/v1/quality/report-runs/${run.id}/content`} download>
      {t('reports.download', { format: t(`format.${run.format}`, { defaultValue: run.format }) })}
    </Button>
  );
}

function RunsCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const runs = useQuery({
    ...qualityQueries.reportRuns(projectId),
    refetchInterval: (q) => (q.state.data?.items.some((r) => !FINISHED.has(r.status)) ? 1000 : false),
  });
  return (
    <Card title={t('reports.runs')}>
      <ProblemAlert error={runs.error} />
      <Table<Run>
        rowKey="id"
        size="small"
        loading={runs.isPending}
        dataSource={runs.data?.items ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: true }}
        data-testid="report-runs"
        locale={{ emptyText: t('reports.noRuns') }}
        columns={[
          { title: t('reports.report'), dataIndex: 'report', render: (r: string) => t(`reportType.${r}`) },
          { title: t('reports.format'), dataIndex: 'format', render: (x: string) => t(`format.${x}`) },
          {
            title: t('reports.period'),
            key: 'period',
            render: (_, r) => `${f.date(r.period_from)} – ${f.date(r.period_to)}`,
          },
          {
            title: t('reports.status'),
            dataIndex: 'status',
            render: (s: string, r) => (
              <Space orientation="vertical" size={0}>
                <Tag color={RUN_COLORS[s]}>{t(`common:job.state.${s}`, { defaultValue: s })}</Tag>
                {r.error ? <Typography.Text type="danger">{r.error}</Typography.Text> : null}
              </Space>
            ),
          },
          { title: t('reports.rows'), dataIndex: 'row_count', align: 'right' },
          {
            title: t('reports.scheduled'),
            dataIndex: 'schedule_id',
            render: (id: number | null) => (id ? t('reports.bySchedule', { id }) : t('reports.manual')),
          },
          { title: t('reports.created'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          {
            title: t('common:actions'),
            key: 'download',
            render: (_, r) => (r.status === 'completed' ? <DownloadRun run={r} /> : null),
          },
        ]}
      />
    </Card>
  );
}

function SchedulesCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const queryClient = useQueryClient();
  const manage = can(me.data, 'quality:manage');
  const [creating, setCreating] = useState(false);
  const schedules = useQuery(qualityQueries.reportSchedules(projectId));
  const refresh = () => queryClient.invalidateQueries({ queryKey: qualityKeys.reportSchedules(projectId) });
  const toggle = useMutation({
    mutationFn: (s: Schedule) =>
      must(
        api.PATCH('/api/v1/quality/report-schedules/{id}', {
          params: { path: { id: s.id } },
          body: { enabled: !s.enabled },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      must(api.DELETE('/api/v1/quality/report-schedules/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  return (
    <Card
      title={t('schedules.title')}
      extra={manage ? <Button onClick={() => setCreating(true)}>{t('schedules.create')}</Button> : null}
    >
      <ProblemAlert error={schedules.error ?? toggle.error ?? remove.error} />
      <Table<Schedule>
        rowKey="id"
        size="small"
        loading={schedules.isPending}
        dataSource={schedules.data?.items ?? []}
        pagination={false}
        scroll={{ x: true }}
        data-testid="report-schedules"
        locale={{ emptyText: t('schedules.none') }}
        columns={[
          { title: t('reports.report'), dataIndex: 'report', render: (r: string) => t(`reportType.${r}`) },
          { title: t('reports.format'), dataIndex: 'format', render: (x: string) => t(`format.${x}`) },
          {
            title: t('schedules.cron'),
            dataIndex: 'cron',
            render: (c: string) => <Typography.Text code>{c}</Typography.Text>,
          },
          {
            title: t('schedules.channels'),
            dataIndex: 'channels',
            render: (cs: string[]) =>
              cs.map((c) => <Tag key={c}>{t(`channel.${c}`, { defaultValue: c })}</Tag>),
          },
          {
            title: t('schedules.enabled'),
            dataIndex: 'enabled',
            render: (on: boolean, s) => (
              <Switch
                checked={on}
                disabled={!manage}
                aria-label={t('schedules.enable', { cron: s.cron })}
                loading={toggle.isPending && toggle.variables?.id === s.id}
                onChange={() => toggle.mutate(s)}
              />
            ),
          },
          { title: t('schedules.next'), dataIndex: 'next_run_at', render: (d: string) => f.date(d) },
          { title: t('schedules.last'), dataIndex: 'last_run_at', render: (d: string | null) => f.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, s) =>
              manage ? (
                <Popconfirm title={t('schedules.deleteConfirm')} onConfirm={() => remove.mutate(s.id)}>
                  <Button size="small" danger>
                    {t('common:delete')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
      {creating ? (
        <ScheduleDialog
          projectId={projectId}
          onClose={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            void refresh();
          }}
        />
      ) : null}
    </Card>
  );
}

interface ScheduleForm {
  report: Report;
  format: Format;
  cron: string;
  channels: (typeof CHANNELS)[number][];
  user_ids: string[];
  emails: string[];
  enabled: boolean;
}

function ScheduleDialog({
  projectId,
  onClose,
  onDone,
}: {
  projectId: number;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation('quality');
  const members = useMembers(projectId);
  const [form] = Form.useForm<ScheduleForm>();
  const create = useMutation({
    mutationFn: (v: ScheduleForm) =>
      must(
        api.POST('/api/v1/projects/{projectId}/quality/report-schedules', {
          params: { path: { projectId } },
          body: {
            report: v.report,
            format: v.format,
            cron: v.cron.trim(),
            channels: v.channels,
            recipients: { user_ids: v.user_ids, emails: v.emails },
            enabled: v.enabled,
          },
        }),
      ),
    onSuccess: onDone,
  });
  return (
    <Modal
      open
      title={t('schedules.create')}
      okText={t('common:create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
      destroyOnHidden
    >
      <Form<ScheduleForm>
        form={form}
        layout="vertical"
        initialValues={{
          report: 'summary',
          format: 'xlsx',
          cron: '0 8 * * 1',
          channels: ['in_app'],
          user_ids: [],
          emails: [],
          enabled: true,
        }}
        onFinish={(v) => create.mutate(v)}
      >
        <Space wrap size="large">
          <Form.Item name="report" label={t('reports.report')}>
            <Select
              style={{ minWidth: 160 }}
              options={REPORTS.map((r) => ({ value: r, label: t(`reportType.${r}`) }))}
            />
          </Form.Item>
          <Form.Item name="format" label={t('reports.format')}>
            <Select
              style={{ minWidth: 120 }}
              options={REPORT_FORMATS.map((x) => ({ value: x, label: t(`format.${x}`) }))}
            />
          </Form.Item>
        </Space>
        <Form.Item
          name="cron"
          label={t('schedules.cron')}
          extra={t('schedules.cronHelp')}
          rules={[{ required: true, pattern: CRON, message: t('schedules.cronInvalid') }]}
        >
          <Input maxLength={100} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Form.Item
          name="channels"
          label={t('schedules.channels')}
          rules={[{ required: true, type: 'array', min: 1, message: t('schedules.channelsRequired') }]}
        >
          <Checkbox.Group options={CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))} />
        </Form.Item>
        <Form.Item name="user_ids" label={t('alertConfig.recipients')}>
          <Select mode="multiple" optionFilterProp="label" options={members.options} />
        </Form.Item>
        <Form.Item name="emails" label={t('alertConfig.emails')} extra={t('alertConfig.emailsHelp')}>
          <Select mode="tags" open={false} aria-label={t('alertConfig.emails')} />
        </Form.Item>
        <Form.Item name="enabled" label={t('schedules.enabled')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
      <ProblemAlert error={create.error} />
    </Modal>
  );
}
