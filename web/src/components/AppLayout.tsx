import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Dropdown, Layout, Menu, Space, theme } from 'antd';
import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { ApiError, api, loginPath } from '../api/client';
import { can, sessionHint, useMe } from '../lib/session';
import { menu } from '../routes';
import { LanguageSwitch } from './LanguageSwitch';
import { LicenseBanner } from './LicenseBanner';
import { Loading } from './Loading';
import { ProblemAlert } from './ProblemAlert';

/** The signed-in frame: side menu (filtered by permission), header with language and account. */
export function AppLayout() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { token } = theme.useToken();

  if (me.error instanceof ApiError && me.error.status === 401) {
    return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  }
  if (me.isPending) return <Loading />;
  if (me.error) return <ProblemAlert error={me.error} style={{ margin: 24 }} />;

  const items = menu
    .filter((m) => can(me.data, m.permission))
    .map((m) => ({ key: m.path, icon: m.icon, label: <Link to={m.path}>{t(m.labelKey)}</Link> }));
  const selected = menu
    .map((m) => m.path)
    .filter((p) => (p === '/' ? location.pathname === '/' : location.pathname.startsWith(p)));

  async function logout() {
    await api.POST('/api/v1/auth/logout');
    sessionHint.clear();
    queryClient.clear();
    navigate('/login');
  }

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsible theme="light">
        <div style={{ padding: 16, fontWeight: 600, fontSize: 16 }}>{t('app.name')}</div>
        <Menu mode="inline" selectedKeys={selected} items={items} aria-label={t('menu.label')} />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: token.colorBgContainer,
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            paddingInline: 16,
          }}
        >
          <Space>
            <LanguageSwitch />
            <Dropdown
              menu={{
                items: [
                  {
                    key: 'profile',
                    icon: <UserOutlined />,
                    label: <Link to="/profile">{t('menu.profile')}</Link>,
                  },
                  { key: 'logout', icon: <LogoutOutlined />, label: t('logout'), onClick: logout },
                ],
              }}
            >
              <Button type="text" icon={<UserOutlined />} data-testid="account-menu">
                {me.data.user.name || me.data.user.email}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <LicenseBanner me={me.data} />
        <Layout.Content style={{ padding: 24 }}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
