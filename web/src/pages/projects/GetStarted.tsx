import { ExperimentOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { projectKeys } from '../../lib/project';
import { can, useMe } from '../../lib/session';

const JOB_POLL_MS = 300;
const JOB_WAIT_MS = 60_000;

/** Waits for the sample's import job, so the labeling page it opens has its tasks. */
async function importFinished(jobId: string): Promise<void> {
  const deadline = Date.now() + JOB_WAIT_MS;
  for (;;) {
    const job = await must(api.GET('/api/v1/jobs/{id}', { params: { path: { id: jobId } } }));
    if (job.state === 'completed') return;
    if (job.state === 'failed' || job.state === 'cancelled' || Date.now() > deadline)
      throw new Error(job.error ?? job.state);
    await new Promise((r) => setTimeout(r, JOB_POLL_MS));
  }
}

/**
 * What an empty tenant sees instead of an empty list: make a project, or try the sample
 * one (twenty reviews to label by sentiment), which opens on its first task.
 */
export function GetStarted() {
  const { t, i18n } = useTranslation('projects');
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const sample = useMutation({
    mutationFn: async () => {
      const project = await must(
        api.POST('/api/v1/projects/sample', {
          body: { language: i18n.language === 'zh-CN' ? 'zh-CN' : 'en' },
        }),
      );
      await importFinished(project.job_id);
      return project;
    },
    onSuccess: (project) => {
      void queryClient.invalidateQueries({ queryKey: projectKeys.list });
      navigate(`/projects/${project.id}/label`);
    },
  });
  if (!can(me.data, 'projects:create')) return <Empty description={t('start.askManager')} />;
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={
        <Space orientation="vertical" size={4}>
          <Typography.Text strong>{t('start.title')}</Typography.Text>
          <Typography.Text type="secondary">{t('start.body')}</Typography.Text>
        </Space>
      }
    >
      <Space wrap style={{ justifyContent: 'center' }}>
        <Link to="/projects/new">
          <Button type="primary" icon={<PlusOutlined />}>
            {t('start.create')}
          </Button>
        </Link>
        <Button icon={<ExperimentOutlined />} loading={sample.isPending} onClick={() => sample.mutate()}>
          {t('start.sample')}
        </Button>
      </Space>
      <ProblemAlert error={sample.error} style={{ marginTop: 16 }} />
    </Empty>
  );
}
