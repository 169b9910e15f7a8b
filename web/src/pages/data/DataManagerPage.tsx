import { DownloadOutlined, UploadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Dropdown, Input, InputNumber, Modal, Progress, Select, Space, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must, type paths } from '../../api/client';
import { TASK_PRIORITIES, TASK_STATUSES } from '../../api/enums';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJob } from '../../lib/jobs';
import type { Project } from '../../lib/project';
import { projectKeys, projectMembersQuery } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { ProjectPage } from '../projects/ProjectPage';
import { compact, SORTS, type TaskFilter, type TaskSort } from './filters';
import { dataKeys, tasksQuery } from './queries';
import { TaskGrid } from './TaskGrid';

// The dialogs (and the table, upload and form they use) load when first opened, not with
// the page's first rows.
const ImportDialog = lazy(() => import('./ImportDialog').then((m) => ({ default: m.ImportDialog })));
const ExportDialog = lazy(() => import('./ExportDialog').then((m) => ({ default: m.ExportDialog })));

type ActionBody =
  paths['/api/v1/projects/{id}/tasks/actions']['post']['requestBody']['content']['application/json'];
type Action = ActionBody['action'];

function yesNo(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function Filters({
  filter,
  onChange,
  dataKeys,
}: {
  filter: TaskFilter;
  onChange: (f: TaskFilter) => void;
  dataKeys: string[];
}) {
  const { t } = useTranslation('data');
  // Once set, a filter keeps saying what it filters: "Annotated: Yes", not a bare "Yes".
  const named = (key: string, set: boolean) => (set ? `${t(`filters.${key}`)}:` : undefined);
  const boolOptions = [
    { value: 'true', label: t('filters.yes') },
    { value: 'false', label: t('filters.no') },
  ];
  const bool = (key: 'annotated' | 'reviewed' | 'has_predictions') => (
    <Select
      allowClear
      aria-label={t(`filters.${key}`)}
      placeholder={t(`filters.${key}`)}
      style={{ width: 190 }}
      prefix={named(key, filter[key] !== undefined)}
      value={yesNo(filter[key])}
      onChange={(v?: string) => onChange({ ...filter, [key]: v === undefined ? undefined : v === 'true' })}
      options={boolOptions}
    />
  );
  return (
    <Space wrap>
      <Select
        mode="multiple"
        allowClear
        aria-label={t('filters.status')}
        placeholder={t('filters.status')}
        style={{ minWidth: 160 }}
        prefix={named('status', (filter.status?.length ?? 0) > 0)}
        value={filter.status ?? []}
        onChange={(status) => onChange({ ...filter, status })}
        options={TASK_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
      />
      <Select
        mode="multiple"
        allowClear
        aria-label={t('filters.priority')}
        placeholder={t('filters.priority')}
        style={{ minWidth: 140 }}
        prefix={named('priority', (filter.priority?.length ?? 0) > 0)}
        value={filter.priority ?? []}
        onChange={(priority) => onChange({ ...filter, priority })}
        options={TASK_PRIORITIES.map((p) => ({ value: p, label: t(`priority.${p}`) }))}
      />
      {bool('annotated')}
      {bool('reviewed')}
      {bool('has_predictions')}
      <Space.Compact>
        <Select
          allowClear
          aria-label={t('filters.dataKey')}
          placeholder={t('filters.dataKey')}
          style={{ width: 120 }}
          value={filter.data_key}
          onChange={(data_key) => onChange({ ...filter, data_key })}
          options={dataKeys.map((k) => ({ value: k, label: k }))}
        />
        <Input.Search
          allowClear
          aria-label={t('filters.contains')}
          placeholder={t('filters.contains')}
          style={{ width: 200 }}
          onSearch={(contains) =>
            onChange({ ...filter, contains: contains || undefined, data_key: filter.data_key ?? dataKeys[0] })
          }
        />
      </Space.Compact>
      <InputNumber
        aria-label={t('filters.scoreMin')}
        placeholder={t('filters.scoreMin')}
        min={0}
        max={1}
        step={0.1}
        value={filter.score_min}
        onChange={(v) => onChange({ ...filter, score_min: v ?? undefined })}
      />
      <InputNumber
        aria-label={t('filters.scoreMax')}
        placeholder={t('filters.scoreMax')}
        min={0}
        max={1}
        step={0.1}
        value={filter.score_max}
        onChange={(v) => onChange({ ...filter, score_max: v ?? undefined })}
      />
    </Space>
  );
}

export default function DataManagerPage() {
  return <ProjectPage section="data">{(project) => <DataManager project={project} />}</ProjectPage>;
}

function DataManager({ project }: { project: Project }) {
  const id = project.id;
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const me = useMe();
  const { modal, message } = App.useApp();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<TaskFilter>({});
  const [sort, setSort] = useState<TaskSort>('id');
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [dialog, setDialog] = useState<'import' | 'export' | 'priority' | 'assign' | null>(null);
  // A dialog once opened stays mounted, so a running import or export keeps its progress.
  const opened = useRef(new Set<string>());
  if (dialog) opened.current.add(dialog);
  const [priority, setPriority] = useState<(typeof TASK_PRIORITIES)[number]>('high');
  const [assignees, setAssignees] = useState<string[]>([]);
  const query = compact(filter);

  const tasks = useInfiniteQuery(tasksQuery(id, query, sort));
  const rows = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  const total = tasks.data?.pages[0]?.total;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = tasks;
  const nearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const users = useQuery({ ...projectMembersQuery(id), enabled: dialog === 'assign' });

  const act = useMutation({
    mutationFn: (extra: Omit<ActionBody, 'selection'>) =>
      must(
        api.POST('/api/v1/projects/{id}/tasks/actions', {
          params: { path: { id } },
          body: { ...extra, selection: allMatching ? { filter: query } : { ids: [...selected] } },
        }),
      ),
    onSuccess: (r) => {
      // Actions over a filter or many ids run as a job (202); the bar below follows it.
      if ('job_id' in r) setActionJob(r.job_id);
      else {
        void message.success(t('actions.done', { n: fmt.number(r.affected) }));
        refresh();
      }
      setSelected(new Set());
      setAllMatching(false);
      setDialog(null);
    },
  });
  const [actionJob, setActionJob] = useState<string | null>(null);
  const job = useJob(actionJob, { done: t('actions.jobDone'), failed: t('actions.jobFailed') });
  const jobStatus = job.data?.status;
  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: dataKeys.tasks(id) });
    void queryClient.invalidateQueries({ queryKey: projectKeys.project(id) });
  }, [queryClient, id]);
  useEffect(() => {
    if (jobStatus === 'completed' || jobStatus === 'failed') refresh();
  }, [jobStatus, refresh]);

  function runAction(action: Action) {
    if (action === 'set_priority') return setDialog('priority');
    if (action === 'assign') return setDialog('assign');
    modal.confirm({
      title: t(`actions.${action}`),
      content: t('actions.confirm', { n: fmt.number(allMatching ? (total ?? 0) : selected.size) }),
      okButtonProps: { danger: true },
      onOk: () => act.mutateAsync({ action }),
    });
  }

  function changeFilter(f: TaskFilter) {
    setFilter(f);
    setSelected(new Set());
    setAllMatching(false);
  }

  const selectedCount = allMatching ? (total ?? 0) : selected.size;
  const actions: Action[] = ['set_priority', 'assign', 'remove_annotations', 'remove_predictions', 'delete'];

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('title')}{' '}
          <Typography.Text type="secondary" data-testid="task-total">
            {total === undefined ? '' : t('total', { formatted: fmt.number(total) })}
          </Typography.Text>
        </Typography.Title>
        <Space wrap>
          <Select<TaskSort>
            aria-label={t('sort.label')}
            value={sort}
            onChange={setSort}
            style={{ width: 200 }}
            options={SORTS.map((s) => ({ value: s, label: t(`sort.${s}`) }))}
          />
          {can(me.data, 'tasks:manage') ? (
            <Dropdown
              disabled={selectedCount === 0}
              menu={{
                items: actions.map((a) => ({ key: a, label: t(`actions.${a}`), danger: a === 'delete' })),
                onClick: ({ key }) => runAction(key as Action),
              }}
            >
              <Button>{t('actions.label', { n: fmt.number(selectedCount) })}</Button>
            </Dropdown>
          ) : null}
          {can(me.data, 'tasks:import') ? (
            <Button icon={<UploadOutlined />} onClick={() => setDialog('import')}>
              {t('import.open')}
            </Button>
          ) : null}
          {can(me.data, 'tasks:export') ? (
            <Button icon={<DownloadOutlined />} onClick={() => setDialog('export')}>
              {t('export.open')}
            </Button>
          ) : null}
        </Space>
      </Space>
      <Filters filter={filter} onChange={changeFilter} dataKeys={project.data_keys} />
      {selected.size > 0 && !allMatching && total !== undefined && total > selected.size ? (
        <Button type="link" onClick={() => setAllMatching(true)} style={{ padding: 0 }}>
          {t('grid.selectMatching', { formatted: fmt.number(total) })}
        </Button>
      ) : null}
      {actionJob && jobStatus !== 'completed' && jobStatus !== 'failed' ? (
        <Progress
          percent={Math.round((job.data?.progress ?? 0) * 100)}
          aria-label={t('actions.jobRunning')}
        />
      ) : null}
      <ProblemAlert error={tasks.error ?? act.error ?? job.error} />
      <TaskGrid
        rows={rows}
        dataKeys={project.data_keys}
        selected={selected}
        allSelected={allMatching}
        loading={tasks.isPending}
        filtered={Object.keys(query).length > 0}
        onNearEnd={nearEnd}
        onToggle={(taskId) => {
          setAllMatching(false);
          const next = new Set(selected);
          if (next.has(taskId)) next.delete(taskId);
          else next.add(taskId);
          setSelected(next);
        }}
        onToggleAll={() => {
          if (allMatching || selected.size) {
            setAllMatching(false);
            setSelected(new Set());
          } else setSelected(new Set(rows.map((r) => r.id)));
        }}
      />
      {tasks.isPending ? <Loading /> : null}
      {opened.current.has('import') ? (
        <Suspense fallback={null}>
          <ImportDialog projectId={id} open={dialog === 'import'} onClose={() => setDialog(null)} />
        </Suspense>
      ) : null}
      {opened.current.has('export') ? (
        <Suspense fallback={null}>
          <ExportDialog projectId={id} open={dialog === 'export'} onClose={() => setDialog(null)} />
        </Suspense>
      ) : null}
      <Modal
        open={dialog === 'priority'}
        title={t('actions.set_priority')}
        onCancel={() => setDialog(null)}
        onOk={() => act.mutate({ action: 'set_priority', priority })}
        confirmLoading={act.isPending}
      >
        <Select
          aria-label={t('filters.priority')}
          value={priority}
          onChange={setPriority}
          style={{ width: '100%' }}
          options={TASK_PRIORITIES.map((p) => ({ value: p, label: t(`priority.${p}`) }))}
        />
      </Modal>
      <Modal
        open={dialog === 'assign'}
        title={t('actions.assign')}
        onCancel={() => setDialog(null)}
        onOk={() => act.mutate({ action: 'assign', user_ids: assignees })}
        okButtonProps={{ disabled: assignees.length === 0 }}
        confirmLoading={act.isPending}
      >
        <Select
          mode="multiple"
          aria-label={t('actions.assignees')}
          placeholder={t('actions.assignees')}
          loading={users.isPending}
          value={assignees}
          onChange={setAssignees}
          style={{ width: '100%' }}
          options={(users.data?.items ?? []).map((u) => ({
            value: u.user_id,
            label: `${u.name} <${u.email}>`,
          }))}
        />
      </Modal>
    </>
  );
}
