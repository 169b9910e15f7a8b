import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/**
 * The module boundary rule, as a function over a file list so a test can give it a planted tree:
 * a file in src/modules/X may import another module Y only through Y's index.ts, and may not
 * name a table Y's schema.ts owns in SQL text. src/platform never imports src/modules.
 * Tests (`*.test.ts`, beside the code or in test/) may reach internals: they test them.
 * One exception: a module's schema.ts may import another module's schema.ts, because a foreign
 * key needs the referenced table object; that is the database's integrity, not an access.
 */
export interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. src/modules/quality/x.ts. */
  path: string;
  text: string;
}

export interface Violation {
  path: string;
  rule: 'internal-import' | 'platform-imports-module' | 'foreign-table';
  detail: string;
}

const MODULES = 'src/modules/';

function moduleOf(path: string): string | null {
  if (!path.startsWith(MODULES)) return null;
  const rest = path.slice(MODULES.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? null : rest.slice(0, slash);
}

/** Table name -> owning module, read from each module's schema.ts (`pgTable('name', …)`). */
export function tableOwners(files: SourceFile[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const f of files) {
    const owner = moduleOf(f.path);
    if (!owner || !f.path.endsWith('/schema.ts')) continue;
    for (const m of f.text.matchAll(/pgTable\(\s*['"]([a-z_][a-z0-9_]*)['"]/g))
      owners.set(m[1] as string, owner);
  }
  return owners;
}

/** Every string and template literal's text (template parts joined with a space), and every import. */
function scan(f: SourceFile): { imports: string[]; texts: string[] } {
  const source = ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const imports: string[] = [];
  const texts: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) imports.push(node.moduleSpecifier.text);
      return;
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) imports.push(arg.text);
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) texts.push(node.text);
    else if (ts.isTemplateExpression(node))
      texts.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' '));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, texts };
}

// A table is named in SQL where a relation is expected.
const RELATION = /\b(?:from|join|update|into|table)\s+(?:only\s+)?"?([a-z_][a-z0-9_]*)"?/gi;

/** Table names a piece of SQL text reads or writes. */
export function tablesNamed(text: string): string[] {
  return [...text.matchAll(RELATION)].map((m) => (m[1] as string).toLowerCase());
}

export function checkBoundaries(files: SourceFile[]): Violation[] {
  const owners = tableOwners(files);
  const violations: Violation[] = [];
  for (const f of files) {
    const from = moduleOf(f.path);
    const inPlatform = f.path.startsWith('src/platform/');
    if ((!from && !inPlatform) || f.path.endsWith('.test.ts')) continue;
    const { imports, texts } = scan(f);
    for (const spec of imports) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(f.path), spec));
      if (!target.startsWith(MODULES)) continue;
      if (inPlatform) {
        violations.push({ path: f.path, rule: 'platform-imports-module', detail: target });
        continue;
      }
      const to = moduleOf(target);
      if (!to || to === from) continue;
      if (target === `${MODULES}${to}/index.ts`) continue;
      if (f.path.endsWith('/schema.ts') && target === `${MODULES}${to}/schema.ts`) continue;
      violations.push({ path: f.path, rule: 'internal-import', detail: target });
    }
    if (!from) continue;
    for (const text of texts)
      for (const table of tablesNamed(text)) {
        const owner = owners.get(table);
        if (owner && owner !== from)
          violations.push({ path: f.path, rule: 'foreign-table', detail: `${table} (owned by ${owner})` });
      }
  }
  return violations;
}

/** The repository's src tree as a file list (tests beside the code included). */
export function sourceFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts'))
        out.push({ path: relative(root, full).split('\\').join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  walk(join(root, 'src'));
  return out;
}
