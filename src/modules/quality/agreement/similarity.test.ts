import { describe, expect, it } from 'vitest';
import {
  byControl,
  compareAnnotations,
  compareControl,
  controlRanges,
  controlSpecs,
  iou,
  levenshtein,
  levenshteinSimilarity,
} from './similarity.ts';

const choices = (...c: string[]) => [{ choices: c }];
const span = (start: number, end: number, label = 'PER') => ({ start, end, labels: [label] });
const box = (x: number, y: number, width: number, height: number, label = 'Car') => ({
  x,
  y,
  width,
  height,
  rectanglelabels: [label],
});

describe('per-control similarity', () => {
  it('choices: exact match of the chosen set', () => {
    const c = { name: 's', type: 'Choices' };
    expect(compareControl(c, choices('A'), choices('A'))).toBe(1);
    expect(compareControl(c, choices('A'), choices('B'))).toBe(0);
    expect(compareControl(c, choices('A', 'B'), choices('B', 'A'))).toBe(1);
    expect(compareControl(c, choices('A', 'B'), choices('A'))).toBe(0);
    expect(compareControl(c, [], [])).toBeNull();
    expect(compareControl(c, choices('A'), undefined)).toBe(0);
  });

  it('labels: character-overlap F1 per label', () => {
    const c = { name: 'ner', type: 'Labels' };
    // [0,10) vs [5,15): overlap 5, sizes 10 + 10 → 2·5/20 = 0.5.
    expect(compareControl(c, [span(0, 10)], [span(5, 15)])).toBeCloseTo(0.5, 12);
    // Same span, different labels: no labelled overlap.
    expect(compareControl(c, [span(0, 10, 'PER')], [span(0, 10, 'ORG')])).toBe(0);
    // Two spans vs one covering both: A = 4 + 4 = 8, B = 10, overlap 8 → 16/18.
    expect(compareControl(c, [span(0, 4), span(6, 10)], [span(0, 10)])).toBeCloseTo(16 / 18, 12);
    expect(compareControl(c, [span(3, 7)], [span(3, 7)])).toBe(1);
  });

  it('rectangles: IoU, boxes matched greedily within a label', () => {
    // (0,0,10,10) and (5,5,10,10): intersection 25, union 175 → 1/7.
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 })).toBeCloseTo(1 / 7, 12);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 20, w: 5, h: 5 })).toBe(0);
    const c = { name: 'bbox', type: 'RectangleLabels' };
    expect(compareControl(c, [box(0, 0, 10, 10)], [box(5, 5, 10, 10)])).toBeCloseTo(1 / 7, 12);
    // Two boxes vs one identical to the first: (1 + 0) / max(2, 1) = 0.5.
    expect(compareControl(c, [box(0, 0, 10, 10), box(50, 50, 10, 10)], [box(0, 0, 10, 10)])).toBe(0.5);
    // Label mismatch never matches.
    expect(compareControl(c, [box(0, 0, 10, 10, 'Car')], [box(0, 0, 10, 10, 'Bus')])).toBe(0);
  });

  it('textarea: 1 − normalised Levenshtein distance', () => {
    // kitten → sitting: 3 edits, longer length 7.
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshteinSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    expect(levenshteinSimilarity('', '')).toBe(1);
    const c = { name: 'txt', type: 'TextArea' };
    expect(compareControl(c, [{ text: ['kitten'] }], [{ text: 'sitting' }])).toBeCloseTo(4 / 7, 12);
  });

  it('number and rating: 1 − |a − b| / range', () => {
    expect(compareControl({ name: 'r', type: 'Rating', range: 4 }, [{ rating: 2 }], [{ rating: 5 }])).toBe(
      0.25,
    );
    expect(
      compareControl({ name: 'n', type: 'Number', range: 100 }, [{ number: 10 }], [{ number: 30 }]),
    ).toBe(0.8);
    // No range in the config: relative to the larger magnitude.
    expect(compareControl({ name: 'n', type: 'Number' }, [{ number: 8 }], [{ number: 10 }])).toBeCloseTo(
      0.8,
      12,
    );
  });

  it('other controls: exact match of the values, ids and key order aside', () => {
    const c = { name: 'kp', type: 'KeyPointLabels' };
    expect(
      compareControl(c, [{ x: 1, y: 2, keypointlabels: ['a'] }], [{ y: 2, keypointlabels: ['a'], x: 1 }]),
    ).toBe(1);
    expect(compareControl(c, [{ x: 1, y: 2 }], [{ x: 1, y: 3 }])).toBe(0);
  });

  it('reads scale widths from the config and averages the controls compared', () => {
    const xml = `<View><Text name="t" value="$t"/>
      <Choices name="s" toName="t"><Choice value="A"/><Choice value="B"/></Choices>
      <Rating name="stars" toName="t" maxRating="10"/>
      <Number name="age" toName="t" min="0" max="120"/>
      <Rating name="plain" toName="t"/></View>`;
    expect([...controlRanges(xml)]).toEqual([
      ['stars', 9],
      ['age', 120],
      ['plain', 4],
    ]);
    const specs = controlSpecs(
      {
        controls: [
          { name: 's', type: 'Choices' },
          { name: 'stars', type: 'Rating' },
          { name: '', type: 'Relations' },
        ],
      },
      xml,
    );
    expect(specs).toEqual([
      { name: 's', type: 'Choices', range: undefined },
      { name: 'stars', type: 'Rating', range: 9 },
    ]);
    const a = byControl([
      { from_name: 's', type: 'choices', value: { choices: ['A'] } },
      { from_name: 'stars', type: 'rating', value: { rating: 1 } },
    ]);
    const b = byControl([
      { from_name: 's', type: 'choices', value: { choices: ['A'] } },
      { from_name: 'stars', type: 'rating', value: { rating: 10 } },
    ]);
    expect(compareAnnotations(specs, a, b)).toEqual({ score: 0.5, controls: { s: 1, stars: 0 } });
    expect(compareAnnotations(specs, new Map(), new Map())).toEqual({ score: 1, controls: {} });
  });
});
