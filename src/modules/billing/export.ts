import { stringify } from 'csv-stringify/sync';
import type { UserLanguage } from '../../platform/auth/schema.ts';
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
  /** The language of the sheet names and column headers (the reader's). */
  language: UserLanguage;
  title: string;
  /** Summary rows: label and value; money values are marked so they get the currency format. */
  summary: { label: string; value: string | number | null; money?: boolean }[];
  currency: string;
  lines: NamedLine[];
}

const COLUMNS: {
  header: Record<UserLanguage, string>;
  key: keyof NamedLine;
  width: number;
  number?: 'int' | 'dec' | 'money';
}[] = [
  { header: { en: 'Line', 'zh-CN': '行号' }, key: 'id', width: 8, number: 'int' },
  { header: { en: 'Kind', 'zh-CN': '类型' }, key: 'kind', width: 12 },
  { header: { en: 'User', 'zh-CN': '用户' }, key: 'user_name', width: 24 },
  { header: { en: 'E-mail', 'zh-CN': '电子邮箱' }, key: 'user_email', width: 30 },
  { header: { en: 'User id', 'zh-CN': '用户 ID' }, key: 'user_id', width: 38 },
  { header: { en: 'Project', 'zh-CN': '项目' }, key: 'project_title', width: 28 },
  { header: { en: 'Project id', 'zh-CN': '项目 ID' }, key: 'project_id', width: 10, number: 'int' },
  { header: { en: 'Rule version', 'zh-CN': '规则版本' }, key: 'rule_version_id', width: 12, number: 'int' },
  { header: { en: 'Mode', 'zh-CN': '计费方式' }, key: 'mode', width: 9 },
  { header: { en: 'Accepted', 'zh-CN': '已通过' }, key: 'accepted_count', width: 10, number: 'int' },
  { header: { en: 'Rejected', 'zh-CN': '已驳回' }, key: 'rejected_count', width: 10, number: 'int' },
  { header: { en: 'Skipped', 'zh-CN': '已跳过' }, key: 'skipped_count', width: 10, number: 'int' },
  { header: { en: 'Paid count', 'zh-CN': '计费数量' }, key: 'paid_count', width: 10, number: 'int' },
  { header: { en: 'Hours', 'zh-CN': '工时' }, key: 'hours', width: 10, number: 'dec' },
  { header: { en: 'Quality', 'zh-CN': '质量' }, key: 'quality_score', width: 9, number: 'dec' },
  { header: { en: 'Quality ×', 'zh-CN': '质量系数' }, key: 'quality_multiplier', width: 10, number: 'dec' },
  { header: { en: 'Difficulty', 'zh-CN': '难度' }, key: 'difficulty', width: 10 },
  {
    header: { en: 'Difficulty ×', 'zh-CN': '难度系数' },
    key: 'difficulty_multiplier',
    width: 11,
    number: 'dec',
  },
  { header: { en: 'Base', 'zh-CN': '基础金额' }, key: 'base_amount', width: 14, number: 'dec' },
  { header: { en: 'Amount', 'zh-CN': '金额' }, key: 'amount', width: 14, number: 'money' },
  { header: { en: 'Currency', 'zh-CN': '币种' }, key: 'currency', width: 9 },
  { header: { en: 'Note', 'zh-CN': '备注' }, key: 'note', width: 40 },
];

/** The words of the files the server renders, in each language the console has. */
export const BILLING_TEXTS: Record<UserLanguage, Record<string, string>> = {
  en: {
    summarySheet: 'Summary',
    detailSheet: 'Detail',
    billTitle: 'Bill {period}',
    statementTitle: 'Statement {period}',
    bill: 'Bill',
    statement: 'Statement',
    period: 'Period',
    timeZone: 'Time zone',
    status: 'Status',
    currency: 'Currency',
    ruleVersions: 'Rule versions',
    lines: 'Lines',
    total: 'Total',
    annotator: 'Annotator',
    email: 'E-mail',
    annotatorId: 'Annotator id',
  },
  'zh-CN': {
    summarySheet: '汇总',
    detailSheet: '明细',
    billTitle: '{period} 账单',
    statementTitle: '{period} 结算单',
    bill: '账单',
    statement: '结算单',
    period: '期间',
    timeZone: '时区',
    status: '状态',
    currency: '币种',
    ruleVersions: '规则版本',
    lines: '明细行数',
    total: '合计',
    annotator: '标注员',
    email: '电子邮箱',
    annotatorId: '标注员 ID',
  },
};

/** A text of BILLING_TEXTS with its {placeholders} filled. */
export function billingText(
  language: UserLanguage,
  key: string,
  values: Record<string, string> = {},
): string {
  const text = BILLING_TEXTS[language][key] ?? BILLING_TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
}

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
  const summary = wb.addWorksheet(billingText(doc.language, 'summarySheet'));
  summary.columns = [
    { header: doc.title, key: 'label', width: 28 },
    { header: '', key: 'value', width: 44 },
  ];
  for (const row of doc.summary) {
    const value = row.money && row.value !== null ? Number(row.value) : row.value;
    const added = summary.addRow({ label: row.label, value });
    if (row.money) added.getCell('value').numFmt = fmt;
  }
  const detail = wb.addWorksheet(billingText(doc.language, 'detailSheet'));
  detail.columns = COLUMNS.map((c) => ({ header: c.header[doc.language], key: c.key, width: c.width }));
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

/** CSV is for programs: its header row is the stable field names, in every language. */
export function toCsv(doc: Document): string {
  return stringify(
    doc.lines.map((l) => COLUMNS.map((c) => l[c.key] ?? '')),
    { header: true, columns: COLUMNS.map((c) => c.key) },
  );
}
