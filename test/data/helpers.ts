import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';

/** torchvision parity values made by test/data/fixtures/make_fixtures.py. */
export const fixtures = JSON.parse(readFileSync(new URL('./fixtures/torchvision.json', import.meta.url), 'utf8'));

/** The real datasets' root ($STRATA_DATA, else ../shared/data from the repository root), or null. */
export function realDataRoot(): string | null {
  for (const dir of [process.env.STRATA_DATA, join(process.cwd(), '../shared/data')]) {
    if (dir && existsSync(dir)) return dir;
  }
  return null;
}

/** Skip message when a dataset folder is missing. */
export function missing(sub: string): string | false {
  const root = realDataRoot();
  if (root && existsSync(join(root, sub))) return false;
  return `${sub} not found (set STRATA_DATA to the folder holding ${sub}/)`;
}

export function assertClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6, what = ''): void {
  const a = 'data' in actual && typeof actual.data === 'function' ? Array.from((actual as Tensor).data()) : Array.from(actual as ArrayLike<number>);
  assert.equal(a.length, expected.length, `${what}: length ${a.length} vs ${expected.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - expected[i]) <= tol)) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${expected[i]} (tol ${tol})`);
  }
}
