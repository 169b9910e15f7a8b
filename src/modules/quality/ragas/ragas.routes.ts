import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../../platform/db/pagination.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../../annotation/index.ts';
import { RAGAS_JOB } from './ragas.jobs.ts';
import { NON_LLM_METRICS, type NonLlmMetric } from './ragas.metrics.ts';
import {
  datasetSummaries,
  evaluateRecords,
  getRecord,
  INLINE_WORK,
  insertRecords,
  listRecords,
  type RagasRow,
  workOf,
} from './ragas.service.ts';

/** Ragas' LLM-based metrics: accepted names, computed once an LLM is configured for Ragas. */
export const LLM_METRICS = [
  'faithfulness',
  'answer_relevancy',
  'llm_context_precision_with_reference',
  'context_recall',
];

const MAX_RECORDS = 1000;
const Text = (max: number) => Type.String({ maxLength: max });
const Contexts = Type.Array(Text(100_000), { maxItems: 100 });
const Dataset = Type.String({ minLength: 1, maxLength: 200 });

const RecordIn = Type.Object(
  {
    question: Type.Optional(Text(100_000)),
    answer: Type.Optional(Text(100_000)),
    contexts: Type.Optional(Contexts),
    reference: Type.Optional(Text(100_000)),
    reference_contexts: Type.Optional(Contexts),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

const RecordOut = Type.Object({
  id: Type.Integer(),
  dataset: Type.String(),
  project: Nullable(Type.Integer()),
  question: Nullable(Type.String()),
  answer: Nullable(Type.String()),
  contexts: Type.Array(Type.String()),
  reference: Nullable(Type.String()),
  reference_contexts: Type.Array(Type.String()),
  metrics: Type.Record(Type.String(), Type.Number(), { description: "Scores by Ragas' metric names" }),
  skipped: Type.Record(Type.String(), Type.String(), { description: 'Metrics without a score, and why' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  created_at: DateTime,
  evaluated_at: Nullable(DateTime),
});

const Summary = Type.Object({
  dataset: Type.String(),
  records: Type.Integer(),
  evaluated: Type.Integer(),
  metrics: Type.Record(
    Type.String(),
    Type.Object({ mean: Type.Number(), min: Type.Number(), max: Type.Number(), count: Type.Integer() }),
  ),
  last_evaluated_at: Nullable(DateTime),
});

function recordView(r: RagasRow) {
  return {
    id: r.id,
    dataset: r.dataset,
    project: r.projectId,
    question: r.question,
    answer: r.answer,
    contexts: r.contexts,
    reference: r.reference,
    reference_contexts: r.referenceContexts,
    metrics: r.metrics,
    skipped: r.skipped,
    metadata: r.metadata,
    created_at: r.createdAt,
    evaluated_at: r.evaluatedAt,
  };
}

export const ragasRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  app.post(
    '/quality/ragas/evaluations',
    {
      config: { permission: 'quality:manage' },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['quality'],
        summary: 'Imports a batch of RAG records into a dataset and scores them with Ragas’ non-LLM metrics',
        description: `Up to ${MAX_RECORDS} records. Metrics: ${NON_LLM_METRICS.join(', ')} (all by default); a metric whose fields a record lacks is listed in its \`skipped\`. Small batches are scored in the request (201); large ones, or with background: true, by a job (202, follow GET /jobs/{job_id}). The LLM-based metrics (${LLM_METRICS.join(', ')}) need the LLM integration and are refused for now.`,
        body: Type.Object(
          {
            dataset: Dataset,
            project_id: Type.Optional(Type.Integer({ minimum: 1 })),
            metrics: Type.Optional(
              Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 20 }),
            ),
            records: Type.Array(RecordIn, { minItems: 1, maxItems: MAX_RECORDS }),
            background: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ dataset: Type.String(), job_id: Nullable(Uuid), items: Type.Array(RecordOut) }),
          202: Type.Object({ dataset: Type.String(), job_id: Nullable(Uuid), items: Type.Array(RecordOut) }),
        },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const scope = { tenantId: p.tenantId, userId: p.userId };
      const metrics = (req.body.metrics ?? [...NON_LLM_METRICS]) as NonLlmMetric[];
      metrics.forEach((m, i) => {
        if ((NON_LLM_METRICS as readonly string[]).includes(m)) return;
        const llm = LLM_METRICS.includes(m);
        throw badRequest(
          llm
            ? `${m} is an LLM-based Ragas metric; it comes with the LLM integration.`
            : `${m} is not a Ragas metric this platform computes (${NON_LLM_METRICS.join(', ')}).`,
          [{ path: `body/metrics/${i}`, message: llm ? 'needs an LLM' : 'is unknown' }],
        );
      });
      const inline = !req.body.background && workOf(req.body.records) <= INLINE_WORK;
      const out = await req.tx(async (tx) => {
        if (req.body.project_id !== undefined) await loadProject(tx, p, req.body.project_id, 'read');
        const rows = await insertRecords(tx, scope, {
          dataset: req.body.dataset,
          projectId: req.body.project_id,
          records: req.body.records,
        });
        let jobId: string | null = null;
        let items = rows;
        if (inline) items = await evaluateRecords(tx, rows, metrics);
        else
          jobId = await platform.queue.enqueue(tx, {
            tenantId: p.tenantId,
            kind: RAGAS_JOB,
            payload: { ids: rows.map((r) => r.id), metrics },
            createdBy: p.userId,
          });
        req.audit({
          action: 'quality.ragas_import',
          resourceType: 'ragas_dataset',
          resourceId: req.body.dataset,
          details: { records: rows.length, metrics, job: jobId },
        });
        return { dataset: req.body.dataset, job_id: jobId, items: items.map(recordView) };
      });
      return reply.code(inline ? 201 : 202).send(out);
    },
  );

  app.get(
    '/quality/ragas/evaluations',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: 'Ragas records with their scores, in import order',
        querystring: Type.Object({ ...PageQuery, dataset: Type.Optional(Dataset) }),
        response: { 200: pageOf(RecordOut) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const limit = req.query.limit ?? 50;
        const cursor = decodeCursor(req.query.cursor, 1);
        const rows = await listRecords(tx, {
          dataset: req.query.dataset,
          after: cursor ? Number(cursor[0]) : undefined,
          limit,
        });
        const page = toPage(rows, limit, (r) => [r.id]);
        return { next_cursor: page.next_cursor, items: page.items.map(recordView) };
      }),
  );

  app.get(
    '/quality/ragas/evaluations/:id',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: 'One Ragas record',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: RecordOut },
      },
    },
    async (req) => {
      const row = await req.tx((tx) => getRecord(tx, req.params.id));
      if (!row) throw notFound('The Ragas record');
      return recordView(row);
    },
  );

  app.get(
    '/quality/ragas/datasets',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: 'Per dataset: records, and the mean, min and max of each metric',
        response: { 200: Type.Object({ items: Type.Array(Summary) }) },
      },
    },
    async (req) => ({ items: await req.tx((tx) => datasetSummaries(tx)) }),
  );

  app.get(
    '/quality/ragas/datasets/:dataset',
    {
      config: { permission: 'quality:read' },
      schema: {
        tags: ['quality'],
        summary: "One dataset's summary",
        params: Type.Object({ dataset: Dataset }),
        response: { 200: Summary },
      },
    },
    async (req) => {
      const [summary] = await req.tx((tx) => datasetSummaries(tx, req.params.dataset));
      if (!summary) throw notFound('The dataset');
      return summary;
    },
  );
};
