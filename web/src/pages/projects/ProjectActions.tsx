import { CopyOutlined, DeleteOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Checkbox, Form, Input, Modal, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { type Project, projectKeys } from '../../lib/project';
import { can, useMe } from '../../lib/session';

interface DuplicateValues {
  title: string;
  tasks: boolean;
  annotations: boolean;
}

/** Label Studio's "Duplicate project": settings always, tasks and their annotations when asked. */
function DuplicateModal({ project, onClose }: { project: Project; onClose: () => void }) {
  const { t } = useTranslation('projects');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<DuplicateValues>();
  const tasks = Form.useWatch('tasks', form);
  const duplicate = useMutation({
    mutationFn: (body: DuplicateValues) =>
      must(api.POST('/api/v1/projects/{id}/duplicate', { params: { path: { id: project.id } }, body })),
    onSuccess: (copy) => {
      void queryClient.invalidateQueries({ queryKey: projectKeys.list });
      navigate(`/projects/${copy.id}/data`);
    },
  });
  return (
    <Modal
      open
      title={t('actions.duplicateTitle')}
      okText={t('actions.duplicate')}
      cancelText={t('common:cancel')}
      confirmLoading={duplicate.isPending}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<DuplicateValues>
        form={form}
        name="duplicate-project"
        layout="vertical"
        initialValues={{
          title: t('actions.copyOf', { title: project.title }),
          tasks: false,
          annotations: false,
        }}
        onFinish={(v) => duplicate.mutate({ ...v, annotations: v.tasks && v.annotations })}
      >
        <Form.Item
          name="title"
          label={t('fields.title')}
          rules={[{ required: true, message: t('create.titleRequired') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item
          name="tasks"
          valuePropName="checked"
          extra={t('actions.tasksHelp', { n: project.task_count })}
        >
          <Checkbox>{t('actions.copyTasks')}</Checkbox>
        </Form.Item>
        <Form.Item name="annotations" valuePropName="checked" extra={t('actions.annotationsHelp')}>
          <Checkbox disabled={!tasks}>{t('actions.copyAnnotations')}</Checkbox>
        </Form.Item>
        <ProblemAlert error={duplicate.error} />
      </Form>
    </Modal>
  );
}

/** Deleting asks for the project's name, as the work it removes cannot be brought back. */
function DeleteModal({ project, onClose }: { project: Project; onClose: () => void }) {
  const { t } = useTranslation('projects');
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const remove = useMutation({
    mutationFn: () => must(api.DELETE('/api/v1/projects/{id}', { params: { path: { id: project.id } } })),
    onSuccess: () => {
      // Its cached reads are left to expire: this page stays mounted until the list's code has
      // loaded, and a removed query it still watches would be fetched again, and answer 404.
      void queryClient.invalidateQueries({ queryKey: projectKeys.list });
      void message.success(t('actions.deleted', { title: project.title }));
      navigate('/projects');
    },
  });
  return (
    <Modal
      open
      title={t('actions.deleteTitle', { title: project.title })}
      okText={t('actions.delete')}
      okButtonProps={{ danger: true, disabled: typed !== project.title }}
      cancelText={t('common:cancel')}
      confirmLoading={remove.isPending}
      onOk={() => remove.mutate()}
      onCancel={onClose}
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text>{t('actions.deleteWarning', { n: project.task_count })}</Typography.Text>
        <Typography.Text>{t('actions.deleteType')}</Typography.Text>
        <Input
          aria-label={t('actions.deleteTypeLabel')}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          placeholder={project.title}
        />
        <ProblemAlert error={remove.error} />
      </Space>
    </Modal>
  );
}

/** Duplicate and delete, in the project's settings. */
export function ProjectActions({ project }: { project: Project }) {
  const { t } = useTranslation('projects');
  const me = useMe();
  const [open, setOpen] = useState<'duplicate' | 'delete' | null>(null);
  return (
    <Card title={t('actions.title')}>
      <Space wrap>
        {can(me.data, 'projects:create') ? (
          <Button icon={<CopyOutlined />} onClick={() => setOpen('duplicate')}>
            {t('actions.duplicate')}
          </Button>
        ) : null}
        {can(me.data, 'projects:delete') ? (
          <Button danger icon={<DeleteOutlined />} onClick={() => setOpen('delete')}>
            {t('actions.delete')}
          </Button>
        ) : null}
      </Space>
      {open === 'duplicate' ? <DuplicateModal project={project} onClose={() => setOpen(null)} /> : null}
      {open === 'delete' ? <DeleteModal project={project} onClose={() => setOpen(null)} /> : null}
    </Card>
  );
}
