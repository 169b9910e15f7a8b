import { DatePicker } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';

/** A free date range; its own chunk, as the calendar weighs more than the rest of the dashboard. */
export default function CustomRange({
  value,
  onChange,
}: {
  value: [Dayjs, Dayjs];
  onChange: (range: [Dayjs, Dayjs]) => void;
}) {
  const { t } = useTranslation('dashboard');
  return (
    <DatePicker.RangePicker
      aria-label={t('range')}
      value={value}
      allowClear={false}
      disabledDate={(d) => d.isAfter(dayjs().endOf('day'))}
      onChange={(v) => v?.[0] && v[1] && onChange([v[0], v[1]])}
    />
  );
}
