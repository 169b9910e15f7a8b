import { REPORTING_VIEWS, type ReportingView } from '../reporting.ts';

/**
 * Words (English and Chinese) that point at a view. A question matches a view by these or
 * by the view's own name; the prompt then carries only those views, which keeps it short
 * enough for small models and their context windows.
 */
const SYNONYMS: Record<string, string[]> = {
  projects: ['project', 'projects', '项目'],
  tasks: ['task', 'tasks', 'item', 'items', '任务', '条目'],
  annotations: ['annotation', 'annotations', 'annotate', 'annotated', 'label', 'labels', 'labeled', '标注'],
  reviews: ['review', 'reviews', 'reviewed', 'reviewer', 'reviewers', 'approved', 'rejected', '审核', '审阅'],
  quality_scores: ['quality', 'score', 'scores', 'accuracy', 'consistency', '质量', '得分', '分数', '准确率'],
  billing_lines: [
    'billing',
    'bill',
    'bills',
    'cost',
    'costs',
    'amount',
    'paid',
    'pay',
    '费用',
    '账单',
    '金额',
  ],
  members: [
    'member',
    'members',
    'annotator',
    'annotators',
    'user',
    'users',
    'who',
    'people',
    '成员',
    '标注员',
    '用户',
  ],
};

/** Views joined to another through these columns: always kept so a join can be written. */
const JOIN_KEYS = new Set([
  'id',
  'project_id',
  'task_id',
  'annotation_id',
  'user_id',
  'completed_by',
  'reviewer_id',
  'created_by',
  'bill_id',
]);

/** A view with user ids needs members to name the users; members alone explain nothing. */
const USER_COLUMNS = new Set(['user_id', 'completed_by', 'reviewer_id', 'created_by']);

export interface LinkedView {
  name: string;
  description: string;
  columns: ReportingView['columns'];
}

/** English words lower-cased; Chinese text kept whole (synonyms are matched as substrings). */
function words(question: string): Set<string> {
  return new Set(question.toLowerCase().match(/[a-z_]+/g) ?? []);
}

function mentions(question: string, view: ReportingView): boolean {
  const ws = words(question);
  const terms = [view.name, ...(SYNONYMS[view.name] ?? [])];
  return terms.some((term) => (/^[a-z_]+$/.test(term) ? ws.has(term) : question.includes(term)));
}

function mentionsColumn(question: string, column: string): boolean {
  const ws = words(question);
  return ws.has(column) || column.split('_').some((part) => part.length > 3 && ws.has(part));
}

/**
 * The views a question is about, each with its join keys, the columns the question names and
 * its descriptive columns. A question that names no view gets them all (better a long
 * prompt than a missing table).
 */
export function linkSchema(question: string, views: ReportingView[] = REPORTING_VIEWS): LinkedView[] {
  let picked = views.filter((v) => mentions(question, v));
  if (picked.length === 0) return views.map((v) => ({ ...v }));
  const namesUsers = picked.some((v) => v.columns.some((c) => USER_COLUMNS.has(c.name)));
  const members = views.find((v) => v.name === 'members');
  if (
    members &&
    namesUsers &&
    !picked.includes(members) &&
    /\b(who|name|names|annotator|annotators)\b|谁|名字|标注员/.test(question.toLowerCase())
  )
    picked = [...picked, members];
  // A view linked through project_id needs projects to be named by title.
  const projects = views.find((v) => v.name === 'projects');
  if (projects && !picked.includes(projects) && /\b(title|titles)\b|名称|标题/.test(question.toLowerCase()))
    picked = [...picked, projects];
  const single = picked.length === 1;
  return picked.map((v) => ({
    name: v.name,
    description: v.description,
    // A single view keeps every column: the question may filter on any of them.
    columns: single
      ? v.columns
      : v.columns.filter(
          (c) => JOIN_KEYS.has(c.name) || mentionsColumn(question, c.name) || !c.type.startsWith('timestamp'),
        ),
  }));
}

/** DDL-like text of the linked views for the prompt. */
export function schemaText(views: LinkedView[]): string {
  return views
    .map(
      (v) =>
        `-- ${v.description}\nCREATE VIEW ${v.name} (\n${v.columns
          .map((c) => `  ${c.name} ${c.type} -- ${c.description}`)
          .join(',\n')}\n);`,
    )
    .join('\n\n');
}
