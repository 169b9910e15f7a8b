import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Platform } from '../../platform/index.ts';

export const webhookRoutes: FastifyPluginAsyncTypebox = async () => {};

export function defineWebhookJobs(_platform: Platform): void {}
