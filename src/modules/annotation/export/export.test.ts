import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { type Member, newTenant, type TenantFixture } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { joinProject } from '../../../../test/labeling-fixtures.ts';
import { exportProject, importTasks, readZip, waitForJob } from '../../../../test/transfer-helpers.ts';
import { inTenant } from '../../../platform/db/tenancy.ts';
import { exports } from '../schema.ts';

const DATA = path.join(import.meta.dirname, '../../../../test/data');
const file = (name: string) => ({ filename: name, content: fs.readFileSync(path.join(DATA, name)) });

const NER_CONFIG = `<View>
  <Labels name="label" toName="text">
    <Label value="Person"/>
    <Label value="Organization"/>
    <Label value="Location"/>
    <Label value="Misc"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`;

const BBOX_CONFIG = `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Planet"/>
    <Label value="Moonwalker"/>
  </RectangleLabels>
</View>`;

const choice = (value: string) => [
  { id: `r-${value}`, from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [value] } },
];

const isIso = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && v.includes('T');

/** Checks a JSON export against Label Studio's task format: required keys and their types. */
function expectLabelStudioTasks(tasks: unknown): void {
  expect(Array.isArray(tasks)).toBe(true);
  for (const task of tasks as Record<string, unknown>[]) {
    expect(Number.isInteger(task.id)).toBe(true);
    expect(task.data).toBeTypeOf('object');
    expect(Array.isArray(task.data)).toBe(false);
    expect(task.meta).toBeTypeOf('object');
    expect(isIso(task.created_at) && isIso(task.updated_at)).toBe(true);
    expect(Array.isArray(task.annotations) && Array.isArray(task.predictions)).toBe(true);
    for (const a of task.annotations as Record<string, unknown>[]) {
      expect(Number.isInteger(a.id)).toBe(true);
      expect(Array.isArray(a.result)).toBe(true);
      for (const r of a.result as Record<string, unknown>[]) {
        expect(
          typeof r.from_name === 'string' && typeof r.to_name === 'string' && typeof r.type === 'string',
        ).toBe(true);
        expect(r.value).toBeTypeOf('object');
      }
      expect(typeof a.was_cancelled).toBe('boolean');
      expect(typeof a.ground_truth).toBe('boolean');
      expect(typeof a.lead_time).toBe('number');
      expect(isIso(a.created_at) && isIso(a.updated_at)).toBe(true);
      // Label Studio's task schema: an integer user id or null.
      expect(a.completed_by === null || Number.isInteger(a.completed_by)).toBe(true);
      expect(a.task).toBe(task.id);
    }
    for (const p of task.predictions as Record<string, unknown>[]) {
      expect(Number.isInteger(p.id)).toBe(true);
      expect(Array.isArray(p.result)).toBe(true);
      expect(p.score === null || typeof p.score === 'number').toBe(true);
      expect(typeof p.model_version).toBe('string');
      expect(isIso(p.created_at)).toBe(true);
    }
  }
}

/** What a round trip must keep of a task (ids and timestamps of the copy are new). */
function essence(tasks: Record<string, unknown>[]) {
  return tasks.map((t) => ({
    data: t.data,
    meta: t.meta,
    annotations: (t.annotations as Record<string, unknown>[]).map((a) => ({
      result: a.result,
      lead_time: a.lead_time,
      ground_truth: a.ground_truth,
      was_cancelled: a.was_cancelled,
      completed_by: a.completed_by,
      completed_by_email: a.completed_by_email,
      completed_by_external: a.completed_by_external,
      created_at: a.created_at,
    })),
    predictions: (t.predictions as Record<string, unknown>[]).map((p) => ({
      result: p.result,
      score: p.score,
      model_version: p.model_version,
    })),
  }));
}

async function richProject(t: TenantFixture, annotator: Member) {
  const project = await newProject(t, { overlap: 2 });
  await importTasks(t, project.id, [
    {
      data: { text: 'Good case, Excellent value.', extra: { nested: [1, 2] } },
      meta: { batch: 'A' },
      annotations: [
        {
          result: choice('Positive'),
          lead_time: 4.25,
          completed_by: annotator.email,
          ground_truth: true,
          created_at: '2024-03-01T08:00:00.000Z',
        },
        {
          result: choice('Neutral'),
          lead_time: 2,
          completed_by: 'Guest Reviewer',
          created_at: '2024-03-01T09:00:00.000Z',
        },
      ],
      predictions: [{ result: choice('Positive'), score: 0.75, model_version: 'bert-1' }],
    },
    {
      data: { text: 'What a waste of money and time!', extra: null },
      annotations: [
        { result: [], was_cancelled: true, lead_time: 0.5, completed_by: t.owner.email },
        { result: choice('Negative'), lead_time: 9, completed_by: t.owner.email },
      ],
      predictions: [{ result: choice('Negative'), model_version: 'rules' }],
    },
    { data: { text: 'The goose neck needs a little coaxing', extra: 'x' } },
  ]);
  return project;
}

describe('export', () => {
  it('exports JSON in Label Studio task format, streamed as a download', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, file('ls-sentiment-export.json'));
    const res = await exportProject(t, project.id, 'format=JSON');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="project-\d+-Sentiment-json\.json"$/,
    );
    const tasks = res.json();
    expectLabelStudioTasks(tasks);
    expect(tasks).toHaveLength(3);
    expect(tasks[0]).toMatchObject({
      data: { text: 'Good case, Excellent value.' },
      total_annotations: 1,
      cancelled_annotations: 0,
      total_predictions: 1,
    });
    expect(tasks[0].annotations[0]).toMatchObject({
      // Label Studio's user 1 with no e-mail maps to no member here: kept by name.
      completed_by: null,
      completed_by_external: '1',
      created_username: '1',
      completed_by_email: null,
      ground_truth: true,
      lead_time: 7.442,
      created_at: '2023-04-18T09:12:31.519Z',
      result: [{ from_name: 'sentiment', value: { choices: ['Positive'] } }],
    });
    expect(tasks[1].annotations.map((a: { was_cancelled: boolean }) => a.was_cancelled)).toEqual([
      false,
      true,
    ]);
    expect(tasks[1].predictions.map((p: { model_version: string }) => p.model_version)).toEqual([
      'sentiment-bert-2023-04',
      'sentiment-lr-baseline',
    ]);
    expect(tasks[2].annotations).toEqual([]);

    // Filters: only annotated tasks, without predictions, without skipped annotations.
    const filtered = (
      await exportProject(
        t,
        project.id,
        'format=JSON&only_annotated=true&include_predictions=false&include_cancelled=false',
      )
    ).json();
    expect(filtered.map((x: { data: { text: string } }) => x.data.text)).toEqual([
      'Good case, Excellent value.',
      'What a waste of money and time!',
    ]);
    expect(filtered.every((x: { predictions: unknown[] }) => x.predictions.length === 0)).toBe(true);
    expect(filtered[1].annotations).toHaveLength(1);
    const reviewed = (await exportProject(t, project.id, 'format=JSON&only_reviewed=true')).json();
    expect(reviewed).toEqual([]);
  });

  it('round-trips a project through JSON and JSONL: same tasks, annotations and predictions', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator'], 'Rita');
    const source = await richProject(t, annotator);
    const first = (await exportProject(t, source.id, 'format=JSON')).json();
    expectLabelStudioTasks(first);
    expect(first[0].annotations[0]).toMatchObject({
      completed_by: annotator.number,
      completed_by_email: annotator.email,
      created_username: `Rita ${annotator.email}, ${annotator.number}`,
    });
    expect(first[0].annotations[1]).toMatchObject({
      completed_by: null,
      completed_by_email: null,
      completed_by_external: 'Guest Reviewer',
      created_username: 'Guest Reviewer',
    });
    // JSON_MIN writes a member as Label Studio's integer id, an outside annotator by name.
    const min = (await exportProject(t, source.id, 'format=JSON_MIN')).json();
    expect(min.map((r: { annotator: unknown }) => r.annotator)).toContain(annotator.number);
    expect(min.map((r: { annotator: unknown }) => r.annotator)).toContain('Guest Reviewer');

    const viaJson = await newProject(t, { overlap: 2 });
    const json = await importTasks(t, viaJson.id, {
      filename: 'export.json',
      content: JSON.stringify(first),
    });
    expect(json.imp.counts).toMatchObject({ tasks: 3, annotations: 4, predictions: 2 });
    const second = (await exportProject(t, viaJson.id, 'format=JSON')).json();
    expect(essence(second)).toEqual(essence(first));
    expect(
      second.map((x: Record<string, unknown>) => [x.total_annotations, x.cancelled_annotations]),
    ).toEqual(first.map((x: Record<string, unknown>) => [x.total_annotations, x.cancelled_annotations]));

    const viaJsonl = await newProject(t, { overlap: 2 });
    const lines = first.map((x: unknown) => JSON.stringify(x)).join('\n');
    await importTasks(t, viaJsonl.id, { filename: 'export.jsonl', content: lines });
    const third = (await exportProject(t, viaJsonl.id, 'format=JSON')).json();
    expect(essence(third)).toEqual(essence(first));
  });

  it('round-trips the data of a project through CSV and TSV', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const texts = ['plain', 'with, comma', 'with "quotes"', 'two\nlines', 'tab\there', 'unicode ✓ 中文'];
    await importTasks(
      t,
      project.id,
      texts.map((text) => ({ text })),
    );
    for (const format of ['CSV', 'TSV']) {
      const res = await exportProject(t, project.id, `format=${format}`);
      expect(res.statusCode).toBe(200);
      const copy = await newProject(t);
      const { imp } = await importTasks(t, copy.id, {
        filename: `export.${format.toLowerCase()}`,
        content: res.body,
      });
      expect(imp.counts.tasks, format).toBe(texts.length);
      const back = (await exportProject(t, copy.id, 'format=JSON')).json();
      expect(
        back.map((x: { data: { text: string } }) => x.data.text),
        format,
      ).toEqual(texts);
    }
  });

  it('writes JSON_MIN, CSV and TSV as the Label Studio converter does', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, file('ls-sentiment-export.json'));
    const min = (await exportProject(t, project.id, 'format=JSON_MIN')).json();
    expect(min).toEqual([
      {
        text: 'Good case, Excellent value.',
        id: expect.any(Number),
        sentiment: 'Positive',
        annotator: '1',
        annotation_id: expect.any(Number),
        created_at: '2023-04-18T09:12:31.519Z',
        updated_at: '2023-04-18T09:12:31.519Z',
        lead_time: 7.442,
      },
      {
        text: 'What a waste of money and time!',
        id: expect.any(Number),
        sentiment: 'Negative',
        annotator: 'wei.zhang@annotators.example',
        annotation_id: expect.any(Number),
        created_at: '2023-04-18T09:13:02.110Z',
        updated_at: '2023-04-18T09:14:40.002Z',
        lead_time: 12.085,
      },
      {
        text: 'The goose neck needs a little coaxing',
        id: expect.any(Number),
        annotator: null,
        annotation_id: null,
        created_at: null,
        updated_at: null,
        lead_time: null,
      },
    ]);
    const csv = await exportProject(t, project.id, 'format=CSV');
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trimEnd().split('\n');
    expect(lines[0]).toBe(
      '"annotation_id","annotator","created_at","id","lead_time","sentiment","text","updated_at","was_cancelled"',
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(
      `${min[0].annotation_id},"1","2023-04-18T09:12:31.519Z",${min[0].id},7.442,"Positive","Good case, Excellent value.","2023-04-18T09:12:31.519Z",False`,
    );
    expect(lines[3]).toBe(`,,,${min[2].id},,,"The goose neck needs a little coaxing",,`);
    const tsv = await exportProject(t, project.id, 'format=TSV');
    expect(tsv.body.split('\n')[0]!.split('\t')).toHaveLength(9);
    expect(tsv.body.split('\n')[2]).toContain('\t"Negative"\t"What a waste of money and time!"\t');
  });

  it('writes CONLL2003 from Text + Labels with IOB tags', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { label_config: NER_CONFIG });
    await importTasks(t, project.id, file('ls-ner-export.json'));
    const res = await exportProject(t, project.id, 'format=CONLL2003');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      [
        '-DOCSTART- -X- O',
        'Showers -X- _ O',
        'continued -X- _ O',
        'throughout -X- _ O',
        'the -X- _ O',
        'week -X- _ O',
        'in -X- _ O',
        'the -X- _ O',
        'Bahia -X- _ B-Location',
        'cocoa -X- _ O',
        'zone -X- _ O',
        ', -X- _ O',
        'alleviating -X- _ O',
        'the -X- _ O',
        'drought -X- _ O',
        'since -X- _ O',
        'early -X- _ B-Misc',
        'January -X- _ I-Misc',
        '. -X- _ O',
        '',
        'Peter -X- _ B-Person',
        'Blackburn -X- _ I-Person',
        'visited -X- _ O',
        'Brussels -X- _ B-Location',
        '. -X- _ O',
        '',
        '',
      ].join('\n'),
    );
  });

  it("reads the image and the text through the config's data path ($images[0].url, $doc.body)", async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const image = await newProject(t, {
      label_config:
        '<View><Image name="img" value="$images[0].url"/><RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels></View>',
    });
    const box = { x: 10, y: 10, width: 20, height: 20, rectanglelabels: ['Cat'] };
    await importTasks(t, image.id, [
      {
        data: { images: [{ url: 'https://example.com/cats/one.jpg' }, { url: 'two.jpg' }] },
        annotations: [
          {
            result: [
              {
                id: 'b',
                from_name: 'box',
                to_name: 'img',
                type: 'rectanglelabels',
                value: box,
                original_width: 100,
                original_height: 50,
              },
            ],
          },
        ],
      },
    ]);
    const coco = (await exportProject(t, image.id, 'format=COCO')).json();
    expect(coco.images.map((i: { file_name: string }) => i.file_name)).toEqual([
      'https://example.com/cats/one.jpg',
    ]);
    const yolo = readZip((await exportProject(t, image.id, 'format=YOLO')).rawPayload);
    expect([...yolo.keys()]).toContain('labels/one.txt');

    const text = await newProject(t, {
      label_config:
        '<View><Text name="t" value="$doc.body"/><Labels name="ner" toName="t"><Label value="PER"/></Labels></View>',
    });
    await importTasks(t, text.id, [
      {
        data: { doc: { body: 'Ann met Bob.' } },
        annotations: [
          {
            result: [
              {
                id: 'p',
                from_name: 'ner',
                to_name: 't',
                type: 'labels',
                value: { start: 0, end: 3, text: 'Ann', labels: ['PER'] },
              },
            ],
          },
        ],
      },
    ]);
    const conll = (await exportProject(t, text.id, 'format=CONLL2003')).body;
    expect(conll).toContain('Ann -X- _ B-PER');
    expect(conll).toContain('Bob -X- _ O');
  });

  it('writes COCO, YOLO and Pascal VOC from RectangleLabels on an Image', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { label_config: BBOX_CONFIG });
    await importTasks(t, project.id, file('ls-bbox-export.json'));

    const coco = (await exportProject(t, project.id, 'format=COCO')).json();
    // The unannotated task is an image too, its size unknown (the converter would open the file).
    expect(coco.images).toEqual([
      { width: 800, height: 501, id: 0, file_name: '/data/upload/7/62a623a0-planets.jpg' },
      { width: null, height: null, id: 1, file_name: 'https://example.com/images/unlabelled.png' },
    ]);
    expect(coco.categories).toEqual([
      { id: 0, name: 'Moonwalker' },
      { id: 1, name: 'Planet' },
    ]);
    expect(coco.info.contributor).toBe('Label Studio');
    expect(coco.annotations).toHaveLength(2);
    const [planet, moon] = coco.annotations;
    expect(planet).toMatchObject({
      id: 0,
      image_id: 0,
      category_id: 1,
      segmentation: [],
      iscrowd: 0,
      ignore: 0,
    });
    // Label Studio's README example: Planet at [299, 6, 377, 260], Moonwalker at [288, 300, 132, 90] (px).
    expect(planet.bbox.map(Math.trunc)).toEqual([299, 6, 377, 260]);
    expect(moon.bbox.map(Math.trunc)).toEqual([288, 300, 132, 90]);
    expect(planet.area).toBeCloseTo(planet.bbox[2] * planet.bbox[3]);

    const yolo = await exportProject(t, project.id, 'format=YOLO');
    expect(yolo.headers['content-type']).toBe('application/zip');
    const yfiles = readZip(yolo.rawPayload);
    expect([...yfiles.keys()].sort()).toEqual([
      'classes.txt',
      'labels/62a623a0-planets.txt',
      'labels/unlabelled.txt',
      'notes.json',
    ]);
    expect(yfiles.get('labels/unlabelled.txt')).toBe('');
    expect(yfiles.get('classes.txt')).toBe('Moonwalker\nPlanet\n');
    const rows = yfiles
      .get('labels/62a623a0-planets.txt')!
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number));
    expect(rows[0]![0]).toBe(1);
    expect(rows[0]!.slice(1).map((v) => v.toFixed(6))).toEqual([
      '0.609375',
      '0.271500',
      '0.471250',
      '0.519000',
    ]);
    expect(rows[1]![0]).toBe(0);
    expect(rows[1]!.slice(1).map((v) => v.toFixed(4))).toEqual(['0.4425', '0.6890', '0.1650', '0.1800']);
    expect(JSON.parse(yfiles.get('notes.json')!).categories).toEqual(coco.categories);

    const voc = readZip((await exportProject(t, project.id, 'format=VOC')).rawPayload);
    expect([...voc.keys()]).toEqual(['Annotations/62a623a0-planets.xml']);
    const xml = voc.get('Annotations/62a623a0-planets.xml')!;
    expect(xml).toContain('<width>800</width>');
    expect(xml).toContain('<height>501</height>');
    expect(xml).toContain(
      '<name>Planet</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n    <difficult>0</difficult>\n    <bndbox>\n      <xmin>299</xmin>\n      <ymin>6</ymin>\n      <xmax>676</xmax>\n      <ymax>266</ymax>',
    );
    expect(xml).toContain(
      '<xmin>288</xmin>\n      <ymin>300</ymin>\n      <xmax>420</xmax>\n      <ymax>390</ymax>',
    );
  });

  it('answers 400 for an unknown format or one the config cannot produce', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    for (const format of ['COCO', 'YOLO', 'VOC', 'CONLL2003']) {
      const res = await exportProject(t, project.id, `format=${format}`);
      expect(res.statusCode, format).toBe(400);
      expect(res.json().detail).toContain(format);
    }
    expect((await exportProject(t, project.id, 'format=XLSX')).statusCode).toBe(400);
    const job = await t.as(t.owner, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/exports`,
      payload: { format: 'COCO' },
    });
    expect(job.statusCode).toBe(400);
  });

  it('runs an export as a job: status, counts, size and the same file to download', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const annotator = await t.member(['annotator'], 'Jo');
    const project = await richProject(t, annotator);
    for (const format of ['JSON', 'CSV', 'YOLO'] as const) {
      const target = format === 'YOLO' ? await newProject(t, { label_config: BBOX_CONFIG }) : project;
      if (format === 'YOLO') await importTasks(t, target.id, file('ls-bbox-export.json'));
      const start = await t.as(t.owner, {
        method: 'POST',
        url: `/api/v1/projects/${target.id}/exports`,
        payload: { format, only_annotated: format === 'CSV' },
      });
      expect(start.statusCode, start.body).toBe(201);
      const { export_id, job_id } = start.json();
      const job = await waitForJob(t, job_id);
      expect(job.state).toBe('completed');
      const status = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${target.id}/exports/${export_id}`,
      });
      expect(status.json()).toMatchObject({ status: 'completed', format, progress: 1, error: null });
      const download = await t.as(t.owner, {
        method: 'GET',
        url: `/api/v1/projects/${target.id}/exports/${export_id}/download`,
      });
      expect(download.statusCode).toBe(200);
      expect(status.json().size_bytes).toBe(download.rawPayload.length);
      if (format === 'JSON') {
        expect(status.json().counts).toEqual({ tasks: 3, annotations: 4, predictions: 2 });
        expect(download.json()).toEqual((await exportProject(t, target.id, 'format=JSON')).json());
      } else if (format === 'CSV') {
        expect(status.json().counts.tasks).toBe(2);
        expect(download.body).toBe(
          (await exportProject(t, target.id, 'format=CSV&only_annotated=true')).body,
        );
      } else {
        expect([...readZip(download.rawPayload).keys()]).toContain('classes.txt');
      }
    }
    const missing = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/exports/999999`,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('lists export jobs newest first, and deletes a finished one with its file (its creator or a manager)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, [{ text: 'x' }]);
    const reviewer = await t.member(['reviewer'], 'Rev');
    await joinProject(t, project.id, reviewer, 'reviewer');
    const start = async (who: Member) => {
      const res = await t.as(who, {
        method: 'POST',
        url: `/api/v1/projects/${project.id}/exports`,
        payload: { format: 'JSON' },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect((await waitForJob(t, res.json().job_id)).state).toBe('completed');
      return res.json().export_id as number;
    };
    const byOwner = await start(t.owner);
    const byReviewer = await start(reviewer);
    const list = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/exports?limit=1`,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([
      expect.objectContaining({ id: byReviewer, status: 'completed', created_by: reviewer.userId }),
    ]);
    const rest = await t.as(t.owner, {
      method: 'GET',
      url: `/api/v1/projects/${project.id}/exports?cursor=${list.json().next_cursor}`,
    });
    expect(rest.json()).toMatchObject({ items: [{ id: byOwner }], next_cursor: null });

    const path = (id: number) =>
      inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, async (tx) => {
        const [row] = await tx.select().from(exports).where(eq(exports.id, id));
        return row?.filePath;
      });
    const remove = (who: Member, id: number) =>
      t.as(who, { method: 'DELETE', url: `/api/v1/projects/${project.id}/exports/${id}` });
    expect((await remove(reviewer, byOwner)).statusCode).toBe(403);
    const file = (await path(byReviewer))!;
    expect(fs.existsSync(file)).toBe(true);
    expect((await remove(reviewer, byReviewer)).statusCode).toBe(204);
    expect(fs.existsSync(file)).toBe(false);
    expect((await remove(t.owner, byOwner)).statusCode).toBe(204);
    expect((await remove(t.owner, byOwner)).statusCode).toBe(404);

    // A running export writes its file later: it is deleted once it has finished.
    const [running] = await inTenant(ctx.platform.database.db, { tenantId: t.tenantId }, (tx) =>
      tx
        .insert(exports)
        .values({ tenantId: t.tenantId, projectId: project.id, format: 'JSON', status: 'running' })
        .returning(),
    );
    const busy = await remove(t.owner, running!.id);
    expect(busy.statusCode).toBe(409);
    expect(busy.headers['content-type']).toContain('application/problem+json');
    const audit = await t.as(t.owner, {
      method: 'GET',
      url: '/api/v1/audit/logs?action=tasks.export_deleted',
    });
    expect(
      audit
        .json()
        .items.map((r: { resource_id: string }) => r.resource_id)
        .sort(),
    ).toEqual([String(byOwner), String(byReviewer)].sort());
  });

  it('audits exports and raises bulk_export security events', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    await importTasks(t, project.id, [{ text: 'x' }]);
    expect((await exportProject(t, project.id, 'format=CSV')).statusCode).toBe(200);
    const events = await t.as(t.owner, { method: 'GET', url: '/api/v1/security/events?type=bulk_export' });
    expect(events.json().items).toEqual([
      expect.objectContaining({
        type: 'bulk_export',
        user_id: t.owner.userId,
        details: expect.objectContaining({ project_id: project.id, format: 'CSV', mode: 'stream' }),
      }),
    ]);
    const audit = await t.as(t.owner, { method: 'GET', url: '/api/v1/audit/logs?action=tasks.' });
    expect(
      audit
        .json()
        .items.map((r: { action: string }) => r.action)
        .sort(),
    ).toEqual(['tasks.export', 'tasks.import']);
  });

  it('refuses annotators, and reviewers outside the project', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const annotator = await t.member(['annotator'], 'Ann');
    const reviewer = await t.member(['reviewer'], 'Rev');
    expect((await exportProject(t, project.id, 'format=JSON', annotator)).statusCode).toBe(403);
    const post = await t.as(annotator, {
      method: 'POST',
      url: `/api/v1/projects/${project.id}/exports`,
      payload: { format: 'JSON' },
    });
    expect(post.statusCode).toBe(403);
    // A reviewer may export, but only the projects they belong to.
    expect((await exportProject(t, project.id, 'format=JSON', reviewer)).statusCode).toBe(404);
    const other = await newTenant(ctx);
    expect((await exportProject(other, project.id, 'format=JSON')).statusCode).toBe(404);
  });

  it('streams a large project in batches (5k tasks, every row present once)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({
        data: { text: `row ${i}` },
        annotations: [{ result: choice('Positive'), lead_time: 1 }],
      }),
    );
    await importTasks(t, project.id, { filename: 'many.jsonl', content: lines.join('\n') });
    const json = (await exportProject(t, project.id, 'format=JSON')).json();
    expect(json).toHaveLength(5000);
    expect(new Set(json.map((x: { id: number }) => x.id)).size).toBe(5000);
    expect(json.at(-1).data.text).toBe('row 4999');
    const csv = (await exportProject(t, project.id, 'format=CSV')).body.trimEnd().split('\n');
    expect(csv).toHaveLength(5001);
  });
});
