#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PER_BACKEND_DIRS } from '../test/per-backend.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

// These suites run once per backend (test/select-backend.ts picks it); the rest choose backends themselves
// (test/core runs its cases on every backend) or test one.
const PER_BACKEND = PER_BACKEND_DIRS;
const nativeBuilt = existsSync(join(root, 'build', 'Release', 'strata_native.node')) && process.env.STRATA_NATIVE !== '0';

const files = collect(join(root, 'test')).sort().filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const shared = files.filter((f) => !PER_BACKEND.some((d) => f.startsWith(d)));
const perBackend = files.filter((f) => PER_BACKEND.some((d) => f.startsWith(d)));

function run(list, backend) {
  if (list.length === 0) return 0;
  const preload = backend ? ['--import', './test/select-backend.ts'] : [];
  if (backend) console.log(`\n# ${list.length} files on the ${backend} backend`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...preload, '--test', '--test-reporter=spec', ...list], {
    cwd: root,
    stdio: 'inherit',
    env: backend ? { ...process.env, STRATA_TEST_BACKEND: backend } : process.env,
  });
  return result.status ?? 1;
}

let status = run(shared, null);
for (const backend of nativeBuilt ? ['js', 'native'] : ['js']) {
  const s = run(perBackend, backend);
  status = status || s;
}
process.exit(status);
