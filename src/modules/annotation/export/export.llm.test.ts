import fs from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { LABEL_STUDIO_DIR } from '../../../../test/label-studio-material.ts';
import { exportProject, importTasks, waitForJob } from '../../../../test/transfer-helpers.ts';

/**
 * SFT_JSONL, PREFERENCE_JSONL and ASR_MANIFEST through the export API, on the generative-AI
 * templates Label Studio ships (their configs and sample data read from
 * ../shared/label-studio/templates) and on the converter's chat material.
 */

// biome-ignore lint/suspicious/noExplicitAny: exported JSON lines are read loosely
type Json = Record<string, any>;

/** A shipped template's config and the sample data in its XML comment. */
function template(name: string): { config: string; data: Json } {
  const file = path.join(LABEL_STUDIO_DIR ?? '', 'templates/generative-ai', name, 'config.yml');
  const { config } = jsyaml.load(fs.readFileSync(file, 'utf8')) as { config: string };
  const sample = JSON.parse(/<!--([\s\S]*?)-->/.exec(config)![1]!) as Json;
  return { config, data: sample.data };
}

const jsonLines = (body: string) =>
  body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);

async function projectWith(config: string, tasks: unknown[]): Promise<{ t: TenantFixture; id: number }> {
  const ctx = await testApp();
  const t = await newTenant(ctx);
  const project = await newProject(t, { label_config: config });
  const { imp } = await importTasks(t, project.id, tasks);
  expect(imp.errors).toEqual([]);
  return { t, id: project.id };
}

async function lines(t: TenantFixture, id: number, format: string): Promise<Json[]> {
  const res = await exportProject(t, id, `format=${format}`);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toContain('application/x-ndjson');
  return jsonLines(res.body);
}

/** Runs an export job and returns its downloaded file. */
async function jobBody(t: TenantFixture, id: number, body: Record<string, unknown>): Promise<string> {
  const start = await t.as(t.owner, { method: 'POST', url: `/api/v1/projects/${id}/exports`, payload: body });
  expect(start.statusCode, start.body).toBe(201);
  const { export_id, job_id } = start.json();
  expect((await waitForJob(t, job_id)).state).toBe('completed');
  const download = await t.as(t.owner, {
    method: 'GET',
    url: `/api/v1/projects/${id}/exports/${export_id}/download`,
  });
  expect(download.statusCode).toBe(200);
  return download.body;
}

const textArea = (name: string, toName: string, text: string) => ({
  id: name,
  type: 'textarea',
  from_name: name,
  to_name: toName,
  value: { text: [text] },
});

describe.skipIf(!LABEL_STUDIO_DIR)('SFT_JSONL', () => {
  it('a prompt and its written answer (supervised-llm)', async () => {
    const { config, data } = template('supervised-llm');
    const { t, id } = await projectWith(config, [
      { data, annotations: [{ result: [textArea('instruction', 'prompt', 'def f(xs): ...')] }] },
      { data: { prompt: 'Unanswered' }, annotations: [{ result: [] }] },
      { data: { prompt: 'Never annotated' } },
    ]);
    const out = await lines(t, id, 'SFT_JSONL');
    expect(out).toHaveLength(1);
    expect(out[0]!.messages).toEqual([
      { role: 'user', content: data.prompt },
      { role: 'assistant', content: 'def f(xs): ...' },
    ]);
    expect(Object.keys(out[0]!).sort()).toEqual(['annotation_id', 'annotator', 'id', 'messages']);
  });

  it("the task's dialogue, then the annotation's user and assistant turns (prompt-engineering-chat)", async () => {
    const { config, data } = template('prompt-engineering-chat');
    const { t, id } = await projectWith(config, [
      {
        data,
        annotations: [
          {
            result: [
              textArea('response', 'chat', 'Grilled, with chilli.'),
              textArea('prompt', 'chat', 'And for a dessert?'),
            ],
          },
        ],
      },
    ]);
    const [record] = await lines(t, id, 'SFT_JSONL');
    // Paragraphs' nameKey/textKey (role, content) read the dialogue; TextAreas follow in config order.
    expect(record!.messages).toEqual([
      ...data.messages,
      { role: 'user', content: 'And for a dessert?' },
      { role: 'assistant', content: 'Grilled, with chilli.' },
    ]);
  });

  it("a <Chat>'s messages (the converter's chat_data.json)", async () => {
    const tasks = JSON.parse(
      fs.readFileSync(
        path.join(LABEL_STUDIO_DIR!, 'converter-tests/test_export_json_min/chat_data.json'),
        'utf8',
      ),
    ) as Json[];
    const { t, id } = await projectWith('<View><Chat name="chat" value="$input_chat"/></View>', tasks);
    const [record] = await lines(t, id, 'SFT_JSONL');
    const messages = tasks[0]!.annotations[0].result.map((r: Json) => ({
      role: r.value.chatmessage.role,
      content: r.value.chatmessage.content,
    }));
    expect(record!.messages).toEqual(messages);
    expect(record!.messages.at(-1).role).toBe('assistant');
  });
});

describe.skipIf(!LABEL_STUDIO_DIR)('PREFERENCE_JSONL', () => {
  it('the selected answer over the other (human-feedback-collection)', async () => {
    const { config, data } = template('human-feedback-collection');
    const pick = (selected: string) => ({
      result: [
        { id: 'c', type: 'pairwise', from_name: 'comparison', to_name: 'comparison', value: { selected } },
      ],
    });
    const { t, id } = await projectWith(config, [
      { data, annotations: [pick('left'), pick('none')] },
      { data: { ...data, prompt: 'Second' }, annotations: [pick('right')] },
    ]);
    const out = await lines(t, id, 'PREFERENCE_JSONL');
    expect(out.map((r) => [r.prompt, r.chosen, r.rejected, r.control])).toEqual([
      [data.prompt, data.answer1, data.answer2, 'comparison'],
      ['Second', data.answer2, data.answer1, 'comparison'],
    ]);
    // As a job: the same lines, and the data manager's search kept with the job.
    expect(await jobBody(t, id, { format: 'PREFERENCE_JSONL' })).toBe(
      (await exportProject(t, id, 'format=PREFERENCE_JSONL')).body,
    );
    const searched = jsonLines(await jobBody(t, id, { format: 'PREFERENCE_JSONL', search: 'Second' }));
    expect(searched.map((r) => r.prompt)).toEqual(['Second']);
  });

  it('each bucket over the later ones, the prompt over the task text (llm-ranker)', async () => {
    const { config, data } = template('llm-ranker');
    const [a, b, c] = data.items as Json[];
    const { t, id } = await projectWith(config, [
      {
        data,
        annotations: [
          {
            result: [
              {
                id: 'r',
                type: 'ranker',
                from_name: 'rank',
                to_name: 'answers',
                value: {
                  ranker: { _: [], relevant_results: [a!.id, b!.id], biased_results: [c!.id] },
                },
              },
            ],
          },
        ],
      },
    ]);
    const out = await lines(t, id, 'PREFERENCE_JSONL');
    expect(out.map((r) => [r.chosen_id, r.rejected_id])).toEqual([
      [a!.id, c!.id],
      [b!.id, c!.id],
    ]);
    expect(out[0]).toMatchObject({
      prompt: data.prompt,
      chosen: a!.body,
      rejected: c!.body,
      control: 'rank',
    });
  });

  it('a ranking without buckets gives every ordered pair; a dialogue prompt gives messages', async () => {
    const config = `<View>
      <Paragraphs name="dialogue" value="$messages" layout="dialogue" nameKey="role" textKey="content"/>
      <List name="replies" value="$items"/>
      <Ranker name="rank" toName="replies"/>
    </View>`;
    const items = ['x', 'y', 'z'].map((k) => ({ id: k, title: k.toUpperCase(), body: `reply ${k}` }));
    const messages = [{ role: 'user', content: 'Hello?' }];
    const { t, id } = await projectWith(config, [
      {
        data: { messages, items },
        annotations: [
          {
            result: [
              {
                id: 'r',
                type: 'ranker',
                from_name: 'rank',
                to_name: 'replies',
                value: { ranker: { replies: ['z', 'x', 'y'] } },
              },
            ],
          },
        ],
      },
    ]);
    const out = await lines(t, id, 'PREFERENCE_JSONL');
    expect(out.map((r) => `${r.chosen_id}>${r.rejected_id}`)).toEqual(['z>x', 'z>y', 'x>y']);
    expect(out[0]).toMatchObject({
      prompt: messages,
      chosen: [{ role: 'assistant', content: 'reply z' }],
      rejected: [{ role: 'assistant', content: 'reply x' }],
    });
  });

  it('is refused for a config without Pairwise or Ranker', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const res = await exportProject(t, project.id, 'format=PREFERENCE_JSONL');
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('PREFERENCE_JSONL needs');
  });
});

describe('ASR_MANIFEST', () => {
  it('a line per transcribed annotation: audio, duration when known, text, annotator', async () => {
    const config = `<View>
      <Audio name="audio" value="$audio"/>
      <TextArea name="transcription" toName="audio"/>
    </View>`;
    const { t, id } = await projectWith(config, [
      {
        data: { audio: 'https://example.com/a.wav', duration: 2.5 },
        annotations: [{ result: [textArea('transcription', 'audio', 'hello world')] }],
      },
      {
        data: { audio: 's3://bucket/b.wav' },
        annotations: [{ result: [textArea('transcription', 'audio', 'second')] }, { result: [] }],
      },
      { data: { audio: 'https://example.com/never.wav' } },
    ]);
    const out = await lines(t, id, 'ASR_MANIFEST');
    expect(out).toEqual([
      { audio_filepath: 'https://example.com/a.wav', duration: 2.5, text: 'hello world', annotator: '' },
      { audio_filepath: 's3://bucket/b.wav', text: 'second', annotator: '' },
    ]);
  });

  it('is refused without an Audio object', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const res = await exportProject(t, project.id, 'format=ASR_MANIFEST');
    expect(res.statusCode).toBe(400);
  });
});
