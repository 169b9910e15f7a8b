import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../../platform/db/pagination.ts';
import { badRequest, notFound } from '../../../platform/errors/problem.ts';
import { DateTime, Nullable, Uuid } from '../../../platform/http/schemas.ts';
import { loadProject } from '../../annotation/index.ts';
import { RAGAS_JOB } from './ragas.jobs.ts';
import { DEFAULT_LLM_LIMITS, LLM_METRICS, type LlmLimits, type LlmMetric } from './ragas.llm.ts';
import { NON_LLM_METRICS, type NonLlmMetric } from './ragas.metrics.ts';
import {
  datasetSummaries,
  estimateLlmRun,
  evaluateRecords,
  getRecord,
  INLINE_WORK,
  insertRecords,
  listRecords,
  type RagasRow,
  workOf,
} from './ragas.service.ts';

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
  details: Type.Record(Type.String(), Type.Unknown(), {
    description: "Per LLM-based metric, the model's verdicts behind its score",
  }),
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

const Limits = Type.Object(
  {
    max_statements: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    max_chars: Type.Optional(Type.Integer({ minimum: 10, maximum: 2000 })),
  },
  {
    additionalProperties: false,
    description: `Bounds on the model's replies, which also bound the cost: statements per answer (default ${DEFAULT_LLM_LIMITS.max_statements}) and characters per text (default ${DEFAULT_LLM_LIMITS.max_chars}).`,
  },
);
const MetricNames = Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 20 });
const EvaluationIn = {
  metrics: Type.Optional(MetricNames),
  records: Type.Array(RecordIn, { minItems: 1, maxItems: MAX_RECORDS }),
  llm_limits: Type.Optional(Limits),
};
const Estimate = Type.Object({
  calls: Type.Integer(),
  tokens_in: Type.Integer({ description: 'Counted with gpt-tokenizer' }),
  max_tokens_out: Type.Integer({ description: "The calls' max_tokens: replies cannot be longer" }),
  costs: Type.Array(
    Type.Object({
      currency: Nullable(Type.String()),
      cost_in: Type.String({ description: 'The input side, exact at registry prices' }),
      max_cost: Type.String({ description: 'With every reply at its limit: an upper bound' }),
    }),
  ),
  models: Type.Array(
    Type.Object({ need: Type.String(), configuration_id: Type.Integer(), model: Type.String() }),
  ),
});

/** Splits the metric names asked for into the two kinds, refusing unknown ones. */
function metricsOf(names: readonly string[] | undefined): { plain: NonLlmMetric[]; llm: LlmMetric[] } {
  if (names === undefined) return { plain: [...NON_LLM_METRICS], llm: [] };
  const plain: NonLlmMetric[] = [];
  const llm: LlmMetric[] = [];
  names.forEach((m, i) => {
    if ((NON_LLM_METRICS as readonly string[]).includes(m)) plain.push(m as NonLlmMetric);
    else if ((LLM_METRICS as readonly string[]).includes(m)) llm.push(m as LlmMetric);
    else
      throw badRequest(
        'ragas.invalid',
        `${m} is not a Ragas metric this platform computes (${[...NON_LLM_METRICS, ...LLM_METRICS].join(', ')}).`,
        [{ path: `body/metrics/${i}`, message: 'is unknown' }],
        { metric: m },
      );
  });
  return { plain, llm };
}

const limitsOf = (l: Partial<LlmLimits> | undefined): LlmLimits => ({ ...DEFAULT_LLM_LIMITS, ...l });

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
    details: r.details,
    metadata: r.metadata,
    created_at: r.createdAt,
    evaluated_at: r.evaluatedAt,
  };
}

export const ragasRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const platform = app.platform;

  const llmContext = (req: FastifyRequest) => ({
    tenantId: req.me.tenantId,
    userId: req.me.userId,
    feature: 'ragas' as const,
    requestId: String(req.id),
  });

  app.post(
    '/quality/ragas/evaluations',
    {
      config: { permission: 'quality:manage' },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['quality'],
        summary: "Imports a batch of RAG records into a dataset and scores them with Ragas' metrics",
        description: `Up to ${MAX_RECORDS} records. Metrics without a model: ${NON_LLM_METRICS.join(', ')} (all by default); with the LLM of the tenant's \`ragas\` binding: ${LLM_METRICS.join(', ')} (answer_relevancy also needs its embedding model). A metric whose fields a record lacks is listed in its \`skipped\`. Small batches without LLM metrics are scored in the request (201); large ones, with background: true or with an LLM metric, by a job (202, follow GET /jobs/{job_id}); the response then carries the run's cost estimate, and the run's LLM calls are in GET /llm/usage?request_id={job_id}.`,
        body: Type.Object(
          {
            dataset: Dataset,
            project_id: Type.Optional(Type.Integer({ minimum: 1 })),
            ...EvaluationIn,
            background: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ dataset: Type.String(), job_id: Nullable(Uuid), items: Type.Array(RecordOut) }),
          202: Type.Object({
            dataset: Type.String(),
            job_id: Nullable(Uuid),
            items: Type.Array(RecordOut),
            estimate: Nullable(Estimate),
          }),
        },
      },
    },
    async (req, reply) => {
      const p = req.me;
      const scope = { tenantId: p.tenantId, userId: p.userId };
      const { plain, llm } = metricsOf(req.body.metrics);
      const limits = limitsOf(req.body.llm_limits);
      // Refused before anything is stored when the LLM calls could not be made.
      const estimate = llm.length
        ? await estimateLlmRun(platform, llmContext(req), req.body.records, llm, limits)
        : null;
      const inline = !req.body.background && !llm.length && workOf(req.body.records) <= INLINE_WORK;
      const out = await req.tx(async (tx) => {
        if (req.body.project_id !== undefined) await loadProject(tx, p, req.body.project_id, 'read');
        const rows = await insertRecords(tx, scope, {
          dataset: req.body.dataset,
          projectId: req.body.project_id,
          records: req.body.records,
        });
        let jobId: string | null = null;
        let items = rows;
        if (inline) items = await evaluateRecords(tx, rows, plain);
        else
          jobId = await platform.queue.enqueue(tx, {
            tenantId: p.tenantId,
            kind: RAGAS_JOB,
            payload: {
              ids: rows.map((r) => r.id),
              metrics: plain,
              ...(llm.length ? { llm_metrics: llm, llm_limits: limits } : {}),
            },
            createdBy: p.userId,
          });
        req.audit({
          action: 'quality.ragas_import',
          resourceType: 'ragas_dataset',
          resourceId: req.body.dataset,
          details: { records: rows.length, metrics: [...plain, ...llm], job: jobId, estimate },
        });
        return { dataset: req.body.dataset, job_id: jobId, items: items.map(recordView) };
      });
      if (inline) return reply.code(201).send(out);
      return reply.code(202).send({ ...out, estimate });
    },
  );

  app.post(
    '/quality/ragas/estimates',
    {
      config: { permission: 'quality:manage', audit: false },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['quality'],
        summary: "What scoring these records with Ragas' LLM metrics would cost, without running it",
        body: Type.Object({ ...EvaluationIn, metrics: MetricNames }, { additionalProperties: false }),
        response: { 200: Estimate },
      },
    },
    async (req) => {
      const { llm } = metricsOf(req.body.metrics);
      const limits = limitsOf(req.body.llm_limits);
      return estimateLlmRun(platform, llmContext(req), req.body.records, llm, limits);
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
      if (!row) throw notFound('ragas_record.not_found', 'The Ragas record');
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
      if (!summary) throw notFound('dataset.not_found', 'The dataset');
      return summary;
    },
  );
};
