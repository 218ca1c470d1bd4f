/**
 * Statistics, counting and searching, as PyTorch 1.13: stdMean, varMean, countNonzero, nansum, nanmean,
 * aminmax, diff, isclose, equal, isin, searchsorted, bucketize, bincount, histc, unique,
 * uniqueConsecutive, msort, quantile, nanquantile and mode. Positions and counts are int32 (torch's int64).
 */
import { needsGrad, record } from '../autograd/node.js';
import { recordAsOne } from '../autograd/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes, type DType } from '../tensor/dtype.js';
import { broadcastShapes, normalizeDim, normalizeDims, sameShape, shapeStr } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { checkTensor, describe, empty, rowsOf, scalarTensor, toTensorLike } from './util.js';
import { amax, amin, keepdimOf, mean, reducedShape, std, sum, variance, type KeepdimOption, type MaxMinResult, type VarOptions } from './reduce.js';
import { logicalXor, sub } from './binary.js';
import { where } from './unary.js';
import { cat, stack } from './join.js';
import { gather } from './indexing.js';
import { lerp } from './blend.js';
import { movedim } from './rearrange.js';
import { sort, valueSelectingBackward, valuesIndices } from './sort.js';

type Dims = number | readonly number[] | null | undefined;

// ---- moments and reductions ------------------------------------------------------------------------

/** [std, mean] over dims (torch.std_mean; correction as std). Both outputs record StdMeanBackward0. */
export function stdMean(x: Tensor, dim?: Dims, options?: VarOptions | boolean): [Tensor, Tensor] {
  checkTensor(x, 'stdMean');
  const keepdim = typeof options === 'object' && options !== null ? options.keepdim ?? false : false;
  return [
    recordAsOne('StdMeanBackward0', [x], (xi) => std(xi, dim, options)),
    recordAsOne('StdMeanBackward0', [x], (xi) => mean(xi, dim, keepdim)),
  ];
}

/** [var, mean] over dims (torch.var_mean). Both outputs record VarMeanBackward0. */
export function varMean(x: Tensor, dim?: Dims, options?: VarOptions | boolean): [Tensor, Tensor] {
  checkTensor(x, 'varMean');
  const keepdim = typeof options === 'object' && options !== null ? options.keepdim ?? false : false;
  return [
    recordAsOne('VarMeanBackward0', [x], (xi) => variance(xi, dim, options)),
    recordAsOne('VarMeanBackward0', [x], (xi) => mean(xi, dim, keepdim)),
  ];
}

/** The number of non-zero elements over dims (all by default), int32. */
export function countNonzero(x: Tensor, dim?: Dims): Tensor {
  checkTensor(x, 'countNonzero');
  const dims = normalizeDims(dim, x.ndim, 'countNonzero');
  return sum(x.ne(0), dims);
}

/** sum treating NaN as 0 (integers sum as sum). NansumBackward0: the gradient is 0 at the NaNs. */
export function nansum(x: Tensor, dim?: Dims, options?: boolean | { keepdim?: boolean; dtype?: DType }): Tensor {
  checkTensor(x, 'nansum');
  if (!isFloat(x.dtype)) return sum(x, dim, options);
  const out = noGrad(() => sum(where(x.isnan(), 0, x), dim, options));
  const dims = normalizeDims(dim, x.ndim, 'nansum');
  const keepdim = typeof options === 'boolean' ? options : options?.keepdim ?? false;
  return record(out, 'NansumBackward0', [x], (g) => {
    const kept = keepdim ? g : g.reshape(reducedShape(x.shape, dims, true));
    // A product, as torch's nansum_backward (an inf upstream gradient gives NaN at the NaNs).
    return [kept.expand([...x.shape]).mul(x.isnan().logicalNot()).to(x.dtype)];
  }, [x]);
}

/** mean over the non-NaN elements (float tensors only): nansum / count. */
export function nanmean(x: Tensor, dim?: Dims, options?: boolean | { keepdim?: boolean; dtype?: DType }): Tensor {
  checkTensor(x, 'nanmean');
  if (!isFloat(x.dtype)) throw new Error(`nanmean: expected input to have floating point dtype but got ${x.dtype}`);
  const keepdim = typeof options === 'boolean' ? options : options?.keepdim ?? false;
  const count = sum(x.isnan().logicalNot(), dim, keepdim);
  return nansum(x, dim, options).div(count);
}

/** {min, max} over dim (all elements without it), as torch.aminmax; not differentiable (as torch). */
export function aminmax(x: Tensor, options: { dim?: number | null; keepdim?: boolean } = {}): { min: Tensor; max: Tensor } & [Tensor, Tensor] {
  checkTensor(x, 'aminmax');
  const dim = options.dim ?? null;
  const keepdim = options.keepdim ?? false;
  const empties = dim === null ? x.size === 0 : x.ndim > 0 && x.shape[normalizeDim(dim, x.ndim, 'aminmax')] === 0;
  if (empties) throw new Error(`aminmax: cannot compute aminmax over an empty dimension (shape ${shapeStr(x.shape)}) as the operation has no identity`);
  const [lo, hi] = noGrad(() => {
    if (dim !== null) return [amin(x, dim, keepdim), amax(x, dim, keepdim)];
    const all = (t: Tensor) => (keepdim ? t.reshape(x.shape.map(() => 1)) : t);
    return [all(amin(x)), all(amax(x))];
  });
  const mark = (t: Tensor) => (needsGrad(x) ? record(t, 'NotImplemented', [x], () => {
    throw new Error('aminmax: the derivative is not implemented (as in PyTorch)');
  }) : t);
  const min = mark(lo);
  const max = mark(hi);
  return Object.assign([min, max], { min, max }) as { min: Tensor; max: Tensor } & [Tensor, Tensor];
}

export interface DiffOptions {
  n?: number;
  dim?: number;
  prepend?: Tensor | null;
  append?: Tensor | null;
}

/** The n-th forward difference along dim (default the last), after prepending / appending; bool uses xor. */
export function diff(x: Tensor, options: DiffOptions = {}): Tensor {
  const op = 'diff';
  checkTensor(x, op);
  const { n = 1, dim = -1, prepend = null, append = null } = options;
  if (x.ndim === 0) throw new Error(`${op}: expects input to be at least one-dimensional`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${op}: order must be non-negative but got ${n}`);
  const d = normalizeDim(dim, x.ndim, op);
  const parts = [prepend, x, append].filter((t): t is Tensor => t !== null && t !== undefined);
  for (const t of parts) {
    if (t.ndim !== x.ndim) throw new Error(`${op}: expected prepend or append to be the same dimension as input (${x.ndim}), got ${t.ndim}`);
  }
  let y = parts.length > 1 ? cat(parts, d) : x;
  for (let k = 0; k < n; k++) {
    const len = y.shape[d];
    if (len === 0) break;
    const hi = y.narrow(d, 1, len - 1);
    const lo = y.narrow(d, 0, len - 1);
    y = y.dtype === 'bool' ? logicalXor(hi, lo) : sub(hi, lo);
  }
  return y;
}

// ---- comparison and membership -----------------------------------------------------------------------

/** |a − b| ≤ atol + rtol·|b| elementwise (equal values, infinities included, always close); same dtypes. */
export function isclose(a: Tensor, b: Tensor, options: { rtol?: number; atol?: number; equalNan?: boolean } = {}): Tensor {
  const op = 'isclose';
  checkTensor(a, op);
  checkTensor(b, op, 'other');
  if (a.dtype !== b.dtype) throw new Error(`${op}: expected both tensors to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  if (!(rtol >= 0)) throw new Error(`${op}: rtol must be greater than or equal to zero, but got ${rtol}`);
  if (!(atol >= 0)) throw new Error(`${op}: atol must be greater than or equal to zero, but got ${atol}`);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const x = a.detach().expand(shape).contiguous().data();
  const y = b.detach().expand(shape).contiguous().data();
  const out = empty(shape, 'bool');
  const o = out.storage;
  const lowPrecision = a.dtype === 'float32';
  for (let i = 0; i < o.length; i++) {
    const u = x[i];
    const v = y[i];
    if (u === v) o[i] = 1;
    else if (Number.isNaN(u) || Number.isNaN(v)) o[i] = equalNan && Number.isNaN(u) && Number.isNaN(v) ? 1 : 0;
    else if (!Number.isFinite(u) || !Number.isFinite(v)) o[i] = 0;
    else {
      // torch computes |a − b| and the bound in the tensor's dtype.
      const r = lowPrecision ? Math.fround : (t: number) => t;
      o[i] = r(Math.abs(r(u - v))) <= r(atol + r(rtol * Math.abs(v))) ? 1 : 0;
    }
  }
  return out;
}

/** True when a and b have the same shape and elements (torch.equal; dtypes promote). */
export function equal(a: Tensor, b: Tensor): boolean {
  checkTensor(a, 'equal');
  checkTensor(b, 'equal', 'other');
  if (!sameShape(a.shape, b.shape)) return false;
  const dtype = promoteTypes(a.dtype, b.dtype);
  const x = a.to(dtype).contiguous().data();
  const y = b.to(dtype).contiguous().data();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Whether each element of `elements` occurs in `testElements` (either may be a number). Bool, elements' shape. */
export function isin(elements: TensorLike, testElements: TensorLike, options: { assumeUnique?: boolean; invert?: boolean } = {}): Tensor {
  const op = 'isin';
  if (!(elements instanceof Tensor) && !(testElements instanceof Tensor)) throw new Error(`${op}: at least one of elements and testElements must be a Tensor`);
  const like = (elements instanceof Tensor ? elements : testElements as Tensor).dtype;
  const e = toTensorLike(elements, like);
  const t = toTensorLike(testElements, like);
  const dtype = promoteTypes(e.dtype, t.dtype);
  const set = new Set<number>(Array.from(t.to(dtype).contiguous().data() as ArrayLike<number>));
  const invert = options.invert ?? false;
  const values = e.to(dtype).contiguous().data();
  const out = empty(e.shape, 'bool');
  for (let i = 0; i < values.length; i++) out.storage[i] = set.has(values[i]) !== invert ? 1 : 0;
  return out;
}

export interface SearchsortedOptions {
  outInt32?: boolean;
  right?: boolean;
  side?: 'left' | 'right' | null;
  sorter?: Tensor | null;
}

/**
 * For each value, the index where it would be inserted into the sorted innermost rows of `sortedSequence`
 * (1-D, or with the same leading dims as `values`): the first position whose element is ≥ value, or >
 * value with right / side 'right'. `sorter` gives the sorting permutation of an unsorted sequence. int32.
 */
export function searchsorted(sortedSequence: Tensor, values: TensorLike, options: SearchsortedOptions = {}): Tensor {
  const op = 'searchsorted';
  checkTensor(sortedSequence, op, 'sortedSequence');
  const { right = false, side = null, sorter = null } = options;
  if (side !== null && side !== 'left' && side !== 'right') throw new Error(`${op}: side can only be 'left' or 'right' but got ${side}`);
  if (side === 'left' && right) throw new Error(`${op}: side and right can't be set to opposites, got side of left while right was true`);
  const upper = right || side === 'right';
  const v = values instanceof Tensor ? values : scalarTensor(Number(values), sortedSequence.dtype);
  if (!(values instanceof Tensor) && typeof values !== 'number') throw new Error(`${op}: values must be a Tensor or a number, got ${describe(values)}`);
  const seq = sortedSequence;
  if (seq.ndim === 0) throw new Error(`${op}: boundaries tensor should have positive dimension, but got 0 dimension`);
  if (seq.ndim > 1 && (v.ndim !== seq.ndim || !sameShape(seq.shape.slice(0, -1), v.shape.slice(0, -1)))) {
    throw new Error(
      `${op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, ` +
        `but we got boundaries tensor ${shapeStr(seq.shape)} and input value tensor ${shapeStr(v.shape)}`,
    );
  }
  if (sorter) {
    checkTensor(sorter, op, 'sorter');
    if (sorter.dtype !== 'int32') throw new Error(`${op}: sorter must be a tensor of long dtype (int32) but got ${sorter.dtype}`);
    if (!sameShape(sorter.shape, seq.shape)) {
      throw new Error(`${op}: boundary and sorter must have the same size, but got boundary tensor ${shapeStr(seq.shape)} and got sorter tensor ${shapeStr(sorter.shape)}`);
    }
  }
  const n = seq.shape[seq.ndim - 1];
  const dtype = promoteTypes(seq.dtype, v.dtype);
  const s = seq.to(dtype).contiguous().data();
  const srt = sorter ? (sorter.contiguous().data() as Int32Array) : null;
  if (srt && srt.some((i) => i < 0 || i >= n)) throw new Error(`${op}: sorter index out of range`);
  const vals = v.to(dtype).contiguous().data();
  const perRow = v.ndim === 0 ? 1 : v.shape[v.ndim - 1];
  const out = empty(v.shape, 'int32');
  for (let i = 0; i < vals.length; i++) {
    const base = seq.ndim === 1 ? 0 : Math.floor(i / perRow) * n;
    const val = vals[i];
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >> 1);
      const m = s[base + (srt ? srt[base + mid] : mid)];
      if (upper ? !(m > val) : !(m >= val)) lo = mid + 1;
      else hi = mid;
    }
    out.storage[i] = lo;
  }
  return out;
}

/** The bucket of each element among 1-D `boundaries` (searchsorted with the roles swapped). int32. */
export function bucketize(input: TensorLike, boundaries: Tensor, options: { outInt32?: boolean; right?: boolean } = {}): Tensor {
  checkTensor(boundaries, 'bucketize', 'boundaries');
  if (boundaries.ndim !== 1) throw new Error(`bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.ndim})`);
  return searchsorted(boundaries, input, { right: options.right ?? false });
}

/** Occurrences of each non-negative integer in 1-D `input` (weighted: sums of weights). int32, or float. */
export function bincount(input: Tensor, options: { weights?: Tensor | null; minlength?: number } = {}): Tensor {
  const op = 'bincount';
  checkTensor(input, op);
  const { weights = null, minlength = 0 } = options;
  if (input.ndim !== 1 || input.dtype !== 'int32') throw new Error(`${op}: only supports 1-d non-negative integral inputs (got ${input.dtype}${shapeStr(input.shape)})`);
  if (!Number.isInteger(minlength) || minlength < 0) throw new Error(`${op}: minlength should be >= 0, got ${minlength}`);
  const idx = input.contiguous().data();
  if (idx.some((v) => v < 0)) throw new Error(`${op}: only supports 1-d non-negative integral inputs`);
  if (weights && (weights.ndim !== 1 || weights.shape[0] !== idx.length)) {
    throw new Error(`${op}: weights should be 1-d and have the same length as input (got ${shapeStr(weights.shape)} for ${idx.length} inputs)`);
  }
  let length = minlength;
  for (let i = 0; i < idx.length; i++) length = Math.max(length, idx[i] + 1);
  const dtype: DType = weights ? (isFloat(weights.dtype) ? weights.dtype : 'float64') : 'int32';
  const out = empty([length], dtype);
  const w = weights ? weights.contiguous().data() : null;
  for (let i = 0; i < idx.length; i++) out.storage[idx[i]] += w ? w[i] : 1;
  return out;
}

/** Histogram of `bins` equal bins over [min, max] (the data's range when min = max); float tensors only. */
export function histc(input: Tensor, options: { bins?: number; min?: number; max?: number } = {}): Tensor {
  const op = 'histc';
  checkTensor(input, op);
  if (!isFloat(input.dtype)) throw new Error(`${op}: not implemented for ${input.dtype} tensors (histogram needs float32 or float64)`);
  const { bins = 100 } = options;
  if (!Number.isInteger(bins) || bins <= 0) throw new Error(`${op}: bins must be > 0, but got ${bins}`);
  let lo = options.min ?? 0;
  let hi = options.max ?? 0;
  const data = input.contiguous().data();
  if (lo === hi && data.length > 0) {
    lo = Infinity;
    hi = -Infinity;
    for (const v of data) if (!Number.isNaN(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`${op}: range of [${lo}, ${hi}] is not finite or max < min`);
  const out = empty([bins], input.dtype);
  for (const v of data) {
    if (!(v >= lo && v <= hi)) continue;
    const pos = Math.min(Math.floor(((v - lo) * bins) / (hi - lo)), bins - 1);
    out.storage[pos] += 1;
  }
  return out;
}

// ---- unique ------------------------------------------------------------------------------------------

export interface UniqueOptions {
  sorted?: boolean;
  returnInverse?: boolean;
  returnCounts?: boolean;
  dim?: number | null;
}

/** The result of unique: the values alone, or [values, inverse?, counts?] as torch's tuple. */
function uniqueResult(values: Tensor, inverse: Tensor, counts: Tensor, options: UniqueOptions): Tensor | Tensor[] {
  const { returnInverse = false, returnCounts = false } = options;
  if (!returnInverse && !returnCounts) return values;
  return [values, ...(returnInverse ? [inverse] : []), ...(returnCounts ? [counts] : [])];
}

/** Rows along d as keys (the slices, flattened), for unique over a dim. */
function slicesAlong(x: Tensor, d: number): number[][] {
  const moved = movedim(x.detach(), d, 0).contiguous();
  const n = moved.shape[0];
  const width = n === 0 ? 0 : moved.size / n;
  const data = moved.data();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * width, (i + 1) * width) as ArrayLike<number>));
}

const compareRows = (a: number[], b: number[]): number => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
};

/** Group `keys` (sorted first unless consecutive): values' row ids, inverse index and counts. */
function groups(keys: number[][], consecutive: boolean): { firsts: number[]; inverse: Int32Array; counts: number[] } {
  const order = [...keys.keys()];
  if (!consecutive) order.sort((i, j) => compareRows(keys[i], keys[j]) || i - j);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(keys.length);
  for (const i of order) {
    if (firsts.length === 0 || compareRows(keys[firsts[firsts.length - 1]], keys[i]) !== 0) {
      firsts.push(i);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    inverse[i] = firsts.length - 1;
  }
  return { firsts, inverse, counts };
}

function uniqueImpl(op: string, x: Tensor, options: UniqueOptions, consecutive: boolean): Tensor | Tensor[] {
  checkTensor(x, op);
  const dim = options.dim ?? null;
  if (dim === null) {
    const flat = x.detach().reshape([-1]);
    const keys = Array.from(flat.contiguous().data() as ArrayLike<number>, (v) => [v]);
    const { firsts, inverse, counts } = groups(keys, consecutive);
    const values = empty([firsts.length], x.dtype);
    firsts.forEach((i, k) => (values.storage[k] = keys[i][0]));
    return uniqueResult(values, new Tensor(inverse, [...x.shape]), new Tensor(Int32Array.from(counts), [counts.length]), options);
  }
  const d = normalizeDim(dim, x.ndim, op);
  const keys = slicesAlong(x, d);
  const { firsts, inverse, counts } = groups(keys, consecutive);
  const values = noGrad(() => x.detach().indexSelect(d, firsts));
  return uniqueResult(values, new Tensor(inverse, [keys.length]), new Tensor(Int32Array.from(counts), [counts.length]), options);
}

/** The distinct elements (sorted), or distinct slices along dim; optionally the inverse index and counts. */
export function unique(x: Tensor, options: UniqueOptions = {}): Tensor | Tensor[] {
  return uniqueImpl('unique', x, options, false);
}

/** Collapse runs of equal consecutive elements (or slices along dim); optionally inverse and counts. */
export function uniqueConsecutive(x: Tensor, options: Omit<UniqueOptions, 'sorted'> = {}): Tensor | Tensor[] {
  return uniqueImpl('uniqueConsecutive', x, options, true);
}

// ---- order statistics --------------------------------------------------------------------------------

/** Sorted along dim 0 (torch.msort). */
export function msort(x: Tensor): Tensor {
  checkTensor(x, 'msort');
  return sort(x, 0).values;
}

export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'midpoint' | 'nearest';

export interface QuantileOptions {
  dim?: number | null;
  keepdim?: boolean;
  interpolation?: QuantileInterpolation;
}

const roundHalfEven = (v: number): number => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

function quantileImpl(op: string, x: Tensor, q: number | Tensor, options: QuantileOptions, ignoreNan: boolean): Tensor {
  checkTensor(x, op);
  const { dim = null, keepdim = false, interpolation = 'linear' } = options;
  if (!isFloat(x.dtype)) throw new Error(`${op}: input tensor must be either float or double dtype, got ${x.dtype}`);
  if (!['linear', 'lower', 'higher', 'midpoint', 'nearest'].includes(interpolation)) {
    throw new Error(`${op}: interpolation must be one of linear, lower, higher, midpoint or nearest. Got ${interpolation}`);
  }
  if (q instanceof Tensor) {
    if (q.ndim > 1) throw new Error(`${op}: q must be a scalar or 1D tensor, got shape ${shapeStr(q.shape)}`);
    if (q.dtype !== x.dtype) throw new Error(`${op}: q tensor must be same dtype as the input tensor (${x.dtype}), got ${q.dtype}`);
  } else if (typeof q !== 'number') {
    throw new Error(`${op}: q must be a number or a Tensor, got ${describe(q)}`);
  }
  const qs = q instanceof Tensor ? Array.from(q.contiguous().data() as ArrayLike<number>) : [q];
  for (const v of qs) if (!(v >= 0 && v <= 1)) throw new Error(`${op}: q must be in the range [0, 1] but got ${v}`);
  if (x.size === 0) throw new Error(`${op}: input tensor must be non-empty`);
  const d = dim === null ? null : normalizeDim(dim, x.ndim, op);
  // Sorted rows along the reduced dim, moved last (NaNs sort last).
  const rows = d === null ? x.reshape([-1]) : x.ndim === 0 ? x.reshape([1]) : movedim(x, d, -1);
  const sorted = sort(rows, -1).values;
  const n = sorted.shape[sorted.ndim - 1];
  const rowCount = sorted.size / n;
  const rowShape = [...sorted.shape.slice(0, -1), 1];
  const sd = sorted.detach().contiguous().data();
  const valid = new Float64Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    let k = 0;
    while (k < n && !Number.isNaN(sd[r * n + k])) k++;
    valid[r] = k;
  }
  const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
  const results = qs.map((qv, k) => {
    const below = new Int32Array(rowCount);
    const above = new Int32Array(rowCount);
    const weights = empty(rowShape, x.dtype);
    // d rank / d q per row: the rank is q·(count − 1) unless it was clamped or a NaN row fixed it.
    const slope = empty(rowShape, x.dtype);
    for (let r = 0; r < rowCount; r++) {
      let rank: number;
      if (ignoreNan) rank = Math.max(round(round(qv) * (valid[r] - 1)), 0);
      else rank = valid[r] < n ? n - 1 : round(round(qv) * (n - 1));
      slope.storage[r] = ignoreNan ? (valid[r] > 1 ? valid[r] - 1 : 0) : valid[r] < n ? 0 : n - 1;
      if (interpolation === 'lower') rank = Math.floor(rank);
      else if (interpolation === 'higher') rank = Math.ceil(rank);
      else if (interpolation === 'nearest') rank = roundHalfEven(rank);
      below[r] = Math.floor(rank);
      above[r] = Math.ceil(rank);
      weights.storage[r] = interpolation === 'midpoint' ? 0.5 : rank - below[r];
    }
    let w = weights;
    if (q instanceof Tensor && needsGrad(q) && interpolation === 'linear') {
      // The weight q·slope − rank_below, differentiable in q: its value stays the one computed above.
      const qk = q.ndim === 0 ? q : q.select(0, k);
      w = weights.add(qk.sub(qk.detach()).mul(slope));
    }
    const lo = gather(sorted, -1, new Tensor(below, rowShape));
    const value = interpolation === 'linear' || interpolation === 'midpoint' ? lerp(lo, gather(sorted, -1, new Tensor(above, rowShape)), w) : lo;
    let res = value.squeeze(-1);
    if (keepdim) res = d === null ? res.reshape(x.shape.map(() => 1)) : x.ndim === 0 ? res.reshape([]) : res.unsqueeze(d);
    return res;
  });
  return q instanceof Tensor && q.ndim === 1 ? stack(results, 0) : results[0];
}

/** The q-th quantiles (q a number or a 1-D tensor, prepended as dim 0) along dim or over all elements; NaN rows give NaN. */
export function quantile(x: Tensor, q: number | Tensor, options: QuantileOptions = {}): Tensor {
  return quantileImpl('quantile', x, q, options, false);
}

/** quantile ignoring NaNs (a row of NaNs gives NaN). */
export function nanquantile(x: Tensor, q: number | Tensor, options: QuantileOptions = {}): Tensor {
  return quantileImpl('nanquantile', x, q, options, true);
}

/**
 * The most frequent value along dim (the smallest among ties) and the index of its last occurrence, as
 * torch.mode on the CPU. ModeBackward0: the gradient goes to that index.
 */
export function mode(x: Tensor, dim = -1, keepdim: KeepdimOption = false): MaxMinResult {
  const op = 'mode';
  checkTensor(x, op);
  const kd = keepdimOf(keepdim, op);
  const d = normalizeDim(dim, x.ndim, op);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${op}: expected a non-empty dimension ${dim} (shape ${shapeStr(x.shape)})`);
  const rows = rowsOf(x.detach(), d);
  const keptShape = x.ndim === 0 ? [] : reducedShape(x.shape, [d], true);
  const values = empty(keptShape, x.dtype);
  const indices = empty(keptShape, 'int32');
  const { data, outer, n, inner } = rows;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const pairs: [number, number][] = [];
      for (let j = 0; j < n; j++) pairs.push([data[o * n * inner + j * inner + i], j]);
      // By value (NaN last: a − b would be NaN for equal infinities and NaN, breaking the sort), then index.
      const order = (u: number, v: number) => (u < v ? -1 : u > v ? 1 : u === v ? 0 : Number.isNaN(u) ? (Number.isNaN(v) ? 0 : 1) : -1);
      pairs.sort((a, b) => order(a[0], b[0]) || a[1] - b[1]);
      let best = 0;
      let bestValue = pairs[0][0];
      let bestIndex = pairs[0][1];
      for (let s = 0; s < n; ) {
        let e = s;
        while (e + 1 < n && pairs[e + 1][0] === pairs[s][0]) e++;
        if (e - s + 1 > best) [best, bestValue, bestIndex] = [e - s + 1, pairs[s][0], pairs[e][1]];
        s = e + 1;
      }
      values.storage[o * inner + i] = bestValue;
      indices.storage[o * inner + i] = bestIndex;
    }
  }
  const squeeze = (t: Tensor) => (kd || x.ndim === 0 ? t : t.reshape(reducedShape(x.shape, [d], false)));
  const v = squeeze(values);
  const shape = x.shape;
  const out = record(v, 'ModeBackward0', [x], (g) => [valueSelectingBackward(kd || x.ndim === 0 ? g : g.unsqueeze(d), d, indices, shape)], [x]);
  return valuesIndices(out, squeeze(indices));
}

