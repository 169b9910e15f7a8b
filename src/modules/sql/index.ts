import { randomUUID } from 'node:crypto';
import type { Module } from '../index.ts';
import { bindLlmGenerator } from './ask.ts';
import { PACK_EXAMPLES } from './llm/examples.ts';
import { generateWithLlm } from './llm/generate.ts';
import { sqlRoutes } from './routes.ts';

/** Text-to-SQL over the platform's own data (reporting views); registered databases come later. */
export const sqlModule: Module = {
  name: 'sql',
  // The LLM method needs the platform (database, outbound client), which ask() does not carry.
  routes: async (app) => {
    const platform = app.platform;
    bindLlmGenerator((ctx, question, config) =>
      generateWithLlm(
        platform,
        { tenantId: ctx.tenantId, userId: ctx.userId, requestId: randomUUID() },
        question,
        config,
        PACK_EXAMPLES,
      ),
    );
    await app.register(sqlRoutes);
  },
};

export { REPORTING_SCHEMA, REPORTING_VIEWS } from './reporting.ts';
