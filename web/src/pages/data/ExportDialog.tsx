import { DownloadOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Button, Checkbox, Form, Modal, Progress, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must, type paths } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJobProgress } from '../../lib/jobs';
import { fetchExport } from './queries';

type ExportBody =
  paths['/api/v1/projects/{id}/exports']['post']['requestBody']['content']['application/json'];
type ExportRecord = GetResponse<'/api/v1/projects/{id}/exports/{exportId}'>;
export const FORMATS: ExportBody['format'][] = [
  'JSON',
  'JSON_MIN',
  'CSV',
  'TSV',
  'CONLL2003',
  'COCO',
  'YOLO',
  'YOLO_OBB',
  'VOC',
  'BRUSH_TO_PNG',
  'ASR_MANIFEST',
  'SFT_JSONL',
  'PREFERENCE_JSONL',
];
const OPTIONS = [
  'only_annotated',
  'only_reviewed',
  'only_ground_truth',
  'split_labelers',
  'include_predictions',
  'include_cancelled',
] as const;

/** Start an export job, follow its progress, then download the file. */
export function ExportDialog({
  projectId,
  open,
  onClose,
}: {
  projectId: number;
  open: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const [body, setBody] = useState<ExportBody>({ format: 'JSON' });
  const start = useMutation({
    mutationFn: () =>
      must(api.POST('/api/v1/projects/{id}/exports', { params: { path: { id: projectId } }, body })),
  });
  const exportId = start.data?.export_id ?? null;
  const job = useJobProgress<ExportRecord>(
    ['export', projectId, exportId],
    () => fetchExport(projectId, exportId!),
    exportId !== null,
    { done: t('export.done'), failed: t('export.failed') },
  );
  const record = job.data;

  function close() {
    start.reset();
    onClose();
  }

  return (
    <Modal
      open={open}
      title={t('export.title')}
      onCancel={close}
      footer={
        <Button
          type="primary"
          onClick={() => start.mutate()}
          loading={start.isPending || record?.status === 'running'}
        >
          {t('export.start')}
        </Button>
      }
      destroyOnHidden
    >
      <Form layout="vertical">
        <Form.Item label={t('export.format')}>
          <Select
            aria-label={t('export.format')}
            value={body.format}
            onChange={(format) => {
              start.reset();
              setBody({ ...body, format });
            }}
            options={FORMATS.map((f) => ({ value: f, label: t(`export.formats.${f}`) }))}
          />
        </Form.Item>
        <Space orientation="vertical">
          {OPTIONS.map((o) => (
            <Checkbox
              key={o}
              checked={!!body[o]}
              onChange={(e) => setBody({ ...body, [o]: e.target.checked })}
            >
              {t(`export.options.${o}`)}
            </Checkbox>
          ))}
        </Space>
      </Form>
      {record ? (
        <div data-testid="export-progress" style={{ marginTop: 16 }}>
          <Typography.Text>
            {t('export.job')} — {t(`common:job.state.${record.status}`)}
          </Typography.Text>
          <Progress
            percent={Math.round(record.progress * 100)}
            status={
              record.status === 'failed' ? 'exception' : record.status === 'completed' ? 'success' : 'active'
            }
          />
          {record.error ? <Typography.Text type="danger">{record.error}</Typography.Text> : null}
          {record.status === 'completed' ? (
            <Button
              icon={<DownloadOutlined />}
              href={`/api/v1/projects/${projectId}/exports/${record.id}/download`}
              download
            >
              {t('export.download', { size: record.size_bytes == null ? '' : fmt.bytes(record.size_bytes) })}
            </Button>
          ) : null}
        </div>
      ) : null}
      <ProblemAlert error={start.error ?? job.error} style={{ marginTop: 16 }} />
    </Modal>
  );
}
