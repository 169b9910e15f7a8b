import { DislikeOutlined, DownloadOutlined, LikeOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Input, Segmented, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { PageTitle } from '../../components/PageTitle';
import { ProblemAlert } from '../../components/ProblemAlert';
import { problemMessage } from '../../lib/problemText';
import { can, useMe } from '../../lib/session';
import { Chart } from '../dashboard/Chart';
import { type ChartKind, chartable, chartOption, suggestChart } from './chart';
import { HistoryTab } from './HistoryTab';
import { PluginsTab } from './PluginsTab';
import { type Answer, ask, feedback, problemCode, type Result, resultUrl, runSql } from './requests';
import { TemplatesTab } from './TemplatesTab';

/** Ask a question in words, or edit and run the SQL it became; history and templates beside. */
export default function AskPage() {
  const { t } = useTranslation('ask');
  const { data: me } = useMe();
  const [tab, setTab] = useState('ask');
  // A log loaded from History starts the Ask tab afresh (its key), with that log's SQL.
  const [loaded, setLoaded] = useState<{ id: number; sql: string; question: string | null } | null>(null);
  return (
    <>
      <PageTitle>{t('title')}</PageTitle>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'ask', label: t('tabs.ask'), children: <AskTab key={loaded?.id ?? 0} loaded={loaded} /> },
          {
            key: 'history',
            label: t('tabs.history'),
            children: (
              <HistoryTab
                onLoad={(log) => {
                  setLoaded({ id: log.id, sql: log.sql, question: log.question });
                  setTab('ask');
                }}
              />
            ),
          },
          { key: 'templates', label: t('tabs.templates'), children: <TemplatesTab /> },
          // Plugins hold keys to outside services: their routes need sql:manage.
          ...(can(me, 'sql:manage')
            ? [{ key: 'plugins', label: t('tabs.plugins'), children: <PluginsTab /> }]
            : []),
        ]}
      />
    </>
  );
}

function AskTab({ loaded }: { loaded: { sql: string; question: string | null } | null }) {
  const { t } = useTranslation('ask');
  const { data: me } = useMe();
  const [question, setQuestion] = useState(loaded?.question ?? '');
  const [sql, setSql] = useState(loaded?.sql ?? '');
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const client = useQueryClient();
  // Every ask and run is logged, refused or not: History shows it next time.
  const onSettled = () => client.invalidateQueries({ queryKey: ['sql', 'logs'] });
  const asking = useMutation({
    mutationFn: ask,
    onSettled,
    onSuccess: (a) => {
      setAnswer(a);
      setSql(a.sql);
      setResult(a);
    },
  });
  const running = useMutation({ mutationFn: runSql, onSettled, onSuccess: setResult });
  const error = asking.error ?? running.error;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Input.Search
        aria-label={t('question')}
        placeholder={t('questionPlaceholder')}
        enterButton={t('ask')}
        value={question}
        onChange={(e) => setQuestion(e.target.value)}
        onSearch={(q) => {
          if (!q.trim()) return;
          running.reset();
          asking.mutate(q.trim());
        }}
        loading={asking.isPending}
      />
      {answer && !asking.error ? (
        <Space>
          <Tag color="blue">{t(`method.${answer.method}`, { defaultValue: answer.method })}</Tag>
          {answer.confidence !== null ? (
            <Typography.Text type="secondary">
              {t('confidence', { value: Math.round(answer.confidence * 100) })}
            </Typography.Text>
          ) : null}
        </Space>
      ) : null}
      <Input.TextArea
        aria-label={t('sql')}
        placeholder={t('sqlPlaceholder')}
        value={sql}
        onChange={(e) => setSql(e.target.value)}
        autoSize={{ minRows: 4, maxRows: 16 }}
        style={{ fontFamily: 'monospace' }}
      />
      {can(me, 'sql:run') ? (
        <Button
          type="primary"
          disabled={!sql.trim()}
          loading={running.isPending}
          onClick={() => {
            asking.reset();
            running.mutate(sql);
          }}
        >
          {t('run')}
        </Button>
      ) : null}
      {error ? <Refusal error={error} /> : null}
      {result && !error ? <ResultView key={result.log_id} result={result} /> : null}
    </Space>
  );
}

/** A refusal names its rule; a question with no answer says so; anything else as a problem. */
function Refusal({ error }: { error: unknown }) {
  const { t } = useTranslation('ask');
  const code = problemCode(error);
  if (!code) return <ProblemAlert error={error} />;
  return (
    <Alert
      type={code === 'cannot_answer' ? 'warning' : 'error'}
      showIcon
      role="alert"
      title={t(`refusal.${code}`, { defaultValue: t('refusal.other', { code }) })}
      description={error instanceof ApiError ? problemMessage(t, error.problem) : String(error)}
    />
  );
}

function ResultView({ result }: { result: Result }) {
  const { t } = useTranslation('ask');
  const suggested = useMemo(() => suggestChart(result.columns, result.rows), [result]);
  const [kind, setKind] = useState<ChartKind | 'none'>(suggested ?? 'none');
  const canChart = chartable(result.columns, result.rows);
  const option = useMemo(
    () => (kind === 'none' ? null : chartOption(kind, result.columns, result.rows)),
    [kind, result],
  );
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {result.truncated ? (
        <Alert type="info" showIcon title={t('truncated', { count: result.rows.length })} />
      ) : null}
      <Space wrap>
        <Button icon={<DownloadOutlined />} href={resultUrl(result.log_id, 'csv')} download>
          {t('download.csv')}
        </Button>
        <Button icon={<DownloadOutlined />} href={resultUrl(result.log_id, 'xlsx')} download>
          {t('download.xlsx')}
        </Button>
        {canChart ? (
          <Segmented
            aria-label={t('chart.label')}
            value={kind}
            onChange={(v) => setKind(v as ChartKind | 'none')}
            options={(['bar', 'line', 'pie', 'none'] as const).map((k) => ({
              value: k,
              label: t(`chart.${k}`),
            }))}
          />
        ) : null}
      </Space>
      {option ? <Chart option={option} label={t('chart.label')} /> : null}
      <Table
        size="small"
        rowKey={(_, i) => String(i)}
        dataSource={result.rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: true }}
        columns={result.columns.map((c) => ({
          title: c,
          dataIndex: c,
          key: c,
          render: (v: unknown) => (v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)),
        }))}
      />
      <Feedback logId={result.log_id} />
    </Space>
  );
}

/** Thumbs up, or down with the corrected SQL: feedback turns the log into an example. */
function Feedback({ logId }: { logId: number }) {
  const { t } = useTranslation('ask');
  const [correcting, setCorrecting] = useState(false);
  const [corrected, setCorrected] = useState('');
  const client = useQueryClient();
  const send = useMutation({
    mutationFn: (body: { correct: boolean; sql?: string }) => feedback(logId, body),
    // History shows the feedback beside the log.
    onSuccess: () => client.invalidateQueries({ queryKey: ['sql', 'logs'] }),
  });
  if (send.isSuccess) return <Alert type="success" showIcon title={t('feedback.thanks')} />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <Typography.Text>{t('feedback.prompt')}</Typography.Text>
        <Button
          aria-label={t('feedback.up')}
          icon={<LikeOutlined />}
          loading={send.isPending}
          onClick={() => send.mutate({ correct: true })}
        />
        <Button
          aria-label={t('feedback.down')}
          icon={<DislikeOutlined />}
          onClick={() => setCorrecting(true)}
        />
      </Space>
      {correcting ? (
        <>
          <Input.TextArea
            aria-label={t('feedback.correction')}
            placeholder={t('feedback.correctionPlaceholder')}
            value={corrected}
            onChange={(e) => setCorrected(e.target.value)}
            autoSize={{ minRows: 3 }}
            style={{ fontFamily: 'monospace' }}
          />
          <Button
            loading={send.isPending}
            onClick={() => send.mutate({ correct: false, sql: corrected.trim() || undefined })}
          >
            {t('feedback.send')}
          </Button>
        </>
      ) : null}
      <ProblemAlert error={send.error} />
    </Space>
  );
}
