import { PlusOutlined } from '@ant-design/icons';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Input, Progress, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { GetResponse } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { projectSearchQuery, useProjectSummary } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { GetStarted } from './GetStarted';

type Row = GetResponse<'/api/v1/projects'>['items'][number];

function ProjectProgress({ id }: { id: number }) {
  const summary = useProjectSummary(id);
  const { t } = useTranslation('projects');
  const fmt = useFormat();
  if (!summary.data)
    return <Progress percent={0} size="small" status={summary.error ? 'exception' : 'normal'} />;
  const { finished, task_count: total } = summary.data;
  return (
    <Space orientation="vertical" size={0} style={{ width: 180 }}>
      <Progress percent={total ? Math.round((finished / total) * 100) : 0} size="small" />
      <Typography.Text type="secondary">
        {t('list.finishedOf', { finished: fmt.number(finished), total: fmt.number(total) })}
      </Typography.Text>
    </Space>
  );
}

export default function ProjectsPage() {
  const { t } = useTranslation('projects');
  const fmt = useFormat();
  const me = useMe();
  const [search, setSearch] = useState('');
  const list = useInfiniteQuery(projectSearchQuery(search));
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('list.title')}
        </Typography.Title>
        <Space>
          <Input.Search
            allowClear
            aria-label={t('list.search')}
            placeholder={t('list.search')}
            onSearch={setSearch}
            style={{ width: 240 }}
          />
          {can(me.data, 'projects:create') ? (
            <Link to="/projects/new">
              <Button type="primary" icon={<PlusOutlined />}>
                {t('list.create')}
              </Button>
            </Link>
          ) : null}
        </Space>
      </Space>
      <ProblemAlert error={list.error} />
      <Table<Row>
        rowKey="id"
        loading={list.isPending}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: search ? t('list.noMatch', { search }) : <GetStarted /> }}
        columns={[
          {
            title: t('list.name'),
            dataIndex: 'title',
            render: (title: string, p) => <Link to={`/projects/${p.id}/data`}>{title}</Link>,
          },
          { title: t('list.tasks'), dataIndex: 'task_count', render: (n: number) => fmt.number(n) },
          { title: t('list.progress'), key: 'progress', render: (_, p) => <ProjectProgress id={p.id} /> },
          { title: t('list.created'), dataIndex: 'created_at', render: (d: string) => fmt.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, p) => (
              <Space wrap>
                <Link to={`/projects/${p.id}/label`}>{t('list.label')}</Link>
                {can(me.data, 'reviews:write') ? (
                  <Link to={`/projects/${p.id}/review`}>{t('list.review')}</Link>
                ) : null}
                {can(me.data, 'projects:update') ? (
                  <Link to={`/projects/${p.id}/settings`}>{t('list.settings')}</Link>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      {list.hasNextPage ? (
        <Button onClick={() => list.fetchNextPage()} loading={list.isFetchingNextPage}>
          {t('list.more')}
        </Button>
      ) : null}
    </Space>
  );
}
