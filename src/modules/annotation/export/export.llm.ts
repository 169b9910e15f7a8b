import { dataAt } from '../label-config/data-paths.ts';
import type { ParsedConfig } from '../schema.ts';
import { annotatorOf, type ExportAnnotation, type ExportTask } from './export.formats.ts';
import { configTags } from './export.images.ts';

/**
 * Exports for teams training language models, one JSON line per record:
 *
 * - SFT_JSONL: `{"messages": [{role, content}, …], id, annotation_id, annotator}` per
 *   annotation — the task's dialogue (a `<Chat>` or `<Paragraphs>` object's messages), or
 *   else its prompt as a user turn, followed by what the annotation adds: its chat messages,
 *   then each `<TextArea>`'s text in config order (a TextArea named `system`, `user` or
 *   `prompt` adds that turn; every other one an assistant turn). An annotation that adds
 *   nothing, or whose dialogue does not end with the assistant, writes no line.
 * - PREFERENCE_JSONL: `{"prompt", "chosen", "rejected", id, annotation_id, annotator, control}`
 *   per preference — `<Pairwise>`: the selected side over the other (`none` writes nothing);
 *   `<Ranker>`: every item over each item ranked below it (with `<Bucket>`s, every item of
 *   a bucket over every item of a later bucket, in config order; unbucketed items are
 *   unranked). The prompt is the dialogue's messages, with `chosen`/`rejected` as one
 *   assistant message each (the conversational form trainers take), or else the prompt
 *   text with plain strings.
 *
 * The prompt is the data of the object named `prompt`, else of the object reading
 * `$prompt`, else of the first Text or HyperText object that is not being compared.
 */

interface Message {
  role: string;
  content: string;
}

interface Dialogue {
  name: string;
  key: string;
  roleKey: string;
  contentKey: string;
}

export interface LlmSupport {
  dialogue: Dialogue | null;
  /** Data keys of the objects by name (`$` dropped). */
  keys: Map<string, string>;
  textAreas: { name: string; role: string; toName: string[] }[];
  pairwise: { name: string; left: string; right: string }[];
  rankers: { name: string; list: string; buckets: string[] }[];
  chats: Set<string>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const TURN_ROLES: Record<string, string> = { system: 'system', user: 'user', prompt: 'user' };

/** What the LLM exports read from a config. */
export function llmSupport(config: ParsedConfig, labelConfig: string): LlmSupport {
  const keys = new Map(config.objects.map((o) => [o.name, o.value.replace(/^\$/, '')]));
  const tags = configTags(labelConfig);
  const attrsOf = (name: string) => tags.find((t) => t.attrs.name === name)?.attrs ?? {};
  const dialogueObject = config.objects.find((o) => o.type === 'Chat' || o.type === 'Paragraphs');
  let dialogue: Dialogue | null = null;
  if (dialogueObject) {
    const a = attrsOf(dialogueObject.name);
    const chat = dialogueObject.type === 'Chat';
    dialogue = {
      name: dialogueObject.name,
      key: keys.get(dialogueObject.name) ?? '',
      roleKey: chat ? 'role' : (a.nameKey ?? 'author'),
      contentKey: chat ? 'content' : (a.textKey ?? 'text'),
    };
  }
  return {
    dialogue,
    keys,
    textAreas: config.controls
      .filter((c) => c.type === 'TextArea')
      .map((c) => ({
        name: c.name,
        role: TURN_ROLES[c.name.toLowerCase()] ?? 'assistant',
        toName: c.toName,
      })),
    pairwise: config.controls
      .filter((c) => c.type === 'Pairwise' && c.toName.length >= 2)
      .map((c) => ({ name: c.name, left: c.toName[0]!, right: c.toName[1]! })),
    rankers: config.controls
      .filter((c) => c.type === 'Ranker' && c.toName.length > 0)
      .map((c) => ({
        name: c.name,
        list: c.toName[0]!,
        buckets: tags
          .filter((t) => t.tag === 'Bucket' && t.owner === c.name && t.attrs.name)
          .map((t) => t.attrs.name!),
      })),
    chats: new Set(config.objects.filter((o) => o.type === 'Chat').map((o) => o.name)),
  };
}

/** Why a config cannot produce the format, or null. */
export function llmUnsupported(
  format: 'SFT_JSONL' | 'PREFERENCE_JSONL',
  config: ParsedConfig,
): string | null {
  if (format === 'SFT_JSONL')
    return config.controls.some((c) => c.type === 'TextArea') || config.objects.some((o) => o.type === 'Chat')
      ? null
      : 'SFT_JSONL needs a <TextArea> control or a <Chat> object';
  return config.controls.some((c) => c.type === 'Pairwise' || c.type === 'Ranker')
    ? null
    : 'PREFERENCE_JSONL needs a <Pairwise> or <Ranker> control';
}

/** The task's dialogue as messages: entries with a string role and content. */
function dialogueOf(t: ExportTask, d: Dialogue): Message[] {
  const data = dataAt(t.data, d.key);
  if (!Array.isArray(data)) return [];
  return data
    .filter(isObject)
    .filter((m) => typeof m[d.roleKey] === 'string' && typeof m[d.contentKey] === 'string')
    .map((m) => ({ role: m[d.roleKey] as string, content: m[d.contentKey] as string }));
}

/** The prompt object's name (see the module comment), skipping the objects in `exclude`. */
function promptObject(s: LlmSupport, config: ParsedConfig, exclude: Set<string>): string | undefined {
  const candidates = config.objects.filter(
    (o) => !exclude.has(o.name) && (o.type === 'Text' || o.type === 'HyperText'),
  );
  return (
    candidates.find((o) => o.name === 'prompt') ??
    candidates.find((o) => s.keys.get(o.name) === 'prompt') ??
    candidates[0]
  )?.name;
}

function textOf(t: ExportTask, s: LlmSupport, object: string | undefined): string | null {
  const v = object === undefined ? undefined : dataAt(t.data, s.keys.get(object) ?? '');
  return typeof v === 'string' ? v : null;
}

function meta(t: ExportTask, a: ExportAnnotation) {
  return { id: t.id, annotation_id: a.id, annotator: annotatorOf(a) };
}

/** The SFT record of an annotation, or null when it adds no assistant turn at the end. */
export function sftRecord(
  t: ExportTask,
  a: ExportAnnotation,
  s: LlmSupport,
  config: ParsedConfig,
): Record<string, unknown> | null {
  const added: Message[] = [];
  const answers = new Map<string, string[]>();
  for (const r of a.result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !isObject(r.value)) continue;
    const message = r.value.chatmessage;
    if (r.type === 'chatmessage' && s.chats.has(r.from_name) && isObject(message)) {
      if (typeof message.role === 'string' && typeof message.content === 'string')
        added.push({ role: message.role, content: message.content });
    } else if (Array.isArray(r.value.text)) {
      const texts = answers.get(r.from_name) ?? [];
      texts.push(...r.value.text.filter((x): x is string => typeof x === 'string'));
      answers.set(r.from_name, texts);
    }
  }
  for (const area of s.textAreas) {
    const texts = answers.get(area.name);
    if (texts?.length) added.push({ role: area.role, content: texts.join('\n') });
  }
  if (added.length === 0 || added.at(-1)!.role !== 'assistant') return null;
  let context: Message[] = [];
  if (s.dialogue) context = dialogueOf(t, s.dialogue);
  else {
    const answered = s.textAreas.find((x) => answers.get(x.name)?.length);
    const target = answered?.toName.find((n) => textOf(t, s, n) !== null);
    const prompt = textOf(t, s, target ?? promptObject(s, config, new Set()));
    if (prompt !== null) context = [{ role: 'user', content: prompt }];
  }
  return { messages: [...context, ...added], ...meta(t, a) };
}

/** A ranked List item's text: its body, html or title, else its id. */
function itemText(item: Record<string, unknown>): string {
  for (const k of ['body', 'html', 'title']) if (typeof item[k] === 'string') return item[k] as string;
  return String(item.id);
}

/** Ordered groups of item ids, best first: one group per item without buckets, one per bucket with them. */
function rankGroups(ranker: Record<string, unknown>, buckets: string[]): string[][] {
  const lists = Object.entries(ranker).filter(([k, v]) => k !== '_' && Array.isArray(v)) as [
    string,
    unknown[],
  ][];
  if (buckets.length === 0) return (lists[0]?.[1] ?? []).map((id) => [String(id)]);
  return buckets.map((b) => (lists.find(([k]) => k === b)?.[1] ?? []).map(String));
}

/** The preference records of an annotation: its Pairwise choices and Ranker orders. */
export function preferenceRecords(
  t: ExportTask,
  a: ExportAnnotation,
  s: LlmSupport,
  config: ParsedConfig,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const compared = new Set([
    ...s.pairwise.flatMap((p) => [p.left, p.right]),
    ...s.rankers.map((r) => r.list),
  ]);
  const dialogue = s.dialogue ? dialogueOf(t, s.dialogue) : null;
  const promptText = dialogue ? null : textOf(t, s, promptObject(s, config, compared));
  const push = (control: string, chosen: string, rejected: string, ids?: [string, string]) => {
    const reply = (content: string) => (dialogue ? [{ role: 'assistant', content }] : content);
    out.push({
      prompt: dialogue ?? promptText,
      chosen: reply(chosen),
      rejected: reply(rejected),
      ...(ids && { chosen_id: ids[0], rejected_id: ids[1] }),
      ...meta(t, a),
      control,
    });
  };
  for (const r of a.result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !isObject(r.value)) continue;
    const pair = s.pairwise.find((p) => p.name === r.from_name);
    if (pair) {
      const left = textOf(t, s, pair.left);
      const right = textOf(t, s, pair.right);
      if (left === null || right === null) continue;
      if (r.value.selected === 'left') push(pair.name, left, right);
      else if (r.value.selected === 'right') push(pair.name, right, left);
      continue;
    }
    const ranker = s.rankers.find((x) => x.name === r.from_name);
    if (!ranker || !isObject(r.value.ranker)) continue;
    const items = dataAt(t.data, s.keys.get(ranker.list) ?? '');
    const byId = new Map(
      (Array.isArray(items) ? items : []).filter(isObject).map((item) => [String(item.id), item]),
    );
    const groups = rankGroups(r.value.ranker, ranker.buckets).map((g) => g.filter((id) => byId.has(id)));
    groups.forEach((better, i) => {
      for (const worse of groups.slice(i + 1))
        for (const b of better)
          for (const w of worse) push(ranker.name, itemText(byId.get(b)!), itemText(byId.get(w)!), [b, w]);
    });
  }
  return out;
}
