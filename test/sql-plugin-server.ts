import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the plugin answers: by its map, or misbehaving in one of the ways the platform must survive. */
export type PluginMode = 'map' | 'slow' | 'error' | 'garbage' | 'off_contract' | 'delete';

export interface PluginAnswer {
  sql: string;
  params?: unknown[];
  confidence?: number;
}

/**
 * A real third-party text-to-SQL plugin on loopback implementing the contract in the
 * README: it checks the bearer key and answers questions from `answers`, or says it cannot.
 * `mode` switches it to answering slowly, with HTTP 500, with text that is not JSON, with
 * JSON outside the contract, or with a DELETE. It records every request it received.
 */
export async function pluginServer(key: string, answers: Record<string, PluginAnswer>) {
  const state = { mode: 'map' as PluginMode, slowMs: 2000 };
  const received: { authorization: string | undefined; body: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ authorization: req.headers.authorization, body });
      const send = (status: number, payload: string) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' }).end(payload);
      };
      if (req.headers.authorization !== `Bearer ${key}`) return send(401, '{"error":"bad key"}');
      const answer = answers[String(body.question)];
      const reply = () => (answer ? answer : { cannot_answer: `I know nothing about “${body.question}”.` });
      switch (state.mode) {
        case 'slow':
          return setTimeout(() => send(200, JSON.stringify(reply())), state.slowMs);
        case 'error':
          return send(500, '{"error":"internal"}');
        case 'garbage':
          return send(200, '<html>not json</html>');
        case 'off_contract':
          return send(200, JSON.stringify({ query: 'select 1' }));
        case 'delete':
          return send(200, JSON.stringify({ sql: 'delete from tasks', confidence: 0.99 }));
        default:
          return send(200, JSON.stringify(reply()));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/text-to-sql`,
    received,
    setMode: (mode: PluginMode) => {
      state.mode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
