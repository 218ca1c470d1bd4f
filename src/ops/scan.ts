/**
 * Cumulative ops along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp (PyTorch 1.13's CPU
 * kernels: float32 sums and products accumulate in float64, integer and bool inputs give int32 —
 * torch: int64 — and cummax/cummin take the later of equal values and stop at a NaN).
 */
import { needsGrad, record } from '../autograd/node.js';
import { checkDType, isFloat, type DType } from '../tensor/dtype.js';
import { normalizeDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, rowsOf } from './util.js';
import { where } from './unary.js';
import { sum } from './reduce.js';
import type { MaxMinResult } from './reduce.js';
import { valueSelectingBackward, valuesIndices } from './sort.js';

export interface CumOptions {
  /** Convert the input to this dtype first (torch's dtype argument). */
  dtype?: DType;
}

function prepare(x0: Tensor, dim: number, options: CumOptions | undefined | null, op: string): { x: Tensor; d: number } {
  checkTensor(x0, op);
  if (dim === undefined || dim === null) throw new Error(`${op}: dim is required (e.g. ${op}(x, 0))`);
  const requested = options?.dtype;
  const x = requested === undefined ? x0 : x0.to(checkDType(requested, op));
  return { x, d: normalizeDim(dim, x.ndim, op) };
}

const SUM = 0;
const PROD = 1;

function accumulate(x: Tensor, d: number, kind: number): Tensor {
  const float = isFloat(x.dtype);
  const out = empty(x.shape, float ? x.dtype : 'int32');
  const { data, outer, n, inner } = rowsOf(x, d);
  const o = out.storage;
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      const base = a * n * inner + i;
      let acc = kind === SUM ? 0 : 1;
      if (float) {
        // float32 accumulates in float64, rounded only when stored (torch's acc_type on CPU).
        if (kind === SUM) for (let j = 0, p = base; j < n; j++, p += inner) o[p] = acc += data[p];
        else for (let j = 0, p = base; j < n; j++, p += inner) o[p] = acc *= data[p];
      } else if (kind === SUM) {
        for (let j = 0, p = base; j < n; j++, p += inner) o[p] = acc = (acc + data[p]) | 0;
      } else {
        for (let j = 0, p = base; j < n; j++, p += inner) o[p] = acc = Math.imul(acc, data[p]);
      }
    }
  }
  return out;
}

/** Sum of g over positions j ≥ i along d (the adjoint of cumsum), with differentiable ops. */
function reversedCumsum(g: Tensor, d: number): Tensor {
  if (g.ndim === 0) return g;
  return cumsum(g.flip(d), d).flip(d);
}

/** Running sums along `dim` (torch.cumsum); integer and bool inputs give int32 (torch: int64). */
export function cumsum(x0: Tensor, dim: number, options?: CumOptions): Tensor {
  const { x, d } = prepare(x0, dim, options, 'cumsum');
  const out = accumulate(x, d, SUM);
  if (!needsGrad(x)) return out;
  return record(out, 'CumsumBackward0', [x], (g) => [reversedCumsum(g, d)]);
}

/**
 * Running products along `dim` (torch.cumprod). The gradient is exact with zeros in the input (torch's
 * cumprod_backward): before a row's first zero it is Σⱼ≥ᵢ gⱼ·yⱼ / xᵢ, at the first zero the sum of
 * gⱼ·Πₗ≤ⱼ,ₗ≠ᵢ xₗ, after it 0.
 */
export function cumprod(x0: Tensor, dim: number, options?: CumOptions): Tensor {
  const { x, d } = prepare(x0, dim, options, 'cumprod');
  const out = accumulate(x, d, PROD);
  if (!needsGrad(x)) return out;
  return record(out, 'CumprodBackward0', [x], (g) => {
    if (x.size <= 1 || x.shape[d] === 1) return [g];
    const isZero = x.eq(0);
    const zerosSoFar = cumsum(isZero, d);
    const before = zerosSoFar.eq(0);
    const notBefore = before.logicalNot();
    const safe = x.maskedFill(notBefore, 1);
    // The products from the first zero on are left out (torch masks them, so an inf after a zero gives no NaN).
    let gx = reversedCumsum(out.mul(g).maskedFill(notBefore, 0), d).div(safe).maskedFill(notBefore, 0);
    const firstZero = isZero.logicalAnd(zerosSoFar.eq(1));
    if (firstZero.any().item()) {
      // As torch: (product before the first zero) · Σⱼ gⱼ·Πₗ xₗ, l over the elements strictly between the
      // first and second zero, j from the first zero up to the second (g is 0 from there on: the products
      // hold that zero, so an inf or NaN after it gives no NaN). Factored this way an infinite product
      // before the zero gives ±inf, not inf − inf.
      const prefix = cumprod(safe, d).narrow(d, x.shape[d] - 1, 1);
      const between = cumprod(x.maskedFill(zerosSoFar.ne(1).logicalOr(firstZero), 1), d);
      const atFirst = prefix.mul(sum(g.maskedFill(zerosSoFar.ne(1), 0).mul(between), d, true));
      gx = where(firstZero, atFirst, gx); // (not a product with a 0/1 mask: atFirst may be infinite)
    }
    return [gx];
  }, [x, out]);
}

function cumExtremum(x: Tensor, dim: number, max: boolean): MaxMinResult {
  const op = max ? 'cummax' : 'cummin';
  checkTensor(x, op);
  // torch checks dim only for a non-empty input of rank ≥ 1 (a 0-d or empty one is copied whatever dim is).
  const lenient = (x.ndim === 0 || x.size === 0) && Number.isInteger(dim) && (dim >= x.ndim || dim < -Math.max(x.ndim, 1));
  const d = lenient ? 0 : normalizeDim(dim, x.ndim, op);
  const values = empty(x.shape, x.dtype);
  const indices = empty(x.shape, 'int32');
  const { data, outer, n, inner } = rowsOf(x, d);
  const ov = values.storage;
  const oi = indices.storage;
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      const base = a * n * inner + i;
      let best = data[base];
      let at = 0;
      for (let j = 0, p = base; j < n; j++, p += inner) {
        const v = data[p];
        // torch: a NaN always takes over; otherwise the later of equal values wins (>= / <=).
        if (v !== v || (best === best && (max ? v >= best : v <= best))) {
          best = v;
          at = j;
        }
        ov[p] = best;
        oi[p] = at;
      }
    }
  }
  if (needsGrad(x)) {
    record(values, max ? 'CummaxBackward0' : 'CumminBackward0', [x], (g) => [
      x.size === 0 ? g : valueSelectingBackward(g, d, indices, x.shape),
    ], [indices]);
  }
  return valuesIndices(values, indices);
}

/** Running maximum along `dim` and where it was found (torch.cummax). */
export function cummax(x: Tensor, dim: number): MaxMinResult {
  return cumExtremum(x, dim, true);
}

/** Running minimum along `dim` and where it was found (torch.cummin). */
export function cummin(x: Tensor, dim: number): MaxMinResult {
  return cumExtremum(x, dim, false);
}

/** log(exp(a) + exp(b)) as torch's CPU kernel computes it (infinities of one sign kept, NaN propagated). */
function logAddExp(a: number, b: number): number {
  const lo = b !== b ? b : Math.min(a, b);
  const hi = b !== b ? b : Math.max(a, b);
  if (lo !== hi || Number.isFinite(lo)) return Math.log1p(Math.exp(lo - hi)) + hi;
  return a;
}

/** log Σⱼ≤ᵢ exp(xⱼ) along `dim`, computed stably (torch.logcumsumexp; floating-point inputs only). */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'logcumsumexp');
  if (!isFloat(x.dtype)) throw new Error(`logcumsumexp: expected a floating-point input (float32 or float64), got ${x.dtype} (as in PyTorch)`);
  const d = normalizeDim(dim, x.ndim, 'logcumsumexp');
  const out = empty(x.shape, x.dtype);
  const { data, outer, n, inner } = rowsOf(x, d);
  const o = out.storage;
  const single = x.dtype === 'float32';
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      let acc = -Infinity;
      for (let j = 0, p = a * n * inner + i; j < n; j++, p += inner) {
        acc = logAddExp(acc, data[p]);
        if (single) acc = Math.fround(acc);
        o[p] = acc;
      }
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, 'LogcumsumexpBackward0', [x], (g) => {
    if (x.ndim === 0) return [g];
    // torch's logcumsumexp_backward: Σⱼ≥ᵢ gⱼ·exp(xᵢ − outⱼ), with positive and negative g summed in log space.
    const lowest = x.dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE;
    const logAbs = g.abs().log();
    const reversed = (t: Tensor) => logcumsumexp(t.flip(d), d).flip(d);
    const positive = reversed(where(g.gt(0), logAbs, lowest).sub(out)).add(x).exp();
    const negative = reversed(where(g.lt(0), logAbs, lowest).sub(out)).add(x).exp();
    return [positive.sub(negative)];
  }, [x, out]);
}
