import { useTranslation } from 'react-i18next';

export interface AccessLabel {
  name: string;
  description: string;
}

/**
 * Readable, translated names for permissions (`projects:read` → "See projects") and the
 * built-in roles, which the server names by key. Custom roles keep the name and description
 * their author gave; a permission the console has no name for shows its key.
 */
export function useAccessLabels() {
  const { t, i18n } = useTranslation('admin');
  const known = (key: string) => i18n.exists(key, { ns: 'admin' });
  const permission = (key: string): AccessLabel => {
    if (key === '*') return { name: t('access.everything'), description: '' };
    const [resource = '', action = ''] = key.split(':');
    if (action === '*') return { name: t('access.allOf', { resource }), description: '' };
    const path = `permissionNames.${resource}.${action}`;
    if (!known(path)) return { name: key, description: '' };
    return { name: t(`${path}.name`), description: t(`${path}.description`) };
  };
  const role = (r: { name: string; description?: string; built_in?: boolean }): AccessLabel => {
    const path = `builtInRoles.${r.name}`;
    if (r.built_in === false || !known(path)) return { name: r.name, description: r.description ?? '' };
    return { name: t(`${path}.name`), description: t(`${path}.description`) };
  };
  return { permission, role };
}
