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
import { annotations, exports, type ParsedConfig, predictions, projects, tasks } from '../schema.ts';
import {
  boxesOf,
  Categories,
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
  formatUnsupported,
  imageFileName,
  imageSupport,
  jsonTask,
  labelSpans,
  labelStudioInfo,
  minRecords,
  pickAnnotation,
  pixelBox,
  stem,
  vocXml,
  yoloLine,
} from './export.formats.ts';

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
}

export interface ExportStats {
  tasks: number;
  annotations: number;
  predictions: number;
}

export interface ExportProject {
  id: number;
  title: string;
  parsedConfig: ParsedConfig;
}

/** Runs one short transaction in the tenant (a request's `req.tx`, or `inTenant` in a job). */
export type RunTx = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export const EXPORT_BATCH = 1000;

/** Fills in the defaults a format implies: flat formats leave cancelled annotations out, as Label Studio does. */
export function exportOptions(
  format: ExportFormat,
  q: {
    only_annotated?: boolean;
    only_reviewed?: boolean;
    include_predictions?: boolean;
    include_cancelled?: boolean;
  },
): ExportOptions {
  return {
    format,
    onlyAnnotated: q.only_annotated ?? false,
    onlyReviewed: q.only_reviewed ?? false,
    includePredictions: q.include_predictions ?? true,
    includeCancelled: q.include_cancelled ?? format === 'JSON',
  };
}

/** 400 when the project's labeling config cannot produce the format. */
export function assertFormatSupported(format: ExportFormat, config: ParsedConfig): void {
  const reason = formatUnsupported(format, config);
  if (reason)
    throw badRequest(`This project cannot be exported as ${format}: ${reason}.`, [
      { path: 'querystring/format', message: reason },
    ]);
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
      for (const record of minRecords(t, project.parsedConfig, options.includeCancelled)) {
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
      const text = t.data[support.textKey];
      if (typeof text !== 'string') continue;
      const anns = [...t.annotations].sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
      );
      if (anns.length === 0) chunk += conllBlock(text, []);
      for (const a of anns) chunk += conllBlock(text, labelSpans(a.result, support.controls));
    }
    yield chunk;
  }
}

/**
 * COCO as one JSON object streamed in a single pass: images go out as tasks are read,
 * their annotations wait in a spool file and follow, then the categories (which may have
 * grown by labels found only in results).
 */
async function* cocoChunks(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  spoolDir: string,
) {
  const support = imageSupport(project.parsedConfig)!;
  const categories = new Categories(support.categories);
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
        const a = pickAnnotation(t);
        const boxes = a ? boxesOf(a.result, support.controls) : [];
        if (boxes.length === 0) continue;
        const id = imageId++;
        chunk += `${id === 0 ? '' : ','}${JSON.stringify({
          width: boxes[0]!.originalWidth,
          height: boxes[0]!.originalHeight,
          id,
          file_name: String(t.data[support.imageKey] ?? ''),
        })}`;
        for (const b of boxes) {
          const [x, y, w, h] = pixelBox(b);
          spooled += `${annotationId === 0 ? '' : ','}${JSON.stringify({
            id: annotationId++,
            image_id: id,
            category_id: categories.idOf(b.label),
            segmentation: [],
            bbox: [x, y, w, h],
            ignore: 0,
            iscrowd: 0,
            area: w * h,
          })}`;
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
    yield `],"categories":${JSON.stringify(categories.list())}}\n`;
  } finally {
    spool.destroy();
    fs.rmSync(spoolPath, { force: true });
  }
}

/** YOLO or VOC as a zip, entries added as tasks are read and no faster than the zip is consumed. */
async function zipStream(
  runTx: RunTx,
  project: ExportProject,
  options: ExportOptions,
  stats: ExportStats,
  kind: 'YOLO' | 'VOC',
): Promise<Readable> {
  const support = imageSupport(project.parsedConfig)!;
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
  const add = async (content: string, name: string) => {
    if (aborted) throw new Error('the export stream was closed');
    archive.append(content, { name });
    added++;
    while (added - written > 64 && !aborted) await new Promise<void>((resolve) => (wake = resolve));
  };
  const produce = async () => {
    const categories = new Categories(support.categories);
    // Entry names must be unique in a zip; two images with the same file name get the task id appended.
    const used = new Set<string>();
    for await (const batch of taskBatches(runTx, project.id, { ...options, includeCancelled: false })) {
      count(stats, batch);
      for (const t of batch) {
        const a = pickAnnotation(t);
        const boxes = a ? boxesOf(a.result, support.controls) : [];
        if (!a || boxes.length === 0) continue;
        const fileName = imageFileName(t.data[support.imageKey]);
        let base = stem(fileName);
        if (used.has(base)) base = `${base}_${t.id}`;
        used.add(base);
        if (kind === 'YOLO') {
          const lines = boxes.map((b) => yoloLine(categories.idOf(b.label), b)).join('');
          await add(lines, `labels/${base}.txt`);
        } else {
          const xml = vocXml({
            folder: 'images',
            fileName: base,
            annotator: a.completedByEmail ?? a.completedByExternal,
            width: boxes[0]!.originalWidth,
            height: boxes[0]!.originalHeight,
            boxes,
          });
          await add(xml, `Annotations/${base}.xml`);
        }
      }
    }
    if (kind === 'YOLO') {
      archive.append(categories.names.map((n) => `${n}\n`).join(''), { name: 'classes.txt' });
      const { year, version, contributor } = labelStudioInfo();
      archive.append(
        JSON.stringify({ categories: categories.list(), info: { year, version, contributor } }, null, 2),
        { name: 'notes.json' },
      );
    }
    await archive.finalize();
  };
  produce().catch((err) => {
    if (!aborted) archive.destroy(err);
  });
  return archive;
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
          minRecords(t, project.parsedConfig, options.includeCancelled),
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
    case 'VOC':
      return zipStream(runTx, project, options, stats, options.format);
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
  if (!row || !project) throw badRequest('The export or its project no longer exists.');
  const format = row.format as ExportFormat;
  const o = row.options as Record<string, boolean>;
  const options = {
    format,
    onlyAnnotated: o.onlyAnnotated === true,
    onlyReviewed: o.onlyReviewed === true,
    includePredictions: o.includePredictions !== false,
    includeCancelled: o.includeCancelled === true,
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
