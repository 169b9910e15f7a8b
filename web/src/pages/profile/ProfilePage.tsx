import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, type Me, useMe } from '../../lib/session';
import { adminQueries } from '../admin/queries';
import { profileKeys, profileQueries } from './queries';

export default function ProfilePage() {
  const { t } = useTranslation('profile');
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.error) return <ProblemAlert error={me.error} />;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Typography.Title level={2}>{t('title')}</Typography.Title>
      <Account me={me.data} />
      <ChangePassword />
      <Sessions me={me.data} />
      <Tokens me={me.data} />
    </Space>
  );
}

function Account({ me }: { me: Me }) {
  const { t } = useTranslation('profile');
  return (
    <Card title={t('account.title')}>
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={t('account.name')}>{me.user.name}</Descriptions.Item>
        <Descriptions.Item label={t('account.email')}>{me.user.email}</Descriptions.Item>
        <Descriptions.Item label={t('account.tenant')}>{me.tenant.name}</Descriptions.Item>
        <Descriptions.Item label={t('account.roles')}>
          {me.roles.map((r) => (
            <Tag key={r}>{r}</Tag>
          ))}
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

interface PasswordForm {
  current_password: string;
  new_password: string;
  confirm: string;
}

function ChangePassword() {
  const { t } = useTranslation('profile');
  const { message } = App.useApp();
  const [form] = Form.useForm<PasswordForm>();
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (v: PasswordForm) =>
      must(
        api.POST('/api/v1/auth/password', {
          body: { current_password: v.current_password, new_password: v.new_password },
        }),
      ),
    onSuccess: () => {
      form.resetFields();
      message.success(t('password.changed'));
      void queryClient.invalidateQueries({ queryKey: profileKeys.sessions });
    },
  });
  return (
    <Card title={t('password.title')}>
      <Form<PasswordForm>
        form={form}
        layout="vertical"
        style={{ maxWidth: 400 }}
        onFinish={(v) => change.mutate(v)}
      >
        <Form.Item
          name="current_password"
          label={t('password.current')}
          rules={[{ required: true, message: t('password.required') }]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          name="new_password"
          label={t('password.new')}
          rules={[{ required: true, message: t('password.required') }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('password.confirm')}
          dependencies={['new_password']}
          rules={[
            { required: true, message: t('password.required') },
            ({ getFieldValue }) => ({
              validator: (_, value) =>
                !value || getFieldValue('new_password') === value
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('password.mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        {change.error ? <ProblemAlert error={change.error} style={{ marginBottom: 16 }} /> : null}
        <Button type="primary" htmlType="submit" loading={change.isPending}>
          {t('password.submit')}
        </Button>
      </Form>
    </Card>
  );
}

function Sessions({ me }: { me: Me }) {
  const { t } = useTranslation('profile');
  const f = useFormat();
  const queryClient = useQueryClient();
  const sessions = useQuery(profileQueries.sessions());
  const end = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: profileKeys.sessions }),
  });
  return (
    <Card title={t('sessions.title')}>
      <ProblemAlert error={sessions.error ?? end.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={sessions.isPending}
        dataSource={sessions.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t('sessions.device'),
            dataIndex: 'user_agent',
            render: (ua: string | null, s) => (
              <Space>
                <span>{ua ?? '—'}</span>
                {s.id === me.session_id ? <Tag color="blue">{t('sessions.current')}</Tag> : null}
              </Space>
            ),
          },
          { title: t('sessions.ip'), dataIndex: 'ip' },
          { title: t('sessions.started'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          {
            title: t('sessions.lastActive'),
            dataIndex: 'last_activity_at',
            render: (d: string) => f.date(d),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, s) =>
              s.id === me.session_id ? null : (
                <Popconfirm title={t('sessions.endConfirm')} onConfirm={() => end.mutate(s.id)}>
                  <Button size="small" danger>
                    {t('sessions.end')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
    </Card>
  );
}

interface TokenForm {
  name: string;
  permissions: string[];
  expires_at?: Dayjs;
}

function Tokens({ me }: { me: Me }) {
  const { t } = useTranslation('profile');
  const f = useFormat();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<TokenForm>();
  const [shown, setShown] = useState<string | null>(null);
  const tokens = useQuery(profileQueries.tokens());
  // The catalogue names what wildcards grant; without roles:read, the own grants are the choice.
  const catalogue = useQuery({
    ...adminQueries.permissions(),
    enabled: can(me, 'roles:read'),
  });
  const choices = [
    ...new Set([...me.permissions, ...(catalogue.data ?? []).map((p) => p.permission)]),
  ].filter((p) => can(me, p) || p === '*');
  const create = useMutation({
    mutationFn: (v: TokenForm) =>
      must(
        api.POST('/api/v1/tokens', {
          body: { name: v.name, permissions: v.permissions, expires_at: v.expires_at?.toISOString() ?? null },
        }),
      ),
    onSuccess: (created) => {
      form.resetFields();
      setShown(created.token);
      void queryClient.invalidateQueries({ queryKey: profileKeys.tokens });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: profileKeys.tokens }),
  });
  const mayCreate = can(me, 'tokens:create');
  return (
    <Card title={t('tokens.title')}>
      {mayCreate ? (
        <Form<TokenForm>
          form={form}
          layout="inline"
          onFinish={(v) => create.mutate(v)}
          style={{ marginBottom: 16, rowGap: 8 }}
        >
          <Form.Item
            name="name"
            label={t('tokens.name')}
            rules={[{ required: true, message: t('tokens.nameRequired') }]}
          >
            <Input data-testid="token-name" />
          </Form.Item>
          <Form.Item
            name="permissions"
            label={t('tokens.permissions')}
            rules={[{ required: true, message: t('tokens.permissionsRequired') }]}
          >
            <Select
              mode="multiple"
              data-testid="token-permissions"
              style={{ minWidth: 280 }}
              options={choices.map((p) => ({ value: p, label: p }))}
            />
          </Form.Item>
          <Form.Item name="expires_at" label={t('tokens.expires')}>
            <DatePicker showTime />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {t('tokens.create')}
          </Button>
        </Form>
      ) : null}
      <ProblemAlert error={create.error ?? revoke.error ?? tokens.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={tokens.isPending}
        dataSource={tokens.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          {
            title: t('tokens.permissions'),
            dataIndex: 'permissions',
            render: (ps: string[]) => ps.map((p) => <Tag key={p}>{p}</Tag>),
          },
          {
            title: t('tokens.expires'),
            dataIndex: 'expires_at',
            render: (d: string | null) => (d ? f.date(d) : t('tokens.never')),
          },
          { title: t('tokens.lastUsed'), dataIndex: 'last_used_at', render: (d: string | null) => f.date(d) },
          {
            title: t('tokens.status'),
            key: 'status',
            render: (_, tk) =>
              tk.revoked_at ? (
                <Tag color="red">{t('tokens.revoked')}</Tag>
              ) : (
                <Tag color="green">{t('tokens.active')}</Tag>
              ),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, tk) =>
              tk.revoked_at ? null : (
                <Popconfirm title={t('tokens.revokeConfirm')} onConfirm={() => revoke.mutate(tk.id)}>
                  <Button size="small" danger>
                    {t('tokens.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Modal
        open={shown !== null}
        title={t('tokens.createdTitle')}
        onCancel={() => setShown(null)}
        onOk={() => setShown(null)}
        cancelButtonProps={{ style: { display: 'none' } }}
      >
        <Typography.Paragraph>{t('tokens.createdHelp')}</Typography.Paragraph>
        <Typography.Paragraph code copyable data-testid="new-token">
          {shown}
        </Typography.Paragraph>
      </Modal>
    </Card>
  );
}
