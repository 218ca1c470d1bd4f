import type { ArgReduceOp, FloatArray, ReduceOp, TypedArray } from '../interface.js';
import { contiguousStrides, forEachRow, sizeOf } from './strided.js';

const INITIAL: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity, any: 0, all: 1 };

/**
 * Reduce a contiguous array over `dims`. Accumulates in float64 whatever the
 * element type, so float32 sums do not drift with the reduction order.
 */
export function reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], dims: readonly number[], out: TypedArray): void {
  const outSize = out.length;
  const acc = new Float64Array(outSize).fill(INITIAL[op]);
  const reduced = new Set(dims);
  // Output strides laid over the input shape: 0 on reduced axes.
  const keptShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const keptStrides = contiguousStrides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  if (sizeOf(shape) > 0) {
    forEachRow(shape, [{ strides: contiguousStrides(shape), offset: 0 }, { strides: keptStrides, offset: 0 }], (offs, len, st) => {
      let i = offs[0];
      const xs = st[0];
      const o = offs[1];
      const os = st[1];
      const end = i + len * xs;
      if (os === 0) {
        // The whole row folds into one output: keep the running value in a register.
        let a = acc[o];
        switch (op) {
          case 'sum': for (; i < end; i += xs) a += x[i]; break;
          case 'prod': for (; i < end; i += xs) a *= x[i]; break;
          case 'max': for (; i < end; i += xs) { const v = x[i]; if (v > a || v !== v) a = v; if (a !== a) break; } break;
          case 'min': for (; i < end; i += xs) { const v = x[i]; if (v < a || v !== v) a = v; if (a !== a) break; } break;
          case 'any': for (; i < end; i += xs) if (x[i] !== 0) { a = 1; break; } break; // NaN is true
          case 'all': for (; i < end; i += xs) if (x[i] === 0) { a = 0; break; } break;
        }
        acc[o] = a;
      } else {
        let k = o;
        switch (op) {
          case 'sum': for (; i < end; i += xs, k += os) acc[k] += x[i]; break;
          case 'prod': for (; i < end; i += xs, k += os) acc[k] *= x[i]; break;
          case 'max': for (; i < end; i += xs, k += os) { const v = x[i]; if (v > acc[k] || v !== v) acc[k] = v; } break;
          case 'min': for (; i < end; i += xs, k += os) { const v = x[i]; if (v < acc[k] || v !== v) acc[k] = v; } break;
          case 'any': for (; i < end; i += xs, k += os) if (x[i] !== 0) acc[k] = 1; break;
          case 'all': for (; i < end; i += xs, k += os) if (x[i] === 0) acc[k] = 0; break;
        }
      }
    });
  }
  // NaN stays NaN once seen (max/min), which the loops above guarantee by the `v !== v` tests.
  for (let i = 0; i < outSize; i++) out[i] = acc[i];
}

export function argReduce(op: ArgReduceOp, x: TypedArray, shape: readonly number[], dim: number, out: Int32Array): void {
  const size = shape[dim];
  const inner = sizeOf(shape.slice(dim + 1));
  const outer = sizeOf(shape.slice(0, dim));
  const better = op === 'argmax' ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      const base = o * size * inner + n;
      let best = x[base];
      let bestIdx = 0;
      for (let r = 1; r < size && best === best; r++) {
        const v = x[base + r * inner];
        if (v !== v || better(v, best)) {
          best = v;
          bestIdx = r;
        }
      }
      out[o * inner + n] = bestIdx;
    }
  }
}

export function softmax(x: FloatArray, outer: number, size: number, inner: number, log: boolean, out: FloatArray): void {
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      const base = o * size * inner + n;
      let max = -Infinity;
      for (let r = 0; r < size; r++) {
        const v = x[base + r * inner];
        if (v > max || v !== v) max = v;
      }
      if (max === -Infinity) max = 0; // all -inf: exp gives 0s, not NaN from (-inf) - (-inf)
      let sum = 0;
      for (let r = 0; r < size; r++) sum += Math.exp(x[base + r * inner] - max);
      if (log) {
        const logSum = Math.log(sum) + max;
        for (let r = 0; r < size; r++) out[base + r * inner] = x[base + r * inner] - logSum;
      } else {
        const inv = 1 / sum;
        for (let r = 0; r < size; r++) out[base + r * inner] = Math.exp(x[base + r * inner] - max) * inv;
      }
    }
  }
}
