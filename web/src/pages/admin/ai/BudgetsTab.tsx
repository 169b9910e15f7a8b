import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Form, Input, Modal, Popconfirm, Progress, Select, Table } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { can, useMe } from '../../../lib/session';
import { aiKeys, FEATURES } from './queries';

interface Values {
  name: string;
  kind: 'tokens' | 'cost';
  limit: string;
  currency?: string;
  feature?: (typeof FEATURES)[number] | null;
}

const STATUS = { ok: 'normal', warning: 'active', exceeded: 'exception' } as const;

/** Monthly budgets with this month's use: a warning past their share, calls refused at 100%. */
export function BudgetsTab() {
  const { t } = useTranslation('ai');
  const me = useMe();
  const manage = can(me.data, 'llm:manage');
  const queryClient = useQueryClient();
  const budgets = useQuery({ queryKey: aiKeys.budgets, queryFn: () => must(api.GET('/api/v1/llm/budgets')) });
  const [adding, setAdding] = useState(false);
  const remove = useMutation({
    mutationFn: (id: number) => must(api.DELETE('/api/v1/llm/budgets/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: aiKeys.budgets }),
  });
  return (
    <>
      <ProblemAlert error={budgets.error ?? remove.error} style={{ marginBottom: 16 }} />
      {manage && (
        <Button type="primary" style={{ marginBottom: 16 }} onClick={() => setAdding(true)}>
          {t('budgets.add')}
        </Button>
      )}
      <Table
        rowKey="id"
        size="small"
        loading={budgets.isPending}
        dataSource={budgets.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('budgets.name'), dataIndex: 'name' },
          {
            title: t('bindings.feature'),
            dataIndex: 'feature',
            render: (k: string | null) => (k ? t(`features.${k}`) : t('budgets.allFeatures')),
          },
          {
            title: t('budgets.limit'),
            key: 'limit',
            render: (_, b) =>
              b.kind === 'tokens' ? t('budgets.tokens', { n: b.limit }) : `${b.limit} ${b.currency}`,
          },
          { title: t('budgets.used'), dataIndex: 'used' },
          {
            title: t('budgets.state'),
            key: 'state',
            render: (_, b) => (
              <Progress
                size="small"
                style={{ minWidth: 140 }}
                percent={Math.min(100, Math.round(b.ratio * 100))}
                status={STATUS[b.state as keyof typeof STATUS]}
                format={() => t(`budgets.states.${b.state}`)}
              />
            ),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, b) =>
              manage && (
                <Popconfirm title={t('budgets.deleteConfirm')} onConfirm={() => remove.mutate(b.id)}>
                  <Button size="small" danger>
                    {t('common:delete')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {adding && <AddBudget onClose={() => setAdding(false)} />}
    </>
  );
}

function AddBudget({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation('ai');
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form);
  const add = useMutation({
    mutationFn: (v: Values) =>
      must(
        api.POST('/api/v1/llm/budgets', {
          body: { ...v, currency: v.kind === 'cost' ? v.currency : null, feature: v.feature ?? null },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: aiKeys.budgets });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('budgets.add')}
      onCancel={onClose}
      okText={t('common:create')}
      onOk={() => form.submit()}
      confirmLoading={add.isPending}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={(v) => add.mutate(v)}
        initialValues={{ kind: 'tokens', currency: 'USD' }}
      >
        <Form.Item name="name" label={t('budgets.name')} rules={[{ required: true }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="kind" label={t('budgets.kind')}>
          <Select
            aria-label={t('budgets.kind')}
            options={(['tokens', 'cost'] as const).map((k) => ({ value: k, label: t(`budgets.kinds.${k}`) }))}
          />
        </Form.Item>
        <Form.Item
          name="limit"
          label={t('budgets.limit')}
          rules={[{ required: true, pattern: /^\d+(\.\d+)?$/ }]}
        >
          <Input />
        </Form.Item>
        {kind === 'cost' && (
          <Form.Item name="currency" label={t('models.currency')} rules={[{ required: true }]}>
            <Input style={{ width: 80 }} />
          </Form.Item>
        )}
        <Form.Item name="feature" label={t('bindings.feature')}>
          <Select
            allowClear
            aria-label={t('bindings.feature')}
            placeholder={t('budgets.allFeatures')}
            options={FEATURES.map((f) => ({ value: f, label: t(`features.${f}`) }))}
          />
        </Form.Item>
        <ProblemAlert error={add.error} />
      </Form>
    </Modal>
  );
}
