import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { badRequest, conflict } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import { validateResult } from '../label-config/label-config.ts';
import { annotations, projects } from '../schema.ts';
import { annotationView } from '../shapes.ts';
import { type Author, announce } from './announce.ts';

/**
 * Replaces an annotation's result on another module's behalf (quality's improvement tasks):
 * the result must match the project's labeling config, and the change is announced as
 * ANNOTATION_UPDATED on the platform's bus (other modules and webhooks listen there), with `source` naming what made it.
 * The caller decides who may do this. Returns the result it replaced.
 */
export async function replaceResult(
  tx: Executor,
  platform: Pick<Platform, 'events'>,
  author: Author,
  annotationId: number,
  result: unknown[],
  source: { improvement_task: number },
): Promise<{ replaced: unknown }> {
  const [before] = await tx
    .select({ result: annotations.result, config: projects.parsedConfig })
    .from(annotations)
    .innerJoin(projects, eq(projects.id, annotations.projectId))
    .where(and(eq(annotations.tenantId, author.tenantId), eq(annotations.id, annotationId)))
    .for('update', { of: annotations });
  if (!before) throw conflict('annotation.gone', 'The annotation no longer exists.');
  const errors = validateResult(before.config, result, 'result');
  if (errors.length)
    throw badRequest('annotation.result_invalid', 'The result does not match the labeling config.', errors);
  const [a] = await tx
    .update(annotations)
    .set({ result, updatedAt: sql`now()` })
    .where(eq(annotations.id, annotationId))
    .returning();
  await announce(tx, platform, author, a!.projectId, 'ANNOTATION_UPDATED', {
    project: { id: a!.projectId },
    task: { id: a!.taskId },
    annotation: annotationView(a!),
    source,
  });
  return { replaced: before.result };
}
