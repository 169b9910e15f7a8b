import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../platform/index.ts';

/** What a module contributes: routes under /api/v1, and the job kinds its workers run. */
export interface Module {
  name: string;
  routes?: FastifyPluginAsync;
  jobs?: (platform: Platform) => void;
}

export const modules: Module[] = [];

export function defineJobs(platform: Platform): void {
  for (const m of modules) m.jobs?.(platform);
}
