import { BUILTIN_TEMPLATES } from '../templates/pack.ts';
import type { Example } from './retrieval.ts';

/**
 * The pack's phrasings of its slot-free templates as examples: their SQL runs as written
 * (a template with slots needs $n values the LLM path does not give).
 */
export const PACK_EXAMPLES: Example[] = BUILTIN_TEMPLATES.filter((t) => t.slots.length === 0).flatMap((t) =>
  t.patterns.map((p) => ({ question: p.text, sql: t.sql })),
);
