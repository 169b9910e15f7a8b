import { Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Problem } from '../../platform/errors/problem.ts';
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
      'Queries read every project of the tenant; they need tenant-wide project access.',
      {
        code: 'project_access',
      },
    );
}
