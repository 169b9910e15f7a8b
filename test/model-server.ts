import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The failure switches of test/llm-server/server.mjs (see its header). */
export interface ModelServerControl {
  fail?: { status: number; count: number; retryAfter?: number } | null;
  delayMs?: number;
  ignoreFormat?: boolean;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  apiKey: string | null;
  body: Record<string, unknown>;
}

export interface ModelServer {
  url: string;
  model: string;
  control(switches: ModelServerControl): Promise<void>;
  requests(): Promise<ReceivedRequest[]>;
  clearRequests(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the local model server (real llama.cpp inference on a tiny random-weight model) in a
 * child process on a free loopback port. The global setup installs its packages.
 */
export async function startModelServer(
  options: { apiKey?: string; model?: string } = {},
): Promise<ModelServer> {
  const model = options.model ?? 'tiny-llama';
  const child = spawn(process.execPath, [new URL('./llm-server/server.mjs', import.meta.url).pathname], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', MODEL_NAME: model, API_KEY: options.apiKey ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await firstLine(child);
  const post = async (path: string, method: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`model server ${path}: ${res.status}`);
    return res.json();
  };
  return {
    url,
    model,
    control: async (switches) => {
      await post('/_control', 'POST', { fail: null, delayMs: 0, ignoreFormat: false, ...switches });
    },
    requests: () => post('/_control/requests', 'GET') as Promise<ReceivedRequest[]>,
    clearRequests: async () => {
      await post('/_control/requests', 'DELETE');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`model server exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
}
