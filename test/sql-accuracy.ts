import { sql } from 'drizzle-orm';
import { rowsOf } from '../src/platform/db/sql.ts';
import { inTenant } from '../src/platform/db/tenancy.ts';
import { newProject } from './annotation-fixtures.ts';
import type { TenantFixture } from './fixtures.ts';
import type { TestContext } from './helpers.ts';

/**
 * The text-to-SQL accuracy set: questions a manager asks, in English and Chinese, each
 * with a reference query written by hand over the reporting views. They were written
 * apart from the template pack, so they are not its example phrasings. A method's answer
 * counts as correct when its rows hold the same values as the reference query's rows
 * (execution accuracy, see `sameAnswer`).
 */
export interface AccuracyQuestion {
  question: string;
  gold: string;
}

// The periods the questions name, as the reference queries compute them (UTC).
const LAST_WEEK = `created_at >= date_trunc('week', now()) - interval '7 days' and created_at < date_trunc('week', now())`;
const THIS_WEEK = `created_at >= date_trunc('week', now())`;
const THIS_MONTH = `created_at >= date_trunc('month', now())`;
const LAST_MONTH = `created_at >= date_trunc('month', now()) - interval '1 month' and created_at < date_trunc('month', now())`;
const LAST_7_DAYS = `created_at >= now() - interval '7 days'`;
const LAST_MONTH_PERIOD = `period = to_char(now() - interval '1 month', 'YYYY-MM')`;

const perAnnotator = (where: string) =>
  `select m.name, count(*) from annotations a join members m on m.user_id = a.completed_by
    where not a.was_cancelled and ${where.replaceAll('created_at', 'a.created_at')} group by m.name`;
const perProject = (table: string, where: string) =>
  `select p.title, count(*) from ${table} x join projects p on p.id = x.project_id where ${where} group by p.title`;
const qualityPerProject = `select p.title, avg(q.total) from quality_scores q join projects p on p.id = q.project_id
  where q.scope = 'annotator' group by p.title`;
const rejectionRate = `select p.title, avg(case when r.status = 'rejected' then 1.0 else 0 end)
  from reviews r join projects p on p.id = r.project_id where r.status in ('approved', 'rejected') group by p.title`;
const completionRate = `select p.title, avg(case when t.is_finished then 1.0 else 0 end) from tasks t
  join projects p on p.id = t.project_id group by p.title`;
const costPerAnnotator = (where: string) =>
  `select m.name, sum(b.amount) from billing_lines b join members m on m.user_id = b.user_id where ${where} group by m.name`;
const costPerProject = (where: string) =>
  `select p.title, sum(b.amount) from billing_lines b join projects p on p.id = b.project_id where ${where} group by p.title`;
const reviewsPerReviewer = (status: string) =>
  `select m.name, count(*) from reviews r join members m on m.user_id = r.reviewer_id where r.status = '${status}' group by m.name`;
const topAnnotator = (where: string) =>
  `select m.name from annotations a join members m on m.user_id = a.completed_by
    where not a.was_cancelled and ${where.replaceAll('created_at', 'a.created_at')}
    group by m.name order by count(*) desc limit 1`;
const avgLeadTime = `select m.name, avg(a.lead_time) from annotations a join members m on m.user_id = a.completed_by
  where not a.was_cancelled group by m.name`;
const perDay = `select date_trunc('day', created_at)::date as day, count(*) from annotations
  where not was_cancelled and ${LAST_7_DAYS} group by 1`;
const lowQuality = `select distinct m.name from quality_scores q join members m on m.user_id = q.user_id
  where q.scope = 'annotator' and q.total < 0.7`;
const lowestQualityLastMonth = `select p.title from quality_scores q join projects p on p.id = q.project_id
  where q.computed_at >= date_trunc('month', now()) - interval '1 month' and q.computed_at < date_trunc('month', now())
  group by p.title order by avg(q.total) asc limit 1`;
const topEarner = (where: string) =>
  `select m.name from billing_lines b join members m on m.user_id = b.user_id where ${where}
    group by m.name order by sum(b.amount) desc limit 1`;
const count = (table: string, where = 'true') => `select count(*) from ${table} where ${where}`;
const inProject = (title: string, table = 'tasks', where = 'true') =>
  `select count(*) from ${table} x join projects p on p.id = x.project_id where p.title = '${title}' and ${where}`;
const byAnnotator = (name: string, where = 'true') =>
  `select count(*) from annotations a join members m on m.user_id = a.completed_by
    where m.name = '${name}' and not a.was_cancelled and ${where.replaceAll('created_at', 'a.created_at')}`;

export const ACCURACY_SET: AccuracyQuestion[] = [
  // Progress
  { question: 'How many tasks are there in each project?', gold: perProject('tasks', 'true') },
  { question: '各项目的任务数量分别是多少？', gold: perProject('tasks', 'true') },
  { question: 'How many tasks does the Invoice OCR project have?', gold: inProject('Invoice OCR') },
  { question: '医疗实体项目一共有多少任务？', gold: inProject('医疗实体') },
  { question: 'Number of completed tasks per project', gold: perProject('tasks', "x.status = 'completed'") },
  { question: '每个项目已完成的任务有多少？', gold: perProject('tasks', "x.status = 'completed'") },
  { question: 'How many tasks are still pending?', gold: count('tasks', "status = 'pending'") },
  { question: '还有多少任务待处理？', gold: count('tasks', "status = 'pending'") },
  { question: 'What is the completion rate of each project?', gold: completionRate },
  { question: '每个项目的完成率是多少', gold: completionRate },
  {
    question: 'How many high priority tasks does each project have?',
    gold: perProject('tasks', "x.priority = 'high'"),
  },
  { question: '每个项目有多少高优先级任务？', gold: perProject('tasks', "x.priority = 'high'") },
  {
    question: 'How many urgent tasks are not finished yet?',
    gold: count('tasks', "priority = 'urgent' and not is_finished"),
  },
  { question: '紧急任务中还有多少没完成？', gold: count('tasks', "priority = 'urgent' and not is_finished") },
  { question: 'How many tasks were created this week?', gold: count('tasks', THIS_WEEK) },
  { question: '本周新建了多少任务？', gold: count('tasks', THIS_WEEK) },
  {
    question: 'How many tasks are in progress in the Sentiment Reviews project?',
    gold: inProject('Sentiment Reviews', 'tasks', "x.status = 'in_progress'"),
  },
  {
    question: '情感评论项目里有多少任务已审核？',
    gold: inProject('情感评论', 'tasks', "x.status = 'reviewed'"),
  },
  // Throughput
  { question: 'How many annotations did each annotator submit last week?', gold: perAnnotator(LAST_WEEK) },
  { question: '上周每个标注员完成了多少标注？', gold: perAnnotator(LAST_WEEK) },
  { question: 'Annotations per annotator this month', gold: perAnnotator(THIS_MONTH) },
  { question: '本月每位标注员提交了多少条标注', gold: perAnnotator(THIS_MONTH) },
  { question: 'Who annotated the most last month?', gold: topAnnotator(LAST_MONTH) },
  { question: '上个月哪个标注员标注最多？', gold: topAnnotator(LAST_MONTH) },
  { question: 'What is the average time spent per annotation by each annotator?', gold: avgLeadTime },
  { question: '每个标注员的平均标注时长是多少？', gold: avgLeadTime },
  { question: 'How many annotations were submitted each day in the last 7 days?', gold: perDay },
  { question: '最近7天每天提交了多少标注？', gold: perDay },
  {
    question: 'How many annotations were made in each project last week?',
    gold: perProject(
      'annotations',
      `not x.was_cancelled and ${LAST_WEEK.replaceAll('created_at', 'x.created_at')}`,
    ),
  },
  {
    question: '上个月每个项目的标注数量',
    gold: perProject(
      'annotations',
      `not x.was_cancelled and ${LAST_MONTH.replaceAll('created_at', 'x.created_at')}`,
    ),
  },
  { question: 'How many annotations did Alice submit last week?', gold: byAnnotator('Alice', LAST_WEEK) },
  { question: '王芳一共完成了多少条标注？', gold: byAnnotator('王芳') },
  {
    question: 'How many annotations were skipped in each project?',
    gold: perProject('annotations', 'x.was_cancelled'),
  },
  { question: '每个项目被跳过的标注有多少？', gold: perProject('annotations', 'x.was_cancelled') },
  {
    question: 'How many ground truth annotations does each project have?',
    gold: perProject('annotations', 'x.ground_truth'),
  },
  { question: '每个项目的金标准标注数量', gold: perProject('annotations', 'x.ground_truth') },
  // Quality
  { question: 'What is the average quality score of each project?', gold: qualityPerProject },
  { question: '每个项目的平均质量分是多少？', gold: qualityPerProject },
  { question: '上个月哪个项目的平均质量分最低？', gold: lowestQualityLastMonth },
  {
    question: 'Which project had the lowest average quality score last month?',
    gold: lowestQualityLastMonth,
  },
  { question: 'Which annotators have a quality score below 0.7?', gold: lowQuality },
  { question: '质量分低于0.7的标注员有哪些？', gold: lowQuality },
  {
    question: 'What is the quality score of each annotator in the Invoice OCR project?',
    gold: `select m.name, avg(q.total) from quality_scores q join members m on m.user_id = q.user_id join projects p on p.id = q.project_id where p.title = 'Invoice OCR' and q.scope = 'annotator' group by m.name`,
  },
  {
    question: '每个标注员的平均质量分',
    gold: `select m.name, avg(q.total) from quality_scores q join members m on m.user_id = q.user_id where q.scope = 'annotator' group by m.name`,
  },
  // Review outcomes
  { question: 'How many annotations has each reviewer approved?', gold: reviewsPerReviewer('approved') },
  { question: '每个审核员通过了多少条标注？', gold: reviewsPerReviewer('approved') },
  { question: 'How many rejections did each reviewer make?', gold: reviewsPerReviewer('rejected') },
  { question: 'What is the rejection rate of each project?', gold: rejectionRate },
  { question: '每个项目的驳回率是多少？', gold: rejectionRate },
  {
    question: 'How many annotations are waiting for review?',
    gold: count('annotations', "review_status = 'pending'"),
  },
  { question: '有多少标注正在等待审核？', gold: count('annotations', "review_status = 'pending'") },
  // Cost
  { question: 'How much did each annotator earn last month?', gold: costPerAnnotator(LAST_MONTH_PERIOD) },
  { question: '上个月每个标注员的费用是多少？', gold: costPerAnnotator(LAST_MONTH_PERIOD) },
  {
    question: 'What was the total amount paid in March 2026?',
    gold: `select sum(amount) from billing_lines where period = '2026-03'`,
  },
  {
    question: '2026年3月总共支付了多少钱？',
    gold: `select sum(amount) from billing_lines where period = '2026-03'`,
  },
  { question: 'What did each project cost in March 2026?', gold: costPerProject("b.period = '2026-03'") },
  { question: '2026年3月每个项目的费用', gold: costPerProject("b.period = '2026-03'") },
  { question: 'Which annotator earned the most in March 2026?', gold: topEarner("b.period = '2026-03'") },
  { question: '2026年3月哪个标注员收入最高？', gold: topEarner("b.period = '2026-03'") },
  {
    question: '上个月每个项目花了多少钱？',
    gold: costPerProject(LAST_MONTH_PERIOD.replace('period', 'b.period')),
  },
  // Team
  { question: 'How many members does the team have?', gold: count('members') },
  { question: '团队有多少成员？', gold: count('members') },
];

// The held-out set's periods and helpers, over the same views and in the same style.
const TODAY = `created_at >= date_trunc('day', now())`;
const LAST_30_DAYS = `created_at >= now() - interval '30 days'`;
const MARCH_2026 = `created_at >= timestamptz '2026-03-01 00:00:00+00' and created_at < timestamptz '2026-04-01 00:00:00+00'`;
const submitted = (where = 'true') => count('annotations', `not was_cancelled and ${where}`);
const byStatus = (column: 'status' | 'priority') =>
  `select ${column}, count(*) from tasks group by ${column}`;
const topProjectBy = (table: string, measure: string, where: string, order = 'desc', n = 1) =>
  `select p.title from ${table} x join projects p on p.id = x.project_id where ${where}
    group by p.title order by ${measure} ${order} limit ${n}`;
const topMemberBy = (
  table: string,
  userColumn: string,
  measure: string,
  where: string,
  order = 'desc',
  n = 1,
) =>
  `select m.name from ${table} x join members m on m.user_id = x.${userColumn} where ${where}
    group by m.name order by ${measure} ${order} limit ${n}`;
const leadTimePerProject = `select p.title, avg(a.lead_time) from annotations a join projects p on p.id = a.project_id
  where not a.was_cancelled group by p.title`;
const qualityPerAnnotator = `select m.name, avg(q.total) from quality_scores q join members m on m.user_id = q.user_id
  where q.scope = 'annotator' group by m.name`;
const reviewsPerProject = (status: string) =>
  `select p.title, count(*) from reviews r join projects p on p.id = r.project_id where r.status = '${status}' group by p.title`;
const approvalPerReviewer = `select m.name, avg(case when r.status = 'approved' then 1.0 else 0 end)
  from reviews r join members m on m.user_id = r.reviewer_id where r.status in ('approved', 'rejected') group by m.name`;
const spend = (where: string) => `select sum(amount) from billing_lines where ${where}`;
const earnedBy = (name: string, where = 'true') =>
  `select sum(b.amount) from billing_lines b join members m on m.user_id = b.user_id where m.name = '${name}' and ${where}`;

/**
 * The held-out set: questions written after the template pack, from what a manager asks
 * and the views' documented columns only, without reading the pack or the matcher, and
 * never changed afterwards to fit them. Its figure is the fair one; ACCURACY_SET is the
 * development set the last templates were written against.
 */
export const HELD_OUT_SET: AccuracyQuestion[] = [
  // Progress
  { question: 'What share of tasks in each project is finished?', gold: completionRate },
  { question: '各个项目任务的完成比例', gold: completionRate },
  { question: 'How many tasks have been cancelled?', gold: count('tasks', "status = 'cancelled'") },
  { question: '已取消的任务有几个？', gold: count('tasks', "status = 'cancelled'") },
  { question: 'Break down the tasks by status', gold: byStatus('status') },
  { question: '按状态统计任务数量', gold: byStatus('status') },
  { question: 'Task counts by priority', gold: byStatus('priority') },
  { question: '不同优先级的任务各有多少？', gold: byStatus('priority') },
  {
    question: 'Which project has the most unfinished tasks?',
    gold: topProjectBy('tasks', 'count(*)', 'not x.is_finished'),
  },
  {
    question: 'Invoice OCR 项目还有多少任务没完成？',
    gold: inProject('Invoice OCR', 'tasks', 'not x.is_finished'),
  },
  {
    question: 'How many pending tasks are left in 医疗实体?',
    gold: inProject('医疗实体', 'tasks', "x.status = 'pending'"),
  },
  { question: 'How many tasks were imported last month?', gold: count('tasks', LAST_MONTH) },
  { question: '上周新增了多少个任务？', gold: count('tasks', LAST_WEEK) },
  { question: 'How many projects do we have?', gold: count('projects') },
  { question: '总共有几个项目？', gold: count('projects') },
  // Throughput
  {
    question: 'Who submitted the most annotations last week?',
    gold: topAnnotator(LAST_WEEK),
  },
  { question: '2026年3月谁标注得最多？', gold: topAnnotator(MARCH_2026) },
  { question: 'How many annotations were submitted in March 2026?', gold: submitted(MARCH_2026) },
  { question: '2026年3月每个标注员完成了多少条标注？', gold: perAnnotator(MARCH_2026) },
  { question: 'How many annotations has Bob done in total?', gold: byAnnotator('Bob') },
  { question: 'Alice上个月提交了几条标注？', gold: byAnnotator('Alice', LAST_MONTH) },
  { question: 'Daily annotation counts over the past 7 days', gold: perDay },
  { question: '过去30天一共提交了多少标注？', gold: submitted(LAST_30_DAYS) },
  { question: 'How many annotations did the team submit today?', gold: submitted(TODAY) },
  {
    question: 'Which annotator is the slowest on average?',
    gold: topMemberBy('annotations', 'completed_by', 'avg(x.lead_time)', 'not x.was_cancelled'),
  },
  {
    question: '谁的平均标注耗时最短？',
    gold: topMemberBy('annotations', 'completed_by', 'avg(x.lead_time)', 'not x.was_cancelled', 'asc'),
  },
  { question: 'Average seconds spent per annotation in each project', gold: leadTimePerProject },
  { question: '每个项目平均每条标注用时多少秒？', gold: leadTimePerProject },
  // Quality
  {
    question: 'Who has the best average quality score?',
    gold: topMemberBy('quality_scores', 'user_id', 'avg(x.total)', "x.scope = 'annotator'"),
  },
  {
    question: '平均质量分最高的标注员是谁？',
    gold: topMemberBy('quality_scores', 'user_id', 'avg(x.total)', "x.scope = 'annotator'"),
  },
  { question: 'List annotators with their mean quality score', gold: qualityPerAnnotator },
  {
    question: '平均质量分低于0.72的标注员是谁？',
    gold: `select m.name from quality_scores q join members m on m.user_id = q.user_id
      where q.scope = 'annotator' group by m.name having avg(q.total) < 0.72`,
  },
  {
    question: 'Which projects average more than 0.74 in quality?',
    gold: `select p.title from quality_scores q join projects p on p.id = q.project_id
      where q.scope = 'annotator' group by p.title having avg(q.total) > 0.74`,
  },
  {
    question: 'Invoice OCR项目的平均质量分是多少？',
    gold: `select avg(q.total) from quality_scores q join projects p on p.id = q.project_id
      where p.title = 'Invoice OCR' and q.scope = 'annotator'`,
  },
  {
    question: 'What is the overall average quality score?',
    gold: `select avg(total) from quality_scores where scope = 'annotator'`,
  },
  {
    question: '质量最好的项目是哪个？',
    gold: topProjectBy('quality_scores', 'avg(x.total)', "x.scope = 'annotator'"),
  },
  // Review outcomes
  {
    question: 'What share of reviewed annotations were rejected?',
    gold: `select avg(case when status = 'rejected' then 1.0 else 0 end) from reviews where status in ('approved', 'rejected')`,
  },
  {
    question: '审核通过率是多少？',
    gold: `select avg(case when status = 'approved' then 1.0 else 0 end) from reviews where status in ('approved', 'rejected')`,
  },
  {
    question: 'Who reviewed the most annotations?',
    gold: topMemberBy('reviews', 'reviewer_id', 'count(*)', 'true'),
  },
  {
    question: '每个审核员审核了多少条？',
    gold: `select m.name, count(*) from reviews r join members m on m.user_id = r.reviewer_id group by m.name`,
  },
  { question: 'How many annotations were approved in each project?', gold: reviewsPerProject('approved') },
  { question: '每个项目被驳回了多少条标注？', gold: reviewsPerProject('rejected') },
  {
    question: 'How many annotations has Rita rejected?',
    gold: `select count(*) from reviews r join members m on m.user_id = r.reviewer_id
      where m.name = 'Rita' and r.status = 'rejected'`,
  },
  { question: 'What is the approval rate of each reviewer?', gold: approvalPerReviewer },
  // Cost
  { question: 'What was the total spend last month?', gold: spend(LAST_MONTH_PERIOD) },
  { question: '上个月一共花了多少钱？', gold: spend(LAST_MONTH_PERIOD) },
  { question: 'How much have we paid Alice in total?', gold: earnedBy('Alice') },
  { question: '王芳2026年3月的收入是多少？', gold: earnedBy('王芳', "b.period = '2026-03'") },
  {
    question: 'Which project was the most expensive last month?',
    gold: topProjectBy('billing_lines', 'sum(x.amount)', LAST_MONTH_PERIOD.replace('period', 'x.period')),
  },
  {
    question: '2026年3月花费最多的两个项目是哪些？',
    gold: topProjectBy('billing_lines', 'sum(x.amount)', "x.period = '2026-03'", 'desc', 2),
  },
  { question: '每个项目总共花了多少钱？', gold: costPerProject('true') },
  { question: '每个标注员的总收入', gold: costPerAnnotator('true') },
  {
    question: 'How many accepted annotations were billed in March 2026?',
    gold: `select sum(accepted_count) from billing_lines where period = '2026-03'`,
  },
  {
    question: 'What is the cost per accepted annotation in each project?',
    gold: `select p.title, sum(b.amount) / sum(b.accepted_count) from billing_lines b join projects p on p.id = b.project_id group by p.title`,
  },
  // Team
  { question: 'How many active members are there?', gold: count('members', "status = 'active'") },
  { question: '现在有几位在职成员？', gold: count('members', "status = 'active'") },
];

type Cell = number | string | null;

/** A cell as compared: numbers (and numeric strings) as numbers, dates and timestamps as their day. */
function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return v.slice(0, 10);
  return String(v);
}

/** Numbers agree to the precision an answer may round them to (a tenth, or 0.1%). */
function sameCell(a: Cell, b: Cell): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= Math.max(0.051, Math.abs(b) * 0.001);
  return a === b;
}

/**
 * Rows as compared: their cells, with rows whose numbers are all zero left out (a
 * per-project count may or may not list the projects with none).
 */
function cellsOf(rows: Record<string, unknown>[]): Cell[][] {
  return rows
    .map((r) => Object.values(r).map(cell))
    .filter((cells) => {
      const numbers = cells.filter((c) => typeof c === 'number');
      return numbers.length === 0 || numbers.some((c) => c !== 0);
    });
}

/** Every cell of `expected` matched by a different cell of `got`. */
function covers(got: Cell[], expected: Cell[]): boolean {
  const free = [...got];
  return expected.every((e) => {
    const i = free.findIndex((g) => sameCell(g, e));
    if (i < 0) return false;
    free.splice(i, 1);
    return true;
  });
}

/**
 * Execution accuracy's test: as many rows as the reference answer, each holding the values
 * of a different reference row, in any column order. Extra columns are allowed (a count
 * beside an average, the currency beside an amount), extra or missing rows are not, and
 * rows match in any order.
 */
export function sameAnswer(got: Record<string, unknown>[], expected: Record<string, unknown>[]): boolean {
  const a = cellsOf(got);
  const b = cellsOf(expected);
  if (a.length !== b.length) return false;
  const free = [...a];
  return b.every((row) => {
    const i = free.findIndex((candidate) => covers(candidate, row));
    if (i < 0) return false;
    free.splice(i, 1);
    return true;
  });
}

/**
 * The data the questions are asked over: three projects, three annotators and a reviewer,
 * tasks in every status, annotations spread over this week, last week, last month and
 * March 2026, reviews, annotator quality scores and two months of bills. Written as the
 * tenant (under RLS); amounts and counts differ so that a wrong query shows.
 */
export async function seedAccuracyData(ctx: TestContext, t: TenantFixture) {
  const alice = await t.member(['annotator'], 'Alice');
  const bob = await t.member(['annotator'], 'Bob');
  const fang = await t.member(['annotator'], '王芳');
  const rita = await t.member(['reviewer'], 'Rita');
  const annotators = [alice.userId, bob.userId, fang.userId];
  const titles = ['Sentiment Reviews', '情感评论', '医疗实体', 'Invoice OCR'];
  const projects: number[] = [];
  for (const title of titles) projects.push((await newProject(t, { title })).id);

  const statuses = ['pending', 'in_progress', 'completed', 'reviewed', 'completed', 'pending', 'cancelled'];
  const priorities = ['medium', 'high', 'low', 'urgent', 'medium'];
  const when = [
    "now() - interval '1 minute'",
    "date_trunc('week', now()) - interval '3 days'",
    "date_trunc('month', now()) - interval '10 days'",
    "timestamptz '2026-03-15 10:00:00+00'",
    "date_trunc('week', now()) - interval '5 days'",
  ];
  const reviewStates = ['approved', 'rejected', 'pending', null, 'approved'];
  const scope = { tenantId: t.tenantId, userId: t.owner.userId };
  await inTenant(ctx.platform.database.db, scope, async (tx) => {
    let k = 0;
    for (const [p, projectId] of projects.entries()) {
      const n = 6 + p * 3;
      for (let i = 0; i < n; i++, k++) {
        const status = statuses[(i + p) % statuses.length]!;
        const annotated = status !== 'pending';
        const finished = status === 'completed' || status === 'reviewed';
        const [task] = rowsOf<{ id: number | string }>(
          await tx.execute(sql`
            insert into tasks (tenant_id, project_id, data, status, priority, total_annotations, is_finished, created_at)
            values (${t.tenantId}::uuid, ${projectId}, ${JSON.stringify({ text: `item ${k}` })}::jsonb, ${status},
              ${priorities[(i * 2 + p) % priorities.length]}, ${annotated ? 1 : 0}, ${finished},
              ${sql.raw(when[(i + 2 * p) % when.length]!)})
            returning id`),
        );
        if (!annotated) continue;
        const review = reviewStates[(i + p) % reviewStates.length] ?? null;
        const [annotation] = rowsOf<{ id: number | string }>(
          await tx.execute(sql`
            insert into annotations (tenant_id, project_id, task_id, completed_by, lead_time, was_cancelled,
              ground_truth, review_status, created_at)
            values (${t.tenantId}::uuid, ${projectId}, ${task!.id}, ${annotators[(i + k) % 3]}::uuid,
              ${10 + ((i * 7 + p * 5) % 40)}, ${status === 'cancelled'}, ${i % 4 === 1}, ${review},
              ${sql.raw(when[(i + p) % when.length]!)})
            returning id`),
        );
        if (review === 'approved' || review === 'rejected')
          await tx.execute(sql`
            insert into review_records (tenant_id, project_id, task_id, annotation_id, reviewer_id, status)
            values (${t.tenantId}::uuid, ${projectId}, ${task!.id}, ${annotation!.id},
              ${i % 3 === 0 ? t.owner.userId : rita.userId}::uuid, ${review})`);
      }
      await tx.execute(sql`update projects set task_count = ${n} where id = ${projectId}`);
      for (const [a, userId] of annotators.entries()) {
        const total = (0.55 + ((a * 3 + p * 2) % 5) * 0.1).toFixed(3);
        await tx.execute(sql`
          insert into quality_scores (tenant_id, project_id, scope, user_id, total, computed_at)
          values (${t.tenantId}::uuid, ${projectId}, 'annotator', ${userId}::uuid, ${total},
            ${sql.raw(a === 2 ? "now() - interval '1 minute'" : "date_trunc('month', now()) - interval '12 days'")})`);
      }
    }
    const lastMonth = new Date();
    lastMonth.setUTCDate(1);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    for (const period of [lastMonth.toISOString().slice(0, 7), '2026-03']) {
      const [bill] = rowsOf<{ id: number | string }>(
        await tx.execute(sql`
          insert into billing_bills (tenant_id, period, time_zone, period_start, period_end, status, currency)
          values (${t.tenantId}::uuid, ${period}, 'UTC', ${`${period}-01T00:00:00Z`}::timestamptz,
            ${`${period}-01T00:00:00Z`}::timestamptz + interval '1 month', 'issued', 'CNY')
          returning id`),
      );
      for (const [p, projectId] of projects.entries())
        for (const [a, userId] of annotators.entries()) {
          if ((p + a) % 4 === 3) continue;
          const amount = (100 + p * 37 + a * 53 + (period === '2026-03' ? 11 : 0)).toFixed(2);
          await tx.execute(sql`
            insert into billing_records (tenant_id, bill_id, kind, user_id, project_id, period, accepted_count, amount, currency)
            values (${t.tenantId}::uuid, ${bill!.id}, 'work', ${userId}::uuid, ${projectId}, ${period},
              ${5 + p + a}, ${amount}, 'CNY')`);
        }
    }
  });
}
