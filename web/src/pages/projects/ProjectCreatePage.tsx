import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Col, Form, Input, Radio, Row, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { projectKeys } from '../../lib/project';
import { ConfigPreview } from './ConfigPreview';
import { TEMPLATES, type Template } from './templates';

interface Values {
  title: string;
  description?: string;
  instructions?: string;
  label_config: string;
}

export default function ProjectCreatePage() {
  const { t } = useTranslation('projects');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Values>();
  const [template, setTemplate] = useState<Template>(TEMPLATES[0]!);
  const config = Form.useWatch('label_config', form) ?? template.config;
  const create = useMutation({
    mutationFn: (body: Values) => must(api.POST('/api/v1/projects', { body })),
    onSuccess: (project) => {
      void queryClient.invalidateQueries({ queryKey: projectKeys.list });
      navigate(`/projects/${project.id}/data`);
    },
  });

  function choose(key: Template['key']) {
    const next = TEMPLATES.find((x) => x.key === key)!;
    setTemplate(next);
    form.setFieldValue('label_config', next.config);
  }

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('create.title')}
      </Typography.Title>
      <Row gutter={24}>
        <Col xs={24} xl={11}>
          <Card>
            <Form<Values>
              form={form}
              layout="vertical"
              initialValues={{ label_config: template.config }}
              onFinish={(v) => create.mutate(v)}
            >
              <Form.Item label={t('create.template')}>
                <Radio.Group
                  value={template.key}
                  onChange={(e) => choose(e.target.value)}
                  optionType="button"
                  options={TEMPLATES.map((x) => ({ value: x.key, label: t(`templates.${x.key}`) }))}
                />
              </Form.Item>
              <Form.Item
                name="title"
                label={t('fields.title')}
                rules={[{ required: true, message: t('create.titleRequired') }]}
              >
                <Input maxLength={200} />
              </Form.Item>
              <Form.Item name="description" label={t('fields.description')}>
                <Input.TextArea rows={2} />
              </Form.Item>
              <Form.Item name="instructions" label={t('fields.instructions')}>
                <Input.TextArea rows={3} />
              </Form.Item>
              <Form.Item name="label_config" label={t('fields.labelConfig')} rules={[{ required: true }]}>
                <Input.TextArea rows={12} spellCheck={false} style={{ fontFamily: 'monospace' }} />
              </Form.Item>
              <ProblemAlert error={create.error} style={{ marginBottom: 16 }} />
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                {t('create.submit')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} xl={13}>
          <ConfigPreview config={config} sample={template.sample} />
        </Col>
      </Row>
    </Space>
  );
}
