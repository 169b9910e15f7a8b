import { and, desc, eq, isNotNull, or } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { sqlGenerationLogs } from '../schema.ts';

export interface Example {
  question: string;
  sql: string;
}

const HAN = /\p{Script=Han}/u;

/** English (and other Latin) words lower-cased; Chinese runs as character bigrams (a lone character stays one). */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const run of text.toLowerCase().match(/\p{Script=Han}+|[\p{L}\p{N}_]+/gu) ?? []) {
    if (!HAN.test(run)) out.push(run);
    else if (run.length === 1) out.push(run);
    else for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
  }
  return out;
}

const K1 = 1.2;
const B = 0.75;

/** The k examples whose questions score highest under BM25 against the question; none that share no token. */
export function topExamples(question: string, examples: Example[], k: number): Example[] {
  const docs = examples.map((e) => tokens(e.question));
  const avgLength = docs.reduce((n, d) => n + d.length, 0) / (docs.length || 1);
  const frequency = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) frequency.set(t, (frequency.get(t) ?? 0) + 1);
  const query = new Set(tokens(question));
  const scored = docs.map((d, i) => {
    let score = 0;
    for (const term of query) {
      const tf = d.filter((t) => t === term).length;
      if (tf === 0) continue;
      const n = frequency.get(term)!;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * d.length) / (avgLength || 1)));
    }
    return { i, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, k)
    .map((s) => examples[s.i]!);
}

/** How many confirmed logs are read as examples: the newest ones. */
const LOG_EXAMPLES = 500;

/**
 * Questions of the tenant whose SQL a user confirmed (feedback correct) or corrected, read
 * in the caller's tenant transaction (RLS keeps them to the tenant), newest first.
 */
export async function confirmedExamples(db: Executor): Promise<Example[]> {
  const rows = await db
    .select({
      question: sqlGenerationLogs.question,
      sql: sqlGenerationLogs.sql,
      correct: sqlGenerationLogs.feedbackCorrect,
      corrected: sqlGenerationLogs.correctedSql,
    })
    .from(sqlGenerationLogs)
    .where(
      and(
        isNotNull(sqlGenerationLogs.question),
        or(
          eq(sqlGenerationLogs.feedbackCorrect, true),
          and(eq(sqlGenerationLogs.feedbackCorrect, false), isNotNull(sqlGenerationLogs.correctedSql)),
        ),
      ),
    )
    .orderBy(desc(sqlGenerationLogs.id))
    .limit(LOG_EXAMPLES);
  return rows.map((r) => ({ question: r.question!, sql: r.correct ? r.sql : r.corrected! }));
}
