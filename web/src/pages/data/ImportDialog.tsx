import { InboxOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { Checkbox, Descriptions, Modal, Progress, Space, Table, Typography, Upload } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type GetResponse, upload } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { useJobProgress } from '../../lib/jobs';
import { projectKeys } from '../../lib/project';
import { dataKeys, fetchImport } from './queries';

type ImportRecord = GetResponse<'/api/v1/projects/{id}/imports/{importId}'>;

/** Upload a file (progress of the upload, then of the import job) and show what the job reports. */
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
  const fmt = useFormat();
  const queryClient = useQueryClient();
  const [sent, setSent] = useState<number | null>(null);
  const [importId, setImportId] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  // On by default: importing a file twice should not double the project's tasks.
  const [dedupe, setDedupe] = useState(true);
  const job = useJobProgress<ImportRecord>(
    ['import', projectId, importId],
    () => fetchImport(projectId, importId!),
    importId !== null,
    { done: t('import.done'), failed: t('import.failed') },
  );
  const record = job.data;
  const finished = record?.status === 'completed';
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: dataKeys.tasks(projectId) });
    void queryClient.invalidateQueries({ queryKey: projectKeys.project(projectId) });
  }, [finished, projectId, queryClient]);

  function reset() {
    setSent(null);
    setImportId(null);
    setError(null);
    onClose();
  }

  return (
    <Modal
      open={open}
      title={t('import.title')}
      onCancel={reset}
      onOk={reset}
      okText={t('common:close')}
      cancelButtonProps={{ style: { display: 'none' } }}
      destroyOnHidden
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Upload.Dragger
          accept=".json,.jsonl,.csv,.tsv,.txt"
          showUploadList={false}
          disabled={sent !== null && importId === null && !error}
          customRequest={({ file }) => {
            setError(null);
            setImportId(null);
            setSent(0);
            const url = `/api/v1/projects/${projectId}/import${dedupe ? '?dedupe=true' : ''}`;
            upload<{ import_id: number }>(url, file as File, setSent).then(
              (r) => setImportId(r.import_id),
              (e: unknown) => setError(e),
            );
          }}
        >
          <p style={{ fontSize: 32, margin: 0 }}>
            <InboxOutlined />
          </p>
          <p>{t('import.drop')}</p>
          <Typography.Text type="secondary">{t('import.formats')}</Typography.Text>
        </Upload.Dragger>
        <Checkbox checked={dedupe} onChange={(e) => setDedupe(e.target.checked)}>
          {t('import.dedupe')}
        </Checkbox>
        {sent !== null ? (
          <div>
            <Typography.Text>{t('import.upload')}</Typography.Text>
            <Progress percent={Math.round(sent * 100)} size="small" />
          </div>
        ) : null}
        {record ? (
          <div data-testid="import-progress">
            <Typography.Text>
              {t('import.job')} — {t(`common:job.state.${record.status}`)}
            </Typography.Text>
            <Progress
              percent={Math.round(record.progress * 100)}
              status={
                record.status === 'failed'
                  ? 'exception'
                  : record.status === 'completed'
                    ? 'success'
                    : 'active'
              }
            />
            <Descriptions size="small" column={2}>
              <Descriptions.Item label={t('import.tasks')}>
                {fmt.number(record.counts.tasks)}
              </Descriptions.Item>
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
        <ProblemAlert error={error ?? job.error} />
      </Space>
    </Modal>
  );
}
