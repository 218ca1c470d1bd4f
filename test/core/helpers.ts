/**
 * Shared helpers of the core test suite: backend loop (conformance), tolerant
 * comparison, deterministic inputs, fixture decoding.
 *
 * Backend-independent tests are written once and run for every registered
 * backend (`st.listBackends()`), or only for those listed in STRATA_BACKEND
 * (comma-separated), e.g. `STRATA_BACKEND=native node scripts/run-tests.mjs test/core`.
 */
import { describe, beforeEach, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';

/** The backends the suite runs against. */
export function backendsUnderTest(): string[] {
  const env = process.env.STRATA_BACKEND;
  if (env) return env.split(',').map((s) => s.trim()).filter(Boolean);
  return st.listBackends();
}

/** The backend selected when the suite loaded (the default), restored after each backend's suite. */
const initialBackend = st.getBackend();

/** Register `body`'s tests once per backend, each suite selecting its backend before every test. */
export function forEachBackend(body: (backend: string) => void): void {
  for (const backend of backendsUnderTest()) {
    describe(`backend ${backend}`, () => {
      beforeEach(() => st.setBackend(backend));
      after(() => st.setBackend(initialBackend));
      body(backend);
    });
  }
}

/**
 * Known divergences of a backend from the reference, by test name, each with a reason for its
 * owner. Such tests run as `todo`: reported in the output, not failing the suite. Remove an
 * entry when the backend is fixed (the runner then reports the todo as passing).
 */
/** Cases a backend is known to get wrong (run as `todo` with the reason); none at present. */
export const KNOWN_ISSUES: Record<string, Record<string, string>> = {};

/** The `todo` option for a test on a backend: the known issue, if any. */
export function knownIssue(backend: string, name: string): string | undefined {
  const reason = KNOWN_ISSUES[backend]?.[name];
  return reason === undefined ? undefined : `known ${backend} issue: ${reason}`;
}

/**
 * A fixture table's tests: one test per case on every backend, named `op: name` (a known issue runs as
 * todo), and a check that every key of the Strata call table `ops` has cases.
 */
export function fixtureCaseTests<C extends { op: string; name: string }>(
  cases: readonly C[], ops: object, runCase: (c: C) => void, table: string,
): void {
  forEachBackend((backend) => {
    for (const c of cases) {
      const name = `${c.op}: ${c.name}`;
      test(name, { todo: knownIssue(backend, name) }, () => runCase(c));
    }
  });
  test(`every op key of ${table} has fixture cases`, () => {
    const used = new Set(cases.map((c) => c.op));
    assert.deepEqual(Object.keys(ops).filter((k) => !used.has(k)), []);
  });
}

export type Numeric = ArrayLike<number> | readonly (number | boolean)[];

/** Elementwise |a − e| ≤ atol + rtol·|e|; NaN matches NaN, infinities must match exactly. */
export function assertClose(
  actual: Tensor | Numeric,
  expected: Tensor | Numeric,
  options: { rtol?: number; atol?: number; what?: string } = {},
): void {
  const { rtol = 1e-5, atol = 1e-6, what = 'value' } = options;
  const a = toNumbers(actual);
  const e = toNumbers(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (Number.isNaN(y) || !Number.isFinite(y)) {
      assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}]: got ${x}, expected ${y}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)})`);
  }
}

/** Exact equality of values (NaN equals NaN). */
export function assertEqualValues(actual: Tensor | Numeric, expected: Tensor | Numeric, what = 'value'): void {
  assertClose(actual, expected, { rtol: 0, atol: 0, what });
}

export function toNumbers(x: Tensor | Numeric): number[] {
  if (x instanceof st.Tensor) return Array.from(x.data() as ArrayLike<number>);
  return Array.from(x as ArrayLike<number | boolean>, (v) => Number(v));
}

/** Deterministic float64 values in [lo, hi) from a private generator (does not disturb st.manualSeed). */
export function rnd(
  shape: number[],
  options: { seed?: number; lo?: number; hi?: number; away?: number; dtype?: DType; requiresGrad?: boolean } = {},
): Tensor {
  const { seed = 1, lo = -2, hi = 2, away = 0, dtype = 'float64', requiresGrad = true } = options;
  const gen = new st.Generator(seed);
  const u = st.rand(shape, { dtype: 'float64', generator: gen }).data() as Float64Array;
  const values = Float64Array.from(u, (v) => {
    let x = lo + (hi - lo) * v;
    // Push values out of (−away, away) so non-differentiable points at 0 are avoided.
    if (away > 0 && Math.abs(x) < away) x = x < 0 ? x - away : x + away;
    return x;
  });
  const t = st.tensor(values, { shape, dtype });
  if (requiresGrad) t.requiresGrad_();
  return t;
}

/** Decode fixture numbers: "nan", "inf", "-inf" strings become numbers; booleans stay. */
export function decode(v: unknown): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number;
}

/** Decode every 'nan'/'inf'/'-inf' string in an argument object. */
export function decodeArgs<T extends Record<string, unknown>>(args: T | undefined): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args ?? {})) out[k] = v === 'nan' || v === 'inf' || v === '-inf' ? decode(v) : v;
  return out as T;
}

/** Largest finite |value| (at least 1), to scale absolute tolerances. */
export function magnitude(values: readonly unknown[]): number {
  let m = 1;
  for (const v of values) {
    const x = Math.abs(decode(v));
    if (Number.isFinite(x) && x > m) m = x;
  }
  return m;
}

/** Assert that `fn` throws an Error whose message contains every fragment. */
export function assertThrowsWith(fn: () => unknown, fragments: (string | RegExp)[], what = ''): void {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `${what}: expected an error, nothing was thrown`);
  for (const f of fragments) {
    const ok = typeof f === 'string' ? error.message.includes(f) : f.test(error.message);
    assert.ok(ok, `${what}: message ${JSON.stringify(error.message)} should contain ${String(f)}`);
  }
}

/** An input of an op-table fixture (tools/fixtures/_specs.py): flat values (non-finite as strings), shape, dtype. */
export interface FixtureSpec {
  data: (number | boolean | string)[];
  shape: number[];
  dtype: DType;
  /** The input requires grad. */
  grad?: boolean;
}
/** An output of an op-table fixture. */
export interface FixtureOut {
  dtype: DType;
  shape: number[];
  data: (number | boolean | string)[];
}

/** A case of the op-table fixtures (ops_misc, ops_sort_scan, fuzz_ops, …): inputs, JSON args, torch's outputs, gradients or error. */
export interface OpFixtureCase {
  name: string;
  op: string;
  inputs: FixtureSpec[];
  args: Record<string, unknown>;
  tol?: number;
  out?: FixtureOut[];
  error?: string;
  grads?: ((number | string)[] | null)[];
  gradFn?: string;
  gradError?: string;
}

/** The cases of test/fixtures/NAME. */
export function readOpFixture(name: string): OpFixtureCase[] {
  return (JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as { cases: OpFixtureCase[] }).cases;
}

/** The tensor a fixture spec describes (requiring grad when the spec says so). */
export function fixtureInput(spec: FixtureSpec): Tensor {
  const t = st.tensor(spec.data.map(decode), { shape: spec.shape, dtype: spec.dtype });
  return spec.grad ? t.requiresGrad_() : t;
}

/** `actual` is a tensor with the fixture output's dtype, shape and values (floats to `rtol`). */
export function assertFixtureOut(actual: unknown, expected: FixtureOut, what: string, rtol = 1e-6): void {
  assert.ok(actual instanceof st.Tensor, `${what}: expected a tensor, got ${typeof actual}`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const values = expected.data.map(decode);
  if (expected.dtype === 'float32' || expected.dtype === 'float64') {
    assertClose(actual, values, { rtol, atol: rtol * 0.1 * magnitude(expected.data), what });
  } else {
    assert.deepEqual(Array.from(actual.data() as ArrayLike<number>), values, `${what}: values`);
  }
}
