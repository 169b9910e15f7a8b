import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Checkbox,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useAccessLabels } from '../../lib/access';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { adminQueries } from './queries';

type Invitation = GetResponse<'/api/v1/invitations'>[number];
interface InviteForm {
  email: string;
  roles: string[];
  send_email: boolean;
}
const invitationsKey = ['admin', 'invitations'] as const;

/** Invites someone: the link is shown to copy, and e-mailed when the server can send mail. */
export function InviteModal({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation('admin');
  const labels = useAccessLabels();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<InviteForm>();
  const roles = useQuery(adminQueries.roles());
  const invite = useMutation({
    mutationFn: (v: InviteForm) =>
      must(
        api.POST('/api/v1/invitations', {
          body: { ...v, language: i18n.language === 'zh-CN' ? 'zh-CN' : 'en' },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsKey }),
  });
  const made = invite.data;
  // Without PUBLIC_URL the server knows no address for the console: this one is it.
  const link = made ? (made.link ?? `${window.location.origin}/invite#${made.token}`) : '';
  return (
    <Modal
      open
      title={t('invites.title')}
      onCancel={onClose}
      okText={made ? t('common:close') : t('invites.send')}
      onOk={() => (made ? onClose() : form.submit())}
      confirmLoading={invite.isPending}
    >
      {made ? (
        <Alert
          type="success"
          showIcon
          title={made.emailed ? t('invites.emailed', { email: made.invitation.email }) : t('invites.copy')}
          description={
            <Typography.Text code copyable data-testid="invite-link">
              {link}
            </Typography.Text>
          }
        />
      ) : (
        <Form<InviteForm>
          form={form}
          name="invite"
          layout="vertical"
          onFinish={(v) => invite.mutate(v)}
          initialValues={{ roles: ['annotator'], send_email: true }}
        >
          <Form.Item
            name="email"
            label={t('users.email')}
            rules={[{ required: true, type: 'email', message: t('users.emailRequired') }]}
          >
            <Input autoFocus />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles')}>
            <Select
              mode="multiple"
              aria-label={t('users.roles')}
              options={(roles.data ?? []).map((r) => ({ value: r.name, label: labels.role(r).name }))}
            />
          </Form.Item>
          <Form.Item name="send_email" valuePropName="checked" extra={t('invites.emailHelp')}>
            <Checkbox>{t('invites.sendEmail')}</Checkbox>
          </Form.Item>
          <ProblemAlert error={invite.error ?? roles.error} />
        </Form>
      )}
    </Modal>
  );
}

/** The tenant's invitations: who was invited, with which roles, and whether they joined. */
export function Invitations() {
  const { t } = useTranslation('admin');
  const f = useFormat();
  const me = useMe();
  const labels = useAccessLabels();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: invitationsKey,
    queryFn: () => must(api.GET('/api/v1/invitations')),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/api/v1/invitations/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsKey }),
  });
  if (!list.data?.length && !list.error) return null;
  return (
    <>
      <Typography.Title level={4}>{t('invites.list')}</Typography.Title>
      <ProblemAlert error={list.error ?? revoke.error} style={{ marginBottom: 16 }} />
      <Table<Invitation>
        rowKey="id"
        size="small"
        dataSource={list.data}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        columns={[
          { title: t('users.email'), dataIndex: 'email' },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            render: (roles: string[]) => roles.map((r) => <Tag key={r}>{labels.role({ name: r }).name}</Tag>),
          },
          {
            title: t('users.status'),
            dataIndex: 'status',
            render: (s: Invitation['status']) => (
              <Tag color={s === 'accepted' ? 'green' : s === 'pending' ? 'blue' : 'default'}>
                {t(`invites.statuses.${s}`)}
              </Tag>
            ),
          },
          { title: t('invites.expires'), dataIndex: 'expires_at', render: (d: string) => f.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, i) =>
              i.status === 'pending' && can(me.data, 'users:manage') ? (
                <Popconfirm title={t('invites.revokeConfirm')} onConfirm={() => revoke.mutate(i.id)}>
                  <Button size="small" danger>
                    {t('invites.revoke')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
    </>
  );
}

/** E-mails a member a reset link: their password stays until they choose a new one. */
export function SendResetLink({ userId, email }: { userId: string; email: string }) {
  const { t, i18n } = useTranslation('admin');
  const { message, modal } = App.useApp();
  const send = useMutation({
    mutationFn: () =>
      must(
        api.POST('/api/v1/users/{id}/password-reset', {
          params: { path: { id: userId } },
          body: { language: i18n.language === 'zh-CN' ? 'zh-CN' : 'en' },
        }),
      ),
    onSuccess: () => void message.success(t('invites.resetSent', { email })),
    onError: (e) => void modal.error({ title: t('invites.resetFailed'), content: e.message }),
  });
  return (
    <Button onClick={() => send.mutate()} loading={send.isPending}>
      {t('invites.sendReset')}
    </Button>
  );
}
