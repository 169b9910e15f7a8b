import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTenant, type TenantFixture } from './fixtures.ts';
import { type TestContext, testApp } from './helpers.ts';

/**
 * A client written against Label Studio's documented REST API (api.labelstud.io: projects,
 * import, tasks, predictions, export), as a migrating team's script would be: nothing in it
 * knows this platform. It returns what it saw, so the test can check each step.
 */
// The script reads Label Studio's JSON as its users' scripts do: untyped.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

async function labelStudioScript(host: string, apiKey: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${host}${path}`, {
      method,
      headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  const me = await call('GET', '/api/current-user/whoami');
  const project = await call('POST', '/api/projects/', {
    title: 'Reviews',
    description: 'Sentiment of product reviews',
    label_config: `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/>
  </Choices>
</View>`,
  });
  const imported = await call('POST', `/api/projects/${project.id}/import`, [
    { data: { text: 'Great value, works well.' } },
    { data: { text: 'Broke after a day.' } },
    {
      data: { text: 'Fine.' },
      annotations: [
        {
          result: [
            { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
          ],
          completed_by: me.id,
        },
      ],
    },
  ]);
  const page = await call('GET', `/api/tasks/?project=${project.id}&page=1&page_size=2`);
  const rest = await call('GET', `/api/tasks/?project=${project.id}&page=2&page_size=2`);
  const tasks = [...page.tasks, ...rest.tasks];
  const prediction = await call('POST', '/api/predictions/', {
    task: tasks[0].id,
    result: [{ from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } }],
    score: 0.87,
    model_version: 'sentiment-v1',
  });
  const task = await call('GET', `/api/tasks/${tasks[0].id}/`);
  const annotations = await call('GET', `/api/tasks/${tasks[2].id}/annotations/`);
  const exported = await call(
    'GET',
    `/api/projects/${project.id}/export?exportType=JSON&download_all_tasks=true`,
  );
  const annotatedOnly = await call('GET', `/api/projects/${project.id}/export?exportType=JSON`);
  const renamed = await call('PATCH', `/api/projects/${project.id}/`, { title: 'Reviews (done)' });
  const projects = await call('GET', '/api/projects/');
  await call('DELETE', `/api/projects/${project.id}/`);
  return {
    me,
    project,
    imported,
    page,
    tasks,
    prediction,
    task,
    annotations,
    exported,
    annotatedOnly,
    renamed,
    projects,
  };
}

describe('Label Studio REST API', () => {
  let ctx: TestContext;
  let t: TenantFixture;
  let server: http.Server;
  let host: string;
  let apiKey: string;

  beforeAll(async () => {
    ctx = await testApp();
    t = await newTenant(ctx);
    // A real listener, so the script talks HTTP as it would to Label Studio.
    server = http.createServer((req, res) => ctx.app.routing(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = await t.as(t.owner, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'ls-script', permissions: ['*'] },
    });
    expect(token.statusCode).toBe(201);
    apiKey = token.json().token;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('runs a script written for Label Studio unchanged: project, import, tasks, prediction, export', async () => {
    const seen = await labelStudioScript(host, apiKey);
    expect(seen.me).toMatchObject({ id: t.owner.number, email: t.owner.email });
    expect(seen.project).toMatchObject({ id: expect.any(Number), title: 'Reviews', task_number: 0 });
    expect(seen.imported).toMatchObject({ task_count: 3, annotation_count: 1, prediction_count: 0 });
    expect(seen.page).toMatchObject({ total: 3, total_annotations: 0 });
    expect(seen.page.tasks).toHaveLength(2);
    expect(seen.tasks.map((x: { data: { text: string } }) => x.data.text)).toEqual([
      'Great value, works well.',
      'Broke after a day.',
      'Fine.',
    ]);
    expect(seen.prediction).toMatchObject({
      task: seen.tasks[0].id,
      score: 0.87,
      model_version: 'sentiment-v1',
    });
    expect(seen.task).toMatchObject({ id: seen.tasks[0].id, total_predictions: 1, annotations: [] });
    expect(seen.task.predictions[0]).toMatchObject({ model_version: 'sentiment-v1' });
    // A bare integer names no one here (it may be another installation's): kept, unassigned.
    expect(seen.annotations).toHaveLength(1);
    expect(seen.annotations[0]).toMatchObject({ completed_by: null, task: seen.tasks[2].id });
    expect(seen.exported).toHaveLength(3);
    expect(seen.exported[0].predictions[0]).toMatchObject({ score: 0.87 });
    // Label Studio exports only annotated tasks unless asked for all.
    expect(seen.annotatedOnly.map((x: { data: { text: string } }) => x.data.text)).toEqual(['Fine.']);
    expect(seen.renamed.title).toBe('Reviews (done)');
    expect(seen.projects.results.map((p: { id: number }) => p.id)).toContain(seen.project.id);
    const gone = await t.as(t.owner, { method: 'GET', url: `/api/v1/projects/${seen.project.id}` });
    expect(gone.statusCode).toBe(404);
  });

  it('takes Token only for API keys, and passes refusals on as problems', async () => {
    const session = await fetch(`${host}/api/current-user/whoami`, {
      headers: { Authorization: `Token ${t.owner.token}` },
    });
    expect(session.status).toBe(401);
    const missing = await fetch(`${host}/api/projects/999999999/`, {
      headers: { Authorization: `Token ${apiKey}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const bad = await fetch(`${host}/api/projects/`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'x', label_config: '<View><Nope/></View>' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('audits what the script changes once, as /api/v1 does', async () => {
    const created = await fetch(`${host}/api/projects/`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Audited' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const log = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/audit/logs?resource_type=project&resource_id=${id}`,
    });
    expect(log.statusCode).toBe(200);
    expect(log.json().items.map((r: { action: string }) => r.action)).toEqual(['project.created']);
  });
});
