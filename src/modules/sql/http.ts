import { Type } from '@fastify/type-provider-typebox';

/** A string limited to `values`, typed as their union. */
export const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
