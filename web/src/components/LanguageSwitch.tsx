import { GlobalOutlined } from '@ant-design/icons';
import { Button, Dropdown } from 'antd';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language, setLanguage } from '../i18n';
import { saveLanguage } from '../lib/session';

/**
 * Language picker; the choice is remembered in localStorage and, when signed in, by the
 * server (for the e-mails and files it renders). A menu rather than a select:
 * the layout already loads the menu, and a select would add its own virtual list to every
 * first page.
 */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: LANGUAGES.map((lng) => ({ key: lng, label: t(`language.${lng}`) })),
        selectable: true,
        selectedKeys: [i18n.language],
        onClick: ({ key }) => void setLanguage(key as Language).then(() => saveLanguage(key)),
      }}
    >
      <Button
        type="text"
        icon={<GlobalOutlined />}
        data-testid="language-switch"
        aria-label={t('language.label')}
      >
        {t(`language.${i18n.language as Language}`)}
      </Button>
    </Dropdown>
  );
}
