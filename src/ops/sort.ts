/**
 * Sorting and order statistics along a dim: sort, argsort, topk, kthvalue, median, nanmedian.
 *
 * Each row along the dim is copied into a float64 scratch row with its positions and run through the
 * algorithm PyTorch 1.13's CPU kernel uses (src/ops/stdsort.ts), so tied elements come out with the
 * same indices as in torch. NaN sorts as the largest value. Indices are int32 (torch: int64).
 * Gradients flow through the values to the selected positions (torch's value_selecting_reduction_backward).
 */
import { needsGrad, record } from '../autograd/node.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, rowsOf, type Rows } from './util.js';
import { scatterAdd } from './indexing.js';
import { keepdimOf, reducedShape, type KeepdimOption, type MaxMinResult } from './reduce.js';
import { ASC, ASC_STABLE, DESC, DESC_STABLE, MEDIAN, NANMEDIAN, introsort, nthElement, partialSort, quickSelect } from './stdsort.js';

export interface SortOptions {
  /** Largest first (NaN first). Default false. */
  descending?: boolean;
  /** Keep the order of equal elements. Strata's unstable sort is torch's std::sort (same tie order). */
  stable?: boolean;
}

export interface TopkOptions {
  /** The k largest (default) or the k smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true); otherwise in torch's selection order. */
  sorted?: boolean;
}

/** [values, indices] also readable as .values / .indices (as max(dim)). */
export function valuesIndices(values: Tensor, indices: Tensor): MaxMinResult {
  return Object.assign([values, indices], { values, indices }) as unknown as MaxMinResult;
}

/** torch's kernels take no bool (topk / kthvalue copy a 0-d input before dispatching on the dtype). */
function noBool(x: Tensor, op: string, zeroDimOk = false): void {
  if (x.dtype === 'bool' && !(zeroDimOk && x.ndim === 0)) throw new Error(`${op}: not implemented for bool tensors (as in PyTorch); convert with .int() first`);
}

/** Gradient of values picked at `indices` (kept-dim shape) along d: zeros elsewhere (differentiable in g). */
export function valueSelectingBackward(g: Tensor, d: number, indices: Tensor, shape: readonly number[]): Tensor {
  if (shape.length === 0) return g.reshape([]);
  return scatterAdd(empty(shape, g.dtype), d, indices, g.reshape(indices.shape));
}

function sortOptions(options: SortOptions | boolean | undefined | null, op: string): { descending: boolean; stable: boolean; stableGiven: boolean } {
  if (options === undefined || options === null) return { descending: false, stable: false, stableGiven: false };
  if (typeof options === 'boolean') return { descending: options, stable: false, stableGiven: false };
  if (typeof options !== 'object') throw new Error(`${op}: expected descending (a boolean) or an options object { descending, stable }, got ${typeof options}`);
  return { descending: options.descending ?? false, stable: options.stable ?? false, stableGiven: options.stable !== undefined };
}

/**
 * Each row (o, i) of `rows` copied into the float64 scratch `v` with its positions in `ix` (0 … n−1),
 * then `visit(v, ix, o, i)`; the row's elements lie at o·n·inner + i + j·inner.
 */
function forEachRow({ data, outer, n, inner }: Rows, visit: (v: Float64Array, ix: Int32Array, o: number, i: number) => void): void {
  const v = new Float64Array(n);
  const ix = new Int32Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let j = 0, p = o * n * inner + i; j < n; j++, p += inner) {
        v[j] = data[p];
        ix[j] = j;
      }
      visit(v, ix, o, i);
    }
  }
}

function sortRaw(x: Tensor, d: number, descending: boolean, stable: boolean): [Tensor, Tensor] {
  const values = empty(x.shape, x.dtype);
  const indices = empty(x.shape, 'int32');
  const rows = rowsOf(x, d);
  const { n, inner } = rows;
  const mode = descending ? (stable ? DESC_STABLE : DESC) : stable ? ASC_STABLE : ASC;
  const ov = values.storage;
  const oi = indices.storage;
  forEachRow(rows, (v, ix, o, i) => {
    introsort(v, ix, 0, n, mode);
    for (let j = 0, p = o * n * inner + i; j < n; j++, p += inner) {
      ov[p] = v[j];
      oi[p] = ix[j];
    }
  });
  return [values, indices];
}

/**
 * The elements along `dim` in ascending (or descending) order, with their original positions
 * (torch.sort). NaN counts as the largest value; `stable` keeps equal elements in input order.
 */
export function sort(x: Tensor, dim = -1, options?: SortOptions | boolean): MaxMinResult {
  checkTensor(x, 'sort');
  const d = normalizeDim(dim, x.ndim, 'sort');
  const { descending, stable, stableGiven } = sortOptions(options, 'sort');
  const [values, indices] = sortRaw(x, d, descending, stable);
  if (needsGrad(x)) {
    // torch.sort(x, stable=...) is the sort.stable overload (SortBackward1).
    record(values, stableGiven ? 'SortBackward1' : 'SortBackward0', [x], (g) => [valueSelectingBackward(g, d, indices, x.shape)], [indices]);
  }
  return valuesIndices(values, indices);
}

/** The positions that sort `x` along `dim` (torch.argsort); not differentiable. */
export function argsort(x: Tensor, dim = -1, options?: SortOptions | boolean): Tensor {
  checkTensor(x, 'argsort');
  const d = normalizeDim(dim, x.ndim, 'argsort');
  const { descending, stable } = sortOptions(options, 'argsort');
  return sortRaw(x, d, descending, stable)[1];
}

/**
 * The k largest (or smallest) elements along `dim` and their positions (torch.topk), sorted unless
 * { sorted: false }. Ties are resolved as torch 1.13's CPU kernel does (partial sort when k·64 ≤ n,
 * else nth_element then sort of the first k − 1).
 */
export function topk(x: Tensor, k: number, dim = -1, options: TopkOptions = {}): MaxMinResult {
  checkTensor(x, 'topk');
  noBool(x, 'topk', true);
  const d = normalizeDim(dim, x.ndim, 'topk');
  const { largest = true, sorted = true } = options ?? {};
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > size) {
    throw new Error(`topk: k (${k}) is out of range for dimension ${dim} of size ${size} (input shape ${shapeStr(x.shape)}); expected an integer 0 ≤ k ≤ ${size}`);
  }
  let values: Tensor;
  let indices: Tensor;
  if (x.ndim === 0) {
    // torch copies a 0-d input whatever k is (0 or 1).
    values = x.detach().clone();
    indices = empty([], 'int32');
  } else {
    const outShape = [...x.shape];
    outShape[d] = k;
    values = empty(outShape, x.dtype);
    indices = empty(outShape, 'int32');
    const rows = rowsOf(x, d);
    const { n, inner } = rows;
    const mode = largest ? DESC : ASC;
    const usePartialSort = k * 64 <= n;
    const ov = values.storage;
    const oi = indices.storage;
    forEachRow(rows, (v, ix, o, i) => {
      if (usePartialSort) {
        partialSort(v, ix, 0, k, n, mode);
      } else {
        nthElement(v, ix, 0, k - 1, n, mode);
        if (sorted) introsort(v, ix, 0, k - 1, mode);
      }
      for (let j = 0, p = o * k * inner + i; j < k; j++, p += inner) {
        ov[p] = v[j];
        oi[p] = ix[j];
      }
    });
  }
  if (needsGrad(x)) {
    record(values, 'TopkBackward0', [x], (g) => [valueSelectingBackward(g, d, indices, x.shape)], [indices]);
  }
  return valuesIndices(values, indices);
}

function checkNonEmptyDim(x: Tensor, d: number, dim: number, op: string): void {
  if (x.ndim > 0 && x.shape[d] === 0) {
    throw new Error(`${op}: cannot reduce over dimension ${dim} of size 0 (input shape ${shapeStr(x.shape)}); expected a non-empty dimension`);
  }
}

type RowSelect = (v: Float64Array, ix: Int32Array, n: number) => number;

/** One (value, index) per row along d, chosen by `select` (which returns the position in the scratch row). */
function selectAlong(x: Tensor, d: number, keepdim: boolean, select: RowSelect, name: string): MaxMinResult {
  const outShape = reducedShape(x.shape, [d], keepdim);
  const values = empty(outShape, x.dtype);
  const indices = empty(outShape, 'int32');
  const rows = rowsOf(x, d);
  const { n, inner } = rows;
  const ov = values.storage;
  const oi = indices.storage;
  forEachRow(rows, (v, ix, o, i) => {
    const at = select(v, ix, n);
    ov[o * inner + i] = v[at];
    oi[o * inner + i] = ix[at];
  });
  if (needsGrad(x)) {
    const kept = keepdim || x.ndim === 0 ? indices : indices.unsqueeze(d);
    record(values, name, [x], (g) => [valueSelectingBackward(g, d, kept, x.shape)], [indices]);
  }
  return valuesIndices(values, indices);
}

/** The k-th smallest element (k from 1) along `dim` and its position (torch.kthvalue; NaN is largest). */
export function kthvalue(x: Tensor, k: number, dim = -1, keepdim: KeepdimOption = false): MaxMinResult {
  checkTensor(x, 'kthvalue');
  noBool(x, 'kthvalue', true);
  const d = normalizeDim(dim, x.ndim, 'kthvalue');
  checkNonEmptyDim(x, d, dim, 'kthvalue');
  const size = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 1 || k > size) {
    throw new Error(`kthvalue: k (${k}) is out of range for dimension ${dim} of size ${size} (input shape ${shapeStr(x.shape)}); expected an integer 1 ≤ k ≤ ${size}`);
  }
  return selectAlong(x, d, keepdimOf(keepdim, 'kthvalue'), (v, ix, n) => {
    quickSelect(v, ix, n, k - 1);
    return k - 1;
  }, 'KthvalueBackward0');
}

/** Position of the first NaN in the scratch row, or −1. */
function firstNaN(v: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) if (v[j] !== v[j]) return j;
  return -1;
}

function countNaN(v: Float64Array, n: number): number {
  let c = 0;
  for (let j = 0; j < n; j++) if (v[j] !== v[j]) c++;
  return c;
}

function medianRow(v: Float64Array, ix: Int32Array, n: number): number {
  const nan = firstNaN(v, n);
  if (nan >= 0) return nan;
  const nth = (n - 1) >> 1;
  nthElement(v, ix, 0, nth, n, MEDIAN);
  return nth;
}

function nanmedianRow(v: Float64Array, ix: Int32Array, n: number): number {
  const nth = Math.trunc((n - countNaN(v, n) - 1) / 2);
  nthElement(v, ix, 0, nth, n, NANMEDIAN);
  return nth;
}

/** Median of all elements: the lower of the two middle values; NaN if any element is NaN. */
function medianAll(x: Tensor, ignoreNaN: boolean, op: string): Tensor {
  if (x.size === 0 && !(x.dtype === 'float32' || x.dtype === 'float64')) {
    throw new Error(`${op}: cannot take the median of an empty ${x.dtype} tensor (shape ${shapeStr(x.shape)})`);
  }
  const data = x.contiguous().data();
  const n = data.length;
  const v = Float64Array.from(data as ArrayLike<number>);
  const ix = new Int32Array(n);
  const out = empty([], x.dtype);
  const nans = countNaN(v, n);
  if (n === 0 || (nans > 0 && !ignoreNaN) || nans === n) {
    out.storage[0] = NaN;
  } else {
    const nth = Math.trunc((n - nans - 1) / 2);
    nthElement(v, ix, 0, nth, n, ignoreNaN ? NANMEDIAN : MEDIAN);
    out.storage[0] = v[nth];
  }
  if (!needsGrad(x)) return out;
  // torch's evenly_distribute_backward: shared among the elements equal to the median (NaNs if it is NaN).
  return record(out, ignoreNaN ? 'NanmedianBackward0' : 'MedianBackward0', [x], (g) => {
    const mask = (Number.isNaN(out.item()) ? x.isnan() : x.eq(out.detach())).to(g.dtype);
    return [mask.mul(g.div(mask.sum()))];
  }, [x, out]);
}

/**
 * torch.median: without dim, the lower median of all elements (NaN if any is NaN); with dim,
 * [values, indices] along it (the first NaN when a row has one; among equal medians torch's index).
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number, keepdim?: KeepdimOption): MaxMinResult;
export function median(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
  return medianOp('median', x, dim, keepdim);
}

/** torch.nanmedian: the median ignoring NaNs (NaN only where every element is NaN). */
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, dim: number, keepdim?: KeepdimOption): MaxMinResult;
export function nanmedian(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
  return medianOp('nanmedian', x, dim, keepdim);
}

/** median / nanmedian: of all elements without dim, else one (value, index) per row along dim. */
function medianOp(op: 'median' | 'nanmedian', x: Tensor, dim: number | null | undefined, keepdim: KeepdimOption): Tensor | MaxMinResult {
  checkTensor(x, op);
  noBool(x, op);
  const ignoreNaN = op === 'nanmedian';
  if (dim === undefined || dim === null) return medianAll(x, ignoreNaN, op);
  const d = normalizeDim(dim, x.ndim, op);
  checkNonEmptyDim(x, d, dim, op);
  return selectAlong(x, d, keepdimOf(keepdim, op), ignoreNaN ? nanmedianRow : medianRow, ignoreNaN ? 'NanmedianBackward1' : 'MedianBackward1');
}
