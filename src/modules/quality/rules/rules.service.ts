import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Principal } from '../../../platform/auth/principal.ts';
import { tenantMembers } from '../../../platform/auth/schema.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { badRequest, conflict, notFound } from '../../../platform/errors/problem.ts';
import { projectFacts } from '../../annotation/index.ts';
import { loadRow } from '../access.ts';
import { qualityRules, qualityRuleTemplates, qualityRuleVersions } from '../schema.ts';
import { BUILT_IN_TEMPLATES, type RuleType, type TemplateRule, validateRuleConfig } from './rules.ts';

export type Rule = typeof qualityRules.$inferSelect;
type Severity = Rule['severity'];

/** The project, in the caller's tenant, or a 404. Quality permissions are tenant-wide. */
export async function requireProject(tx: Executor, tenantId: string, projectId: number) {
  const row = await projectFacts(tx, projectId, tenantId);
  if (!row) throw notFound('project.not_found', 'The project');
  return { id: row.id, title: row.title, parsedConfig: row.parsedConfig };
}

/** A user named as assignee or recipient must belong to the tenant (400 naming the field). */
export async function requireMembers(
  tx: Executor,
  tenantId: string,
  userIds: (string | null | undefined)[],
  path: string,
) {
  for (const userId of userIds) {
    if (!userId) continue;
    const [m] = await tx
      .select({ id: tenantMembers.id })
      .from(tenantMembers)
      .where(and(eq(tenantMembers.tenantId, tenantId), eq(tenantMembers.userId, userId)));
    if (!m)
      throw badRequest(
        'quality_rule.unknown_user',
        `${userId} is not a member of this tenant.`,
        [{ path, message: 'unknown user' }],
        { user_id: userId },
      );
  }
}

export function ruleView(r: Rule) {
  return {
    id: r.id,
    project_id: r.projectId,
    name: r.name,
    type: r.type,
    config: r.config,
    severity: r.severity,
    priority: r.priority,
    enabled: r.enabled,
    version: r.version,
    template: r.template,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

const snapshot = (r: Rule) => {
  const { name, type, config, severity, priority, enabled } = r;
  return { name, type, config, severity, priority, enabled };
};

export interface RuleInput {
  name: string;
  type: RuleType;
  config?: Record<string, unknown>;
  severity?: Severity;
  priority?: number;
  enabled?: boolean;
}

async function keepVersion(tx: Executor, rule: Rule, by: string | null) {
  await tx.insert(qualityRuleVersions).values({
    tenantId: rule.tenantId,
    ruleId: rule.id,
    version: rule.version,
    snapshot: snapshot(rule),
    changedBy: by,
  });
}

export async function createRule(
  tx: Executor,
  tenantId: string,
  projectId: number,
  input: RuleInput,
  by: string | null,
  template: string | null = null,
): Promise<Rule> {
  await requireProject(tx, tenantId, projectId);
  const config = input.config ?? {};
  validateRuleConfig(input.type, config);
  const [rule] = await tx
    .insert(qualityRules)
    .values({
      tenantId,
      projectId,
      name: input.name,
      type: input.type,
      config,
      severity: input.severity ?? 'medium',
      priority: input.priority ?? 0,
      enabled: input.enabled ?? true,
      template,
      createdBy: by,
    })
    .returning();
  await keepVersion(tx, rule!, by);
  return rule!;
}

export async function listRules(tx: Executor, tenantId: string, projectId: number): Promise<Rule[]> {
  await requireProject(tx, tenantId, projectId);
  return tx
    .select()
    .from(qualityRules)
    .where(and(eq(qualityRules.tenantId, tenantId), eq(qualityRules.projectId, projectId)))
    .orderBy(desc(qualityRules.priority), asc(qualityRules.id));
}

/** A change makes a new version; the old one stays in quality_rule_versions. */
export async function updateRule(
  tx: Executor,
  actor: Principal,
  id: number,
  input: Partial<Omit<RuleInput, 'type'>>,
): Promise<Rule> {
  const current = await loadRow(tx, actor, qualityRules, id, 'quality_rule.not_found', 'The rule');
  const config = input.config ?? current.config;
  if (input.config) validateRuleConfig(current.type, config);
  const [rule] = await tx
    .update(qualityRules)
    .set({
      name: input.name ?? current.name,
      config,
      severity: input.severity ?? current.severity,
      priority: input.priority ?? current.priority,
      enabled: input.enabled ?? current.enabled,
      version: sql`${qualityRules.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(qualityRules.id, id))
    .returning();
  await keepVersion(tx, rule!, actor.userId);
  return rule!;
}

export async function deleteRule(tx: Executor, actor: Principal, id: number): Promise<Rule> {
  const rule = await loadRow(tx, actor, qualityRules, id, 'quality_rule.not_found', 'The rule');
  await tx.delete(qualityRules).where(eq(qualityRules.id, id));
  return rule;
}

export async function ruleVersions(tx: Executor, actor: Principal, id: number) {
  await loadRow(tx, actor, qualityRules, id, 'quality_rule.not_found', 'The rule');
  const rows = await tx
    .select()
    .from(qualityRuleVersions)
    .where(eq(qualityRuleVersions.ruleId, id))
    .orderBy(asc(qualityRuleVersions.version));
  return rows.map((v) => ({
    version: v.version,
    ...v.snapshot,
    changed_by: v.changedBy,
    created_at: v.createdAt,
  }));
}

// ---------------------------------------------------------------- templates

export async function listTemplates(tx: Executor, tenantId: string) {
  const own = await tx
    .select()
    .from(qualityRuleTemplates)
    .where(eq(qualityRuleTemplates.tenantId, tenantId))
    .orderBy(asc(qualityRuleTemplates.name));
  return [
    ...Object.entries(BUILT_IN_TEMPLATES).map(([name, t]) => ({
      name,
      description: t.description,
      built_in: true,
      rules: t.rules as unknown as Record<string, unknown>[],
    })),
    ...own.map((t) => ({ name: t.name, description: t.description, built_in: false, rules: t.rules })),
  ];
}

export async function createTemplate(
  tx: Executor,
  tenantId: string,
  input: { name: string; description?: string; rules: TemplateRule[] },
  by: string | null,
) {
  if (BUILT_IN_TEMPLATES[input.name])
    throw conflict('quality_template.built_in_name', `"${input.name}" is a built-in template.`, {
      name: input.name,
    });
  input.rules.forEach((r) => {
    validateRuleConfig(r.type, r.config ?? {});
  });
  const [row] = await tx
    .insert(qualityRuleTemplates)
    .values({
      tenantId,
      name: input.name,
      description: input.description ?? '',
      rules: input.rules as unknown as Record<string, unknown>[],
      createdBy: by,
    })
    .onConflictDoNothing()
    .returning();
  if (!row)
    throw conflict('quality_template.name_taken', `A template named "${input.name}" exists.`, {
      name: input.name,
    });
  return { name: row.name, description: row.description, built_in: false, rules: row.rules };
}

/** Creates the template's rules in the project, in one transaction. */
export async function applyTemplate(
  tx: Executor,
  tenantId: string,
  projectId: number,
  name: string,
  by: string | null,
): Promise<Rule[]> {
  let rules = BUILT_IN_TEMPLATES[name]?.rules;
  if (!rules) {
    const [own] = await tx
      .select()
      .from(qualityRuleTemplates)
      .where(and(eq(qualityRuleTemplates.tenantId, tenantId), eq(qualityRuleTemplates.name, name)));
    if (!own) throw notFound('template.not_found', 'The template');
    rules = own.rules as unknown as TemplateRule[];
  }
  const created: Rule[] = [];
  for (const r of rules) created.push(await createRule(tx, tenantId, projectId, r, by, name));
  return created;
}
