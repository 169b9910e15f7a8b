import { GlobalOutlined } from '@ant-design/icons';
import { Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language, setLanguage } from '../i18n';

/** Language picker; the choice is remembered in localStorage. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <Select<Language>
      data-testid="language-switch"
      aria-label={t('language.label')}
      value={i18n.language as Language}
      onChange={setLanguage}
      suffixIcon={<GlobalOutlined />}
      variant="borderless"
      style={{ minWidth: 110 }}
      options={LANGUAGES.map((lng) => ({ value: lng, label: t(`language.${lng}`) }))}
    />
  );
}
