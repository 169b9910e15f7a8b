import { Result } from 'antd';
import { useTranslation } from 'react-i18next';

/** The 403 page; its own chunk, as Result's illustrations weigh more than most pages. */
export default function Forbidden() {
  const { t } = useTranslation();
  return <Result status="403" title={t('forbidden.title')} subTitle={t('forbidden.detail')} />;
}
