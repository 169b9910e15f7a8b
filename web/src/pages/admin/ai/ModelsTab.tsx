import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { can, useMe } from '../../../lib/session';
import { aiKeys, CAPABILITIES, configurationsQuery } from './queries';

interface Values {
  configuration_id: number;
  model: string;
  capabilities: (typeof CAPABILITIES)[number][];
  context_window?: number | null;
  input_price_per_million: string;
  output_price_per_million: string;
  currency: string;
}

/** The model registry: capabilities, context window and exact prices per million tokens. */
export function ModelsTab() {
  const { t } = useTranslation('ai');
  const me = useMe();
  const manage = can(me.data, 'llm:manage');
  const queryClient = useQueryClient();
  const configurations = useQuery(configurationsQuery);
  const names = new Map((configurations.data?.items ?? []).map((c) => [c.id, c.name]));
  const models = useQuery({ queryKey: aiKeys.models, queryFn: () => must(api.GET('/api/v1/llm/models')) });
  const [adding, setAdding] = useState(false);
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: number; enabled: boolean }) =>
      must(api.PATCH('/api/v1/llm/models/{id}', { params: { path: { id } }, body: { enabled } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: aiKeys.models }),
  });
  const remove = useMutation({
    mutationFn: (id: number) => must(api.DELETE('/api/v1/llm/models/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: aiKeys.models }),
  });
  return (
    <>
      <ProblemAlert error={models.error ?? toggle.error ?? remove.error} style={{ marginBottom: 16 }} />
      {manage && (
        <Button type="primary" style={{ marginBottom: 16 }} onClick={() => setAdding(true)}>
          {t('models.add')}
        </Button>
      )}
      <Table
        rowKey="id"
        size="small"
        loading={models.isPending}
        dataSource={models.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t('models.configuration'),
            dataIndex: 'configuration_id',
            render: (id: number) => names.get(id) ?? id,
          },
          { title: t('models.model'), dataIndex: 'model' },
          {
            title: t('models.capabilities'),
            dataIndex: 'capabilities',
            render: (cs: string[]) => cs.map((c) => <Tag key={c}>{t(`models.capability.${c}`)}</Tag>),
          },
          { title: t('models.contextWindow'), dataIndex: 'context_window' },
          {
            title: t('models.prices'),
            key: 'prices',
            render: (_, m) =>
              t('models.pricePair', {
                input: m.input_price_per_million,
                output: m.output_price_per_million,
                currency: m.currency,
              }),
          },
          {
            title: t('providers.enabled'),
            key: 'enabled',
            render: (_, m) => (
              <Switch
                size="small"
                checked={m.enabled}
                disabled={!manage}
                aria-label={t('providers.enabled')}
                onChange={(enabled) => toggle.mutate({ id: m.id, enabled })}
              />
            ),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, m) =>
              manage && (
                <Popconfirm title={t('models.deleteConfirm')} onConfirm={() => remove.mutate(m.id)}>
                  <Button size="small" danger>
                    {t('common:delete')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {adding && (
        <AddModel configurations={configurations.data?.items ?? []} onClose={() => setAdding(false)} />
      )}
    </>
  );
}

function AddModel({
  configurations,
  onClose,
}: {
  configurations: { id: number; name: string }[];
  onClose: () => void;
}) {
  const { t } = useTranslation('ai');
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const configurationId = Form.useWatch('configuration_id', form);
  // What the provider offers, to pick from (its /v1/models or /api/tags).
  const offered = useQuery({
    queryKey: ['llm', 'provider-models', configurationId],
    enabled: configurationId !== undefined,
    queryFn: () =>
      must(
        api.GET('/api/v1/llm/configurations/{id}/provider-models', {
          params: { path: { id: configurationId } },
        }),
      ),
  });
  const add = useMutation({
    mutationFn: ({ configuration_id, ...body }: Values) =>
      must(
        api.POST('/api/v1/llm/configurations/{id}/models', {
          params: { path: { id: configuration_id } },
          body: { ...body, context_window: body.context_window ?? null },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: aiKeys.models });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('models.add')}
      onCancel={onClose}
      okText={t('common:create')}
      onOk={() => form.submit()}
      confirmLoading={add.isPending}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => add.mutate(v)}
        initialValues={{
          configuration_id: configurations[0]?.id,
          capabilities: ['chat'],
          input_price_per_million: '0',
          output_price_per_million: '0',
          currency: 'USD',
        }}
      >
        <Form.Item name="configuration_id" label={t('models.configuration')} rules={[{ required: true }]}>
          <Select
            aria-label={t('models.configuration')}
            options={configurations.map((c) => ({ value: c.id, label: c.name }))}
          />
        </Form.Item>
        <Form.Item name="model" label={t('models.model')} rules={[{ required: true }]}>
          <Select
            showSearch
            aria-label={t('models.model')}
            options={(offered.data?.models ?? []).map((m) => ({ value: m, label: m }))}
            notFoundContent={offered.data?.error ?? null}
          />
        </Form.Item>
        <Form.Item name="capabilities" label={t('models.capabilities')}>
          <Select
            mode="multiple"
            aria-label={t('models.capabilities')}
            options={CAPABILITIES.map((c) => ({ value: c, label: t(`models.capability.${c}`) }))}
          />
        </Form.Item>
        <Form.Item name="context_window" label={t('models.contextWindow')}>
          <InputNumber min={1} />
        </Form.Item>
        <Space>
          <Form.Item
            name="input_price_per_million"
            label={t('models.inputPrice')}
            rules={[{ required: true, pattern: /^\d+(\.\d+)?$/ }]}
          >
            <Input />
          </Form.Item>
          <Form.Item
            name="output_price_per_million"
            label={t('models.outputPrice')}
            rules={[{ required: true, pattern: /^\d+(\.\d+)?$/ }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="currency" label={t('models.currency')} rules={[{ required: true }]}>
            <Input style={{ width: 80 }} />
          </Form.Item>
        </Space>
        <ProblemAlert error={add.error} />
      </Form>
    </Modal>
  );
}
