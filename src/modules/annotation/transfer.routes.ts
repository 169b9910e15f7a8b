import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Platform } from '../../platform/index.ts';

export const transferRoutes: FastifyPluginAsyncTypebox = async () => {};

export function defineTransferJobs(_platform: Platform): void {}
