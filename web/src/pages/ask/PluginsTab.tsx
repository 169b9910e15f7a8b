import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import {
  addPlugin,
  deletePlugin,
  type Plugin,
  type PluginDraft,
  type PluginProbe,
  plugins,
  testPlugin,
} from './requests';

const KEY = ['sql', 'plugins'];

/**
 * The tenant's third-party text-to-SQL services: added with a key that is sent once and
 * never shown again (the API gives only ••••last4), probed by Test, deleted.
 */
export function PluginsTab() {
  const { t } = useTranslation('ask');
  const client = useQueryClient();
  const list = useQuery({ queryKey: KEY, queryFn: plugins });
  const [adding, setAdding] = useState(false);
  // The last probe's answer, by plugin: a test says how the plugin answered, nothing is run.
  const [probes, setProbes] = useState<Record<number, PluginProbe>>({});
  const test = useMutation({
    mutationFn: testPlugin,
    onSuccess: (probe, id) => setProbes((p) => ({ ...p, [id]: probe })),
  });
  const remove = useMutation({
    mutationFn: deletePlugin,
    onSuccess: () => client.invalidateQueries({ queryKey: KEY }),
  });
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Text type="secondary">{t('plugins.intro')}</Typography.Text>
      <Button type="primary" onClick={() => setAdding(true)}>
        {t('plugins.add')}
      </Button>
      <ProblemAlert error={list.error ?? remove.error ?? test.error} />
      <Table
        size="small"
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data ?? []}
        pagination={false}
        expandable={{
          expandedRowKeys: Object.keys(probes).map(Number),
          showExpandColumn: false,
          expandedRowRender: (r: Plugin) => (probes[r.id] ? <ProbeResult probe={probes[r.id]!} /> : null),
        }}
        columns={[
          {
            title: t('plugins.name'),
            dataIndex: 'name',
            render: (v: string, r: Plugin) => (
              <Space>
                {v}
                {r.enabled ? null : <Tag>{t('plugins.disabled')}</Tag>}
              </Space>
            ),
          },
          { title: t('plugins.url'), dataIndex: 'endpoint_url', render: (v: string) => <code>{v}</code> },
          { title: t('plugins.key'), dataIndex: 'api_key', width: 110 },
          {
            title: t('plugins.timeout'),
            dataIndex: 'timeout_ms',
            width: 110,
            render: (v: number) => t('plugins.ms', { value: v }),
          },
          {
            title: t('templates.actions'),
            key: 'actions',
            width: 170,
            render: (_: unknown, r: Plugin) => (
              <Space>
                <Button
                  size="small"
                  loading={test.isPending && test.variables === r.id}
                  onClick={() => test.mutate(r.id)}
                >
                  {t('plugins.test')}
                </Button>
                <Popconfirm title={t('plugins.confirmDelete')} onConfirm={() => remove.mutate(r.id)}>
                  <Button size="small" danger>
                    {t('templates.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {adding ? <AddPlugin onClose={() => setAdding(false)} /> : null}
    </Space>
  );
}

/** A probe's outcome: answered (with the SQL, and whether it would be refused), could not answer, or failed. */
function ProbeResult({ probe }: { probe: PluginProbe }) {
  const { t } = useTranslation('ask');
  const latency = t('plugins.latency', { value: probe.latency_ms });
  if (!probe.ok)
    return (
      <Alert
        type="error"
        showIcon
        title={t('plugins.failed', { failure: probe.failure })}
        description={`${probe.error ?? ''} · ${latency}`}
      />
    );
  if (probe.cannot_answer !== null)
    return (
      <Alert
        type="warning"
        showIcon
        title={t('plugins.cannotAnswer')}
        description={`${probe.cannot_answer} · ${latency}`}
      />
    );
  return (
    <Alert
      type={probe.refused ? 'warning' : 'success'}
      showIcon
      title={probe.refused ? t('plugins.refused', { rule: probe.refused }) : t('plugins.answered')}
      description={
        <Space direction="vertical">
          <code>{probe.sql}</code>
          <Typography.Text type="secondary">{latency}</Typography.Text>
        </Space>
      }
    />
  );
}

function AddPlugin({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation('ask');
  const client = useQueryClient();
  const [form] = Form.useForm<PluginDraft>();
  const save = useMutation({
    mutationFn: addPlugin,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: KEY });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('plugins.add')}
      okText={t('templates.save')}
      cancelText={t('templates.cancel')}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      onCancel={onClose}
    >
      <Form<PluginDraft>
        form={form}
        layout="vertical"
        onFinish={(v) => save.mutate({ ...v, timeout_ms: v.timeout_ms ?? undefined })}
      >
        <Form.Item name="name" label={t('plugins.name')} rules={[{ required: true }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="endpoint_url" label={t('plugins.url')} rules={[{ required: true }]}>
          <Input placeholder={t('plugins.urlPlaceholder')} />
        </Form.Item>
        <Form.Item
          name="api_key"
          label={t('plugins.key')}
          extra={t('plugins.keyHelp')}
          rules={[{ required: true }]}
        >
          <Input.Password autoComplete="new-password" visibilityToggle={false} />
        </Form.Item>
        <Form.Item name="timeout_ms" label={t('plugins.timeout')} extra={t('plugins.timeoutHelp')}>
          <InputNumber min={100} max={120_000} step={1000} />
        </Form.Item>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}
