import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthCard } from './AuthCard';

/** Asks for a reset e-mail; the answer is the same whether or not the address has an account. */
export default function ForgotPasswordPage() {
  const { t, i18n } = useTranslation('auth');
  const request = useMutation({
    mutationFn: (v: { email: string }) =>
      must(
        api.POST('/api/v1/auth/password-reset', {
          body: { email: v.email, language: i18n.language === 'zh-CN' ? 'zh-CN' : 'en' },
        }),
      ),
  });
  return (
    <AuthCard title={t('forgot.title')}>
      {request.isSuccess ? (
        <Alert type="success" showIcon title={t('forgot.sent')} />
      ) : (
        <Form<{ email: string }> layout="vertical" name="forgot" onFinish={(v) => request.mutate(v)}>
          <Typography.Paragraph type="secondary">{t('forgot.intro')}</Typography.Paragraph>
          <Form.Item
            name="email"
            label={t('email')}
            rules={[{ required: true, type: 'email', message: t('emailRequired') }]}
          >
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <ProblemAlert error={request.error} style={{ marginBottom: 16 }} />
          <Button type="primary" htmlType="submit" block loading={request.isPending}>
            {t('forgot.submit')}
          </Button>
        </Form>
      )}
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        <Link to="/login">{t('backToSignIn')}</Link>
      </Typography.Paragraph>
    </AuthCard>
  );
}
