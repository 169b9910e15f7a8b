import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import { deleteTemplate, saveTemplate, type Template, templates, testTemplates } from './requests';

type Draft = Omit<Template, 'id' | 'builtin'>;

/** The built-in templates (read-only) and one's own, with a tester of which ones a question matches. */
export function TemplatesTab() {
  const { t } = useTranslation('ask');
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['sql', 'templates'], queryFn: templates });
  const [editing, setEditing] = useState<Template | 'new' | null>(null);
  const remove = useMutation({
    mutationFn: deleteTemplate,
    onSuccess: () => client.invalidateQueries({ queryKey: ['sql', 'templates'] }),
  });
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Tester />
      <Button type="primary" onClick={() => setEditing('new')}>
        {t('templates.new')}
      </Button>
      <ProblemAlert error={list.error ?? remove.error} />
      <Table
        size="small"
        rowKey="id"
        loading={list.isPending}
        dataSource={list.data ?? []}
        pagination={false}
        columns={[
          {
            title: t('templates.name'),
            dataIndex: 'name',
            render: (v: string, r: Template) => (
              <Space>
                {v}
                {r.builtin ? <Tag>{t('templates.builtin')}</Tag> : null}
              </Space>
            ),
          },
          { title: t('templates.question'), dataIndex: 'question' },
          { title: t('sql'), dataIndex: 'sql', ellipsis: true, render: (v: string) => <code>{v}</code> },
          {
            title: t('templates.actions'),
            key: 'actions',
            width: 160,
            render: (_: unknown, r: Template) =>
              r.builtin ? null : (
                <Space>
                  <Button size="small" onClick={() => setEditing(r)}>
                    {t('templates.edit')}
                  </Button>
                  <Popconfirm title={t('templates.confirmDelete')} onConfirm={() => remove.mutate(r.id)}>
                    <Button size="small" danger>
                      {t('templates.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      {editing ? (
        <Editor template={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
    </Space>
  );
}

function Editor({ template, onClose }: { template: Template | null; onClose: () => void }) {
  const { t } = useTranslation('ask');
  const client = useQueryClient();
  const [form] = Form.useForm<Draft>();
  const save = useMutation({
    mutationFn: (d: Draft) => saveTemplate(d, template?.id),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['sql', 'templates'] });
      onClose();
    },
  });
  return (
    <Modal
      open
      title={template ? t('templates.edit') : t('templates.new')}
      okText={t('templates.save')}
      cancelText={t('templates.cancel')}
      onOk={() => form.submit()}
      confirmLoading={save.isPending}
      onCancel={onClose}
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={template ?? { name: '', question: '', sql: '' }}
        onFinish={(d) => save.mutate(d)}
      >
        <Form.Item name="name" label={t('templates.name')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="question" label={t('templates.question')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="sql" label={t('sql')} rules={[{ required: true }]}>
          <Input.TextArea autoSize={{ minRows: 4 }} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
      </Form>
      <ProblemAlert error={save.error} />
    </Modal>
  );
}

/** Which templates a question matches, how confidently, with which parameters. */
function Tester() {
  const { t } = useTranslation('ask');
  const test = useMutation({ mutationFn: testTemplates });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Input.Search
        aria-label={t('templates.tester')}
        placeholder={t('templates.testerPlaceholder')}
        enterButton={t('templates.test')}
        loading={test.isPending}
        onSearch={(q) => q.trim() && test.mutate(q.trim())}
      />
      <ProblemAlert error={test.error} />
      {test.data ? (
        test.data.length === 0 ? (
          <Typography.Text type="secondary">{t('templates.noMatch')}</Typography.Text>
        ) : (
          <Table
            size="small"
            rowKey={(_, i) => String(i)}
            dataSource={test.data}
            pagination={false}
            columns={[
              {
                title: t('templates.id'),
                dataIndex: 'template_id',
                render: (v: unknown) => String(v ?? '—'),
              },
              {
                title: t('templates.confidence'),
                dataIndex: 'confidence',
                render: (v: number) => `${Math.round(v * 100)}%`,
              },
              {
                title: t('templates.params'),
                dataIndex: 'params',
                render: (v: unknown) => JSON.stringify(v),
              },
              { title: t('sql'), dataIndex: 'sql', render: (v: string) => <code>{v}</code> },
            ]}
          />
        )
      ) : null}
    </Space>
  );
}
