import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Problem, type ProblemCode, type ProblemParams } from '../../platform/errors/problem.ts';
import { checkConfigFor, loadProject, parseLabelConfig } from '../annotation/index.ts';
import { both, IdParams } from './forward.ts';

type Parsed = ReturnType<typeof parseLabelConfig>;

const Body = Type.Object(
  { label_config: Type.Optional(Type.String({ maxLength: 1_000_000 })) },
  { additionalProperties: true },
);
// A check that changes nothing: there is nothing to audit.
const CHECK_ONLY = { audit: false } as const;
const tags = ['label-studio'];

/**
 * A refused config as both APIs say it: a problem document whose `errors` name the field,
 * and Label Studio's `validation_errors: {label_config: [...]}` beside them for its clients.
 */
function refused(code: ProblemCode, detail: string, messages: string[], params?: ProblemParams): Problem {
  return new Problem(400, code, detail, {
    params,
    errors: messages.map((message) => ({ path: 'body/label_config', message })),
    validation_errors: { label_config: messages },
  });
}

function configOf(body: { label_config?: string }): string {
  const xml = body.label_config;
  if (!xml?.trim())
    throw refused('label_config.empty', 'Label config is not set or is empty.', ['is not set or is empty']);
  return xml;
}

/** Our validator's refusal (a 400 with field errors) in Label Studio's shape too. */
async function checked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Problem && err.status === 400)
      throw refused(
        err.code,
        err.detail,
        (err.extra.errors ?? []).map((e) => e.message),
        err.params,
      );
    throw err;
  }
}

/**
 * Label Studio's "essential change": a control the old config lacks, or one whose tag,
 * objects or labels (old ones dropped) differ.
 */
function essentialChange(before: Parsed, after: Parsed): boolean {
  const old = new Map(before.controls.map((c) => [c.name, c]));
  return after.controls.some((c) => {
    const o = old.get(c.name);
    return (
      !o ||
      o.type !== c.type ||
      o.toName.join('\n') !== c.toName.join('\n') ||
      !o.labels.every((label) => c.labels.includes(label))
    );
  });
}

/** Label Studio's label config checks, through the same validator project create and update use. */
export const validateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const url of both('/projects/validate/')) {
    app.post(
      url,
      {
        config: { permission: 'projects:read', ...CHECK_ONLY },
        schema: {
          tags,
          summary: 'Label Studio: check a label config (204 when valid)',
          body: Body,
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        const xml = configOf(req.body);
        await checked(async () => parseLabelConfig(xml));
        return reply.code(204).send(null);
      },
    );
  }

  for (const url of both('/projects/:id/validate/')) {
    app.post(
      url,
      {
        config: { permission: 'projects:update', ...CHECK_ONLY },
        schema: {
          tags,
          summary:
            'Label Studio: check a label config for a project, existing tasks and annotations included (nothing is changed)',
          params: IdParams,
          body: Body,
          response: { 200: Type.Object({ config_essential_data_has_changed: Type.Boolean() }) },
        },
      },
      async (req) => {
        const xml = configOf(req.body);
        return req.read(async (db) => {
          const project = await loadProject(db, req.me, req.params.id, 'manage');
          const { parsed, conflicts } = await checked(() => checkConfigFor(db, project, xml));
          if (conflicts.length)
            throw refused(
              'project.config_drops_data',
              `The labeling config drops ${conflicts.join('; ')}.`,
              conflicts.map((c) => `drops ${c}`),
              { conflicts: conflicts.join('; ') },
            );
          return { config_essential_data_has_changed: essentialChange(project.parsedConfig, parsed) };
        });
      },
    );
  }
};
