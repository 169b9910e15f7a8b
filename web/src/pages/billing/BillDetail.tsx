import { DownloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, must } from '../../api/client';
import { BILL_EXPORT_FORMATS } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { billingKeys, billingQueries } from './queries';
import { type Bill, LinesTable, StatusTag, useMoney, useNames } from './shared';

type Action = 'issue' | 'pay' | 'void';
const ACTIONS: Record<string, Action[]> = { draft: ['issue', 'void'], issued: ['pay', 'void'] };
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

/** A bill: its figures, lines, state actions, adjustment lines and exports. */
export function BillDetail() {
  const { t } = useTranslation('billing');
  const id = Number(useParams().id);
  const f = useFormat();
  const money = useMoney();
  const me = useMe();
  const queryClient = useQueryClient();
  const [adjusting, setAdjusting] = useState(false);
  const bill = useQuery(billingQueries.bill(id));
  const lines = useQuery(billingQueries.lines(id));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: billingKeys.bill(id) });
    void queryClient.invalidateQueries({ queryKey: billingKeys.lines(id) });
    void queryClient.invalidateQueries({ queryKey: billingKeys.bills });
  };
  const move = useMutation({
    mutationFn: (action: Action) =>
      must(api.POST(`/api/v1/billing/bills/{id}/${action}`, { params: { path: { id } } })),
    onSuccess: refresh,
  });
  if (bill.isPending) return <Loading />;
  if (bill.error) return <ProblemAlert error={bill.error} />;
  const b: Bill = bill.data;
  const manage = can(me.data, 'billing:manage');
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/billing/bills">{t('bills.back')}</Link>
      <Card
        title={t('bill.title', { period: b.period })}
        extra={
          <Space wrap>
            {manage
              ? (ACTIONS[b.status] ?? []).map((action) => (
                  <Popconfirm
                    key={action}
                    title={t(`bill.confirm.${action}`)}
                    onConfirm={() => move.mutate(action)}
                  >
                    <Button danger={action === 'void'} type={action === 'void' ? 'default' : 'primary'}>
                      {t(`bill.actions.${action}`)}
                    </Button>
                  </Popconfirm>
                ))
              : null}
            {manage && (b.status === 'draft' || b.status === 'issued') ? (
              <Button onClick={() => setAdjusting(true)}>{t('bill.actions.adjust')}</Button>
            ) : null}
            {BILL_EXPORT_FORMATS.map((format) => (
              <Button
                key={format}
                icon={<DownloadOutlined />}
                href={`/api/v1/billing/bills/${b.id}/export?format=${format}`}
                download
              >
                {t(`export.${format}`)}
              </Button>
            ))}
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('bills.status')}>
            <span data-testid="bill-status">
              <StatusTag status={b.status} />
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('bills.total')}>
            <span data-testid="bill-total">{money(b.total, b.currency)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('bill.timeZone')}>{b.time_zone}</Descriptions.Item>
          <Descriptions.Item label={t('bill.scope')}>{t(`bill.scopes.${b.scope}`)}</Descriptions.Item>
          <Descriptions.Item label={t('bill.rules')}>
            {b.rule_version_ids.map((v) => (v == null ? t('bill.defaultRule') : `#${v}`)).join(', ')}
          </Descriptions.Item>
          <Descriptions.Item label={t('bills.generated')}>{f.date(b.generated_at)}</Descriptions.Item>
          <Descriptions.Item label={t('bills.issued')}>{f.date(b.issued_at)}</Descriptions.Item>
          <Descriptions.Item label={t('bill.paid')}>{f.date(b.paid_at)}</Descriptions.Item>
          <Descriptions.Item label={t('bill.voided')}>{f.date(b.voided_at)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <ProblemAlert error={move.error ?? lines.error} />
      <Typography.Title level={4}>{t('bill.lines')}</Typography.Title>
      <LinesTable lines={lines.data ?? []} loading={lines.isPending} />
      {adjusting ? (
        <AdjustDialog
          bill={b}
          onClose={() => setAdjusting(false)}
          onDone={() => {
            setAdjusting(false);
            refresh();
          }}
        />
      ) : null}
    </Space>
  );
}

interface AdjustForm {
  amount: string;
  note: string;
  user_id?: string;
  project_id?: number;
}

/** A signed correction line; lines themselves are never edited. */
function AdjustDialog({ bill, onClose, onDone }: { bill: Bill; onClose: () => void; onDone: () => void }) {
  const { t } = useTranslation('billing');
  const names = useNames();
  const [form] = Form.useForm<AdjustForm>();
  const add = useMutation({
    mutationFn: (body: AdjustForm) =>
      must(api.POST('/api/v1/billing/bills/{id}/adjustments', { params: { path: { id: bill.id } }, body })),
    onSuccess: onDone,
  });
  return (
    <Modal
      open
      title={t('adjust.title', { period: bill.period })}
      okText={t('adjust.add')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={add.isPending}
    >
      <Form form={form} layout="vertical" onFinish={(v) => add.mutate(v)}>
        <Form.Item
          name="amount"
          label={t('adjust.amount', { currency: bill.currency })}
          rules={[{ required: true, pattern: DECIMAL, message: t('adjust.amountHelp') }]}
        >
          <Input inputMode="decimal" />
        </Form.Item>
        <Form.Item
          name="note"
          label={t('adjust.note')}
          rules={[{ required: true, message: t('adjust.noteHelp') }]}
        >
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.Item name="user_id" label={t('lines.annotator')}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            options={names.users.map((u) => ({ value: u.id, label: u.name || u.email }))}
          />
        </Form.Item>
        <Form.Item name="project_id" label={t('lines.project')}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            options={names.projects.map((p) => ({ value: p.id, label: p.title }))}
          />
        </Form.Item>
      </Form>
      <ProblemAlert error={add.error} />
    </Modal>
  );
}
