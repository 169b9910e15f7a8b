// Builds the web console into web/dist after `npm install` / `npm ci`, so `npm start` from a
// fresh clone serves it. An install without dev dependencies (the Docker image copies a
// console built beforehand) has no vite and skips the build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

if (!fs.existsSync(new URL('../node_modules/vite/package.json', import.meta.url))) {
  console.log('superinsight: vite is not installed; skipping the web console build');
  process.exit(0);
}
const run = spawnSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
