import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { exportProject, importTasks } from '../../../../test/transfer-helpers.ts';

/**
 * Exports compared with Label Studio's converter on its own test material: the inputs,
 * configs and expected outputs of label-studio-sdk's `tests/custom/converter/`, read from
 * ../shared/label-studio/converter-tests (never copied here). Cases the SDK writes inline
 * in its test code (CONLL2003) are restated below with the converter's expected tokens.
 */
const ROOT = path.resolve(import.meta.dirname, '../../../../../shared/label-studio/converter-tests');
const converterJson = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, name), 'utf8'));

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

describe("exports against Label Studio's converter tests", () => {
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
});
