import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Button, Checkbox, Col, DatePicker, Form, Input, Modal, Row, Select, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, must, type paths } from '../../api/client';
import { DIFFICULTIES } from '../../api/enums';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { Version } from './RulesTab';

type Body =
  paths['/api/v1/billing/rules/{id}/versions']['post']['requestBody']['content']['application/json'];
const MODES: Body['mode'][] = ['count', 'time', 'project', 'hybrid'];
// The currencies the API knows minor units of; it answers 400 for any other.
const CURRENCIES = [
  'CNY',
  'USD',
  'EUR',
  'GBP',
  'HKD',
  'TWD',
  'SGD',
  'AUD',
  'CAD',
  'CHF',
  'INR',
  'RUB',
  'JPY',
  'KRW',
  'VND',
  'BHD',
  'KWD',
];
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

interface Values {
  mode: Body['mode'];
  currency: string;
  count_rate?: string;
  hour_rate?: string;
  project_fee?: string;
  quality_tiers: { min: string; multiplier: string }[];
  difficulty_multipliers: Record<string, string | undefined>;
  pay_rejected: boolean;
  pay_skipped: boolean;
  effective_from: Dayjs;
}

/** Empty optional fields are left out, so the API applies its defaults. */
function toBody(v: Values): Body {
  const difficulty = Object.fromEntries(
    Object.entries(v.difficulty_multipliers ?? {}).filter((e): e is [string, string] => !!e[1]),
  );
  return {
    mode: v.mode,
    currency: v.currency,
    count_rate: v.count_rate || undefined,
    hour_rate: v.hour_rate || undefined,
    project_fee: v.project_fee || undefined,
    quality_tiers: v.quality_tiers?.length ? v.quality_tiers : undefined,
    difficulty_multipliers: Object.keys(difficulty).length ? difficulty : undefined,
    pay_rejected: v.pay_rejected,
    pay_skipped: v.pay_skipped,
    effective_from: v.effective_from.toISOString(),
  };
}

/** Proposes new terms for a rule, starting from its latest version; a draft until approved. */
export function ProposeDialog({
  ruleId,
  latest,
  onClose,
  onDone,
}: {
  ruleId: number;
  latest: Version | undefined;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useTranslation('billing');
  const [form] = Form.useForm<Values>();
  const propose = useMutation({
    mutationFn: (body: Body) =>
      must(api.POST('/api/v1/billing/rules/{id}/versions', { params: { path: { id: ruleId } }, body })),
    onSuccess: onDone,
  });
  const initial: Partial<Values> = {
    mode: (latest?.mode as Body['mode']) ?? 'count',
    currency: latest?.currency ?? 'CNY',
    count_rate: latest?.count_rate,
    hour_rate: latest?.hour_rate,
    project_fee: latest?.project_fee,
    quality_tiers: latest?.quality_tiers ?? [],
    difficulty_multipliers: latest?.difficulty_multipliers ?? {},
    pay_rejected: latest?.pay_rejected ?? false,
    pay_skipped: latest?.pay_skipped ?? false,
    effective_from: dayjs().startOf('month').add(1, 'month'),
  };
  const decimal = [{ pattern: DECIMAL, message: t('propose.decimalHelp') }];
  return (
    <Modal
      open
      width={720}
      title={t('propose.title')}
      okText={t('propose.submit')}
      onCancel={onClose}
      onOk={() => form.submit()}
      confirmLoading={propose.isPending}
    >
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(v) => propose.mutate(toBody(v))}>
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="mode" label={t('lines.mode')}>
              <Select
                data-testid="propose-mode"
                options={MODES.map((m) => ({ value: m, label: t(`mode.${m}`) }))}
              />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="currency" label={t('bills.currency')}>
              <Select showSearch options={CURRENCIES.map((c) => ({ value: c, label: c }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="effective_from" label={t('rules.effective')} rules={[{ required: true }]}>
              <DatePicker showTime style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={12}>
          {(['count_rate', 'hour_rate', 'project_fee'] as const).map((k) => (
            <Col span={8} key={k}>
              <Form.Item name={k} label={t(`propose.${k}`)} rules={decimal} extra={t('propose.defaultHelp')}>
                <Input inputMode="decimal" />
              </Form.Item>
            </Col>
          ))}
        </Row>
        <Form.Item label={t('rules.qualityTiers')} extra={t('propose.tiersHelp')}>
          <Form.List name="quality_tiers">
            {(fields, { add, remove }) => (
              <Space orientation="vertical" size={0}>
                {fields.map((field) => (
                  <Space key={field.key} align="baseline">
                    <Form.Item name={[field.name, 'min']} rules={[{ required: true }, ...decimal]}>
                      <Input aria-label={t('propose.tierMin')} placeholder={t('propose.tierMin')} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'multiplier']} rules={[{ required: true }, ...decimal]}>
                      <Input
                        aria-label={t('propose.tierMultiplier')}
                        placeholder={t('propose.tierMultiplier')}
                      />
                    </Form.Item>
                    <MinusCircleOutlined
                      aria-label={t('propose.removeTier')}
                      onClick={() => remove(field.name)}
                    />
                  </Space>
                ))}
                <Button
                  type="dashed"
                  icon={<PlusOutlined />}
                  onClick={() => add({ min: '', multiplier: '' })}
                >
                  {t('propose.addTier')}
                </Button>
              </Space>
            )}
          </Form.List>
        </Form.Item>
        <Row gutter={12}>
          {DIFFICULTIES.map((d) => (
            <Col span={6} key={d}>
              <Form.Item
                name={['difficulty_multipliers', d]}
                label={t('propose.difficulty', { level: t(`difficulty.${d}`) })}
                rules={decimal}
              >
                <Input inputMode="decimal" />
              </Form.Item>
            </Col>
          ))}
        </Row>
        <Space>
          <Form.Item name="pay_rejected" valuePropName="checked">
            <Checkbox>{t('propose.payRejected')}</Checkbox>
          </Form.Item>
          <Form.Item name="pay_skipped" valuePropName="checked">
            <Checkbox>{t('propose.paySkipped')}</Checkbox>
          </Form.Item>
        </Space>
      </Form>
      <ProblemAlert error={propose.error} />
    </Modal>
  );
}
