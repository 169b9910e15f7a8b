import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Drawer,
  Empty,
  Form,
  Input,
  InputNumber,
  List,
  Modal,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { RULE_TYPES, SEVERITIES } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJob } from '../../lib/jobs';
import { can, useMe } from '../../lib/session';
import { qualityKeys, qualityQueries } from './queries';
import { JobProgress, jobRunning, type Severity, SeverityTag, useMembers, useProjectId } from './shared';

type Rule = GetResponse<'/api/v1/projects/{projectId}/quality/rules'>['items'][number];
type CheckResult = GetResponse<'/api/v1/projects/{projectId}/quality/check-results'>['items'][number];
type RuleType = (typeof RULE_TYPES)[number];

interface RuleForm {
  name: string;
  type: RuleType;
  severity: Severity;
  priority: number;
  enabled: boolean;
  config: Record<string, unknown>;
}

/** The project's rules (create, edit, versions, enable), templates to apply, and batch checks. */
export function RulesTab() {
  const projectId = useProjectId();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <RulesCard projectId={projectId} />
      <TemplatesCard projectId={projectId} />
      <FailuresCard projectId={projectId} />
    </Space>
  );
}

function RulesCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const f = useFormat();
  const queryClient = useQueryClient();
  const manage = can(me.data, 'quality:manage');
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [versionsOf, setVersionsOf] = useState<Rule | null>(null);
  const rules = useQuery(qualityQueries.rules(projectId));
  const names = useBuiltInNames();
  const refresh = () => queryClient.invalidateQueries({ queryKey: qualityKeys.rules(projectId) });
  const toggle = useMutation({
    mutationFn: (r: Rule) =>
      must(
        api.PATCH('/api/v1/quality/rules/{id}', {
          params: { path: { id: r.id } },
          body: { enabled: !r.enabled },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) => must(api.DELETE('/api/v1/quality/rules/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const run = useMutation({
    mutationFn: () =>
      must(api.POST('/api/v1/projects/{projectId}/quality/checks', { params: { path: { projectId } } })),
  });
  const job = useJob(run.data?.job_id, { done: t('checks.done'), failed: t('checks.failed') });
  const jobState = job.data?.status;
  useEffect(() => {
    if (jobState === 'completed')
      void queryClient.invalidateQueries({ queryKey: qualityKeys.all(projectId) });
  }, [jobState, projectId, queryClient]);
  const counts = job.data?.result as
    | { checked?: number; failed?: number; issues?: number }
    | null
    | undefined;

  return (
    <Card
      title={t('rules.title')}
      extra={
        manage ? (
          <Space wrap>
            <Button onClick={() => setEditing('new')}>{t('rules.create')}</Button>
            <Button
              type="primary"
              loading={run.isPending || jobRunning(jobState)}
              onClick={() => run.mutate()}
            >
              {t('checks.run')}
            </Button>
          </Space>
        ) : null
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <JobProgress job={job.data} label={t('checks.job')} testId="checks-job" />
        {jobState === 'completed' && counts ? (
          <Typography.Text data-testid="checks-result">
            {t('checks.result', {
              checked: counts.checked ?? 0,
              failed: counts.failed ?? 0,
              issues: counts.issues ?? 0,
            })}
          </Typography.Text>
        ) : null}
        <ProblemAlert error={rules.error ?? toggle.error ?? remove.error ?? run.error ?? job.error} />
        <Table<Rule>
          rowKey="id"
          size="small"
          loading={rules.isPending}
          dataSource={rules.data?.items ?? []}
          pagination={false}
          scroll={{ x: true }}
          data-testid="rules"
          locale={{ emptyText: t('rules.none') }}
          columns={[
            { title: t('rules.name'), dataIndex: 'name', render: (_: string, r) => names.rule(r) },
            { title: t('rules.type'), dataIndex: 'type', render: (v: string) => t(`ruleType.${v}`) },
            {
              title: t('rules.config'),
              dataIndex: 'config',
              render: (c: object) => <ConfigText config={c} />,
            },
            {
              title: t('rules.severity'),
              dataIndex: 'severity',
              render: (s: string) => <SeverityTag severity={s} />,
            },
            { title: t('rules.priority'), dataIndex: 'priority', align: 'right' },
            {
              title: t('rules.enabled'),
              dataIndex: 'enabled',
              render: (on: boolean, r) => (
                <Switch
                  checked={on}
                  disabled={!manage}
                  loading={toggle.isPending && toggle.variables?.id === r.id}
                  aria-label={t('rules.enableRule', { name: r.name })}
                  onChange={() => toggle.mutate(r)}
                />
              ),
            },
            { title: t('rules.version'), dataIndex: 'version', render: (v: number) => `v${v}` },
            {
              title: t('rules.template'),
              dataIndex: 'template',
              render: (v: string | null) => (v ? <Tag>{names.template(v)}</Tag> : null),
            },
            { title: t('rules.updated'), dataIndex: 'updated_at', render: (d: string) => f.date(d) },
            {
              title: t('common:actions'),
              key: 'actions',
              render: (_, r) => (
                <Space>
                  <Button size="small" onClick={() => setVersionsOf(r)}>
                    {t('rules.versions')}
                  </Button>
                  {manage ? (
                    <>
                      <Button size="small" onClick={() => setEditing(r)}>
                        {t('rules.edit')}
                      </Button>
                      <Popconfirm title={t('rules.deleteConfirm')} onConfirm={() => remove.mutate(r.id)}>
                        <Button size="small" danger>
                          {t('common:delete')}
                        </Button>
                      </Popconfirm>
                    </>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </Space>
      {editing ? (
        <RuleDialog
          projectId={projectId}
          rule={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            void refresh();
          }}
        />
      ) : null}
      {versionsOf ? <VersionsDrawer rule={versionsOf} onClose={() => setVersionsOf(null)} /> : null}
    </Card>
  );
}

function ConfigText({ config }: { config: object }) {
  const entries = Object.entries(config);
  if (!entries.length) return null;
  return (
    <Typography.Text code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}
    </Typography.Text>
  );
}

/** The config fields of each rule type, as the API documents them. */
function ConfigFields({ type }: { type: RuleType }) {
  const { t } = useTranslation('quality');
  const control = (
    <Form.Item name={['config', 'control']} label={t('config.control')} extra={t('config.controlHelp')}>
      <Input maxLength={200} />
    </Form.Item>
  );
  switch (type) {
    case 'required':
      return (
        <Form.Item
          name={['config', 'controls']}
          label={t('config.controls')}
          extra={t('config.controlsHelp')}
        >
          <Select mode="tags" open={false} aria-label={t('config.controls')} />
        </Form.Item>
      );
    case 'regex':
      return (
        <>
          <Form.Item
            name={['config', 'pattern']}
            label={t('config.pattern')}
            rules={[{ required: true, message: t('config.required') }]}
          >
            <Input maxLength={1000} />
          </Form.Item>
          <Form.Item name={['config', 'flags']} label={t('config.flags')}>
            <Input maxLength={10} />
          </Form.Item>
          {control}
        </>
      );
    case 'text_length':
      return (
        <>
          <Form.Item name={['config', 'min']} label={t('config.min')}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
          <Form.Item name={['config', 'max']} label={t('config.max')}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
          {control}
        </>
      );
    case 'no_overlap':
      return control;
    case 'allowed_labels':
      return (
        <>
          <Form.Item name={['config', 'labels']} label={t('config.labels')} extra={t('config.labelsHelp')}>
            <Select mode="tags" open={false} aria-label={t('config.labels')} />
          </Form.Item>
          {control}
        </>
      );
    case 'min_lead_time':
      return (
        <Form.Item
          name={['config', 'seconds']}
          label={t('config.seconds')}
          rules={[{ required: true, message: t('config.required') }]}
        >
          <InputNumber min={0} />
        </Form.Item>
      );
    case 'agreement':
      return (
        <Form.Item
          name={['config', 'threshold']}
          label={t('config.threshold')}
          extra={t('config.thresholdHelp')}
          rules={[{ required: true, message: t('config.required') }]}
        >
          <InputNumber min={0} max={1} step={0.05} />
        </Form.Item>
      );
    case 'expression':
      return (
        <>
          <Form.Item
            name={['config', 'expression']}
            label={t('config.expression')}
            extra={t('config.expressionHelp')}
            rules={[{ required: true, message: t('config.required') }]}
          >
            <Input.TextArea rows={3} maxLength={5000} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
          <Form.Item name={['config', 'message']} label={t('config.message')}>
            <Input maxLength={500} />
          </Form.Item>
        </>
      );
  }
}

/** Leaves out config fields left empty, so the API applies its defaults. */
function cleanConfig(config: Record<string, unknown> | undefined) {
  return Object.fromEntries(
    Object.entries(config ?? {}).filter(
      ([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length),
    ),
  );
}

function RuleDialog({
  projectId,
  rule,
  onClose,
  onDone,
}: {
  projectId: number;
  rule: Rule | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation('quality');
  const [form] = Form.useForm<RuleForm>();
  const type = Form.useWatch('type', form) ?? (rule?.type as RuleType | undefined) ?? 'required';
  const save = useMutation({
    mutationFn: (v: RuleForm) => {
      const body = {
        name: v.name,
        severity: v.severity,
        priority: v.priority,
        enabled: v.enabled,
        config: cleanConfig(v.config),
      };
      return rule
        ? must(api.PATCH('/api/v1/quality/rules/{id}', { params: { path: { id: rule.id } }, body }))
        : must(
            api.POST('/api/v1/projects/{projectId}/quality/rules', {
              params: { path: { projectId } },
              body: { ...body, type: v.type },
            }),
          );
    },
    onSuccess: onDone,
  });
  return (
    <Modal
      open
      title={rule ? t('rules.editTitle', { name: rule.name }) : t('rules.create')}
      okText={rule ? t('common:save') : t('common:create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      <Form<RuleForm>
        form={form}
        layout="vertical"
        initialValues={
          rule
            ? { ...rule, type: rule.type as RuleType, severity: rule.severity as Severity }
            : { type: 'required', severity: 'medium', priority: 0, enabled: true, config: {} }
        }
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item
          name="name"
          label={t('rules.name')}
          rules={[{ required: true, message: t('rules.nameHelp') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="type" label={t('rules.type')} extra={rule ? t('rules.typeFixed') : undefined}>
          <Select
            disabled={!!rule}
            showSearch
            optionFilterProp="label"
            data-testid="rule-type"
            options={RULE_TYPES.map((v) => ({ value: v, label: t(`ruleType.${v}`) }))}
          />
        </Form.Item>
        <ConfigFields type={type} />
        <Space wrap size="large">
          <Form.Item name="severity" label={t('rules.severity')}>
            <Select
              style={{ minWidth: 140 }}
              options={SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))}
            />
          </Form.Item>
          <Form.Item name="priority" label={t('rules.priority')} extra={t('rules.priorityHelp')}>
            <InputNumber precision={0} />
          </Form.Item>
          <Form.Item name="enabled" label={t('rules.enabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
      </Form>
      <ProblemAlert error={save.error} />
    </Modal>
  );
}

function VersionsDrawer({ rule, onClose }: { rule: Rule; onClose: () => void }) {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const members = useMembers(rule.project_id);
  const versions = useQuery(qualityQueries.ruleVersions(rule.project_id, rule.id));
  const items = (versions.data?.items ?? []) as Record<string, unknown>[];
  return (
    <Drawer open onClose={onClose} size="large" title={t('rules.versionsOf', { name: rule.name })}>
      <ProblemAlert error={versions.error} />
      <List
        loading={versions.isPending}
        dataSource={[...items].reverse()}
        renderItem={(v) => (
          <List.Item key={String(v.version)}>
            <List.Item.Meta
              title={
                <Space wrap>
                  <Tag>{`v${v.version}`}</Tag>
                  <span>{String(v.name ?? '')}</span>
                  {typeof v.severity === 'string' ? <SeverityTag severity={v.severity} /> : null}
                  {v.enabled === false ? <Tag>{t('rules.disabled')}</Tag> : null}
                </Space>
              }
              description={
                <Space orientation="vertical" size={0}>
                  <span>
                    {t('rules.changedBy', {
                      who: members.name(v.changed_by as string | null),
                      at: f.date(v.created_at as string),
                    })}
                  </span>
                  <span>{t('rules.priorityIs', { priority: String(v.priority ?? '') })}</span>
                  {v.config && typeof v.config === 'object' ? <ConfigText config={v.config} /> : null}
                </Space>
              }
            />
          </List.Item>
        )}
      />
    </Drawer>
  );
}

/**
 * Built-in templates are seeded in English (the API keeps those words); the console names
 * them, and the rules applied from them while they keep their seeded name, in the user's
 * language, by template key and rule type.
 */
function useBuiltInNames() {
  const { t } = useTranslation('quality');
  const templates = useQuery(qualityQueries.ruleTemplates());
  const builtIn = new Map((templates.data?.items ?? []).filter((x) => x.built_in).map((x) => [x.name, x]));
  return {
    template: (name: string) =>
      builtIn.has(name) ? t(`builtInTemplates.${name}.name`, { defaultValue: name }) : name,
    description: (name: string, description: string) =>
      builtIn.has(name)
        ? t(`builtInTemplates.${name}.description`, { defaultValue: description })
        : description,
    rule: (r: { name: unknown; type: unknown; template?: string | null }) => {
      const seeded = r.template
        ? builtIn.get(r.template)?.rules.some((x) => x.type === r.type && x.name === r.name)
        : false;
      return seeded
        ? t(`builtInTemplates.${r.template}.rules.${String(r.type)}`, { defaultValue: String(r.name) })
        : String(r.name);
    },
  };
}

function TemplatesCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const templates = useQuery(qualityQueries.ruleTemplates());
  const names = useBuiltInNames();
  const apply = useMutation({
    mutationFn: (name: string) =>
      must(
        api.POST('/api/v1/projects/{projectId}/quality/rule-templates/{name}/apply', {
          params: { path: { projectId, name } },
        }),
      ),
    onSuccess: (added, name) => {
      void queryClient.invalidateQueries({ queryKey: qualityKeys.rules(projectId) });
      void message.success(t('templates.applied', { name: names.template(name), count: added.items.length }));
    },
  });
  return (
    <Card title={t('templates.title')}>
      <ProblemAlert error={templates.error ?? apply.error} />
      <List
        loading={templates.isPending}
        dataSource={templates.data?.items ?? []}
        locale={{ emptyText: <Empty description={t('templates.none')} /> }}
        renderItem={(tpl) => (
          <List.Item
            key={tpl.name}
            actions={
              can(me.data, 'quality:manage')
                ? [
                    <Button
                      key="apply"
                      size="small"
                      loading={apply.isPending && apply.variables === tpl.name}
                      onClick={() => apply.mutate(tpl.name)}
                      aria-label={t('templates.applyNamed', { name: names.template(tpl.name) })}
                    >
                      {t('templates.apply')}
                    </Button>,
                  ]
                : []
            }
          >
            <List.Item.Meta
              title={
                <Space>
                  <span>{names.template(tpl.name)}</span>
                  {tpl.built_in ? <Tag>{t('templates.builtIn')}</Tag> : null}
                </Space>
              }
              description={
                <Space orientation="vertical" size={0}>
                  <span>{names.description(tpl.name, tpl.description)}</span>
                  <span>
                    {tpl.rules.map((r) => (
                      <Tag key={String(r.name)}>
                        {names.rule({ name: r.name, type: r.type, template: tpl.name })}
                      </Tag>
                    ))}
                  </span>
                </Space>
              }
            />
          </List.Item>
        )}
      />
    </Card>
  );
}

function FailuresCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const failures = useQuery(qualityQueries.checkFailures(projectId));
  const rules = useQuery(qualityQueries.rules(projectId));
  const ruleName = new Map((rules.data?.items ?? []).map((r) => [r.id, r.name]));
  return (
    <Card title={t('checks.failures')}>
      <ProblemAlert error={failures.error} />
      <Table<CheckResult>
        rowKey="id"
        size="small"
        loading={failures.isPending}
        dataSource={failures.data?.items ?? []}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: t('checks.noFailures') }}
        columns={[
          { title: t('issues.annotation'), dataIndex: 'annotation_id' },
          {
            title: t('issues.rule'),
            dataIndex: 'rule_id',
            render: (id: number, r) => `${ruleName.get(id) ?? id} v${r.rule_version}`,
          },
          { title: t('issues.message'), dataIndex: 'message' },
          { title: t('checks.checkedAt'), dataIndex: 'checked_at', render: (d: string) => f.date(d) },
        ]}
      />
    </Card>
  );
}
