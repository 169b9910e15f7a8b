import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { tenants, users } from '../../platform/auth/schema.ts';
import { tenantIsolation } from '../../platform/db/tenancy.ts';
import { annotations, projects } from '../annotation/schema.ts';

export const SCORE_SCOPES = ['annotation', 'annotator'] as const;

/**
 * Quality of one annotation, or of one annotator over a project: the four dimensions in
 * [0, 1] (null when not measurable, e.g. no gold on the task) and their weighted total.
 * Billing reads `total` for its quality multiplier, so this shape is a contract.
 */
export const qualityScores = pgTable(
  'quality_scores',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    projectId: bigint('project_id', { mode: 'number' })
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: SCORE_SCOPES }).notNull(),
    annotationId: bigint('annotation_id', { mode: 'number' }).references(() => annotations.id, {
      onDelete: 'cascade',
    }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    accuracy: numeric('accuracy', { precision: 6, scale: 5 }),
    completeness: numeric('completeness', { precision: 6, scale: 5 }),
    timeliness: numeric('timeliness', { precision: 6, scale: 5 }),
    consistency: numeric('consistency', { precision: 6, scale: 5 }),
    total: numeric('total', { precision: 6, scale: 5 }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    computedAt: timestamp('computed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('quality_scores_annotation_uq').on(t.annotationId).where(sql`${t.scope} = 'annotation'`),
    uniqueIndex('quality_scores_annotator_uq').on(t.projectId, t.userId).where(sql`${t.scope} = 'annotator'`),
    index('quality_scores_project_user_idx').on(t.projectId, t.userId, t.computedAt),
    tenantIsolation(t.tenantId),
  ],
);
