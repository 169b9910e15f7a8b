import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/helpers.ts';

/**
 * /system/metrics and /system/status agree when read from the same snapshot. The sampler
 * ticks in the background as well, so read status, metrics, status until both status
 * reads name the same round (bounded: rounds are 200 ms apart in tests).
 */
async function expectMetricsMatchStatus(app: FastifyInstance): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = (await app.inject({ method: 'GET', url: '/system/status' })).json();
    const metrics = (await app.inject({ method: 'GET', url: '/system/metrics' })).json();
    const after = (await app.inject({ method: 'GET', url: '/system/status' })).json();
    if (before.sampled_at !== after.sampled_at) continue;
    expect(metrics.http_requests_total).toBe(before.requests.total);
    expect(metrics.services_down).toBe(
      before.services.filter((s: { status: string }) => s.status !== 'up').length,
    );
    return;
  }
  throw new Error('the sampler never held still for three requests');
}

describe('system endpoints', () => {
  it('GET /health answers ok with the version', async () => {
    const { app } = await testApp();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: expect.any(String) });
  });

  it('returns and honours x-request-id', async () => {
    const { app } = await testApp();
    const res = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id!' },
    });
    expect(generated.headers['x-request-id']).not.toBe('bad id!');
  });

  it('is ready once the database answers and migrations are at head', async () => {
    const { app, platform } = await testApp();
    await platform.sampler.tick();
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ready');
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('reports services, status and metrics from the sampler', async () => {
    const { app, platform } = await testApp();
    await app.inject({ method: 'GET', url: '/health' });
    await platform.sampler.tick();
    const services = (await app.inject({ method: 'GET', url: '/system/services' })).json();
    const names = services.services.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['database', 'job_queue']));
    const db = services.services.find((s: { name: string }) => s.name === 'database');
    expect(db.status).toBe('up');
    expect(db.latency_ms).toBeGreaterThanOrEqual(0);

    const status = (await app.inject({ method: 'GET', url: '/system/status' })).json();
    expect(status.requests.total).toBeGreaterThan(0);
    expect(status.database.driver).toBe(platform.database.driver);
    expect(status.jobs.queue_depth).toBeGreaterThanOrEqual(0);
    expect(status.requests.latency_ms.p99).toBeGreaterThan(0);

    await expectMetricsMatchStatus(app);

    const prom = await app.inject({ method: 'GET', url: '/metrics' });
    expect(prom.headers['content-type']).toContain('text/plain');
    expect(prom.body).toContain('http_request_duration_seconds_bucket');
    expect(prom.body).toContain('process_cpu_user_seconds_total');
  });

  it('answers from the last snapshot until the sampler takes the next one', async () => {
    const { app, platform } = await testApp();
    await platform.sampler.tick();
    for (const url of ['/system/status', '/system/metrics', '/system/services']) {
      const first = await app.inject({ method: 'GET', url });
      const second = await app.inject({ method: 'GET', url });
      expect(first.statusCode).toBe(200);
      expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(typeof first.json()).toBe('object');
      // The sampler also ticks in the background; between two of its rounds the text is the same.
      if (url === '/system/status' && first.json().sampled_at === second.json().sampled_at) {
        expect(second.body).toBe(first.body);
      }
    }
    const before = (await app.inject({ method: 'GET', url: '/system/status' })).json();
    await app.inject({ method: 'GET', url: '/health' });
    await platform.sampler.tick();
    const after = (await app.inject({ method: 'GET', url: '/system/status' })).json();
    expect(Date.parse(after.sampled_at)).toBeGreaterThan(Date.parse(before.sampled_at));
    expect(after.requests.total).toBeGreaterThan(before.requests.total);
    await expectMetricsMatchStatus(app);
  });

  it('serves the OpenAPI document and the root links', async () => {
    const { app } = await testApp();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/system/status']).toBeDefined();
    const root = (await app.inject({ method: 'GET', url: '/' })).json();
    expect(root.links.docs).toBe('/docs');
  });

  it('answers unknown routes and malformed bodies with problem+json', async () => {
    const { app } = await testApp();
    const missing = await app.inject({ method: 'GET', url: '/no/such/route' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
