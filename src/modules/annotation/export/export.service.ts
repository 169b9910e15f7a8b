import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, asc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { tenantMembers, users } from '../../../platform/auth/schema.ts';
import type { Tx } from '../../../platform/db/client.ts';
import { rowsOf } from '../../../platform/db/sql.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { badRequest } from '../../../platform/errors/problem.ts';
import type { Platform } from '../../../platform/index.ts';
import type { JobContext } from '../../../platform/jobs/queue.ts';
import { dataAt } from '../label-config/data-paths.ts';
import { annotations, exports, type ParsedConfig, predictions, projects, tasks } from '../schema.ts';
import { checkQuery } from '../tasks/task-search.ts';
import { searchConditions, tasksOf } from '../tasks/tasks.service.ts';
import { brushControls, brushFileName, brushMasks, decodeBrushAlpha, greyPng } from './export.brush.ts';
import {
  annotatorOf,
  asrLine,
  asrSupport,
  boxesOf,
  CONLL_HEADER,
  conllBlock,
  conllSupport,
  csvColumns,
  csvHeader,
  csvRow,
  type ExportAnnotation,
  type ExportFormat,
  type ExportTask,
  FORMAT_FILES,
  flatAnnotations,
  formatUnsupported,
  imageFileName,
  jsonTask,
  labelSpans,
  labelStudioInfo,
  minRecords,
  pickAnnotation,
  stem,
  vocControls,
  vocXml,
} from './export.formats.ts';
import {
  cocoAnnotations,
  cocoCategories,
  imageSupport,
  regionsOf,
  yoloCategories,
  yoloLines,
} from './export.images.ts';
import { llmSupport, preferenceRecords, sftRecord } from './export.llm.ts';

/**
 * Exports stream a project in keyset batches of tasks, each loaded with its annotations
 * and predictions in three queries and written out before the next batch is read, so
 * memory stays flat whatever the size of the project.
 */

export interface ExportOptions {
  format: ExportFormat;
  onlyAnnotated: boolean;
  onlyReviewed: boolean;
  includePredictions: boolean;
  includeCancelled: boolean;
  /** The data manager's search (substring, full-text, label), when given. */
  search?: string;
  q?: string;
  label?: string;
  onlyGroundTruth: boolean;
  splitLabelers: boolean;
}

export interface ExportStats {
  tasks: number;
  annotations: number;
  predictions: number;
}

export interface ExportProject {
  id: number;
  title: string;
  labelConfig: string;
  parsedConfig: ParsedConfig;
}

/** Runs one short transaction in the tenant (a request's `req.tx`, or `inTenant` in a job). */
export type RunTx = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export const EXPORT_BATCH = 1000;
/** Brush results carry a mask's RLE (megabytes for a large image): fewer tasks a batch keep memory flat. */
const BRUSH_BATCH = 50;

/** Fills in the defaults a format implies: flat formats leave cancelled annotations out, as Label Studio does. */
export function exportOptions(
  format: ExportFormat,
  q: {
    only_annotated?: boolean;
    only_reviewed?: boolean;
    include_predictions?: boolean;
    include_cancelled?: boolean;
    search?: string;
    q?: string;
    label?: string;
    only_ground_truth?: boolean;
    split_labelers?: boolean;
  },
  base = 'querystring',
): ExportOptions {
  if (q.q !== undefined) checkQuery(q.q, `${base}/q`);
  return {
    format,
    onlyAnnotated: q.only_annotated ?? false,
    onlyReviewed: q.only_reviewed ?? false,
    includePredictions: q.include_predictions ?? true,
    includeCancelled: q.include_cancelled ?? format === 'JSON',
    ...(q.search === undefined ? {} : { search: q.search }),
    ...(q.q === undefined ? {} : { q: q.q }),
    ...(q.label === undefined ? {} : { label: q.label }),
    onlyGroundTruth: q.only_ground_truth ?? false,
    splitLabelers: q.split_labelers ?? false,
  };
}

/** 400 when the project's labeling config cannot produce the format. */
export function assertFormatSupported(format: ExportFormat, config: ParsedConfig): void {
  const reason = formatUnsupported(format, config);
  if (reason)
    throw badRequest(
      'export.format_unsupported',
      `This project cannot be exported as ${format}: ${reason}.`,
      [{ path: 'querystring/format', message: reason }],
      { format, reason },
    );
}

function taskFilter(projectId: number, options: ExportOptions, after: number): SQL {
  const conditions: (SQL | undefined)[] = [eq(tasks.projectId, projectId), gt(tasks.id, after)];
  if (options.onlyAnnotated) {
    conditions.push(
      options.includeCancelled
        ? sql`(${tasks.totalAnnotations} > 0 or ${tasks.cancelledAnnotations} > 0)`
        : sql`${tasks.totalAnnotations} > 0`,
    );
  }
  if (options.onlyReviewed) {
    conditions.push(
      sql`(${tasks.status} = 'reviewed' or exists (select 1 from ${annotations} a where a.task_id = ${tasks.id} and a.review_status = 'approved'))`,
    );
  }
  const searched = searchConditions(options);
  // The search conditions are on `t`: the task itself, looked up by its key.
  if (searched.length)
    conditions.push(
      sql`exists (select 1 from ${tasksOf(options)} where t.id = ${tasks.id} and ${sql.join(searched, sql` and `)})`,
    );
  return and(...conditions)!;
}

/** Keyset batches of tasks with their annotations (and predictions when asked) loaded. */
export async function* taskBatches(
  runTx: RunTx,
  projectId: number,
  options: ExportOptions,
  batchSize = EXPORT_BATCH,
): AsyncGenerator<ExportTask[]> {
  let after = 0;
  for (;;) {
    const batch = await runTx(async (tx) => {
      // Walk the (project_id, id) index in order and stop at the limit. Statistics are stale
      // after a bulk import, and with the tenant policy's filter the planner would otherwise
      // think a handful of rows match and bitmap-scan and sort the rest of the project per batch.
      await tx.execute(sql`set local enable_bitmapscan = off`);
      const rows = await tx
        .select({
          id: tasks.id,
          projectId: tasks.projectId,
          data: tasks.data,
          meta: tasks.meta,
          createdAt: tasks.createdAt,
          updatedAt: tasks.updatedAt,
          totalAnnotations: tasks.totalAnnotations,
          cancelledAnnotations: tasks.cancelledAnnotations,
          totalPredictions: tasks.totalPredictions,
          // A scalar subquery, not a join: the walk must stay on the (project_id, id) index.
          updatedByNumber: sql<number | null>`(select m.number from ${tenantMembers} m
            where m.user_id = ${tasks.updatedBy} and m.tenant_id = ${tasks.tenantId})`,
        })
        .from(tasks)
        .where(taskFilter(projectId, options, after))
        .orderBy(asc(tasks.id))
        .limit(batchSize);
      if (rows.length === 0) return [];
      // One parameter for the batch's ids, not one per id.
      const idList = JSON.stringify(rows.map((r) => r.id));
      const byTask = new Map<number, ExportTask>();
      const out = rows.map((r): ExportTask => {
        const t: ExportTask = { ...r, annotations: [], predictions: [] };
        byTask.set(r.id, t);
        return t;
      });
      const anns = await tx
        .select({
          id: annotations.id,
          taskId: annotations.taskId,
          result: annotations.result,
          leadTime: annotations.leadTime,
          wasCancelled: annotations.wasCancelled,
          groundTruth: annotations.groundTruth,
          completedBy: annotations.completedBy,
          completedByNumber: tenantMembers.number,
          completedByEmail: users.email,
          completedByName: users.name,
          completedByExternal: annotations.completedByExternal,
          reviewStatus: annotations.reviewStatus,
          parentAnnotationId: annotations.parentAnnotationId,
          parentPredictionId: annotations.parentPredictionId,
          createdAt: annotations.createdAt,
          updatedAt: annotations.updatedAt,
        })
        .from(annotations)
        .leftJoin(users, eq(users.id, annotations.completedBy))
        .leftJoin(
          tenantMembers,
          and(
            eq(tenantMembers.userId, annotations.completedBy),
            eq(tenantMembers.tenantId, annotations.tenantId),
          ),
        )
        .where(
          // By task id alone: a project filter beside it tempts the planner (stale statistics
          // after a bulk import) into scanning the project's whole index for every batch.
          and(
            sql`${annotations.taskId} = any(array(select jsonb_array_elements_text(${idList}::jsonb)::bigint))`,
            options.includeCancelled ? undefined : eq(annotations.wasCancelled, false),
            options.onlyGroundTruth ? eq(annotations.groundTruth, true) : undefined,
          ),
        )
        .orderBy(asc(annotations.taskId), asc(annotations.id));
      for (const { taskId, ...a } of anns) byTask.get(taskId)?.annotations.push(a as ExportAnnotation);
      if (options.includePredictions && options.format === 'JSON') {
        const preds = await tx
          .select({
            id: predictions.id,
            taskId: predictions.taskId,
            result: predictions.result,
            score: predictions.score,
            modelVersion: predictions.modelVersion,
            createdAt: predictions.createdAt,
          })
          .from(predictions)
          .where(
            sql`${predictions.taskId} = any(array(select jsonb_array_elements_text(${idList}::jsonb)::bigint))`,
          )
          .orderBy(asc(predictions.taskId), asc(predictions.id));
        for (const { taskId, ...p } of preds) byTask.get(taskId)?.predictions.push(p);
      }
      return out;
    });
    if (batch.length === 0) return;
    yield batch;
    after = batch.at(-1)!.id;
    if (batch.length < batchSize) return;
  }
}

/** The top-level data keys of a project's tasks: the CSV/TSV columns beside the annotation ones. */
async function dataKeysOf(runTx: RunTx, projectId: number, config: ParsedConfig): Promise<string[]> {
  const keys = new Set(config.dataKeys);
  const rows = await runTx((tx) =>
    tx.execute(
      sql`select distinct k from ${tasks} t, jsonb_object_keys(t.data) k where t.project_id = ${projectId} limit 10000`,
    ),
  );
  for (const r of rowsOf<{ k: string }>(rows)) keys.add(r.k);
  return [...keys];
}

function count(stats: ExportStats, batch: ExportTask[]): void {
  stats.tasks += batch.length;
  for (const t of batch) {
    stats.annotations += t.annotations.length;
    stats.predictions += t.predictions.length;
  }
}

/** A JSON array streamed batch by batch, one element per line: `records` makes a task's elements. */
async function* jsonArrayChunks(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  records: (task: ExportTask) => unknown[],
) {
  let first = true;
  yield '[';
  for await (const batch of taskBatches(runTx, project.id, options)) {
    count(stats, batch);
    let chunk = '';
    for (const t of batch) {
      for (const record of records(t)) {
        chunk += `${first ? '\n' : ',\n'}${JSON.stringify(record)}`;
        first = false;
      }
    }
    yield chunk;
  }
  yield first ? ']\n' : '\n]\n';
}

async function* csvChunks(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  delimiter: string,
) {
  const columns = csvColumns(await dataKeysOf(runTx, project.id, project.parsedConfig), project.parsedConfig);
  yield csvHeader(columns, delimiter);
  for await (const batch of taskBatches(runTx, project.id, options)) {
    count(stats, batch);
    let chunk = '';
    for (const t of batch) {
      for (const record of minRecords(t, project.parsedConfig, options.includeCancelled, {
        transcripts: true,
      })) {
        if (record.annotation_id !== null) record.was_cancelled ??= false;
        chunk += csvRow(record, columns, delimiter);
      }
    }
    yield chunk;
  }
}

async function* conllChunks(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
) {
  const support = conllSupport(project.parsedConfig)!;
  yield CONLL_HEADER;
  for await (const batch of taskBatches(runTx, project.id, { ...options, includeCancelled: false })) {
    count(stats, batch);
    let chunk = '';
    for (const t of batch) {
      const text = dataAt(t.data, support.textKey);
      if (typeof text !== 'string') continue;
      const anns = [...t.annotations].sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
      );
      // A task whose annotations were all cancelled writes nothing; one never annotated writes its tokens.
      if (anns.length === 0 && t.cancelledAnnotations === 0) chunk += conllBlock(text, []);
      for (const a of anns) chunk += conllBlock(text, labelSpans(a.result, support.controls));
    }
    yield chunk;
  }
}

/**
 * The annotations an image format writes for a task, newest first. COCO writes every
 * annotation (an image entry each, as the converter does); YOLO and VOC keep one file per
 * image, so they write the ground truth or else the newest annotation, unless split by
 * labeler, when each annotation gets its own file under its annotator.
 */
function imageAnnotations(t: ExportTask, every: boolean): ExportAnnotation[] {
  if (every) return flatAnnotations(t, false);
  const a = pickAnnotation(t);
  return a ? [a] : [];
}

/** The folder of an annotator's label files when split by labeler. */
function labelerFolder(a: ExportAnnotation): string {
  return (annotatorOf(a) ?? a.completedBy ?? 'unknown').replace(/[/\\]/g, '_');
}

/**
 * COCO as one JSON object streamed in a single pass: images go out as tasks are read,
 * their annotations wait in a spool file and follow, then the categories (which may have
 * grown by labels found only in results). As the converter does, a task without
 * annotations is still an image (its size unknown: the converter would read it from the
 * file, which an export here does not fetch).
 */
async function* cocoChunks(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  spoolDir: string,
) {
  const support = imageSupport(project.parsedConfig, project.labelConfig)!;
  const categories = cocoCategories(support);
  fs.mkdirSync(spoolDir, { recursive: true });
  const spoolPath = path.join(spoolDir, `coco-${randomUUID()}.part`);
  const spool = fs.createWriteStream(spoolPath);
  try {
    yield `{"info":${JSON.stringify(labelStudioInfo())},"images":[`;
    let imageId = 0;
    let annotationId = 0;
    for await (const batch of taskBatches(runTx, project.id, { ...options, includeCancelled: false })) {
      count(stats, batch);
      let chunk = '';
      let spooled = '';
      for (const t of batch) {
        const fileName = String(dataAt(t.data, support.imageKey) ?? '');
        const anns = imageAnnotations(t, true);
        if (anns.length === 0 && t.cancelledAnnotations > 0) continue;
        if (anns.length === 0) {
          chunk += `${imageId === 0 ? '' : ','}${JSON.stringify({ width: null, height: null, id: imageId++, file_name: fileName })}`;
          continue;
        }
        for (const a of anns) {
          const image = { id: imageId, width: null as number | null, height: null as number | null };
          const written = cocoAnnotations(
            regionsOf(a.result, support),
            support,
            categories,
            image,
            annotationId,
          );
          if (!image.width) continue;
          imageId++;
          chunk += `${image.id === 0 ? '' : ','}${JSON.stringify({ width: image.width, height: image.height, id: image.id, file_name: fileName })}`;
          for (const ann of written) {
            spooled += `${annotationId === 0 ? '' : ','}${JSON.stringify(ann)}`;
            annotationId++;
          }
        }
      }
      if (spooled && !spool.write(spooled)) await once(spool, 'drain');
      yield chunk;
    }
    spool.end();
    await once(spool, 'finish');
    yield '],"annotations":[';
    for await (const piece of fs.createReadStream(spoolPath, { encoding: 'utf8', highWaterMark: 256 * 1024 }))
      yield piece as string;
    yield `],"categories":${JSON.stringify(categories.list)}}\n`;
  } finally {
    spool.destroy();
    fs.rmSync(spoolPath, { force: true });
  }
}

/**
 * A JSON-lines export streamed batch by batch: `lines` writes an annotation's lines, for
 * every non-cancelled annotation of a task, newest first.
 */
async function* annotationLines(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  lines: (task: ExportTask, annotation: ExportAnnotation) => string,
) {
  for await (const batch of taskBatches(runTx, project.id, { ...options, includeCancelled: false })) {
    count(stats, batch);
    let chunk = '';
    for (const t of batch) for (const a of flatAnnotations(t, false)) chunk += lines(t, a);
    yield chunk;
  }
}

function jsonLines(records: (Record<string, unknown> | null)[]): string {
  return records.map((r) => (r ? `${JSON.stringify(r)}\n` : '')).join('');
}

/** YOLO (boxes, or OBB corners) or VOC as a zip, entries added as tasks are read and no faster than the zip is consumed. */
async function zipStream(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  kind: 'YOLO' | 'YOLO_OBB' | 'VOC' | 'BRUSH_TO_PNG',
): Promise<Readable> {
  // Loaded on the first zip export: archiver holds ~20 MB that an idle platform does without.
  const { ZipArchive } = await import('archiver');
  const archive = new ZipArchive({ zlib: { level: 6 } });
  let added = 0;
  let written = 0;
  let wake: (() => void) | undefined;
  let aborted = false;
  archive.on('entry', () => {
    written++;
    wake?.();
  });
  // A client that goes away destroys the archive: stop reading tasks for it.
  archive.on('close', () => {
    aborted = true;
    wake?.();
  });
  const add = async (content: string | Buffer, name: string) => {
    if (aborted) throw new Error('the export stream was closed');
    // PNGs are deflated already: stored, not compressed twice.
    archive.append(content, { name, store: Buffer.isBuffer(content) });
    added++;
    while (added - written > 64 && !aborted) await new Promise<void>((resolve) => (wake = resolve));
  };
  const produce = async () => {
    const write =
      kind === 'VOC'
        ? vocWriter(project, add, options.splitLabelers)
        : kind === 'BRUSH_TO_PNG'
          ? brushWriter(project, add)
          : yoloWriter(project, add, kind === 'YOLO_OBB', options.splitLabelers);
    const batchSize = kind === 'BRUSH_TO_PNG' ? BRUSH_BATCH : EXPORT_BATCH;
    for await (const batch of taskBatches(
      runTx,
      project.id,
      { ...options, includeCancelled: false },
      batchSize,
    )) {
      count(stats, batch);
      for (const t of batch) await write.task(t);
    }
    write.finish(archive);
    await archive.finalize();
  };
  produce().catch((err) => {
    if (!aborted) archive.destroy(err);
  });
  return archive;
}

type AddEntry = (content: string | Buffer, name: string) => Promise<void>;
interface ZipWriter {
  task(t: ExportTask): Promise<void>;
  finish(archive: { append(content: string, data: { name: string }): unknown }): void;
}

/** Entry names must be unique in a zip: a second image of the same file name gets the task id appended. */
function uniqueNames() {
  const used = new Set<string>();
  return (t: ExportTask, ref: unknown) => {
    let base = stem(imageFileName(ref));
    if (used.has(base)) base = `${base}_${t.id}`;
    used.add(base);
    return base;
  };
}

/** YOLO: a label file per image (empty for an image without annotations), classes.txt and notes.json. */
function yoloWriter(project: ExportProject, add: AddEntry, obb: boolean, split: boolean): ZipWriter {
  const support = imageSupport(project.parsedConfig, project.labelConfig)!;
  const categories = yoloCategories(support);
  const nameOf = uniqueNames();
  return {
    async task(t) {
      const anns = imageAnnotations(t, split);
      if (anns.length === 0 && t.cancelledAnnotations > 0) return;
      const base = nameOf(t, dataAt(t.data, support.imageKey));
      if (anns.length === 0) await add('', `labels/${base}.txt`);
      for (const a of anns) {
        const lines = yoloLines(regionsOf(a.result, support), support, categories, obb);
        await add(lines, split ? `labels/${labelerFolder(a)}/${base}.txt` : `labels/${base}.txt`);
      }
    },
    finish(archive) {
      archive.append(categories.list.map((c) => `${c.name}\n`).join(''), { name: 'classes.txt' });
      const { year, version, contributor } = labelStudioInfo();
      archive.append(
        JSON.stringify({ categories: categories.list, info: { year, version, contributor } }, null, 2),
        {
          name: 'notes.json',
        },
      );
    },
  };
}

/** Pascal VOC: an annotation document per image with labelled rectangles. */
function vocWriter(project: ExportProject, add: AddEntry, split: boolean): ZipWriter {
  const { imageKey, controls } = vocControls(project.parsedConfig)!;
  const nameOf = uniqueNames();
  return {
    async task(t) {
      const anns = imageAnnotations(t, split).filter((a) => boxesOf(a.result, controls).length > 0);
      if (anns.length === 0) return;
      const base = nameOf(t, dataAt(t.data, imageKey));
      for (const a of anns) {
        const boxes = boxesOf(a.result, controls);
        const xml = vocXml({
          folder: 'images',
          // The image's own name, extension and all, as the converter writes it.
          fileName: imageFileName(dataAt(t.data, imageKey)),
          annotator: a.completedByEmail ?? a.completedByExternal,
          width: boxes[0]!.originalWidth,
          height: boxes[0]!.originalHeight,
          boxes,
        });
        await add(xml, split ? `Annotations/${labelerFolder(a)}/${base}.xml` : `Annotations/${base}.xml`);
      }
    },
    finish() {},
  };
}

/**
 * Brush masks as PNGs: every brush region of every non-cancelled annotation, its RLE
 * decoded to the alpha plane. A region whose RLE does not decode to its image size is
 * left out (the converter would fail on it).
 */
function brushWriter(project: ExportProject, add: AddEntry): ZipWriter {
  const controls = brushControls(project.parsedConfig)!;
  return {
    async task(t) {
      for (const a of flatAnnotations(t, false)) {
        for (const mask of brushMasks(a.result, controls)) {
          const alpha = await decodeBrushAlpha(mask.rle, mask.width * mask.height);
          if (!alpha) continue;
          const name = brushFileName(t.id, a.id, annotatorOf(a) ?? '', mask.layer);
          await add(await greyPng(mask.width, mask.height, alpha), name);
        }
      }
    },
    finish() {},
  };
}

/**
 * The export as a byte stream. `stats` fills in as it is consumed; `spoolDir` holds
 * COCO's annotation spool while it runs.
 */
export async function exportStream(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  spoolDir: string,
): Promise<Readable> {
  switch (options.format) {
    case 'JSON':
      return Readable.from(jsonArrayChunks(runTx, project, options, stats, (t) => [jsonTask(t, options)]));
    case 'JSON_MIN':
      return Readable.from(
        jsonArrayChunks(runTx, project, options, stats, (t) =>
          minRecords(t, project.parsedConfig, options.includeCancelled, { annotatorNumber: true }),
        ),
      );
    case 'CSV':
      return Readable.from(csvChunks(runTx, project, options, stats, ','));
    case 'TSV':
      return Readable.from(csvChunks(runTx, project, options, stats, '\t'));
    case 'CONLL2003':
      return Readable.from(conllChunks(runTx, project, options, stats));
    case 'COCO':
      return Readable.from(cocoChunks(runTx, project, options, stats, spoolDir));
    case 'YOLO':
    case 'YOLO_OBB':
    case 'VOC':
    case 'BRUSH_TO_PNG':
      return zipStream(runTx, project, options, stats, options.format);
    case 'ASR_MANIFEST': {
      const support = asrSupport(project.parsedConfig)!;
      return Readable.from(
        annotationLines(runTx, project, options, stats, (t, a) => asrLine(t, a, support) ?? ''),
      );
    }
    case 'SFT_JSONL':
    case 'PREFERENCE_JSONL': {
      const support = llmSupport(project.parsedConfig, project.labelConfig);
      const config = project.parsedConfig;
      const lines =
        options.format === 'SFT_JSONL'
          ? (t: ExportTask, a: ExportAnnotation) => jsonLines([sftRecord(t, a, support, config)])
          : (t: ExportTask, a: ExportAnnotation) => jsonLines(preferenceRecords(t, a, support, config));
      return Readable.from(annotationLines(runTx, project, options, stats, lines));
    }
  }
}

/** A file name for the download: project title and format. */
export function exportFileName(project: ExportProject, format: ExportFormat, ext: string): string {
  const safe = project.title.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'project';
  return `project-${project.id}-${safe}-${format.toLowerCase()}.${ext}`;
}

export function exportDir(dataDir: string, tenantId: string): string {
  return path.join(dataDir, 'exports', tenantId);
}

export interface ExportJobPayload {
  exportId: number;
  projectId: number;
}

/** The export job: writes the same stream as the GET route into a file under DATA_DIR/exports. */
export async function runExport(platform: Platform, ctx: JobContext<ExportJobPayload>) {
  const { exportId, projectId } = ctx.payload;
  const db = platform.database.db;
  const scope = { tenantId: ctx.tenantId, userId: ctx.createdBy ?? undefined };
  const runTx: RunTx = (work) => inTenant(db, scope, work);
  const { row, project } = await runTx(async (tx) => {
    const [r] = await tx.select().from(exports).where(eq(exports.id, exportId));
    const [p] = await tx
      .select()
      .from(projects)
      .where(and(eq(projects.id, projectId), isNull(projects.deletingSince)));
    if (r && p) await tx.update(exports).set({ status: 'running' }).where(eq(exports.id, exportId));
    return { row: r, project: p };
  });
  if (!row || !project) throw badRequest('export.gone', 'The export or its project no longer exists.');
  const format = row.format as ExportFormat;
  const o = row.options as Record<string, unknown>;
  // The data manager's search the request asked for, kept with the export's options.
  const searched = Object.fromEntries(
    (['search', 'q', 'label'] as const).flatMap((k) => (typeof o[k] === 'string' ? [[k, o[k]]] : [])),
  ) as Pick<ExportOptions, 'search' | 'q' | 'label'>;
  const options: ExportOptions = {
    ...searched,
    format,
    onlyAnnotated: o.onlyAnnotated === true,
    onlyReviewed: o.onlyReviewed === true,
    includePredictions: o.includePredictions !== false,
    includeCancelled: o.includeCancelled === true,
    onlyGroundTruth: o.onlyGroundTruth === true,
    splitLabelers: o.splitLabelers === true,
  };
  const dir = exportDir(platform.config.dataDir, ctx.tenantId);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${exportId}.${FORMAT_FILES[format].ext}`);
  const part = `${file}.part`;
  const stats: ExportStats = { tasks: 0, annotations: 0, predictions: 0 };
  const total = Math.max(1, project.taskCount);
  let last = 0;
  const timer = setInterval(() => {
    if (stats.tasks === last) return;
    last = stats.tasks;
    ctx.progress(Math.min(0.99, stats.tasks / total), { ...stats }).catch(() => {});
  }, 1000);
  try {
    await pipeline(
      await exportStream(
        runTx,
        project,
        options,
        stats,
        path.join(platform.config.dataDir, 'exports', 'spool'),
      ),
      fs.createWriteStream(part),
    );
    fs.renameSync(part, file);
  } catch (err) {
    fs.rmSync(part, { force: true });
    if (ctx.lastAttempt)
      await runTx((tx) =>
        tx
          .update(exports)
          .set({ status: 'failed', error: (err as Error).message, finishedAt: new Date() })
          .where(eq(exports.id, exportId)),
      );
    throw err;
  } finally {
    clearInterval(timer);
  }
  const size = fs.statSync(file).size;
  await runTx((tx) =>
    tx
      .update(exports)
      .set({
        status: 'completed',
        filePath: file,
        sizeBytes: size,
        counts: { ...stats },
        finishedAt: new Date(),
      })
      .where(eq(exports.id, exportId)),
  );
  return { export_id: exportId, size_bytes: size, ...stats };
}
