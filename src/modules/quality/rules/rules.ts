import jsonata from 'jsonata';
import { badRequest } from '../../../platform/errors/problem.ts';
import type { RULE_TYPES } from '../schema.ts';

export type RuleType = (typeof RULE_TYPES)[number];

/** What a rule sees: the annotation, its task, the project's controls and the task's other annotations. */
export interface CheckInput {
  annotation: {
    id: number;
    result: unknown[];
    lead_time: number;
    was_cancelled: boolean;
    ground_truth: boolean;
    completed_by: string | null;
  };
  task: { id: number; data: Record<string, unknown> };
  controls: { name: string; type: string; labels: string[] }[];
  /** Results of the task's other submitted (not skipped) annotations. */
  others: unknown[][];
}

export interface Outcome {
  passed: boolean;
  message: string;
  details?: Record<string, unknown>;
}

interface Region {
  id?: string;
  from_name?: string;
  type?: string;
  value?: Record<string, unknown>;
}

/** Bounds on custom expressions: evaluation time, recursion depth, sequence size, source length. */
export const EXPRESSION_LIMITS = { timeoutMs: 100, stack: 200, sequence: 10_000, length: 2000 };
const MAX_PATTERN = 500;

const regions = (result: unknown[]): Region[] =>
  result.filter((r): r is Region => typeof r === 'object' && r !== null);

const ofControl = (result: unknown[], control: unknown): Region[] =>
  regions(result).filter((r) => typeof control !== 'string' || r.from_name === control);

/** The labels or choices a region carries, whatever its tag: `choices`, `labels`, `rectanglelabels`, … */
export function regionLabels(r: Region): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(r.value ?? {})) {
    if ((key === 'choices' || key.endsWith('labels')) && Array.isArray(v)) {
      for (const item of v.flat(3)) if (typeof item === 'string') out.push(item);
    }
  }
  return out;
}

const regionTexts = (r: Region): string[] => {
  const text = r.value?.text;
  if (Array.isArray(text)) return text.filter((t): t is string => typeof t === 'string');
  return typeof text === 'string' && r.type === 'textarea' ? [text] : [];
};

/** A region's identity for agreement: control, labels and position, not its random id. */
function regionKey(r: Region): string {
  const v = r.value ?? {};
  const where = ['start', 'end', 'x', 'y', 'width', 'height']
    .map((k) => (typeof v[k] === 'number' ? Math.round((v[k] as number) * 100) / 100 : ''))
    .join(',');
  return `${r.from_name}|${[...regionLabels(r)].sort().join('+')}|${regionTexts(r).join('\n')}|${where}`;
}

/** Jaccard overlap of two results' regions (1 when both are empty). */
export function resultAgreement(a: unknown[], b: unknown[]): number {
  const ka = new Set(regions(a).map(regionKey));
  const kb = new Set(regions(b).map(regionKey));
  if (ka.size === 0 && kb.size === 0) return 1;
  let both = 0;
  for (const k of ka) if (kb.has(k)) both++;
  return both / (ka.size + kb.size - both);
}

function fail(message: string, details?: Record<string, unknown>): Outcome {
  return { passed: false, message, details };
}
const pass = (details?: Record<string, unknown>): Outcome => ({ passed: true, message: '', details });

function checkRequired(config: Record<string, unknown>, input: CheckInput): Outcome {
  const wanted = Array.isArray(config.controls)
    ? (config.controls as string[])
    : input.controls.map((c) => c.name);
  const present = new Set(regions(input.annotation.result).map((r) => r.from_name));
  const missing = wanted.filter((c) => !present.has(c));
  return missing.length ? fail(`Missing required control(s): ${missing.join(', ')}`, { missing }) : pass();
}

function checkRegex(config: Record<string, unknown>, input: CheckInput): Outcome {
  const re = new RegExp(config.pattern as string, (config.flags as string | undefined) ?? '');
  const bad = ofControl(input.annotation.result, config.control)
    .flatMap(regionTexts)
    .filter((t) => !re.test(t));
  return bad.length
    ? fail(`${bad.length} text value(s) do not match /${config.pattern}/`, { values: bad.slice(0, 10) })
    : pass();
}

function checkTextLength(config: Record<string, unknown>, input: CheckInput): Outcome {
  const min = (config.min as number | undefined) ?? 0;
  const max = (config.max as number | undefined) ?? Number.POSITIVE_INFINITY;
  const bad = ofControl(input.annotation.result, config.control)
    .flatMap(regionTexts)
    .filter((t) => [...t].length < min || [...t].length > max);
  return bad.length
    ? fail(`${bad.length} text value(s) outside length ${min}–${config.max ?? '∞'}`, {
        values: bad.slice(0, 10),
      })
    : pass();
}

function checkOverlap(config: Record<string, unknown>, input: CheckInput): Outcome {
  const spans = ofControl(input.annotation.result, config.control)
    .filter((r) => typeof r.value?.start === 'number' && typeof r.value?.end === 'number')
    .map((r) => ({ id: r.id, start: r.value!.start as number, end: r.value!.end as number }))
    .sort((a, b) => a.start - b.start);
  const pairs: [string | undefined, string | undefined][] = [];
  let reach = spans[0];
  for (const s of spans.slice(1)) {
    if (reach && s.start < reach.end) pairs.push([reach.id, s.id]);
    if (!reach || s.end > reach.end) reach = s;
  }
  return pairs.length ? fail(`${pairs.length} overlapping entity span(s)`, { pairs }) : pass();
}

function checkAllowedLabels(config: Record<string, unknown>, input: CheckInput): Outcome {
  const explicit = Array.isArray(config.labels) ? new Set(config.labels as string[]) : undefined;
  const bad: string[] = [];
  for (const r of ofControl(input.annotation.result, config.control)) {
    const allowed = explicit ?? new Set(input.controls.find((c) => c.name === r.from_name)?.labels ?? []);
    for (const l of regionLabels(r)) if (!allowed.has(l)) bad.push(l);
  }
  return bad.length ? fail(`Label(s) not allowed: ${[...new Set(bad)].join(', ')}`, { labels: bad }) : pass();
}

function checkLeadTime(config: Record<string, unknown>, input: CheckInput): Outcome {
  const min = config.seconds as number;
  const t = input.annotation.lead_time;
  return t < min ? fail(`Lead time ${t}s is below the minimum ${min}s`, { lead_time: t }) : pass();
}

function checkAgreement(config: Record<string, unknown>, input: CheckInput): Outcome {
  if (input.others.length === 0) return pass({ skipped: 'no other annotation on the task' });
  const scores = input.others.map((o) => resultAgreement(input.annotation.result, o));
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const threshold = config.threshold as number;
  return mean < threshold
    ? fail(`Agreement ${mean.toFixed(3)} with ${scores.length} other annotation(s) is below ${threshold}`, {
        agreement: mean,
      })
    : pass({ agreement: mean });
}

function compileExpression(source: string): jsonata.Expression {
  return jsonata(source, {
    timeout: EXPRESSION_LIMITS.timeoutMs,
    stack: EXPRESSION_LIMITS.stack,
    sequence: EXPRESSION_LIMITS.sequence,
  });
}

/** Custom rules: a JSONata expression over {annotation, task}; a truthy answer passes. No eval. */
async function checkExpression(config: Record<string, unknown>, input: CheckInput): Promise<Outcome> {
  const expr = compileExpression(config.expression as string);
  try {
    const value = await expr.evaluate({ annotation: input.annotation, task: input.task });
    return value === true || (value !== false && value !== undefined && value !== null && value !== 0)
      ? pass()
      : fail((config.message as string | undefined) ?? `Expression is ${JSON.stringify(value) ?? 'empty'}`);
  } catch (err) {
    return fail(`Expression failed: ${(err as { message?: string }).message}`, {
      code: (err as { code?: string }).code,
    });
  }
}

/** Runs one rule on one annotation. Skipped annotations (was_cancelled) pass every rule. */
export async function runRule(
  type: RuleType,
  config: Record<string, unknown>,
  input: CheckInput,
): Promise<Outcome> {
  if (input.annotation.was_cancelled) return pass({ skipped: 'skipped annotation' });
  switch (type) {
    case 'required':
      return checkRequired(config, input);
    case 'regex':
      return checkRegex(config, input);
    case 'text_length':
      return checkTextLength(config, input);
    case 'no_overlap':
      return checkOverlap(config, input);
    case 'allowed_labels':
      return checkAllowedLabels(config, input);
    case 'min_lead_time':
      return checkLeadTime(config, input);
    case 'agreement':
      return checkAgreement(config, input);
    case 'expression':
      return checkExpression(config, input);
  }
}

const invalid = (field: string, message: string) =>
  badRequest(
    'quality_rule.config_invalid',
    `Invalid rule config: ${field} ${message}`,
    [{ path: `body/config/${field}`, message }],
    { field, message },
  );

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks a rule's config for its type; a bad one is a 400 naming the field and the error. */
export function validateRuleConfig(type: RuleType, config: Record<string, unknown>): void {
  if (config.control !== undefined && typeof config.control !== 'string')
    throw invalid('control', 'must be a string');
  switch (type) {
    case 'required':
      if (config.controls !== undefined && !strings(config.controls))
        throw invalid('controls', 'must be a list of control names');
      return;
    case 'regex': {
      const { pattern, flags } = config;
      if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN)
        throw invalid('pattern', `must be a regular expression of 1–${MAX_PATTERN} characters`);
      if (flags !== undefined && (typeof flags !== 'string' || !/^[imsu]*$/.test(flags)))
        throw invalid('flags', 'may hold only i, m, s and u');
      try {
        new RegExp(pattern, (flags as string | undefined) ?? '');
      } catch (err) {
        throw invalid('pattern', (err as Error).message);
      }
      return;
    }
    case 'text_length':
      if (config.min !== undefined && !(isNum(config.min) && config.min >= 0))
        throw invalid('min', 'must be a number ≥ 0');
      if (config.max !== undefined && !(isNum(config.max) && config.max >= 0))
        throw invalid('max', 'must be a number ≥ 0');
      if (config.min === undefined && config.max === undefined) throw invalid('min', 'or max is required');
      return;
    case 'no_overlap':
      return;
    case 'allowed_labels':
      if (config.labels !== undefined && !strings(config.labels))
        throw invalid('labels', 'must be a list of labels');
      return;
    case 'min_lead_time':
      if (!isNum(config.seconds) || config.seconds < 0) throw invalid('seconds', 'must be a number ≥ 0');
      return;
    case 'agreement':
      if (!isNum(config.threshold) || config.threshold < 0 || config.threshold > 1)
        throw invalid('threshold', 'must be a number in [0, 1]');
      return;
    case 'expression': {
      const source = config.expression;
      if (typeof source !== 'string' || source.trim() === '' || source.length > EXPRESSION_LIMITS.length)
        throw invalid(
          'expression',
          `must be a JSONata expression of 1–${EXPRESSION_LIMITS.length} characters`,
        );
      try {
        compileExpression(source);
      } catch (err) {
        const e = err as { message?: string; position?: number };
        throw invalid('expression', `${e.message}${e.position !== undefined ? ` (at ${e.position})` : ''}`);
      }
      if (config.message !== undefined && typeof config.message !== 'string')
        throw invalid('message', 'must be a string');
      return;
    }
  }
}

export interface TemplateRule {
  name: string;
  type: RuleType;
  config: Record<string, unknown>;
  severity: 'low' | 'medium' | 'high' | 'critical';
  priority: number;
}

/** The built-in templates; tenants add their own in quality_rule_templates. */
export const BUILT_IN_TEMPLATES: Record<string, { description: string; rules: TemplateRule[] }> = {
  basic: {
    description: 'Every control answered, labels from the config, at least 2 seconds spent',
    rules: [
      { name: 'All controls answered', type: 'required', config: {}, severity: 'high', priority: 100 },
      { name: 'Labels from the config', type: 'allowed_labels', config: {}, severity: 'high', priority: 90 },
      {
        name: 'Minimum lead time',
        type: 'min_lead_time',
        config: { seconds: 2 },
        severity: 'low',
        priority: 10,
      },
    ],
  },
  nlp: {
    description: 'Named-entity and text work: no overlapping spans, non-empty text answers, agreement ≥ 0.5',
    rules: [
      { name: 'No overlapping entities', type: 'no_overlap', config: {}, severity: 'medium', priority: 80 },
      {
        name: 'Text answers not empty',
        type: 'text_length',
        config: { min: 1, max: 10_000 },
        severity: 'medium',
        priority: 70,
      },
      {
        name: 'Agreement with other annotators',
        type: 'agreement',
        config: { threshold: 0.5 },
        severity: 'medium',
        priority: 50,
      },
      { name: 'Labels from the config', type: 'allowed_labels', config: {}, severity: 'high', priority: 90 },
    ],
  },
};
