import swagger from '@fastify/swagger';
import { Type } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../src/platform/errors/handler.ts';
import { registerInputChecks } from '../src/platform/http/input.ts';
import { newProject } from './annotation-fixtures.ts';
import { newTenant } from './fixtures.ts';
import { type OpenApiDocument, walkOperations } from './fuzz-walker.ts';
import { testApp } from './helpers.ts';
import { seedTasks } from './labeling-fixtures.ts';

describe('malformed requests to every documented operation', () => {
  it('never answer 5xx or show a stack trace', { timeout: 240_000 }, async () => {
    const ctx = await testApp();
    const t = await newTenant(ctx);
    const project = await newProject(t);
    const [taskId] = await seedTasks(ctx, t, project, 1);
    const doc = ctx.app.swagger() as unknown as OpenApiDocument;
    const { failures, requests, operations } = await walkOperations(ctx.app, doc, {
      headers: { authorization: `Bearer ${t.owner.token}` },
      pathValues: (path, name) => {
        if (name === 'projectId' || (name === 'id' && path.startsWith('/api/v1/projects/')))
          return String(project.id);
        if (name === 'taskId' || (name === 'id' && path.startsWith('/api/v1/tasks/'))) return String(taskId);
        if (name === 'userId') return t.owner.userId;
        return undefined;
      },
    });
    expect(operations).toBeGreaterThan(150);
    expect(requests).toBeGreaterThan(2000);
    expect(failures, JSON.stringify(failures.slice(0, 20), null, 1)).toEqual([]);
  });

  it('catches a planted 500 (the walker finds what it is meant to find)', async () => {
    const app = Fastify();
    registerErrorHandling(app);
    registerInputChecks(app);
    await app.register(swagger, { openapi: { info: { title: 'planted', version: '1' } } });
    app.post(
      '/planted/:id',
      { schema: { params: Type.Object({ id: Type.Integer() }), body: Type.Object({ name: Type.String() }) } },
      async (req) => {
        // A handler bug that only a value of the right type but an odd content reaches.
        if ((req.body as { name: string }).name.length > 1000) throw new Error('unexpected');
        return { ok: true };
      },
    );
    await app.ready();
    const { failures } = await walkOperations(app, app.swagger() as unknown as OpenApiDocument, {
      headers: {},
    });
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ method: 'POST', status: 500, what: 'body name is a huge string' });
    await app.close();
  });
});
