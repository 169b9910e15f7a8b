import fs from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { newTenant } from './fixtures.ts';
import { testApp } from './helpers.ts';
import { LABEL_STUDIO_DIR } from './label-studio-material.ts';
import { importTasks } from './transfer-helpers.ts';

/**
 * Every labeling template Label Studio ships (../shared/label-studio/templates, read in
 * place): each creates a project through the API and imports its sample task — the data in
 * the template's XML comment, with the annotations and predictions it carries, or a task
 * made from the config's data keys when the template has none.
 */
const ROOT = path.join(LABEL_STUDIO_DIR ?? '', 'templates');

interface Template {
  name: string;
  config: string;
}

/** The `config:` block scalar read by hand, for the one shipped file no YAML parser reads (tabs). */
function blockScalar(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^config:\s*[|>]/.test(l));
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^[^\s]/.test(line)) break;
    body.push(line.replace(/^ {2}/, ''));
  }
  return body.join('\n');
}

function templates(): Template[] {
  const out: Template[] = [];
  for (const group of fs.readdirSync(ROOT).sort()) {
    const dir = path.join(ROOT, group);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name, 'config.yml');
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      let config: string;
      try {
        config = (jsyaml.load(text) as { config: string }).config;
      } catch {
        config = blockScalar(text);
      }
      out.push({ name: `${group}/${name}`, config });
    }
  }
  return out;
}

/** The sample task of a template: the JSON in its XML comment, else one made from its data keys. */
function sampleTasks(config: string, dataKeys: string[]): unknown[] {
  const comment = /<!--([\s\S]*?)-->/.exec(config)?.[1];
  if (comment) {
    try {
      const sample = JSON.parse(comment) as unknown;
      const list = Array.isArray(sample) ? sample : [sample];
      return list.map((t) =>
        t && typeof t === 'object' && 'data' in t ? t : { data: t as Record<string, unknown> },
      );
    } catch {
      // A comment that is prose, not a task: fall back to the data keys.
    }
  }
  return [{ data: Object.fromEntries(dataKeys.map((k) => [k, `sample ${k}`])) }];
}

function countsOf(n: number, annotations: number, tasks: unknown[]) {
  const predictions = tasks.flatMap((x) => (x as { predictions?: unknown[] }).predictions ?? []).length;
  return { tasks: n, annotations, predictions };
}

describe.skipIf(!LABEL_STUDIO_DIR)("Label Studio's shipped templates", () => {
  const all = LABEL_STUDIO_DIR ? templates() : [];

  it('are all read from ../shared/label-studio', () => {
    expect(all.length).toBeGreaterThanOrEqual(70);
  });

  it('each creates a project and imports its sample task', { timeout: 300_000 }, async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const refused: string[] = [];
    const warnings = new Map<string, string[]>();
    for (const tpl of all) {
      const res = await t.as(t.owner, {
        method: 'POST',
        url: '/api/v1/projects',
        payload: { title: tpl.name.slice(0, 100), label_config: tpl.config },
      });
      if (res.statusCode !== 201) {
        refused.push(`${tpl.name}: create ${res.statusCode} ${res.json().detail}`);
        continue;
      }
      const project = res.json() as { id: number; data_keys: string[]; warnings: { message: string }[] };
      warnings.set(
        tpl.name,
        project.warnings.map((w) => w.message),
      );
      const tasks = sampleTasks(tpl.config, project.data_keys);
      // Label Studio's older samples call annotations "completions"; both count.
      const annotations = tasks.flatMap((x) => {
        const task = x as { annotations?: unknown[]; completions?: unknown[] };
        return task.annotations ?? task.completions ?? [];
      }).length;
      const imported = await importTasks(t, project.id, tasks).then(
        ({ job }) => JSON.stringify(job.counts ?? job.error),
        (err: Error) => err.message.slice(0, 400),
      );
      if (
        imported !== JSON.stringify({ ...countsOf(tasks.length, annotations, tasks), duplicates_skipped: 0 })
      )
        refused.push(`${tpl.name}: import ${imported}`);
    }
    expect(refused).toEqual([]);
    // Accepted as Label Studio accepts them, with a word on what this editor cannot show
    // and on what Label Studio lets pass (the same choice twice).
    expect(warnings.get('computer-vision/pdf_ocr')).toEqual([
      'the embedded editor (Label Studio frontend 1.4.0) cannot show <OcrLabels>',
      'the embedded editor (Label Studio frontend 1.4.0) cannot show <Pdf>',
    ]);
    expect(warnings.get('ranking-and-scoring/document-retrieval')).toContain(
      '<Choices name="selection"> declares the choice "Two" twice',
    );
    expect(warnings.get('natural-language-processing/named-entity-recognition')).toEqual([]);
  });
});
