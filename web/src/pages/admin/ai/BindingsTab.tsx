import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Input, Select, Space, Table } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { can, useMe } from '../../../lib/session';
import { aiKeys, configurationsQuery, FEATURES } from './queries';

type Feature = (typeof FEATURES)[number];
interface Draft {
  configuration_id?: number;
  model: string;
  embedding_model: string;
}

/** Which configuration and model each feature calls (Ragas' embedding model too). */
export function BindingsTab() {
  const { t } = useTranslation('ai');
  const me = useMe();
  const manage = can(me.data, 'llm:manage');
  const queryClient = useQueryClient();
  const configurations = useQuery(configurationsQuery);
  const bindings = useQuery({
    queryKey: aiKeys.bindings,
    queryFn: () => must(api.GET('/api/v1/llm/bindings')),
  });
  const [drafts, setDrafts] = useState<Partial<Record<Feature, Draft>>>({});
  const bound = new Map((bindings.data?.items ?? []).map((b) => [b.feature, b]));
  const draftOf = (feature: Feature): Draft => {
    const b = bound.get(feature);
    return (
      drafts[feature] ?? {
        configuration_id: b?.configuration_id,
        model: b?.model ?? '',
        embedding_model: b?.embedding_model ?? '',
      }
    );
  };
  const edit = (feature: Feature, patch: Partial<Draft>) =>
    setDrafts((d) => ({ ...d, [feature]: { ...draftOf(feature), ...patch } }));
  const save = useMutation({
    mutationFn: (feature: Feature) => {
      const d = draftOf(feature);
      return must(
        api.PUT('/api/v1/llm/bindings/{feature}', {
          params: { path: { feature } },
          body: {
            configuration_id: d.configuration_id!,
            model: d.model || null,
            embedding_model: d.embedding_model || null,
          },
        }),
      );
    },
    onSuccess: (_, feature) => {
      setDrafts((d) => ({ ...d, [feature]: undefined }));
      void queryClient.invalidateQueries({ queryKey: aiKeys.bindings });
    },
  });
  const remove = useMutation({
    mutationFn: (feature: Feature) =>
      must(api.DELETE('/api/v1/llm/bindings/{feature}', { params: { path: { feature } } })),
    onSuccess: (_, feature) => {
      setDrafts((d) => ({ ...d, [feature]: undefined }));
      void queryClient.invalidateQueries({ queryKey: aiKeys.bindings });
    },
  });
  return (
    <>
      <ProblemAlert error={bindings.error ?? save.error ?? remove.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey={(f) => f}
        size="small"
        loading={bindings.isPending}
        dataSource={[...FEATURES]}
        pagination={false}
        columns={[
          { title: t('bindings.feature'), key: 'feature', render: (_, f) => t(`features.${f}`) },
          {
            title: t('bindings.configuration'),
            key: 'configuration',
            render: (_, f) => (
              <Select
                style={{ minWidth: 180 }}
                disabled={!manage}
                data-testid={`binding-${f}`}
                aria-label={t('bindings.configuration')}
                value={draftOf(f).configuration_id}
                onChange={(configuration_id: number) => edit(f, { configuration_id })}
                options={(configurations.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
              />
            ),
          },
          {
            title: t('bindings.model'),
            key: 'model',
            render: (_, f) => (
              <Input
                disabled={!manage}
                placeholder={t('bindings.defaultModel')}
                value={draftOf(f).model}
                onChange={(e) => edit(f, { model: e.target.value })}
              />
            ),
          },
          {
            title: t('bindings.embeddingModel'),
            key: 'embedding',
            render: (_, f) => (
              <Input
                disabled={!manage}
                value={draftOf(f).embedding_model}
                onChange={(e) => edit(f, { embedding_model: e.target.value })}
              />
            ),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, f) =>
              manage && (
                <Space>
                  <Button
                    size="small"
                    type="primary"
                    disabled={draftOf(f).configuration_id === undefined}
                    onClick={() => save.mutate(f)}
                  >
                    {t('common:save')}
                  </Button>
                  {bound.has(f) && (
                    <Button size="small" danger onClick={() => remove.mutate(f)}>
                      {t('bindings.unbind')}
                    </Button>
                  )}
                </Space>
              ),
          },
        ]}
      />
    </>
  );
}
