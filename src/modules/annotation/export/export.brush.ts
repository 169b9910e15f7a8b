import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';
import type { ParsedConfig } from '../schema.ts';

/**
 * BRUSH_TO_PNG as Label Studio's converter writes it (label-studio-sdk `brush.py`): each
 * brush region of an annotation decoded from Label Studio's RLE to its alpha plane and
 * written as an 8-bit greyscale PNG named
 * `task-<task>-annotation-<annotation>-by-<annotator>-<control>-<labels>-<n>.png`.
 */

const deflateAsync = promisify(deflate);

/** How many decoded values between yields to the event loop: a large mask must not stall other requests. */
const YIELD_EVERY = 1 << 16;

/** Reads big-endian bit fields from Label Studio's RLE bytes. */
class BitReader {
  private pos = 0;
  constructor(private readonly bytes: ArrayLike<number>) {}

  /** The next `bits` bits (up to 32) as a number, taken a byte's worth at a time. */
  read(bits: number): number {
    let v = 0;
    for (let need = bits; need > 0; ) {
      const byte = this.bytes[this.pos >> 3];
      if (byte === undefined) throw new RangeError('the RLE ends early');
      const avail = 8 - (this.pos & 7);
      const take = Math.min(avail, need);
      v = v * (1 << take) + ((byte >> (avail - take)) & ((1 << take) - 1));
      this.pos += take;
      need -= take;
    }
    return v;
  }
}

/**
 * Values of Label Studio's brush RLE (thi.ng rle-pack, as its editor writes it): a 32-bit
 * value count, a 5-bit word size, four 4-bit run-length sizes, then runs — a repeat bit, a
 * 2-bit size index, the run length less one, and one value repeated or that many values.
 * Keeps every `step`-th value from `offset` (values are bytes, as the converter keeps
 * them). Null when the RLE is malformed or holds other than `count` values.
 */
export async function decodeRle(
  rle: ArrayLike<number>,
  count: number,
  step = 1,
  offset = 0,
): Promise<Uint8Array | null> {
  try {
    const bits = new BitReader(rle);
    if (bits.read(32) !== count) return null;
    const wordSize = bits.read(5) + 1;
    const runSizes = [0, 0, 0, 0].map(() => bits.read(4) + 1);
    const out = new Uint8Array(Math.ceil((count - offset) / step));
    const firstKept = (i: number) => i + ((((offset - i) % step) + step) % step);
    let i = 0;
    let sinceYield = 0;
    while (i < count) {
      const repeat = bits.read(1);
      const end = Math.min(count, i + 1 + bits.read(runSizes[bits.read(2)]!));
      if (repeat) {
        const value = bits.read(wordSize) & 0xff;
        for (let k = firstKept(i); k < end; k += step) out[(k - offset) / step] = value;
        sinceYield += (end - i) / step;
      } else {
        for (let k = i; k < end; k++) {
          const value = bits.read(wordSize) & 0xff;
          if (k >= offset && (k - offset) % step === 0) out[(k - offset) / step] = value;
        }
        sinceYield += end - i;
      }
      i = end;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return out;
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

/** A brush mask's alpha plane (every fourth RGBA value), the plane the converter writes as the mask. */
export function decodeBrushAlpha(rle: ArrayLike<number>, pixels: number): Promise<Uint8Array | null> {
  return decodeRle(rle, pixels * 4, 4, 3);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit greyscale PNG of `pixels` (row-major), deflated off the event loop. */
export async function greyPng(width: number, height: number, pixels: Uint8Array): Promise<Buffer> {
  const stride = width + 1;
  const raw = Buffer.alloc(stride * height);
  // Filter type 0 (none) before each row.
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * stride + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', await deflateAsync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The controls whose regions are brush masks on an image: BrushLabels, Brush, and Labels beside a Brush. */
export function brushControls(config: ParsedConfig): Set<string> | null {
  for (const image of config.objects) {
    if (image.type !== 'Image') continue;
    const on = config.controls.filter((c) => c.toName.includes(image.name));
    const brush = on.some((c) => c.type === 'Brush');
    const names = on
      .filter((c) => c.type === 'BrushLabels' || c.type === 'Brush' || (brush && c.type === 'Labels'))
      .map((c) => c.name);
    if (names.length) return new Set(names);
  }
  return null;
}

export interface BrushMask {
  /** `<control>-<labels>-<n>`: the converter's layer name, `n` counting that control and labels. */
  layer: string;
  width: number;
  height: number;
  rle: number[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const dimension = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** An annotation's brush regions in RLE with the image size, in result order. */
export function brushMasks(result: unknown[], controls: Set<string>): BrushMask[] {
  const counters = new Map<string, number>();
  const out: BrushMask[] = [];
  for (const r of result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !controls.has(r.from_name)) continue;
    const v = r.value;
    if (
      !isObject(v) ||
      !Array.isArray(v.rle) ||
      !dimension(r.original_width) ||
      !dimension(r.original_height)
    )
      continue;
    const labels = Array.isArray(v.brushlabels) ? v.brushlabels : Array.isArray(v.labels) ? v.labels : null;
    const name = `${r.from_name}-${(labels ?? ['no_label']).map(String).join('-')}`;
    const n = counters.get(name) ?? 0;
    counters.set(name, n + 1);
    out.push({
      layer: `${name}-${n}`,
      width: r.original_width,
      height: r.original_height,
      rle: v.rle as number[],
    });
  }
  return out;
}

/** The converter's PNG file name: the annotator's e-mail keeps letters, digits, `@` and `.`; the layer loses slashes. */
export function brushFileName(
  taskId: number,
  annotationId: number,
  annotator: string,
  layer: string,
): string {
  const who = [...annotator].filter((c) => /[\p{L}\p{N}@.]/u.test(c)).join('');
  return `task-${taskId}-annotation-${annotationId}-by-${who}-${layer.replace(/[/\\]/g, '-')}.png`;
}
