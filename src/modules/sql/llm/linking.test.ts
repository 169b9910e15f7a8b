import { describe, expect, it } from 'vitest';
import { linkSchema, schemaText } from './linking.ts';

const names = (q: string) => linkSchema(q).map((v) => v.name);

describe('schema linking', () => {
  it('picks the views an English question names, by name or synonym', () => {
    expect(names('How many tasks does each project have?')).toEqual(['projects', 'tasks']);
    expect(names('total billing amount per period')).toEqual(['billing_lines']);
    expect(names('average accuracy score')).toEqual(['quality_scores']);
  });

  it('picks the views a Chinese question names', () => {
    expect(names('每个项目有多少任务')).toEqual(['projects', 'tasks']);
    expect(names('本月的费用')).toEqual(['billing_lines']);
    expect(names('审核通过的标注有多少')).toEqual(['annotations', 'reviews']);
    expect(names('质量最高的成员')).toEqual(['quality_scores', 'members']);
  });

  it('adds members when a question asks who, so user ids can be named', () => {
    expect(names('who annotated the most tasks')).toEqual(['tasks', 'annotations', 'members']);
    expect(names('哪个标注员的任务最多')).toContain('members');
  });

  it('gives every view to a question that names none', () => {
    expect(names('hello')).toHaveLength(7);
  });

  it('always keeps the join keys of the views it picks', () => {
    const linked = linkSchema('annotations of tasks');
    const annotations = linked.find((v) => v.name === 'annotations')!;
    const cols = annotations.columns.map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['id', 'project_id', 'task_id', 'completed_by']));
    expect(linked.find((v) => v.name === 'tasks')!.columns.map((c) => c.name)).toEqual(
      expect.arrayContaining(['id', 'project_id']),
    );
  });

  it('writes DDL-like text', () => {
    const text = schemaText(linkSchema('tasks'));
    expect(text).toContain('CREATE VIEW tasks (');
    expect(text).toContain('project_id bigint -- Project (projects.id)');
    expect(text).not.toContain('CREATE VIEW members');
  });
});
