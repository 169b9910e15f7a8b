import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useAccessLabels } from '../../lib/access';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Invitations, InviteModal } from './Invitations';
import { Pager, useCursor } from './paging';
import { adminKeys, adminQueries } from './queries';
import { MemberStatus, UserDrawer } from './UserDrawer';

type Status = 'active' | 'deactivated';

export function UsersTab() {
  const { t } = useTranslation('admin');
  const labels = useAccessLabels();
  const f = useFormat();
  const me = useMe();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<Status | undefined>();
  const [creating, setCreating] = useState(false);
  const [inviting, setInviting] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const paging = useCursor(`${search}|${status}`);
  const users = useQuery(adminQueries.users({ search, status, cursor: paging.cursor }));
  return (
    <>
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          allowClear
          aria-label={t('users.search')}
          placeholder={t('users.search')}
          onSearch={setSearch}
          style={{ width: 280 }}
        />
        <Select<Status>
          allowClear
          aria-label={t('users.status')}
          placeholder={t('users.status')}
          value={status}
          onChange={setStatus}
          style={{ width: 180 }}
          options={[
            { value: 'active', label: t('users.statuses.active') },
            { value: 'deactivated', label: t('users.statuses.deactivated') },
          ]}
        />
        {can(me.data, 'users:manage') ? (
          <Button type="primary" onClick={() => setCreating(true)}>
            {t('users.add')}
          </Button>
        ) : null}
        {can(me.data, 'users:manage') ? (
          <Button onClick={() => setInviting(true)}>{t('invites.open')}</Button>
        ) : null}
      </Space>
      <ProblemAlert error={users.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={users.isPending}
        dataSource={users.data?.items ?? []}
        pagination={false}
        columns={[
          {
            title: t('users.email'),
            dataIndex: 'email',
            render: (email: string, u) => (
              // A button, so the member opens from the keyboard too.
              <Button type="link" style={{ padding: 0 }} onClick={() => setOpenId(u.id)}>
                {email}
              </Button>
            ),
          },
          { title: t('users.name'), dataIndex: 'name' },
          {
            title: t('users.status'),
            dataIndex: 'status',
            render: (s: string, u) => <MemberStatus status={s} lockedUntil={u.locked_until} />,
          },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            render: (roles: string[]) => roles.map((r) => <Tag key={r}>{labels.role({ name: r }).name}</Tag>),
          },
          { title: t('users.created'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
        ]}
      />
      <Pager paging={paging} nextCursor={users.data?.next_cursor} />
      <Invitations />
      {creating ? <AddUser onClose={() => setCreating(false)} /> : null}
      {inviting ? <InviteModal onClose={() => setInviting(false)} /> : null}
      {openId ? <UserDrawer userId={openId} onClose={() => setOpenId(null)} /> : null}
    </>
  );
}

interface AddForm {
  email: string;
  name?: string;
  password?: string;
  roles: string[];
}

function AddUser({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation('admin');
  const labels = useAccessLabels();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<AddForm>();
  const roles = useQuery(adminQueries.roles());
  const add = useMutation({
    mutationFn: (v: AddForm) =>
      must(
        api.POST('/api/v1/users', {
          body: {
            email: v.email,
            name: v.name || undefined,
            password: v.password || undefined,
            roles: v.roles ?? [],
          },
        }),
      ),
    onSuccess: (r) => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.users });
      if (!r.generated_password) onClose();
    },
  });
  return (
    <Modal
      open
      title={t('users.add')}
      onCancel={onClose}
      okText={add.data ? t('common:close') : t('common:create')}
      onOk={() => (add.data ? onClose() : form.submit())}
      confirmLoading={add.isPending}
    >
      {add.data?.generated_password ? (
        <Alert
          type="success"
          showIcon
          title={t('users.generatedPassword')}
          description={
            <Typography.Text code copyable data-testid="generated-password">
              {add.data.generated_password}
            </Typography.Text>
          }
        />
      ) : (
        <Form<AddForm>
          form={form}
          layout="vertical"
          onFinish={(v) => add.mutate(v)}
          initialValues={{ roles: ['annotator'] }}
        >
          <Form.Item
            name="email"
            label={t('users.email')}
            rules={[{ required: true, type: 'email', message: t('users.emailRequired') }]}
          >
            <Input autoFocus />
          </Form.Item>
          <Form.Item name="name" label={t('users.name')}>
            <Input />
          </Form.Item>
          <Form.Item name="password" label={t('users.password')} extra={t('users.passwordHelp')}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="roles" label={t('users.roles')}>
            <Select
              mode="multiple"
              aria-label={t('users.roles')}
              options={(roles.data ?? []).map((r) => ({ value: r.name, label: labels.role(r).name }))}
            />
          </Form.Item>
          <ProblemAlert error={add.error ?? roles.error} />
        </Form>
      )}
    </Modal>
  );
}
