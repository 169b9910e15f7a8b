import { OutboundError } from '../../../platform/http/outbound.ts';
import type { Platform } from '../../../platform/index.ts';
import type { BackendAuth } from '../schema.ts';

/** Where and how to reach one backend; the secret already unsealed. */
export interface BackendEndpoint {
  url: string;
  authMethod: BackendAuth;
  basicUser: string | null;
  secret: string | null;
  timeoutMs: number;
}

export type BackendFailure = 'timeout' | 'network' | 'refused' | 'http' | 'bad_answer';

/** A call that did not get a usable answer, said the way the backend's owner can act on it. */
export class BackendError extends Error {
  constructor(
    readonly kind: BackendFailure,
    message: string,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
  }
}

/** Answers larger than this are refused: a /predict for a batch of tasks stays well under it. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

function authHeader(ep: BackendEndpoint): Record<string, string> {
  if (ep.authMethod === 'basic')
    return {
      authorization: `Basic ${Buffer.from(`${ep.basicUser ?? ''}:${ep.secret ?? ''}`).toString('base64')}`,
    };
  if (ep.authMethod === 'bearer') return { authorization: `Bearer ${ep.secret ?? ''}` };
  return {};
}

/** The backend's root with `path` appended (a root with a path of its own keeps it). */
export function endpointUrl(root: string, path: string): string {
  return `${root.replace(/\/+$/, '')}${path}`;
}

export interface Answer {
  status: number;
  json: unknown;
}

/** One HTTP exchange through the guarded outbound client; a non-2xx or non-JSON answer fails. */
export async function callBackend(
  platform: Platform,
  ep: BackendEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Answer> {
  let res: Awaited<ReturnType<Platform['outbound']['request']>>;
  try {
    res = await platform.outbound.request(endpointUrl(ep.url, path), {
      method,
      timeoutMs: ep.timeoutMs,
      maxResponseBytes: MAX_ANSWER_BYTES,
      headers: {
        accept: 'application/json',
        'user-agent': 'SuperInsight-ML/1',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...authHeader(ep),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    if (err instanceof OutboundError) {
      const kind =
        err.reason === 'timeout' ? 'timeout' : err.reason === 'refused_address' ? 'refused' : 'network';
      const what =
        kind === 'timeout'
          ? `did not answer within ${ep.timeoutMs} ms`
          : `could not be reached: ${err.message}`;
      throw new BackendError(kind, `${method} ${path}: the backend ${what}`);
    }
    throw err;
  }
  const text = res.body.toString('utf8');
  if (res.status < 200 || res.status >= 300)
    throw new BackendError(
      'http',
      `${method} ${path}: the backend answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`,
      res.status,
    );
  try {
    return { status: res.status, json: text ? JSON.parse(text) : null };
  } catch {
    throw new BackendError('bad_answer', `${method} ${path}: the backend's answer is not JSON`, res.status);
  }
}

/** GET /health must answer `{status: "UP"}`; `model_class` is kept when given. */
export async function health(
  platform: Platform,
  ep: BackendEndpoint,
): Promise<{ modelClass: string | null }> {
  const { json, status } = await callBackend(platform, ep, 'GET', '/health');
  const body = json as { status?: unknown; model_class?: unknown } | null;
  if (body?.status !== 'UP')
    throw new BackendError(
      'bad_answer',
      `GET /health: the backend answered status ${JSON.stringify(body?.status ?? null)}, not "UP"`,
      status,
    );
  return { modelClass: typeof body.model_class === 'string' ? body.model_class : null };
}

export interface SetupInput {
  /** Label Studio's `<project id>.<created timestamp>`, which backends key their models by. */
  project: string;
  schema: string;
  hostname: string;
  accessToken: string;
  extraParams: Record<string, unknown>;
}

/** POST /setup: hands the backend the project's config; answers the model version it serves. */
export async function setup(
  platform: Platform,
  ep: BackendEndpoint,
  input: SetupInput,
): Promise<string | null> {
  const { json } = await callBackend(platform, ep, 'POST', '/setup', {
    project: input.project,
    schema: input.schema,
    hostname: input.hostname,
    access_token: input.accessToken,
    extra_params: input.extraParams,
  });
  const version = (json as { model_version?: unknown } | null)?.model_version;
  if (version === undefined || version === null) return null;
  return String(version);
}

/** POST /webhook: `{action, ...payload}` as Label Studio sends its events; any 2xx is taken. */
export async function webhook(
  platform: Platform,
  ep: BackendEndpoint,
  action: string,
  payload: Record<string, unknown>,
): Promise<void> {
  await callBackend(platform, ep, 'POST', '/webhook', { action, ...payload });
}
