import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';

// Minimal page so routing works; the dashboard page group replaces it.
export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  return <Typography.Title level={2}>{t('title')}</Typography.Title>;
}
