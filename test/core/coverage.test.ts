/**
 * Guard: every value exported by src/core.ts (the public API) is exercised somewhere in
 * test/core as `st.<name>`, so a new export cannot land untested.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

test('every export of src/core.ts is used by the core tests', () => {
  const core = readFileSync(new URL('src/core.ts', root), 'utf8');
  const names: string[] = [];
  for (const m of core.matchAll(/export \{([^}]*)\} from/g)) {
    for (const part of m[1].split(',').map((s) => s.trim()).filter(Boolean)) {
      names.push(part.includes(' as ') ? part.split(' as ')[1].trim() : part);
    }
  }
  assert.ok(names.length > 100, `found only ${names.length} exports`);
  const dir = new URL('test/core/', root);
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
    .join('\n');
  const untested = names.filter((n) => !new RegExp(`\\bst\\.${n}\\b`).test(text));
  assert.deepEqual(untested, [], `exports without a test: ${untested.join(', ')}`);
});
