import { describe, expect, it } from 'vitest';
import { newProject } from '../../../test/annotation-fixtures.ts';
import { newTenant } from '../../../test/fixtures.ts';
import { testApp } from '../../../test/helpers.ts';
import { exportProject, importTasks } from '../../../test/transfer-helpers.ts';

describe('import', () => {
  it('imports a JSON array body with annotations and predictions as a job', async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const { job, imp } = await importTasks(t, project.id, [
      { text: 'bare data object' },
      {
        data: { text: 'wrapped' },
        meta: { source: 'x' },
        annotations: [
          {
            result: [
              {
                from_name: 'sentiment',
                to_name: 'text',
                type: 'choices',
                value: { choices: ['Positive'] },
              },
            ],
            lead_time: 3.5,
            completed_by: t.owner.email,
          },
        ],
        predictions: [{ result: [], score: 0.4, model_version: 'v1' }],
      },
    ]);
    expect(job.state).toBe('completed');
    expect(imp.status).toBe('completed');
    expect(imp.counts).toEqual({ tasks: 2, annotations: 1, predictions: 1, duplicates_skipped: 0 });
    const res = await exportProject(t, project.id, 'format=JSON');
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out).toHaveLength(2);
    expect(out[1].annotations[0].completed_by).toBe(t.owner.userId);
  });
});
