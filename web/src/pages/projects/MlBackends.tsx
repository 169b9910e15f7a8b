import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
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
import { api, type GetResponse, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';

type Backend = GetResponse<'/api/v1/projects/{id}/ml-backends'>['items'][number];
type Call = GetResponse<'/api/v1/projects/{id}/ml-backends/{backendId}/calls'>['items'][number];
interface NewBackend {
  title: string;
  url: string;
  auth_method: 'none' | 'basic' | 'bearer';
  basic_user?: string;
  secret?: string;
  timeout_ms?: number;
  is_interactive?: boolean;
}

const STATE_COLOURS = { up: 'green', down: 'red', checking: 'blue' } as const;
// Under the project's own key, so a change to the project list does not refetch them (nor after a delete).
const backendsKey = (projectId: number) => ['project', projectId, 'ml-backends'] as const;

/** The last calls made to one backend: what was asked, how long it took, how it ended. */
function Calls({ projectId, backend }: { projectId: number; backend: Backend }) {
  const { t } = useTranslation('ml');
  const fmt = useFormat();
  const calls = useQuery({
    queryKey: [...backendsKey(projectId), backend.id, 'calls'],
    queryFn: () =>
      must(
        api.GET('/api/v1/projects/{id}/ml-backends/{backendId}/calls', {
          params: { path: { id: projectId, backendId: backend.id }, query: { limit: 20 } },
        }),
      ),
  });
  return (
    <>
      <ProblemAlert error={calls.error} />
      <Table<Call>
        size="small"
        rowKey="id"
        loading={calls.isPending}
        dataSource={calls.data?.items}
        pagination={false}
        data-testid={`ml-calls-${backend.id}`}
        columns={[
          { title: t('calls.when'), dataIndex: 'created_at', render: (d: string) => fmt.date(d) },
          {
            title: t('calls.operation'),
            dataIndex: 'operation',
            render: (op: string, c) => (c.action ? `${op} · ${c.action}` : op),
          },
          { title: t('calls.latency'), dataIndex: 'latency_ms', render: (ms: number) => t('ms', { ms }) },
          {
            title: t('calls.outcome'),
            dataIndex: 'ok',
            render: (ok: boolean, c) => (ok ? <Tag color="green">{t('calls.ok')}</Tag> : c.error),
          },
        ]}
      />
    </>
  );
}

function AddBackend({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const { t } = useTranslation('ml');
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<NewBackend>();
  const auth = Form.useWatch('auth_method', form) ?? 'none';
  const add = useMutation({
    mutationFn: (body: NewBackend) =>
      must(api.POST('/api/v1/projects/{id}/ml-backends', { params: { path: { id: projectId } }, body })),
    onSuccess: () => {
      message.success(t('added'));
      qc.invalidateQueries({ queryKey: backendsKey(projectId) });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={t('add')}
      okText={t('common:save')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={add.isPending}
    >
      <ProblemAlert error={add.error} style={{ marginBottom: 16 }} />
      <Form<NewBackend>
        form={form}
        name="ml-backend"
        layout="vertical"
        initialValues={{ auth_method: 'none', timeout_ms: 30_000, is_interactive: false }}
        onFinish={(v) => add.mutate(v)}
      >
        <Form.Item name="title" label={t('fields.title')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item
          name="url"
          label={t('fields.url')}
          rules={[{ required: true }]}
          extra={t('fields.urlHint')}
        >
          <Input placeholder={t('fields.urlExample')} />
        </Form.Item>
        <Form.Item name="auth_method" label={t('fields.auth')}>
          <Select
            aria-label={t('fields.auth')}
            options={(['none', 'basic', 'bearer'] as const).map((a) => ({ value: a, label: t(`auth.${a}`) }))}
          />
        </Form.Item>
        {auth === 'basic' && (
          <Form.Item name="basic_user" label={t('fields.user')} rules={[{ required: true }]}>
            <Input autoComplete="off" />
          </Form.Item>
        )}
        {auth !== 'none' && (
          <Form.Item
            name="secret"
            label={auth === 'basic' ? t('fields.password') : t('fields.token')}
            rules={[{ required: true }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        )}
        <Form.Item name="timeout_ms" label={t('fields.timeout')}>
          <InputNumber min={100} max={600_000} step={1000} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="is_interactive" label={t('fields.interactive')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/**
 * The project's ML backends (Label Studio's protocol): add one (checked in the background),
 * see its state and its calls, check it again, start training, remove it.
 */
export function MlBackends({ projectId }: { projectId: number }) {
  const { t } = useTranslation('ml');
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [adding, setAdding] = useState(false);
  const backends = useQuery({
    queryKey: backendsKey(projectId),
    queryFn: () =>
      must(api.GET('/api/v1/projects/{id}/ml-backends', { params: { path: { id: projectId } } })),
    // A backend being checked changes state by itself: look again until none is.
    refetchInterval: (q) => (q.state.data?.items.some((b) => b.state === 'checking') ? 1000 : false),
  });
  const path = (b: Backend) => ({ params: { path: { id: projectId, backendId: b.id } } });
  const refresh = () => qc.invalidateQueries({ queryKey: backendsKey(projectId) });
  const check = useMutation({
    mutationFn: (b: Backend) =>
      must(api.POST('/api/v1/projects/{id}/ml-backends/{backendId}/check', path(b))),
    onSuccess: () => {
      message.info(t('checking'));
      setTimeout(refresh, 500);
    },
  });
  const train = useMutation({
    mutationFn: (b: Backend) =>
      must(api.POST('/api/v1/projects/{id}/ml-backends/{backendId}/train', path(b))),
    onSuccess: () => message.success(t('trainQueued')),
  });
  const remove = useMutation({
    mutationFn: (b: Backend) => must(api.DELETE('/api/v1/projects/{id}/ml-backends/{backendId}', path(b))),
    onSuccess: refresh,
  });
  return (
    <Card
      title={t('title')}
      style={{ marginTop: 16 }}
      extra={
        <Button type="primary" onClick={() => setAdding(true)}>
          {t('add')}
        </Button>
      }
    >
      <ProblemAlert
        error={backends.error ?? check.error ?? train.error ?? remove.error}
        style={{ marginBottom: 16 }}
      />
      <Table<Backend>
        rowKey="id"
        size="small"
        loading={backends.isPending}
        dataSource={backends.data?.items}
        pagination={false}
        locale={{ emptyText: t('empty') }}
        expandable={{ expandedRowRender: (b) => <Calls projectId={projectId} backend={b} /> }}
        columns={[
          { title: t('fields.title'), dataIndex: 'title' },
          { title: t('fields.url'), dataIndex: 'url' },
          {
            title: t('state'),
            dataIndex: 'state',
            render: (state: Backend['state'], b) => (
              <Space direction="vertical" size={0}>
                <Tag color={STATE_COLOURS[state]}>{t(`states.${state}`)}</Tag>
                {b.state_error ? <span data-testid={`ml-error-${b.id}`}>{b.state_error}</span> : null}
              </Space>
            ),
          },
          { title: t('modelVersion'), dataIndex: 'model_version', render: (v: string | null) => v ?? '—' },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, b) => (
              <Space>
                <Button size="small" onClick={() => check.mutate(b)}>
                  {t('check')}
                </Button>
                <Button size="small" onClick={() => train.mutate(b)}>
                  {t('train')}
                </Button>
                <Popconfirm title={t('removeConfirm')} onConfirm={() => remove.mutate(b)}>
                  <Button size="small" danger>
                    {t('remove')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {adding && <AddBackend projectId={projectId} onClose={() => setAdding(false)} />}
    </Card>
  );
}
