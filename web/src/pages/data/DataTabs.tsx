import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Input, Modal, Space, Tabs } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { sameView, type TaskFilter, type TaskSort } from './filters';

export type SavedTab = GetResponse<'/api/v1/projects/{id}/tabs'>['items'][number];
export interface View {
  filter: TaskFilter;
  sort: TaskSort;
  columns: string[];
}

const tabsKey = (projectId: number) => ['tabs', projectId] as const;

/**
 * The user's saved views of the project above the grid (Label Studio's tabs): "All tasks",
 * then each saved tab. Choosing one restores its filter, sort and columns; "+" saves the
 * current view as a new tab; a changed view can be saved back into its tab.
 */
export function DataTabs({
  projectId,
  active,
  view,
  onSelect,
}: {
  projectId: number;
  /** The saved tab shown, or null for "All tasks". */
  active: number | null;
  view: View;
  onSelect: (tab: SavedTab | null) => void;
}) {
  const { t } = useTranslation('data');
  const { modal } = App.useApp();
  const queryClient = useQueryClient();
  const [naming, setNaming] = useState<{ tab: SavedTab | null; name: string } | null>(null);
  const tabs = useQuery({
    queryKey: tabsKey(projectId),
    queryFn: () => must(api.GET('/api/v1/projects/{id}/tabs', { params: { path: { id: projectId } } })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: tabsKey(projectId) });
  const body = () => ({ filters: view.filter, ordering: view.sort, columns: view.columns });
  const create = useMutation({
    mutationFn: (name: string) =>
      must(
        api.POST('/api/v1/projects/{id}/tabs', {
          params: { path: { id: projectId } },
          body: { name, ...body() },
        }),
      ),
    onSuccess: (tab) => {
      setNaming(null);
      void refresh();
      onSelect(tab);
    },
  });
  const update = useMutation({
    mutationFn: ({ tab, patch }: { tab: SavedTab; patch: { name?: string } | 'view' }) =>
      must(
        api.PATCH('/api/v1/projects/{id}/tabs/{tabId}', {
          params: { path: { id: projectId, tabId: tab.id } },
          body: patch === 'view' ? body() : patch,
        }),
      ),
    onSuccess: () => {
      setNaming(null);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (tab: SavedTab) =>
      must(
        api.DELETE('/api/v1/projects/{id}/tabs/{tabId}', {
          params: { path: { id: projectId, tabId: tab.id } },
        }),
      ),
    onSuccess: (_, tab) => {
      void refresh();
      if (tab.id === active) onSelect(null);
    },
  });

  const items = tabs.data?.items ?? [];
  const current = items.find((x) => x.id === active);
  const changed =
    current !== undefined &&
    (!sameView(view, { filter: current.filters, sort: current.ordering }) ||
      view.columns.join() !== current.columns.join());
  return (
    <>
      <Tabs
        type="editable-card"
        size="small"
        activeKey={active === null ? 'all' : String(active)}
        addIcon={<PlusOutlined title={t('tabs.add')} />}
        onChange={(key) => onSelect(items.find((x) => String(x.id) === key) ?? null)}
        onEdit={(key, action) => {
          if (action === 'add') return setNaming({ tab: null, name: '' });
          const tab = items.find((x) => String(x.id) === key);
          if (tab)
            modal.confirm({
              title: t('tabs.delete', { name: tab.name }),
              okButtonProps: { danger: true },
              onOk: () => remove.mutateAsync(tab),
            });
        }}
        items={[
          { key: 'all', label: t('tabs.all'), closable: false },
          ...items.map((x) => ({ key: String(x.id), label: x.name })),
        ]}
        tabBarExtraContent={
          current ? (
            <Space>
              {changed ? (
                <Button
                  size="small"
                  type="primary"
                  onClick={() => update.mutate({ tab: current, patch: 'view' })}
                >
                  {t('tabs.save')}
                </Button>
              ) : null}
              <Button size="small" onClick={() => setNaming({ tab: current, name: current.name })}>
                {t('tabs.rename')}
              </Button>
            </Space>
          ) : null
        }
        style={{ marginBottom: 0 }}
      />
      <ProblemAlert error={tabs.error ?? remove.error ?? (naming ? null : update.error)} />
      <Modal
        open={naming !== null}
        title={naming?.tab ? t('tabs.rename') : t('tabs.new')}
        onCancel={() => setNaming(null)}
        okButtonProps={{ disabled: !naming?.name.trim() }}
        confirmLoading={create.isPending || update.isPending}
        onOk={() => {
          if (!naming) return;
          if (naming.tab) update.mutate({ tab: naming.tab, patch: { name: naming.name.trim() } });
          else create.mutate(naming.name.trim());
        }}
      >
        <Input
          autoFocus
          aria-label={t('tabs.name')}
          placeholder={t('tabs.name')}
          maxLength={100}
          value={naming?.name ?? ''}
          onChange={(e) => setNaming((n) => (n ? { ...n, name: e.target.value } : n))}
        />
        <ProblemAlert error={create.error ?? update.error} />
      </Modal>
    </>
  );
}
