import { estimateTokens, type PlannedCall } from '../../llm/index.ts';
import { averagePrecision, type RagasRecord } from './ragas.metrics.ts';

/**
 * Ragas' LLM-based metrics, computed as Ragas defines them (ragas.metrics: Faithfulness,
 * ResponseRelevancy, LLMContextPrecisionWithReference / WithoutReference, LLMContextRecall):
 * the model gives verdicts as structured output, and Ragas' formulas turn them into scores.
 * The prompts are this platform's own wording of what Ragas asks. Every call goes through the
 * LLM gateway (the tenant's `ragas` binding), which logs and budgets it.
 */

export const LLM_METRICS = [
  'faithfulness',
  'answer_relevancy',
  'llm_context_precision_with_reference',
  'llm_context_precision_without_reference',
  'context_recall',
] as const;
export type LlmMetric = (typeof LLM_METRICS)[number];

/** What each metric needs from a record (Ragas' required columns). */
export const LLM_NEEDS: Record<LlmMetric, (keyof RagasRecord)[]> = {
  faithfulness: ['question', 'answer', 'contexts'],
  answer_relevancy: ['question', 'answer'],
  llm_context_precision_with_reference: ['question', 'contexts', 'reference'],
  llm_context_precision_without_reference: ['question', 'contexts', 'answer'],
  context_recall: ['question', 'contexts', 'reference'],
};

/**
 * Bounds on what the model may write: statements per answer and characters per text field.
 * They go into each call's JSON schema, so every reply ends within its max_tokens and the
 * cost estimate's output side is a true upper bound.
 */
export interface LlmLimits {
  max_statements: number;
  max_chars: number;
}
export const DEFAULT_LLM_LIMITS: LlmLimits = { max_statements: 20, max_chars: 300 };

/** Questions generated per answer for answer relevancy (Ragas' `strictness`). */
const STRICTNESS = 3;
/** Ragas samples several generations at this temperature; single ones at (nearly) zero. */
const SAMPLING_TEMPERATURE = 0.3;

// ------------------------------------------------------------------ formulas (pure)

/** Faithfulness: the share of the answer's statements the context supports; null (Ragas' NaN) without statements. */
export function faithfulnessScore(verdicts: readonly number[]): number | null {
  if (verdicts.length === 0) return null;
  return verdicts.filter((v) => v === 1).length / verdicts.length;
}

/** LLM context recall: the share of the reference's statements attributed to the contexts. */
export function contextRecallScore(attributed: readonly number[]): number | null {
  if (attributed.length === 0) return null;
  return attributed.filter((v) => v === 1).length / attributed.length;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}

/**
 * Answer relevancy: the mean cosine similarity of the question's embedding to those of the
 * questions generated from the answer, times 0 when every generation found the answer
 * noncommittal. Like Ragas' it can fall below 0, as a cosine can.
 */
export function answerRelevancyScore(
  question: readonly number[],
  generated: readonly (readonly number[])[],
  noncommittal: readonly number[],
): number {
  if (generated.length === 0) return 0;
  const mean = generated.reduce((s, g) => s + cosine(g, question), 0) / generated.length;
  return noncommittal.every((n) => n === 1) ? 0 : mean;
}

// ------------------------------------------------------------------ prompts and schemas

interface Message {
  role: 'system' | 'user';
  content: string;
}

/** One structured call: what is asked, the reply's schema, and its token limit. */
export interface Ask {
  messages: Message[];
  schema: Record<string, unknown>;
  maxTokens: number;
  temperature: number;
}

type Schema = Record<string, unknown>;
const string = (max: number): Schema => ({ type: 'string', minLength: 1, maxLength: max });
const binary: Schema = { enum: [0, 1] };
const object = (properties: Record<string, Schema>): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const array = (items: Schema, min: number, max: number): Schema => ({
  type: 'array',
  items,
  minItems: min,
  maxItems: max,
});

/** The longest JSON a schema of these shapes allows, in characters (escapes aside). */
function maxJsonChars(schema: Schema): number {
  if (schema.type === 'string') return (schema.maxLength as number) + 2;
  if (schema.enum) return 1;
  if (schema.type === 'array')
    return 2 + (schema.maxItems as number) * (maxJsonChars(schema.items as Schema) + 2);
  const properties = schema.properties as Record<string, Schema>;
  return Object.entries(properties).reduce((n, [key, s]) => n + key.length + 6 + maxJsonChars(s), 2);
}

/** Three tokens a character covers byte-level tokenizers on any script, plus some whitespace. */
const tokensFor = (schema: Schema) => 3 * maxJsonChars(schema) + 32;

function ask(instruction: string, input: Record<string, unknown>, schema: Schema, temperature = 0): Ask {
  return {
    messages: [
      { role: 'system', content: instruction },
      { role: 'user', content: JSON.stringify(input) },
    ],
    schema,
    maxTokens: tokensFor(schema),
    temperature,
  };
}

export function statementsAsk(question: string, answer: string, limits: LlmLimits): Ask {
  return ask(
    `Split the answer to the question into statements. Turn every sentence of the answer into one or more statements that each make sense on their own; use no pronouns, name what they refer to. Reply with JSON {"statements": [...]} of at most ${limits.max_statements} statements.
Example input: {"question": "Who wrote Hamlet, and when?", "answer": "It was written by Shakespeare around 1600. He also wrote Macbeth."}
Example output: {"statements": ["Hamlet was written by William Shakespeare.", "Hamlet was written around 1600.", "William Shakespeare also wrote Macbeth."]}`,
    { question, answer },
    object({ statements: array(string(limits.max_chars), 1, limits.max_statements) }),
  );
}

export function verdictsAsk(context: string, statements: readonly string[], limits: LlmLimits): Ask {
  const item = object({
    statement: string(limits.max_chars),
    reason: string(limits.max_chars),
    verdict: binary,
  });
  return ask(
    `Judge each statement against the context. Its verdict is 1 when the statement can be inferred directly from the context and 0 when it cannot; give a short reason before the verdict. Reply with JSON {"statements": [{"statement", "reason", "verdict"}, ...]}, one entry per statement, in the order given.
Example input: {"context": "Marie is a nurse at the city hospital. She works night shifts.", "statements": ["Marie works at a hospital.", "Marie is a doctor.", "Marie has two children."]}
Example output: {"statements": [{"statement": "Marie works at a hospital.", "reason": "She is a nurse at the city hospital.", "verdict": 1}, {"statement": "Marie is a doctor.", "reason": "The context says she is a nurse.", "verdict": 0}, {"statement": "Marie has two children.", "reason": "The context says nothing about children.", "verdict": 0}]}`,
    { context, statements },
    object({ statements: array(item, statements.length, statements.length) }),
  );
}

export function usefulnessAsk(question: string, context: string, answer: string, limits: LlmLimits): Ask {
  return ask(
    `Decide whether the context was useful in arriving at the given answer to the question. Give a short reason, then the verdict: 1 if the context was useful, 0 if it was not. Reply with JSON {"reason", "verdict"}.
Example input: {"question": "What is the boiling point of water at sea level?", "context": "At standard atmospheric pressure water boils at 100 °C.", "answer": "100 °C."}
Example output: {"reason": "The context states the boiling point the answer gives.", "verdict": 1}`,
    { question, context, answer },
    object({ reason: string(limits.max_chars), verdict: binary }),
  );
}

export function attributionAsk(question: string, context: string, reference: string, limits: LlmLimits): Ask {
  const item = object({
    statement: string(limits.max_chars),
    reason: string(limits.max_chars),
    attributed: binary,
  });
  return ask(
    `Split the answer into its sentences and decide for each whether it can be attributed to the context: attributed 1 when the context supports it, 0 when it does not; give a short reason first. Reply with JSON {"classifications": [{"statement", "reason", "attributed"}, ...]} of at most ${limits.max_statements} entries.
Example input: {"question": "Tell me about Lisbon.", "context": "Lisbon is the capital of Portugal and lies on the Tagus estuary.", "answer": "Lisbon is Portugal's capital. It hosted Expo 98."}
Example output: {"classifications": [{"statement": "Lisbon is Portugal's capital.", "reason": "The context says so.", "attributed": 1}, {"statement": "It hosted Expo 98.", "reason": "The context does not mention Expo 98.", "attributed": 0}]}`,
    { question, context, answer: reference },
    object({ classifications: array(item, 1, limits.max_statements) }),
  );
}

export function questionAsk(answer: string, limits: LlmLimits): Ask {
  return ask(
    `Write the question that the given answer answers, and say whether the answer is noncommittal: noncommittal is 1 for an evasive, vague or ambiguous answer (such as "I don't know" or "I'm not sure"), 0 for a committal one. Reply with JSON {"question", "noncommittal"}.
Example input: {"response": "Marie Curie was the first woman to win a Nobel Prize."}
Example output: {"question": "Who was the first woman to win a Nobel Prize?", "noncommittal": 0}`,
    { response: answer },
    object({ question: string(limits.max_chars), noncommittal: binary }),
    SAMPLING_TEMPERATURE,
  );
}

// ------------------------------------------------------------------ running a metric

/** The gateway as a metric sees it: a structured reply (valid against the schema), or embeddings. */
export interface LlmCaller {
  structured(ask: Ask): Promise<unknown>;
  embed(texts: string[]): Promise<number[][]>;
}

/** A metric's score (null: Ragas' NaN, with the reason) and the verdicts it came from. */
export interface LlmOutcome {
  score: number | null;
  reason?: string;
  details: Record<string, unknown>;
}

interface Verdict {
  statement: string;
  reason: string;
  verdict: number;
}
interface Attribution {
  statement: string;
  reason: string;
  attributed: number;
}
interface Generated {
  question: string;
  noncommittal: number;
}

/** Scores one record on one metric; the record has the fields LLM_NEEDS names. */
export async function scoreWithLlm(
  caller: LlmCaller,
  record: RagasRecord,
  metric: LlmMetric,
  limits: LlmLimits,
): Promise<LlmOutcome> {
  const question = record.question ?? '';
  const answer = record.answer ?? '';
  const reference = record.reference ?? '';
  const contexts = record.contexts ?? [];
  switch (metric) {
    case 'faithfulness': {
      const { statements } = (await caller.structured(statementsAsk(question, answer, limits))) as {
        statements: string[];
      };
      const judged = (await caller.structured(verdictsAsk(contexts.join('\n'), statements, limits))) as {
        statements: Verdict[];
      };
      const score = faithfulnessScore(judged.statements.map((s) => s.verdict));
      return nanOr(score, 'the model found no statements', { statements: judged.statements });
    }
    case 'answer_relevancy': {
      const generated: Generated[] = [];
      for (let i = 0; i < STRICTNESS; i++)
        generated.push((await caller.structured(questionAsk(answer, limits))) as Generated);
      const [own, ...others] = await caller.embed([question, ...generated.map((g) => g.question)]);
      const score = answerRelevancyScore(
        own!,
        others,
        generated.map((g) => g.noncommittal),
      );
      return { score, details: { questions: generated } };
    }
    case 'llm_context_precision_with_reference':
    case 'llm_context_precision_without_reference': {
      const against = metric === 'llm_context_precision_with_reference' ? reference : answer;
      const verdicts: { reason: string; verdict: number }[] = [];
      for (const context of contexts)
        verdicts.push(
          (await caller.structured(usefulnessAsk(question, context, against, limits))) as Verdict,
        );
      return { score: averagePrecision(verdicts.map((v) => v.verdict)), details: { verdicts } };
    }
    case 'context_recall': {
      const { classifications } = (await caller.structured(
        attributionAsk(question, contexts.join('\n'), reference, limits),
      )) as { classifications: Attribution[] };
      const score = contextRecallScore(classifications.map((c) => c.attributed));
      return nanOr(score, 'the model found no statements in the reference', { classifications });
    }
  }
}

function nanOr(score: number | null, reason: string, details: Record<string, unknown>): LlmOutcome {
  return score === null ? { score, reason, details } : { score, details };
}

/** The calls a metric makes on a record, for the cost estimate before a run. */
export function plannedCalls(record: RagasRecord, metric: LlmMetric, limits: LlmLimits): PlannedCall[] {
  const question = record.question ?? '';
  const answer = record.answer ?? '';
  const reference = record.reference ?? '';
  const contexts = record.contexts ?? [];
  const structured = (a: Ask): PlannedCall => ({
    need: 'json_schema',
    tokensIn: estimateTokens(a.messages),
    maxTokensOut: a.maxTokens,
  });
  switch (metric) {
    case 'faithfulness':
      // The statements are not known yet: the answer stands in for their text, their
      // number is at its limit.
      return [
        structured(statementsAsk(question, answer, limits)),
        structured(
          verdictsAsk(contexts.join('\n'), [answer, ...Array(limits.max_statements - 1).fill('')], limits),
        ),
      ];
    case 'answer_relevancy': {
      // The generated questions are not known yet: counted at their length limit.
      const generation = structured(questionAsk(answer, limits));
      const tokensIn = estimateTokens([{ content: question }]) + STRICTNESS * limits.max_chars;
      return [...Array(STRICTNESS).fill(generation), { need: 'embeddings', tokensIn, maxTokensOut: 0 }];
    }
    case 'llm_context_precision_with_reference':
    case 'llm_context_precision_without_reference': {
      const against = metric === 'llm_context_precision_with_reference' ? reference : answer;
      return contexts.map((c) => structured(usefulnessAsk(question, c, against, limits)));
    }
    case 'context_recall':
      return [structured(attributionAsk(question, contexts.join('\n'), reference, limits))];
  }
}
