import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { ProposeDialog } from './ProposeDialog';
import { billingKeys, billingQueries } from './queries';
import { StatusTag, useDecimal, useMoney, useNames } from './shared';

type Rule = GetResponse<'/api/v1/billing/rules'>[number];
export type Version = GetResponse<'/api/v1/billing/rules/{id}'>['versions'][number];

/** Billing rules (the tenant's and per project) with their versions. */
export function RulesTab() {
  const { t } = useTranslation('billing');
  const me = useMe();
  const [creating, setCreating] = useState(false);
  const rules = useQuery(billingQueries.rules());
  if (rules.isPending) return <Loading />;
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {can(me.data, 'billing:manage') ? (
        <Button type="primary" onClick={() => setCreating(true)}>
          {t('rules.create')}
        </Button>
      ) : null}
      <ProblemAlert error={rules.error} />
      {rules.data?.length ? (
        rules.data.map((r) => <RuleCard key={r.id} rule={r} />)
      ) : (
        <Empty description={t('rules.none')} />
      )}
      {creating ? <CreateRuleDialog onClose={() => setCreating(false)} /> : null}
    </Space>
  );
}

function RuleCard({ rule }: { rule: Rule }) {
  const { t } = useTranslation('billing');
  const f = useFormat();
  const money = useMoney();
  const dec = useDecimal();
  const names = useNames();
  const me = useMe();
  const queryClient = useQueryClient();
  const [proposing, setProposing] = useState(false);
  const detail = useQuery(billingQueries.rule(rule.id));
  const refresh = () => queryClient.invalidateQueries({ queryKey: billingKeys.rule(rule.id) });
  const approve = useMutation({
    mutationFn: (id: number) =>
      must(api.POST('/api/v1/billing/rule-versions/{id}/approve', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      must(api.DELETE('/api/v1/billing/rule-versions/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const versions = detail.data?.versions ?? [];
  const userId = me.data?.user.id;
  return (
    <Card
      data-testid={`rule-${rule.id}`}
      title={rule.name}
      extra={
        <Space>
          <Tag>{rule.project_id == null ? t('rules.tenant') : names.project(rule.project_id)}</Tag>
          {can(me.data, 'billing:manage') ? (
            <Button onClick={() => setProposing(true)}>{t('rules.propose')}</Button>
          ) : null}
        </Space>
      }
    >
      <ProblemAlert error={detail.error ?? approve.error ?? remove.error} style={{ marginBottom: 12 }} />
      <Table<Version>
        rowKey="id"
        size="small"
        loading={detail.isPending}
        dataSource={versions}
        pagination={false}
        scroll={{ x: true }}
        columns={[
          { title: t('rules.version'), dataIndex: 'version', render: (v: number) => `v${v}` },
          { title: t('bills.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('lines.mode'), dataIndex: 'mode', render: (m: string) => t(`mode.${m}`) },
          {
            title: t('rules.rates'),
            key: 'rates',
            render: (_, v) => (
              <Space orientation="vertical" size={0}>
                <span>{t('rules.countRate', { value: money(v.count_rate, v.currency) })}</span>
                <span>{t('rules.hourRate', { value: money(v.hour_rate, v.currency) })}</span>
                <span>{t('rules.projectFee', { value: money(v.project_fee, v.currency) })}</span>
              </Space>
            ),
          },
          {
            title: t('rules.qualityTiers'),
            dataIndex: 'quality_tiers',
            render: (tiers: Version['quality_tiers']) =>
              tiers.map((q) => <Tag key={q.min}>{`≥${dec(q.min)} ×${dec(q.multiplier)}`}</Tag>),
          },
          {
            title: t('rules.difficulty'),
            dataIndex: 'difficulty_multipliers',
            render: (m: Record<string, string>) =>
              Object.entries(m).map(([k, x]) => <Tag key={k}>{`${t(`difficulty.${k}`)} ×${dec(x)}`}</Tag>),
          },
          {
            title: t('rules.paid'),
            key: 'paid',
            render: (_, v) => (
              <Space orientation="vertical" size={0}>
                <span>{t(v.pay_rejected ? 'rules.paysRejected' : 'rules.noRejected')}</span>
                <span>{t(v.pay_skipped ? 'rules.paysSkipped' : 'rules.noSkipped')}</span>
              </Space>
            ),
          },
          { title: t('rules.effective'), dataIndex: 'effective_from', render: (d: string) => f.date(d) },
          {
            title: t('rules.author'),
            dataIndex: 'created_by',
            render: (id: string | null) => names.user(id),
          },
          {
            title: t('rules.approvedBy'),
            key: 'approved',
            render: (_, v) =>
              v.approved_by ? `${names.user(v.approved_by)} · ${f.date(v.approved_at)}` : '',
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, v) =>
              v.status !== 'draft' ? null : (
                <Space>
                  {can(me.data, 'billing:approve') ? (
                    <Tooltip title={v.created_by === userId ? t('rules.ownDraft') : undefined}>
                      <Button
                        size="small"
                        type="primary"
                        disabled={v.created_by === userId}
                        loading={approve.isPending && approve.variables === v.id}
                        onClick={() => approve.mutate(v.id)}
                      >
                        {t('rules.approve')}
                      </Button>
                    </Tooltip>
                  ) : null}
                  {can(me.data, 'billing:manage') ? (
                    <Popconfirm title={t('rules.deleteConfirm')} onConfirm={() => remove.mutate(v.id)}>
                      <Button size="small" danger>
                        {t('common:delete')}
                      </Button>
                    </Popconfirm>
                  ) : null}
                </Space>
              ),
          },
        ]}
      />
      {proposing ? (
        <ProposeDialog
          ruleId={rule.id}
          latest={versions.at(-1)}
          onClose={() => setProposing(false)}
          onDone={() => {
            setProposing(false);
            void refresh();
          }}
        />
      ) : null}
    </Card>
  );
}

function CreateRuleDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation('billing');
  const names = useNames();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ name: string; project_id?: number }>();
  const create = useMutation({
    mutationFn: (body: { name: string; project_id?: number }) =>
      must(api.POST('/api/v1/billing/rules', { body })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: billingKeys.rules });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('rules.create')}
      okText={t('common:create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={create.isPending}
    >
      <Form form={form} layout="vertical" onFinish={(v) => create.mutate(v)}>
        <Form.Item
          name="name"
          label={t('rules.name')}
          rules={[{ required: true, message: t('rules.nameHelp') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="project_id" label={t('lines.project')} extra={t('rules.projectHelp')}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            options={names.projects.map((p) => ({ value: p.id, label: p.title }))}
          />
        </Form.Item>
      </Form>
      <ProblemAlert error={create.error} />
    </Modal>
  );
}
