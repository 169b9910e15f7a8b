import { CheckOutlined, CloseOutlined, EditOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Input, Modal, Radio, Result, Space, Tag, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type paths } from '../../api/client';
import { CommentThread } from '../../components/CommentThread';
import {
  type EditorHandle,
  type EditorTask,
  LabelStudioEditor,
  type LsResult,
} from '../../components/LabelStudioEditor';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import type { Project } from '../../lib/project';
import { projectMembersQuery } from '../../lib/project';
import { useMe } from '../../lib/session';
import { ProjectPage } from '../projects/ProjectPage';
import { reviewQueries } from './queries';

type ReviewBody =
  paths['/api/v1/annotations/{id}/review']['post']['requestBody']['content']['application/json'];

function Queue({ project }: { project: Project }) {
  const { t } = useTranslation('review');
  const fmt = useFormat();
  const me = useMe();
  const { message } = App.useApp();
  const editor = useRef<EditorHandle>(null);
  const [round, setRound] = useState(0);
  const [rejecting, setRejecting] = useState(false);
  const [reject, setReject] = useState<{ mode: 'requeue' | 'remove'; comment: string }>({
    mode: 'requeue',
    comment: '',
  });
  const opened = useRef(Date.now());
  // Accept and Fix judge what the editor shows; until it shows the annotation, only Reject.
  const [shown, setShown] = useState(false);

  const queue = useQuery({ ...reviewQueries.queue(project.id, round), gcTime: 0 });
  const members = useQuery(projectMembersQuery(project.id));
  const item = queue.data?.items[0];
  const author = item?.annotation.completed_by;
  const authorName =
    members.data?.items.find((m) => m.user_id === author)?.name ??
    item?.annotation.completed_by_external ??
    author ??
    '';
  const annotationId = item?.annotation.id;

  const act = useMutation({
    mutationFn: (body: ReviewBody) =>
      must(api.POST('/api/v1/annotations/{id}/review', { params: { path: { id: annotationId! } }, body })),
    onSuccess: (_r, body) => {
      if (body.action === 'start') return;
      void message.success(t(`done.${body.action}`));
      setRejecting(false);
      setRound((r) => r + 1);
    },
  });
  const { mutate } = act;
  // Taking the annotation tells other reviewers it is being looked at.
  useEffect(() => {
    if (annotationId === undefined) return;
    opened.current = Date.now();
    setShown(false);
    mutate({ action: 'start' });
  }, [annotationId, mutate]);

  const task = useMemo<EditorTask | null>(
    () =>
      item
        ? {
            id: item.task.id,
            data: item.task.data as Record<string, unknown>,
            annotations: [{ id: item.annotation.id, result: item.annotation.result as LsResult[] }],
          }
        : null,
    [item],
  );

  if (queue.isPending) return <Loading />;
  if (queue.error) return <ProblemAlert error={queue.error} />;
  if (!item || !task)
    return <Result status="success" title={t('empty.title')} subTitle={t('empty.detail')} />;
  const busy = act.isPending && act.variables?.action !== 'start';

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Space wrap>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('title')}
          </Typography.Title>
          <Tag>{t('task', { id: item.task.id })}</Tag>
          <Typography.Text type="secondary">
            {t('by', {
              who: authorName,
              when: fmt.date(item.annotation.created_at),
            })}
          </Typography.Text>
        </Space>
        <Space>
          <Button
            type="primary"
            icon={<CheckOutlined />}
            loading={busy}
            disabled={!shown}
            onClick={() => act.mutate({ action: 'accept' })}
          >
            {t('accept')}
          </Button>
          <Button danger icon={<CloseOutlined />} disabled={busy} onClick={() => setRejecting(true)}>
            {t('reject')}
          </Button>
          <Button
            icon={<EditOutlined />}
            disabled={busy || !shown}
            onClick={() =>
              act.mutate({
                action: 'fix',
                result: editor.current?.result() ?? [],
                lead_time: (Date.now() - opened.current) / 1000,
              })
            }
          >
            {t('fix')}
          </Button>
        </Space>
      </Space>
      <Typography.Text type="secondary">{t('fixHelp')}</Typography.Text>
      {/* Submitting nothing is allowed (a task may have nothing to label), so say it plainly. */}
      {(item.annotation.result as unknown[]).length === 0 ? (
        <Alert type="warning" showIcon role="alert" title={t('emptyAnnotation')} />
      ) : null}
      <ProblemAlert error={act.error} />
      <LabelStudioEditor
        ref={editor}
        config={project.label_config}
        task={task}
        userName={me.data?.user.name ?? ''}
        interfaces={['panel', 'controls', 'side-column']}
        start={{ kind: 'annotation', id: item.annotation.id }}
        onReady={() => setShown(true)}
      />
      <CommentThread projectId={project.id} taskId={item.task.id} annotation={item.annotation.id} />
      <Modal
        open={rejecting}
        title={t('rejectTitle')}
        okText={t('reject')}
        okButtonProps={{ danger: true }}
        confirmLoading={busy}
        onCancel={() => setRejecting(false)}
        onOk={() =>
          act.mutate({ action: 'reject', reject_mode: reject.mode, comment: reject.comment || undefined })
        }
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Radio.Group
            value={reject.mode}
            onChange={(e) => setReject({ ...reject, mode: e.target.value })}
            options={[
              { value: 'requeue', label: t('rejectMode.requeue') },
              { value: 'remove', label: t('rejectMode.remove') },
            ]}
          />
          <Input.TextArea
            aria-label={t('comment')}
            placeholder={t('comment')}
            value={reject.comment}
            onChange={(e) => setReject({ ...reject, comment: e.target.value })}
          />
        </Space>
      </Modal>
    </Space>
  );
}

export default function ReviewPage() {
  return <ProjectPage section="review">{(project) => <Queue project={project} />}</ProjectPage>;
}
