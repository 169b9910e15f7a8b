import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, must } from '../../api/client';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { ProblemAlert } from '../../components/ProblemAlert';
import { saveLanguage, sessionHint } from '../../lib/session';

interface Credentials {
  email: string;
  password: string;
  tenant?: string;
}

/** Only same-site paths: `next` comes from the address bar. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function LoginPage() {
  const { t, i18n } = useTranslation('auth');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const login = useMutation({
    mutationFn: (body: Credentials) =>
      must(api.POST('/api/v1/auth/login', { body: { ...body, tenant: body.tenant || undefined } })),
    onSuccess: () => {
      sessionHint.set();
      void saveLanguage(i18n.language);
      queryClient.clear();
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });

  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f5f5' }}>
      <Card style={{ width: 380 }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }}>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('title')}
          </Typography.Title>
          <LanguageSwitch />
        </Space>
        {params.get('joined') || params.get('reset') ? (
          <Alert
            type="success"
            showIcon
            style={{ marginTop: 16 }}
            title={params.get('joined') ? t('joined', { tenant: params.get('joined') }) : t('reset.done')}
          />
        ) : null}
        <Form<Credentials> layout="vertical" onFinish={(v) => login.mutate(v)} style={{ marginTop: 16 }}>
          <Form.Item
            name="email"
            label={t('email')}
            rules={[{ required: true, type: 'email', message: t('emailRequired') }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('password')}
            rules={[{ required: true, message: t('passwordRequired') }]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item name="tenant" label={t('tenant')} extra={t('tenantHelp')}>
            <Input />
          </Form.Item>
          {login.error ? <ProblemAlert error={login.error} style={{ marginBottom: 16 }} /> : null}
          <Button type="primary" htmlType="submit" block loading={login.isPending}>
            {t('submit')}
          </Button>
        </Form>
        <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
          <Link to="/forgot-password">{t('forgot.link')}</Link>
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
