import { DownloadOutlined, UploadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Dropdown, Input, InputNumber, Modal, Progress, Select, Space, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
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
import { DataTabs, type SavedTab } from './DataTabs';
import { compact, paramsOfView, SORTS, type TaskFilter, type TaskSort, viewFromParams } from './filters';
import { dataKeys, tasksQuery } from './queries';
import { TaskDrawer } from './TaskDrawer';
import { TaskGrid, type TaskRow } from './TaskGrid';

// The dialogs (and the table, upload and form they use) load when first opened, not with
// the page's first rows.
const ImportDialog = lazy(() => import('./ImportDialog').then((m) => ({ default: m.ImportDialog })));
const ExportDialog = lazy(() => import('./ExportDialog').then((m) => ({ default: m.ExportDialog })));
/** The most tasks the labeling page walks as a selection (the server's limit on /next?tasks=). */
const MAX_SELECTION = 1000;

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
  const bool = (key: 'annotated' | 'reviewed' | 'has_predictions' | 'unresolved_comments') => (
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
      {bool('unresolved_comments')}
      <SearchBox filter={filter} onChange={onChange} dataKeys={dataKeys} />
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

type SearchMode = 'search' | 'q';

/**
 * The search box: every data field by default, or one field (substring search only, as the
 * API narrows that one). "Contains" finds the text as typed, inside words too; "Full text"
 * takes words, "phrases", -excluded and OR, ranks the matches and offers the relevance sort.
 */
function SearchBox({
  filter,
  onChange,
  dataKeys,
}: {
  filter: TaskFilter;
  onChange: (f: TaskFilter) => void;
  dataKeys: string[];
}) {
  const { t } = useTranslation('data');
  const term = filter.q ?? filter.search ?? '';
  const [mode, setMode] = useState<SearchMode>(filter.q !== undefined ? 'q' : 'search');
  const [text, setText] = useState(term);
  // A tab chosen, or the URL changed: the box shows the search it now holds.
  useEffect(() => {
    setText(term);
    if (term) setMode(filter.q !== undefined ? 'q' : 'search');
  }, [term, filter.q]);
  const run = (value: string, m: SearchMode, field: string | undefined) => {
    const v = value.trim() || undefined;
    onChange(
      m === 'q'
        ? { ...filter, q: v, search: undefined, data_key: undefined }
        : { ...filter, search: v, q: undefined, data_key: field },
    );
  };
  return (
    <Space.Compact>
      <Select<SearchMode>
        aria-label={t('filters.mode')}
        style={{ width: 110 }}
        value={mode}
        onChange={(m) => {
          setMode(m);
          if (text.trim()) run(text, m, m === 'q' ? undefined : filter.data_key);
        }}
        options={[
          { value: 'search', label: t('filters.modes.search') },
          { value: 'q', label: t('filters.modes.q') },
        ]}
      />
      <Select
        allowClear
        aria-label={t('filters.dataKey')}
        placeholder={t('filters.allFields')}
        style={{ width: 130 }}
        disabled={mode === 'q'}
        value={mode === 'q' ? undefined : filter.data_key}
        onChange={(data_key?: string) => run(text, 'search', data_key)}
        options={dataKeys.map((k) => ({ value: k, label: k }))}
      />
      <Input.Search
        allowClear
        aria-label={t('filters.search')}
        placeholder={t(mode === 'q' ? 'filters.searchWords' : 'filters.searchText')}
        style={{ width: 260 }}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onSearch={(value) => run(value, mode, filter.data_key)}
      />
    </Space.Compact>
  );
}

/** The Choices controls of a project's config: what bulk labeling can answer. */
function choiceControls(project: Project) {
  return project.parsed_config.controls.filter((c) => c.type === 'Choices' && c.labels.length > 0);
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
  // The view (filter, sort, columns, tab) lives in the URL: a reload or a shared link shows it again.
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const { filter, sort } = useMemo(() => viewFromParams(new URLSearchParams(search)), [search]);
  const tab = Number(params.get('tab')) || null;
  const shownKeys = params.getAll('column').filter((k) => project.data_keys.includes(k));
  const columns = shownKeys.length ? shownKeys : project.data_keys;
  const setView = (next: {
    filter?: TaskFilter;
    sort?: TaskSort;
    columns?: string[];
    tab?: number | null;
  }) => {
    const out = paramsOfView(next.filter ?? filter, next.sort ?? sort);
    const keep = next.columns ?? shownKeys;
    if (keep.length && keep.length < project.data_keys.length) for (const k of keep) out.append('column', k);
    const tabId = next.tab === undefined ? tab : next.tab;
    if (tabId) out.set('tab', String(tabId));
    setParams(out);
  };
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [shown, setShown] = useState<TaskRow | null>(null);
  const [dialog, setDialog] = useState<'import' | 'export' | 'priority' | 'assign' | 'label' | null>(null);
  const controls = choiceControls(project);
  const [labelling, setLabelling] = useState<{ from_name?: string; choice?: string }>({});
  const labelControl = controls.find((c) => c.name === labelling.from_name) ?? controls[0];
  // A dialog once opened stays mounted, so a running import or export keeps its progress.
  const opened = useRef(new Set<string>());
  if (dialog) opened.current.add(dialog);
  const [priority, setPriority] = useState<(typeof TASK_PRIORITIES)[number]>('high');
  const [assignees, setAssignees] = useState<string[]>([]);
  const query = compact(filter);

  const tasks = useInfiniteQuery({
    ...tasksQuery(id, query, sort),
    // A costly filtered total is counted by a background job (total null meanwhile); asking
    // again soon finds it in the server's count cache.
    refetchInterval: (q) => (q.state.data?.pages[0]?.total === null ? 2000 : false),
  });
  const rows = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  const total = tasks.data?.pages[0]?.total;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = tasks;
  const nearEnd = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Members name the assignee column's people, and are the assign dialog's choices.
  const someoneNamed = rows.some((r) => r.assignees.length || r.holders.length);
  const users = useQuery({ ...projectMembersQuery(id), enabled: dialog === 'assign' || someoneNamed });
  const nameOf = useCallback(
    (userId: string) => users.data?.items.find((u) => u.user_id === userId)?.name ?? t('people.unknown'),
    [users.data, t],
  );
  // Shift-click ticks (or unticks) every row from the last one clicked to this one.
  const anchor = useRef<number | null>(null);
  function toggle(taskId: number, range: boolean) {
    setAllMatching(false);
    const next = new Set(selected);
    const on = !next.has(taskId);
    const from = anchor.current === null ? -1 : rows.findIndex((r) => r.id === anchor.current);
    const to = rows.findIndex((r) => r.id === taskId);
    const span = range && from >= 0 ? rows.slice(Math.min(from, to), Math.max(from, to) + 1) : [rows[to]!];
    for (const r of span) {
      if (on) next.add(r.id);
      else next.delete(r.id);
    }
    anchor.current = taskId;
    setSelected(next);
  }
  // Label selected: the labeling page walks the ticked tasks in the grid's order.
  const navigate = useNavigate();
  const inOrder = rows.filter((r) => selected.has(r.id)).map((r) => r.id);

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
        void message.success(
          r.annotations_created === undefined
            ? t('actions.done', { n: fmt.number(r.affected) })
            : t('actions.labelled', {
                n: fmt.number(r.annotations_created),
                skipped: fmt.number(r.skipped ?? 0),
              }),
        );
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
    if (action === 'label') return setDialog('label');
    modal.confirm({
      title: t(`actions.${action}`),
      content: t('actions.confirm', { n: fmt.number(allMatching ? (total ?? 0) : selected.size) }),
      okButtonProps: { danger: true },
      onOk: () => act.mutateAsync({ action }),
    });
  }

  function changeFilter(f: TaskFilter) {
    // Relevance is a full-text query's order: without one the list goes back to ids.
    setView({ filter: f, sort: sort === 'relevance' && !compact(f).q ? 'id' : sort });
    setSelected(new Set());
    setAllMatching(false);
  }

  function chooseTab(saved: SavedTab | null) {
    setView(
      saved
        ? {
            filter: saved.filters,
            sort: saved.ordering,
            columns: saved.columns.flatMap((c) => (c.startsWith('data.') ? [c.slice(5)] : [])),
            tab: saved.id,
          }
        : { filter: {}, sort: 'id', columns: [], tab: null },
    );
    setSelected(new Set());
    setAllMatching(false);
  }

  const selectedCount = allMatching ? (total ?? 0) : selected.size;
  const actions: Action[] = [
    ...(controls.length ? (['label'] as const) : []),
    'set_priority',
    'assign',
    'remove_annotations',
    'remove_predictions',
    'delete',
  ];
  const sorts: TaskSort[] = filter.q ? ['relevance', ...SORTS] : SORTS;

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('title')}{' '}
          <Typography.Text type="secondary" data-testid="task-total">
            {total === undefined
              ? ''
              : total === null
                ? t('counting')
                : t('total', { formatted: fmt.number(total) })}
          </Typography.Text>
        </Typography.Title>
        <Space wrap>
          <Select<TaskSort>
            aria-label={t('sort.label')}
            value={sort}
            onChange={(next) => setView({ sort: next })}
            style={{ width: 200 }}
            options={sorts.map((s) => ({ value: s, label: t(`sort.${s}`) }))}
          />
          {can(me.data, 'tasks:manage') ? (
            <Dropdown
              disabled={selectedCount === 0}
              menu={{
                items: actions.map((a) => ({ key: a, label: t(`actions.${a}`), danger: a === 'delete' })),
                onClick: ({ key }) => runAction(key as Action),
              }}
            >
              <Button>{t('actions.menu', { n: fmt.number(selectedCount) })}</Button>
            </Dropdown>
          ) : null}
          {can(me.data, 'annotations:write') && selected.size > 0 && !allMatching ? (
            <Button
              type="primary"
              disabled={inOrder.length > MAX_SELECTION}
              title={
                inOrder.length > MAX_SELECTION
                  ? t('labelSelected.tooMany', { max: fmt.number(MAX_SELECTION) })
                  : undefined
              }
              onClick={() => navigate(`/projects/${id}/label?tasks=${inOrder.join(',')}`)}
            >
              {t('labelSelected.button', { count: inOrder.length })}
            </Button>
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
      <DataTabs
        projectId={id}
        active={tab}
        view={{ filter, sort, columns: shownKeys.map((k) => `data.${k}`) }}
        onSelect={chooseTab}
      />
      <Space wrap>
        <Filters filter={filter} onChange={changeFilter} dataKeys={project.data_keys} />
        <Select
          mode="multiple"
          aria-label={t('filters.columns')}
          placeholder={t('filters.columns')}
          maxTagCount="responsive"
          style={{ minWidth: 160 }}
          value={columns}
          onChange={(next: string[]) => setView({ columns: next.length ? next : project.data_keys })}
          options={project.data_keys.map((k) => ({ value: k, label: k }))}
        />
      </Space>
      {selected.size > 0 && !allMatching && typeof total === 'number' && total > selected.size ? (
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
        dataKeys={columns}
        onOpen={setShown}
        selected={selected}
        allSelected={allMatching}
        loading={tasks.isPending}
        filtered={Object.keys(query).length > 0}
        onNearEnd={nearEnd}
        nameOf={nameOf}
        onToggle={toggle}
        onToggleAll={() => {
          if (allMatching || selected.size) {
            setAllMatching(false);
            setSelected(new Set());
          } else setSelected(new Set(rows.map((r) => r.id)));
        }}
      />
      {tasks.isPending ? <Loading /> : null}
      <TaskDrawer projectId={id} task={shown} onClose={() => setShown(null)} />
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
        open={dialog === 'label'}
        title={t('actions.label_title', { n: fmt.number(selectedCount) })}
        onCancel={() => setDialog(null)}
        onOk={() =>
          act.mutate({
            action: 'label',
            from_name: labelControl?.name,
            choices: labelling.choice ? [labelling.choice] : [],
          })
        }
        okButtonProps={{ disabled: !labelControl || !labelling.choice }}
        confirmLoading={act.isPending}
      >
        <Space direction="vertical" style={{ width: '100%' }}>
          {controls.length > 1 ? (
            <Select
              aria-label={t('actions.control')}
              value={labelControl?.name}
              onChange={(from_name: string) => setLabelling({ from_name })}
              style={{ width: '100%' }}
              options={controls.map((c) => ({ value: c.name, label: c.name }))}
            />
          ) : null}
          <Select
            aria-label={t('actions.choice')}
            placeholder={t('actions.choice')}
            value={labelling.choice}
            onChange={(choice: string) => setLabelling({ ...labelling, choice })}
            style={{ width: '100%' }}
            options={(labelControl?.labels ?? []).map((l) => ({ value: l, label: l }))}
          />
          <Typography.Text type="secondary">{t('actions.labelHelp')}</Typography.Text>
        </Space>
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
