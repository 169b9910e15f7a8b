import { and, eq, type InferSelectModel } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/principal.ts';
import type { Executor } from '../../platform/db/client.ts';
import { notFound, type ProblemCode } from '../../platform/errors/problem.ts';
import { loadProject, projectsFor } from '../annotation/index.ts';

/**
 * A project's quality pages are for those who may read the project, by the annotation
 * module's one rule: tenant-wide project managers and the project's members. Anyone else
 * gets the 404 an absent project gets, whatever quality permission their role holds.
 * Runs before every quality route with a `:projectId`; routes under `/projects/:id` call
 * loadProject themselves.
 */
export async function requireProjectReader(req: FastifyRequest): Promise<void> {
  const projectId = (req.params as { projectId?: number } | undefined)?.projectId;
  const principal = req.principal;
  if (projectId === undefined || !principal) return;
  await req.tx((tx) => loadProject(tx, principal, projectId, 'read'));
}

/**
 * Who reads a quality row reached by its own id: a request's principal, held to the project
 * rule above, or a job, which acts for its tenant and passes the tenant alone.
 */
export type Reader = Principal | { tenantId: string };

/** Throws the 404 (`code`) of an absent `what` unless the reader may read project `projectId`. */
export async function requireReadable(
  tx: Executor,
  reader: Reader,
  projectId: number,
  code: ProblemCode,
  what: string,
): Promise<void> {
  if (!('permissions' in reader)) return;
  const visible = await projectsFor(tx, reader, 'read');
  if (visible !== null && !visible.includes(projectId)) throw notFound(code, what);
}

type ProjectRows = PgTable & { id: AnyPgColumn; tenantId: AnyPgColumn; projectId: AnyPgColumn };

/**
 * Row `id` of a project-owned quality table (a rule, issue, alert, report run or schedule,
 * improvement task) in the reader's tenant and of a project they may read, else the 404 of
 * an absent `what`: the rule `:projectId` routes apply, applied to the row's project.
 */
export async function loadRow<T extends ProjectRows>(
  tx: Executor,
  reader: Reader,
  table: T,
  id: number,
  code: ProblemCode,
  what: string,
): Promise<InferSelectModel<T>> {
  const [row] = (await tx
    .select()
    .from(table as PgTable)
    .where(and(eq(table.tenantId, reader.tenantId), eq(table.id, id)))) as InferSelectModel<T>[];
  if (!row) throw notFound(code, what);
  await requireReadable(tx, reader, (row as { projectId: number }).projectId, code, what);
  return row;
}
