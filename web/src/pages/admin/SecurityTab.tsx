import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Pager, useCursor } from './paging';
import { adminKeys, adminQueries } from './queries';

type EventStatus = 'open' | 'investigating' | 'resolved' | 'false_positive';
const STATUSES: EventStatus[] = ['open', 'investigating', 'resolved', 'false_positive'];
// The triage moves the API allows from each status.
const NEXT: Record<EventStatus, EventStatus[]> = {
  open: ['investigating', 'resolved', 'false_positive'],
  investigating: ['resolved', 'false_positive', 'open'],
  resolved: ['open'],
  false_positive: ['open'],
};
const SEVERITY_COLOR: Record<string, string> = {
  low: 'default',
  medium: 'gold',
  high: 'orange',
  critical: 'red',
};

export function SecurityTab() {
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <AllowList />
      <Events />
    </Space>
  );
}

interface AllowForm {
  entries: { cidr: string; description?: string }[];
}

function AllowList() {
  const { t } = useTranslation('admin');
  const { message } = App.useApp();
  const me = useMe();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<AllowForm>();
  const list = useQuery(adminQueries.ipAllow());
  const save = useMutation({
    mutationFn: (v: AllowForm) =>
      must(api.PUT('/api/v1/security/ip-whitelist', { body: { entries: v.entries ?? [] } })),
    onSuccess: () => {
      message.success(t('security.allowSaved'));
      void queryClient.invalidateQueries({ queryKey: adminKeys.ipAllow });
    },
  });
  const editable = can(me.data, 'security:manage');
  return (
    <Card title={t('security.allowTitle')}>
      <Typography.Paragraph type="secondary">{t('security.allowHelp')}</Typography.Paragraph>
      <ProblemAlert error={list.error ?? save.error} style={{ marginBottom: 16 }} />
      {list.data ? (
        <Form<AllowForm>
          form={form}
          onFinish={(v) => save.mutate(v)}
          initialValues={{
            entries: list.data.entries.map((e) => ({ cidr: e.cidr, description: e.description })),
          }}
          disabled={!editable}
        >
          <Form.List name="entries">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} align="baseline">
                    <Form.Item
                      name={[field.name, 'cidr']}
                      rules={[{ required: true, message: t('security.cidrRequired') }]}
                    >
                      <Input aria-label={t('security.cidr')} placeholder={t('security.cidrExample')} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'description']}>
                      <Input
                        aria-label={t('security.description')}
                        placeholder={t('security.description')}
                        style={{ width: 280 }}
                      />
                    </Form.Item>
                    <Button
                      type="text"
                      icon={<MinusCircleOutlined />}
                      aria-label={t('security.removeEntry')}
                      onClick={() => remove(field.name)}
                    />
                  </Space>
                ))}
                <Space>
                  <Button icon={<PlusOutlined />} onClick={() => add({ cidr: '' })}>
                    {t('security.addEntry')}
                  </Button>
                  <Button type="primary" htmlType="submit" loading={save.isPending}>
                    {t('common:save')}
                  </Button>
                </Space>
              </>
            )}
          </Form.List>
        </Form>
      ) : null}
    </Card>
  );
}

function Events() {
  const { t } = useTranslation('admin');
  const f = useFormat();
  const me = useMe();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<EventStatus | undefined>();
  const paging = useCursor(String(status));
  const events = useQuery(adminQueries.securityEvents(status, paging.cursor));
  const update = useMutation({
    mutationFn: ({ id, next }: { id: string; next: EventStatus }) =>
      must(api.PATCH('/api/v1/security/events/{id}', { params: { path: { id } }, body: { status: next } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.securityEvents }),
  });
  const manage = can(me.data, 'security:manage');
  return (
    <Card title={t('security.eventsTitle')}>
      <Select<EventStatus>
        allowClear
        aria-label={t('security.status')}
        placeholder={t('security.status')}
        value={status}
        onChange={setStatus}
        style={{ width: 200, marginBottom: 16 }}
        options={STATUSES.map((s) => ({ value: s, label: t(`security.statuses.${s}`) }))}
      />
      <ProblemAlert error={events.error ?? update.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={events.isPending}
        dataSource={events.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('security.time'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          { title: t('security.type'), dataIndex: 'type', render: (ty: string) => t(`security.types.${ty}`) },
          {
            title: t('security.severity'),
            dataIndex: 'severity',
            render: (s: string) => <Tag color={SEVERITY_COLOR[s]}>{t(`security.severities.${s}`)}</Tag>,
          },
          { title: t('security.ip'), dataIndex: 'ip' },
          {
            title: t('security.details'),
            dataIndex: 'details',
            render: (d: Record<string, unknown>) => <code style={{ fontSize: 12 }}>{JSON.stringify(d)}</code>,
          },
          {
            title: t('security.status'),
            dataIndex: 'status',
            render: (s: EventStatus, e) =>
              manage ? (
                <Select<EventStatus>
                  size="small"
                  value={s}
                  aria-label={t('security.status')}
                  style={{ width: 150 }}
                  onChange={(next) => update.mutate({ id: e.id, next })}
                  options={[s, ...NEXT[s]].map((x) => ({ value: x, label: t(`security.statuses.${x}`) }))}
                />
              ) : (
                t(`security.statuses.${s}`)
              ),
          },
        ]}
      />
      <Pager paging={paging} nextCursor={events.data?.next_cursor} />
    </Card>
  );
}
