import { XMLParser } from 'fast-xml-parser';
import type { ParsedConfig } from '../schema.ts';

/**
 * COCO and YOLO as Label Studio's converter writes them: rectangles (rotated ones by their
 * bounds, or as YOLO OBB corners), polygons as segmentation, keypoints (COCO: one keypoint
 * annotation per image in `model_index` order; YOLO: attached to their parent rectangle),
 * and category ids from `<Label category="…">` before the rest are numbered.
 */

const REGION_CONTROLS = ['RectangleLabels', 'PolygonLabels', 'KeyPointLabels'];

export interface ImageSupport {
  imageKey: string;
  /** The region controls on that image, by name, with their tag. */
  controls: Map<string, string>;
  /** Categories the config declares: explicit `category` ids, then the other labels sorted. */
  categories: Category[];
  /** Keypoint labels by `model_index`, the order of COCO and YOLO keypoint triplets. */
  keypointOrder: string[];
  /** Every keypoint label of the config (COCO gathers them in one category). */
  keypointLabels: string[];
  rectangleLabels: string[];
}

export interface Category {
  id: number;
  name: string;
  supercategory?: string;
  keypoints?: string[];
  skeleton?: never[];
}

type Attrs = Record<string, string>;

const xmlParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  processEntities: true,
});

export interface ConfigTag {
  tag: string;
  attrs: Attrs;
  /** The control (a tag with name and toName) this tag sits in, if any. */
  owner: string | undefined;
}

/** Every tag of a labeling config in document order, with its attributes and enclosing control. */
export function configTags(xml: string): ConfigTag[] {
  const out: ConfigTag[] = [];
  const walk = (items: Record<string, unknown>[], control: string | undefined) => {
    for (const item of items) {
      const tag = Object.keys(item).find((k) => k !== ':@');
      if (!tag || tag.startsWith('#')) continue;
      const attrs = (item[':@'] ?? {}) as Attrs;
      out.push({ tag, attrs, owner: control });
      walk((item[tag] ?? []) as Record<string, unknown>[], attrs.name && attrs.toName ? attrs.name : control);
    }
  };
  walk(xmlParser.parse(xml) as Record<string, unknown>[], undefined);
  return out;
}

/** The attributes of each control's `<Label>`s (category, model_index, …), by control name and value. */
export function labelAttributes(xml: string): Map<string, Map<string, Attrs>> {
  const out = new Map<string, Map<string, Attrs>>();
  for (const { tag, attrs, owner } of configTags(xml)) {
    if ((tag !== 'Label' && tag !== 'Choice') || !owner || (attrs.name && attrs.toName)) continue;
    const value = attrs.alias || attrs.value;
    if (!value) continue;
    const labels = out.get(owner) ?? new Map<string, Attrs>();
    labels.set(value, attrs);
    out.set(owner, labels);
  }
  return out;
}

/** The Image object COCO and YOLO read and the rectangle, polygon and keypoint controls on it. */
export function imageControls(config: ParsedConfig) {
  for (const image of config.objects) {
    if (image.type !== 'Image') continue;
    const controls = config.controls.filter(
      (c) => REGION_CONTROLS.includes(c.type) && c.toName.includes(image.name),
    );
    if (controls.length) return { image, controls };
  }
  return null;
}

/** What COCO and YOLO need to write a project, or null when its config has no regions on an image. */
export function imageSupport(config: ParsedConfig, labelConfig: string): ImageSupport | null {
  const found = imageControls(config);
  if (!found) return null;
  const { image, controls } = found;
  const attrs = labelAttributes(labelConfig);
  const ofType = (type: string) => [
    ...new Set(controls.filter((c) => c.type === type).flatMap((c) => c.labels)),
  ];
  return {
    imageKey: image.value.replace(/^\$/, ''),
    controls: new Map(controls.map((c) => [c.name, c.type])),
    categories: declaredCategories(controls, attrs),
    keypointOrder: keypointOrder(controls, attrs),
    keypointLabels: ofType('KeyPointLabels'),
    rectangleLabels: ofType('RectangleLabels'),
  };
}

/** Label Studio's _get_labels: `category` ids as declared, the other labels sorted into the lowest free ids. */
function declaredCategories(
  controls: ParsedConfig['controls'],
  attrs: Map<string, Map<string, Attrs>>,
): Category[] {
  const out: Category[] = [];
  const named = new Set<string>();
  const labels = new Set<string>();
  for (const c of controls) {
    for (const label of c.labels) labels.add(label);
    for (const [label, a] of attrs.get(c.name) ?? []) {
      const id = a.category === undefined ? Number.NaN : Number(a.category);
      if (!Number.isInteger(id) || named.has(label)) continue;
      out.push({ id, name: label });
      named.add(label);
    }
  }
  const used = new Set(out.map((c) => c.id));
  let next = 0;
  for (const label of [...labels].filter((l) => !named.has(l)).sort()) {
    while (used.has(next)) next++;
    out.push({ id: next++, name: label });
  }
  return out;
}

function keypointOrder(controls: ParsedConfig['controls'], attrs: Map<string, Map<string, Attrs>>): string[] {
  const byIndex = new Map<number, string>();
  for (const c of controls) {
    if (c.type !== 'KeyPointLabels') continue;
    for (const [label, a] of attrs.get(c.name) ?? []) {
      const index = Number.parseInt(a.model_index ?? '', 10);
      if (Number.isInteger(index) && !byIndex.has(index)) byIndex.set(index, label);
    }
  }
  return [...byIndex].sort(([a], [b]) => a - b).map(([, label]) => label);
}

/** Category ids by name, growing by labels found only in results (numbered by count, as the converter does). */
export class CategoryList {
  private readonly ids = new Map<string, number>();
  readonly list: Category[] = [];

  constructor(initial: readonly Category[], aliases: Iterable<[string, number]> = []) {
    for (const c of initial) {
      this.list.push(c);
      this.ids.set(c.name, c.id);
    }
    for (const [name, id] of aliases) this.ids.set(name, id);
  }

  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(name, id);
      this.list.push({ id, name });
    }
    return id;
  }
}

/**
 * COCO's categories: with keypoints, the other categories renumbered from 0 and every
 * keypoint label gathered in one `default` category that lists them.
 */
export function cocoCategories(support: ImageSupport): CategoryList {
  if (support.keypointLabels.length === 0) return new CategoryList(support.categories);
  const kp = new Set(support.keypointLabels);
  const rest = support.categories.filter((c) => !kp.has(c.name)).map((c, id) => ({ id, name: c.name }));
  const merged = rest.length;
  return new CategoryList(
    [
      ...rest,
      {
        id: merged,
        name: 'default',
        supercategory: 'default',
        keypoints: support.keypointLabels,
        skeleton: [],
      },
    ],
    support.keypointLabels.map((name) => [name, merged]),
  );
}

/** YOLO's categories: the config's categories, or with keypoints its rectangle labels in order, each listing the keypoints. */
export function yoloCategories(support: ImageSupport): CategoryList {
  if (support.keypointLabels.length === 0) return new CategoryList(support.categories);
  return new CategoryList(
    support.rectangleLabels.map((name, id) => ({ id, name, keypoints: support.keypointLabels })),
  );
}

export interface Region {
  tag: string;
  /** The result's id and parent (keypoints name the rectangle they belong to). */
  id: unknown;
  parentId: unknown;
  value: Record<string, unknown>;
  labels: string[];
  originalWidth?: number;
  originalHeight?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const LABEL_KEYS: Record<string, string> = {
  RectangleLabels: 'rectanglelabels',
  PolygonLabels: 'polygonlabels',
  KeyPointLabels: 'keypointlabels',
};

/** An annotation's regions on the image's controls, in result order. */
export function regionsOf(result: unknown[], support: ImageSupport): Region[] {
  const out: Region[] = [];
  for (const r of result) {
    if (!isObject(r) || typeof r.from_name !== 'string' || !isObject(r.value)) continue;
    const tag = support.controls.get(r.from_name);
    if (!tag) continue;
    const labels = r.value[LABEL_KEYS[tag]!];
    out.push({
      tag,
      id: r.id,
      parentId: r.parentID,
      value: r.value,
      labels: Array.isArray(labels) ? labels.map(String) : [],
      ...(finite(r.original_width) && { originalWidth: r.original_width }),
      ...(finite(r.original_height) && { originalHeight: r.original_height }),
    });
  }
  return out;
}

/** The converter's rotated_rectangle: a rectangle's axis-aligned bounds, in percent, turned about its top-left corner. */
export function rectangleBounds(v: Record<string, unknown>): [number, number, number, number] | null {
  const { x, y, width: w, height: h } = v;
  if (!finite(x) || !finite(y) || !finite(w) || !finite(h)) return null;
  const r = finite(v.rotation) ? v.rotation : 0;
  if (r === 0) return [x, y, w, h];
  const alpha = Math.atan(h / w);
  const beta = Math.PI * (r / 180);
  const radius = Math.sqrt((w / 2) ** 2 + (h / 2) ** 2);
  const x0 = x - radius * (Math.cos(Math.PI - alpha - beta) - Math.cos(Math.PI - alpha)) + w / 2;
  const y0 = y + radius * (Math.sin(Math.PI - alpha - beta) - Math.sin(Math.PI - alpha)) + h / 2;
  const angles = [alpha + beta, Math.PI - alpha + beta, Math.PI + alpha + beta, 2 * Math.PI - alpha + beta];
  const xs = angles.map((t) => x0 + radius * Math.cos(t));
  const ys = angles.map((t) => y0 + radius * Math.sin(t));
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  return [minX, minY, Math.max(...xs) - minX, Math.max(...ys) - minY];
}

/** Polygon area by the shoelace formula. */
function polygonArea(xs: number[], ys: number[]): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const j = (i + xs.length - 1) % xs.length;
    sum += xs[i]! * ys[j]! - ys[i]! * xs[j]!;
  }
  return 0.5 * Math.abs(sum);
}

/** Python's round(): halves to even, as the converter rounds keypoint pixels. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface CocoImage {
  width: number | null;
  height: number | null;
  id: number;
  file_name: string;
}

/**
 * The COCO annotations of one annotation's regions on image `imageId`. The image's size is
 * that of its first labelled region (`image` is filled in then); annotation ids continue
 * from `nextId`.
 */
export function cocoAnnotations(
  regions: Region[],
  support: ImageSupport,
  categories: CategoryList,
  image: { id: number; width: number | null; height: number | null },
  nextId: number,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const keypoints: Region[] = [];
  for (const region of regions) {
    const name = region.labels[0];
    if (name === undefined) continue;
    if (!image.width || !image.height) {
      if (region.originalWidth === undefined || region.originalHeight === undefined) continue;
      image.width = region.originalWidth;
      image.height = region.originalHeight;
    }
    const categoryId = categories.idOf(name);
    const id = nextId + out.length;
    const base = { id, image_id: image.id, category_id: categoryId };
    if (region.tag === 'RectangleLabels') {
      const bounds = rectangleBounds(region.value);
      if (!bounds || region.originalWidth === undefined || region.originalHeight === undefined) continue;
      const w = (bounds[2] * region.originalWidth) / 100;
      const h = (bounds[3] * region.originalHeight) / 100;
      const bbox = [
        (bounds[0] * region.originalWidth) / 100,
        (bounds[1] * region.originalHeight) / 100,
        w,
        h,
      ];
      out.push({ ...base, segmentation: [], bbox, ignore: 0, iscrowd: 0, area: w * h });
    } else if (region.tag === 'PolygonLabels') {
      const points = pointsOf(region.value);
      if (points.length === 0) continue;
      const xs = points.map(([px]) => (px / 100) * image.width!);
      const ys = points.map(([, py]) => (py / 100) * image.height!);
      const minX = Math.min(...xs);
      const minY = Math.min(...ys);
      out.push({
        ...base,
        segmentation: [xs.flatMap((px, i) => [px, ys[i]!])],
        bbox: [minX, minY, Math.max(...xs) - minX, Math.max(...ys) - minY],
        ignore: 0,
        iscrowd: 0,
        area: polygonArea(xs, ys),
      });
    } else {
      keypoints.push(region);
    }
  }
  const kp = keypointAnnotation(keypoints, support.keypointOrder, categories, image.id, nextId + out.length);
  if (kp) out.push(kp);
  return out;
}

function pointsOf(v: Record<string, unknown>): [number, number][] {
  if (!Array.isArray(v.points)) return [];
  return v.points.filter((p): p is [number, number] => Array.isArray(p) && finite(p[0]) && finite(p[1]));
}

/** One COCO keypoint annotation for an image: x, y, visibility per keypoint in `model_index` order. */
function keypointAnnotation(
  regions: Region[],
  order: string[],
  categories: CategoryList,
  imageId: number,
  id: number,
): Record<string, unknown> | null {
  // Keypoints without a model_index (SAM prompts) have no place in the triplets.
  if (regions.length === 0 || order.length === 0) return null;
  const triplets: number[] = new Array(order.length * 3).fill(0);
  for (const r of regions) {
    const { x, y } = r.value;
    if (!finite(x) || !finite(y) || r.originalWidth === undefined || r.originalHeight === undefined) continue;
    for (const label of r.labels) {
      const i = order.indexOf(label);
      if (i < 0) continue;
      triplets[3 * i] = roundHalfEven((x / 100) * r.originalWidth);
      triplets[3 * i + 1] = roundHalfEven((y / 100) * r.originalHeight);
      triplets[3 * i + 2] = 2;
    }
  }
  const visible = order.map((_, i) => i).filter((i) => triplets[3 * i + 2]! > 0);
  if (visible.length === 0) return null;
  const xs = visible.map((i) => triplets[3 * i]!);
  const ys = visible.map((i) => triplets[3 * i + 1]!);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  return {
    id,
    image_id: imageId,
    category_id: categories.idOf(order[0]!),
    keypoints: triplets,
    num_keypoints: visible.length,
    bbox: [minX, minY, Math.max(...xs) - minX, Math.max(...ys) - minY],
    iscrowd: 0,
  };
}

/** A number as Python prints it (`0.5`, `2.0`), so label files read the same as the converter's. */
function py(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** YOLO OBB corners (top-left, top-right, bottom-right, bottom-left) as fractions of the image. */
export function obbCorners(region: Region): [number, number][] | null {
  const { x, y, width, height } = region.value;
  const ow = region.originalWidth;
  const oh = region.originalHeight;
  if (!finite(x) || !finite(y) || !finite(width) || !finite(height) || !ow || !oh) return null;
  const px = (x / 100) * ow;
  const py_ = (y / 100) * oh;
  const w = (width / 100) * ow;
  const h = (height / 100) * oh;
  const a = ((finite(region.value.rotation) ? region.value.rotation : 0) * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const corners: [number, number][] = [
    [px, py_],
    [px + w * cos, py_ + w * sin],
    [px + w * cos - h * sin, py_ + w * sin + h * cos],
    [px - h * sin, py_ + h * cos],
  ];
  return corners.map(([cx, cy]) => [cx / ow, cy / oh]);
}

/**
 * The lines of one YOLO label file: per label of each region, its class and its centre
 * box, OBB corners or polygon points; with keypoints in the config, one line per rectangle
 * followed by its keypoints' (x, y, visibility) in `model_index` order.
 */
export function yoloLines(
  regions: Region[],
  support: ImageSupport,
  categories: CategoryList,
  obb: boolean,
): string {
  if (support.keypointLabels.length > 0) return yoloKeypointLines(regions, support, categories);
  let out = '';
  for (const region of regions) {
    for (const label of region.labels) {
      const id = categories.idOf(label);
      if (region.tag === 'RectangleLabels') {
        if (obb) {
          const corners = obbCorners(region);
          if (corners) out += `${id} ${corners.flat().map(py).join(' ')}\n`;
          continue;
        }
        const { x, y, width: w, height: h } = region.value;
        if (!finite(x) || !finite(y) || !finite(w) || !finite(h)) continue;
        out += `${id} ${[(x + w / 2) / 100, (y + h / 2) / 100, w / 100, h / 100].map(py).join(' ')}\n`;
      } else if (region.tag === 'PolygonLabels') {
        const points = pointsOf(region.value);
        if (points.length)
          out += `${id} ${points
            .flatMap(([px, qy]) => [px / 100, qy / 100])
            .map(py)
            .join(' ')}\n`;
      }
    }
  }
  return out;
}

function yoloKeypointLines(regions: Region[], support: ImageSupport, categories: CategoryList): string {
  const known = new Map(categories.list.map((c) => [c.name, c.id]));
  const rects = new Map<unknown, { line: number[]; points: Map<string, [number, number]> }>();
  for (const r of regions) {
    if (r.tag !== 'RectangleLabels' || r.labels.length === 0) continue;
    const id = known.get(r.labels[0]!);
    const { x, y, width: w, height: h } = r.value;
    if (id === undefined || !finite(x) || !finite(y) || !finite(w) || !finite(h)) continue;
    rects.set(r.id, { line: [x / 100 + w / 200, y / 100 + h / 200, w / 100, h / 100], points: new Map() });
    rects.get(r.id)!.line.unshift(id);
  }
  for (const r of regions) {
    const rect = rects.get(r.parentId);
    const { x, y } = r.value;
    if (r.tag !== 'KeyPointLabels' || !rect || r.labels.length === 0 || !finite(x) || !finite(y)) continue;
    rect.points.set(r.labels[0]!, [x / 100, y / 100]);
  }
  return [...rects.values()]
    .map(({ line: [id, ...box], points }) => {
      const kps = support.keypointOrder.flatMap((k) => {
        const p = points.get(k);
        return p ? [py(p[0]), py(p[1]), '2'] : ['0.0', '0.0', '0'];
      });
      return [String(id), ...box.map(py), ...kps].join(' ');
    })
    .join('\n');
}
