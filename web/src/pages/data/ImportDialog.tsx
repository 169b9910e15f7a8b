import { InboxOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Checkbox,
  Descriptions,
  Input,
  List,
  Modal,
  Progress,
  Select,
  Space,
  Table,
  Tabs,
  Typography,
  Upload,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must, upload } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJobProgress } from '../../lib/jobs';
import { projectKeys } from '../../lib/project';
import { ColumnMapper, type Delimited } from './ColumnMapper';
import { dataKeys, fetchImport } from './queries';

type ImportRecord = GetResponse<'/api/v1/projects/{id}/imports/{importId}'>;
type Format = 'json' | 'jsonl' | 'csv' | 'tsv' | 'txt';
type Started = { import_id: number };

const TASK_FILE = /\.(json|jsonl|ndjson|csv|tsv|txt)$/i;
const FORMATS: Format[] = ['json', 'jsonl', 'csv', 'tsv', 'txt'];
/** The start of a CSV/TSV file the preview reads: enough for its header and first rows. */
const SAMPLE_BYTES = 256 * 1024;

/** One import started from the dialog: a file, the media files dropped together, a URL or pasted text. */
interface Item {
  key: number;
  name: string;
  sent: number | null;
  importId: number | null;
  error: unknown;
}

/** A CSV/TSV waiting for its columns to be mapped, and how to send it then. */
interface Mapping extends Delimited {
  send: (columns: Record<string, string | null> | undefined, onSent: (f: number) => void) => Promise<Started>;
}

let nextKey = 1;

/** The format pasted text seems to be in: JSON, JSON Lines, else one task per line. */
function guessFormat(text: string): Format {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim());
  const first = lines[0]?.trim() ?? '';
  if (first.startsWith('[')) return 'json';
  if (first.startsWith('{'))
    return lines.length > 1 && lines.every((l) => l.trim().startsWith('{')) ? 'jsonl' : 'json';
  return 'txt';
}

function sendText(projectId: number, text: string, format: Format, query: Record<string, string>) {
  return must(
    api.POST('/api/v1/projects/{id}/import', {
      params: { path: { id: projectId }, query: { format, ...query } as never },
      body: text as never,
      bodySerializer: (b: unknown) => b as string,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    }),
  ) as Promise<Started>;
}

/**
 * Import tasks: several files at once (task files, and images, audio, video or PDFs that
 * become a task each), a URL the server fetches, or pasted text; CSV/TSV go through a
 * preview where each column is mapped to a data key of the config or dropped.
 */
export function ImportDialog({
  projectId,
  open,
  onClose,
}: {
  projectId: number;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation('data');
  const [items, setItems] = useState<Item[]>([]);
  const [mappings, setMappings] = useState<Mapping[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [url, setUrl] = useState('');
  const [urlFormat, setUrlFormat] = useState<Format | 'auto'>('auto');
  const [text, setText] = useState('');
  const [textFormat, setTextFormat] = useState<Format | 'auto'>('auto');
  // On by default: importing a file twice should not double the project's tasks.
  const [dedupe, setDedupe] = useState(true);
  const query: Record<string, string> = dedupe ? { dedupe: 'true' } : {};
  const qs = (extra: Record<string, string> = {}) => {
    const params = new URLSearchParams({ ...query, ...extra }).toString();
    return params ? `?${params}` : '';
  };

  function start(name: string, send: (onSent: (f: number) => void) => Promise<Started>) {
    const key = nextKey++;
    const patch = (p: Partial<Item>) =>
      setItems((all) => all.map((i) => (i.key === key ? { ...i, ...p } : i)));
    setItems((all) => [...all, { key, name, sent: 0, importId: null, error: null }]);
    send((f) => patch({ sent: f })).then(
      (r) => patch({ importId: r.import_id, sent: 1 }),
      (e: unknown) => patch({ error: e }),
    );
  }

  async function preview(name: string, format: 'csv' | 'tsv', sample: string, send: Mapping['send']) {
    try {
      const result = await must(
        api.POST('/api/v1/projects/{id}/import/preview', {
          params: { path: { id: projectId }, query: { format } },
          body: sample as never,
          bodySerializer: (b: unknown) => b as string,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        }),
      );
      setMappings((all) => [...all, { name, format, ...result, send }]);
    } catch (e) {
      setError(e);
    }
  }

  function dropped(files: File[]) {
    setError(null);
    const media = files.filter((f) => !TASK_FILE.test(f.name));
    if (media.length)
      start(t('importSources.mediaItem', { count: media.length }), (onSent) =>
        upload<Started>(`/api/v1/projects/${projectId}/import/media`, media, onSent),
      );
    for (const file of files.filter((f) => TASK_FILE.test(f.name))) {
      const ext = file.name.split('.').at(-1)!.toLowerCase();
      if (ext === 'csv' || ext === 'tsv') {
        void file
          .slice(0, SAMPLE_BYTES)
          .text()
          .then((sample) =>
            preview(file.name, ext, sample, (columns, onSent) =>
              upload<Started>(
                `/api/v1/projects/${projectId}/import${qs(columns ? { columns: JSON.stringify(columns) } : {})}`,
                file,
                onSent,
              ),
            ),
          );
      } else
        start(file.name, (onSent) =>
          upload<Started>(`/api/v1/projects/${projectId}/import${qs()}`, file, onSent),
        );
    }
  }

  function fromUrl() {
    setError(null);
    const body = { url: url.trim(), ...(urlFormat === 'auto' ? {} : { format: urlFormat }) };
    start(url.trim(), () =>
      must(
        api.POST('/api/v1/projects/{id}/import/url', {
          params: { path: { id: projectId }, query: dedupe ? { dedupe: true } : {} },
          body,
        }),
      ),
    );
  }

  function fromText() {
    setError(null);
    const format = textFormat === 'auto' ? guessFormat(text) : textFormat;
    const pasted = text;
    if (format === 'csv' || format === 'tsv')
      void preview(t('importSources.pastedItem'), format, pasted, (columns) =>
        sendText(projectId, pasted, format, {
          ...query,
          ...(columns ? { columns: JSON.stringify(columns) } : {}),
        }),
      );
    else start(t('importSources.pastedItem'), () => sendText(projectId, pasted, format, query));
  }

  function close() {
    setItems([]);
    setMappings([]);
    setError(null);
    onClose();
  }

  const mapping = mappings[0];
  const formatOptions = [
    { value: 'auto', label: t('importSources.auto') },
    ...FORMATS.map((f) => ({ value: f, label: f.toUpperCase() })),
  ];

  return (
    <Modal
      open={open}
      title={t('import.title')}
      onCancel={close}
      onOk={close}
      okText={t('common:close')}
      cancelButtonProps={{ style: { display: 'none' } }}
      width={760}
      destroyOnHidden
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        {mapping ? (
          <ColumnMapper
            key={`${mapping.name}-${mappings.length}`}
            table={mapping}
            onCancel={() => setMappings((all) => all.slice(1))}
            onImport={(columns) => {
              setMappings((all) => all.slice(1));
              start(mapping.name, (onSent) => mapping.send(columns, onSent));
            }}
          />
        ) : (
          <Tabs
            items={[
              {
                key: 'files',
                label: t('importSources.files'),
                children: (
                  <Upload.Dragger
                    multiple
                    showUploadList={false}
                    beforeUpload={(file, fileList) => {
                      // Called once per file; the whole drop is handled with the first.
                      if (file === fileList[0]) dropped(fileList as File[]);
                      return false;
                    }}
                  >
                    <p style={{ fontSize: 32, margin: 0 }}>
                      <InboxOutlined />
                    </p>
                    <p>{t('importSources.drop')}</p>
                    <Typography.Text type="secondary">{t('importSources.formats')}</Typography.Text>
                  </Upload.Dragger>
                ),
              },
              {
                key: 'url',
                label: t('importSources.url'),
                children: (
                  <Space.Compact style={{ width: '100%' }}>
                    <Input
                      aria-label={t('importSources.url')}
                      placeholder={t('importSources.urlPlaceholder')}
                      value={url}
                      onChange={(e) => setUrl(e.target.value)}
                      onPressEnter={() => url.trim() && fromUrl()}
                    />
                    <Select
                      aria-label={t('importSources.format')}
                      value={urlFormat}
                      onChange={setUrlFormat}
                      options={formatOptions}
                      style={{ width: 120 }}
                    />
                    <Button type="primary" disabled={!url.trim()} onClick={fromUrl}>
                      {t('importSources.fetch')}
                    </Button>
                  </Space.Compact>
                ),
              },
              {
                key: 'paste',
                label: t('importSources.paste'),
                children: (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    <Input.TextArea
                      aria-label={t('importSources.paste')}
                      placeholder={t('importSources.pasteHint')}
                      autoSize={{ minRows: 5, maxRows: 14 }}
                      value={text}
                      onChange={(e) => setText(e.target.value)}
                    />
                    <Space>
                      <Select
                        aria-label={t('importSources.format')}
                        value={textFormat}
                        onChange={setTextFormat}
                        options={formatOptions}
                        style={{ width: 120 }}
                      />
                      <Button type="primary" disabled={!text.trim()} onClick={fromText}>
                        {t('importSources.importText')}
                      </Button>
                    </Space>
                  </Space>
                ),
              },
            ]}
          />
        )}
        <Checkbox checked={dedupe} onChange={(e) => setDedupe(e.target.checked)}>
          {t('import.dedupe')}
        </Checkbox>
        <ProblemAlert error={error} />
        {items.length ? (
          <List
            size="small"
            dataSource={items}
            renderItem={(item) => (
              <List.Item key={item.key}>
                <ImportItem projectId={projectId} item={item} />
              </List.Item>
            )}
          />
        ) : null}
      </Space>
    </Modal>
  );
}

/** One started import: its upload, then what its job reports. */
function ImportItem({ projectId, item }: { projectId: number; item: Item }) {
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const queryClient = useQueryClient();
  const job = useJobProgress<ImportRecord>(
    ['import', projectId, item.importId],
    () => fetchImport(projectId, item.importId!),
    item.importId !== null,
    { done: t('import.done'), failed: t('import.failed') },
  );
  const record = job.data;
  const finished = record?.status === 'completed';
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: dataKeys.tasks(projectId) });
    void queryClient.invalidateQueries({ queryKey: projectKeys.project(projectId) });
  }, [finished, projectId, queryClient]);

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="import-progress">
      <Typography.Text strong ellipsis>
        {item.name}
      </Typography.Text>
      {!record && item.sent !== null && !item.error ? (
        <div>
          <Typography.Text>{t('import.upload')}</Typography.Text>
          <Progress percent={Math.round(item.sent * 100)} size="small" />
        </div>
      ) : null}
      {record ? (
        <div>
          <Typography.Text>
            {t('import.job')} — {t(`common:job.state.${record.status}`)}
          </Typography.Text>
          <Progress
            percent={Math.round(record.progress * 100)}
            status={
              record.status === 'failed' ? 'exception' : record.status === 'completed' ? 'success' : 'active'
            }
          />
          <Descriptions size="small" column={2}>
            <Descriptions.Item label={t('import.tasks')}>{fmt.number(record.counts.tasks)}</Descriptions.Item>
            <Descriptions.Item label={t('import.annotations')}>
              {fmt.number(record.counts.annotations)}
            </Descriptions.Item>
            <Descriptions.Item label={t('import.predictions')}>
              {fmt.number(record.counts.predictions)}
            </Descriptions.Item>
            <Descriptions.Item label={t('import.duplicates')}>
              {fmt.number(record.counts.duplicates_skipped)}
            </Descriptions.Item>
          </Descriptions>
          {record.errors.length ? (
            <Table
              size="small"
              rowKey={(e) => `${e.record}-${e.line}-${e.message}`}
              dataSource={record.errors}
              pagination={{ pageSize: 5 }}
              columns={[
                { title: t('import.line'), dataIndex: 'line' },
                { title: t('import.record'), dataIndex: 'record' },
                { title: t('import.error'), dataIndex: 'message' },
              ]}
            />
          ) : null}
        </div>
      ) : null}
      <ProblemAlert error={item.error ?? job.error} />
    </Space>
  );
}
