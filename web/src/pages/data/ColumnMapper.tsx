import { Alert, Button, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/** The preview of a CSV/TSV: its header, first rows, and the config's data keys. */
export interface Delimited {
  name: string;
  format: 'csv' | 'tsv';
  columns: string[];
  rows: string[][];
  data_keys: string[];
}

const KEEP = '\u0000keep';
const DROP = '\u0000drop';

/**
 * A column named like a data key keeps its name; the config's keys no column is named
 * after go to the first columns that match none, in order (a file's "review" column
 * becomes `$text`, as one would map it by hand).
 */
function suggested({ columns, data_keys }: Delimited): string[] {
  const unmatched = data_keys.filter((k) => !columns.includes(k));
  return columns.map((c) => (data_keys.includes(c) ? KEEP : (unmatched.shift() ?? KEEP)));
}

/** The preview and mapping step: each column goes to a data key, keeps its name, or is dropped. */
export function ColumnMapper({
  table,
  onImport,
  onCancel,
}: {
  table: Delimited;
  onImport: (columns: Record<string, string | null> | undefined) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation('data');
  const [choice, setChoice] = useState(() => suggested(table));
  const target = (i: number) =>
    choice[i] === KEEP ? table.columns[i]! : choice[i] === DROP ? null : choice[i]!;
  const targets = table.columns.map((_, i) => target(i));
  const missing = table.data_keys.filter((k) => !targets.includes(k));
  const taken = targets.filter((k, i) => k !== null && targets.indexOf(k) !== i);

  function submit() {
    const columns: Record<string, string | null> = {};
    table.columns.forEach((c, i) => {
      if (targets[i] !== c) columns[c] = targets[i] ?? null;
    });
    onImport(Object.keys(columns).length ? columns : undefined);
  }

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="column-mapper">
      <Typography.Text strong>{t('importSources.mapTitle', { name: table.name })}</Typography.Text>
      <Typography.Text type="secondary">{t('importSources.mapHint')}</Typography.Text>
      <div style={{ overflowX: 'auto' }}>
        <Table
          size="small"
          pagination={false}
          rowKey={(_, i) => String(i)}
          dataSource={table.rows.map((r) => Object.fromEntries(r.map((v, i) => [i, v])))}
          columns={table.columns.map((name, i) => ({
            key: String(i),
            dataIndex: String(i),
            ellipsis: true,
            title: (
              <Space orientation="vertical" size={2}>
                <Typography.Text>{name}</Typography.Text>
                <Select
                  aria-label={t('importSources.mapColumn', { name })}
                  size="small"
                  style={{ minWidth: 140 }}
                  value={choice[i]}
                  onChange={(v) => setChoice((all) => all.map((c, j) => (j === i ? v : c)))}
                  options={[
                    { value: KEEP, label: t('importSources.keep', { name }) },
                    ...table.data_keys.filter((k) => k !== name).map((k) => ({ value: k, label: `$${k}` })),
                    { value: DROP, label: t('importSources.drop_column') },
                  ]}
                />
              </Space>
            ),
          }))}
        />
      </div>
      {missing.length ? (
        <Alert
          type="warning"
          showIcon
          title={t('importSources.missing', { keys: missing.map((k) => `$${k}`).join(', ') })}
        />
      ) : null}
      {taken.length ? (
        <Alert type="error" showIcon title={t('importSources.twice', { key: taken[0] })} />
      ) : null}
      <Space>
        <Button type="primary" disabled={taken.length > 0} onClick={submit}>
          {t('importSources.import')}
        </Button>
        <Button onClick={onCancel}>{t('common:cancel')}</Button>
      </Space>
    </Space>
  );
}
