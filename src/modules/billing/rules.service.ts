import { and, asc, eq, sql } from 'drizzle-orm';
import type { Principal } from '../../platform/auth/principal.ts';
import type { Executor } from '../../platform/db/client.ts';
import { rowsOf } from '../../platform/db/sql.ts';
import { badRequest, conflict, type FieldError, forbidden, notFound } from '../../platform/errors/problem.ts';
import { projectFacts } from '../annotation/index.ts';
import { CURRENCIES, DEFAULT_DIFFICULTY_MULTIPLIERS, DEFAULT_QUALITY_TIERS, Decimal } from './money.ts';
import {
  billingProjectSettings,
  billingRules,
  billingRuleVersions,
  DIFFICULTIES,
  type MODES,
  type QualityTier,
} from './schema.ts';

export type Rule = typeof billingRules.$inferSelect;
export type RuleVersion = typeof billingRuleVersions.$inferSelect;

/** The terms a bill applies; the built-in defaults when no approved version covers the time. */
export interface Terms {
  versionId: number | null;
  mode: (typeof MODES)[number];
  currency: string;
  countRate: string;
  hourRate: string;
  projectFee: string;
  qualityTiers: QualityTier[];
  difficultyMultipliers: Record<string, string>;
  payRejected: boolean;
  paySkipped: boolean;
}

export const DEFAULT_TERMS: Terms = {
  versionId: null,
  mode: 'count',
  currency: 'CNY',
  countRate: '0.10',
  hourRate: '50.00',
  projectFee: '0',
  qualityTiers: DEFAULT_QUALITY_TIERS,
  difficultyMultipliers: DEFAULT_DIFFICULTY_MULTIPLIERS,
  payRejected: false,
  paySkipped: false,
};

export function termsOf(v: RuleVersion): Terms {
  return {
    versionId: v.id,
    mode: v.mode,
    currency: v.currency,
    countRate: v.countRate,
    hourRate: v.hourRate,
    projectFee: v.projectFee,
    qualityTiers: v.qualityTiers,
    difficultyMultipliers: v.difficultyMultipliers,
    payRejected: v.payRejected,
    paySkipped: v.paySkipped,
  };
}

export function ruleView(r: Rule) {
  return {
    id: r.id,
    project_id: r.projectId,
    name: r.name,
    created_by: r.createdBy,
    created_at: r.createdAt,
  };
}

export function versionView(v: RuleVersion) {
  return {
    id: v.id,
    rule_id: v.ruleId,
    version: v.version,
    status: v.status,
    mode: v.mode,
    currency: v.currency,
    count_rate: new Decimal(v.countRate).toString(),
    hour_rate: new Decimal(v.hourRate).toString(),
    project_fee: new Decimal(v.projectFee).toString(),
    quality_tiers: v.qualityTiers,
    difficulty_multipliers: v.difficultyMultipliers,
    pay_rejected: v.payRejected,
    pay_skipped: v.paySkipped,
    effective_from: v.effectiveFrom,
    created_by: v.createdBy,
    approved_by: v.approvedBy,
    approved_at: v.approvedAt,
    created_at: v.createdAt,
  };
}

async function projectOf(tx: Executor, tenantId: string, projectId: number) {
  const p = await projectFacts(tx, projectId, tenantId);
  if (!p) throw notFound('project.not_found', 'The project');
  return p;
}

export async function createRule(
  tx: Executor,
  principal: Principal,
  input: { name: string; project_id?: number | null },
): Promise<Rule> {
  if (input.project_id != null) await projectOf(tx, principal.tenantId, input.project_id);
  const [row] = await tx
    .insert(billingRules)
    .values({
      tenantId: principal.tenantId,
      projectId: input.project_id ?? null,
      name: input.name,
      createdBy: principal.userId,
    })
    .onConflictDoNothing()
    .returning();
  if (!row)
    throw input.project_id != null
      ? conflict('billing_rule.project_exists', 'This project already has a billing rule.')
      : conflict('billing_rule.tenant_exists', 'The tenant already has a billing rule.');
  return row;
}

export async function listRules(tx: Executor, principal: Principal): Promise<Rule[]> {
  return tx
    .select()
    .from(billingRules)
    .where(eq(billingRules.tenantId, principal.tenantId))
    .orderBy(asc(billingRules.id));
}

export async function getRule(tx: Executor, principal: Principal, id: number) {
  const [rule] = await tx
    .select()
    .from(billingRules)
    .where(and(eq(billingRules.tenantId, principal.tenantId), eq(billingRules.id, id)));
  if (!rule) throw notFound('billing_rule.not_found', 'The billing rule');
  const versions = await tx
    .select()
    .from(billingRuleVersions)
    .where(eq(billingRuleVersions.ruleId, id))
    .orderBy(asc(billingRuleVersions.version));
  return { rule, versions };
}

export interface VersionInput {
  mode: (typeof MODES)[number];
  currency?: string;
  count_rate?: string;
  hour_rate?: string;
  project_fee?: string;
  quality_tiers?: QualityTier[];
  difficulty_multipliers?: Record<string, string>;
  pay_rejected?: boolean;
  pay_skipped?: boolean;
  effective_from: string;
}

/** A non-negative decimal string, or a field error. */
function checkDecimal(value: string, path: string, errors: FieldError[], max?: number): void {
  let d: Decimal;
  try {
    d = new Decimal(value);
  } catch {
    errors.push({ path, message: 'is not a decimal number' });
    return;
  }
  if (!d.isFinite() || d.isNegative()) errors.push({ path, message: 'must be a non-negative decimal' });
  else if (max !== undefined && d.gt(max)) errors.push({ path, message: `must be at most ${max}` });
  else if (d.decimalPlaces() > 6) errors.push({ path, message: 'has more than 6 decimal places' });
}

function checkVersion(input: VersionInput): FieldError[] {
  const errors: FieldError[] = [];
  const currency = input.currency ?? 'CNY';
  if (!CURRENCIES.includes(currency))
    errors.push({ path: 'body/currency', message: `is not one of ${CURRENCIES.join(', ')}` });
  for (const key of ['count_rate', 'hour_rate', 'project_fee'] as const) {
    const v = input[key];
    if (v !== undefined) checkDecimal(v, `body/${key}`, errors, 1e12);
  }
  (input.quality_tiers ?? []).forEach((tier, i) => {
    checkDecimal(tier.min, `body/quality_tiers/${i}/min`, errors, 1);
    checkDecimal(tier.multiplier, `body/quality_tiers/${i}/multiplier`, errors, 100);
  });
  const mins = (input.quality_tiers ?? []).map((t) => t.min);
  if (new Set(mins).size !== mins.length)
    errors.push({ path: 'body/quality_tiers', message: 'has two tiers with the same min' });
  for (const [level, m] of Object.entries(input.difficulty_multipliers ?? {})) {
    if (!(DIFFICULTIES as readonly string[]).includes(level))
      errors.push({
        path: `body/difficulty_multipliers/${level}`,
        message: `is not one of ${DIFFICULTIES.join(', ')}`,
      });
    else checkDecimal(m, `body/difficulty_multipliers/${level}`, errors, 100);
  }
  return errors;
}

/** Adds a draft version to a rule; it applies only once another admin approves it. */
export async function createVersion(
  tx: Executor,
  principal: Principal,
  ruleId: number,
  input: VersionInput,
): Promise<RuleVersion> {
  const { rule } = await getRule(tx, principal, ruleId);
  const errors = checkVersion(input);
  if (errors.length)
    throw badRequest('billing_rule_version.invalid', 'The billing rule version is invalid.', errors);
  // Serialises version numbering per rule.
  await tx.execute(sql`select id from billing_rules where id = ${rule.id} for update`);
  const [{ next }] = rowsOf<{ next: number }>(
    await tx.execute(
      sql`select coalesce(max(version), 0) + 1 as next from billing_rule_versions where rule_id = ${rule.id}`,
    ),
  ) as [{ next: number }];
  const [row] = await tx
    .insert(billingRuleVersions)
    .values({
      tenantId: principal.tenantId,
      ruleId: rule.id,
      version: Number(next),
      mode: input.mode,
      currency: input.currency ?? DEFAULT_TERMS.currency,
      countRate: input.count_rate ?? DEFAULT_TERMS.countRate,
      hourRate: input.hour_rate ?? DEFAULT_TERMS.hourRate,
      projectFee: input.project_fee ?? DEFAULT_TERMS.projectFee,
      qualityTiers: input.quality_tiers ?? DEFAULT_QUALITY_TIERS,
      difficultyMultipliers: { ...DEFAULT_DIFFICULTY_MULTIPLIERS, ...(input.difficulty_multipliers ?? {}) },
      payRejected: input.pay_rejected ?? false,
      paySkipped: input.pay_skipped ?? false,
      effectiveFrom: new Date(input.effective_from),
      createdBy: principal.userId,
    })
    .returning();
  return row!;
}

export async function getVersion(tx: Executor, principal: Principal, id: number): Promise<RuleVersion> {
  const [v] = await tx
    .select()
    .from(billingRuleVersions)
    .where(and(eq(billingRuleVersions.tenantId, principal.tenantId), eq(billingRuleVersions.id, id)));
  if (!v) throw notFound('billing_rule_version.not_found', 'The billing rule version');
  return v;
}

/** Approves a draft; its author may not (a second admin must). */
export async function approveVersion(tx: Executor, principal: Principal, id: number): Promise<RuleVersion> {
  const v = await getVersion(tx, principal, id);
  if (v.status !== 'draft')
    throw conflict('billing_rule_version.approved', 'This version is already approved.');
  if (v.createdBy === principal.userId)
    throw forbidden(
      'billing_rule_version.own_approval',
      'A billing rule version must be approved by someone other than its author.',
    );
  const [row] = await tx
    .update(billingRuleVersions)
    .set({ status: 'approved', approvedBy: principal.userId, approvedAt: sql`now()` })
    .where(and(eq(billingRuleVersions.id, id), eq(billingRuleVersions.status, 'draft')))
    .returning();
  if (!row) throw conflict('billing_rule_version.approved', 'This version is already approved.');
  return row;
}

/** Deletes a draft (an approved version stays: bills name it). */
export async function deleteDraft(tx: Executor, principal: Principal, id: number): Promise<RuleVersion> {
  const v = await getVersion(tx, principal, id);
  if (v.status !== 'draft')
    throw conflict('billing_rule_version.approved_delete', 'An approved version cannot be deleted.');
  await tx.delete(billingRuleVersions).where(eq(billingRuleVersions.id, id));
  return v;
}

// ------------------------------------------------------------------ project settings

export type ProjectSettings = {
  project_id: number;
  difficulty: string;
  lead_time_cap_seconds: number | null;
};

export async function getProjectSettings(
  tx: Executor,
  principal: Principal,
  projectId: number,
): Promise<ProjectSettings> {
  await projectOf(tx, principal.tenantId, projectId);
  const [s] = await tx
    .select()
    .from(billingProjectSettings)
    .where(eq(billingProjectSettings.projectId, projectId));
  return {
    project_id: projectId,
    difficulty: s?.difficulty ?? 'normal',
    lead_time_cap_seconds: s?.leadTimeCapSeconds ?? null,
  };
}

export async function putProjectSettings(
  tx: Executor,
  principal: Principal,
  projectId: number,
  input: { difficulty?: (typeof DIFFICULTIES)[number]; lead_time_cap_seconds?: number | null },
): Promise<ProjectSettings> {
  const current = await getProjectSettings(tx, principal, projectId);
  const difficulty = input.difficulty ?? (current.difficulty as (typeof DIFFICULTIES)[number]);
  const cap =
    input.lead_time_cap_seconds === undefined ? current.lead_time_cap_seconds : input.lead_time_cap_seconds;
  await tx
    .insert(billingProjectSettings)
    .values({ projectId, tenantId: principal.tenantId, difficulty, leadTimeCapSeconds: cap })
    .onConflictDoUpdate({
      target: billingProjectSettings.projectId,
      set: { difficulty, leadTimeCapSeconds: cap, updatedAt: sql`now()` },
    });
  return { project_id: projectId, difficulty, lead_time_cap_seconds: cap };
}

/** Approved versions of the tenant's rules, oldest first, with each rule's project (null: tenant-wide). */
export async function approvedVersions(tx: Executor, tenantId: string) {
  return tx
    .select({ version: billingRuleVersions, projectId: billingRules.projectId })
    .from(billingRuleVersions)
    .innerJoin(billingRules, eq(billingRules.id, billingRuleVersions.ruleId))
    .where(and(eq(billingRuleVersions.tenantId, tenantId), eq(billingRuleVersions.status, 'approved')))
    .orderBy(asc(billingRuleVersions.effectiveFrom), asc(billingRuleVersions.id));
}
