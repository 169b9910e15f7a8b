import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthCard, tokenFromHash } from './AuthCard';

/** A reset link's page: a new password, once; then sign in with it. */
export default function ResetPasswordPage() {
  const { t } = useTranslation('auth');
  const navigate = useNavigate();
  const [token] = useState(tokenFromHash);
  const reset = useMutation({
    mutationFn: (v: { password: string }) =>
      must(api.POST('/api/v1/auth/password-reset/confirm', { body: { token, password: v.password } })),
    onSuccess: () => navigate('/login?reset=1', { replace: true }),
  });
  return (
    <AuthCard title={t('reset.title')}>
      {!token ? (
        <Alert type="error" showIcon title={t('reset.noToken')} />
      ) : (
        <Form<{ password: string }> layout="vertical" name="reset" onFinish={(v) => reset.mutate(v)}>
          <Form.Item
            name="password"
            label={t('reset.newPassword')}
            extra={t('reset.policy')}
            rules={[{ required: true, message: t('passwordRequired') }]}
          >
            <Input.Password autoComplete="new-password" autoFocus />
          </Form.Item>
          <ProblemAlert error={reset.error} style={{ marginBottom: 16 }} />
          <Button type="primary" htmlType="submit" block loading={reset.isPending}>
            {t('reset.submit')}
          </Button>
        </Form>
      )}
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        <Link to="/forgot-password">{t('reset.again')}</Link> · <Link to="/login">{t('backToSignIn')}</Link>
      </Typography.Paragraph>
    </AuthCard>
  );
}
