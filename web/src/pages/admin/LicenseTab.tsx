import { LockOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Descriptions, Input, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useFormat } from '../../lib/format';
import { can, useMe } from '../../lib/session';
import { Pager, useCursor } from './paging';

const KEY = ['license'] as const;

/** Administration → License: edition, features (locked ones with the edition that has them), limits, activation, history. */
export function LicenseTab() {
  const { t } = useTranslation('admin');
  const fmt = useFormat();
  const me = useMe();
  const manage = can(me.data, 'license:manage') && me.data?.is_platform_owner;
  const status = useQuery({ queryKey: KEY, queryFn: () => must(api.GET('/api/v1/license')) });
  const s = status.data;
  if (!s) return <ProblemAlert error={status.error} />;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      {s.warning && (
        <Alert type="warning" showIcon message={s.warning.message} data-testid="license-warning" />
      )}
      <Card title={t('license.title')}>
        <Descriptions column={1} size="small">
          <Descriptions.Item label={t('license.edition')}>
            <Tag color="blue" data-testid="license-edition">
              {t(`license.editions.${s.edition}`)}
            </Tag>
            <Typography.Text type="secondary">{t(`license.statuses.${s.status}`)}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('license.message')}>{s.message}</Descriptions.Item>
          {s.license && (
            <Descriptions.Item label={t('license.licensee')}>
              {s.license.licensee} · {s.license.validity} ·{' '}
              {s.license.expires_at ? fmt.date(s.license.expires_at) : t('license.noEnd')}
            </Descriptions.Item>
          )}
          {s.status === 'trial' && (
            <Descriptions.Item label={t('license.trialEnds')}>{fmt.date(s.trial.ends_at)}</Descriptions.Item>
          )}
          <Descriptions.Item label={t('license.fingerprint')}>
            <Typography.Text code>{s.fingerprint}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('license.features')}>
        <Table
          rowKey="name"
          size="small"
          pagination={false}
          dataSource={s.features}
          columns={[
            { title: t('license.feature'), dataIndex: 'description' },
            {
              title: t('license.state'),
              render: (_, f) =>
                f.enabled ? (
                  <Tag color="green">{t('license.enabled')}</Tag>
                ) : (
                  <span data-testid={`locked-${f.name}`}>
                    <LockOutlined />{' '}
                    {t('license.locked', { edition: t(`license.editions.${f.requires_edition}`) })}
                  </span>
                ),
            },
          ]}
        />
      </Card>
      <Card title={t('license.limits')}>
        <Table
          rowKey="name"
          size="small"
          pagination={false}
          dataSource={s.limits}
          columns={[
            { title: t('license.limit'), render: (_, l) => t(`license.limitNames.${l.name}`) },
            {
              title: t('license.allowed'),
              render: (_, l) => (
                <span data-testid={`limit-${l.name}`}>{l.allowed ?? t('license.unlimited')}</span>
              ),
            },
            { title: t('license.inUse'), render: (_, l) => l.in_use ?? '—' },
          ]}
        />
      </Card>
      {manage && <Install />}
      {manage && s.license?.activation_required && <Activate />}
      <History />
    </Space>
  );
}

function Install() {
  const { t } = useTranslation('admin');
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [key, setKey] = useState('');
  const install = useMutation({
    mutationFn: () => must(api.PUT('/api/v1/license', { body: { key } })),
    onSuccess: () => {
      message.success(t('license.installed'));
      setKey('');
      void queryClient.invalidateQueries({ queryKey: KEY });
    },
  });
  return (
    <Card title={t('license.install')}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Input.TextArea
          rows={3}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-label={t('license.key')}
          placeholder={t('license.key')}
        />
        <ProblemAlert error={install.error} />
        <Button
          type="primary"
          disabled={!key.trim()}
          loading={install.isPending}
          onClick={() => install.mutate()}
        >
          {t('license.installButton')}
        </Button>
      </Space>
    </Card>
  );
}

function Activate() {
  const { t } = useTranslation('admin');
  const queryClient = useQueryClient();
  const [file, setFile] = useState('');
  const request = useMutation({ mutationFn: () => must(api.POST('/api/v1/license/activation/request')) });
  const upload = useMutation({
    mutationFn: () => must(api.POST('/api/v1/license/activation/offline', { body: { activation: file } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: KEY }),
  });
  return (
    <Card title={t('license.activation')}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Button onClick={() => request.mutate()} loading={request.isPending}>
          {t('license.requestCode')}
        </Button>
        {request.data && (
          <Typography.Paragraph copyable code>
            {request.data.request_code}
          </Typography.Paragraph>
        )}
        <Input.TextArea
          rows={3}
          value={file}
          onChange={(e) => setFile(e.target.value)}
          placeholder={t('license.activationFile')}
        />
        <ProblemAlert error={request.error ?? upload.error} />
        <Button
          type="primary"
          disabled={!file.trim()}
          onClick={() => upload.mutate()}
          loading={upload.isPending}
        >
          {t('license.upload')}
        </Button>
      </Space>
    </Card>
  );
}

function History() {
  const { t } = useTranslation('admin');
  const fmt = useFormat();
  const paging = useCursor('license');
  const list = useQuery({
    queryKey: [...KEY, 'history', paging.cursor],
    queryFn: () =>
      must(api.GET('/api/v1/license/history', { params: { query: { limit: 20, cursor: paging.cursor } } })),
  });
  return (
    <Card title={t('license.history')}>
      <ProblemAlert error={list.error} />
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.isLoading}
        dataSource={list.data?.items ?? []}
        columns={[
          { title: t('license.when'), render: (_, r) => fmt.date(r.created_at) },
          { title: t('license.event'), dataIndex: 'event' },
          { title: t('license.message'), dataIndex: 'message' },
        ]}
      />
      <Pager paging={paging} nextCursor={list.data?.next_cursor} />
    </Card>
  );
}
