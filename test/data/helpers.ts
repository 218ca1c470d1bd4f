import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { DataLoader, DataLoaderState } from '../../src/data/index.js';

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

export type IterationMode = 'sync' | 'async' | 'async, prefetch 3';

/**
 * An epoch interrupted and resumed: `make(false)` (after manualSeed(21)) gives two reference epochs; a
 * second such loader stops after three batches and saves its state; `make(true)`, built after the global
 * stream has moved elsewhere (a new process), loads that state, finishes the epoch and runs one more.
 * Returns [reference steps, interrupted + resumed steps], which must be equal.
 */
export async function interruptAndResume<B>(
  mode: IterationMode, make: (resumed: boolean) => DataLoader<any>, step: (b: B) => number[],
): Promise<[number[][], number[][]]> {
  st.manualSeed(21);
  const reference = make(false);
  const full = [...Array.from(reference, step), ...Array.from(reference, step)]; // two epochs
  st.manualSeed(21);
  const first = make(false);
  let state: DataLoaderState | null = null;
  const got: number[][] = [];
  const take = (b: B) => {
    got.push(step(b));
    if (got.length === 3) state = first.stateDict();
    return got.length === 3;
  };
  if (mode === 'sync') {
    for (const b of first) if (take(b)) break;
  } else {
    for await (const b of first) if (take(b)) break;
  }
  st.manualSeed(999); // a new process: every generator is elsewhere
  const resumed = make(true);
  resumed.loadStateDict(JSON.parse(JSON.stringify(state)));
  if (mode === 'sync') for (const b of resumed) got.push(step(b));
  else for await (const b of resumed) got.push(step(b));
  for (const b of resumed) got.push(step(b));
  return [full, got];
}
