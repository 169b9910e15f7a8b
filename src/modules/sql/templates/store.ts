import { asc, eq } from 'drizzle-orm';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { type FieldError, notFound, Problem } from '../../../platform/errors/problem.ts';
import { uniqueName } from '../http.ts';
import { type Pattern, type Slot, sqlTemplates } from '../schema.ts';
import { loadParser, Refusal, validateSelect } from '../validator.ts';
import { BUILTIN_BY_ID, BUILTIN_TEMPLATES, type Template } from './pack.ts';

export interface TemplateInput {
  name: string;
  description?: string;
  patterns: Pattern[];
  slots: Slot[];
  sql: string;
  enabled?: boolean;
}

type Row = typeof sqlTemplates.$inferSelect;
const fromRow = (r: Row): Template & { enabled: boolean } => ({
  id: String(r.id),
  name: r.name,
  description: r.description,
  patterns: r.patterns,
  slots: r.slots,
  sql: r.sql,
  builtin: false,
  enabled: r.enabled,
});

/** The built-in pack, then the tenant's own (all, or only the enabled ones for matching). */
export async function listTemplates(db: Executor, onlyEnabled = false) {
  const rows = await db
    .select()
    .from(sqlTemplates)
    .where(onlyEnabled ? eq(sqlTemplates.enabled, true) : undefined)
    .orderBy(asc(sqlTemplates.id));
  return [...BUILTIN_TEMPLATES.map((t) => ({ ...t, enabled: true })), ...rows.map(fromRow)];
}

/** How many $n a template's slots give: two for a period, one for the others. */
export const parameterCount = (slots: Slot[]) => slots.reduce((n, s) => n + (s.type === 'period' ? 2 : 1), 0);

/**
 * A template must be runnable: its SQL passes the validator with exactly the parameters its
 * slots give, its slot names are unique, and its patterns mention only its slots.
 */
export async function checkTemplate(t: Pick<TemplateInput, 'patterns' | 'slots' | 'sql'>) {
  const errors: FieldError[] = [];
  const names = t.slots.map((s) => s.name);
  if (new Set(names).size !== names.length) errors.push({ path: '/slots', message: 'slot names repeat' });
  t.slots.forEach((s, i) => {
    if (s.type === 'enum' && !s.values?.length)
      errors.push({ path: `/slots/${i}/values`, message: 'an enum slot lists its values' });
  });
  t.patterns.forEach((p, i) => {
    for (const [, name] of p.text.matchAll(/\{([a-z_]+)\}/g))
      if (!names.includes(name!))
        errors.push({ path: `/patterns/${i}/text`, message: `no slot named ${name}` });
  });
  if (errors.length)
    throw new Problem(400, 'invalid_template', 'The template is not consistent.', { errors });
  await loadParser();
  try {
    const valid = validateSelect(t.sql);
    const wanted = parameterCount(t.slots);
    if (valid.parameters !== wanted)
      throw new Refusal(
        'parameter_mismatch',
        `The SQL uses ${valid.parameters} parameter(s) but the slots give ${wanted} (a period gives two).`,
      );
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    throw new Problem(400, err.rule, err.message, {
      type: 'https://superinsight.dev/problems/sql-refused',
      errors: [{ path: '/sql', message: err.rule }],
    });
  }
}

function rowId(id: string): number {
  if (BUILTIN_BY_ID.has(id))
    throw new Problem(
      409,
      'builtin_read_only',
      'Built-in templates are read-only; create a template of your own instead.',
    );
  if (!/^\d{1,15}$/.test(id)) throw notFound('template.not_found', 'The template');
  return Number(id);
}

const unique = <T>(work: () => Promise<T>) => uniqueName('template', 'template_name_taken', work);

export async function createTemplate(tx: Tx, tenantId: string, userId: string, input: TemplateInput) {
  await checkTemplate(input);
  const [row] = await unique(() =>
    tx
      .insert(sqlTemplates)
      .values({ tenantId, createdBy: userId, ...input })
      .returning(),
  );
  return fromRow(row!);
}

export async function updateTemplate(tx: Tx, id: string, changes: Partial<TemplateInput>) {
  const key = rowId(id);
  const [current] = await tx.select().from(sqlTemplates).where(eq(sqlTemplates.id, key)).for('update');
  if (!current) throw notFound('template.not_found', 'The template');
  const next = { ...current, ...changes };
  await checkTemplate(next);
  const [row] = await unique(() =>
    tx
      .update(sqlTemplates)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(sqlTemplates.id, key))
      .returning(),
  );
  return fromRow(row!);
}

export async function deleteTemplate(tx: Tx, id: string) {
  const key = rowId(id);
  const [row] = await tx.delete(sqlTemplates).where(eq(sqlTemplates.id, key)).returning();
  if (!row) throw notFound('template.not_found', 'The template');
  return fromRow(row);
}
