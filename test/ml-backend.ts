import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real ML backend on loopback speaking Label Studio's protocol (label_studio_ml/api.py):
 * GET /health, POST /setup, /predict and /webhook. Its model is a multinomial naive Bayes
 * text classifier over the project's first Choices, trained on the annotations /webhook
 * brings (ANNOTATION_CREATED/UPDATED) and on START_TRAINING, so its predictions change with
 * what people label. Test switches: Basic credentials it demands, a delay before answering,
 * garbage answers, a number of failures before it answers.
 */

interface Model {
  /** Per label: word counts and how many documents. */
  words: Map<string, Map<string, number>>;
  docs: Map<string, number>;
  vocabulary: Set<string>;
  version: number;
}

export interface Received {
  method: string;
  path: string;
  authorization: string | null;
  body: Record<string, unknown> | null;
}

export interface BackendSwitches {
  basic?: { user: string; password: string };
  /** Milliseconds to wait before answering anything (a slow or hung backend). */
  delayMs?: number;
  /** Answer /health and /predict with this instead of JSON. */
  garbage?: string | null;
  /** Fail this many next calls with 500. */
  failNext?: number;
}

const tokens = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** The first Choices of a config with the Text it labels: what the model predicts. */
function controls(config: string) {
  const choices = /<Choices\b[^>]*\bname="([^"]+)"[^>]*\btoName="([^"]+)"/.exec(config);
  if (!choices) return null;
  const text = new RegExp(`<Text\\b[^>]*\\bname="${choices[2]}"[^>]*\\bvalue="\\$([^"]+)"`).exec(config);
  const labels = [...config.matchAll(/<Choice\b[^>]*\bvalue="([^"]+)"/g)].map((m) => m[1]!);
  return { fromName: choices[1]!, toName: choices[2]!, dataKey: text?.[1] ?? 'text', labels };
}

export async function mlBackend(switches: BackendSwitches = {}) {
  const received: Received[] = [];
  const state = { ...switches };
  let config = '';
  const model: Model = { words: new Map(), docs: new Map(), vocabulary: new Set(), version: 0 };
  const trainedOn = new Set<number>();

  const learn = (text: string, label: string) => {
    model.docs.set(label, (model.docs.get(label) ?? 0) + 1);
    const counts = model.words.get(label) ?? new Map<string, number>();
    for (const w of tokens(text)) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      model.vocabulary.add(w);
    }
    model.words.set(label, counts);
  };

  /** Posterior over the labels (Laplace smoothing); uniform before any training. */
  const predictOne = (text: string, labels: string[]) => {
    const total = [...model.docs.values()].reduce((a, b) => a + b, 0);
    const logs = labels.map((label) => {
      const counts = model.words.get(label) ?? new Map<string, number>();
      const n = [...counts.values()].reduce((a, b) => a + b, 0);
      let lp = Math.log(((model.docs.get(label) ?? 0) + 1) / (total + labels.length));
      for (const w of tokens(text))
        lp += Math.log(((counts.get(w) ?? 0) + 1) / (n + model.vocabulary.size + 1));
      return lp;
    });
    const max = Math.max(...logs);
    const exp = logs.map((l) => Math.exp(l - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const probs = exp.map((e) => e / sum);
    const best = probs.indexOf(Math.max(...probs));
    return { label: labels[best]!, score: probs[best]! };
  };

  const train = (
    annotation: Record<string, unknown> | undefined,
    task: Record<string, unknown> | undefined,
  ) => {
    const c = controls(config);
    if (!c || !annotation || !task || trainedOn.has(annotation.id as number)) return false;
    const result = (annotation.result as { from_name: string; value: { choices?: string[] } }[]) ?? [];
    const choice = result.find((r) => r.from_name === c.fromName)?.value.choices?.[0];
    const text = (task.data as Record<string, unknown> | null)?.[c.dataKey];
    if (!choice || typeof text !== 'string') return false;
    trainedOn.add(annotation.id as number);
    learn(text, choice);
    model.version++;
    return true;
  };

  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };

  const route = (
    req: http.IncomingMessage,
    body: Record<string, unknown> | null,
    res: http.ServerResponse,
  ) => {
    if (state.basic) {
      const expected = `Basic ${Buffer.from(`${state.basic.user}:${state.basic.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return answer(res, 401, { error: 'unauthorized' });
    }
    if (state.failNext) {
      state.failNext--;
      return answer(res, 500, { error: 'planted failure' });
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (state.garbage != null && (path === '/health' || path === '/predict')) {
      res.statusCode = 200;
      return res.end(state.garbage);
    }
    if (req.method === 'GET' && (path === '/health' || path === '/'))
      return answer(res, 200, { status: 'UP', model_class: 'NaiveBayesText' });
    if (req.method === 'POST' && path === '/setup') {
      config = String(body?.schema ?? '');
      return answer(res, 200, { model_version: `nb-${model.version}` });
    }
    if (req.method === 'POST' && path === '/predict') {
      const c = controls(String(body?.label_config ?? config));
      const tasks = (body?.tasks as { id: number; data: Record<string, unknown> }[]) ?? [];
      if (!c) return answer(res, 400, { error: 'no Choices in the config' });
      const results = tasks.map((t) => {
        const p = predictOne(String(t.data[c.dataKey] ?? ''), c.labels);
        return {
          model_version: `nb-${model.version}`,
          score: p.score,
          result: [
            {
              from_name: c.fromName,
              to_name: c.toName,
              type: 'choices',
              value: { choices: [p.label] },
              score: p.score,
            },
          ],
        };
      });
      return answer(res, 200, { results, model_version: `nb-${model.version}` });
    }
    if (req.method === 'POST' && path === '/webhook') {
      const action = body?.action;
      if (action === 'ANNOTATION_CREATED' || action === 'ANNOTATION_UPDATED')
        train(body?.annotation as Record<string, unknown>, body?.task as Record<string, unknown>);
      return answer(res, 201, { action, model_version: `nb-${model.version}` });
    }
    return answer(res, 404, { error: `no route ${req.method} ${path}` });
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      let body: Record<string, unknown> | null = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        return answer(res, 400, { error: 'not JSON' });
      }
      received.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://x').pathname,
        authorization: req.headers.authorization ?? null,
        body,
      });
      const go = () => route(req, body, res);
      if (state.delayMs) setTimeout(go, state.delayMs);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    received,
    set(next: BackendSwitches) {
      Object.assign(state, next);
    },
    /** How many annotations the model has learnt from. */
    trainedCount: () => trainedOn.size,
    /** Asks the backend itself, as Label Studio would, what it predicts for a text. */
    async predict(text: string) {
      const res = await fetch(`${url}/predict`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(state.basic
            ? {
                authorization: `Basic ${Buffer.from(`${state.basic.user}:${state.basic.password}`).toString('base64')}`,
              }
            : {}),
        },
        body: JSON.stringify({ tasks: [{ id: 1, data: { text } }], label_config: config }),
      });
      const json = (await res.json()) as {
        results: { score: number; result: { value: { choices: string[] } }[] }[];
      };
      return { label: json.results[0]!.result[0]!.value.choices[0]!, score: json.results[0]!.score };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
