import { ArrowLeftOutlined, ArrowRightOutlined, ReadOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Result, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, must } from '../../api/client';
import { CommentThread } from '../../components/CommentThread';
import {
  type EditorHandle,
  type EditorProps,
  type EditorTask,
  LabelStudioEditor,
  type LsResult,
} from '../../components/LabelStudioEditor';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import type { Project } from '../../lib/project';
import { useMe } from '../../lib/session';
import { ProjectPage } from '../projects/ProjectPage';
import { InstructionsDrawer } from './InstructionsDrawer';
import { labelingQueries } from './queries';
import { useShortcuts } from './useShortcuts';

type Mode =
  | { kind: 'stream' }
  | { kind: 'edit'; annotationId: number; taskId: number }
  | { kind: 'improve'; improvementId: number };
/** The states in which an improvement task's assignee may still submit a result. */
const WORKABLE = ['pending', 'in_progress', 'rejected'];

/** Links from quality pages open one annotation (`?annotation=&task=`) or an improvement task (`?improvement=`). */
function modeOf(params: URLSearchParams): Mode {
  const id = (name: string) => Number(params.get(name)) || 0;
  if (id('improvement')) return { kind: 'improve', improvementId: id('improvement') };
  if (id('annotation') && id('task'))
    return { kind: 'edit', annotationId: id('annotation'), taskId: id('task') };
  return { kind: 'stream' };
}
/** A selection from the data manager (`?tasks=4,9,7`): walked in that order. */
function selectionOf(params: URLSearchParams): string | undefined {
  const tasks = params.get('tasks');
  return tasks && /^[1-9][0-9]*(,[1-9][0-9]*)*$/.test(tasks) ? tasks : undefined;
}
const taskList = (ids: number[]) => ids.map((id) => `#${id}`).join(', ');
const AUTOSAVE_MS = 5000;
const secondsSince = (start: number) => (Date.now() - start) / 1000;

/** What the editor shows: the next task of the stream, or one of my annotations to update. */
function useWork(projectId: number, mode: Mode, round: number, selection: string | undefined) {
  const next = useQuery({
    ...labelingQueries.next(projectId, round, selection),
    enabled: mode.kind === 'stream',
    gcTime: 0,
  });
  const edit = useQuery({
    ...labelingQueries.annotationWithTask(
      projectId,
      mode.kind === 'edit' ? mode : { annotationId: 0, taskId: 0 },
    ),
    enabled: mode.kind === 'edit',
    gcTime: 0,
  });
  const improve = useQuery({
    ...labelingQueries.improvement(mode.kind === 'improve' ? mode.improvementId : 0),
    enabled: mode.kind === 'improve',
    gcTime: 0,
  });
  if (mode.kind === 'improve') return { kind: 'improve' as const, query: improve };
  return mode.kind === 'stream'
    ? { kind: 'stream' as const, query: next }
    : { kind: 'edit' as const, query: edit };
}

function Workspace({ project }: { project: Project }) {
  const { t } = useTranslation('labeling');
  const fmt = useFormat();
  const me = useMe();
  const { message } = App.useApp();
  const editor = useRef<EditorHandle>(null);
  const [params, setParams] = useSearchParams();
  const [mode, setMode] = useState<Mode>(() => modeOf(params));
  const [selection] = useState(() => selectionOf(params));
  const [round, setRound] = useState(0);
  const [history, setHistory] = useState<{ annotationId: number; taskId: number }[]>([]);
  const [instructions, setInstructions] = useState(false);
  const [draftSavedAt, setDraftSavedAt] = useState<string | null>(null);
  const work = useWork(project.id, mode, round, selection);
  const progress = useQuery(labelingQueries.progress(project.id, round, selection));
  // Each task of the selection passed over because someone else holds it is said once.
  const announced = useRef(new Set<number>());
  const held = work.kind === 'stream' ? work.query.data?.held : undefined;
  useEffect(() => {
    const fresh = (held ?? []).filter((id) => !announced.current.has(id));
    if (!fresh.length) return;
    for (const id of fresh) announced.current.add(id);
    void message.warning(t('selection.held', { tasks: taskList(fresh), count: fresh.length }));
  }, [held, message, t]);
  // Lead time: seconds the editor was open, plus what an earlier draft had already spent.
  const started = useRef(Date.now());
  const spentBefore = useRef(0);
  const draftId = useRef<number | undefined>(undefined);
  const lastSaved = useRef('[]');

  const nextTask = work.kind === 'stream' ? work.query.data?.task : undefined;
  const edited = work.kind === 'edit' ? work.query.data : undefined;
  const improving = work.kind === 'improve' ? work.query.data : undefined;
  const workable =
    improving !== undefined &&
    improving.improvement.assignee_id === me.data?.user.id &&
    WORKABLE.includes(improving.improvement.status);
  const taskId = nextTask?.id ?? edited?.task.id ?? improving?.task.id;
  // A task a reviewer sent back: the caller's rejected annotation opens for rework.
  const rework = nextTask?.annotations.filter((a) => a.review_status === 'rejected').at(-1);
  const rejection = useQuery({
    queryKey: ['rejection', rework?.id],
    queryFn: () =>
      must(api.GET('/api/v1/annotations/{id}/reviews', { params: { path: { id: rework!.id } } })),
    enabled: rework !== undefined,
    select: (page) => page.items.filter((r) => r.status === 'rejected').at(-1),
  });

  const editorTask = useMemo<EditorTask | null>(() => {
    if (nextTask) {
      return {
        id: nextTask.id,
        data: nextTask.data,
        annotations: rework ? [{ id: rework.id, result: rework.result as LsResult[] }] : undefined,
        predictions: nextTask.predictions.map((p) => ({
          id: p.id,
          result: p.result as LsResult[],
          score: p.score,
          model_version: p.model_version,
        })),
      };
    }
    if (edited) {
      return {
        id: edited.task.id,
        data: edited.task.data,
        annotations: [{ id: edited.annotation.id, result: edited.annotation.result as LsResult[] }],
      };
    }
    if (improving) {
      // The assignee goes on from the result they proposed last, if any.
      const result = improving.improvement.proposed_result ?? improving.annotation.result;
      return {
        id: improving.task.id,
        data: improving.task.data,
        annotations: [{ id: improving.annotation.id, result: result as LsResult[] }],
      };
    }
    return null;
  }, [nextTask, edited, rework, improving]);

  const draft = nextTask?.drafts[0];
  const start = useMemo<EditorProps['start']>(
    () =>
      edited || rework || improving
        ? { kind: 'annotation', id: (edited?.annotation ?? rework ?? improving?.annotation)!.id }
        : { kind: 'new', draft: draft?.result as LsResult[] | undefined, fromPrediction: true },
    [edited, rework, improving, draft],
  );
  const parentPrediction = !draft?.result.length ? nextTask?.predictions[0]?.id : undefined;

  const onReady = useCallback(() => {
    started.current = Date.now();
    spentBefore.current = (edited?.annotation ?? rework)?.lead_time ?? draft?.lead_time ?? 0;
    draftId.current = draft?.id;
    lastSaved.current = JSON.stringify(draft?.result ?? []);
    setDraftSavedAt(null);
  }, [edited, rework, draft]);
  const leadTime = () => spentBefore.current + secondsSince(started.current);

  // Drafts: the open new annotation is saved every few seconds while it changes.
  const drafting = rework ? undefined : nextTask;
  useEffect(() => {
    if (!drafting) return;
    const taskId = drafting.id;
    const timer = setInterval(async () => {
      const result = editor.current?.result() ?? [];
      const json = JSON.stringify(result);
      if (!result.length || json === lastSaved.current) return;
      lastSaved.current = json;
      const saved = await api.PUT('/api/v1/tasks/{taskId}/draft', {
        params: { path: { taskId } },
        body: { result, lead_time: spentBefore.current + secondsSince(started.current) },
      });
      if (saved.data) {
        draftId.current = saved.data.id;
        setDraftSavedAt(saved.data.updated_at);
      }
    }, AUTOSAVE_MS);
    return () => clearInterval(timer);
  }, [drafting]);

  const submit = useMutation({
    mutationFn: (body: { result: LsResult[]; was_cancelled?: boolean }) =>
      must(
        api.POST('/api/v1/tasks/{taskId}/annotations', {
          params: { path: { taskId: taskId! } },
          body: {
            ...body,
            lead_time: leadTime(),
            draft_id: draftId.current,
            parent_prediction: body.was_cancelled ? undefined : parentPrediction,
          },
        }),
      ),
    onSuccess: (a) => {
      // A skip (the editor's, Next's or Alt+→'s) says what the project does with the task.
      if (a.was_cancelled) void message.info(t(`movedOn.${project.skip_policy}`, { id: a.task }));
      else void message.success(t('submitted'));
      if (!a.was_cancelled) setHistory((h) => [...h, { annotationId: a.id, taskId: a.task }]);
      setRound((r) => r + 1);
    },
  });
  const update = useMutation({
    mutationFn: (result: LsResult[]) =>
      must(
        api.PATCH('/api/v1/annotations/{id}', {
          params: { path: { id: (edited?.annotation ?? rework)!.id } },
          body: { result, lead_time: leadTime() },
        }),
      ),
    onSuccess: () => {
      void message.success(t(rework ? 'rework.sent' : 'updated'));
      backToStream();
    },
  });

  /** Submits an improvement task's result, starting the task first when it has not been. */
  const submitImprovement = useMutation({
    mutationFn: async (result: LsResult[]) => {
      const { id, status } = improving!.improvement;
      const move = (body: { to: 'in_progress' | 'submitted'; result?: LsResult[] }) =>
        must(
          api.POST('/api/v1/quality/improvement-tasks/{id}/transitions', { params: { path: { id } }, body }),
        );
      if (status !== 'in_progress') await move({ to: 'in_progress' });
      return move({ to: 'submitted', result });
    },
    onSuccess: () => {
      void message.success(t('improve.submitted'));
      void work.query.refetch();
    },
  });

  function backToStream() {
    // Back to the stream, or to the selection being walked.
    if ([...params.keys()].some((k) => k !== 'tasks')) setParams(selection ? { tasks: selection } : {});
    setMode({ kind: 'stream' });
    setRound((r) => r + 1);
  }
  /**
   * Next: from an edit, back to the stream; on a task of the stream, skip it (the server
   * hands a held task back first, so asking again would show it again) and take the next.
   */
  function moveOn() {
    // A rejected annotation stays first in the stream until it is corrected.
    if (rework) return;
    if (mode.kind !== 'stream' || !nextTask) return backToStream();
    if (!submit.isPending) submit.mutate({ result: [], was_cancelled: true });
  }
  function previous() {
    const current =
      mode.kind === 'edit' ? history.findIndex((h) => h.annotationId === mode.annotationId) : history.length;
    const target = history[current - 1];
    if (target) setMode({ kind: 'edit', ...target });
  }
  useShortcuts({
    'alt+arrowright': moveOn,
    'alt+arrowleft': previous,
    'alt+i': () => setInstructions((o) => !o),
  });

  const error = work.query.error ?? submit.error ?? update.error ?? submitImprovement.error;
  const reason = work.kind === 'stream' ? work.query.data?.reason : null;

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Space>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('title')}
          </Typography.Title>
          {taskId ? <Tag data-testid="task-id">{t('task', { id: taskId })}</Tag> : null}
          {progress.data ? (
            <Tag color="geekblue" data-testid="progress">
              {progress.data.left === null
                ? t('progress.counting', { total: fmt.number(progress.data.total) })
                : t(selection ? 'progress.selection' : 'progress.left', {
                    left: fmt.number(progress.data.left),
                    total: fmt.number(progress.data.total),
                  })}
            </Tag>
          ) : null}
          {mode.kind === 'edit' ? <Tag color="blue">{t('editing')}</Tag> : null}
          {rework ? <Tag color="red">{t('rework.tag')}</Tag> : null}
          {improving ? (
            <Tag color="purple" data-testid="improvement-tag">
              {t('improve.tag', {
                id: improving.improvement.id,
                status: t(`quality:taskStatus.${improving.improvement.status}`),
              })}
            </Tag>
          ) : null}
          {draftSavedAt ? (
            <Typography.Text type="secondary" data-testid="draft-saved">
              {t('draftSaved', { time: fmt.date(draftSavedAt) })}
            </Typography.Text>
          ) : null}
        </Space>
        <Space>
          <Button
            icon={<ArrowLeftOutlined />}
            disabled={!history.length}
            onClick={previous}
            title={t('shortcuts.previousKeys')}
          >
            {t('previous')}
          </Button>
          <Button
            icon={<ArrowRightOutlined />}
            onClick={moveOn}
            disabled={rework !== undefined}
            title={t('shortcuts.nextKeys')}
          >
            {t('next')}
          </Button>
          <Button icon={<ReadOutlined />} onClick={() => setInstructions(true)}>
            {t('instructions.open')}
          </Button>
        </Space>
      </Space>
      {rework ? (
        <Alert
          type="warning"
          showIcon
          data-testid="rejected-notice"
          title={t('rework.title')}
          description={
            <>
              {rejection.data?.comment ? (
                <Typography.Paragraph style={{ margin: 0 }}>
                  {t('rework.comment', {
                    comment: rejection.data.comment,
                    when: fmt.date(rejection.data.updated_at),
                  })}
                </Typography.Paragraph>
              ) : null}
              <Typography.Text type="secondary">{t('rework.help')}</Typography.Text>
            </>
          }
        />
      ) : null}
      {improving ? (
        <Alert
          type="info"
          showIcon
          data-testid="improvement-notice"
          title={t(workable ? 'improve.help' : 'improve.readOnly', { id: improving.annotation.id })}
          description={
            improving.improvement.comment
              ? t('improve.comment', { comment: improving.improvement.comment })
              : undefined
          }
        />
      ) : null}
      <ProblemAlert error={error} />
      {work.query.isPending ? <Loading /> : null}
      {!work.query.isPending && !editorTask && !error && reason === 'selection_done' ? (
        <Result
          status="success"
          data-testid="selection-done"
          title={t('selection.doneTitle')}
          subTitle={
            held?.length
              ? t('selection.doneHeld', { tasks: taskList(held), count: held.length })
              : t('selection.done')
          }
          extra={
            <Link to={`/projects/${project.id}/data`}>
              <Button type="primary">{t('selection.back')}</Button>
            </Link>
          }
        />
      ) : null}
      {!work.query.isPending && !editorTask && !error && reason !== 'selection_done' ? (
        <Result
          status="success"
          title={t('done.title')}
          subTitle={t(reason === 'limit_reached' ? 'done.limit' : 'done.noTasks')}
        />
      ) : null}
      {editorTask ? (
        <LabelStudioEditor
          ref={editor}
          config={project.label_config}
          task={editorTask}
          userName={me.data?.user.name ?? ''}
          interfaces={
            improving && !workable
              ? ['panel', 'controls', 'topbar', 'side-column', 'instruction']
              : mode.kind !== 'stream' || rework
                ? ['panel', 'update', 'controls', 'topbar', 'side-column', 'instruction']
                : [
                    'panel',
                    'submit',
                    'skip',
                    'controls',
                    'topbar',
                    'side-column',
                    'instruction',
                    'predictions:menu',
                  ]
          }
          start={start}
          onReady={onReady}
          onSubmit={(result) => submit.mutate({ result })}
          onSkip={() => submit.mutate({ result: [], was_cancelled: true })}
          onUpdate={(result) => (improving ? submitImprovement.mutate(result) : update.mutate(result))}
        />
      ) : null}
      {taskId ? (
        <CommentThread
          projectId={project.id}
          taskId={taskId}
          annotation={(edited?.annotation ?? rework ?? improving?.annotation)?.id}
        />
      ) : null}
      <InstructionsDrawer
        open={instructions}
        onClose={() => setInstructions(false)}
        text={project.instructions}
      />
    </Space>
  );
}

export default function LabelingPage() {
  return <ProjectPage section="label">{(project) => <Workspace project={project} />}</ProjectPage>;
}
