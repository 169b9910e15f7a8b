/**
 * Writes the server's OpenAPI document as TypeScript types for the web console
 * (web/src/api/schema.d.ts), so the console's API calls are typed from the routes' own
 * schemas. `--check` fails when the committed file is not current.
 *
 * The app is built in-process on an in-memory PGlite database; nothing listens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startPlatform } from '../src/platform/index.ts';
import { openapiTypes, SCHEMA_FILE } from './openapi-types.ts';

const target = SCHEMA_FILE;
const check = process.argv.includes('--check');

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'si-openapi-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  SUPERINSIGHT_IN_PROCESS_WORKER: 'false',
});
const platform = await startPlatform(config, pino({ level: 'silent' }), { pgliteDir: null, migrate: true });
const app = await buildApp(platform);
await app.ready();
const doc = app.swagger();
await app.close();
await platform.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const text = await openapiTypes(doc);

if (check) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error(`${path.relative(process.cwd(), target)} is stale: run \`npm run web:api\`.`);
    process.exit(1);
  }
  console.log('web/src/api/schema.d.ts is current.');
} else {
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
process.exit(0);
