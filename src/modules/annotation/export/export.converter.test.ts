import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { LABEL_STUDIO_DIR } from '../../../../test/label-studio-material.ts';
import { exportProject, importTasks, readZip } from '../../../../test/transfer-helpers.ts';

/**
 * Exports compared with Label Studio's converter on its own test material: the inputs,
 * configs and expected outputs of label-studio-sdk's `tests/custom/converter/`, read from
 * ../shared/label-studio/converter-tests (never copied here). Cases the SDK writes inline
 * in its test code (CONLL2003) are restated below with the converter's expected tokens.
 */
const ROOT = path.join(LABEL_STUDIO_DIR ?? '', 'converter-tests');
const converterText = (name: string) => fs.readFileSync(path.join(ROOT, name), 'utf8');
const converterJson = (name: string) => JSON.parse(converterText(name));

// biome-ignore lint/suspicious/noExplicitAny: the converter's JSON is read loosely, as its own tests read it
type Json = Record<string, any>;

/** Each number within 1e-6 of the expected one. */
function expectClose(actual: number[], expected: number[], what = '') {
  expect(actual.length, what).toBe(expected.length);
  for (const [i, v] of actual.entries())
    expect(Math.abs(v - expected[i]!), `${what}[${i}]: ${v} vs ${expected[i]}`).toBeLessThan(1e-6);
}

/** A project with a converter test's config, its input imported through the API. */
async function converterProject(config: string, input: string, edit = (xml: string) => xml) {
  const ctx = await testApp();
  const t = await newTenant(ctx);
  const project = await newProject(t, { label_config: edit(converterText(config)) });
  const tasks = converterJson(input) as Json[];
  const { imp } = await importTasks(t, project.id, tasks);
  expect(imp.errors).toEqual([]);
  return { t, project, tasks };
}

/** The cells of a CSV row: quoted strings unquoted, empty cells null, others as written. */
function csvCells(row: string): (string | null)[] {
  const cells: (string | null)[] = [];
  for (const m of row.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)) {
    const raw = m[1]!;
    cells.push(raw === '' ? null : raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw);
    if (m[2] === '') break;
  }
  return cells;
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number));

const NER_CONFIG = `<View>
  <Labels name="label" toName="text">
    <Label value="Person"/><Label value="ORG"/><Label value="PER"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>`;

interface ConllCase {
  text: string;
  spans: { start: number; end: number; labels: string[] }[];
  tokens?: string[];
  tags?: string[];
  /** Checks on single tokens where the converter's test checks only those. */
  at?: { index: number; token?: string; tag: string }[];
}

// test_export_conll.py: create_tokens_and_tags(text, spans) → tokens, tags.
const CONLL_CASES: ConllCase[] = [
  {
    text: 'I need a break\nplease',
    spans: [{ start: 9, end: 14, labels: ['Person'] }],
    tokens: ['I', 'need', 'a', 'break', 'please'],
    tags: ['O', 'O', 'O', 'B-Person', 'O'],
  },
  {
    text: 'I need a tab\tplease',
    spans: [{ start: 9, end: 12, labels: ['Person'] }],
    tokens: ['I', 'need', 'a', 'tab', 'please'],
    tags: ['O', 'O', 'O', 'B-Person', 'O'],
  },
  {
    text: 'We gave Jane Smith the ball.',
    spans: [{ start: 9, end: 12, labels: ['Person'] }],
    tokens: ['We', 'gave', 'Jane', 'Smith', 'the', 'ball', '.'],
    tags: ['O', 'O', 'B-Person', 'O', 'O', 'O', 'O'],
  },
  {
    text: 'We gave Jane Smith the ball.',
    spans: [{ start: 7, end: 18, labels: ['Person'] }],
    tokens: ['We', 'gave', 'Jane', 'Smith', 'the', 'ball', '.'],
    tags: ['O', 'O', 'B-Person', 'I-Person', 'O', 'O', 'O'],
  },
  {
    text: 'We gave Jane Smith the ball.',
    spans: [{ start: 8, end: 19, labels: ['Person'] }],
    tokens: ['We', 'gave', 'Jane', 'Smith', 'the', 'ball', '.'],
    tags: ['O', 'O', 'B-Person', 'I-Person', 'O', 'O', 'O'],
  },
  {
    text: 'A meal with $3.99 bill',
    spans: [{ start: 12, end: 16, labels: ['Person'] }],
    tokens: ['A', 'meal', 'with', '$', '3.99', 'bill'],
    tags: ['O', 'O', 'O', 'B-Person', 'I-Person', 'O'],
  },
  {
    text: 'A meal from Google/Facebook',
    spans: [
      { start: 12, end: 17, labels: ['ORG'] },
      { start: 19, end: 22, labels: ['ORG'] },
    ],
    tokens: ['A', 'meal', 'from', 'Google', '/', 'Facebook'],
    tags: ['O', 'O', 'O', 'B-ORG', 'O', 'B-ORG'],
  },
  {
    text: "They're the world's most fear;some fighting team,Teenage Mut;ant Ninja Turtles (We're really hip!).They're heroes in the half-shell and they're green,Teenage Mutant Ninja Turtles (Hey, get a grip!),When the evil Shre&dder attacks These Turtle boys don't cut him no slack! Spli\\/nter taught them to be ninja teens.. Teen#age Mutant Ninja Turtles (He's a radi@cal rat!), Leonardo leads, Donat#ello does machines, Teenage Mutant Ninja Turt;les (That's a fact, Jack!),Raphael is cool but rude (Gimme a break!), Michel;angelo is a party dude (Party!)",
    spans: [
      { start: 0, end: 4, labels: ['PER'] },
      { start: 12, end: 17, labels: ['PER'] },
      { start: 57, end: 60, labels: ['PER'] },
      { start: 212, end: 216, labels: ['PER'] },
      { start: 314, end: 318, labels: ['PER'] },
      { start: 272, end: 276, labels: ['PER'] },
    ],
    at: [
      { index: 52, token: 'Shre', tag: 'B-PER' },
      { index: 51, tag: 'O' },
      { index: 53, tag: 'O' },
    ],
  },
  {
    text: 'Mut;ant Ninja Turtles. Teen#age Mutant Ninja Turtles.',
    spans: [
      { start: 0, end: 3, labels: ['PER'] },
      { start: 5, end: 7, labels: ['ORG'] },
      { start: 24, end: 27, labels: ['PER'] },
      { start: 29, end: 30, labels: ['ORG'] },
    ],
    tokens: ['Mut', ';', 'ant', 'Ninja', 'Turtles.', 'Teen', '#', 'age', 'Mutant', 'Ninja', 'Turtles', '.'],
    tags: ['B-PER', 'O', 'B-ORG', 'O', 'O', 'B-PER', 'O', 'B-ORG', 'O', 'O', 'O', 'O'],
  },
];

/** The CONLL2003 export split into blocks of [token, tag] pairs, one block per annotation. */
function conllBlocks(body: string): [string, string][][] {
  const lines = body.split('\n');
  expect(lines[0]).toBe('-DOCSTART- -X- O');
  const blocks: [string, string][][] = [];
  let block: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === '') {
      if (block.length) blocks.push(block);
      block = [];
      continue;
    }
    const parts = line.split(' ');
    expect(parts.slice(-3, -1)).toEqual(['-X-', '_']);
    block.push([parts.slice(0, -3).join(' '), parts.at(-1)!]);
  }
  return blocks;
}

describe.skipIf(!LABEL_STUDIO_DIR)("exports against Label Studio's converter tests", () => {
  it('are read from ../shared/label-studio/converter-tests', () => {
    expect(Array.isArray(converterJson('test_export_coco/data.json'))).toBe(true);
  });

  it('CONLL2003 tokenises and tags like create_tokens_and_tags', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { label_config: NER_CONFIG });
    const input = CONLL_CASES.map((c) => ({
      data: { text: c.text },
      annotations: [
        {
          result: c.spans.map((s, i) => ({
            id: `s${i}`,
            from_name: 'label',
            to_name: 'text',
            type: 'labels',
            value: { ...s, text: c.text.slice(s.start, s.end) },
          })),
        },
      ],
    }));
    const { imp } = await importTasks(t, project.id, input);
    expect(imp.counts.annotations).toBe(CONLL_CASES.length);
    const res = await exportProject(t, project.id, 'format=CONLL2003');
    expect(res.statusCode).toBe(200);
    const blocks = conllBlocks(res.body);
    expect(blocks).toHaveLength(CONLL_CASES.length);
    CONLL_CASES.forEach((c, i) => {
      const block = blocks[i]!;
      if (c.tokens)
        expect(
          block.map(([tok]) => tok),
          c.text,
        ).toEqual(c.tokens);
      if (c.tags)
        expect(
          block.map(([, tag]) => tag),
          c.text,
        ).toEqual(c.tags);
      for (const a of c.at ?? []) {
        if (a.token) expect(block[a.index]![0]).toBe(a.token);
        expect(block[a.index]![1]).toBe(a.tag);
      }
    });
  });

  it('COCO: rectangles, polygons with segmentation and keypoints (test_export_coco)', async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_coco/label_config.xml',
      'test_export_coco/data.json',
    );
    const res = await exportProject(t, project.id, 'format=COCO');
    expect(res.statusCode).toBe(200);
    const coco = res.json() as Json;
    expect(coco.images).toEqual([{ width: 500, height: 320, id: 0, file_name: 'test_image1.jpg' }]);
    expect(coco.annotations).toHaveLength(3);
    const byName = new Map((coco.categories as Json[]).map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(['polygon_label', 'rectangle_label', 'default']);
    expect(byName.get('default')).toMatchObject({
      keypoints: ['keypoint_label1', 'keypoint_label2'],
      supercategory: 'default',
    });
    const result = (tasks[0]!.annotations[0].result as Json[]).map((r) => r.value);
    const rect = (coco.annotations as Json[]).find(
      (a) => Array.isArray(a.segmentation) && a.segmentation.length === 0,
    )!;
    const rv = result[0]!;
    expect(rect.category_id).toBe(byName.get('rectangle_label')!.id);
    expectClose(
      rect.bbox,
      [(rv.x / 100) * 500, (rv.y / 100) * 320, (rv.width / 100) * 500, (rv.height / 100) * 320],
      'bbox',
    );
    const poly = (coco.annotations as Json[]).find((a) => a.segmentation?.length && !a.keypoints)!;
    const points = (result[1]!.points as number[][]).flatMap(([x, y]) => [
      (x! / 100) * 500,
      (y! / 100) * 320,
    ]);
    expectClose(poly.segmentation[0], points, 'segmentation');
    expect(poly.area).toBeGreaterThan(0);
    expect(poly.bbox[2] > 0 && poly.bbox[3] > 0).toBe(true);
    const kp = (coco.annotations as Json[]).find((a) => a.keypoints)!;
    expect(kp.category_id).toBe(byName.get('default')!.id);
    expect(kp.num_keypoints).toBe(2);
    // model_index order, pixels rounded, visibility 2.
    expect(kp.keypoints).toEqual([
      Math.round((result[2]!.x / 100) * 500),
      Math.round((result[2]!.y / 100) * 320),
      2,
      Math.round((result[3]!.x / 100) * 500),
      Math.round((result[3]!.y / 100) * 320),
      2,
    ]);
    const [x0, y0, w, h] = kp.bbox as number[];
    for (let i = 0; i < 2; i++) {
      expect(kp.keypoints[3 * i] >= x0! && kp.keypoints[3 * i] <= x0! + w!).toBe(true);
      expect(kp.keypoints[3 * i + 1] >= y0! && kp.keypoints[3 * i + 1] <= y0! + h!).toBe(true);
    }
  });

  it('COCO: <Label category> ids are kept (test_convert_to_coco_preserves_explicit_category_ids)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, {
      label_config: `<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">
        <Label value="car" category="10"/><Label value="person" category="2"/><Label value="truck" category="7"/>
      </RectangleLabels></View>`,
    });
    const box = (label: string, x: number, size: number) => ({
      id: label,
      type: 'rectanglelabels',
      from_name: 'label',
      to_name: 'image',
      original_width: 1000,
      original_height: 500,
      value: { x, y: x, width: size, height: size, rotation: 0, rectanglelabels: [label] },
    });
    await importTasks(t, project.id, [
      {
        data: { image: 'not-downloaded.jpg' },
        annotations: [{ result: [box('car', 10, 20), box('truck', 30, 10)] }],
      },
    ]);
    const coco = (await exportProject(t, project.id, 'format=COCO')).json() as Json;
    expect(Object.fromEntries((coco.categories as Json[]).map((c) => [c.name, c.id]))).toEqual({
      car: 10,
      person: 2,
      truck: 7,
    });
    expect(new Set((coco.annotations as Json[]).map((a) => a.category_id))).toEqual(new Set([10, 7]));
    const yolo = readZip((await exportProject(t, project.id, 'format=YOLO')).rawPayload);
    expect(lines(yolo.get('labels/not-downloaded.txt')!).map((l) => l[0])).toEqual([10, 7]);
  });

  it('YOLO: centre boxes as convert_annotation_to_yolo gives them (test_export_yolo/data.json)', async () => {
    const { t, project } = await converterProject(
      'test_export_yolo/label_config.xml',
      'test_export_yolo/data.json',
    );
    const zip = readZip((await exportProject(t, project.id, 'format=YOLO')).rawPayload);
    expect(zip.get('classes.txt')).toBe('parasites\nwhite\n');
    const rows = [...lines(zip.get('labels/image1.txt')!), ...lines(zip.get('labels/image2.txt')!)];
    // test_convert_annotation_to_yolo_format's expectations, all three boxes of this input.
    const expected = [
      [0.39253187613843354, 0.7304189435336975, 0.04189435336976321, 0.04735883424408015],
      [0.5969531379367445, 0.6519291273389635, 0.03808577579069383, 0.04636529226693169],
      [0.39799635701275043, 0.7404371584699453, 0.03825136612021857, 0.04553734061930784],
    ];
    // One annotation of each task (one label file per image); the split by labeler comes with its option.
    expect(rows).toHaveLength(4);
    const matched = expected.filter((e) =>
      rows.some((r) => r.slice(1).every((v, i) => Math.abs(v - e[i]!) < 1e-6)),
    );
    expect(matched.length).toBeGreaterThan(0);
  });

  it('YOLO_OBB: four corners per rotated box (test_export_yolo/data_obb.json)', async () => {
    // The input labels boxes "Butterfly" where the config says "butterfly"; the converter takes
    // any label, this platform's import only the config's, so the config gets both.
    const { t, project } = await converterProject(
      'test_export_yolo/label_config_obb.xml',
      'test_export_yolo/data_obb.json',
      (xml) => xml.replace('<Label value="butterfly"', '<Label value="Butterfly"/><Label value="butterfly"'),
    );
    const res = await exportProject(t, project.id, 'format=YOLO_OBB');
    expect(res.statusCode).toBe(200);
    const zip = readZip(res.rawPayload);
    const files = ['labels/image1.txt', 'labels/image2.txt', 'labels/image3.txt'];
    expect([...zip.keys()].filter((k) => k.startsWith('labels/')).sort()).toEqual(files);
    expect(files.map((f) => lines(zip.get(f)!).length)).toEqual([23, 1, 1]);
    for (const f of files) for (const row of lines(zip.get(f)!)) expect(row).toHaveLength(9);
    // test_convert_annotation_to_yolo_obb_format's corners for the second and third box of image1.
    const image1 = lines(zip.get('labels/image1.txt')!);
    expectClose(
      image1[1]!.slice(1),
      [
        0.32940009098188566, 0.7738909168266751, 0.4078648636432219, 0.7579911558782483, 0.43217208011269465,
        0.830475727539231, 0.35370730745135837, 0.8463754884876579,
      ],
    );
    expectClose(
      image1[2]!.slice(1),
      [
        0.16814074232397513, 0.5743596079245723, 0.29990750552628187, 0.6721650332758418, 0.24395249444460837,
        0.7177171056620688, 0.11218573124230163, 0.6199116803107994,
      ],
    );
  });

  it('YOLO: polygons as segmentation lines (test_export_yolo/data_polygons.json)', async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_yolo/label_config_polygons.xml',
      'test_export_yolo/data_polygons.json',
    );
    const zip = readZip((await exportProject(t, project.id, 'format=YOLO')).rawPayload);
    expect([...zip.keys()].filter((k) => k.startsWith('labels/'))).toEqual(['labels/image2.txt']);
    const rows = lines(zip.get('labels/image2.txt')!);
    expect(rows).toHaveLength(1);
    const value = tasks[0]!.annotations[0].result[0].value;
    const classes = zip.get('classes.txt')!.trim().split('\n');
    expect(rows[0]![0]).toBe(classes.indexOf(value.polygonlabels[0]));
    expectClose(
      rows[0]!.slice(1),
      (value.points as number[][]).flatMap(([x, y]) => [x! / 100, y! / 100]),
    );
  });

  it('YOLO: keypoints after their rectangle in model_index order (test_export_yolo/data_keypoints.json)', async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_yolo/label_config_keypoints.xml',
      'test_export_yolo/data_keypoints.json',
    );
    const zip = readZip((await exportProject(t, project.id, 'format=YOLO')).rawPayload);
    expect([...zip.keys()].filter((k) => k.startsWith('labels/'))).toEqual(['labels/image1.txt']);
    expect(zip.get('classes.txt')).toBe('person\n');
    const rows = lines(zip.get('labels/image1.txt')!);
    expect(rows).toHaveLength(1);
    const result = tasks[0]!.annotations[0].result as Json[];
    const rect = result.find((r) => r.type === 'rectanglelabels')!.value;
    const row = rows[0]!;
    expect(row).toHaveLength(5 + 17 * 3);
    expect(row[0]).toBe(0);
    expectClose(row.slice(1, 5), [
      (rect.x + rect.width / 2) / 100,
      (rect.y + rect.height / 2) / 100,
      rect.width / 100,
      rect.height / 100,
    ]);
    const order = ['nose', 'left_eye', 'right_eye'];
    const kps = row.slice(5);
    for (const r of result.filter((x) => x.type === 'keypointlabels')) {
      const i = order.indexOf(r.value.keypointlabels[0]);
      expectClose(kps.slice(3 * i, 3 * i + 3), [r.value.x / 100, r.value.y / 100, 2]);
    }
    expect(kps.slice(9).every((v) => v === 0)).toBe(true);
    for (let i = 0; i < kps.length; i++) if (i % 3 !== 2) expect(kps[i]! >= 0 && kps[i]! <= 1).toBe(true);
  });

  it('YOLO split_labelers: a label file per annotator and image (test_convert_to_yolo)', async () => {
    const { t, project } = await converterProject(
      'test_export_yolo/label_config.xml',
      'test_export_yolo/data.json',
    );
    const zip = readZip((await exportProject(t, project.id, 'format=YOLO&split_labelers=true')).rawPayload);
    const files = [...zip.keys()].filter((k) => k.startsWith('labels/')).sort();
    const byLabeler = new Map<string, string[]>();
    for (const f of files) {
      const [, labeler, name] = f.split('/');
      byLabeler.set(labeler!, [...(byLabeler.get(labeler!) ?? []), name!]);
    }
    // Two annotators: one labelled both images, the other the first.
    expect([...byLabeler.values()].map((names) => names.sort().join()).sort()).toEqual([
      'image1.txt',
      'image1.txt,image2.txt',
    ]);
    for (const f of files) expect(lines(zip.get(f)!), f).toHaveLength(2);
    // Now every annotation is written: all of test_convert_annotation_to_yolo_format's boxes are there.
    const rows = files.flatMap((f) => lines(zip.get(f)!));
    const expected = [
      [0.39253187613843354, 0.7304189435336975, 0.04189435336976321, 0.04735883424408015],
      [0.5969531379367445, 0.6519291273389635, 0.03808577579069383, 0.04636529226693169],
      [0.39799635701275043, 0.7404371584699453, 0.03825136612021857, 0.04553734061930784],
    ];
    for (const e of expected) {
      const row = rows.find((r) => r.slice(1).every((v, i) => Math.abs(v - e[i]!) < 1e-6));
      expect(row, `a line for ${e}`).toBeDefined();
    }
    const voc = readZip((await exportProject(t, project.id, 'format=VOC&split_labelers=true')).rawPayload);
    expect(
      [...voc.keys()].map((k) => k.replace(/\.xml$/, '.txt').replace('Annotations/', 'labels/')).sort(),
    ).toEqual(files);
  });

  it('COCO writes every annotation; only_ground_truth keeps the ground truth alone', async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_yolo/label_config.xml',
      'test_export_yolo/data.json',
    );
    const all = (await exportProject(t, project.id, 'format=COCO')).json() as Json;
    // An image entry per annotation, as the converter writes them: task 1 twice, task 2 once.
    expect((all.images as Json[]).map((i) => i.file_name)).toEqual(['/image1', '/image1', '/image2']);
    expect(all.annotations).toHaveLength(6);
    // The same input with the second annotation of task 1 marked ground truth, exported alone.
    const marked = converterJson('test_export_yolo/data.json') as Json[];
    marked[0]!.annotations[1].ground_truth = true;
    const other = await newProject(t, { label_config: converterText('test_export_yolo/label_config.xml') });
    await importTasks(t, other.id, marked);
    const only = (await exportProject(t, other.id, 'format=COCO&only_ground_truth=true')).json() as Json;
    expect((only.images as Json[]).map((i) => [i.file_name, i.width])).toEqual([
      ['/image1', 2800],
      ['/image2', null],
    ]);
    expect(only.annotations).toHaveLength(2);
    const gtBox = tasks[0]!.annotations[1].result[0].value;
    expectClose((only.annotations as Json[])[0]!.bbox, [
      gtBox.x * 28,
      gtBox.y * 28,
      gtBox.width * 28,
      gtBox.height * 28,
    ]);
  });

  it('CSV, TSV and JSON_MIN keep a data key named like a control as _data_<key> (csv_test_colliding_keys_mixed)', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    // test_csv_export_colliding_keys_end_to_end's schema: a Choices control named "text" over the data key "text".
    const project = await newProject(t, {
      label_config: `<View><Text name="t" value="$text"/><Choices name="text" toName="t">
        <Choice value="positive"/><Choice value="negative"/></Choices></View>`,
    });
    // Its results point to_name at "text" too; a config cannot name two tags "text" (here as in
    // Label Studio), so the object is "t" and the results follow.
    const input = converterJson('test_export_csv/csv_test_colliding_keys_mixed.json') as Json[];
    for (const task of input) for (const a of task.annotations) for (const r of a.result) r.to_name = 't';
    const { imp } = await importTasks(t, project.id, input);
    expect(imp.errors).toEqual([]);
    const csv = (await exportProject(t, project.id, 'format=CSV')).body.trimEnd().split('\n');
    const header = JSON.parse(`[${csv[0]}]`) as string[];
    expect(header).toContain('_data_text');
    expect(header).toContain('text');
    expect(header.some((h) => h === 'text_input' || h === 'text_annotation')).toBe(false);
    const cell = (row: string, column: string) => csvCells(row)[header.indexOf(column)];
    expect([cell(csv[1]!, '_data_text'), cell(csv[1]!, 'text')]).toEqual(['Annotated task', 'positive']);
    expect([cell(csv[2]!, '_data_text'), cell(csv[2]!, 'text')]).toEqual(['Unannotated task', null]);
    const tsv = (await exportProject(t, project.id, 'format=TSV')).body.split('\n')[0]!.split('\t');
    expect(tsv).toContain('"_data_text"');
    const min = (await exportProject(t, project.id, 'format=JSON_MIN')).json() as Json[];
    expect(min.map((r) => [r._data_text, r.text ?? null])).toEqual([
      ['Annotated task', 'positive'],
      ['Unannotated task', null],
    ]);
  });

  it('JSON_MIN: one record per annotation with the control key (test_simple_json_min)', async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_json_min/label_config.xml',
      'test_export_json_min/data.json',
    );
    const min = (await exportProject(t, project.id, 'format=JSON_MIN')).json() as Json[];
    expect(min).toHaveLength(1);
    const region = tasks[0]!.annotations[0].result[0];
    expect(min[0]!.label).toEqual([
      { ...region.value, original_width: region.original_width, original_height: region.original_height },
    ]);
  });

  it("JSON_MIN and CSV: a chat's messages (test_chat_json_min, chat_data.json)", async () => {
    // The SDK's test gives the converter CHAT_SCHEMA (a Chat tag named "chat"); as a config:
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, {
      label_config: '<View><Chat name="chat" value="$input_chat"/></View>',
    });
    const { imp } = await importTasks(t, project.id, converterJson('test_export_json_min/chat_data.json'));
    expect(imp.errors).toEqual([]);
    const min = (await exportProject(t, project.id, 'format=JSON_MIN')).json() as Json[];
    expect(min).toHaveLength(1);
    const messages = min[0]!.chat as Json[];
    expect(Array.isArray(messages)).toBe(true);
    expect(messages).toHaveLength(4);
    expect(messages[0]!.role).toBe('user');
    expect(messages[1]!.content.startsWith('Hello! How can I assist you today?')).toBe(true);
    expect('tool_calls' in messages[1]!).toBe(true);
    expect(messages[1]!.tool_calls).toBeNull();
    const csv = (await exportProject(t, project.id, 'format=CSV')).body;
    const header = JSON.parse(`[${csv.split('\n')[0]}]`) as string[];
    expect(header).toContain('chat');
    expect(header).toContain('chat_transcript');
    expect(csv).toContain('"user: hi\nassistant: Hello! How can I assist you today?\nuser: i dont want');
  });

  it("VOC: an annotation document per image with the converter's integer boxes (test_export_yolo/data.json)", async () => {
    const { t, project, tasks } = await converterProject(
      'test_export_yolo/label_config.xml',
      'test_export_yolo/data.json',
    );
    const res = await exportProject(t, project.id, 'format=VOC');
    expect(res.statusCode).toBe(200);
    const zip = readZip(res.rawPayload);
    expect([...zip.keys()].sort()).toEqual(['Annotations/image1.xml', 'Annotations/image2.xml']);
    const parser = new XMLParser({ isArray: (name) => name === 'object' });
    const doc = parser.parse(zip.get('Annotations/image1.xml')!).annotation as Json;
    expect(doc.filename).toBe('image1');
    expect(doc.size).toEqual({ width: 2800, height: 2800, depth: 3 });
    // The newest annotation of task 1 (one file per image), boxes as the converter's int() of pixels.
    const newest = (tasks[0]!.annotations as Json[]).at(-1)!.result as Json[];
    expect((doc.object as Json[]).map((o) => [o.name, o.bndbox])).toEqual(
      newest.map(({ value: v }) => {
        const [x, y] = [Math.trunc((v.x / 100) * 2800), Math.trunc((v.y / 100) * 2800)];
        const [w, h] = [Math.trunc((v.width / 100) * 2800), Math.trunc((v.height / 100) * 2800)];
        return [v.rectanglelabels[0], { xmin: x, ymin: y, xmax: x + w, ymax: y + h }];
      }),
    );
  });

  it('VOC: boxes of a Labels control beside a Rectangle, the file name with its extension', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, {
      label_config: `<View><Image name="image" value="$image"/><Rectangle name="box" toName="image"/>
        <Labels name="label" toName="image"><Label value="cat"/></Labels></View>`,
    });
    const { imp } = await importTasks(t, project.id, [
      {
        data: { image: 'https://example.com/pets/cat%201.jpg?sig=x' },
        annotations: [
          {
            result: [
              {
                id: 'r',
                type: 'rectanglelabels',
                from_name: 'label',
                to_name: 'image',
                original_width: 200,
                original_height: 100,
                value: { x: 10, y: 20, width: 50, height: 50, rotation: 0, rectanglelabels: ['cat'] },
              },
            ],
          },
        ],
      },
    ]);
    expect(imp.errors).toEqual([]);
    const zip = readZip((await exportProject(t, project.id, 'format=VOC')).rawPayload);
    const doc = new XMLParser().parse(zip.get('Annotations/cat 1.xml')!).annotation as Json;
    expect(doc.filename).toBe('cat 1.jpg');
    expect(doc.object).toMatchObject({ name: 'cat', bndbox: { xmin: 20, ymin: 20, xmax: 120, ymax: 70 } });
  });
});
