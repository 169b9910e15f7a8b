import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Descriptions, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, csrfToken } from '../../../api/client';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { aiKeys, configurationsQuery } from './queries';

interface Values {
  configuration_id?: number;
  model?: string;
  system?: string;
  prompt: string;
  max_tokens: number;
}

interface Usage {
  model: string;
  tokens_in: number;
  tokens_out: number;
  cost: string;
  currency: string | null;
}

/** Reads server-sent events (`event:` and `data:` lines, a blank line between) from a stream. */
async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: unknown }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) yield { event, data: JSON.parse(data) };
      end = buffer.indexOf('\n\n');
    }
  }
}

/** A chat with one of the tenant's configurations (or the playground's binding), its reply streamed as it comes. */
export function PlaygroundTab() {
  const { t } = useTranslation('ai');
  const queryClient = useQueryClient();
  const configurations = useQuery(configurationsQuery);
  const [output, setOutput] = useState('');
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const aborter = useRef<AbortController | null>(null);

  async function run(v: Values) {
    setOutput('');
    setUsage(null);
    setError(null);
    setRunning(true);
    aborter.current = new AbortController();
    try {
      const messages = [
        ...(v.system ? [{ role: 'system', content: v.system }] : []),
        { role: 'user', content: v.prompt },
      ];
      const res = await fetch('/api/v1/llm/chat', {
        method: 'POST',
        credentials: 'same-origin',
        signal: aborter.current.signal,
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() ?? '' },
        body: JSON.stringify({
          feature: 'playground',
          configuration_id: v.configuration_id,
          model: v.model || undefined,
          messages,
          max_tokens: v.max_tokens,
          stream: true,
        }),
      });
      if (!res.ok || !res.body)
        throw new ApiError({ status: res.status, title: res.statusText, ...(await res.json()) });
      for await (const e of events(res.body)) {
        const data = e.data as { text?: string; usage?: Usage; detail?: string };
        if (e.event === 'delta') setOutput((o) => o + (data.text ?? ''));
        else if (e.event === 'done') setUsage(data.usage ?? null);
        else if (e.event === 'error')
          throw new ApiError({ status: 502, title: t('playground.streamBroke'), detail: data.detail });
      }
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'AbortError')) setError(e);
    } finally {
      setRunning(false);
      void queryClient.invalidateQueries({ queryKey: aiKeys.usage });
    }
  }

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Form<Values> layout="vertical" onFinish={(v) => void run(v)} initialValues={{ max_tokens: 256 }}>
        <Space wrap>
          <Form.Item name="configuration_id" label={t('playground.configuration')}>
            <Select
              allowClear
              style={{ minWidth: 200 }}
              aria-label={t('playground.configuration')}
              data-testid="playground-configuration"
              placeholder={t('playground.binding')}
              options={(configurations.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
            />
          </Form.Item>
          <Form.Item name="model" label={t('models.model')}>
            <Input placeholder={t('bindings.defaultModel')} />
          </Form.Item>
          <Form.Item name="max_tokens" label={t('playground.maxTokens')}>
            <InputNumber min={1} max={32_000} />
          </Form.Item>
        </Space>
        <Form.Item name="system" label={t('playground.system')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Form.Item name="prompt" label={t('playground.prompt')} rules={[{ required: true }]}>
          <Input.TextArea rows={4} />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={running}>
            {t('playground.run')}
          </Button>
          {running && <Button onClick={() => aborter.current?.abort()}>{t('playground.stop')}</Button>}
        </Space>
      </Form>
      <ProblemAlert error={error} />
      <Card size="small" title={t('playground.output')}>
        <Typography.Paragraph
          data-testid="playground-output"
          style={{ whiteSpace: 'pre-wrap', minHeight: 48 }}
        >
          {output}
        </Typography.Paragraph>
        {usage && (
          <Descriptions size="small" column={4} data-testid="playground-usage">
            <Descriptions.Item label={t('models.model')}>{usage.model}</Descriptions.Item>
            <Descriptions.Item label={t('usage.tokensIn')}>{usage.tokens_in}</Descriptions.Item>
            <Descriptions.Item label={t('usage.tokensOut')}>{usage.tokens_out}</Descriptions.Item>
            <Descriptions.Item
              label={t('usage.cost')}
            >{`${usage.cost} ${usage.currency ?? ''}`}</Descriptions.Item>
          </Descriptions>
        )}
      </Card>
    </Space>
  );
}
