import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { badRequest, type FieldError } from '../../../platform/errors/problem.ts';
import type { ConfigWarning, ParsedConfig } from '../schema.ts';
import { instanceName, isRepeatedName, parseDataPath, repeatIndexOf } from './data-paths.ts';

/**
 * Label Studio labeling configs: parsing, validation on save, and checking annotation
 * results against a parsed config. Tag names follow Label Studio's tag reference
 * (https://labelstud.io/tags); like Label Studio's editor, tag names match case-insensitively.
 */

/** Tags that show task data (they carry `name` and `value="$key"`). */
export const OBJECT_TAGS = [
  'Text',
  'HyperText',
  'Image',
  'Audio',
  'AudioPlus',
  'Video',
  'Paragraphs',
  'Table',
  'TimeSeries',
  'List',
  'Markdown',
  'Chat',
  'Pdf',
] as const;

/** Tags that produce results (they carry `name` and `toName`). */
export const CONTROL_TAGS = [
  'Choices',
  'Labels',
  'RectangleLabels',
  'PolygonLabels',
  'KeyPointLabels',
  'BrushLabels',
  'EllipseLabels',
  'HyperTextLabels',
  'ParagraphLabels',
  'TimeSeriesLabels',
  'TimelineLabels',
  'BitmaskLabels',
  'VectorLabels',
  'OcrLabels',
  'VideoRectangle',
  'Rectangle',
  'Polygon',
  'KeyPoint',
  'Brush',
  'Bitmask',
  'Ellipse',
  'Vector',
  'MagicWand',
  'TextArea',
  'Rating',
  'Number',
  'DateTime',
  'Taxonomy',
  'Pairwise',
  'Ranker',
  'Relations',
] as const;

/** Layout and helper tags. */
export const VISUAL_TAGS = [
  'View',
  'Header',
  'Style',
  'Filter',
  'Collapse',
  'Panel',
  'Block',
  'Choice',
  'Label',
  'Relation',
  'Channel',
  'MultiChannel',
  'Bucket',
  'Shortcut',
  'Repeater',
] as const;

/**
 * The tags the embedded editor (Label Studio frontend 1.4.0) registers, from its bundle's
 * `Registry.addTag` calls (label-config.test.ts reads the bundle to keep this true). A
 * config may use others — Label Studio accepts them — but this editor cannot show them.
 */
export const EDITOR_TAGS = new Set([
  'audio',
  'audioplus',
  'brush',
  'brushlabels',
  'channel',
  'choice',
  'choices',
  'collapse',
  'dialog',
  'ellipse',
  'ellipselabels',
  'filter',
  'header',
  'hypertext',
  'hypertextlabels',
  'image',
  'keypoint',
  'keypointlabels',
  'label',
  'labels',
  'list',
  'number',
  'pairwise',
  'panel',
  'paragraphlabels',
  'paragraphs',
  'polygon',
  'polygonlabels',
  'ranker',
  'rating',
  'rectangle',
  'rectanglelabels',
  'relation',
  'relations',
  'shortcut',
  'style',
  'table',
  'taxonomy',
  'text',
  'textarea',
  'timeseries',
  'timeserieslabels',
  'video',
  'view',
]);

const canonical = new Map<string, string>(
  [...OBJECT_TAGS, ...CONTROL_TAGS, ...VISUAL_TAGS].map((t) => [t.toLowerCase(), t]),
);
const objectSet = new Set<string>(OBJECT_TAGS);
const controlSet = new Set<string>(CONTROL_TAGS);

/** Controls whose children declare values: Choice for these, Label for the *Labels tags. */
const CHOICE_CONTROLS = new Set(['Choices', 'Taxonomy']);
/** Where a result's value keeps the chosen labels, by result type. */
const LABEL_KEYS: Record<string, string> = {
  choices: 'choices',
  taxonomy: 'taxonomy',
  labels: 'labels',
  rectanglelabels: 'rectanglelabels',
  polygonlabels: 'polygonlabels',
  keypointlabels: 'keypointlabels',
  brushlabels: 'brushlabels',
  ellipselabels: 'ellipselabels',
  hypertextlabels: 'htmllabels',
  paragraphlabels: 'paragraphlabels',
  timeserieslabels: 'timeserieslabels',
  timelinelabels: 'timelinelabels',
  bitmasklabels: 'bitmasklabels',
  vectorlabels: 'vectorlabels',
  ocrlabels: 'ocrlabels',
};
/** Shape tags whose regions a plain <Labels> control may label (Labels + Rectangle, …). */
const SHAPES = ['rectangle', 'polygon', 'keypoint', 'ellipse', 'brush', 'bitmask', 'vector'];

const PATH = 'body/label_config';
const LITERAL_VALUE_TAGS = new Set(['Choice', 'Label', 'Relation', 'Bucket', 'Shortcut']);

type Attrs = Record<string, string>;
interface Node {
  tag: string;
  attrs: Attrs;
  children: Node[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

type Raw = Record<string, unknown>;

function toNodes(raw: Raw[]): Node[] {
  const out: Node[] = [];
  for (const item of raw) {
    const tag = Object.keys(item).find((k) => k !== ':@');
    if (!tag || tag === '#comment' || tag.startsWith('?')) continue;
    if (tag === '#text') {
      out.push({ tag, attrs: { text: String(item[tag]) }, children: [] });
      continue;
    }
    const attrs = (item[':@'] ?? {}) as Attrs;
    out.push({ tag, attrs, children: toNodes((item[tag] ?? []) as Raw[]) });
  }
  return out;
}

function fail(problems: string[]): never {
  throw badRequest(
    'label_config.invalid',
    `The labeling config is invalid: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    problems.map((message) => ({ path: PATH, message })),
    { problem: problems[0]!, more: problems.length - 1 },
  );
}

/** A `$key` inside a longer literal (`<embed src='$image'/>`), as Label Studio substitutes it. */
const EMBEDDED_REF = /\$([A-Za-z_][\w]*)/g;

/**
 * The task data key a `$key` reference reads, or undefined: the root of a path, as in
 * `$images[0].url`, `$meta.title` or a Repeater's `$document[{{idx}}].page`.
 */
function dataKeyOf(value: string | undefined): string | undefined {
  const root = value === undefined ? undefined : parseDataPath(value, 0)?.[0];
  return typeof root === 'string' ? root : undefined;
}

/** The data keys a value reads: a whole `$key`, or each `$key` embedded in a literal. */
function dataKeysIn(value: string): string[] {
  const whole = dataKeyOf(value);
  if (whole) return [whole];
  return [...value.matchAll(EMBEDDED_REF)].map((m) => m[1]!);
}

/**
 * What Label Studio's config schema (label_config_schema.json) refuses on a tag it checks
 * (one reached through Views from the root): Choices and Labels need a name, a toName and a
 * Choice/Label, a value or a View inside; TextArea a name and a toName; Image, Text and
 * HyperText a name and a value or valueList. Elsewhere it refuses none of these, and nor
 * does this: a tag without a name takes no results.
 */
function schemaProblems(node: Node, type: string): string[] {
  const { name, toName } = node.attrs;
  const has = (attr: string) => node.attrs[attr] !== undefined;
  const out: string[] = [];
  if (['Choices', 'Labels', 'TextArea', 'Image', 'Text', 'HyperText'].includes(type) && !name)
    out.push(`<${type}> has no name`);
  if (type === 'Image' || type === 'Text' || type === 'HyperText') {
    if (!has('value') && !has('valueList')) out.push(`<${type} name="${name ?? ''}"> has no value`);
  } else if (type === 'Choices' || type === 'Labels' || type === 'TextArea') {
    if (!toName) out.push(`<${type} name="${name ?? ''}"> has no toName`);
    if (type === 'TextArea') return out;
    const inner = type === 'Choices' ? 'Choice' : 'Label';
    const kids = node.children.map((c) => canonical.get(c.tag.toLowerCase()));
    if (!has('value') && !kids.includes(inner) && !kids.includes('View'))
      out.push(`<${type} name="${name ?? ''}"> has no <${inner}>, value or <View> inside`);
  }
  return out;
}

/**
 * Parses and validates a labeling config as Label Studio's validator does
 * (`validate_label_config`: its schema, unique names, toNames that name a tag). Throws a 400
 * naming every problem found: not well-formed XML (with line and column), a root other than
 * one <View> (Label Studio's schema lets any root through; its editor shows none but View),
 * what its schema refuses (see schemaProblems), duplicate names, a `toName` naming no tag.
 * Accepted with a warning: the same Choice/Label value twice in one control, a toName
 * naming a tag that is not an object, a tag Label Studio does not have, and every tag the
 * embedded editor cannot show. Accepted as they are: object tags whose value is literal
 * text (instructions, a legend), `$key`s embedded in a literal
 * (`<HyperText value="<embed src='$image'/>">`) and controls other than Choices, Labels and
 * TextArea without `toName`.
 */
export function parseLabelConfig(xml: string): ParsedConfig {
  if (typeof xml !== 'string' || xml.trim() === '') fail(['the config is empty']);
  if (/<!DOCTYPE/i.test(xml)) fail(['a DOCTYPE is not allowed']);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    fail([`not well-formed XML at line ${line}, column ${col}: ${msg}`]);
  }
  let roots: Node[];
  try {
    roots = toNodes(parser.parse(xml) as Raw[]).filter((n) => n.tag !== '#text' || n.attrs.text?.trim());
  } catch (err) {
    fail([`not well-formed XML: ${(err as Error).message}`]);
  }
  if (roots.length !== 1 || roots[0]!.tag === '#text') fail(['the config must have exactly one root tag']);
  const root = roots[0]!;
  if (root.tag.toLowerCase() !== 'view') fail([`the root tag must be <View>, not <${root.tag}>`]);

  const problems: string[] = [];
  const warnings: ConfigWarning[] = [];
  const objects: ParsedConfig['objects'] = [];
  const controls: ParsedConfig['controls'] = [];
  const dataKeys = new Set<string>();
  const names = new Map<string, string>();
  const filters: { name: string; toName: string }[] = [];
  const unknown = new Set<string>();
  const uneditable = new Set<string>();

  const addName = (name: string, tag: string) => {
    const seen = names.get(name);
    if (seen) problems.push(`the name "${name}" is used twice (<${seen}> and <${tag}>)`);
    else names.set(name, tag);
  };

  /** Choice/Label values under a control, stopping at nested controls. */
  const collectValues = (control: Node, type: string): string[] => {
    const childTag = CHOICE_CONTROLS.has(type) ? 'Choice' : type === 'Relations' ? 'Relation' : 'Label';
    const values: string[] = [];
    const seen = new Set<string>();
    const walk = (node: Node, siblings: Set<string>) => {
      for (const child of node.children) {
        const t = canonical.get(child.tag.toLowerCase());
        if (t && controlSet.has(t)) continue;
        if (t === childTag) {
          const value = child.attrs.value;
          if (value === undefined || value === '') {
            problems.push(`a <${childTag}> in <${type} name="${control.attrs.name ?? ''}"> has no value`);
            continue;
          }
          // Taxonomy nests choices as a tree: values need only be unique among siblings.
          const scope = type === 'Taxonomy' ? siblings : seen;
          if (scope.has(value))
            warnings.push({
              code: 'duplicate_value',
              message: `<${type} name="${control.attrs.name ?? ''}"> declares the ${childTag.toLowerCase()} "${value}" twice`,
              tag: type,
              control: control.attrs.name ?? '',
              value,
            });
          scope.add(value);
          // A Choice alias replaces the value in results.
          const resultValue = childTag === 'Choice' && child.attrs.alias ? child.attrs.alias : value;
          if (!values.includes(resultValue)) values.push(resultValue);
          if (type === 'Taxonomy') walk(child, new Set());
        } else if (t !== undefined) {
          walk(child, siblings);
        }
      }
    };
    walk(control, new Set());
    return values;
  };

  const visit = (node: Node, checked: boolean) => {
    if (node.tag === '#text') return;
    const type = canonical.get(node.tag.toLowerCase());
    const { name } = node.attrs;
    if (!type) {
      unknown.add(node.tag);
      if (name !== undefined) addName(name, node.tag);
      for (const child of node.children) visit(child, false);
      return;
    }
    if (checked) problems.push(...schemaProblems(node, type));
    if (name !== undefined) addName(name, type);
    // Any attribute that is a whole `$key` reads task data (value, valueList, audioUrl, …);
    // on Choice/Label/Relation a value is a literal.
    if (!LITERAL_VALUE_TAGS.has(type)) {
      for (const attr of Object.values(node.attrs)) {
        const key = dataKeyOf(attr);
        if (key) dataKeys.add(key);
      }
    }
    if (!EDITOR_TAGS.has(type.toLowerCase())) uneditable.add(type);
    if (objectSet.has(type)) {
      const ref = node.attrs.value ?? node.attrs.valueList;
      if (ref !== undefined) for (const key of dataKeysIn(ref)) dataKeys.add(key);
      if (name) objects.push({ name, type, value: ref ?? '' });
    } else if (controlSet.has(type)) {
      const labels = collectValues(node, type);
      if (type === 'Relations') {
        // <Relations> only declares relation labels; it has no name or toName.
        controls.push({ name: name ?? '', type, toName: [], labels });
      } else {
        const toName = (node.attrs.toName ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (name) controls.push({ name, type, toName, labels });
      }
    } else if (type === 'Filter' && node.attrs.toName) {
      filters.push({ name: name ?? '', toName: node.attrs.toName });
    }
    // Label Studio's schema follows nested Views, and the Views inside Choices and Labels.
    const childrenChecked = checked && (type === 'View' || type === 'Choices' || type === 'Labels');
    for (const child of node.children)
      visit(child, childrenChecked && (type === 'View' || canonical.get(child.tag.toLowerCase()) === 'View'));
  };
  visit(root, true);

  const objectNames = new Set(objects.map((o) => o.name));
  for (const c of controls) {
    for (const target of c.toName) {
      if (!names.has(target))
        problems.push(`<${c.type} name="${c.name}"> has toName "${target}", which names no tag`);
      else if (!objectNames.has(target))
        warnings.push({
          code: 'to_name_not_object',
          message: `<${c.type} name="${c.name}"> has toName "${target}", which names no object tag`,
          tag: c.type,
          control: c.name,
          value: target,
        });
    }
  }
  const controlNames = new Set(controls.map((c) => c.name));
  for (const f of filters) {
    if (!controlNames.has(f.toName))
      problems.push(`<Filter name="${f.name}"> has toName "${f.toName}", which names no control tag`);
  }
  if (problems.length) fail(problems);
  for (const tag of unknown)
    warnings.push({ code: 'unknown_tag', message: `Label Studio has no tag <${tag}>; it is ignored`, tag });
  for (const tag of uneditable)
    warnings.push({
      code: 'editor_cannot_show',
      message: `the embedded editor (Label Studio frontend 1.4.0) cannot show <${tag}>`,
      tag,
    });
  return { objects, controls, dataKeys: [...dataKeys], ...(warnings.length ? { warnings } : {}) };
}

/** The result `type` a control of this tag produces (Label Studio lowercases the tag). */
export function resultTypeOf(controlType: string): string {
  return controlType.toLowerCase();
}

/** The result type of the named control of a config, or undefined. */
export function controlTypeOf(config: ParsedConfig, name: string): string | undefined {
  const c = config.controls.find((x) => x.name === name && x.type !== 'Relations');
  return c ? resultTypeOf(c.type) : undefined;
}

/** Where a result value keeps its labels for a result type (`rectanglelabels`, …), if any. */
export function labelKeyOf(resultType: string): string | undefined {
  return LABEL_KEYS[resultType];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

const OBJECT_TYPES_WITH_OFFSETS = new Set(['Text']);

type Control = ParsedConfig['controls'][number];
type Report = (path: string, message: string) => void;
type Region = Record<string, unknown>;

/** What the regions of one result are checked against, worked out once per result. */
interface ResultScope {
  controls: Map<string, Control>;
  objects: Map<string, ParsedConfig['objects'][number]>;
  relationLabels: string[];
  shapeTargets: Set<string>;
  /** The region ids of the result, which relations may join. */
  ids: Set<string>;
  err: Report;
}

/**
 * Checks a Label Studio `result[]` against a parsed config: each region names a control
 * (`from_name`), one of its objects (`to_name`), the control's `type`, and values the
 * control declares. Relations (`type: "relation"`) must join regions of the same result.
 * Returns field errors with paths like `result/0/value/choices/0`; empty means valid.
 */
export function validateResult(config: ParsedConfig, result: unknown, base = 'result'): FieldError[] {
  const errors: FieldError[] = [];
  const err: Report = (path, message) => errors.push({ path: `${base}${path}`, message });
  if (!Array.isArray(result)) {
    err('', 'must be an array');
    return errors;
  }
  const scope = resultScope(config, result, err);
  result.forEach((item, i) => {
    const p = `/${i}`;
    if (!isObj(item)) err(p, 'must be an object');
    else if (item.type === 'relation') checkRelation(scope, item, p);
    else if (item.type === 'chatmessage') checkChatMessage(scope, item, p);
    else checkRegion(scope, item, p);
  });
  return errors;
}

function resultScope(config: ParsedConfig, result: unknown[], err: Report): ResultScope {
  return {
    controls: new Map(config.controls.filter((c) => c.type !== 'Relations').map((c) => [c.name, c])),
    objects: new Map(config.objects.map((o) => [o.name, o])),
    relationLabels: config.controls.filter((c) => c.type === 'Relations').flatMap((c) => c.labels),
    shapeTargets: new Set(
      config.controls.filter((c) => SHAPES.includes(c.type.toLowerCase())).flatMap((c) => c.toName),
    ),
    ids: new Set(
      result
        .filter(isObj)
        .map((r) => r.id)
        .filter(isStr),
    ),
    err,
  };
}

/** A relation joins two regions of the same result, optionally with a direction and labels. */
function checkRelation({ ids, relationLabels, err }: ResultScope, item: Region, p: string) {
  for (const k of ['from_id', 'to_id'] as const) {
    if (!isStr(item[k])) err(`${p}/${k}`, 'must be a region id');
    else if (!ids.has(item[k])) err(`${p}/${k}`, `names no region of this result ("${item[k]}")`);
  }
  if (item.direction !== undefined && !['left', 'right', 'bi'].includes(item.direction as string))
    err(`${p}/direction`, 'must be left, right or bi');
  if (item.labels === undefined) return;
  if (!Array.isArray(item.labels)) {
    err(`${p}/labels`, 'must be an array');
    return;
  }
  item.labels.forEach((l, j) => {
    if (!isStr(l) || (relationLabels.length > 0 && !relationLabels.includes(l)))
      err(`${p}/labels/${j}`, `"${String(l)}" is not a relation label of the config`);
  });
}

/**
 * A message of a `<Chat>` dialogue: Label Studio's Chat tag is its own control, so the
 * result names the Chat object as from_name and to_name and carries `chatmessage` with a
 * role and content.
 */
function checkChatMessage({ objects, err }: ResultScope, item: Region, p: string) {
  if (!isStr(item.from_name) || objects.get(item.from_name)?.type !== 'Chat') {
    err(`${p}/from_name`, 'must name a <Chat> tag of the config');
    return;
  }
  if (item.to_name !== undefined && item.to_name !== item.from_name)
    err(`${p}/to_name`, `must be "${item.from_name}"`);
  const message = isObj(item.value) ? item.value.chatmessage : undefined;
  if (!isObj(message)) err(`${p}/value/chatmessage`, 'must be an object');
  else if (!isStr(message.role) || !isStr(message.content))
    err(`${p}/value/chatmessage`, 'must have a string role and content');
}

/** A region names its control, the control's object and result type, then carries a value. */
function checkRegion(scope: ResultScope, item: Region, p: string) {
  const { err } = scope;
  if (!isStr(item.from_name)) {
    err(`${p}/from_name`, 'is required');
    return;
  }
  const control = findControl(scope, item.from_name);
  if (!control) {
    err(`${p}/from_name`, `"${item.from_name}" names no control tag of the config`);
    return;
  }
  // Pairwise results name the control itself as to_name (Label Studio's own template does).
  const targets = control.type === 'Pairwise' ? [...control.toName, control.name] : control.toName;
  // A control without toName (Label Studio allows one) applies to the whole task.
  if (!isStr(item.to_name) || (targets.length > 0 && !targets.includes(item.to_name))) {
    err(`${p}/to_name`, `must be one of ${control.toName.map((n) => `"${n}"`).join(', ')}`);
  }
  const type = regionType(scope, control, item, p);
  if (type === undefined) return;
  const value = item.value;
  if (!isObj(value)) {
    err(`${p}/value`, 'must be an object');
    return;
  }
  const v = `${p}/value`;
  checkChosenLabels(control, type, value, v, err);
  const target = isStr(item.to_name) ? findObject(scope, item.to_name) : undefined;
  checkShapeValue(type, value, target?.type, v, err);
}

/**
 * The control a region's from_name names. Inside a Repeater a control is a template
 * (`labels_{{idx}}`) and a region names one instance (`labels_0`): the control is returned
 * with its names for that index, as Label Studio's editor expands them.
 */
function findControl(scope: ResultScope, fromName: string): Control | undefined {
  const exact = scope.controls.get(fromName);
  if (exact) return exact;
  for (const control of scope.controls.values()) {
    if (!isRepeatedName(control.name)) continue;
    const index = repeatIndexOf(control.name, fromName);
    if (index === undefined) continue;
    const toName = control.toName.map((n) => instanceName(n, index));
    return { ...control, name: fromName, toName };
  }
  return undefined;
}

/** The object tag a to_name names, a Repeater's instance (`page_0`) included. */
function findObject(scope: ResultScope, toName: string): ParsedConfig['objects'][number] | undefined {
  const exact = scope.objects.get(toName);
  if (exact) return exact;
  for (const object of scope.objects.values())
    if (isRepeatedName(object.name) && repeatIndexOf(object.name, toName) !== undefined) return object;
  return undefined;
}

/**
 * The region's result type when the control may produce it, else undefined (reported).
 * A `<Labels>` on an object that a shape control also targets may label shapes
 * (`rectanglelabels`, …).
 */
function regionType(scope: ResultScope, control: Control, item: Region, p: string): string | undefined {
  const own = resultTypeOf(control.type);
  const allowed = [own];
  if (own === 'labels' && isStr(item.to_name) && scope.shapeTargets.has(item.to_name))
    allowed.push(...SHAPES.map((s) => `${s}labels`));
  if (isStr(item.type) && allowed.includes(item.type)) return item.type;
  scope.err(`${p}/type`, `must be "${own}" for <${control.type} name="${control.name}">`);
  return undefined;
}

/** The labels or choices a region chose must be ones its control declares (if it declares any). */
function checkChosenLabels(control: Control, type: string, value: Region, v: string, err: Report) {
  const labelKey = labelKeyOf(type);
  if (!labelKey) return;
  const chosen = value[labelKey];
  if (!Array.isArray(chosen)) {
    err(`${v}/${labelKey}`, 'must be an array');
    return;
  }
  const declared = (l: string) => control.labels.length === 0 || control.labels.includes(l);
  if (type === 'taxonomy') {
    chosen.forEach((path, j) => {
      if (!Array.isArray(path) || path.length === 0 || !path.every(isStr))
        err(`${v}/taxonomy/${j}`, 'must be a non-empty array of choice values');
      else
        path.forEach((step, k) => {
          if (!declared(step))
            err(`${v}/taxonomy/${j}/${k}`, `"${step}" is not a choice of "${control.name}"`);
        });
    });
    return;
  }
  const noun = resultTypeOf(control.type) === 'choices' ? 'choice' : 'label';
  chosen.forEach((l, j) => {
    if (!isStr(l)) err(`${v}/${labelKey}/${j}`, 'must be a string');
    else if (!declared(l)) err(`${v}/${labelKey}/${j}`, `"${l}" is not a ${noun} of "${control.name}"`);
  });
}

/** The value fields each shape or control type needs (`rectanglelabels` checks as `rectangle`). */
function checkShapeValue(
  type: string,
  value: Region,
  objectType: string | undefined,
  v: string,
  err: Report,
) {
  const requireNums = (...keys: string[]) => {
    for (const k of keys) if (!isNum(value[k])) err(`${v}/${k}`, 'must be a number');
  };
  const shape = type.endsWith('labels') ? type.slice(0, -'labels'.length) : type;
  switch (shape) {
    case 'rectangle':
      requireNums('x', 'y', 'width', 'height');
      break;
    case 'ellipse':
      requireNums('x', 'y', 'radiusX', 'radiusY');
      break;
    case 'keypoint':
      requireNums('x', 'y');
      break;
    case 'polygon':
      if (
        !Array.isArray(value.points) ||
        !value.points.every((pt) => Array.isArray(pt) && pt.length >= 2 && pt.every(isNum))
      )
        err(`${v}/points`, 'must be an array of [x, y] number pairs');
      break;
    case '':
    case 'hypertext':
    case 'paragraph':
    case 'timeseries':
      checkSpan(shape, value, objectType, v, err);
      break;
    case 'textarea': {
      const text = value.text;
      if (!(isStr(text) || (Array.isArray(text) && text.every(isStr))))
        err(`${v}/text`, 'must be a string or an array of strings');
      break;
    }
    case 'rating':
      requireNums('rating');
      break;
    case 'number':
      requireNums('number');
      break;
    case 'datetime':
      if (!isStr(value.datetime)) err(`${v}/datetime`, 'must be a string');
      break;
    case 'pairwise':
      if (!['left', 'right', 'none'].includes(value.selected as string))
        err(`${v}/selected`, 'must be left, right or none');
      break;
    case 'ranker':
      if (!isObj(value.ranker)) err(`${v}/ranker`, 'must be an object');
      break;
    default:
      break;
  }
}

/**
 * Spans. On <Text>, offsets are character positions; elsewhere they may be XPaths
 * (HyperText), paragraph indexes or timestamps (strings) or seconds (Audio).
 */
function checkSpan(shape: string, value: Region, objectType: string | undefined, v: string, err: Report) {
  const { start, end } = value;
  if (objectType !== undefined && OBJECT_TYPES_WITH_OFFSETS.has(objectType)) {
    if (!Number.isInteger(start) || (start as number) < 0)
      err(`${v}/start`, 'must be a non-negative integer');
    if (!Number.isInteger(end)) err(`${v}/end`, 'must be an integer');
    if (isNum(start) && isNum(end) && start > end) err(`${v}/end`, 'must not be before start');
  } else if (isNum(start) || isNum(end)) {
    if (!isNum(start)) err(`${v}/start`, 'must be a number');
    if (!isNum(end)) err(`${v}/end`, 'must be a number');
    if (isNum(start) && isNum(end) && start > end) err(`${v}/end`, 'must not be before start');
  } else if (shape !== 'timeseries' || !value.instant) {
    if (start === undefined) err(`${v}/start`, 'is required');
    if (end === undefined) err(`${v}/end`, 'is required');
  }
}
