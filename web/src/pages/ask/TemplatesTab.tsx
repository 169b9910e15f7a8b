import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../components/ProblemAlert';
import { can, useMe } from '../../lib/session';
import {
  deleteTemplate,
  SLOT_TYPES,
  saveTemplate,
  type Template,
  type TemplateDraft,
  templates,
  testTemplates,
} from './requests';

/** The built-in templates (read-only) and the tenant's own, with a tester of which ones a question matches. */
export function TemplatesTab() {
  const { t } = useTranslation('ask');
  const { data: me } = useMe();
  const manage = can(me, 'sql:manage');
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
      {manage ? (
        <Button type="primary" onClick={() => setEditing('new')}>
          {t('templates.new')}
        </Button>
      ) : null}
      <ProblemAlert error={list.error ?? remove.error} />
      <Table
        size="small"
        rowKey="id"
        loading={list.isPending}
        // The tenant's own first: the pack is long, and one's own are what one edits.
        dataSource={[...(list.data ?? [])].sort((a, b) => Number(a.builtin) - Number(b.builtin))}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          {
            title: t('templates.name'),
            dataIndex: 'name',
            render: (v: string, r: Template) => (
              <Space>
                {v}
                {r.builtin ? <Tag>{t('templates.builtin')}</Tag> : null}
                {r.enabled ? null : <Tag color="default">{t('templates.disabled')}</Tag>}
              </Space>
            ),
          },
          { title: t('templates.description'), dataIndex: 'description' },
          {
            title: t('templates.patterns'),
            dataIndex: 'patterns',
            render: (v: Template['patterns']) => v.map((p) => p.text).join(' · '),
          },
          {
            title: t('templates.actions'),
            key: 'actions',
            width: 160,
            render: (_: unknown, r: Template) =>
              r.builtin || !manage ? null : (
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

const BLANK: TemplateDraft = {
  name: '',
  description: '',
  patterns: [{ lang: 'zh', text: '' }],
  slots: [],
  sql: '',
  enabled: true,
};

/** A template's phrasings (`{slot}` marks a slot), its slots and the SQL they bind to ($1…). */
function Editor({ template, onClose }: { template: Template | null; onClose: () => void }) {
  const { t } = useTranslation('ask');
  const client = useQueryClient();
  const [form] = Form.useForm<TemplateDraft>();
  const save = useMutation({
    mutationFn: (d: TemplateDraft) => saveTemplate(d, template?.id),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['sql', 'templates'] });
      onClose();
    },
  });
  return (
    <Modal
      open
      width={720}
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
        initialValues={template ?? BLANK}
        onFinish={(d) => save.mutate({ ...d, slots: d.slots ?? [] })}
      >
        <Form.Item name="name" label={t('templates.name')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="description" label={t('templates.description')}>
          <Input />
        </Form.Item>
        <Typography.Text strong>{t('templates.patterns')}</Typography.Text>
        <Form.List name="patterns">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item name={[f.name, 'lang']} rules={[{ required: true }]}>
                    <Select
                      aria-label={t('templates.lang')}
                      style={{ width: 90 }}
                      options={(['zh', 'en'] as const).map((l) => ({
                        value: l,
                        label: t(`templates.langs.${l}`),
                      }))}
                    />
                  </Form.Item>
                  <Form.Item name={[f.name, 'text']} rules={[{ required: true }]} style={{ width: 480 }}>
                    <Input
                      aria-label={t('templates.pattern')}
                      placeholder={t('templates.patternPlaceholder')}
                    />
                  </Form.Item>
                  <MinusCircleOutlined aria-label={t('templates.remove')} onClick={() => remove(f.name)} />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ lang: 'zh', text: '' })}>
                {t('templates.addPattern')}
              </Button>
            </>
          )}
        </Form.List>
        <div style={{ marginTop: 16 }}>
          <Typography.Text strong>{t('templates.slots')}</Typography.Text>
        </div>
        <Form.List name="slots">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" style={{ display: 'flex' }} wrap>
                  <Form.Item name={[f.name, 'name']} rules={[{ required: true, pattern: /^[a-z_]{1,40}$/ }]}>
                    <Input aria-label={t('templates.slotName')} placeholder={t('templates.slotName')} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'type']} rules={[{ required: true }]}>
                    <Select
                      aria-label={t('templates.slotType')}
                      style={{ width: 120 }}
                      options={SLOT_TYPES.map((s) => ({ value: s, label: t(`templates.slotTypes.${s}`) }))}
                    />
                  </Form.Item>
                  <Form.Item name={[f.name, 'values']}>
                    <Select
                      mode="tags"
                      aria-label={t('templates.slotValues')}
                      placeholder={t('templates.slotValues')}
                      style={{ width: 220 }}
                    />
                  </Form.Item>
                  <MinusCircleOutlined aria-label={t('templates.remove')} onClick={() => remove(f.name)} />
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ name: '', type: 'number' })}>
                {t('templates.addSlot')}
              </Button>
            </>
          )}
        </Form.List>
        <Form.Item name="sql" label={t('sql')} rules={[{ required: true }]} style={{ marginTop: 16 }}>
          <Input.TextArea autoSize={{ minRows: 4 }} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Form.Item name="enabled" label={t('templates.enabled')} valuePropName="checked">
          <Switch />
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
            data-testid="template-matches"
            size="small"
            rowKey={(_, i) => String(i)}
            dataSource={test.data}
            pagination={false}
            columns={[
              { title: t('templates.name'), dataIndex: 'name' },
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
              {
                title: t('templates.missing'),
                dataIndex: 'missing',
                render: (v: string[]) => (v.length ? v.join(', ') : '—'),
              },
              { title: t('sql'), dataIndex: 'sql', render: (v: string) => <code>{v}</code> },
            ]}
          />
        )
      ) : null}
    </Space>
  );
}
