import { DownloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, DatePicker, Form, Input, Select, Space, Table, Tag } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Pager, useCursor } from './paging';
import { adminQueries } from './queries';

interface FilterForm {
  actor_id?: string;
  action?: string;
  resource_type?: string;
  resource_id?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

interface Filter {
  actor_id?: string;
  action?: string;
  resource_type?: string;
  resource_id?: string;
  from?: string;
  to?: string;
}

function toFilter(v: FilterForm): Filter {
  return {
    actor_id: v.actor_id || undefined,
    action: v.action?.trim() || undefined,
    resource_type: v.resource_type?.trim() || undefined,
    resource_id: v.resource_id?.trim() || undefined,
    from: v.range?.[0]?.toISOString(),
    to: v.range?.[1]?.toISOString(),
  };
}

function exportUrl(filter: Filter, format: 'csv' | 'json'): string {
  const q = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  return `/api/v1/audit/logs/export?${q}`;
}

/** The audit log with filters, CSV/JSON export of what matches, and the hash-chain check. */
export function AuditTab() {
  const { t } = useTranslation('admin');
  const f = useFormat();
  const me = useMe();
  const [filter, setFilter] = useState<Filter>({});
  const paging = useCursor(JSON.stringify(filter));
  const logs = useQuery(adminQueries.audit(filter, paging.cursor));
  const users = useQuery(adminQueries.userNames());
  const emails = new Map((users.data?.items ?? []).map((u) => [u.id, u.email]));
  const verify = useMutation({ mutationFn: () => must(api.POST('/api/v1/audit/verify')) });

  return (
    <>
      <Form<FilterForm>
        layout="inline"
        onFinish={(v) => setFilter(toFilter(v))}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="actor_id" label={t('audit.actor')}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            style={{ width: 220 }}
            options={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.email }))}
          />
        </Form.Item>
        <Form.Item name="action" label={t('audit.action')} tooltip={t('audit.actionHelp')}>
          <Input style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="resource_type" label={t('audit.resourceType')}>
          <Input style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="resource_id" label={t('audit.resourceId')}>
          <Input style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="range" label={t('audit.time')}>
          <DatePicker.RangePicker showTime allowEmpty={[true, true]} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('audit.apply')}
        </Button>
      </Form>
      <Space wrap style={{ marginBottom: 16 }}>
        <Button icon={<DownloadOutlined />} href={exportUrl(filter, 'csv')} download>
          {t('audit.exportCsv')}
        </Button>
        <Button icon={<DownloadOutlined />} href={exportUrl(filter, 'json')} download>
          {t('audit.exportJson')}
        </Button>
        {can(me.data, 'audit:verify') ? (
          <Button
            icon={<SafetyCertificateOutlined />}
            onClick={() => verify.mutate()}
            loading={verify.isPending}
          >
            {t('audit.verify')}
          </Button>
        ) : null}
      </Space>
      {verify.data ? (
        <Alert
          data-testid="verify-result"
          style={{ marginBottom: 16 }}
          type={verify.data.ok ? 'success' : 'error'}
          showIcon
          title={verify.data.ok ? t('audit.chainOk') : t('audit.chainBroken')}
          description={
            <>
              {t('audit.checked', { n: f.number(verify.data.checked) })}
              {verify.data.reason ? (
                <div>
                  {verify.data.first_broken_id != null
                    ? `${t('audit.firstBroken', { id: verify.data.first_broken_id })} `
                    : null}
                  {verify.data.reason}
                </div>
              ) : null}
              {verify.data.broken_from_seq != null ? (
                <div>
                  {t('audit.brokenRange', {
                    from: verify.data.broken_from_seq,
                    to: verify.data.broken_to_seq,
                  })}
                </div>
              ) : null}
              <div data-testid="verify-anchor">
                {verify.data.latest_checkpoint
                  ? t('audit.anchored', {
                      n: verify.data.checkpoints_checked,
                      seq: verify.data.latest_checkpoint.seq,
                      at: f.date(verify.data.latest_checkpoint.created_at),
                    })
                  : t('audit.noCheckpoint')}
              </div>
            </>
          }
        />
      ) : null}
      <ProblemAlert error={logs.error ?? verify.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        size="small"
        loading={logs.isPending}
        dataSource={logs.data?.items ?? []}
        pagination={false}
        expandable={{
          expandedRowRender: (r) => <pre style={{ margin: 0 }}>{JSON.stringify(r, null, 2)}</pre>,
        }}
        columns={[
          { title: t('audit.time'), dataIndex: 'created_at', render: (d: string) => f.date(d) },
          {
            title: t('audit.actor'),
            dataIndex: 'actor_id',
            render: (id: string | null, r) => (
              <>
                {id ? (emails.get(id) ?? id) : '—'}{' '}
                {r.actor_type === 'api_token' ? <Tag>{t('audit.viaToken')}</Tag> : null}
              </>
            ),
          },
          { title: t('audit.action'), dataIndex: 'action', render: (a: string) => <code>{a}</code> },
          {
            title: t('audit.resource'),
            key: 'resource',
            render: (_, r) => `${r.resource_type}${r.resource_id ? ` ${r.resource_id}` : ''}`,
          },
          { title: t('audit.ip'), dataIndex: 'ip' },
        ]}
      />
      <Pager paging={paging} nextCursor={logs.data?.next_cursor} />
    </>
  );
}
