import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Row,
  Segmented,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type GetResponse, must } from '../../api/client';
import { ALERT_METRICS, ALERT_STATES, CHANNELS } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Notifications } from './Notifications';
import { qualityKeys, qualityQueries } from './queries';
import { AnnotationLink, SeverityTag, useMembers, useProjectId, useScore } from './shared';

type Alert = GetResponse<'/api/v1/projects/{projectId}/quality/alerts'>['items'][number];
type Config = GetResponse<'/api/v1/projects/{projectId}/quality/alert-config'>;
type Filter = (typeof ALERT_STATES)[number] | 'all';
type Action = 'acknowledge' | 'resolve' | 'escalate';
const STATUS_COLORS: Record<string, string> = { open: 'red', acknowledged: 'gold', resolved: 'green' };

/** The alerts inbox, the project's alert configuration and the caller's notifications. */
export function AlertsTab() {
  const projectId = useProjectId();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Inbox projectId={projectId} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <ConfigCard projectId={projectId} />
        </Col>
        <Col xs={24} xl={10}>
          <Notifications />
        </Col>
      </Row>
    </Space>
  );
}

function Inbox({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const score = useScore();
  const members = useMembers(projectId);
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<Filter>('open');
  const alerts = useQuery(qualityQueries.alerts(projectId, filter));
  const refresh = () => queryClient.invalidateQueries({ queryKey: qualityKeys.alerts(projectId) });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: number; action: Action }) =>
      must(api.POST('/api/v1/quality/alerts/{id}/actions', { params: { path: { id } }, body: { action } })),
    onSuccess: refresh,
  });
  const evaluate = useMutation({
    mutationFn: () =>
      must(
        api.POST('/api/v1/projects/{projectId}/quality/alerts/evaluate', { params: { path: { projectId } } }),
      ),
    onSuccess: (r) => {
      void refresh();
      void message.info(t('alerts.evaluated', { raised: r.raised.length, escalated: r.escalated.length }));
    },
  });
  const review = can(me.data, 'quality:review');
  return (
    <Card
      title={t('alerts.title')}
      extra={
        <Space wrap>
          <Segmented<Filter>
            value={filter}
            onChange={setFilter}
            options={[...ALERT_STATES, 'all' as const].map((s) => ({
              value: s,
              label: t(`alertStatus.${s}`),
            }))}
          />
          {can(me.data, 'quality:manage') ? (
            <Button loading={evaluate.isPending} onClick={() => evaluate.mutate()}>
              {t('alerts.evaluate')}
            </Button>
          ) : null}
        </Space>
      }
    >
      <ProblemAlert error={alerts.error ?? act.error ?? evaluate.error} style={{ marginBottom: 12 }} />
      <Table<Alert>
        rowKey="id"
        size="small"
        loading={alerts.isPending}
        dataSource={alerts.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: true }}
        data-testid="alerts"
        locale={{ emptyText: t('alerts.none') }}
        columns={[
          {
            title: t('alerts.severity'),
            dataIndex: 'severity',
            render: (s: string) => <SeverityTag severity={s} />,
          },
          {
            title: t('alerts.metric'),
            dataIndex: 'metric',
            render: (m: string) => t(`dimension.${m}`, { defaultValue: m }),
          },
          {
            title: t('alerts.value'),
            key: 'value',
            align: 'right',
            render: (_, a) =>
              t('alerts.valueBelow', { value: score(a.value), threshold: score(a.threshold) }),
          },
          {
            title: t('alerts.annotation'),
            key: 'annotation',
            render: (_, a) =>
              a.annotation_id === null ? null : (
                <AnnotationLink projectId={a.project_id} annotationId={a.annotation_id} taskId={a.task_id} />
              ),
          },
          {
            // The stored message is English; the same facts, in the console's language.
            title: t('alerts.message'),
            key: 'message',
            render: (_, a) =>
              t('alertMessage', {
                metric: t(`dimension.${a.metric}`, { defaultValue: a.metric }),
                value: score(a.value),
                threshold: score(a.threshold),
              }),
          },
          {
            title: t('alerts.status'),
            dataIndex: 'status',
            render: (s: string, a) => (
              <Space orientation="vertical" size={0}>
                <Tag color={STATUS_COLORS[s]}>{t(`alertStatus.${s}`, { defaultValue: s })}</Tag>
                {a.acknowledged_by ? (
                  <Typography.Text type="secondary">
                    {t('alerts.acknowledgedBy', { who: members.name(a.acknowledged_by) })}
                  </Typography.Text>
                ) : null}
              </Space>
            ),
          },
          { title: t('alerts.level'), dataIndex: 'escalation_level', align: 'right' },
          { title: t('alerts.raised'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, a) =>
              review && a.status !== 'resolved' ? (
                <Space size={4}>
                  {(a.status === 'open'
                    ? (['acknowledge', 'resolve', 'escalate'] as const)
                    : (['resolve', 'escalate'] as const)
                  ).map((action) => (
                    <Button
                      key={action}
                      size="small"
                      loading={act.isPending && act.variables?.id === a.id && act.variables.action === action}
                      onClick={() => act.mutate({ id: a.id, action })}
                    >
                      {t(`alerts.action.${action}`)}
                    </Button>
                  ))}
                </Space>
              ) : null,
          },
        ]}
      />
    </Card>
  );
}

interface ConfigForm {
  enabled: boolean;
  thresholds: Partial<Record<(typeof ALERT_METRICS)[number], number | null>>;
  channels: (typeof CHANNELS)[number][];
  user_ids: string[];
  emails: string[];
  webhook_url?: string | null;
  webhook_secret?: string;
  silence_until?: Dayjs | null;
  escalate_after_hours?: number | null;
  escalation_user_ids: string[];
  escalation_emails: string[];
}

function toForm(c: Config | undefined): ConfigForm {
  return {
    enabled: c?.enabled ?? true,
    thresholds: c?.thresholds ?? { total: 0.7 },
    channels: (c?.channels ?? ['in_app']) as ConfigForm['channels'],
    user_ids: c?.recipients.user_ids ?? [],
    emails: c?.recipients.emails ?? [],
    webhook_url: c?.webhook_url ?? null,
    silence_until: c?.silence_until ? dayjs(c.silence_until) : null,
    escalate_after_hours: c?.escalate_after_hours ?? null,
    escalation_user_ids: c?.escalation_recipients?.user_ids ?? [],
    escalation_emails: c?.escalation_recipients?.emails ?? [],
  };
}

function ConfigCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const members = useMembers(projectId);
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<ConfigForm>();
  const manage = can(me.data, 'quality:manage');
  const config = useQuery({
    ...qualityQueries.alertConfig(projectId),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
  const missing = config.error instanceof ApiError && config.error.status === 404;
  useEffect(() => {
    if (config.data || missing) form.setFieldsValue(toForm(config.data));
  }, [config.data, missing, form]);
  const save = useMutation({
    mutationFn: (v: ConfigForm) =>
      must(
        api.PUT('/api/v1/projects/{projectId}/quality/alert-config', {
          params: { path: { projectId } },
          body: {
            enabled: v.enabled,
            thresholds: Object.fromEntries(
              Object.entries(v.thresholds ?? {}).filter(([, x]) => typeof x === 'number'),
            ),
            channels: v.channels,
            recipients: { user_ids: v.user_ids, emails: v.emails },
            webhook_url: v.webhook_url || null,
            webhook_secret: v.webhook_secret || undefined,
            silence_until: v.silence_until ? v.silence_until.toISOString() : null,
            escalate_after_hours: v.escalate_after_hours ?? null,
            escalation_recipients:
              v.escalation_user_ids.length || v.escalation_emails.length
                ? { user_ids: v.escalation_user_ids, emails: v.escalation_emails }
                : null,
          },
        }),
      ),
    onSuccess: (c) => {
      queryClient.setQueryData(qualityKeys.alertConfig(projectId), c);
      void message.success(t('alertConfig.saved'));
    },
  });
  if (config.isPending) return <Loading />;
  return (
    <Card
      title={t('alertConfig.title')}
      extra={
        config.data
          ? t('alertConfig.updated', { at: f.date(config.data.updated_at) })
          : t('alertConfig.notSet')
      }
    >
      <ProblemAlert error={(missing ? null : config.error) ?? save.error} style={{ marginBottom: 12 }} />
      <Form<ConfigForm>
        form={form}
        layout="vertical"
        disabled={!manage}
        initialValues={toForm(undefined)}
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item name="enabled" label={t('alertConfig.enabled')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Typography.Text type="secondary">{t('alertConfig.thresholdsHelp')}</Typography.Text>
        <Row gutter={12} style={{ marginTop: 8 }}>
          {ALERT_METRICS.map((m) => (
            <Col key={m} xs={12} md={8}>
              <Form.Item name={['thresholds', m]} label={t(`dimension.${m}`)}>
                <InputNumber min={0} max={1} step={0.05} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          ))}
        </Row>
        <Form.Item name="channels" label={t('alertConfig.channels')}>
          <Checkbox.Group options={CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))} />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} md={12}>
            <Form.Item name="user_ids" label={t('alertConfig.recipients')}>
              <Select mode="multiple" optionFilterProp="label" options={members.options} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="emails" label={t('alertConfig.emails')} extra={t('alertConfig.emailsHelp')}>
              <Select mode="tags" open={false} aria-label={t('alertConfig.emails')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="webhook_url" label={t('alertConfig.webhookUrl')}>
              <Input type="url" maxLength={2000} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              name="webhook_secret"
              label={t('alertConfig.webhookSecret')}
              extra={config.data?.webhook_secret_set ? t('alertConfig.secretSet') : undefined}
            >
              <Input.Password autoComplete="new-password" maxLength={500} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              name="silence_until"
              label={t('alertConfig.silenceUntil')}
              extra={t('alertConfig.silenceHelp')}
            >
              <DatePicker showTime style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item
              name="escalate_after_hours"
              label={t('alertConfig.escalateAfter')}
              extra={t('alertConfig.escalateHelp')}
            >
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="escalation_user_ids" label={t('alertConfig.escalationRecipients')}>
              <Select mode="multiple" optionFilterProp="label" options={members.options} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="escalation_emails" label={t('alertConfig.escalationEmails')}>
              <Select mode="tags" open={false} aria-label={t('alertConfig.escalationEmails')} />
            </Form.Item>
          </Col>
        </Row>
        {manage ? (
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('common:save')}
          </Button>
        ) : null}
      </Form>
    </Card>
  );
}
