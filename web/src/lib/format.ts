import { useTranslation } from 'react-i18next';

/** Dates and numbers in the reader's language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const lng = i18n.language;
  return {
    date: (iso: string | null | undefined) =>
      iso
        ? new Intl.DateTimeFormat(lng, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
        : '',
    day: (iso: string) => new Intl.DateTimeFormat(lng, { dateStyle: 'medium' }).format(new Date(iso)),
    number: (n: number | null | undefined, digits = 0) =>
      n == null ? '' : new Intl.NumberFormat(lng, { maximumFractionDigits: digits }).format(n),
    percent: (fraction: number) =>
      new Intl.NumberFormat(lng, { style: 'percent', maximumFractionDigits: 0 }).format(fraction),
    bytes: (n: number) =>
      new Intl.NumberFormat(lng, {
        style: 'unit',
        unit: n > 1e6 ? 'megabyte' : 'kilobyte',
        maximumFractionDigits: 1,
      }).format(n > 1e6 ? n / 1e6 : n / 1e3),
  };
}
