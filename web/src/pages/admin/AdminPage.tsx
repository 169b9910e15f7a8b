import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';

// Minimal page so routing works; the admin page group replaces it.
export default function AdminPage() {
  const { t } = useTranslation('admin');
  return <Typography.Title level={2}>{t('title')}</Typography.Title>;
}
