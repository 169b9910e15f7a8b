import type { Platform } from '../../../platform/index.ts';
import type { TxRunner } from '../ask.ts';
import { PACK_EXAMPLES } from '../llm/examples.ts';
import { confirmedExamples, topExamples } from '../llm/retrieval.ts';
import { consultPlugin, type PluginReply } from './client.ts';
import { endpointOf, type PluginRow } from './store.ts';

/** As many retrieved question/SQL pairs as the LLM method puts in its prompt. */
const EXAMPLES_SENT = 5;

/**
 * Opens the plugin's key and picks the examples in one short transaction, then calls the
 * plugin outside it: no transaction waits on another service.
 */
export function pluginConsultant(platform: Pick<Platform, 'secrets' | 'outbound'>, tx: TxRunner) {
  return async (plugin: PluginRow, question: string): Promise<PluginReply> => {
    const { endpoint, logged } = await tx(async (t) => ({
      endpoint: await endpointOf(t, platform.secrets, plugin),
      logged: await confirmedExamples(t),
    }));
    const examples = topExamples(question, [...logged, ...PACK_EXAMPLES], EXAMPLES_SENT);
    return consultPlugin(platform.outbound, endpoint, question, examples);
  };
}
