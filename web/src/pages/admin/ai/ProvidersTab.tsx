import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Select,
  Space,
  Switch,
  Table,
  Tag,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { useFormat } from '../../../lib/format';
import { can, useMe } from '../../../lib/session';
import { aiKeys, configurationsQuery } from './queries';

type Configuration = Awaited<ReturnType<typeof configurationsQuery.queryFn>>['items'][number];
type TestResult = { ok: boolean; latency_ms: number; models: string[]; error: string | null };

const HEALTH_COLOR: Record<string, string> = { up: 'green', down: 'red', unknown: 'default' };

/** The tenant's provider configurations: health, breaker, key (••••last4), add, edit, test, delete. */
export function ProvidersTab() {
  const { t } = useTranslation('ai');
  const f = useFormat();
  const me = useMe();
  const manage = can(me.data, 'llm:manage');
  const queryClient = useQueryClient();
  const list = useQuery(configurationsQuery);
  const [editing, setEditing] = useState<Configuration | 'new' | null>(null);
  const [tested, setTested] = useState<{ id: number; result: TestResult } | null>(null);
  const test = useMutation({
    mutationFn: (id: number) =>
      must(api.POST('/api/v1/llm/configurations/{id}/test', { params: { path: { id } } })),
    onSuccess: (result, id) => {
      setTested({ id, result });
      void queryClient.invalidateQueries({ queryKey: aiKeys.configurations });
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      must(api.DELETE('/api/v1/llm/configurations/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: aiKeys.all }),
  });
  return (
    <>
      <ProblemAlert error={list.error ?? test.error ?? remove.error} style={{ marginBottom: 16 }} />
      {manage && (
        <Button type="primary" style={{ marginBottom: 16 }} onClick={() => setEditing('new')}>
          {t('providers.add')}
        </Button>
      )}
      {tested && (
        <Alert
          data-testid="test-result"
          style={{ marginBottom: 16 }}
          showIcon
          closable
          onClose={() => setTested(null)}
          type={tested.result.ok ? 'success' : 'error'}
          title={
            tested.result.ok
              ? t('providers.testOk', { ms: tested.result.latency_ms, count: tested.result.models.length })
              : t('providers.testFailed', { error: tested.result.error })
          }
          description={tested.result.models.join(', ')}
        />
      )}
      <Table
        rowKey="id"
        size="small"
        loading={list.isPending}
        dataSource={list.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('providers.name'), dataIndex: 'name' },
          {
            title: t('providers.provider'),
            dataIndex: 'provider',
            render: (p: string) => t(`providers.kinds.${p}`),
          },
          { title: t('providers.baseUrl'), dataIndex: 'base_url' },
          { title: t('providers.defaultModel'), dataIndex: 'default_model' },
          { title: t('providers.apiKey'), dataIndex: 'api_key', render: (k: string | null) => k ?? '—' },
          {
            title: t('providers.health'),
            key: 'health',
            render: (_, c) => (
              <Space size={4}>
                <Tag color={HEALTH_COLOR[c.health.status]}>
                  {t(`providers.healthStates.${c.health.status}`)}
                </Tag>
                {c.health.latency_ms !== null && `${c.health.latency_ms} ms`}
                {c.health.checked_at && (
                  <span title={c.health.error ?? ''}>{f.date(c.health.checked_at)}</span>
                )}
              </Space>
            ),
          },
          {
            title: t('providers.breaker'),
            dataIndex: 'breaker',
            render: (b: string) => t(`providers.breakers.${b}`),
          },
          {
            title: t('providers.enabled'),
            dataIndex: 'enabled',
            render: (on: boolean) => (on ? t('yes') : t('no')),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, c) =>
              manage && (
                <Space>
                  <Button
                    size="small"
                    loading={test.isPending && test.variables === c.id}
                    onClick={() => test.mutate(c.id)}
                  >
                    {t('providers.test')}
                  </Button>
                  <Button size="small" onClick={() => setEditing(c)}>
                    {t('edit')}
                  </Button>
                  <Popconfirm title={t('providers.deleteConfirm')} onConfirm={() => remove.mutate(c.id)}>
                    <Button size="small" danger>
                      {t('common:delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      {editing && (
        <ConfigurationForm
          current={editing === 'new' ? null : editing}
          others={(list.data?.items ?? []).filter((c) => editing === 'new' || c.id !== editing.id)}
          onClose={() => setEditing(null)}
        />
      )}
    </>
  );
}

interface Values {
  name: string;
  provider: 'openai' | 'azure_openai' | 'ollama';
  base_url: string;
  api_key?: string;
  api_version?: string;
  default_model?: string;
  timeout_ms: number;
  max_retries: number;
  fallback_ids: number[];
  enabled: boolean;
}

function ConfigurationForm({
  current,
  others,
  onClose,
}: {
  current: Configuration | null;
  others: Configuration[];
  onClose: () => void;
}) {
  const { t } = useTranslation('ai');
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const provider = Form.useWatch('provider', form);
  const save = useMutation({
    mutationFn: (v: Values) => {
      const body = {
        name: v.name,
        provider: v.provider,
        base_url: v.base_url,
        api_version: v.api_version || null,
        default_model: v.default_model || null,
        timeout_ms: v.timeout_ms,
        max_retries: v.max_retries,
        fallback_ids: v.fallback_ids ?? [],
        enabled: v.enabled,
        // The key is write-only: an empty field keeps the one on record.
        ...(v.api_key ? { api_key: v.api_key } : {}),
      };
      return current
        ? must(api.PATCH('/api/v1/llm/configurations/{id}', { params: { path: { id: current.id } }, body }))
        : must(api.POST('/api/v1/llm/configurations', { body }));
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: aiKeys.all });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={current ? t('providers.edit') : t('providers.add')}
      onCancel={onClose}
      okText={t('common:save')}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => save.mutate(v)}
        initialValues={
          current
            ? {
                ...current,
                api_key: '',
                api_version: current.api_version ?? '',
                default_model: current.default_model ?? '',
              }
            : { provider: 'openai', timeout_ms: 30_000, max_retries: 3, fallback_ids: [], enabled: true }
        }
      >
        <Form.Item name="name" label={t('providers.name')} rules={[{ required: true }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="provider" label={t('providers.provider')}>
          <Select
            aria-label={t('providers.provider')}
            options={['openai', 'azure_openai', 'ollama'].map((p) => ({
              value: p,
              label: t(`providers.kinds.${p}`),
            }))}
          />
        </Form.Item>
        <Form.Item
          name="base_url"
          label={t('providers.baseUrl')}
          extra={t(`providers.baseUrlHelp.${provider ?? 'openai'}`)}
          rules={[{ required: true }]}
        >
          <Input />
        </Form.Item>
        <Form.Item
          name="api_key"
          label={t('providers.apiKey')}
          extra={current?.api_key ? t('providers.apiKeyKeep', { key: current.api_key }) : undefined}
        >
          <Input.Password autoComplete="off" />
        </Form.Item>
        {provider === 'azure_openai' && (
          <Form.Item name="api_version" label={t('providers.apiVersion')} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
        )}
        <Form.Item name="default_model" label={t('providers.defaultModel')}>
          <Input />
        </Form.Item>
        <Space>
          <Form.Item name="timeout_ms" label={t('providers.timeout')}>
            <InputNumber min={100} max={600_000} step={1000} />
          </Form.Item>
          <Form.Item name="max_retries" label={t('providers.retries')}>
            <InputNumber min={0} max={10} />
          </Form.Item>
          <Form.Item name="enabled" label={t('providers.enabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
        <Form.Item name="fallback_ids" label={t('providers.fallbacks')}>
          <Select
            mode="multiple"
            aria-label={t('providers.fallbacks')}
            options={others.map((c) => ({ value: c.id, label: c.name }))}
          />
        </Form.Item>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}
