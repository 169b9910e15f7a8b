import { useQuery } from '@tanstack/react-query';
import { Card, Col, Row, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { GetResponse } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { projectNamesQuery } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { Board } from './ImprovementBoard';
import { Notifications } from './Notifications';
import { qualityQueries } from './queries';

type Project = GetResponse<'/api/v1/projects'>['items'][number];

/** Quality across projects: each project's quality pages, the caller's improvement tasks and notifications. */
export default function QualityHomePage() {
  const { t } = useTranslation('quality');
  const me = useMe();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2}>{t('title')}</Typography.Title>
      <Row gutter={[16, 16]}>
        {can(me.data, 'quality:read') ? (
          <Col xs={24} xl={14}>
            <ProjectsCard />
          </Col>
        ) : null}
        <Col xs={24} xl={10}>
          <Notifications />
        </Col>
      </Row>
      {can(me.data, 'quality:improve') ? <MyTasks /> : null}
    </Space>
  );
}

function ProjectsCard() {
  const { t } = useTranslation('quality');
  const f = useFormat();
  const projects = useQuery(projectNamesQuery());
  return (
    <Card title={t('home.projects')}>
      <ProblemAlert error={projects.error} />
      <Table<Project>
        rowKey="id"
        size="small"
        loading={projects.isPending}
        dataSource={projects.data?.items ?? []}
        pagination={{ pageSize: 15, hideOnSinglePage: true }}
        locale={{ emptyText: t('home.noProjects') }}
        columns={[
          {
            title: t('home.project'),
            dataIndex: 'title',
            render: (title: string, p) => <Link to={`/projects/${p.id}/quality`}>{title}</Link>,
          },
          {
            title: t('home.tasks'),
            dataIndex: 'task_count',
            align: 'right',
            render: (n: number) => f.number(n),
          },
          {
            title: t('common:actions'),
            key: 'links',
            render: (_, p) => (
              <Space size="middle">
                <Link to={`/projects/${p.id}/quality/issues`}>{t('tabs.issues')}</Link>
                <Link to={`/projects/${p.id}/quality/alerts`}>{t('tabs.alerts')}</Link>
                <Link to={`/projects/${p.id}/quality/reports`}>{t('tabs.reports')}</Link>
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

function MyTasks() {
  const { t } = useTranslation('quality');
  const tasks = useQuery(qualityQueries.myImprovements());
  return (
    <Card title={t('home.myTasks')}>
      {tasks.isPending ? (
        <Loading />
      ) : tasks.error ? (
        <ProblemAlert error={tasks.error} />
      ) : (
        <Board tasks={tasks.data} testId="my-improvements" />
      )}
    </Card>
  );
}
