// Installs the local model server's own packages (node-llama-cpp and its prebuilt Linux x64
// binary, ~85 MB) into test/llm-server/node_modules, once per lockfile: the test setup and
// .ci/run call it, so a user's `npm install` of the platform never carries them.
// Optional dependencies are left out: they are node-llama-cpp's CUDA, Vulkan and other
// platforms' builds (~650 MB) that CPU inference here does not use.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const stamp = join(dir, 'node_modules', '.superinsight-lock-hash');
const hash = createHash('sha256')
  .update(readFileSync(join(dir, 'package-lock.json')))
  .digest('hex');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);
const started = Date.now();
// Install scripts stay off: node-llama-cpp's postinstall would try to fetch or build llama.cpp,
// and the prebuilt binary package needs none.
execFileSync('npm', ['ci', '--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund'], {
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit'],
});
writeFileSync(stamp, hash);
console.log(`test/llm-server: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
