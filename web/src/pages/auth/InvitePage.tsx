import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { AuthCard, tokenFromHash } from './AuthCard';

interface Values {
  name?: string;
  password: string;
}

/** An invitation link: a newcomer sets a name and password; an existing account gives its password. */
export default function InvitePage() {
  const { t } = useTranslation('auth');
  const navigate = useNavigate();
  const [token] = useState(tokenFromHash);
  const invitation = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => must(api.POST('/api/v1/auth/invitation', { body: { token } })),
    retry: false,
    enabled: token.length > 0,
  });
  const accept = useMutation({
    mutationFn: (v: Values) => must(api.POST('/api/v1/auth/invitation/accept', { body: { token, ...v } })),
    onSuccess: (r) => navigate(`/login?joined=${encodeURIComponent(r.tenant.name)}`, { replace: true }),
  });
  const info = invitation.data;
  return (
    <AuthCard title={t('invite.title')}>
      {!token ? (
        <Alert type="error" showIcon title={t('invite.noToken')} />
      ) : invitation.error ? (
        <ProblemAlert error={invitation.error} />
      ) : !info ? (
        <Loading />
      ) : (
        <Form<Values> layout="vertical" name="invite" onFinish={(v) => accept.mutate(v)}>
          <Typography.Paragraph>
            {t('invite.intro', { tenant: info.tenant.name, email: info.email })}
          </Typography.Paragraph>
          {info.account_exists ? (
            <Typography.Paragraph type="secondary">{t('invite.existing')}</Typography.Paragraph>
          ) : (
            <Form.Item
              name="name"
              label={t('invite.name')}
              rules={[{ required: true, message: t('invite.nameRequired') }]}
            >
              <Input autoComplete="name" maxLength={200} />
            </Form.Item>
          )}
          <Form.Item
            name="password"
            label={info.account_exists ? t('password') : t('invite.newPassword')}
            extra={info.account_exists ? undefined : t('reset.policy')}
            rules={[{ required: true, message: t('passwordRequired') }]}
          >
            <Input.Password autoComplete={info.account_exists ? 'current-password' : 'new-password'} />
          </Form.Item>
          <ProblemAlert error={accept.error} style={{ marginBottom: 16 }} />
          <Button type="primary" htmlType="submit" block loading={accept.isPending}>
            {t('invite.join', { tenant: info.tenant.name })}
          </Button>
        </Form>
      )}
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        <Link to="/login">{t('backToSignIn')}</Link>
      </Typography.Paragraph>
    </AuthCard>
  );
}
