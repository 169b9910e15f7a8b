import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Popconfirm, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { Pager, useCursor } from './paging';
import { adminKeys, adminQueries } from './queries';

/** Every member's API tokens; revoking one ends it at once. */
export function TokensTab() {
  const { t } = useTranslation('admin');
  const f = useFormat();
  const queryClient = useQueryClient();
  const paging = useCursor('');
  const tokens = useQuery(adminQueries.tokens(paging.cursor));
  const users = useQuery(adminQueries.userNames());
  const emails = new Map((users.data?.items ?? []).map((u) => [u.id, u.email]));
  const revoke = useMutation({
    mutationFn: (id: string) => must(api.DELETE('/api/v1/admin/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.tokens }),
  });
  return (
    <>
      <ProblemAlert error={tokens.error ?? revoke.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={tokens.isPending}
        dataSource={tokens.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          { title: t('tokens.owner'), dataIndex: 'user_id', render: (id: string) => emails.get(id) ?? id },
          {
            title: t('tokens.permissions'),
            dataIndex: 'permissions',
            render: (ps: string[]) => ps.map((p) => <Tag key={p}>{p}</Tag>),
          },
          { title: t('tokens.created'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          {
            title: t('tokens.expires'),
            dataIndex: 'expires_at',
            render: (d: string | null) => (d ? f.date(d) : t('users.never')),
          },
          { title: t('tokens.lastUsed'), dataIndex: 'last_used_at', render: (d: string | null) => f.date(d) },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, tk) =>
              tk.revoked_at ? (
                <Tag color="red">{t('tokens.revoked')}</Tag>
              ) : (
                <Popconfirm title={t('tokens.revokeConfirm')} onConfirm={() => revoke.mutate(tk.id)}>
                  <Button size="small" danger>
                    {t('tokens.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Pager paging={paging} nextCursor={tokens.data?.next_cursor} />
    </>
  );
}
