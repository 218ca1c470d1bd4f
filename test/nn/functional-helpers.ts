/** Shared helpers of the functional (F) tests: fixture decoding, tolerant comparison, deterministic inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';

export type Value = number | string;

/** JSON has no NaN/Infinity: the fixtures write them as strings. */
export function decode(values: readonly Value[]): number[] {
  return values.map((v) => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN));
}

/** Deterministic values sin(0.37·i + phase)·scale, as the fixture scripts use, in float64 by default. */
export function det(shape: number[], phase = 0, scale = 1, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37 + phase) * scale;
  return st.tensor(data, { shape }).to(dtype);
}

/** A leaf float64 tensor that requires grad (for gradcheck). */
export function leaf(shape: number[], phase = 0, scale = 1): Tensor {
  return det(shape, phase, scale).requiresGrad_();
}

/** Values in [lo, hi], never at the ends. */
export function positive(shape: number[], phase = 0, lo = 0.1, hi = 1.5): Tensor {
  return det(shape, phase).add(1).mul((hi - lo) / 2).add(lo);
}

export function ints(values: number[], shape?: number[]): Tensor {
  return st.tensor(Int32Array.from(values), { shape: shape ?? [values.length] });
}

/** Elementwise |a − e| ≤ rtol·|e| + atol·max(1, max|e|); NaN matches NaN, infinities match exactly. */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-9, atol = 1e-12): void {
  const a = 'shape' in actual ? Array.from((actual as Tensor).data()) : Array.from(actual as ArrayLike<number>);
  assert.equal(a.length, expected.length, `${what}: ${a.length} values, expected ${expected.length}`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const v = a[i];
    if (!Number.isFinite(e)) {
      assert.ok(Object.is(v, e) || (Number.isNaN(v) && Number.isNaN(e)), `${what}[${i}]: got ${v}, expected ${e}`);
      continue;
    }
    assert.ok(Math.abs(v - e) <= rtol * Math.abs(e) + atol * scale, `${what}[${i}]: got ${v}, expected ${e} (|diff| ${Math.abs(v - e)})`);
  }
}

/** st.gradcheck that reports the case name on failure. */
export function check(name: string, fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], options: st.GradcheckOptions = {}): void {
  try {
    assert.ok(st.gradcheck(fn, inputs, options));
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

// ---- fixture cases of F calls (functional.json, audit_nn.json) ------------------------------------

/** A tensor in a fixture: flat data ('nan'/'inf' strings for non-finite values), shape, dtype. */
export interface FunctionalSpec {
  shape: number[];
  dtype: 'float' | 'int32';
  data: Value[];
}
export interface FunctionalArg {
  tensor?: FunctionalSpec;
  grad?: boolean;
  gradOut?: Value[] | null;
  after?: Value[];
  value?: unknown;
}
export interface FunctionalCase {
  name: string;
  op: string;
  f64only: boolean;
  args: FunctionalArg[];
  kwargs: Record<string, unknown>;
  tensorKwargs: Record<string, FunctionalArg>;
  outputs: FunctionalSpec[];
  gy: Value[] | null;
  /** torch's message when it raised: Strata must throw as well. */
  error?: string;
}

function build(s: FunctionalSpec, dtype: 'float32' | 'float64', grad: boolean): Tensor {
  if (s.dtype === 'int32') return st.tensor(Int32Array.from(decode(s.data)), { shape: s.shape });
  const t = st.tensor(Float64Array.from(decode(s.data)), { shape: s.shape }).to(dtype);
  return grad ? t.requiresGrad_() : t;
}

/** Option values: the fixture writes infinities as 'inf' / '-inf'. */
const optionValue = (v: unknown): unknown => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);

export function runFunctionalCase(c: FunctionalCase, dtype: 'float32' | 'float64'): void {
  const [rtol, atol] = dtype === 'float64' ? [1e-9, 1e-12] : [1e-4, 2e-5];
  const args = c.args.map((a) => (a.tensor ? build(a.tensor, dtype, !!a.grad) : (a.value as unknown)));
  const tensorKwargs = Object.fromEntries(Object.entries(c.tensorKwargs).map(([k, a]) => [k, build(a.tensor!, dtype, !!a.grad)]));
  const kwargs = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, optionValue(v)]));
  const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor | Tensor[]>)[c.op];
  assert.equal(typeof fn, 'function', `F.${c.op} is missing`);
  const call = () => fn(...args, { ...kwargs, ...tensorKwargs });
  if (c.error !== undefined) {
    assert.throws(call, Error, `${c.name}: torch raised "${c.error}", Strata returned`);
    return;
  }
  const result = call();
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  outs.forEach((o, i) => {
    const e = c.outputs[i];
    assert.deepEqual(o.shape, e.shape, `${c.name}: output ${i} shape`);
    if (e.dtype === 'int32') assert.deepEqual(Array.from(o.data()), decode(e.data), `${c.name}: output ${i} (integers)`);
    else {
      assert.equal(o.dtype, dtype, `${c.name}: output ${i} dtype`);
      assertClose(o, decode(e.data), `${c.name} [${dtype}] output ${i}`, rtol, atol);
    }
  });
  c.args.forEach((a, i) => {
    if (a.after) assertClose(args[i] as Tensor, decode(a.after), `${c.name} [${dtype}] argument ${i} after the call`, rtol, atol);
  });
  if (!c.gy) return;
  outs[0].backward(st.tensor(Float64Array.from(decode(c.gy)), { shape: outs[0].shape }).to(dtype));
  const check = (t: Tensor, a: FunctionalArg, what: string) => {
    if (!a.grad || !a.gradOut) return;
    assert.ok(t.grad, `${c.name}: ${what} has no gradient`);
    assertClose(t.grad!, decode(a.gradOut), `${c.name} [${dtype}] gradient of ${what}`, rtol, atol);
  };
  c.args.forEach((a, i) => check(args[i] as Tensor, a, `argument ${i}`));
  Object.entries(c.tensorKwargs).forEach(([k, a]) => check(tensorKwargs[k], a, k));
}

/** A fixture file of F calls (test/fixtures/NAME), parsed. */
export function readFunctionalFixture<T extends { torch: string; cases: FunctionalCase[] }>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/**
 * One test per op of a fixture's F cases: each case in float64, and in float32 unless it is float64-only or an
 * error case (Strata must then throw where torch raised).
 */
export function functionalCaseTests(fixture: { torch: string; cases: FunctionalCase[] }, title: (op: string, cases: FunctionalCase[]) => string): void {
  const groups = new Map<string, FunctionalCase[]>();
  for (const c of fixture.cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);
  for (const [op, cases] of groups) {
    test(title(op, cases), () => {
      for (const c of cases) {
        runFunctionalCase(c, 'float64');
        if (!c.f64only && c.error === undefined) runFunctionalCase(c, 'float32');
      }
    });
  }
}
