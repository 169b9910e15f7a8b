import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
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
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { WEBHOOK_EVENTS } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';

type Hook = GetResponse<'/api/v1/webhooks/{id}'>;
type Delivery = GetResponse<'/api/v1/webhooks/{id}/deliveries'>['items'][number];
type Event = (typeof WEBHOOK_EVENTS)[number];
interface Values {
  url: string;
  events: Event[];
  active: boolean;
  send_payload: boolean;
}

const hooksKey = ['webhooks'] as const;
const deliveriesKey = (id: number) => ['webhooks', id, 'deliveries'] as const;

/** The last deliveries of one hook, refreshed while one is still pending (a test just sent). */
function Deliveries({ hookId }: { hookId: number }) {
  const { t } = useTranslation('projects');
  const fmt = useFormat();
  const list = useQuery({
    queryKey: deliveriesKey(hookId),
    queryFn: () =>
      must(
        api.GET('/api/v1/webhooks/{id}/deliveries', {
          params: { path: { id: hookId }, query: { limit: 10 } },
        }),
      ),
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status === 'pending') ? 1000 : false),
  });
  return (
    <Table<Delivery>
      rowKey="id"
      size="small"
      loading={list.isPending}
      dataSource={list.data?.items}
      pagination={false}
      locale={{ emptyText: t('webhooks.noDeliveries') }}
      columns={[
        { title: t('webhooks.event'), dataIndex: 'event' },
        {
          title: t('webhooks.status'),
          dataIndex: 'status',
          render: (s: Delivery['status']) => (
            <Tag color={s === 'delivered' ? 'green' : s === 'failed' ? 'red' : 'blue'}>
              {t(`webhooks.deliveryStatus.${s as 'pending' | 'delivered' | 'failed'}`)}
            </Tag>
          ),
        },
        {
          title: t('webhooks.response'),
          dataIndex: 'response_status',
          render: (n: number | null) => n ?? '—',
        },
        { title: t('webhooks.attempts'), dataIndex: 'attempts' },
        { title: t('webhooks.error'), dataIndex: 'error', render: (e: string | null) => e ?? '' },
        { title: t('webhooks.sentAt'), dataIndex: 'created_at', render: (d: string) => fmt.date(d) },
      ]}
    />
  );
}

/** Adds or edits a hook bound to this project. */
function HookForm({
  projectId,
  hook,
  onClose,
}: {
  projectId: number;
  hook: Hook | null;
  onClose: (secret?: string) => void;
}) {
  const { t } = useTranslation('projects');
  const [form] = Form.useForm<Values>();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async (v: Values) => {
      if (hook) {
        await must(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: hook.id } }, body: v }));
        return undefined;
      }
      const created = await must(api.POST('/api/v1/webhooks', { body: { ...v, project_id: projectId } }));
      return created.secret;
    },
    onSuccess: (secret) => {
      void queryClient.invalidateQueries({ queryKey: hooksKey, exact: true });
      onClose(secret);
    },
  });
  return (
    <Modal
      open
      title={hook ? t('webhooks.edit') : t('webhooks.add')}
      okText={t('common:save')}
      cancelText={t('common:cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      onCancel={() => onClose()}
      destroyOnHidden
    >
      <Form<Values>
        form={form}
        name="webhook"
        layout="vertical"
        initialValues={
          hook
            ? {
                url: hook.url,
                events: hook.events as Event[],
                active: hook.active,
                send_payload: hook.send_payload,
              }
            : { events: ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED'], active: true, send_payload: true }
        }
        onFinish={(v) => save.mutate(v)}
      >
        <Form.Item
          name="url"
          label={t('webhooks.url')}
          rules={[{ required: true, type: 'url', message: t('webhooks.urlRequired') }]}
        >
          <Input placeholder={t('webhooks.urlPlaceholder')} />
        </Form.Item>
        <Form.Item
          name="events"
          label={t('webhooks.events')}
          rules={[{ required: true, message: t('webhooks.eventsRequired') }]}
        >
          <Select
            mode="multiple"
            aria-label={t('webhooks.events')}
            options={WEBHOOK_EVENTS.map((e) => ({ value: e, label: t(`webhooks.eventNames.${e}`) }))}
          />
        </Form.Item>
        <Space size="large">
          <Form.Item name="active" label={t('webhooks.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="send_payload" label={t('webhooks.sendPayload')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
        <ProblemAlert error={save.error} />
      </Form>
    </Modal>
  );
}

/** The project's webhooks (Label Studio's project Webhooks page): list, add, edit, test, delete. */
export function ProjectWebhooks({ projectId }: { projectId: number }) {
  const { t } = useTranslation('projects');
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Hook | 'new' | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const hooks = useQuery({ queryKey: hooksKey, queryFn: () => must(api.GET('/api/v1/webhooks')) });
  const mine = (hooks.data ?? []).filter((h) => h.project_id === projectId);
  const test = useMutation({
    mutationFn: (id: number) => must(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id } } })),
    onSuccess: (_, id) => {
      void queryClient.invalidateQueries({ queryKey: deliveriesKey(id) });
      void message.info(t('webhooks.testSent'));
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => must(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: (_, id) => {
      // Its delivery log went with it: not asked for again.
      queryClient.removeQueries({ queryKey: deliveriesKey(id) });
      return queryClient.invalidateQueries({ queryKey: hooksKey, exact: true });
    },
  });
  return (
    <Card
      title={t('webhooks.title')}
      extra={
        <Button onClick={() => setEditing('new')} type="primary">
          {t('webhooks.add')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('webhooks.help')}</Typography.Paragraph>
      {secret ? (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setSecret(null)}
          style={{ marginBottom: 16 }}
          title={t('webhooks.secretOnce')}
          description={
            <Typography.Text code copyable>
              {secret}
            </Typography.Text>
          }
        />
      ) : null}
      <ProblemAlert error={hooks.error ?? test.error ?? remove.error} style={{ marginBottom: 16 }} />
      <Table<Hook>
        rowKey="id"
        size="small"
        loading={hooks.isPending}
        dataSource={mine}
        pagination={false}
        locale={{ emptyText: t('webhooks.none') }}
        expandable={{ expandedRowRender: (h) => <Deliveries hookId={h.id} /> }}
        columns={[
          { title: t('webhooks.url'), dataIndex: 'url', ellipsis: true },
          {
            title: t('webhooks.events'),
            dataIndex: 'events',
            render: (events: Event[]) => (
              <Space size={[0, 4]} wrap>
                {events.map((e) => (
                  <Tag key={e}>{t(`webhooks.eventNames.${e}`)}</Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('webhooks.active'),
            dataIndex: 'active',
            render: (a: boolean) => (a ? t('webhooks.on') : t('webhooks.off')),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, h) => (
              <Space wrap>
                <Button
                  size="small"
                  loading={test.isPending && test.variables === h.id}
                  onClick={() => test.mutate(h.id)}
                >
                  {t('webhooks.test')}
                </Button>
                <Button size="small" onClick={() => setEditing(h)}>
                  {t('webhooks.edit')}
                </Button>
                <Popconfirm title={t('webhooks.deleteConfirm')} onConfirm={() => remove.mutate(h.id)}>
                  <Button size="small" danger>
                    {t('webhooks.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {editing ? (
        <HookForm
          projectId={projectId}
          hook={editing === 'new' ? null : editing}
          onClose={(s) => {
            setEditing(null);
            if (s) setSecret(s);
          }}
        />
      ) : null}
    </Card>
  );
}
