import { Space } from 'antd';
import type { ReactNode } from 'react';
import { useParams } from 'react-router';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { type Project, useProject } from '../../lib/project';
import { ProjectNav, type Section } from './ProjectNav';

/**
 * A page of the route's project (/projects/:id/…): loads the project, shows its loading or
 * error state, then the project's navigation above the page, which gets the loaded project.
 */
export function ProjectPage({
  section,
  children,
}: {
  section: Section;
  children: (project: Project) => ReactNode;
}) {
  const project = useProject(Number(useParams().id));
  if (project.isPending) return <Loading />;
  if (project.error) return <ProblemAlert error={project.error} />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <ProjectNav project={project.data} current={section} />
      {children(project.data)}
    </Space>
  );
}
