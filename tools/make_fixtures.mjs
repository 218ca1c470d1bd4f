#!/usr/bin/env node
// Regenerates every PyTorch parity fixture: runs each tools/fixtures/*.py with Debian's
// /usr/bin/python3 (torch 1.13), one after another, and stops at the first failure.
// Usage: node tools/make_fixtures.mjs [name-filter ...]   e.g. node tools/make_fixtures.mjs core
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'tools', 'fixtures');
const python = process.env.STRATA_PYTHON ?? '/usr/bin/python3';
const filters = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.py') && !f.startsWith('_')) // _*.py are shared modules
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (scripts.length === 0) {
  console.error(`make_fixtures: no tools/fixtures/*.py matches ${filters.join(' ')}`);
  process.exit(1);
}
for (const script of scripts) {
  console.log(`make_fixtures: ${python} tools/fixtures/${script}`);
  const result = spawnSync(python, [join(dir, script)], { cwd: root, stdio: 'inherit' });
  if (result.error) {
    console.error(`make_fixtures: cannot run ${python}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`make_fixtures: tools/fixtures/${script} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}
console.log(`make_fixtures: ${scripts.length} script(s) done`);
