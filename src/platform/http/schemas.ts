import { type TSchema, Type } from '@fastify/type-provider-typebox';

/** Shared TypeBox pieces for route schemas. */
export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });
/** For request fields: an ISO 8601 string. */
export const DateTimeIn = Type.String({ format: 'date-time' });
/** For responses: handlers return Dates, the serializer writes ISO 8601. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const NoContent = Type.Null({ description: 'No content' });
