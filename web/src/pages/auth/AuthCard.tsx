import { Card, Space, Typography } from 'antd';
import { LanguageSwitch } from '../../components/LanguageSwitch';

/** The centred card of the pages one opens signed out (sign in, invitation, password reset). */
export function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f5f5' }}>
      <Card style={{ width: 400 }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }}>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {title}
          </Typography.Title>
          <LanguageSwitch />
        </Space>
        <div style={{ marginTop: 16 }}>{children}</div>
      </Card>
    </div>
  );
}

/** The one-time token of a link: in the fragment, which the browser never sends to the server. */
export const tokenFromHash = () => window.location.hash.replace(/^#/, '');
