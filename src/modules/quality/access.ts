import type { FastifyRequest } from 'fastify';
import { loadProject } from '../annotation/index.ts';

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
