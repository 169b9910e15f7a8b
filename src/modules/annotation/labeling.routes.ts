import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const labelingRoutes: FastifyPluginAsyncTypebox = async () => {};
