import { stringify } from 'csv-stringify/sync';
import { MINOR_UNITS } from './money.ts';

export const EXPORT_FORMATS = ['xlsx', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The lines of a bill or statement as the API shows them (recordView). */
export interface LineView {
  id: number;
  kind: string;
  user_id: string | null;
  project_id: number | null;
  rule_version_id: number | null;
  mode: string | null;
  accepted_count: number;
  rejected_count: number;
  skipped_count: number;
  paid_count: number;
  hours: string;
  quality_score: string | null;
  quality_multiplier: string;
  difficulty: string | null;
  difficulty_multiplier: string;
  base_amount: string;
  amount: string;
  currency: string;
  note: string;
}

/** A line with the names people read beside its ids, as the console shows them. */
export interface NamedLine extends LineView {
  user_name: string;
  user_email: string;
  project_title: string;
}

export interface Document {
  title: string;
  /** Summary rows: label and value; money values are marked so they get the currency format. */
  summary: { label: string; value: string | number | null; money?: boolean }[];
  currency: string;
  lines: NamedLine[];
}

const COLUMNS: { header: string; key: keyof NamedLine; width: number; number?: 'int' | 'dec' | 'money' }[] = [
  { header: 'Line', key: 'id', width: 8, number: 'int' },
  { header: 'Kind', key: 'kind', width: 12 },
  { header: 'User', key: 'user_name', width: 24 },
  { header: 'E-mail', key: 'user_email', width: 30 },
  { header: 'User id', key: 'user_id', width: 38 },
  { header: 'Project', key: 'project_title', width: 28 },
  { header: 'Project id', key: 'project_id', width: 10, number: 'int' },
  { header: 'Rule version', key: 'rule_version_id', width: 12, number: 'int' },
  { header: 'Mode', key: 'mode', width: 9 },
  { header: 'Accepted', key: 'accepted_count', width: 10, number: 'int' },
  { header: 'Rejected', key: 'rejected_count', width: 10, number: 'int' },
  { header: 'Skipped', key: 'skipped_count', width: 10, number: 'int' },
  { header: 'Paid count', key: 'paid_count', width: 10, number: 'int' },
  { header: 'Hours', key: 'hours', width: 10, number: 'dec' },
  { header: 'Quality', key: 'quality_score', width: 9, number: 'dec' },
  { header: 'Quality ×', key: 'quality_multiplier', width: 10, number: 'dec' },
  { header: 'Difficulty', key: 'difficulty', width: 10 },
  { header: 'Difficulty ×', key: 'difficulty_multiplier', width: 11, number: 'dec' },
  { header: 'Base', key: 'base_amount', width: 14, number: 'dec' },
  { header: 'Amount', key: 'amount', width: 14, number: 'money' },
  { header: 'Currency', key: 'currency', width: 9 },
  { header: 'Note', key: 'note', width: 40 },
];

/** Excel's number format for the currency: grouping, its minor-unit places and the code. */
export function currencyFormat(currency: string): string {
  const places = MINOR_UNITS[currency] ?? 2;
  return `#,##0${places ? `.${'0'.repeat(places)}` : ''} "${currency}"`;
}

/** Summary sheet plus detail sheet; amounts are numbers with the currency format, not text. */
export async function toXlsx(doc: Document): Promise<Buffer> {
  // Loaded on first use: ~28 MB that an idle platform need not hold.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'SuperInsight';
  const fmt = currencyFormat(doc.currency);
  const summary = wb.addWorksheet('Summary');
  summary.columns = [
    { header: doc.title, key: 'label', width: 28 },
    { header: '', key: 'value', width: 44 },
  ];
  for (const row of doc.summary) {
    const value = row.money && row.value !== null ? Number(row.value) : row.value;
    const added = summary.addRow({ label: row.label, value });
    if (row.money) added.getCell('value').numFmt = fmt;
  }
  const detail = wb.addWorksheet('Detail');
  detail.columns = COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width }));
  for (const line of doc.lines) {
    const values: Record<string, unknown> = {};
    for (const c of COLUMNS) {
      const v = line[c.key];
      values[c.key] = c.number && v !== null && v !== '' ? Number(v) : v;
    }
    detail.addRow(values).getCell('amount').numFmt = fmt;
  }
  detail.getRow(1).font = { bold: true };
  summary.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function toCsv(doc: Document): string {
  return stringify(
    doc.lines.map((l) => COLUMNS.map((c) => l[c.key] ?? '')),
    { header: true, columns: COLUMNS.map((c) => c.key) },
  );
}
