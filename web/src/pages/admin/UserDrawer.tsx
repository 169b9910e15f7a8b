import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  DatePicker,
  Descriptions,
  Drawer,
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
import { useAccessLabels } from '../../lib/access';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { SendResetLink } from './Invitations';
import { adminKeys, adminQueries } from './queries';

/** A member's status, and beside it the sign-in lock while it holds (the list and the drawer). */
export function MemberStatus({ status, lockedUntil }: { status: string; lockedUntil: string | null }) {
  const { t } = useTranslation('admin');
  const f = useFormat();
  return (
    <Space size={4} wrap>
      <Tag color={status === 'active' ? 'green' : 'default'}>{t(`users.statuses.${status}`)}</Tag>
      {lockedUntil ? (
        <Tag color="red" title={t('users.lockedUntil', { time: f.date(lockedUntil) })}>
          {t('users.statuses.locked')}
        </Tag>
      ) : null}
    </Space>
  );
}

/** One member: status, roles (assign with an optional expiry, remove) and sessions (force logout). */
export function UserDrawer({ userId, onClose }: { userId: string; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const labels = useAccessLabels();
  const f = useFormat();
  const me = useMe();
  const queryClient = useQueryClient();
  const user = useQuery(adminQueries.user(userId));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: adminKeys.user(userId) });
    void queryClient.invalidateQueries({ queryKey: adminKeys.users });
  };
  const setStatus = useMutation({
    mutationFn: (status: 'active' | 'deactivated') =>
      must(api.PATCH('/api/v1/users/{id}', { params: { path: { id: userId } }, body: { status } })),
    onSuccess: refresh,
  });
  const unlock = useMutation({
    mutationFn: () => must(api.POST('/api/v1/users/{id}/unlock', { params: { path: { id: userId } } })),
    onSuccess: refresh,
  });
  const [resetting, setResetting] = useState(false);
  const unassign = useMutation({
    mutationFn: (roleId: string) =>
      must(api.DELETE('/api/v1/users/{id}/roles/{roleId}', { params: { path: { id: userId, roleId } } })),
    onSuccess: refresh,
  });
  const u = user.data;
  return (
    <Drawer open width={640} title={u?.email ?? t('users.member')} onClose={onClose}>
      <ProblemAlert
        error={user.error ?? setStatus.error ?? unlock.error ?? unassign.error}
        style={{ marginBottom: 16 }}
      />
      {!u ? (
        user.isPending ? (
          <Loading />
        ) : null
      ) : (
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('users.name')}>{u.name}</Descriptions.Item>
            <Descriptions.Item label={t('users.status')}>
              <MemberStatus status={u.status} lockedUntil={u.locked_until} />
              {u.locked_until ? (
                <Typography.Text type="secondary" style={{ marginLeft: 8 }}>
                  {t('users.lockedUntil', { time: f.date(u.locked_until) })}
                </Typography.Text>
              ) : null}
            </Descriptions.Item>
            <Descriptions.Item label={t('users.lastLogin')}>{f.date(u.last_login_at)}</Descriptions.Item>
            <Descriptions.Item label={t('users.created')}>{f.date(u.created_at)}</Descriptions.Item>
          </Descriptions>
          {can(me.data, 'users:manage') && u.id !== me.data?.user.id ? (
            <Space wrap>
              {u.status === 'active' ? (
                <Popconfirm
                  title={t('users.deactivateConfirm')}
                  onConfirm={() => setStatus.mutate('deactivated')}
                >
                  <Button danger loading={setStatus.isPending}>
                    {t('users.deactivate')}
                  </Button>
                </Popconfirm>
              ) : (
                <Button onClick={() => setStatus.mutate('active')} loading={setStatus.isPending}>
                  {t('users.reactivate')}
                </Button>
              )}
              {u.locked_until ? (
                <Button onClick={() => unlock.mutate()} loading={unlock.isPending}>
                  {t('users.unlock')}
                </Button>
              ) : null}
              <Button onClick={() => setResetting(true)}>{t('users.resetPassword')}</Button>
              <SendResetLink userId={userId} email={u.email} />
            </Space>
          ) : null}
          {unlock.isSuccess && !u.locked_until ? (
            <Alert type="success" showIcon title={t('users.unlocked')} />
          ) : null}
          {resetting ? (
            <ResetPassword
              userId={userId}
              email={u.email}
              onDone={refresh}
              onClose={() => setResetting(false)}
            />
          ) : null}
          <div>
            <Typography.Title level={5}>{t('users.roles')}</Typography.Title>
            <Table
              rowKey="role_id"
              size="small"
              pagination={false}
              dataSource={u.roles}
              columns={[
                {
                  title: t('roles.name'),
                  dataIndex: 'role',
                  render: (name: string) => labels.role({ name }).name,
                },
                {
                  title: t('users.expires'),
                  dataIndex: 'expires_at',
                  render: (d: string | null) => (d ? f.date(d) : t('users.never')),
                },
                {
                  title: t('common:actions'),
                  key: 'actions',
                  render: (_, r) =>
                    can(me.data, 'roles:manage') ? (
                      <Popconfirm
                        title={t('users.unassignConfirm')}
                        onConfirm={() => unassign.mutate(r.role_id)}
                      >
                        <Button size="small" danger>
                          {t('users.unassign')}
                        </Button>
                      </Popconfirm>
                    ) : null,
                },
              ]}
            />
            {can(me.data, 'roles:manage') ? <AssignRole userId={userId} onDone={refresh} /> : null}
          </div>
          {can(me.data, 'sessions:read') ? <MemberSessions userId={userId} /> : null}
        </Space>
      )}
    </Drawer>
  );
}

/** Sets a member's password (the one typed, or a generated one shown once). */
function ResetPassword({
  userId,
  email,
  onDone,
  onClose,
}: {
  userId: string;
  email: string;
  onDone: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation('admin');
  const [form] = Form.useForm<{ password?: string }>();
  const reset = useMutation({
    mutationFn: (password: string | undefined) =>
      must(api.POST('/api/v1/users/{id}/password', { params: { path: { id: userId } }, body: { password } })),
    onSuccess: onDone,
  });
  return (
    <Modal
      open
      title={t('users.resetPasswordTitle', { email })}
      onCancel={onClose}
      okText={reset.data ? t('common:close') : t('users.resetPassword')}
      onOk={() => (reset.data ? onClose() : form.submit())}
      confirmLoading={reset.isPending}
    >
      {reset.data ? (
        <Alert
          type="success"
          showIcon
          title={
            reset.data.generated_password
              ? t('users.resetPasswordGenerated')
              : t('users.resetPasswordDone', { n: reset.data.ended_sessions })
          }
          description={
            reset.data.generated_password ? (
              <Typography.Text code copyable data-testid="reset-password">
                {reset.data.generated_password}
              </Typography.Text>
            ) : undefined
          }
        />
      ) : (
        <Form form={form} layout="vertical" onFinish={(v) => reset.mutate(v.password || undefined)}>
          <Form.Item name="password" label={t('users.password')} extra={t('users.resetPasswordHelp')}>
            <Input.Password autoComplete="new-password" autoFocus />
          </Form.Item>
          <ProblemAlert error={reset.error} />
        </Form>
      )}
    </Modal>
  );
}

interface AssignForm {
  role_id: string;
  expires_at?: Dayjs;
}

function AssignRole({ userId, onDone }: { userId: string; onDone: () => void }) {
  const { t } = useTranslation('admin');
  const labels = useAccessLabels();
  const [form] = Form.useForm<AssignForm>();
  const roles = useQuery(adminQueries.roles());
  const assign = useMutation({
    mutationFn: (v: AssignForm) =>
      must(
        api.POST('/api/v1/users/{id}/roles', {
          params: { path: { id: userId } },
          body: { role_id: v.role_id, expires_at: v.expires_at?.toISOString() ?? null },
        }),
      ),
    onSuccess: () => {
      form.resetFields();
      onDone();
    },
  });
  return (
    <Form<AssignForm>
      form={form}
      layout="inline"
      onFinish={(v) => assign.mutate(v)}
      style={{ marginTop: 12, rowGap: 8 }}
    >
      <Form.Item name="role_id" rules={[{ required: true, message: t('users.roleRequired') }]}>
        <Select
          aria-label={t('users.role')}
          placeholder={t('users.role')}
          style={{ width: 180 }}
          options={(roles.data ?? []).map((r) => ({ value: r.id, label: labels.role(r).name }))}
        />
      </Form.Item>
      <Form.Item name="expires_at">
        <DatePicker showTime aria-label={t('users.expires')} placeholder={t('users.expiresOptional')} />
      </Form.Item>
      <Button htmlType="submit" loading={assign.isPending}>
        {t('users.assign')}
      </Button>
      <ProblemAlert error={assign.error} style={{ marginTop: 8, width: '100%' }} />
    </Form>
  );
}

function MemberSessions({ userId }: { userId: string }) {
  const { t } = useTranslation('admin');
  const f = useFormat();
  const me = useMe();
  const queryClient = useQueryClient();
  const sessions = useQuery(adminQueries.userSessions(userId));
  const force = useMutation({
    mutationFn: () => must(api.DELETE('/api/v1/users/{id}/sessions', { params: { path: { id: userId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.userSessions(userId) }),
  });
  return (
    <div>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={5}>{t('sessions.title')}</Typography.Title>
        {can(me.data, 'sessions:manage') ? (
          <Popconfirm title={t('sessions.forceConfirm')} onConfirm={() => force.mutate()}>
            <Button danger size="small" loading={force.isPending}>
              {t('sessions.force')}
            </Button>
          </Popconfirm>
        ) : null}
      </Space>
      {force.data ? (
        <Typography.Paragraph>{t('sessions.ended', { n: force.data.ended })}</Typography.Paragraph>
      ) : null}
      <ProblemAlert error={sessions.error ?? force.error} style={{ marginBottom: 8 }} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={sessions.isPending}
        dataSource={sessions.data?.items ?? []}
        columns={[
          { title: t('sessions.ip'), dataIndex: 'ip' },
          { title: t('sessions.device'), dataIndex: 'user_agent', ellipsis: true },
          {
            title: t('sessions.lastActive'),
            dataIndex: 'last_activity_at',
            render: (d: string) => f.date(d),
          },
          { title: t('sessions.expires'), dataIndex: 'expires_at', render: (d: string) => f.date(d) },
        ]}
      />
    </div>
  );
}
