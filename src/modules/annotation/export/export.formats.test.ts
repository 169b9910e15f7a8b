import { describe, expect, it } from 'vitest';
import { parseLabelConfig } from '../label-config/label-config.ts';
import {
  boxesOf,
  conllBlock,
  conllSupport,
  csvColumns,
  csvHeader,
  csvRow,
  type ExportAnnotation,
  type ExportTask,
  formatUnsupported,
  imageFileName,
  minRecords,
  pickAnnotation,
  prettify,
  stem,
  vocXml,
} from './export.formats.ts';
import { CategoryList, imageSupport, rectangleBounds, regionsOf, yoloLines } from './export.images.ts';
import { treebankSpans } from './treebank.ts';

const TEXT = parseLabelConfig(`<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
  <TextArea name="comment" toName="text"/>
</View>`);
const NER = parseLabelConfig(`<View>
  <Labels name="label" toName="text"><Label value="Location"/><Label value="Misc"/></Labels>
  <Text name="text" value="$text"/>
</View>`);
const BBOX_XML = `<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image"><Label value="Planet"/><Label value="Moonwalker"/></RectangleLabels>
  <Choices name="quality" toName="image"><Choice value="good"/></Choices>
</View>`;
const BBOX = parseLabelConfig(BBOX_XML);

const at = (s: string) => new Date(s);
function ann(id: number, over: Partial<ExportAnnotation> = {}): ExportAnnotation {
  return {
    id,
    result: [],
    leadTime: 1,
    wasCancelled: false,
    groundTruth: false,
    completedBy: null,
    completedByNumber: null,
    completedByEmail: null,
    completedByName: null,
    completedByExternal: null,
    reviewStatus: null,
    parentAnnotationId: null,
    parentPredictionId: null,
    createdAt: at('2024-01-01T00:00:00Z'),
    updatedAt: at('2024-01-01T00:00:00Z'),
    ...over,
  };
}
function task(annotations: ExportAnnotation[], data: Record<string, unknown> = { text: 'hi' }): ExportTask {
  return {
    id: 5,
    projectId: 1,
    data,
    meta: {},
    createdAt: at('2024-01-01T00:00:00Z'),
    updatedAt: at('2024-01-01T00:00:00Z'),
    totalAnnotations: annotations.length,
    cancelledAnnotations: 0,
    totalPredictions: 0,
    updatedByNumber: null,
    annotations,
    predictions: [],
  };
}

describe('CoNLL 2003', () => {
  it("tags the converter README's example sentence", () => {
    const text = 'Showers continued throughout the week in the Bahia cocoa zone,';
    const start = text.indexOf('Bahia');
    expect(conllBlock(text, [{ start, end: start + 5, labels: ['Location'] }])).toBe(
      'Showers -X- _ O\ncontinued -X- _ O\nthroughout -X- _ O\nthe -X- _ O\nweek -X- _ O\nin -X- _ O\nthe -X- _ O\n' +
        'Bahia -X- _ B-Location\ncocoa -X- _ O\nzone -X- _ O\n, -X- _ O\n\n',
    );
  });

  it('continues a span over tokens with I-, starts adjacent spans again with B-, ignores unlabelled spans', () => {
    const text = 'New  York City Hall  today';
    expect(
      conllBlock(text, [
        { start: 11, end: 19, labels: ['Misc'] },
        { start: 0, end: 8, labels: ['Location'] },
        { start: 21, end: 26, labels: [] },
      ]),
    ).toBe(
      'New -X- _ B-Location\nYork -X- _ I-Location\nCity -X- _ B-Misc\nHall -X- _ I-Misc\ntoday -X- _ O\n\n',
    );
  });

  it("finds NLTK's Treebank token spans (its span_tokenize doctest)", () => {
    const text = 'Good muffins cost $3.88\nin New (York).  Please (buy) me\ntwo of them.\n(Thanks).';
    expect(treebankSpans(text)).toEqual([
      [0, 4],
      [5, 12],
      [13, 17],
      [18, 19],
      [19, 23],
      [24, 26],
      [27, 30],
      [31, 32],
      [32, 36],
      [36, 37],
      [37, 38],
      [40, 46],
      [47, 48],
      [48, 51],
      [51, 52],
      [53, 55],
      [56, 59],
      [60, 62],
      [63, 68],
      [69, 70],
      [70, 76],
      [76, 77],
      [77, 78],
    ]);
    const tokens = (s: string) => treebankSpans(s).map(([a, b]) => s.slice(a, b));
    expect(tokens("hi, my name can't hello,")).toEqual(['hi', ',', 'my', 'name', 'ca', "n't", 'hello', ',']);
    expect(tokens('"Gimme that," she said.')).toEqual([
      '"',
      'Gim',
      'me',
      'that',
      ',',
      '"',
      'she',
      'said',
      '.',
    ]);
  });

  it('needs Labels on a Text object', () => {
    expect(conllSupport(NER)).toEqual({ textKey: 'text', controls: new Set(['label']) });
    expect(conllSupport(TEXT)).toBeNull();
    expect(formatUnsupported('CONLL2003', TEXT)).toContain('<Labels>');
    expect(formatUnsupported('JSON', TEXT)).toBeNull();
  });
});

describe('JSON_MIN and CSV', () => {
  it("prettifies like the converter's prettify_result", () => {
    expect(prettify([{ type: 'Choices', choices: ['Positive'] }])).toBe('Positive');
    // One region with several choices: the converter returns that region itself.
    expect(prettify([{ type: 'Choices', choices: ['a', 'b'] }])).toEqual({ choices: ['a', 'b'] });
    expect(prettify([{ type: 'TextArea', text: ['note'] }])).toBe('note');
    expect(prettify([{ type: 'Labels', start: 0, end: 2, labels: ['X'] }])).toEqual([
      { start: 0, end: 2, labels: ['X'] },
    ]);
  });

  it('writes one record per annotation, newest first, skipping cancelled ones', () => {
    const records = minRecords(
      task([
        ann(1, {
          result: [
            { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: ['Positive'] } },
          ],
          completedByEmail: 'a@x.example',
        }),
        ann(2, {
          createdAt: at('2024-02-01T00:00:00Z'),
          result: [
            { from_name: 'comment', to_name: 'text', type: 'textarea', value: { text: ['ok'] } },
            { from_name: 'gone', to_name: 'text', type: 'choices', value: { choices: ['x'] } },
          ],
          completedByExternal: 'Guest',
        }),
        ann(3, { wasCancelled: true }),
      ]),
      TEXT,
      false,
    );
    expect(records.map((r) => [r.annotation_id, r.annotator, r.sentiment, r.comment, 'gone' in r])).toEqual([
      [2, 'Guest', undefined, 'ok', false],
      [1, 'a@x.example', 'Positive', undefined, false],
    ]);
    expect(records[0]).toMatchObject({
      text: 'hi',
      id: 5,
      lead_time: 1,
      created_at: '2024-02-01T00:00:00.000Z',
    });
  });

  it('quotes strings, leaves numbers bare and JSON-encodes nested values', () => {
    const columns = csvColumns(['text', 'meta'], TEXT);
    expect(columns).toEqual([
      'annotation_id',
      'annotator',
      'comment',
      'created_at',
      'id',
      'lead_time',
      'meta',
      'sentiment',
      'text',
      'updated_at',
      'was_cancelled',
    ]);
    expect(csvHeader(['a', 'b"c'], '\t')).toBe('"a"\t"b""c"\n');
    expect(
      csvRow({ text: 'say "hi", ok', id: 3, meta: { k: [1] }, was_cancelled: false }, columns, ','),
    ).toBe(',,,,3,,"{""k"":[1]}",,"say ""hi"", ok",,False\n');
  });
});

const EVERY_TYPE = parseLabelConfig(`<View>
  <Text name="text" value="$text"/>
  <Text name="other" value="$other"/>
  <Labels name="ner" toName="text"><Label value="PER"/></Labels>
  <Choices name="sentiment" toName="text"><Choice value="Positive"/><Choice value="Negative"/></Choices>
  <Taxonomy name="topic" toName="text"><Choice value="Science"><Choice value="Physics"/></Choice></Taxonomy>
  <TextArea name="comment" toName="text"/>
  <Rating name="stars" toName="text"/>
  <Number name="count" toName="text"/>
  <DateTime name="when" toName="text"/>
  <Pairwise name="better" toName="text,other"/>
  <List name="items" value="$items"/>
  <Ranker name="order" toName="items"/>
  <Relations><Relation value="knows"/></Relations>
  <Chat name="chat" value="$dialogue"/>
</View>`);

describe('every result type in JSON_MIN and CSV', () => {
  const region = (from: string, type: string, value: Record<string, unknown>) => ({
    id: from,
    from_name: from,
    to_name: 'text',
    type,
    value,
  });
  const chat = (role: string, content: string) => ({
    id: content,
    from_name: 'chat',
    to_name: 'chat',
    type: 'chatmessage',
    value: { chatmessage: { role, content, createdAt: 1 } },
  });
  const result = [
    region('ner', 'labels', { start: 0, end: 3, text: 'Ann', labels: ['PER'] }),
    region('sentiment', 'choices', { choices: ['Positive'] }),
    region('topic', 'taxonomy', { taxonomy: [['Science', 'Physics']] }),
    region('comment', 'textarea', { text: ['fine'] }),
    region('stars', 'rating', { rating: 4 }),
    region('count', 'number', { number: 7 }),
    region('when', 'datetime', { datetime: '2024-05-01T10:00' }),
    region('better', 'pairwise', { selected: 'left' }),
    region('order', 'ranker', { ranker: { items: ['b', 'a'] } }),
    { type: 'relation', from_id: 'ner', to_id: 'ner', direction: 'right', labels: ['knows'] },
    chat('user', 'hi'),
    chat('assistant', 'hello'),
  ];
  const records = minRecords(
    task([ann(1, { result })], { text: 'Ann', other: 'B', items: [], dialogue: [] }),
    EVERY_TYPE,
    false,
    { transcripts: true },
  );

  it("writes each as the converter's prettify_result does (relations, naming no control, left out)", () => {
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      ner: [{ start: 0, end: 3, text: 'Ann', labels: ['PER'] }],
      sentiment: 'Positive',
      topic: [{ taxonomy: [['Science', 'Physics']] }],
      comment: 'fine',
      stars: [{ rating: 4 }],
      count: [{ number: 7 }],
      when: [{ datetime: '2024-05-01T10:00' }],
      better: [{ selected: 'left' }],
      order: [{ ranker: { items: ['b', 'a'] } }],
      chat: [
        { role: 'user', content: 'hi', createdAt: 1 },
        { role: 'assistant', content: 'hello', createdAt: 1 },
      ],
      chat_transcript: 'user: hi\nassistant: hello',
    });
    expect(Object.keys(records[0]!).some((k) => k.startsWith('Relations') || k === 'undefined')).toBe(false);
  });

  it('gives each a CSV column, the chat its transcript too', () => {
    const columns = csvColumns(['text', 'other', 'items', 'dialogue'], EVERY_TYPE);
    for (const c of ['chat', 'chat_transcript', 'order', 'better', 'when', 'count', 'stars', 'topic'])
      expect(columns).toContain(c);
    const row = csvRow(records[0]!, columns, ',');
    expect(row).toContain('"user: hi\nassistant: hello"');
    expect(row).toContain('"[{""role"":""user"",""content"":""hi"",""createdAt"":1}');
  });
});

describe('image formats', () => {
  const rect = (
    label: string,
    x: number,
    y: number,
    w: number,
    h: number,
    extra: Record<string, unknown> = {},
  ) => ({
    from_name: 'box',
    to_name: 'image',
    type: 'rectanglelabels',
    original_width: 800,
    original_height: 501,
    value: { x, y, width: w, height: h, rectanglelabels: [label], ...extra },
  });

  it('finds the image key and categories (sorted, as the converter numbers them)', () => {
    const support = imageSupport(BBOX, BBOX_XML)!;
    expect(support.imageKey).toBe('image');
    expect(support.controls).toEqual(new Map([['box', 'RectangleLabels']]));
    expect(support.categories).toEqual([
      { id: 0, name: 'Moonwalker' },
      { id: 1, name: 'Planet' },
    ]);
    expect(imageSupport(TEXT, '<View/>')).toBeNull();
    expect(formatUnsupported('COCO', TEXT)).toContain('<RectangleLabels>');
    const cats = new CategoryList(support.categories);
    expect(cats.idOf('Planet')).toBe(1);
    expect(cats.idOf('Comet')).toBe(2);
    expect(cats.list.map((c) => c.name)).toEqual(['Moonwalker', 'Planet', 'Comet']);
  });

  it('honours <Label category> ids and numbers the other labels into the free ones', () => {
    const xml = `<View><Image name="image" value="$image"/>
      <RectangleLabels name="box" toName="image">
        <Label value="car" category="1"/><Label value="bus"/><Label value="van"/><Label value="person" category="0"/>
      </RectangleLabels></View>`;
    expect(imageSupport(parseLabelConfig(xml), xml)!.categories).toEqual([
      { id: 1, name: 'car' },
      { id: 0, name: 'person' },
      { id: 2, name: 'bus' },
      { id: 3, name: 'van' },
    ]);
  });

  it('reads boxes with sizes, their bounds when rotated, and YOLO lines', () => {
    const support = imageSupport(BBOX, BBOX_XML)!;
    const regions = regionsOf(
      [rect('Planet', 37.375, 1.2, 47.125, 51.9), { from_name: 'quality', value: { choices: ['good'] } }],
      support,
    );
    expect(regions).toHaveLength(1);
    const line = yoloLines(regions, support, new CategoryList(support.categories), false);
    expect(line.endsWith('\n')).toBe(true);
    const [cls, ...xywh] = line.trim().split(' ').map(Number);
    expect(cls).toBe(1);
    expect(xywh.map((v) => v.toFixed(6))).toEqual(['0.609375', '0.271500', '0.471250', '0.519000']);
    // A box turned 90° about its top-left corner spans leftwards (in percent of the image).
    const bounds = rectangleBounds({ x: 50, y: 10, width: 20, height: 10, rotation: 90 })!;
    expect(bounds.map((v) => Math.round(v * 1e6) / 1e6)).toEqual([40, 10, 10, 20]);
  });

  it('writes Pascal VOC as the converter does, escaping text', () => {
    const boxes = boxesOf(
      [rect('Planet', 37.375, 1.2, 47.125, 51.9), rect('R&D <x>', 36, 59.9, 16.5, 18)],
      new Set(['box']),
    );
    const xml = vocXml({
      folder: 'images',
      fileName: 'planets',
      annotator: 'a@b',
      width: 800,
      height: 501,
      boxes,
    });
    expect(
      xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n  <folder>images</folder>'),
    ).toBe(true);
    expect(xml).toContain(
      '<xmin>299</xmin>\n      <ymin>6</ymin>\n      <xmax>676</xmax>\n      <ymax>266</ymax>',
    );
    expect(xml).toContain('<name>R&amp;D &lt;x&gt;</name>');
    expect(xml).toContain(
      '<xmin>288</xmin>\n      <ymin>300</ymin>\n      <xmax>420</xmax>\n      <ymax>390</ymax>',
    );
  });

  it('names images by their file and picks the ground truth, else the newest annotation', () => {
    expect(imageFileName('https://h.example/a/b/cat%201.jpg?sig=1')).toBe('cat 1.jpg');
    expect(imageFileName('/data/upload/7/x.png')).toBe('x.png');
    expect(stem('cat.tar.gz')).toBe('cat.tar');
    expect(stem('.hidden')).toBe('.hidden');
    const older = ann(1, { groundTruth: true });
    const newer = ann(2, { createdAt: at('2024-05-01T00:00:00Z') });
    expect(pickAnnotation(task([older, newer]))?.id).toBe(1);
    expect(
      pickAnnotation(task([ann(1), newer, ann(3, { wasCancelled: true, createdAt: at('2025-01-01') })]))?.id,
    ).toBe(2);
  });
});
