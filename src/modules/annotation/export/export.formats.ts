import { dataAt } from '../label-config/data-paths.ts';
import type { ParsedConfig } from '../schema.ts';
import { brushControls } from './export.brush.ts';
import { imageControls } from './export.images.ts';
import { llmUnsupported } from './export.llm.ts';
import { treebankSpans } from './treebank.ts';

/**
 * Label Studio's export formats as its converter (label-studio-sdk `converter`) writes
 * them, one task at a time: pure functions from an exported task to text. The export
 * service feeds them keyset batches and streams what they return.
 */

export const EXPORT_FORMATS = [
  'JSON',
  'JSON_MIN',
  'CSV',
  'TSV',
  'CONLL2003',
  'COCO',
  'YOLO',
  'YOLO_OBB',
  'VOC',
  'BRUSH_TO_PNG',
  'ASR_MANIFEST',
  'SFT_JSONL',
  'PREFERENCE_JSONL',
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportAnnotation {
  id: number;
  result: unknown[];
  leadTime: number;
  wasCancelled: boolean;
  groundTruth: boolean;
  /** The member who made it (user id), if any. */
  completedBy: string | null;
  /** That member's integer id in the tenant: what Label Studio writes as `completed_by`. */
  completedByNumber: number | null;
  completedByEmail: string | null;
  completedByName: string | null;
  /** An annotator named by an imported file who has no account here. */
  completedByExternal: string | null;
  reviewStatus: string | null;
  parentAnnotationId: number | null;
  parentPredictionId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ExportPrediction {
  id: number;
  result: unknown[];
  score: number | null;
  modelVersion: string;
  createdAt: Date;
}

export interface ExportTask {
  id: number;
  projectId: number;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  totalAnnotations: number;
  cancelledAnnotations: number;
  totalPredictions: number;
  /** The member number of who last changed the task, if a member did. */
  updatedByNumber: number | null;
  annotations: ExportAnnotation[];
  predictions: ExportPrediction[];
}

/** What a file of each format is called and served as. */
export const FORMAT_FILES: Record<ExportFormat, { ext: string; contentType: string }> = {
  JSON: { ext: 'json', contentType: 'application/json; charset=utf-8' },
  JSON_MIN: { ext: 'json', contentType: 'application/json; charset=utf-8' },
  CSV: { ext: 'csv', contentType: 'text/csv; charset=utf-8' },
  TSV: { ext: 'tsv', contentType: 'text/tab-separated-values; charset=utf-8' },
  CONLL2003: { ext: 'conll', contentType: 'text/plain; charset=utf-8' },
  COCO: { ext: 'json', contentType: 'application/json; charset=utf-8' },
  YOLO: { ext: 'zip', contentType: 'application/zip' },
  YOLO_OBB: { ext: 'zip', contentType: 'application/zip' },
  VOC: { ext: 'zip', contentType: 'application/zip' },
  BRUSH_TO_PNG: { ext: 'zip', contentType: 'application/zip' },
  // NeMo's manifest.json: a JSON object per line.
  ASR_MANIFEST: { ext: 'json', contentType: 'application/x-ndjson; charset=utf-8' },
  SFT_JSONL: { ext: 'jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
  PREFERENCE_JSONL: { ext: 'jsonl', contentType: 'application/x-ndjson; charset=utf-8' },
};

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// ------------------------------------------------------------------------ JSON

/** The annotator as Label Studio's flat exports name it: an e-mail, or the external name. */
export function annotatorOf(a: ExportAnnotation): string | null {
  return a.completedByEmail ?? a.completedByExternal ?? null;
}

/**
 * Label Studio's `created_username` of an annotation: the annotator's name and e-mail, then
 * its integer id (`"Ann Lee ann@x.example, 7"`); an annotator without an account here is
 * written by the name the imported file gave.
 */
function createdUsername(a: ExportAnnotation): string {
  if (a.completedByNumber === null) return a.completedByExternal ?? '';
  const who = [a.completedByName, a.completedByEmail].filter(Boolean).join(' ');
  return `${who}, ${a.completedByNumber}`;
}

/**
 * A task in Label Studio's JSON export format. `completed_by` and `updated_by` are integers
 * or null, as Label Studio's task schema requires: the member's number in this tenant.
 * `completed_by_email` carries the member's e-mail, so a re-import here or elsewhere maps
 * the annotation back to the same person; `completed_by_external` keeps the name of an
 * annotator without an account (from an imported file), so a re-import keeps it too.
 */
export function jsonTask(t: ExportTask, options: { includePredictions: boolean }) {
  return {
    id: t.id,
    data: t.data,
    annotations: t.annotations.map((a) => ({
      id: a.id,
      completed_by: a.completedByNumber,
      completed_by_email: a.completedByEmail,
      completed_by_external: a.completedByExternal,
      created_username: createdUsername(a),
      result: a.result,
      was_cancelled: a.wasCancelled,
      ground_truth: a.groundTruth,
      created_at: a.createdAt.toISOString(),
      updated_at: a.updatedAt.toISOString(),
      lead_time: a.leadTime,
      result_count: a.result.length,
      review_status: a.reviewStatus,
      parent_prediction: a.parentPredictionId,
      parent_annotation: a.parentAnnotationId,
      task: t.id,
      project: t.projectId,
    })),
    predictions: options.includePredictions
      ? t.predictions.map((p) => ({
          id: p.id,
          model_version: p.modelVersion,
          result: p.result,
          score: p.score,
          created_at: p.createdAt.toISOString(),
          task: t.id,
          project: t.projectId,
        }))
      : [],
    meta: t.meta,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
    total_annotations: t.totalAnnotations,
    cancelled_annotations: t.cancelledAnnotations,
    total_predictions: t.totalPredictions,
    updated_by: t.updatedByNumber,
    project: t.projectId,
  };
}

// ---------------------------------------------------------- JSON_MIN, CSV, TSV

/** The annotations a flat format writes, newest first (Label Studio sorts by created_at, descending). */
export function flatAnnotations(t: ExportTask, includeCancelled: boolean): ExportAnnotation[] {
  return t.annotations
    .filter((a) => includeCancelled || !a.wasCancelled)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
}

type Output = Record<string, unknown> & { type: string };

/**
 * An annotation's regions grouped by control (`from_name`), each value tagged with the
 * control's tag. A chat message names its `<Chat>` object, not a control: it is tagged
 * `chatmessage`, as the converter does. Relations name no control and are left out, as
 * the converter leaves them.
 */
export function outputsOf(result: unknown[], config: ParsedConfig): Map<string, Output[]> {
  const types = new Map(config.controls.map((c) => [c.name, c.type]));
  const out = new Map<string, Output[]>();
  for (const r of result) {
    if (!isObject(r) || typeof r.from_name !== 'string') continue;
    const type = types.get(r.from_name) ?? (r.type === 'chatmessage' ? 'chatmessage' : undefined);
    if (!type) continue;
    const v: Output = { ...(isObject(r.value) ? r.value : {}), type };
    if ('original_width' in r) v.original_width = r.original_width;
    if ('original_height' in r) v.original_height = r.original_height;
    const list = out.get(r.from_name);
    if (list) list.push(v);
    else out.set(r.from_name, [v]);
  }
  return out;
}

/**
 * Label Studio's prettify_result: one choice or one text becomes a plain string, a chat
 * message its `{role, content, …}`; every other value (taxonomy, rating, number,
 * datetime, ranker, pairwise, regions) is kept as the result stores it.
 */
export function prettify(values: Output[]): unknown {
  const out: unknown[] = [];
  let tagType: string | undefined;
  for (const v of values) {
    const { type, ...rest } = v;
    tagType = type;
    if (type === 'Choices' && Array.isArray(rest.choices) && rest.choices.length === 1)
      out.push(rest.choices[0]);
    else if (type === 'TextArea' && Array.isArray(rest.text) && rest.text.length === 1)
      out.push(rest.text[0]);
    else if (type === 'chatmessage' || type === 'Chat') out.push(rest.chatmessage ?? rest);
    else out.push(rest);
  }
  return (tagType === 'Choices' || tagType === 'TextArea') && out.length === 1 ? out[0] : out;
}

/** The keys results take in a flat record: the controls', and the `<Chat>` objects' (their messages). */
function resultNames(config: ParsedConfig): Set<string> {
  return new Set([
    ...config.controls.map((c) => c.name),
    ...config.objects.filter((o) => o.type === 'Chat').map((o) => o.name),
  ]);
}

/**
 * The task data as a flat record's fields. A data key named like a control would be
 * overwritten by that control's value, so it is written as `_data_<key>` instead — what
 * Label Studio's converter does in CSV/TSV; its JSON_MIN lets the annotation overwrite
 * the data, which loses it, so here JSON_MIN renames the same way.
 */
export function dataFields(data: Record<string, unknown>, config: ParsedConfig): Record<string, unknown> {
  const controls = resultNames(config);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[controls.has(key) ? `_data_${key}` : key] = value;
  return out;
}

/**
 * The JSON_MIN records of a task: one per annotation (the data fields, the task id, one
 * key per control with its value, annotator, annotation_id, created_at, updated_at,
 * lead_time), or one with the data alone when the task has none. An annotator without an
 * account here (named by an imported file) is written by that name.
 */
export function minRecords(
  t: ExportTask,
  config: ParsedConfig,
  includeCancelled: boolean,
  options: { transcripts?: boolean; annotatorNumber?: boolean } = {},
): Record<string, unknown>[] {
  const annotations = flatAnnotations(t, includeCancelled);
  const data = dataFields(t.data, config);
  if (annotations.length === 0) {
    return [
      {
        ...data,
        id: t.id,
        annotator: null,
        annotation_id: null,
        created_at: null,
        updated_at: null,
        lead_time: null,
      },
    ];
  }
  return annotations.map((a) => {
    const record: Record<string, unknown> = { ...data, id: t.id };
    for (const [name, values] of outputsOf(a.result, config)) {
      record[name] = prettify(values);
      if (options.transcripts && values.some((v) => v.type === 'chatmessage'))
        record[`${name}_transcript`] = transcript(record[name] as unknown[]);
    }
    // JSON_MIN names a member by the integer id Label Studio's converter writes there
    // (`get_annotator(…, int_id=True)`); CSV and TSV keep the e-mail, as readers of a sheet want.
    record.annotator = options.annotatorNumber ? (a.completedByNumber ?? annotatorOf(a)) : annotatorOf(a);
    record.annotation_id = a.id;
    record.created_at = a.createdAt.toISOString();
    record.updated_at = a.updatedAt.toISOString();
    record.lead_time = a.leadTime;
    if (includeCancelled) record.was_cancelled = a.wasCancelled;
    return record;
  });
}

/** The converter's CSV transcript of a dialogue: a `role: content` line per message. */
export function transcript(messages: unknown[]): string {
  return messages
    .filter(isObject)
    .map((m) => {
      const role = m.role === undefined || m.role === null ? '' : String(m.role);
      const content = m.content === undefined || m.content === null ? '' : String(m.content);
      if (!role) return content;
      return content ? `${role}: ${content}` : `${role}:`;
    })
    .join('\n');
}

const ALWAYS_COLUMNS = [
  'annotator',
  'annotation_id',
  'created_at',
  'updated_at',
  'lead_time',
  'was_cancelled',
];

/** CSV/TSV columns as Label Studio's csv2 writer has them: every key, sorted. */
export function csvColumns(dataKeys: Iterable<string>, config: ParsedConfig): string[] {
  const controls = resultNames(config);
  const data = [...dataKeys].map((k) => (controls.has(k) ? `_data_${k}` : k));
  const keys = new Set<string>([...ALWAYS_COLUMNS, 'id', ...data]);
  for (const c of config.controls) if (c.name && c.type !== 'Relations') keys.add(c.name);
  for (const o of config.objects) {
    if (o.type !== 'Chat') continue;
    keys.add(o.name);
    keys.add(`${o.name}_transcript`);
  }
  return [...keys].sort();
}

/** A CSV/TSV row of a flat record: strings quoted (QUOTE_NONNUMERIC), nested values JSON-encoded. */
export function csvRow(
  record: Record<string, unknown>,
  columns: readonly string[],
  delimiter: string,
): string {
  const cells = columns.map((c) => {
    const v = record[c];
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return `"${s.replaceAll('"', '""')}"`;
  });
  return `${cells.join(delimiter)}\n`;
}

/** The header row of a CSV/TSV export. */
export function csvHeader(columns: readonly string[], delimiter: string): string {
  return `${columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(delimiter)}\n`;
}

// -------------------------------------------------------------------- CONLL2003

export const CONLL_HEADER = '-DOCSTART- -X- O\n';

interface Span {
  start?: unknown;
  end?: unknown;
  labels?: unknown;
}

/**
 * `text` as Label Studio's converter writes it in CoNLL 2003: Treebank tokens (punctuation
 * split off), one `token -X- _ tag` line each and a blank line after. Tags follow the
 * converter's walk over the spans sorted by start (character offsets, end exclusive): a
 * token touching the current span gets B- first and I- after; a span is left behind once a
 * token starts past its end. Spans without labels tag nothing; a span without offsets
 * leaves the whole text untagged, as the converter does.
 */
export function conllBlock(text: string, spans: readonly Span[]): string {
  const tokens = treebankSpans(text);
  const tags = conllTags(tokens, spans);
  let out = '';
  tokens.forEach(([start, end], i) => {
    out += `${text.slice(start, end)} -X- _ ${tags[i]}\n`;
  });
  return `${out}\n`;
}

function conllTags(tokens: readonly [number, number][], spans: readonly Span[]): string[] {
  const usable = spans.length > 0 && spans.every((s) => finite(s.start) && finite(s.end));
  if (!usable) return tokens.map(() => 'O');
  const queue = [...spans].sort((a, b) => (a.start as number) - (b.start as number));
  let span = queue.shift()!;
  let prefix = 'B-';
  return tokens.map(([start, end]) => {
    const last = end - 1;
    if (start > (span.end as number) - 1) {
      while (queue.length) {
        span = queue.shift()!;
        prefix = 'B-';
        if (start <= (span.end as number) - 1) break;
      }
    }
    const labels = Array.isArray(span.labels) ? span.labels : [];
    if (labels.length === 0 || last < (span.start as number) || start > (span.end as number) - 1) return 'O';
    const tag = `${prefix}${String(labels[0])}`;
    prefix = 'I-';
    return tag;
  });
}

/** The data key and Labels controls CONLL2003 needs: Text + Labels. */
export function conllSupport(config: ParsedConfig): { textKey: string; controls: Set<string> } | null {
  for (const c of config.controls) {
    if (c.type !== 'Labels') continue;
    const text = config.objects.find((o) => c.toName.includes(o.name) && o.type === 'Text');
    if (text) {
      const controls = new Set(
        config.controls.filter((x) => x.type === 'Labels' && x.toName.includes(text.name)).map((x) => x.name),
      );
      return { textKey: text.value.replace(/^\$/, ''), controls };
    }
  }
  return null;
}

/** The spans of the first Labels control an annotation filled (Label Studio takes the first). */
export function labelSpans(result: unknown[], controls: Set<string>): Span[] {
  let name: string | undefined;
  const spans: Span[] = [];
  for (const r of result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !controls.has(r.from_name)) continue;
    name ??= r.from_name;
    if (r.from_name === name && isObject(r.value)) spans.push(r.value as unknown as Span);
  }
  return spans;
}

// ------------------------------------------------------------ COCO, YOLO, VOC

/**
 * The controls whose boxes Pascal VOC writes: RectangleLabels on an image, or Labels on an
 * image a Rectangle draws on (the converter's two cases). VOC has no polygons: the
 * converter writes rectangles only, and so does this export.
 */
export function vocControls(config: ParsedConfig): { imageKey: string; controls: Set<string> } | null {
  for (const image of config.objects) {
    if (image.type !== 'Image') continue;
    const on = config.controls.filter((c) => c.toName.includes(image.name));
    const drawn = on.some((c) => c.type === 'Rectangle');
    const names = on
      .filter((c) => c.type === 'RectangleLabels' || (drawn && c.type === 'Labels'))
      .map((c) => c.name);
    if (names.length) return { imageKey: image.value.replace(/^\$/, ''), controls: new Set(names) };
  }
  return null;
}

export interface Box {
  label: string;
  /** Percent of the image, as Label Studio stores them. */
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
  originalWidth: number;
  originalHeight: number;
}

/** The labelled rectangles of an annotation that carry the image's size (`rectanglelabels`, or `labels` from a Labels control). */
export function boxesOf(result: unknown[], controls: Set<string>): Box[] {
  const boxes: Box[] = [];
  for (const r of result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !controls.has(r.from_name)) continue;
    const v = r.value;
    if (!isObject(v)) continue;
    const labels = Array.isArray(v.rectanglelabels) ? v.rectanglelabels : v.labels;
    if (!Array.isArray(labels) || labels.length === 0) continue;
    if (!finite(v.x) || !finite(v.y) || !finite(v.width) || !finite(v.height)) continue;
    if (!finite(r.original_width) || !finite(r.original_height)) continue;
    boxes.push({
      label: String(labels[0]),
      x: v.x,
      y: v.y,
      width: v.width,
      height: v.height,
      rotation: finite(v.rotation) ? v.rotation : 0,
      originalWidth: r.original_width,
      originalHeight: r.original_height,
    });
  }
  return boxes;
}

/** The annotation an image format writes for a task: a ground truth, else the newest; never a cancelled one. */
export function pickAnnotation(t: ExportTask): ExportAnnotation | undefined {
  const usable = flatAnnotations(t, false);
  return usable.find((a) => a.groundTruth) ?? usable[0];
}

/** The file name of an image reference (URL or path), without query or directories. */
export function imageFileName(ref: unknown): string {
  const s = String(ref ?? '');
  const path = s.replace(/[?#].*$/, '');
  const base = path.split('/').at(-1) ?? '';
  try {
    return decodeURIComponent(base) || 'image';
  } catch {
    return base || 'image';
  }
}

/** The name without its extension (`a/b/cat.jpg` → `cat`). */
export function stem(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

const xmlEscape = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** A Pascal VOC annotation document for one image, with the elements Label Studio writes. */
export function vocXml(options: {
  folder: string;
  fileName: string;
  annotator: string | null;
  width: number;
  height: number;
  boxes: Box[];
}): string {
  const el = (tag: string, value: string | number, indent: string) =>
    `${indent}<${tag}>${xmlEscape(String(value))}</${tag}>\n`;
  let xml = '<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n';
  xml += el('folder', options.folder, '  ');
  xml += el('filename', options.fileName, '  ');
  xml += '  <source>\n';
  xml += el('database', 'MyDatabase', '    ');
  xml += el('annotation', 'COCO2017', '    ');
  xml += el('image', 'flickr', '    ');
  xml += el('flickrid', 'NULL', '    ');
  xml += el('annotator', options.annotator ?? '', '    ');
  xml += '  </source>\n  <owner>\n';
  xml += el('flickrid', 'NULL', '    ');
  xml += el('name', 'Label Studio', '    ');
  xml += '  </owner>\n  <size>\n';
  xml += el('width', options.width, '    ');
  xml += el('height', options.height, '    ');
  xml += el('depth', 3, '    ');
  xml += '  </size>\n';
  xml += el('segmented', 0, '  ');
  for (const b of options.boxes) {
    const x = Math.trunc((b.x / 100) * options.width);
    const y = Math.trunc((b.y / 100) * options.height);
    const w = Math.trunc((b.width / 100) * options.width);
    const h = Math.trunc((b.height / 100) * options.height);
    xml += '  <object>\n';
    xml += el('name', b.label, '    ');
    xml += el('pose', 'Unspecified', '    ');
    xml += el('truncated', 0, '    ');
    xml += el('difficult', 0, '    ');
    xml += '    <bndbox>\n';
    xml += el('xmin', x, '      ');
    xml += el('ymin', y, '      ');
    xml += el('xmax', x + w, '      ');
    xml += el('ymax', y + h, '      ');
    xml += '    </bndbox>\n  </object>\n';
  }
  return `${xml}</annotation>\n`;
}

// ------------------------------------------------------------------ ASR_MANIFEST

/** The audio data key and the TextArea controls ASR_MANIFEST reads (the converter takes any TextArea). */
export function asrSupport(config: ParsedConfig): { audioKey: string; controls: Set<string> } | null {
  const audio = config.objects.find((o) => o.type === 'Audio' || o.type === 'AudioPlus');
  const areas = config.controls.filter((c) => c.type === 'TextArea').map((c) => c.name);
  if (!audio || areas.length === 0) return null;
  return { audioKey: audio.value.replace(/^\$/, ''), controls: new Set(areas) };
}

/**
 * A NeMo manifest line of an annotation, as the converter's convert_to_asr_json_manifest
 * writes it: the transcript is the first text of the first TextArea region. The converter
 * downloads the audio and writes its local path and measured duration; this export does
 * not fetch files, so `audio_filepath` is the task's audio reference and `duration` is
 * there when known — a numeric `duration` in the task data, else the audio length the
 * annotation's regions carry (`original_length`). Null when the annotation has no text.
 */
export function asrLine(
  t: ExportTask,
  a: ExportAnnotation,
  support: { audioKey: string; controls: Set<string> },
): string | null {
  let text: string | undefined;
  let length: number | undefined;
  for (const r of a.result) {
    if (!isObject(r)) continue;
    if (finite(r.original_length)) length = Math.max(length ?? 0, r.original_length);
    const v = r.value;
    if (text !== undefined || typeof r.from_name !== 'string' || !support.controls.has(r.from_name)) continue;
    if (isObject(v) && Array.isArray(v.text) && typeof v.text[0] === 'string') text = v.text[0];
  }
  if (text === undefined) return null;
  const duration = finite(t.data.duration) ? t.data.duration : length;
  return `${JSON.stringify({
    audio_filepath: dataAt(t.data, support.audioKey) ?? null,
    ...(duration !== undefined && { duration }),
    text,
    annotator: annotatorOf(a) ?? '',
  })}\n`;
}

/** The info block Label Studio puts in COCO and YOLO notes. */
export function labelStudioInfo(now = new Date()) {
  return {
    year: now.getUTCFullYear(),
    version: '1.0',
    description: '',
    contributor: 'Label Studio',
    url: '',
    date_created: now.toISOString(),
  };
}

/** Whether a config can produce a format; the reason when it cannot. */
export function formatUnsupported(format: ExportFormat, config: ParsedConfig): string | null {
  switch (format) {
    case 'CONLL2003':
      return conllSupport(config) ? null : 'CONLL2003 needs a <Labels> control on a <Text> object';
    case 'COCO':
    case 'YOLO':
    case 'YOLO_OBB':
      return imageControls(config)
        ? null
        : `${format} needs a <RectangleLabels>, <PolygonLabels> or <KeyPointLabels> control on an <Image> object`;
    case 'BRUSH_TO_PNG':
      return brushControls(config)
        ? null
        : 'BRUSH_TO_PNG needs a <BrushLabels> or <Brush> control on an <Image> object';
    case 'ASR_MANIFEST':
      return asrSupport(config) ? null : 'ASR_MANIFEST needs a <TextArea> control and an <Audio> object';
    case 'SFT_JSONL':
    case 'PREFERENCE_JSONL':
      return llmUnsupported(format, config);
    case 'VOC':
      return vocControls(config)
        ? null
        : 'VOC needs a <RectangleLabels> control (or <Rectangle> with <Labels>) on an <Image> object';
    default:
      return null;
  }
}
