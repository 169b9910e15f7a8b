import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_CODES, LEGACY_PROBLEM_CODES, PROBLEM_CODES } from '../src/platform/errors/codes.ts';
import { badRequest, notFound, Problem } from '../src/platform/errors/problem.ts';

const LOCALES = path.resolve(import.meta.dirname, '../web/src/locales');
const CJK = /\p{Script=Han}/u;
const ALL = [...PROBLEM_CODES, ...LEGACY_PROBLEM_CODES];

function problemsOf(lng: string): { codes: Record<string, unknown>; fields: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(LOCALES, lng, 'problems.json'), 'utf8'));
}

/** The text a dotted key names in a nested namespace, as i18next looks it up. */
function lookup(tree: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], tree);
}

describe('problem codes', () => {
  it('are stable names, each once: area.reason in snake_case (the legacy ones without area)', () => {
    expect(new Set(ALL).size).toBe(ALL.length);
    for (const code of PROBLEM_CODES) expect(code).toMatch(/^[a-z][a-z_]*\.[a-z][a-z_]*$/);
    for (const code of LEGACY_PROBLEM_CODES) expect(code).toMatch(/^[a-z][a-z_]*$/);
  });

  it('are required of every Problem (the constructor and the helpers take one)', () => {
    // @ts-expect-error A Problem without a code does not typecheck (npm run typecheck fails if it does).
    const untyped = () => new Problem(400, 'No code given.');
    expect(untyped).toBeTypeOf('function');
    // @ts-expect-error Nor does a code the catalog does not list.
    expect(badRequest('nothing.like_this', 'x').code).toBe('nothing.like_this');
    const p = notFound('project.not_found', 'The project', { id: 7 });
    expect(p).toMatchObject({ status: 404, code: 'project.not_found', detail: 'The project was not found.' });
    expect(p.params).toEqual({ id: 7 });
  });

  it('has a translation of every code and field rule in English and Chinese', () => {
    for (const lng of ['en', 'zh-CN']) {
      const { codes, fields } = problemsOf(lng);
      const missing = ALL.filter((c) => typeof lookup(codes, c) !== 'string');
      expect(missing, `${lng}: codes without a translation`).toEqual([]);
      expect(
        FIELD_CODES.filter((c) => typeof fields[c] !== 'string'),
        `${lng}: field rules`,
      ).toEqual([]);
    }
    const zh = problemsOf('zh-CN');
    const english = ALL.filter((c) => !CJK.test(String(lookup(zh.codes, c))));
    expect(english, 'zh-CN translations that are not Chinese').toEqual([]);
  });

  it('interpolates in Chinese only the values the English names', () => {
    const names = (s: unknown) => [...String(s).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const en = problemsOf('en');
    const zh = problemsOf('zh-CN');
    const differ = ALL.filter((c) => names(lookup(en.codes, c)).join() !== names(lookup(zh.codes, c)).join());
    expect(differ).toEqual([]);
  });

  it('uses every catalog code somewhere in src (no dead entries)', () => {
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return files(full);
        return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'codes.ts' ? [full] : [];
      });
    const source = files(path.resolve(import.meta.dirname, '../src'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const unused = PROBLEM_CODES.filter(
      (c) => !source.includes(`'${c}'`) && !(c.startsWith('agreement.') && source.includes('`agreement.${')),
    );
    expect(unused).toEqual([]);
  });
});
