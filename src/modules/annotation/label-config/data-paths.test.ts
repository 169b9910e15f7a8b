import { describe, expect, it } from 'vitest';
import { dottedDataPath, parseDataPath, repeatIndexOf, resolveDataPath } from './data-paths.ts';
import { parseLabelConfig, validateResult } from './label-config.ts';

describe('task data paths', () => {
  const data = {
    text: 'hello',
    meta: { title: 'T', 'work-2': { i: 3 } },
    work_2: { i: 7 },
    images: [{ url: 'a.jpg' }, { url: 'b.jpg' }],
    document: [{ page: 'p1.png' }, { page: 'p2.png' }],
  };

  it('parses plain, dotted, indexed and lodash-style paths', () => {
    expect(parseDataPath('$text')).toEqual(['text']);
    expect(parseDataPath('$meta.title')).toEqual(['meta', 'title']);
    expect(parseDataPath('$images[0].url')).toEqual(['images', 0, 'url']);
    expect(parseDataPath('$images.1.url')).toEqual(['images', 1, 'url']);
    expect(parseDataPath('$document[{{idx}}].page', 1)).toEqual(['document', 1, 'page']);
    // Not references, or malformed.
    expect(parseDataPath('Read the guide')).toBeUndefined();
    expect(parseDataPath('$a..b')).toBeUndefined();
    expect(parseDataPath('$[0]')).toBeUndefined();
    expect(parseDataPath('$document[{{idx}}].page')).toBeUndefined();
  });

  it('resolves the paths Label Studio templates use', () => {
    expect(resolveDataPath(data, '$text')).toBe('hello');
    expect(resolveDataPath(data, '$meta.title')).toBe('T');
    expect(resolveDataPath(data, '$work_2.i')).toBe(7);
    expect(resolveDataPath(data, '$meta.work-2.i')).toBe(3);
    expect(resolveDataPath(data, '$images[1].url')).toBe('b.jpg');
    expect(resolveDataPath(data, '$document[{{idx}}].page', 0)).toBe('p1.png');
    expect(resolveDataPath(data, '$images[5].url')).toBeUndefined();
    expect(resolveDataPath(data, '$images.url')).toBeUndefined();
    expect(resolveDataPath(data, '$text.length')).toBeUndefined();
    expect(resolveDataPath(data, '$constructor')).toBeUndefined();
  });

  it('writes a path in the dotted form the embedded editor reads', () => {
    expect(dottedDataPath('$images[0].url')).toBe('$images.0.url');
    expect(dottedDataPath('$text')).toBe('$text');
    expect(dottedDataPath('Title: $title')).toBe('Title: $title');
  });

  it('finds a Repeater instance index in a name', () => {
    expect(repeatIndexOf('labels_{{idx}}', 'labels_12')).toBe(12);
    expect(repeatIndexOf('labels_{{idx}}', 'labels_x')).toBeUndefined();
    expect(repeatIndexOf('p{{idx}}_{{idx}}', 'p1_2')).toBeUndefined();
    expect(repeatIndexOf('labels', 'labels')).toBeUndefined();
  });

  // Label Studio's own Repeater case (label_studio/tests/test_config_validation.py).
  const REPEATER =
    '<View> <Repeater on="$images" indexFlag="{{idx}}"> <Image name="page_{{idx}}" value="$images" maxWidth="100%"/>     <Header value="Utterance Review"/>     <RectangleLabels name="labels_{{idx}}" toName="page_{{idx}}">       <Label value="Header" hotkey="1"/> <Label value="Body" hotkey="2"/> <Label value="Footer" hotkey="3"/> </RectangleLabels> </Repeater> </View>';
  const region = (from: string, to: string, label = 'Header') => ({
    id: '_565WKjviN',
    type: 'rectanglelabels',
    value: { x: 21.45, y: 7.68, width: 54.73, height: 4.14, rotation: 0, rectanglelabels: [label] },
    origin: 'manual',
    to_name: to,
    from_name: from,
    image_rotation: 0,
    original_width: 800,
    original_height: 1035,
  });

  it('checks a Repeater region by its instance names (labels_0 → page_0)', () => {
    const config = parseLabelConfig(REPEATER);
    expect(validateResult(config, [region('labels_0', 'page_0')])).toEqual([]);
    expect(validateResult(config, [region('labels_3', 'page_3')])).toEqual([]);
    expect(validateResult(config, [region('labels_0', 'page_1')]).map((e) => e.path)).toEqual([
      'result/0/to_name',
    ]);
    expect(validateResult(config, [region('labels_0', 'page_0', 'Logo')]).map((e) => e.message)).toEqual([
      '"Logo" is not a label of "labels_0"',
    ]);
    expect(validateResult(config, [region('boxes_0', 'page_0')]).map((e) => e.path)).toEqual([
      'result/0/from_name',
    ]);
  });
});
