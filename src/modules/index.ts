import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../platform/index.ts';
import { annotationModule } from './annotation/index.ts';
import { auditModule } from './audit/index.ts';
import { billingModule } from './billing/index.ts';
import { identityModule } from './identity/index.ts';
import { jobsModule } from './jobs/index.ts';
import { type Feature, licenseModule } from './license/index.ts';
import { llmModule } from './llm/index.ts';
import { lscompatModule } from './lscompat/index.ts';
import { preannotationModule } from './preannotation/index.ts';
import { qualityModule } from './quality/index.ts';
import { securityModule } from './security/index.ts';
import { sqlModule } from './sql/index.ts';

/** What a module contributes: routes under /api/v1, the job kinds its workers run, start-up work. */
export interface Module {
  name: string;
  routes?: FastifyPluginAsync;
  /** Where the routes are mounted: `/api/v1` unless a module speaks another API (Label Studio's `/api`). */
  prefix?: string;
  jobs?: (platform: Platform) => void;
  /** Registers the module's listeners on platform.events (its `<name>.events.ts`); they run in the announcer's transaction. */
  subscribe?: (platform: Platform) => void;
  /** Runs once when `serve` starts, after migrations (e.g. first-start bootstrap). */
  start?: (platform: Platform) => Promise<void>;
  /** A licensed area: every route of the module declares this feature (license/gate.ts). */
  feature?: Feature;
}

export const modules: Module[] = [
  identityModule,
  auditModule,
  securityModule,
  jobsModule,
  annotationModule,
  { ...qualityModule, feature: 'quality_assessment' },
  billingModule,
  { ...llmModule, feature: 'ai_annotation' },
  { ...preannotationModule, feature: 'ai_annotation' },
  licenseModule,
  { ...sqlModule, feature: 'text_to_sql' },
  lscompatModule,
];

/** Defines every module's job kinds and event listeners; every process that serves or works calls it. */
export function wireModules(platform: Platform): void {
  for (const m of modules) {
    m.jobs?.(platform);
    m.subscribe?.(platform);
  }
}

export async function startModules(platform: Platform): Promise<void> {
  for (const m of modules) await m.start?.(platform);
}
