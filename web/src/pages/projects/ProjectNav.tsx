import { Breadcrumb, Segmented } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import type { Project } from '../../lib/project';
import { can, useMe } from '../../lib/session';

export type Section = 'data' | 'label' | 'review' | 'quality' | 'settings';

/** Breadcrumb and the project's sections (data, label, review, quality, settings) as far as the role allows. */
export function ProjectNav({ project, current }: { project: Project; current: Section }) {
  const { t } = useTranslation('projects');
  const navigate = useNavigate();
  const me = useMe();
  const sections: { value: Section; permission: string; label: string }[] = [
    { value: 'data', permission: 'projects:read', label: t('nav.data') },
    { value: 'label', permission: 'annotations:write', label: t('nav.label') },
    { value: 'review', permission: 'reviews:write', label: t('nav.review') },
    { value: 'quality', permission: 'quality:read', label: t('quality:nav') },
    { value: 'settings', permission: 'projects:update', label: t('nav.settings') },
  ];
  return (
    <div
      style={{
        display: 'flex',
        justifyContent: 'space-between',
        alignItems: 'center',
        flexWrap: 'wrap',
        gap: 8,
      }}
    >
      <Breadcrumb
        items={[{ title: <Link to="/projects">{t('list.title')}</Link> }, { title: project.title }]}
      />
      <Segmented<Section>
        value={current}
        onChange={(s) => navigate(`/projects/${project.id}/${s}`)}
        options={sections
          .filter((s) => can(me.data, s.permission))
          .map((s) => ({ value: s.value, label: s.label }))}
      />
    </div>
  );
}
