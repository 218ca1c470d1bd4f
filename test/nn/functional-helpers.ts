/** Shared helpers of the functional (F) tests: fixture decoding, tolerant comparison, deterministic inputs. */
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';

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
