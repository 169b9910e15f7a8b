import { describe, expect, it } from 'vitest';
import { checkBoundaries, type SourceFile, sourceFiles, tablesNamed } from './boundaries.ts';

const root = new URL('..', import.meta.url).pathname;

/** A planted tree: quality reaches into annotation's internals and names its table in SQL. */
const planted: SourceFile[] = [
  {
    path: 'src/modules/annotation/schema.ts',
    text: "export const annotations = pgTable('annotations', {});\nexport const tasks = pgTable(\n  'tasks', {});",
  },
  { path: 'src/modules/annotation/index.ts', text: "export { findAnnotation } from './reads.ts';" },
  {
    path: 'src/modules/quality/schema.ts',
    text: "import { tasks } from '../annotation/schema.ts';\nexport const scores = pgTable('quality_scores', {});",
  },
  {
    path: 'src/modules/quality/scores/bad.service.ts',
    text: [
      "import { findAnnotation } from '../../annotation/index.ts';",
      "import { annotations } from '../../annotation/schema.ts';",
      "export type { Row } from '../../annotation/reads.ts';",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the planted file's source text
      'const q = sql`select id from annotations where task_id = ${id}`;',
      'const raw = \'UPDATE "tasks" SET x = 1\';',
      'const own = sql`select * from quality_scores`;',
    ].join('\n'),
  },
  {
    path: 'src/modules/quality/scores/bad.test.ts',
    text: "import { tasks } from '../../annotation/schema.ts';",
  },
  { path: 'src/platform/db/bad.ts', text: "import { modules } from '../../modules/index.ts';" },
];

describe('module boundaries', () => {
  it('the source tree keeps them', () => {
    expect(checkBoundaries(sourceFiles(root))).toEqual([]);
  });

  it('reports every planted violation, and only those', () => {
    const found = checkBoundaries(planted).map((v) => `${v.rule} ${v.path} ${v.detail}`);
    expect(found.sort()).toEqual(
      [
        'internal-import src/modules/quality/scores/bad.service.ts src/modules/annotation/schema.ts',
        'internal-import src/modules/quality/scores/bad.service.ts src/modules/annotation/reads.ts',
        'foreign-table src/modules/quality/scores/bad.service.ts annotations (owned by annotation)',
        'foreign-table src/modules/quality/scores/bad.service.ts tasks (owned by annotation)',
        'platform-imports-module src/platform/db/bad.ts src/modules/index.ts',
      ].sort(),
    );
  });

  it('finds the tables SQL text reads and writes', () => {
    expect(tablesNamed('select a.id from annotations a join tasks t on t.id = a.task_id')).toEqual([
      'annotations',
      'tasks',
    ]);
    expect(tablesNamed('insert into "review_records" (x) values (1); delete from only exports')).toEqual([
      'review_records',
      'exports',
    ]);
    expect(tablesNamed('the tasks of a project, counted in annotations')).toEqual([]);
  });
});
