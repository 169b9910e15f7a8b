import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { PROJECT_ROLES } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import type { Project } from '../../lib/project';
import { projectKeys, projectMembersQuery } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { adminQueries } from '../admin/queries';
import { MlBackends } from './MlBackends';
import { ProjectActions } from './ProjectActions';
import { ProjectPage } from './ProjectPage';
import { ProjectWebhooks } from './ProjectWebhooks';

type Settings = Pick<
  Project,
  | 'title'
  | 'description'
  | 'instructions'
  | 'label_config'
  | 'overlap'
  | 'overlap_coverage'
  | 'reservation_minutes'
  | 'annotator_task_limit'
  | 'review_required'
> & { ordering: 'id' | 'random' | 'uncertainty'; skip_policy: 'requeue_me' | 'requeue_others' | 'ignore' };
type Member = GetResponse<'/api/v1/projects/{id}/members'>['items'][number];

/** What the server said of the config: accepted, as Label Studio accepts it, with remarks. */
function ConfigWarnings({ warnings }: { warnings: Project['warnings'] }) {
  const { t } = useTranslation('projects');
  if (warnings.length === 0) return null;
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      title={t('settings.configWarnings.title')}
      description={
        <ul style={{ margin: 0, paddingInlineStart: 20 }}>
          {warnings.map((w) => (
            <li key={w.message}>{t(`settings.configWarnings.${w.code}`, { ...w })}</li>
          ))}
        </ul>
      }
    />
  );
}

function SettingsForm({ project }: { project: Project }) {
  const { t } = useTranslation('projects');
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Settings>();
  useEffect(() => form.setFieldsValue(project as Settings), [form, project]);
  const save = useMutation({
    mutationFn: (body: Settings) =>
      must(api.PATCH('/api/v1/projects/{id}', { params: { path: { id: project.id } }, body })),
    onSuccess: (p) => {
      queryClient.setQueryData(projectKeys.project(project.id), p);
      void message.success(t('settings.saved'));
    },
  });
  return (
    <Card title={t('settings.general')}>
      <Form<Settings> form={form} layout="vertical" onFinish={(v) => save.mutate(v)}>
        <Form.Item name="title" label={t('fields.title')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="description" label={t('fields.description')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="instructions" label={t('fields.instructions')}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="overlap" label={t('fields.overlap')} extra={t('help.overlap')}>
              <InputNumber min={1} max={100} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="overlap_coverage" label={t('fields.overlapCoverage')}>
              <InputNumber min={0} max={100} suffix="%" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item
              name="reservation_minutes"
              label={t('fields.reservation')}
              extra={t('help.reservation')}
            >
              <InputNumber min={1} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="ordering" label={t('fields.ordering')}>
              <Select
                options={['id', 'random', 'uncertainty'].map((v) => ({
                  value: v,
                  label: t(`ordering.${v}`),
                }))}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="skip_policy" label={t('fields.skipPolicy')}>
              <Select
                options={['requeue_me', 'requeue_others', 'ignore'].map((v) => ({
                  value: v,
                  label: t(`skipPolicy.${v}`),
                }))}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="annotator_task_limit" label={t('fields.taskLimit')}>
              <InputNumber min={1} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="review_required" label={t('fields.reviewRequired')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="label_config" label={t('fields.labelConfig')} rules={[{ required: true }]}>
          <Input.TextArea rows={10} spellCheck={false} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <ConfigWarnings warnings={project.warnings} />
        <ProblemAlert error={save.error} style={{ marginBottom: 16 }} />
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {t('common:save')}
        </Button>
      </Form>
    </Card>
  );
}

function Members({ projectId }: { projectId: number }) {
  const { t } = useTranslation('projects');
  const fmt = useFormat();
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState<{ user_id?: string; role: Member['role'] }>({ role: 'annotator' });
  const [userSearch, setUserSearch] = useState('');
  const key = projectKeys.members(projectId);
  const members = useQuery(projectMembersQuery(projectId));
  const users = useQuery(adminQueries.userSearch(userSearch));
  const add = useMutation({
    mutationFn: (body: { user_id: string; role: Member['role'] }) =>
      must(api.POST('/api/v1/projects/{id}/members', { params: { path: { id: projectId } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const remove = useMutation({
    mutationFn: (userId: string) =>
      must(
        api.DELETE('/api/v1/projects/{id}/members/{userId}', { params: { path: { id: projectId, userId } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  const roleOptions = PROJECT_ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }));

  return (
    <Card title={t('settings.members')}>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          showSearch={{ filterOption: false, onSearch: setUserSearch }}
          aria-label={t('members.user')}
          placeholder={t('members.user')}
          style={{ width: 260 }}
          value={adding.user_id}
          onChange={(user_id) => setAdding({ ...adding, user_id })}
          options={(users.data?.items ?? []).map((u) => ({ value: u.id, label: `${u.name} <${u.email}>` }))}
          loading={users.isPending}
        />
        <Select
          aria-label={t('members.role')}
          style={{ width: 140 }}
          value={adding.role}
          onChange={(role) => setAdding({ ...adding, role })}
          options={roleOptions}
        />
        <Button
          type="primary"
          disabled={!adding.user_id}
          loading={add.isPending}
          onClick={() => add.mutate({ user_id: adding.user_id!, role: adding.role })}
        >
          {t('members.add')}
        </Button>
      </Space>
      <ProblemAlert
        error={members.error ?? users.error ?? add.error ?? remove.error}
        style={{ marginBottom: 16 }}
      />
      <Table<Member>
        rowKey="user_id"
        size="small"
        loading={members.isPending}
        dataSource={members.data?.items}
        pagination={false}
        columns={[
          { title: t('members.name'), dataIndex: 'name' },
          { title: t('members.email'), dataIndex: 'email' },
          {
            title: t('members.role'),
            dataIndex: 'role',
            render: (role: Member['role'], m) => (
              <Select
                size="small"
                aria-label={t('members.role')}
                value={role}
                options={roleOptions}
                onChange={(r) => add.mutate({ user_id: m.user_id, role: r })}
              />
            ),
          },
          { title: t('members.since'), dataIndex: 'created_at', render: (d: string) => fmt.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, m) => (
              <Popconfirm title={t('members.removeConfirm')} onConfirm={() => remove.mutate(m.user_id)}>
                <Button size="small" danger>
                  {t('members.remove')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
    </Card>
  );
}

export default function ProjectSettingsPage() {
  const { t } = useTranslation('projects');
  const me = useMe();
  return (
    <ProjectPage section="settings">
      {(project) => (
        <>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('settings.title')}
          </Typography.Title>
          <SettingsForm project={project} />
          <Members projectId={project.id} />
          {can(me.data, 'webhooks:manage') ? <ProjectWebhooks projectId={project.id} /> : null}
          <MlBackends projectId={project.id} />
          <ProjectActions project={project} />
        </>
      )}
    </ProjectPage>
  );
}
