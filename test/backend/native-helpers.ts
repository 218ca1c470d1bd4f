/**
 * Helpers of the native-backend tests: a seeded generator, strided views of
 * every layout, and tolerant comparisons against the reference kernels.
 */
import assert from 'node:assert/strict';
import type { View } from '../../src/backend/interface.js';

/** mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = k;
    k *= shape[d];
  }
  return s;
}

/** Uniform values in [-scale, scale). */
export function uniform(r: () => number, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 1, -1, 3, -3, 20.5, -20.5, 88, -88, 100, -100, 1e-30, -1e-30, 1e-45];

/** Mostly wide-range values with some special ones (NaN, ±inf, ±0, exact halves, huge, denormal). */
export function spicy(r: () => number, n: number, scale = 4): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.12) a[i] = SPECIALS[Math.floor(r() * SPECIALS.length)];
    else if (u < 0.2) a[i] = Math.round((r() * 2 - 1) * 8) / 2;
    else a[i] = (r() * 2 - 1) * scale;
  }
  return a;
}

export type Layout = 'contiguous' | 'offset' | 'transposed' | 'strided' | 'flipped';
export const LAYOUTS: Layout[] = ['contiguous', 'offset', 'transposed', 'strided', 'flipped'];

/**
 * A view of `shape` with the given memory layout, filled by `fill(n)`. `broadcast`
 * lists dims that get stride 0 (the data then holds size 1 along them).
 */
export function makeView(
  shape: readonly number[], layout: Layout, fill: (n: number) => Float32Array | Uint8Array | Int32Array,
  broadcast: readonly number[] = [],
): View {
  const rank = shape.length;
  const stored = shape.map((d, i) => (broadcast.includes(i) ? 1 : d));
  // Storage order: reversed dims for 'transposed'.
  const order = [...Array(rank).keys()];
  if (layout === 'transposed') order.reverse();
  const storedShape = order.map((d) => stored[d]);
  const pad = layout === 'strided' ? 2 : 1;
  if (rank > 0) storedShape[rank - 1] *= pad;
  const st = contiguousStrides(storedShape);
  const strides = new Array<number>(rank);
  order.forEach((d, i) => (strides[d] = st[i]));
  let offset = layout === 'offset' || layout === 'strided' ? 3 : 0;
  const n = sizeOf(storedShape) + offset + 2;
  const data = fill(n);
  if (layout === 'flipped' && rank > 0 && stored[0] > 1) {
    offset += (stored[0] - 1) * strides[0];
    strides[0] = -strides[0];
  }
  for (const d of broadcast) strides[d] = 0;
  return { data, shape: [...shape], strides, offset };
}

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  /** Per-element magnitude the error is relative to (e.g. Σ|terms|); defaults to |expected|. */
  scale?: ArrayLike<number>;
  label?: string;
}

/** Element-wise closeness; NaN must match NaN and infinities must match exactly. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-7;
  assert.equal(actual.length, expected.length, `${opts.label ?? ''}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) assert.fail(`${opts.label ?? ''}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    if (!Number.isFinite(e)) {
      if (a !== e) assert.fail(`${opts.label ?? ''}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    const s = Math.max(Math.abs(e), opts.scale ? Math.abs(opts.scale[i]) : 0);
    const tol = atol + rtol * s;
    if (!(Math.abs(a - e) <= tol)) {
      assert.fail(`${opts.label ?? ''}[${i}]: expected ${e}, got ${a} (|diff| ${Math.abs(a - e)} > tol ${tol})`);
    }
  }
}

export function assertEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, label = ''): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) assert.fail(`${label}[${i}]: expected ${e}, got ${a}`);
  }
}

export function abs(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}

/** PyTorch's pooling output size (ceil mode: the last window must start inside the input or left padding). */
export function poolOut(inSize: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = inSize + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let out = Math.floor(num / s) + 1;
  if (ceil && (out - 1) * s >= inSize + p) out--;
  return out;
}
