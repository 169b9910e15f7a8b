import { useQuery } from '@tanstack/react-query';
import { Table, Tag } from 'antd';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { GetResponse } from '../../api/client';
import { projectNamesQuery } from '../../lib/project';
import { can, useMe } from '../../lib/session';
import { adminQueries } from '../admin/queries';

export type Bill = GetResponse<'/api/v1/billing/bills/{id}'>;
export type Line = GetResponse<'/api/v1/billing/records'>['items'][number];

/**
 * Money as the API gives it: a decimal string, formatted per locale with its currency.
 * Intl.NumberFormat formats a decimal string exactly (no float in between); the digits
 * shown are at least the currency's minor unit and at most what the string carries.
 */
export function useMoney() {
  const { i18n } = useTranslation();
  const lng = i18n.language;
  return useCallback(
    (amount: string | null | undefined, currency: string) => {
      if (amount == null) return '';
      const minor = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .minimumFractionDigits;
      const places = Math.max(minor ?? 2, amount.split('.')[1]?.length ?? 0);
      const format = new Intl.NumberFormat(lng, {
        style: 'currency',
        currency,
        minimumFractionDigits: minor,
        maximumFractionDigits: places,
      });
      // The ES2023 typings take number | bigint; the engine takes the decimal string as is.
      return format.format(amount as unknown as number);
    },
    [lng],
  );
}

/** A decimal string (hours, multipliers) in the reader's locale, exactly as given. */
export function useDecimal() {
  const { i18n } = useTranslation();
  return (value: string | null | undefined) => {
    if (value == null) return '';
    const places = value.split('.')[1]?.length ?? 0;
    return new Intl.NumberFormat(i18n.language, {
      minimumFractionDigits: places,
      maximumFractionDigits: places,
    }).format(value as unknown as number);
  };
}

/** Names of members and projects the caller may list; ids stand in for the rest. */
export function useNames() {
  const me = useMe();
  const users = useQuery({ ...adminQueries.userNames(), enabled: can(me.data, 'users:read') });
  const projects = useQuery({ ...projectNamesQuery(), enabled: can(me.data, 'projects:read') });
  const userNames = new Map((users.data?.items ?? []).map((u) => [u.id, u.name || u.email]));
  const projectNames = new Map((projects.data?.items ?? []).map((p) => [p.id, p.title]));
  if (me.data) userNames.set(me.data.user.id, me.data.user.name || me.data.user.email);
  return {
    user: (id: string | null) => (id ? (userNames.get(id) ?? id) : ''),
    project: (id: number | null) => (id == null ? '' : (projectNames.get(id) ?? String(id))),
    users: users.data?.items ?? [],
    projects: projects.data?.items ?? [],
  };
}

const STATUS_COLORS: Record<string, string> = {
  draft: 'default',
  issued: 'blue',
  paid: 'green',
  void: 'red',
  approved: 'green',
};

export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation('billing');
  return <Tag color={STATUS_COLORS[status]}>{t(`status.${status}`, { defaultValue: status })}</Tag>;
}

/** Bill lines: work lines (counts, hours, multipliers) and adjustment lines (amount and note). */
export function LinesTable({ lines, loading }: { lines: Line[]; loading?: boolean }) {
  const { t } = useTranslation('billing');
  const money = useMoney();
  const dec = useDecimal();
  const names = useNames();
  return (
    <div data-testid="bill-lines">
      <Table
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={lines}
        pagination={false}
        scroll={{ x: true }}
        columns={[
          {
            title: t('lines.kind'),
            dataIndex: 'kind',
            render: (k: string) => t(`kind.${k}`, { defaultValue: k }),
          },
          {
            title: t('lines.annotator'),
            dataIndex: 'user_id',
            render: (id: string | null) => names.user(id),
          },
          {
            title: t('lines.project'),
            dataIndex: 'project_id',
            render: (id: number | null) => names.project(id),
          },
          {
            title: t('lines.mode'),
            dataIndex: 'mode',
            render: (m: string | null) => (m ? t(`mode.${m}`) : ''),
          },
          { title: t('lines.accepted'), dataIndex: 'accepted_count', align: 'right' },
          { title: t('lines.rejected'), dataIndex: 'rejected_count', align: 'right' },
          { title: t('lines.skipped'), dataIndex: 'skipped_count', align: 'right' },
          { title: t('lines.paid'), dataIndex: 'paid_count', align: 'right' },
          { title: t('lines.hours'), dataIndex: 'hours', align: 'right', render: (h: string) => dec(h) },
          {
            title: t('lines.quality'),
            key: 'quality',
            align: 'right',
            render: (_, l) =>
              `${l.quality_score == null ? '—' : dec(l.quality_score)} ×${dec(l.quality_multiplier)}`,
          },
          {
            title: t('lines.difficulty'),
            key: 'difficulty',
            align: 'right',
            render: (_, l) =>
              `${l.difficulty ? t(`difficulty.${l.difficulty}`) : '—'} ×${dec(l.difficulty_multiplier)}`,
          },
          {
            title: t('lines.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (a: string, l) => money(a, l.currency),
          },
          { title: t('lines.note'), dataIndex: 'note' },
        ]}
      />
    </div>
  );
}
