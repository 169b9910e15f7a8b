import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { newProject } from '../../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../../test/fixtures.ts';
import { testApp } from '../../../../test/helpers.ts';
import { LABEL_STUDIO_DIR } from '../../../../test/label-studio-material.ts';
import { exportProject, importTasks, readZipBytes } from '../../../../test/transfer-helpers.ts';
import { brushFileName, decodeBrushAlpha, decodeRle, greyPng } from './export.brush.ts';

/**
 * BRUSH_TO_PNG: Label Studio's brush RLE decoded as the converter's decode_rle does, on
 * label-studio-sdk's own vector (tests/custom/converter/test_brush.py) and on the mask of
 * its test image (converter-tests/test_brush/test.png), encoded here with the converter's
 * published encode_rle algorithm, imported, exported and read back with pngjs.
 */

/** test_rle_encoding: encode_rle of these RGB values gives these bytes. */
const VALUES = [1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 4, 4, 4, 4, 4, 4, 4, 4];
const RLE = [0, 0, 0, 18, 57, 27, 252, 96, 32, 1, 0, 6, 0, 40, 0, 192, 3, 128, 17, 56, 32];

/** The converter's encode_rle (word size 8, run sizes 3, 4, 8, 16), as its brush.py writes it. */
function encodeRle(values: ArrayLike<number>): number[] {
  const bits: string[] = [];
  const field = (v: number, n: number) => bits.push(v.toString(2).padStart(n, '0'));
  field(values.length, 32);
  field(7, 5);
  for (const size of [3, 4, 8, 16]) field(size - 1, 4);
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    let run = j - i;
    const value = values[i]!;
    if (run === 1) bits.push('000000');
    else if (run <= 8) bits.push('100', (run - 1).toString(2).padStart(3, '0'));
    else if (run <= 16) bits.push('101', (run - 1).toString(2).padStart(4, '0'));
    else if (run <= 256) bits.push('110', (run - 1).toString(2).padStart(8, '0'));
    else {
      for (; run > 2 ** 16; run -= 2 ** 16)
        bits.push('111', (2 ** 16 - 1).toString(2), value.toString(2).padStart(8, '0'));
      bits.push('111', (run - 1).toString(2).padStart(16, '0'));
    }
    field(value, 8);
    i = j;
  }
  let all = bits.join('');
  all += '0'.repeat(8 - (all.length % 8));
  const out: number[] = [];
  for (let i = 0; i < all.length; i += 8) out.push(Number.parseInt(all.slice(i, i + 8), 2));
  return out;
}

describe('brush RLE', () => {
  it("decodes label-studio-sdk's test vector (test_rle_encoding)", async () => {
    expect(encodeRle(VALUES)).toEqual(RLE);
    expect([...(await decodeRle(RLE, VALUES.length))!]).toEqual(VALUES);
    // Every other value from the second: the plane a step and offset pick.
    expect([...(await decodeRle(RLE, VALUES.length, 2, 1))!]).toEqual(VALUES.filter((_, i) => i % 2 === 1));
  });

  it('refuses an RLE of another size or cut short', async () => {
    expect(await decodeRle(RLE, VALUES.length + 1)).toBeNull();
    expect(await decodeRle(RLE.slice(0, 8), VALUES.length)).toBeNull();
    expect(await decodeBrushAlpha([], 1)).toBeNull();
  });

  it('writes greyscale PNGs that a PNG decoder reads back', async () => {
    const pixels = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 17) % 256);
    const png = PNG.sync.read(await greyPng(5, 3, pixels));
    expect([png.width, png.height]).toEqual([5, 3]);
    // pngjs expands to RGBA: each pixel's grey in R, G and B.
    expect(Array.from({ length: 15 }, (_, i) => png.data[i * 4]!)).toEqual([...pixels]);
  });

  it("names files as the converter does (the annotator's e-mail sanitised)", () => {
    expect(brushFileName(3, 9, 'ann lee+x@ex.com', 'tag-Air/plane-0')).toBe(
      'task-3-annotation-9-by-annleex@ex.com-tag-Air-plane-0.png',
    );
  });
});

const BRUSH_CONFIG = `<View>
  <Image name="image" value="$image" zoom="true"/>
  <BrushLabels name="tag" toName="image">
    <Label value="Airplane" background="rgba(255, 0, 0, 0.7)"/>
    <Label value="Car" background="rgba(0, 0, 255, 0.7)"/>
  </BrushLabels>
</View>`;

describe.skipIf(!LABEL_STUDIO_DIR)('BRUSH_TO_PNG', () => {
  it("writes the mask of the converter's test image (image2annotation, then the PNG export)", async () => {
    // image2rle: greyscale (PIL's L), thresholded at 128, each pixel repeated in 4 channels.
    const image = PNG.sync.read(
      fs.readFileSync(path.join(LABEL_STUDIO_DIR!, 'converter-tests/test_brush/test.png')),
    );
    const { width, height } = image;
    const mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) {
      const [r, g, b] = [image.data[4 * i]!, image.data[4 * i + 1]!, image.data[4 * i + 2]!];
      mask[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 > 128 ? 255 : 0;
    }
    const lit = mask.filter((v) => v === 255).length;
    expect(lit > 0 && lit < mask.length).toBe(true);
    const rle = encodeRle(Uint8Array.from({ length: mask.length * 4 }, (_, i) => mask[i >> 2]!));

    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t, { label_config: BRUSH_CONFIG });
    const region = (label: string) => ({
      id: label,
      type: 'brushlabels',
      from_name: 'tag',
      to_name: 'image',
      image_rotation: 0,
      original_width: width,
      original_height: height,
      value: { rle, format: 'rle', brushlabels: [label] },
    });
    const { imp } = await importTasks(t, project.id, [
      {
        data: { image: 'https://labelstud.io/images/test.jpg' },
        annotations: [{ result: [region('Airplane'), region('Airplane'), region('Car')] }],
      },
      { data: { image: 'https://labelstud.io/images/none.jpg' } },
    ]);
    expect(imp.errors).toEqual([]);
    const res = await exportProject(t, project.id, 'format=BRUSH_TO_PNG');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const files = readZipBytes(res.rawPayload);
    const names = [...files.keys()].sort();
    expect(names).toHaveLength(3);
    // Layers counted per control and labels: Airplane 0 and 1, Car 0.
    expect(names.map((n) => n.replace(/^task-\d+-annotation-\d+-by-[^-]*-/, ''))).toEqual([
      'tag-Airplane-0.png',
      'tag-Airplane-1.png',
      'tag-Car-0.png',
    ]);
    for (const name of names) {
      const png = PNG.sync.read(files.get(name)!);
      expect([png.width, png.height]).toEqual([width, height]);
      let differing = 0;
      for (let i = 0; i < mask.length; i++) if (png.data[4 * i] !== mask[i]) differing++;
      expect(differing, name).toBe(0);
    }
  });

  it('is refused for a config without brushes', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const res = await exportProject(t, project.id, 'format=BRUSH_TO_PNG');
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('BRUSH_TO_PNG needs');
  });
});
