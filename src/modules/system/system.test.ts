import { describe, expect, it } from 'vitest';
import { testApp } from '../../../test/helpers.ts';

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

    const metrics = (await app.inject({ method: 'GET', url: '/system/metrics' })).json();
    expect(metrics.http_requests_total).toBe(status.requests.total);

    const prom = await app.inject({ method: 'GET', url: '/metrics' });
    expect(prom.headers['content-type']).toContain('text/plain');
    expect(prom.body).toContain('http_request_duration_seconds_bucket');
    expect(prom.body).toContain('process_cpu_user_seconds_total');
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
