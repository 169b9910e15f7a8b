import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';

// Minimal page so routing works; the profile page group replaces it.
export default function ProfilePage() {
  const { t } = useTranslation('profile');
  return <Typography.Title level={2}>{t('title')}</Typography.Title>;
}
