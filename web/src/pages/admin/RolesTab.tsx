import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Checkbox,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useAccessLabels } from '../../lib/access';
import { can, useMe } from '../../lib/session';
import { adminKeys, adminQueries } from './queries';

type Role = GetResponse<'/api/v1/roles'>[number];

/** Built-in and custom roles; custom ones are created and edited with inheritance from others. */
export function RolesTab() {
  const { t } = useTranslation('admin');
  const me = useMe();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const roles = useQuery(adminQueries.roles());
  const remove = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/api/v1/roles/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.roles }),
  });
  const manage = can(me.data, 'roles:manage');
  const labels = useAccessLabels();
  const names = new Map((roles.data ?? []).map((r) => [r.id, labels.role(r).name]));
  // Headers stay on one line: in zh-CN a squeezed column broke them a character per line.
  const header = (text: string) => <span style={{ whiteSpace: 'nowrap' }}>{text}</span>;
  return (
    <>
      {manage ? (
        <Button type="primary" onClick={() => setEditing('new')} style={{ marginBottom: 16 }}>
          {t('roles.create')}
        </Button>
      ) : null}
      <ProblemAlert error={roles.error ?? remove.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={roles.isPending}
        dataSource={roles.data ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          {
            title: header(t('roles.name')),
            dataIndex: 'name',
            width: 200,
            render: (_: string, r) => (
              <Space>
                <Typography.Text strong>{labels.role(r).name}</Typography.Text>
                {r.built_in ? <Tag>{t('roles.builtIn')}</Tag> : null}
              </Space>
            ),
          },
          {
            title: header(t('roles.description')),
            dataIndex: 'description',
            width: 260,
            render: (_: string, r) => labels.role(r).description,
          },
          {
            title: header(t('roles.permissions')),
            dataIndex: 'permissions',
            render: (ps: string[]) =>
              ps.map((p) => {
                const label = labels.permission(p);
                return (
                  <Tooltip key={p} title={label.description ? `${p} · ${label.description}` : p}>
                    <Tag>{label.name}</Tag>
                  </Tooltip>
                );
              }),
          },
          {
            title: header(t('roles.inherits')),
            dataIndex: 'parent_ids',
            render: (ids: string[]) => ids.map((id) => <Tag key={id}>{names.get(id) ?? id}</Tag>),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, r) =>
              manage && !r.built_in ? (
                <Space>
                  <Button size="small" onClick={() => setEditing(r)}>
                    {t('roles.edit')}
                  </Button>
                  <Popconfirm title={t('roles.deleteConfirm')} onConfirm={() => remove.mutate(r.id)}>
                    <Button size="small" danger>
                      {t('common:delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ) : null,
          },
        ]}
      />
      {editing ? (
        <RoleEditor
          role={editing === 'new' ? null : editing}
          roles={roles.data ?? []}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}

interface RoleForm {
  name: string;
  description?: string;
  permissions: string[];
  parent_ids: string[];
}

function RoleEditor({ role, roles, onClose }: { role: Role | null; roles: Role[]; onClose: () => void }) {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [form] = Form.useForm<RoleForm>();
  const catalogue = useQuery(adminQueries.permissions());
  const labels = useAccessLabels();
  const save = useMutation({
    mutationFn: (v: RoleForm) =>
      role
        ? must(
            api.PATCH('/api/v1/roles/{id}', {
              params: { path: { id: role.id } },
              body: {
                description: v.description ?? '',
                permissions: v.permissions,
                parent_ids: v.parent_ids,
              },
            }),
          )
        : must(
            api.POST('/api/v1/roles', {
              body: {
                name: v.name,
                description: v.description ?? '',
                permissions: v.permissions,
                parent_ids: v.parent_ids,
              },
            }),
          ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: adminKeys.roles });
      onClose();
    },
  });
  return (
    <Modal
      open
      width={720}
      title={role ? t('roles.editTitle', { name: role.name }) : t('roles.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common:save')}
      confirmLoading={save.isPending}
    >
      <Form<RoleForm>
        form={form}
        layout="vertical"
        onFinish={(v) => save.mutate(v)}
        initialValues={{
          name: role?.name,
          description: role?.description,
          permissions: role?.permissions ?? [],
          parent_ids: role?.parent_ids ?? [],
        }}
      >
        <Form.Item
          name="name"
          label={t('roles.name')}
          rules={[{ required: true, message: t('roles.nameRequired') }]}
        >
          <Input disabled={!!role} />
        </Form.Item>
        <Form.Item name="description" label={t('roles.description')}>
          <Input />
        </Form.Item>
        <Form.Item name="parent_ids" label={t('roles.inherits')} extra={t('roles.inheritsHelp')}>
          <Select
            mode="multiple"
            aria-label={t('roles.inherits')}
            options={roles
              .filter((r) => r.id !== role?.id)
              .map((r) => ({ value: r.id, label: labels.role(r).name }))}
          />
        </Form.Item>
        <Form.Item name="permissions" label={t('roles.permissions')}>
          <Checkbox.Group style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 4 }}>
            {(catalogue.data ?? []).map((p) => (
              <Checkbox key={p.permission} value={p.permission}>
                {labels.permission(p.permission).name} <code>{p.permission}</code>{' '}
                <Typography.Text type="secondary">
                  {labels.permission(p.permission).description || p.description}
                </Typography.Text>
              </Checkbox>
            ))}
          </Checkbox.Group>
        </Form.Item>
        <ProblemAlert error={save.error ?? catalogue.error} />
      </Form>
    </Modal>
  );
}
