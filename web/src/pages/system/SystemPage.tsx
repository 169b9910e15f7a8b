import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';

// Minimal page so routing works; the system page group replaces it.
export default function SystemPage() {
  const { t } = useTranslation('system');
  return <Typography.Title level={2}>{t('title')}</Typography.Title>;
}
