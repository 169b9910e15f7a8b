import type { Pattern, Slot } from '../schema.ts';

/** A question template: phrasings, the slots they mention, and the SQL the slots' values bind to. */
export interface Template {
  /** `builtin:<name>` for the pack; the row id (as text) for a tenant's own. */
  id: string;
  name: string;
  description: string;
  patterns: Pattern[];
  slots: Slot[];
  /** $1..$n in slot order; a period takes two ($k from, $k+1 to: [from, to)). */
  sql: string;
  builtin: boolean;
}

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'reviewed', 'cancelled'];
export const REVIEW_STATUSES = ['pending', 'in_review', 'approved', 'rejected', 'modification_requested'];
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'];

const project: Slot = { name: 'project', type: 'project' };
const member: Slot = { name: 'member', type: 'member' };
const period: Slot = { name: 'period', type: 'period' };
const n: Slot = { name: 'n', type: 'number', default: 10 };
const status: Slot = { name: 'status', type: 'enum', values: TASK_STATUSES };
const reviewStatus: Slot = { name: 'review_status', type: 'enum', values: REVIEW_STATUSES };
const priority: Slot = { name: 'priority', type: 'enum', values: PRIORITIES };

function builtin(
  name: string,
  description: string,
  zh: string[],
  en: string[],
  slots: Slot[],
  sql: string,
): Template {
  return {
    id: `builtin:${name}`,
    name,
    description,
    patterns: [
      ...zh.map((text) => ({ lang: 'zh' as const, text })),
      ...en.map((text) => ({ lang: 'en' as const, text })),
    ],
    slots,
    sql: sql.trim(),
    builtin: true,
  };
}

// Views are named with their schema (reporting.*), as the boundary check tells them from tables.
// Shared SQL fragments (over `reviews r`): a decided review, and a billing month inside [from, to).
const DECIDED = "r.status in ('approved', 'rejected', 'modification_requested')";
const rate = (what: string) =>
  `round(count(*) filter (where r.status = '${what}')::numeric / nullif(count(*) filter (where ${DECIDED}), 0), 3)`;
const months = (from: string, to: string) =>
  `b.period >= to_char(${from}::timestamptz at time zone 'UTC', 'YYYY-MM') and b.period <= to_char((${to}::timestamptz - interval '1 millisecond') at time zone 'UTC', 'YYYY-MM')`;

// A project's quality is read from its annotators' scores (each the mean of that annotator's
// annotation scores, kept with them), so every annotator weighs the same, as the quality pages
// rank them; the annotation scores themselves answer only questions about single annotations.
export const BUILTIN_TEMPLATES: Template[] = [
  // Progress
  builtin(
    'tasks_by_status',
    'Tasks of every project by status',
    ['任务状态分布', '各状态的任务数', '每种状态有多少任务'],
    ['tasks by status', 'how many tasks are in each status'],
    [],
    'select status, count(*)::int as tasks from reporting.tasks group by status order by tasks desc',
  ),
  builtin(
    'task_count_in_project',
    'Tasks in one project',
    ['{project}的任务总数', '{project}有多少个任务'],
    ['total tasks in {project}', 'how many tasks are in {project}'],
    [project],
    'select count(*)::int as tasks from reporting.tasks where project_id = $1::bigint',
  ),
  builtin(
    'tasks_by_status_in_project',
    'Tasks of one project by status',
    ['{project}的任务状态分布', '{project}各状态的任务数'],
    ['tasks by status in {project}', 'how many tasks in each status for {project}'],
    [project],
    'select status, count(*)::int as tasks from reporting.tasks where project_id = $1::bigint group by status order by tasks desc',
  ),
  builtin(
    'tasks_by_status_per_project',
    'Tasks by status, per project',
    ['每个项目各状态的任务数', '各项目的任务状态分布'],
    ['tasks by status per project', 'task status breakdown for each project'],
    [],
    `select p.title as project, t.status, count(*)::int as tasks
       from reporting.tasks t join reporting.projects p on p.id = t.project_id
      group by p.title, t.status order by p.title, t.status`,
  ),
  builtin(
    'completion_rate_per_project',
    'Share of finished tasks, per project',
    ['各项目的完成率', '每个项目的完成进度'],
    ['completion rate per project', 'progress of each project'],
    [],
    `select p.title as project, count(t.id)::int as tasks,
            count(t.id) filter (where t.is_finished)::int as finished,
            round(count(t.id) filter (where t.is_finished)::numeric / nullif(count(t.id), 0), 3) as completion_rate
       from reporting.projects p left join reporting.tasks t on t.project_id = p.id
      group by p.id, p.title order by completion_rate desc nulls last`,
  ),
  builtin(
    'completion_rate_of_project',
    'Share of finished tasks in one project',
    ['{project}的完成率', '{project}完成了多少'],
    ['completion rate of {project}', 'how far along is {project}'],
    [project],
    `select count(*)::int as tasks, count(*) filter (where is_finished)::int as finished,
            round(count(*) filter (where is_finished)::numeric / nullif(count(*), 0), 3) as completion_rate
       from reporting.tasks where project_id = $1::bigint`,
  ),
  builtin(
    'count_tasks_with_status',
    'How many tasks have one status',
    ['{status}的任务有多少', '有多少{status}的任务'],
    ['how many {status} tasks', 'number of tasks that are {status}'],
    [status],
    'select count(*)::int as tasks from reporting.tasks where status = $1::text',
  ),
  builtin(
    'tasks_with_status_per_project',
    'Tasks of one status, per project',
    ['每个项目{status}的任务数', '各项目有多少{status}的任务'],
    ['{status} tasks per project', 'how many {status} tasks in each project'],
    [status],
    `select p.title as project, count(t.id)::int as tasks
       from reporting.projects p left join reporting.tasks t on t.project_id = p.id and t.status = $1::text
      group by p.id, p.title order by tasks desc`,
  ),
  builtin(
    'tasks_with_status_in_project',
    'How many tasks of one project have one status',
    ['{project}中{status}的任务数', '{project}项目{status}的任务有多少'],
    ['{status} tasks in {project}', 'how many tasks in project {project} are {status}'],
    [project, status],
    'select count(*)::int as tasks from reporting.tasks where project_id = $1::bigint and status = $2::text',
  ),
  builtin(
    'tasks_by_priority',
    'Tasks by priority',
    ['任务优先级分布', '各优先级的任务数'],
    ['tasks by priority', 'how many tasks per priority'],
    [],
    'select priority, count(*)::int as tasks from reporting.tasks group by priority order by tasks desc',
  ),
  builtin(
    'count_tasks_with_priority',
    'How many tasks have one priority',
    ['{priority}优先级的任务有多少', '有多少{priority}优先级任务'],
    ['how many {priority} priority tasks', 'number of tasks with {priority} priority'],
    [priority],
    'select count(*)::int as tasks from reporting.tasks where priority = $1::text',
  ),
  builtin(
    'tasks_with_priority_per_project',
    'Tasks of one priority, per project',
    ['各项目{priority}优先级的任务数', '每个项目{priority}优先级任务有几个'],
    ['{priority} priority tasks per project', 'number of {priority} priority tasks for every project'],
    [priority],
    `select p.title as project, count(t.id)::int as tasks
       from reporting.projects p left join reporting.tasks t on t.project_id = p.id and t.priority = $1::text
      group by p.id, p.title order by tasks desc`,
  ),
  builtin(
    'unfinished_tasks_with_priority',
    'Tasks of one priority that are not finished (is_finished false, cancelled ones included)',
    ['{priority}优先级任务里未完成的数量', '{priority}任务中未完成的有多少'],
    ['unfinished {priority} priority tasks', 'how many {priority} tasks are not done'],
    [priority],
    'select count(*)::int as tasks from reporting.tasks where priority = $1::text and not is_finished',
  ),
  builtin(
    'project_count',
    'How many projects there are',
    ['有多少个项目', '项目总数'],
    ['how many projects', 'number of projects'],
    [],
    'select count(*)::int as projects from reporting.projects',
  ),
  builtin(
    'task_count_per_project',
    'Tasks per project',
    ['每个项目有多少任务', '各项目的任务数'],
    ['how many tasks per project', 'task count of each project'],
    [],
    'select title as project, task_count::int as tasks from reporting.projects order by task_count desc',
  ),
  builtin(
    'tasks_imported_in_period',
    'Tasks imported in a period',
    ['{period}导入了多少任务', '{period}新增任务数'],
    ['how many tasks were imported {period}', 'tasks created {period}'],
    [period],
    'select count(*)::int as tasks from reporting.tasks where created_at >= $1::timestamptz and created_at < $2::timestamptz',
  ),
  builtin(
    'unfinished_tasks_per_project',
    'Unfinished tasks per project',
    ['每个项目还有多少未完成的任务', '各项目剩余任务'],
    ['unfinished tasks per project', 'remaining tasks in each project'],
    [],
    `select p.title as project, count(t.id)::int as unfinished
       from reporting.projects p left join reporting.tasks t on t.project_id = p.id and not t.is_finished and t.status <> 'cancelled'
      group by p.id, p.title order by unfinished desc`,
  ),
  // Throughput
  builtin(
    'annotations_per_annotator_in_period',
    'Annotations submitted per annotator in a period',
    ['{period}每个标注员的标注数', '{period}各标注员标注了多少'],
    ['annotations per annotator {period}', 'how many annotations did each annotator submit {period}'],
    [period],
    `select m.name as annotator, count(a.id)::int as annotations
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      where a.created_at >= $1::timestamptz and a.created_at < $2::timestamptz and not a.was_cancelled
      group by m.user_id, m.name order by annotations desc`,
  ),
  builtin(
    'annotations_per_day_in_period',
    'Annotations submitted per day (UTC) in a period',
    ['{period}每天的标注数', '{period}每日标注量'],
    [
      'annotations per day {period}',
      'daily annotation count {period}',
      'how many annotations per day {period}',
    ],
    [period],
    `select (a.created_at at time zone 'UTC')::date as day, count(*)::int as annotations
       from reporting.annotations a
      where a.created_at >= $1::timestamptz and a.created_at < $2::timestamptz and not a.was_cancelled
      group by 1 order by 1`,
  ),
  builtin(
    'annotations_per_project_in_period',
    'Annotations submitted per project in a period',
    ['{period}每个项目的标注数', '{period}各项目标注量'],
    [
      'annotations per project {period}',
      'annotation count of each project {period}',
      'how many annotations did each project get {period}',
    ],
    [period],
    `select p.title as project, count(a.id)::int as annotations
       from reporting.annotations a join reporting.projects p on p.id = a.project_id
      where a.created_at >= $1::timestamptz and a.created_at < $2::timestamptz and not a.was_cancelled
      group by p.id, p.title order by annotations desc`,
  ),
  builtin(
    'annotations_of_member_in_period',
    'Annotations one member submitted in a period',
    ['{member}{period}标注了多少', '{member}{period}的标注数'],
    ['how many annotations did {member} submit {period}', 'annotations by {member} {period}'],
    [member, period],
    `select count(*)::int as annotations from reporting.annotations
      where completed_by = $1::uuid and created_at >= $2::timestamptz and created_at < $3::timestamptz and not was_cancelled`,
  ),
  builtin(
    'annotation_count_of_member',
    'Annotations one member has submitted in all',
    ['{member}的标注总数', '{member}完成的标注有多少'],
    ['total annotations by {member}', 'how many annotations has {member} made'],
    [member],
    'select count(*)::int as annotations from reporting.annotations where completed_by = $1::uuid and not was_cancelled',
  ),
  builtin(
    'top_annotators_in_period',
    'The annotators who submitted the most in a period',
    ['{period}标注最多的前{n}名', '{period}标注量前{n}的标注员', '{period}标注数量最多的{n}名标注员'],
    ['top {n} annotators {period}', 'who annotated the most {period}, top {n}'],
    [n, period],
    `select m.name as annotator, count(a.id)::int as annotations
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      where a.created_at >= $2::timestamptz and a.created_at < $3::timestamptz and not a.was_cancelled
      group by m.user_id, m.name order by annotations desc limit $1::int`,
  ),
  builtin(
    'annotation_count_in_period',
    'Annotations submitted in a period',
    ['{period}一共有多少标注', '{period}的标注总数'],
    ['how many annotations {period}', 'total annotations {period}'],
    [period],
    `select count(*)::int as annotations from reporting.annotations
      where created_at >= $1::timestamptz and created_at < $2::timestamptz and not was_cancelled`,
  ),
  builtin(
    'annotations_per_annotator_in_project',
    'Annotations per annotator in one project',
    ['{project}每个标注员的标注数', '{project}各标注员标注了多少'],
    ['annotations per annotator in {project}', 'who annotated how much in {project}'],
    [project],
    `select m.name as annotator, count(a.id)::int as annotations
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      where a.project_id = $1::bigint and not a.was_cancelled
      group by m.user_id, m.name order by annotations desc`,
  ),
  builtin(
    'average_lead_time_per_annotator',
    'Average seconds spent per annotation, per annotator',
    ['每个标注员的平均标注时长', '各标注员平均用时'],
    ['average time per annotation per annotator', 'average lead time of each annotator'],
    [],
    `select m.name as annotator, round(avg(a.lead_time)::numeric, 1) as average_seconds, count(a.id)::int as annotations
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      where not a.was_cancelled group by m.user_id, m.name order by average_seconds`,
  ),
  builtin(
    'average_lead_time_per_project',
    'Average seconds spent per annotation, per project',
    ['每个项目的平均标注时长', '各项目平均用时'],
    ['average annotation time per project', 'average lead time of each project'],
    [],
    `select p.title as project, round(avg(a.lead_time)::numeric, 1) as average_seconds
       from reporting.annotations a join reporting.projects p on p.id = a.project_id
      where not a.was_cancelled group by p.id, p.title order by average_seconds`,
  ),
  builtin(
    'skipped_tasks_per_annotator',
    'Tasks skipped per annotator',
    ['每个标注员跳过的任务数', '各标注员跳过了多少任务'],
    ['skipped tasks per annotator', 'how many tasks did each annotator skip'],
    [],
    `select m.name as annotator, count(a.id)::int as skipped
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      where a.was_cancelled group by m.user_id, m.name order by skipped desc`,
  ),
  builtin(
    'skipped_annotations_per_project',
    'Skipped (cancelled) annotations, per project',
    ['各项目跳过的标注数', '每个项目有几条标注被跳过'],
    ['skipped annotations per project', 'number of skips in every project'],
    [],
    `select p.title as project, count(a.id)::int as skipped
       from reporting.projects p left join reporting.annotations a on a.project_id = p.id and a.was_cancelled
      group by p.id, p.title order by skipped desc`,
  ),
  builtin(
    'ground_truth_per_project',
    'Ground-truth (gold-standard) annotations, per project',
    ['各项目的金标准数量', '每个项目有几条标准答案'],
    ['ground truth annotations per project', 'gold standard count for every project'],
    [],
    `select p.title as project, count(a.id)::int as ground_truth
       from reporting.projects p left join reporting.annotations a on a.project_id = p.id and a.ground_truth
      group by p.id, p.title order by ground_truth desc`,
  ),
  // Quality
  builtin(
    'average_quality_per_project',
    'Average annotation quality score per project',
    ['每个项目的平均质量分', '各项目质量分'],
    ['average quality score per project', 'quality of each project'],
    [],
    `select p.title as project, round(avg(q.total), 3) as average_quality, count(q.id)::int as scores
       from reporting.quality_scores q join reporting.projects p on p.id = q.project_id
      where q.scope = 'annotator' group by p.id, p.title order by average_quality desc`,
  ),
  builtin(
    'average_quality_per_annotator',
    'Average quality score per annotator',
    ['每个标注员的平均质量分', '各标注员的质量分'],
    ['average quality score per annotator', 'quality score of each annotator'],
    [],
    `select m.name as annotator, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.members m on m.user_id = q.user_id
      where q.scope = 'annotator' group by m.user_id, m.name order by average_quality desc`,
  ),
  builtin(
    'lowest_quality_annotators',
    'The annotators with the lowest average quality score',
    ['质量分最低的{n}个标注员', '质量最差的{n}名标注员'],
    ['{n} annotators with the lowest quality score', 'worst {n} annotators by quality'],
    [n],
    `select m.name as annotator, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.members m on m.user_id = q.user_id
      where q.scope = 'annotator' group by m.user_id, m.name order by average_quality asc limit $1::int`,
  ),
  builtin(
    'highest_quality_annotators',
    'The annotators with the highest average quality score',
    ['质量分最高的{n}个标注员', '质量最好的前{n}名标注员'],
    ['top {n} annotators by quality score', 'best {n} annotators by quality'],
    [n],
    `select m.name as annotator, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.members m on m.user_id = q.user_id
      where q.scope = 'annotator' group by m.user_id, m.name order by average_quality desc limit $1::int`,
  ),
  builtin(
    'average_quality_in_project',
    'Average annotation quality score of one project',
    ['{project}的平均质量分', '{project}的质量怎么样'],
    ['average quality score of {project}', 'quality of {project}'],
    [project],
    `select round(avg(total), 3) as average_quality, count(*)::int as scores
       from reporting.quality_scores where scope = 'annotator' and project_id = $1::bigint`,
  ),
  builtin(
    'quality_of_member',
    'Average quality score of one annotator, per project',
    ['{member}的质量分', '{member}的标注质量'],
    ['quality score of {member}', 'how good is the work of {member}'],
    [member],
    `select p.title as project, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.projects p on p.id = q.project_id
      where q.scope = 'annotator' and q.user_id = $1::uuid group by p.id, p.title order by p.title`,
  ),
  builtin(
    'quality_per_annotator_in_project',
    'Average quality score of each annotator in one project',
    ['{project}各标注员的质量分', '{project}里每位标注员的质量'],
    ['annotator quality scores in {project}', 'how good is every annotator of {project}'],
    [project],
    `select m.name as annotator, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.members m on m.user_id = q.user_id
      where q.scope = 'annotator' and q.project_id = $1::bigint group by m.user_id, m.name order by average_quality desc`,
  ),
  builtin(
    'lowest_quality_projects_in_period',
    'The projects with the lowest average quality score computed in a period',
    ['{period}质量分最低的{n}个项目', '{period}质量最差的项目'],
    ['{n} projects with the lowest quality {period}', 'worst projects by quality score {period}'],
    [n, period],
    `select p.title as project, round(avg(q.total), 3) as average_quality
       from reporting.quality_scores q join reporting.projects p on p.id = q.project_id
      where q.scope = 'annotator' and q.computed_at >= $2::timestamptz and q.computed_at < $3::timestamptz
      group by p.id, p.title order by average_quality asc limit $1::int`,
  ),
  builtin(
    'annotators_below_quality',
    'Annotators with a quality score below a bound in some project',
    ['质量分在{score}以下的标注员', '哪些标注员的质量分不到{score}'],
    ['annotators whose quality score is under {score}', 'list annotators scoring less than {score}'],
    [{ name: 'score', type: 'number' }],
    `select m.name as annotator, round(min(q.total), 3) as lowest_quality
       from reporting.quality_scores q join reporting.members m on m.user_id = q.user_id
      where q.scope = 'annotator' and q.total < $1::numeric group by m.user_id, m.name order by lowest_quality`,
  ),
  builtin(
    'quality_dimensions_per_project',
    'Average accuracy, completeness, timeliness and consistency per project',
    ['每个项目的准确率、完整性、及时性和一致性', '各项目质量维度'],
    ['accuracy completeness timeliness consistency per project', 'quality dimensions of each project'],
    [],
    `select p.title as project, round(avg(q.accuracy), 3) as accuracy, round(avg(q.completeness), 3) as completeness,
            round(avg(q.timeliness), 3) as timeliness, round(avg(q.consistency), 3) as consistency
       from reporting.quality_scores q join reporting.projects p on p.id = q.project_id
      where q.scope = 'annotator' group by p.id, p.title order by p.title`,
  ),
  builtin(
    'lowest_quality_annotations_in_project',
    'The lowest scored annotations of one project',
    ['{project}质量分最低的{n}条标注', '{project}最差的{n}条标注'],
    ['{n} lowest scored annotations in {project}', 'worst {n} annotations of {project}'],
    [project, n],
    `select q.annotation_id, q.total as quality, q.computed_at
       from reporting.quality_scores q
      where q.scope = 'annotation' and q.project_id = $1::bigint order by q.total asc limit $2::int`,
  ),
  // Review outcomes
  builtin(
    'approval_rate_per_reviewer',
    'Share of decided reviews approved, per reviewer',
    ['每个审核员的通过率', '各审核员的审核通过率'],
    ['approval rate per reviewer', 'how often does each reviewer approve'],
    [],
    `select m.name as reviewer, count(*) filter (where ${DECIDED})::int as decided, ${rate('approved')} as approval_rate
       from reporting.reviews r join reporting.members m on m.user_id = r.reviewer_id
      group by m.user_id, m.name order by approval_rate desc nulls last`,
  ),
  builtin(
    'rejection_rate_per_reviewer',
    'Share of decided reviews rejected, per reviewer',
    ['每个审核员的拒绝率', '各审核员的驳回率'],
    ['rejection rate per reviewer', 'how often does each reviewer reject'],
    [],
    `select m.name as reviewer, count(*) filter (where ${DECIDED})::int as decided, ${rate('rejected')} as rejection_rate
       from reporting.reviews r join reporting.members m on m.user_id = r.reviewer_id
      group by m.user_id, m.name order by rejection_rate desc nulls last`,
  ),
  builtin(
    'approval_rate_per_project',
    'Share of decided reviews approved, per project',
    ['每个项目的审核通过率', '各项目通过率'],
    ['approval rate per project', 'review approval rate of each project'],
    [],
    `select p.title as project, ${rate('approved')} as approval_rate
       from reporting.reviews r join reporting.projects p on p.id = r.project_id
      group by p.id, p.title order by approval_rate desc nulls last`,
  ),
  builtin(
    'rejection_rate_per_project',
    'Share of decided reviews rejected, per project',
    ['每个项目的拒绝率', '各项目驳回率'],
    ['rejection rate per project', 'review rejection rate of each project'],
    [],
    `select p.title as project, ${rate('rejected')} as rejection_rate
       from reporting.reviews r join reporting.projects p on p.id = r.project_id
      group by p.id, p.title order by rejection_rate desc nulls last`,
  ),
  builtin(
    'approval_rate_of_project',
    'Share of decided reviews approved in one project',
    ['{project}的审核通过率', '{project}通过率是多少'],
    ['approval rate of {project}', 'review approval rate in {project}'],
    [project],
    `select count(*) filter (where ${DECIDED})::int as decided, ${rate('approved')} as approval_rate
       from reporting.reviews r where r.project_id = $1::bigint`,
  ),
  builtin(
    'reviews_by_status',
    'Reviews by outcome',
    ['审核结果分布', '各审核状态的数量'],
    ['reviews by status', 'review outcomes breakdown'],
    [],
    'select status, count(*)::int as reviews from reporting.reviews group by status order by reviews desc',
  ),
  builtin(
    'reviews_per_reviewer_in_period',
    'Reviews decided per reviewer in a period',
    ['{period}每个审核员审核了多少', '{period}各审核员的审核数'],
    ['reviews per reviewer {period}', 'how many reviews did each reviewer do {period}'],
    [period],
    `select m.name as reviewer, count(r.id)::int as reviews
       from reporting.reviews r join reporting.members m on m.user_id = r.reviewer_id
      where r.updated_at >= $1::timestamptz and r.updated_at < $2::timestamptz and ${DECIDED}
      group by m.user_id, m.name order by reviews desc`,
  ),
  builtin(
    'reviews_with_status_per_reviewer',
    'Reviews of one outcome, per reviewer',
    ['各审核员{review_status}的数量', '每个审核员{review_status}的标注数'],
    [
      '{review_status} reviews per reviewer',
      'annotations each reviewer has {review_status}',
      'how many {review_status} per reviewer',
    ],
    [reviewStatus],
    `select m.name as reviewer, count(r.id)::int as reviews
       from reporting.reviews r join reporting.members m on m.user_id = r.reviewer_id
      where r.status = $1::text group by m.user_id, m.name order by reviews desc`,
  ),
  builtin(
    'annotations_with_review_status_per_project',
    'Annotations of one review status, per project',
    ['每个项目{review_status}的标注数', '各项目有多少{review_status}的标注'],
    ['{review_status} annotations per project', 'how many annotations were {review_status} in each project'],
    [reviewStatus],
    `select p.title as project, count(a.id)::int as annotations
       from reporting.projects p left join reporting.annotations a on a.project_id = p.id and a.review_status = $1::text
      group by p.id, p.title order by annotations desc`,
  ),
  builtin(
    'count_annotations_with_review_status',
    'How many annotations have one review status',
    ['{review_status}的标注有多少', '有多少标注{review_status}'],
    ['how many {review_status} annotations', 'number of annotations {review_status}'],
    [reviewStatus],
    'select count(*)::int as annotations from reporting.annotations where review_status = $1::text',
  ),
  builtin(
    'rejection_rate_per_annotator',
    'Share of an annotator’s reviewed annotations that were rejected',
    ['每个标注员被拒绝的比例', '各标注员的被驳回率'],
    ['rejection rate per annotator', 'how often are each annotator’s annotations rejected'],
    [],
    `select m.name as annotator,
            round(count(*) filter (where a.review_status = 'rejected')::numeric
                  / nullif(count(*) filter (where a.review_status in ('approved', 'rejected', 'modification_requested')), 0), 3) as rejection_rate
       from reporting.annotations a join reporting.members m on m.user_id = a.completed_by
      group by m.user_id, m.name order by rejection_rate desc nulls last`,
  ),
  // Cost
  builtin(
    'billing_per_annotator_in_period',
    'Billing amount per annotator for the months of a period',
    ['{period}每个标注员的费用', '{period}各标注员的结算金额'],
    ['billing amount per annotator {period}', 'how much was each annotator paid {period}'],
    [period],
    `select m.name as annotator, b.currency, sum(b.amount) as amount
       from reporting.billing_lines b join reporting.members m on m.user_id = b.user_id
      where ${months('$1', '$2')}
      group by m.user_id, m.name, b.currency order by amount desc`,
  ),
  builtin(
    'billing_per_project_in_period',
    'Billing amount per project for the months of a period',
    ['{period}每个项目的费用', '{period}各项目的成本'],
    ['billing amount per project {period}', 'cost of each project {period}'],
    [period],
    `select p.title as project, b.currency, sum(b.amount) as amount
       from reporting.billing_lines b join reporting.projects p on p.id = b.project_id
      where ${months('$1', '$2')}
      group by p.id, p.title, b.currency order by amount desc`,
  ),
  builtin(
    'billing_per_month',
    'Billing amount per month',
    ['每个月的费用', '每月结算金额'],
    ['billing amount per month', 'monthly cost'],
    [],
    'select period as month, currency, sum(amount) as amount from reporting.billing_lines group by period, currency order by period',
  ),
  builtin(
    'billing_of_project',
    'Billing amount of one project, per month',
    ['{project}的费用', '{project}花了多少钱'],
    ['billing amount of {project}', 'how much did {project} cost'],
    [project],
    `select period as month, currency, sum(amount) as amount from reporting.billing_lines
      where project_id = $1::bigint group by period, currency order by period`,
  ),
  builtin(
    'billing_of_member',
    'Billing amount paid to one member, per month',
    ['{member}的费用', '{member}的结算金额是多少'],
    ['how much was {member} paid', 'billing amount of {member}'],
    [member],
    `select period as month, currency, sum(amount) as amount from reporting.billing_lines
      where user_id = $1::uuid group by period, currency order by period`,
  ),
  builtin(
    'top_paid_annotators_in_period',
    'The annotators paid the most for the months of a period',
    ['{period}费用最高的前{n}名标注员', '{period}结算最多的{n}个标注员'],
    ['top {n} paid annotators {period}', 'who was paid the most {period}, top {n}'],
    [n, period],
    `select m.name as annotator, b.currency, sum(b.amount) as amount
       from reporting.billing_lines b join reporting.members m on m.user_id = b.user_id
      where ${months('$2', '$3')}
      group by m.user_id, m.name, b.currency order by amount desc limit $1::int`,
  ),
  builtin(
    'total_billing_in_period',
    'Total billing amount for the months of a period',
    ['{period}总费用', '{period}一共花了多少钱'],
    ['total billing amount {period}', 'total cost {period}'],
    [period],
    `select b.currency, sum(b.amount) as amount, sum(b.accepted_count)::int as accepted
       from reporting.billing_lines b where ${months('$1', '$2')} group by b.currency`,
  ),
  // Members
  builtin(
    'member_count',
    'Active members of the tenant',
    ['有多少成员', '团队有多少人'],
    ['how many members', 'number of people in the team'],
    [],
    "select count(*)::int as members from reporting.members where status = 'active'",
  ),
];

export const BUILTIN_BY_ID: ReadonlyMap<string, Template> = new Map(BUILTIN_TEMPLATES.map((t) => [t.id, t]));
