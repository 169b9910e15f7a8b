import type { Principal } from '../../platform/auth/principal.ts';
import type { Executor } from '../../platform/db/client.ts';
import type { Project, ProjectRole } from './access.ts';
import { parseLabelConfig } from './config.ts';
import { type ORDERINGS, projectMembers, projects, type SKIP_POLICIES } from './schema.ts';

export interface ProjectSettings {
  title?: string;
  description?: string;
  instructions?: string;
  label_config?: string;
  overlap?: number;
  overlap_coverage?: number;
  ordering?: (typeof ORDERINGS)[number];
  reservation_minutes?: number;
  annotator_task_limit?: number | null;
  skip_policy?: (typeof SKIP_POLICIES)[number];
  review_required?: boolean;
}

export type ProjectInput = ProjectSettings & { title: string; label_config: string };

/** The API shape of a project. */
export function projectView(p: Project, memberRole?: ProjectRole | null) {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    instructions: p.instructions,
    label_config: p.labelConfig,
    data_keys: p.parsedConfig.dataKeys,
    parsed_config: p.parsedConfig,
    overlap: p.overlap,
    overlap_coverage: p.overlapCoverage,
    ordering: p.ordering,
    reservation_minutes: p.reservationMinutes,
    annotator_task_limit: p.annotatorTaskLimit,
    skip_policy: p.skipPolicy,
    review_required: p.reviewRequired,
    task_count: Number(p.taskCount),
    created_by: p.createdBy,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    ...(memberRole !== undefined ? { member_role: memberRole } : {}),
  };
}

/** Maps API settings to column values; only the keys present are set. */
export function settingsToColumns(s: ProjectSettings) {
  const out: Partial<typeof projects.$inferInsert> = {};
  if (s.title !== undefined) out.title = s.title;
  if (s.description !== undefined) out.description = s.description;
  if (s.instructions !== undefined) out.instructions = s.instructions;
  if (s.label_config !== undefined) {
    out.labelConfig = s.label_config;
    out.parsedConfig = parseLabelConfig(s.label_config);
  }
  if (s.overlap !== undefined) out.overlap = s.overlap;
  if (s.overlap_coverage !== undefined) out.overlapCoverage = s.overlap_coverage;
  if (s.ordering !== undefined) out.ordering = s.ordering;
  if (s.reservation_minutes !== undefined) out.reservationMinutes = s.reservation_minutes;
  if (s.annotator_task_limit !== undefined) out.annotatorTaskLimit = s.annotator_task_limit;
  if (s.skip_policy !== undefined) out.skipPolicy = s.skip_policy;
  if (s.review_required !== undefined) out.reviewRequired = s.review_required;
  return out;
}

/** Creates a project; its creator becomes a project manager, so they keep access to it. */
export async function createProject(tx: Executor, principal: Principal, input: ProjectInput) {
  const values = settingsToColumns(input);
  const [project] = await tx
    .insert(projects)
    .values({
      ...values,
      tenantId: principal.tenantId,
      title: input.title,
      labelConfig: input.label_config,
      parsedConfig: values.parsedConfig!,
      createdBy: principal.userId,
    })
    .returning();
  await tx
    .insert(projectMembers)
    .values({
      tenantId: principal.tenantId,
      projectId: project!.id,
      userId: principal.userId,
      role: 'manager',
    })
    .onConflictDoNothing();
  return project!;
}
