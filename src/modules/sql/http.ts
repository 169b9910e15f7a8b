import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Problem, type ProblemCode } from '../../platform/errors/problem.ts';
import { managesAllProjects } from '../annotation/index.ts';

/** A string limited to `values`, typed as their union. */
export const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

/**
 * The reporting views show every project of the tenant: only who may see every project may
 * query them (asking, running and downloading alike).
 */
export function requireTenantWideAccess(req: FastifyRequest): void {
  if (!managesAllProjects(req.principal!))
    throw new Problem(
      403,
      'project_access',
      'Queries read every project of the tenant; they need tenant-wide project access.',
    );
}

const isUniqueViolation = (err: unknown) =>
  (err as { cause?: { code?: string } }).cause?.code === '23505' ||
  (err as { code?: string }).code === '23505';

/** Runs a write whose only unique key is a tenant's name for a `thing`: a clash is a 409 with `code`. */
export async function uniqueName<T>(thing: string, code: ProblemCode, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err))
      throw new Problem(409, code, `A ${thing} of this name exists.`, { params: { thing } });
    throw err;
  }
}
