import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { queryClient } from './lib/queryClient';
import { routes } from './routes';

const router = createBrowserRouter(routes);

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  dayjs.locale(zh ? 'zh-cn' : 'en');
  return (
    // Own class prefix: the editor's stylesheet carries antd 4 rules for .ant-* that would restyle the console.
    <ConfigProvider locale={zh ? zhCN : enUS} prefixCls="si" iconPrefixCls="si-icon">
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
