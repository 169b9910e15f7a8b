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

const SENTIMENT = `<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/>
  </Choices>
</View>`;
const choice = (value: string) => [
  { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

/**
 * The rest of what Label Studio's docs and SDK show a script doing: check a config, upload
 * files, annotate, take an export snapshot and download it, register a webhook.
 */
async function labelStudioWorkflow(host: string, apiKey: string) {
  const auth = { Authorization: `Token ${apiKey}` };
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${host}${path}`, {
      method,
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  const status = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${host}${path}`, {
        method,
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).status;
  const me = await call('GET', '/api/current-user/whoami');
  const bareValid = await status('POST', '/api/projects/validate/', { label_config: SENTIMENT });
  const project = await call('POST', '/api/projects/', { title: 'Uploads', label_config: SENTIMENT });
  const unchanged = await call('POST', `/api/projects/${project.id}/validate`, { label_config: SENTIMENT });
  // Label Studio's "essential" change: a new control (one more choice alone is none).
  const moreChoices = await call('POST', `/api/projects/${project.id}/validate`, {
    label_config: SENTIMENT.replace(
      '<Choice value="Negative"/>',
      '<Choice value="Negative"/><Choice value="Mixed"/>',
    ),
  });
  const widened = await call('POST', `/api/projects/${project.id}/validate/`, {
    label_config: SENTIMENT.replace('</View>', '<TextArea name="note" toName="text"/></View>'),
  });

  const form = new FormData();
  form.append(
    'file',
    new Blob([JSON.stringify([{ text: 'From JSON one' }, { text: 'From JSON two' }])]),
    'tasks.json',
  );
  form.append('file_2', new Blob(['text\nFrom CSV one\nFrom CSV two\nFrom CSV three\n']), 'reviews.csv');
  const uploadRes = await fetch(`${host}/api/projects/${project.id}/import`, {
    method: 'POST',
    headers: auth,
    body: form,
  });
  if (!uploadRes.ok) throw new Error(`upload: ${uploadRes.status} ${await uploadRes.text()}`);
  const uploaded: Json = await uploadRes.json();

  const { tasks } = await call('GET', `/api/tasks/?project=${project.id}&page_size=100`);
  const annotation = await call('POST', `/api/tasks/${tasks[0].id}/annotations/`, {
    result: choice('Positive'),
    was_cancelled: false,
    ground_truth: true,
    lead_time: 12.5,
    completed_by: 12345,
    task: tasks[0].id,
    project: project.id,
  });
  const read = await call('GET', `/api/annotations/${annotation.id}/`);
  const changed = await call('PATCH', `/api/annotations/${annotation.id}`, { result: choice('Negative') });
  const dropsUsedChoice = await fetch(`${host}/api/projects/${project.id}/validate/`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ label_config: SENTIMENT.replace('<Choice value="Negative"/>', '') }),
  });

  const snapshot = await call('POST', `/api/projects/${project.id}/exports/`, {
    title: 'for training',
    task_filter_options: { only_with_annotations: true },
    annotation_filter_options: { usual: true, ground_truth: true, skipped: false },
  });
  let finished = snapshot;
  while (!['completed', 'failed'].includes(finished.status)) {
    await new Promise((r) => setTimeout(r, 100));
    finished = await call('GET', `/api/projects/${project.id}/exports/${snapshot.id}`);
  }
  const snapshots = await call('GET', `/api/projects/${project.id}/exports/`);
  const downloaded = await call(
    'GET',
    `/api/projects/${project.id}/exports/${snapshot.id}/download?exportType=JSON`,
  );
  const notConverted = await status(
    'GET',
    `/api/projects/${project.id}/exports/${snapshot.id}/download?exportType=CSV`,
  );
  await call('DELETE', `/api/projects/${project.id}/exports/${snapshot.id}`);
  const snapshotGone = await status('GET', `/api/projects/${project.id}/exports/${snapshot.id}`);

  const hook = await call('POST', '/api/webhooks/', {
    url: 'http://127.0.0.1:9/label-studio',
    project: project.id,
    send_payload: false,
    send_for_all_actions: false,
    headers: { 'X-Team': 'ml' },
    actions: ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED'],
  });
  const hooks = await call('GET', `/api/webhooks/?project=${project.id}`);
  const widenedHook = await call('PATCH', `/api/webhooks/${hook.id}/`, {
    send_for_all_actions: true,
    is_active: false,
  });
  const hookRead = await call('GET', `/api/webhooks/${hook.id}`);
  await call('DELETE', `/api/webhooks/${hook.id}/`);
  const hookGone = await status('GET', `/api/webhooks/${hook.id}/`);

  await call('DELETE', `/api/annotations/${annotation.id}/`);
  const annotationGone = await status('GET', `/api/annotations/${annotation.id}/`);
  return {
    me,
    bareValid,
    project,
    unchanged,
    moreChoices,
    widened,
    uploaded,
    tasks,
    annotation,
    read,
    changed,
    dropsUsedChoice: { status: dropsUsedChoice.status, body: (await dropsUsedChoice.json()) as Json },
    snapshot,
    finished,
    snapshots,
    downloaded,
    notConverted,
    snapshotGone,
    hook,
    hooks,
    widenedHook,
    hookRead,
    hookGone,
    annotationGone,
  };
}

/** A project made through /api with a task, an annotation, a finished snapshot and a webhook. */
async function labelStudioProject(host: string, apiKey: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${host}${path}`, {
      method,
      headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const project = await call('POST', '/api/projects/', { title: 'Owned', label_config: SENTIMENT });
  await call('POST', `/api/projects/${project.id}/import`, [{ text: 'mine' }]);
  const [task] = (await call('GET', `/api/tasks/?project=${project.id}`)).tasks;
  const annotation = await call('POST', `/api/tasks/${task.id}/annotations/`, { result: choice('Positive') });
  let snapshot = await call('POST', `/api/projects/${project.id}/exports/`, {});
  while (!['completed', 'failed'].includes(snapshot.status)) {
    await new Promise((r) => setTimeout(r, 100));
    snapshot = await call('GET', `/api/projects/${project.id}/exports/${snapshot.id}/`);
  }
  const hook = await call('POST', '/api/webhooks/', {
    url: 'http://127.0.0.1:9/mine',
    project: project.id,
  });
  return {
    projectId: project.id as number,
    taskId: task.id as number,
    annotationId: annotation.id as number,
    exportId: snapshot.id as number,
    webhookId: hook.id as number,
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
      body: JSON.stringify({ title: 'x', label_config: '<View><Text name="text"/></View>' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it("turns uploaded images into tasks, as Label Studio's upload does, and refuses a file that is no media", async () => {
    const created = await fetch(`${host}/api/projects/`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        title: 'Pictures',
        label_config:
          '<View><Image name="img" value="$image"/><Choices name="c" toName="img"><Choice value="Cat"/></Choices></View>',
      }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const upload = (files: [string, Buffer][]) => {
      const form = new FormData();
      for (const [name, content] of files) form.append('file', new Blob([content]), name);
      return fetch(`${host}/api/projects/${id}/import`, {
        method: 'POST',
        headers: { Authorization: `Token ${apiKey}` },
        body: form,
      });
    };
    const res = await upload([
      ['cat.png', png],
      ['dog.jpg', png],
    ]);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ task_count: 2 });
    const tasks = await fetch(`${host}/api/tasks/?project=${id}`, {
      headers: { Authorization: `Token ${apiKey}` },
    });
    const listed = (await tasks.json()) as { tasks: { data: { image: string } }[] };
    expect(listed.tasks.map((task) => task.data.image)).toEqual([
      expect.stringMatching(/^\/api\/v1\/media\//),
      expect.stringMatching(/^\/api\/v1\/media\//),
    ]);
    const notMedia = await upload([['notes.docx', Buffer.from('plain words')]]);
    expect(notMedia.status).toBe(415);
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

  it('runs the rest of a Label Studio workflow unchanged: validate, upload files, annotate, snapshot, webhook', async () => {
    const seen = await labelStudioWorkflow(host, apiKey);
    expect(seen.bareValid).toBe(204);
    expect(seen.unchanged).toEqual({ config_essential_data_has_changed: false });
    expect(seen.moreChoices).toEqual({ config_essential_data_has_changed: false });
    expect(seen.widened).toEqual({ config_essential_data_has_changed: true });
    expect(seen.uploaded).toMatchObject({ task_count: 5, annotation_count: 0 });
    expect(seen.uploaded.file_upload_ids).toHaveLength(2);
    expect(seen.tasks.map((x: { data: { text: string } }) => x.data.text)).toEqual([
      'From JSON one',
      'From JSON two',
      'From CSV one',
      'From CSV two',
      'From CSV three',
    ]);
    // completed_by is the caller, whatever the body says, as the author of record.
    expect(seen.annotation).toMatchObject({
      task: seen.tasks[0].id,
      project: seen.project.id,
      completed_by: seen.me.id,
      ground_truth: true,
      lead_time: 12.5,
      was_cancelled: false,
      result: choice('Positive'),
    });
    expect(seen.read).toEqual(seen.annotation);
    expect(seen.changed.result).toEqual(choice('Negative'));
    expect(seen.dropsUsedChoice.status).toBe(400);
    expect(seen.dropsUsedChoice.body.validation_errors.label_config[0]).toContain('"Negative"');
    expect(seen.snapshot).toMatchObject({
      id: expect.any(Number),
      title: expect.stringMatching(/^Uploads-at-\d{4}-\d\d-\d\d-\d\d-\d\d$/),
      created_by: { id: seen.me.id, email: seen.me.email },
      converted_formats: [],
    });
    expect(['created', 'in_progress', 'completed']).toContain(seen.snapshot.status);
    expect(seen.finished).toMatchObject({ status: 'completed', counters: { task_number: 1 } });
    expect(seen.finished.finished_at).toEqual(expect.any(String));
    expect(seen.snapshots.map((x: { id: number }) => x.id)).toContain(seen.snapshot.id);
    expect(seen.downloaded).toHaveLength(1);
    expect(seen.downloaded[0]).toMatchObject({ id: seen.tasks[0].id });
    expect(seen.downloaded[0].annotations[0]).toMatchObject({
      result: choice('Negative'),
      completed_by: seen.me.id,
    });
    expect(seen.notConverted).toBe(404);
    expect(seen.snapshotGone).toBe(404);
    expect(seen.hook).toMatchObject({
      project: seen.project.id,
      url: 'http://127.0.0.1:9/label-studio',
      send_payload: false,
      send_for_all_actions: false,
      headers: { 'X-Team': 'ml' },
      is_active: true,
      actions: ['ANNOTATION_CREATED', 'ANNOTATION_UPDATED'],
      secret: expect.any(String),
    });
    expect(seen.hooks.map((h: { id: number }) => h.id)).toEqual([seen.hook.id]);
    expect(seen.widenedHook).toMatchObject({ send_for_all_actions: true, is_active: false });
    expect(seen.widenedHook.actions).toContain('TASKS_CREATED');
    expect(seen.hookRead).toEqual(seen.widenedHook);
    expect(seen.hookGone).toBe(404);
    expect(seen.annotationGone).toBe(404);
  });

  it('shows an /api/v1 export job in another format as a snapshot converted to that format', async () => {
    const mine = await labelStudioProject(host, apiKey);
    const job = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${mine.projectId}/exports`,
      payload: { format: 'CSV' },
    });
    expect(job.statusCode).toBe(201);
    const get = (path: string) => fetch(`${host}${path}`, { headers: { Authorization: `Token ${apiKey}` } });
    let snapshot: Json;
    do {
      await new Promise((r) => setTimeout(r, 100));
      snapshot = await (await get(`/api/projects/${mine.projectId}/exports/${job.json().export_id}`)).json();
    } while (snapshot.status !== 'completed' && snapshot.status !== 'failed');
    expect(snapshot.converted_formats).toEqual([
      { id: job.json().export_id, status: 'completed', export_type: 'CSV', traceback: null },
    ]);
    const csv = await get(
      `/api/projects/${mine.projectId}/exports/${job.json().export_id}/download?exportType=CSV`,
    );
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain('mine');
    const json = await get(
      `/api/projects/${mine.projectId}/exports/${job.json().export_id}/download?exportType=JSON`,
    );
    expect(json.status).toBe(404);
  });

  it('refuses bad input to the new calls as problems naming the field', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${host}${path}`, {
        method: 'POST',
        headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const project = (await (
      await post('/api/projects/', { title: 'Bad input', label_config: SENTIMENT })
    ).json()) as {
      id: number;
    };
    await post(`/api/projects/${project.id}/import`, [{ text: 'one' }]);
    const [task] = (
      (await (
        await fetch(`${host}/api/tasks/?project=${project.id}`, {
          headers: { Authorization: `Token ${apiKey}` },
        })
      ).json()) as { tasks: { id: number }[] }
    ).tasks;
    const cases: [string, unknown, string][] = [
      ['/api/projects/validate/', { label_config: '<View><Text name="text"/></View>' }, 'body/label_config'],
      ['/api/projects/validate/', {}, 'body/label_config'],
      [`/api/projects/${project.id}/validate`, { label_config: '<View' }, 'body/label_config'],
      [
        `/api/tasks/${task!.id}/annotations/`,
        {
          result: [{ from_name: 'nope', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } }],
        },
        'body/result',
      ],
      [`/api/tasks/${task!.id}/annotations/`, { result: 'not a list' }, 'body/result'],
      [
        `/api/projects/${project.id}/exports/`,
        { task_filter_options: { view: 3 } },
        'body/task_filter_options/view',
      ],
      [
        '/api/webhooks/',
        { url: 'http://127.0.0.1:9/x', send_for_all_actions: false, actions: [] },
        'body/actions',
      ],
      ['/api/webhooks/', { url: 'http://127.0.0.1:9/x', actions: ['NOT_AN_ACTION'] }, 'body/actions'],
      ['/api/webhooks/', { url: 'not a url' }, 'body/url'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as { errors?: { path: string }[] };
      expect(
        problem.errors?.some((e) => e.path.startsWith(field)),
        `${path} names ${field}: ${JSON.stringify(problem)}`,
      ).toBe(true);
    }
    const sheet = new FormData();
    sheet.append('file', new Blob(['not a format this takes']), 'tasks.xlsx');
    const unsupported = await fetch(`${host}/api/projects/${project.id}/import`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}` },
      body: sheet,
    });
    // Not a task file by its name, so taken as media, which it is not by its bytes.
    expect(unsupported.status).toBe(415);
    expect(unsupported.headers.get('content-type')).toContain('application/problem+json');
    const empty = await fetch(`${host}/api/projects/${project.id}/import`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}` },
      body: (() => {
        const f = new FormData();
        f.append('note', 'no file here');
        return f;
      })(),
    });
    expect(empty.status).toBe(400);
  });

  it("answers 404 for another tenant's annotations, snapshots and webhooks", async () => {
    const other = await newTenant(ctx);
    const token = await other.as(other.owner, {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'other', permissions: ['*'] },
    });
    const otherKey = token.json().token as string;
    const mine = await labelStudioProject(host, apiKey);
    for (const [method, path, body] of [
      ['GET', `/api/annotations/${mine.annotationId}/`],
      ['PATCH', `/api/annotations/${mine.annotationId}/`, { lead_time: 1 }],
      ['DELETE', `/api/annotations/${mine.annotationId}/`],
      ['POST', `/api/tasks/${mine.taskId}/annotations/`, { result: choice('Positive') }],
      ['POST', `/api/projects/${mine.projectId}/validate`, { label_config: SENTIMENT }],
      ['GET', `/api/projects/${mine.projectId}/exports/`],
      ['POST', `/api/projects/${mine.projectId}/exports/`, {}],
      ['GET', `/api/projects/${mine.projectId}/exports/${mine.exportId}`],
      ['GET', `/api/projects/${mine.projectId}/exports/${mine.exportId}/download`],
      ['DELETE', `/api/projects/${mine.projectId}/exports/${mine.exportId}`],
      ['GET', `/api/webhooks/${mine.webhookId}/`],
      ['PATCH', `/api/webhooks/${mine.webhookId}/`, { is_active: false }],
      ['DELETE', `/api/webhooks/${mine.webhookId}/`],
      ['POST', '/api/webhooks/', { url: 'http://127.0.0.1:9/x', project: mine.projectId }],
    ] as [string, string, unknown?][]) {
      const res = await fetch(`${host}${path}`, {
        method,
        headers: { Authorization: `Token ${otherKey}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const theirs = await fetch(`${host}/api/webhooks/`, { headers: { Authorization: `Token ${otherKey}` } });
    expect(((await theirs.json()) as { id: number }[]).map((h) => h.id)).not.toContain(mine.webhookId);
  });

  it('audits each change made through the new calls once, as /api/v1 does', async () => {
    const mine = await labelStudioProject(host, apiKey);
    const actions = async (type: string, id: number | string) =>
      (
        await t.as(t.owner, {
          method: 'GET',
          url: `/api/v1/audit/logs?resource_type=${type}&resource_id=${id}`,
        })
      )
        .json()
        .items.map((r: { action: string }) => r.action)
        .sort();
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${host}${path}`, {
        method,
        headers: { Authorization: `Token ${apiKey}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await send('PATCH', `/api/annotations/${mine.annotationId}/`, { lead_time: 3 })).status).toBe(
      200,
    );
    expect((await send('DELETE', `/api/annotations/${mine.annotationId}/`)).status).toBe(204);
    expect(await actions('annotation', mine.annotationId)).toEqual(
      ['annotation.created', 'annotation.deleted', 'annotation.updated'].sort(),
    );
    expect(
      (await send('PATCH', `/api/webhooks/${mine.webhookId}/`, { actions: ['TASKS_CREATED'] })).status,
    ).toBe(200);
    expect((await send('DELETE', `/api/webhooks/${mine.webhookId}/`)).status).toBe(204);
    expect(await actions('webhook', mine.webhookId)).toEqual([
      'webhook.created',
      'webhook.deleted',
      'webhook.updated',
    ]);
    expect((await send('DELETE', `/api/projects/${mine.projectId}/exports/${mine.exportId}`)).status).toBe(
      204,
    );
    expect(await actions('export', mine.exportId)).toEqual(['tasks.export_deleted']);
    const exportsOfProject = (
      await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/audit/logs?resource_type=project&resource_id=${mine.projectId}&action=tasks.export`,
      })
    ).json().items;
    expect(exportsOfProject).toHaveLength(1);
    const upload = new FormData();
    upload.append('file', new Blob(['one line\n']), 'more.txt');
    const uploaded = await fetch(`${host}/api/projects/${mine.projectId}/import`, {
      method: 'POST',
      headers: { Authorization: `Token ${apiKey}` },
      body: upload,
    });
    expect(uploaded.status).toBe(201);
    const imports = (
      await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/audit/logs?resource_type=project&resource_id=${mine.projectId}&action=tasks.import`,
      })
    ).json().items;
    // The project's first import (a JSON body) and this upload's one file.
    expect(imports).toHaveLength(2);
    // A check of a config changes nothing and writes nothing.
    const before = await actions('project', mine.projectId);
    expect(
      (await send('POST', `/api/projects/${mine.projectId}/validate`, { label_config: SENTIMENT })).status,
    ).toBe(200);
    expect(await actions('project', mine.projectId)).toEqual(before);
  });
});
