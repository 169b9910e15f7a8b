import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openapiTypes, SCHEMA_FILE } from '../scripts/openapi-types.ts';
import { testApp } from './helpers.ts';

describe('web console API types', () => {
  it('web/src/api/schema.d.ts matches the OpenAPI document (else run `npm run web:api`)', async () => {
    const { app } = await testApp();
    const current = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(
      current === (await openapiTypes(app.swagger())),
      'web/src/api/schema.d.ts is stale: npm run web:api',
    ).toBe(true);
  });
});
