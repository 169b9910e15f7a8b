import { Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { can, useMe } from '../lib/session';

/** Renders its page only for principals holding the permission (any one of a list); others see a 403 result. */
export function RequirePermission({
  permission,
  children,
}: {
  permission?: string | readonly string[];
  children: React.ReactNode;
}) {
  const { t } = useTranslation();
  const me = useMe();
  if (!can(me.data, permission)) {
    return <Result status="403" title={t('forbidden.title')} subTitle={t('forbidden.detail')} />;
  }
  return <>{children}</>;
}
