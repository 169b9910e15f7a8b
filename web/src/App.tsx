import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { ANTD } from './antd';
import { queryClient } from './lib/queryClient';
import { routes } from './routes';

const router = createBrowserRouter(routes);
const THEME = { zeroRuntime: true, hashed: false };

export function App() {
  const { i18n } = useTranslation();
  const zh = i18n.language === 'zh-CN';
  dayjs.locale(zh ? 'zh-cn' : 'en');
  return (
    // Zero runtime: components take their styles from the stylesheet extracted at build time
    // (virtual:antd.css) instead of generating them on first render, a third of a cold page's
    // script time (bench/console.ts).
    <ConfigProvider locale={zh ? zhCN : enUS} {...ANTD} theme={THEME}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
