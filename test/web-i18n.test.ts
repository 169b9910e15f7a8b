import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_TEMPLATES } from '../src/modules/quality/rules/rules.ts';
import { BUILT_IN_ROLES, PERMISSIONS } from '../src/platform/auth/permissions.ts';

const WEB = path.resolve(import.meta.dirname, '../web/src');
const LOCALES = path.join(WEB, 'locales');
const LANGUAGES = ['en', 'zh-CN'];

/** JSX props and object-literal keys whose string values reach the screen. */
const VISIBLE = new Set([
  'title',
  'label',
  'placeholder',
  'alt',
  'aria-label',
  'tooltip',
  'content',
  'description',
  'message',
  'okText',
  'cancelText',
  'extra',
  'subTitle',
  'help',
  'addonBefore',
  'addonAfter',
  'checkedChildren',
  'unCheckedChildren',
  'emptyText',
  'children',
]);
const LETTER = /\p{L}/u;

function flatten(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function readNamespace(lng: string, ns: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(LOCALES, lng, `${ns}.json`), 'utf8'));
}

function tsxFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsxFiles(full);
    return e.name.endsWith('.tsx') ? [full] : [];
  });
}

/** Literal text a component would render: JSX text, string children and visible props/keys. */
function literalStrings(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const where = (n: ts.Node) =>
    `${path.relative(WEB, file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const isText = (n: ts.Node | undefined): n is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral =>
    !!n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && LETTER.test(n.text);
  const visit = (n: ts.Node) => {
    if (ts.isJsxText(n) && LETTER.test(n.text)) found.push(`${where(n)} text "${n.text.trim()}"`);
    if (ts.isJsxExpression(n) && isText(n.expression) && !ts.isJsxAttribute(n.parent)) {
      found.push(`${where(n)} child "${n.expression.text}"`);
    }
    if (ts.isJsxAttribute(n) && VISIBLE.has(n.name.getText(sf))) {
      const init = n.initializer;
      const value = init && ts.isJsxExpression(init) ? init.expression : init;
      if (isText(value)) found.push(`${where(n)} ${n.name.getText(sf)}="${value.text}"`);
    }
    if (
      ts.isPropertyAssignment(n) &&
      VISIBLE.has(n.name.getText(sf).replace(/['"]/g, '')) &&
      isText(n.initializer)
    ) {
      found.push(`${where(n)} ${n.name.getText(sf)}: "${n.initializer.text}"`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** t('key') calls with a literal key, with the namespace of the file's first useTranslation. */
function usedKeys(source: string): { ns: string; key: string }[] {
  const ns = /useTranslation\(\s*'([\w-]+)'/.exec(source)?.[1] ?? 'common';
  return [...source.matchAll(/\bt\(\s*'([\w.:-]+)'/g)].map((m) => {
    const [explicitNs, key] = m[1]!.includes(':') ? m[1]!.split(':') : [ns, m[1]!];
    return { ns: explicitNs!, key: key! };
  });
}

describe('web console translations', () => {
  it('has the same namespaces and keys in every language', () => {
    const namespaces = fs.readdirSync(path.join(LOCALES, 'en')).sort();
    expect(namespaces.length).toBeGreaterThan(5);
    for (const lng of LANGUAGES.slice(1)) {
      expect(fs.readdirSync(path.join(LOCALES, lng)).sort(), lng).toEqual(namespaces);
      for (const file of namespaces) {
        const ns = file.replace(/\.json$/, '');
        const en = flatten(readNamespace('en', ns)).sort();
        expect(flatten(readNamespace(lng, ns)).sort(), `${lng}/${file}`).toEqual(en);
      }
    }
  });

  it('renders no literal strings in components', () => {
    const found = tsxFiles(WEB).flatMap((f) => literalStrings(f, fs.readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('catches literal strings (the check itself)', () => {
    const sample = `const a = <div title="Hello">Hi {'there'} {t('ok')}</div>;\nconst cols = [{ title: 'Name', key: 'name' }];`;
    expect(literalStrings(path.join(WEB, 'x.tsx'), sample)).toHaveLength(4);
  });

  it('translates every key the components ask for', () => {
    const missing: string[] = [];
    for (const file of tsxFiles(WEB)) {
      for (const { ns, key } of usedKeys(fs.readFileSync(file, 'utf8'))) {
        const keys = new Set(flatten(readNamespace('en', ns)));
        const common = new Set(flatten(readNamespace('en', 'common')));
        // A count picks a plural form (key_one, key_other), as i18next does.
        const has = (set: Set<string>) => set.has(key) || set.has(`${key}_other`);
        if (!has(keys) && !has(common)) missing.push(`${path.relative(WEB, file)}: ${ns}:${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names every permission and built-in role the server has, in every language', () => {
    for (const lng of LANGUAGES) {
      const keys = new Set(flatten(readNamespace(lng, 'admin')));
      const missing = [
        ...Object.keys(PERMISSIONS).map((p) => `permissionNames.${p.replace(':', '.')}`),
        ...BUILT_IN_ROLES.map((r) => `builtInRoles.${r}`),
      ].filter((k) => !keys.has(`${k}.name`) || !keys.has(`${k}.description`));
      expect(missing, lng).toEqual([]);
    }
  });

  it('names every built-in quality rule template and its rules in every language', () => {
    for (const lng of LANGUAGES) {
      const quality = readNamespace(lng, 'quality');
      const keys = new Set(flatten(quality));
      const missing = Object.entries(BUILT_IN_TEMPLATES).flatMap(([name, tpl]) =>
        [
          `builtInTemplates.${name}.name`,
          `builtInTemplates.${name}.description`,
          ...tpl.rules.map((r) => `builtInTemplates.${name}.rules.${r.type}`),
        ].filter((k) => !keys.has(k)),
      );
      expect(missing, lng).toEqual([]);
    }
    // English says what the server seeded, so the console reads the same in either place.
    const en = readNamespace('en', 'quality').builtInTemplates as Record<
      string,
      { description: string; rules: Record<string, string> }
    >;
    for (const [name, tpl] of Object.entries(BUILT_IN_TEMPLATES)) {
      expect(en[name]!.description).toBe(tpl.description);
      for (const r of tpl.rules) expect(en[name]!.rules[r.type]).toBe(r.name);
    }
  });
});
