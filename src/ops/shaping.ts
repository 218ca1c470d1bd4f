/**
 * Indexed writes, splitting, stacking and tiling helpers, as PyTorch 1.13: indexAdd, indexCopy, indexFill,
 * maskedScatter, takeAlongDim, scatterReduce, tensorSplit, hsplit/vsplit/dsplit, repeatInterleave, rot90,
 * flipud/fliplr, meshgrid, broadcastTensors/broadcastTo, atleast1d/2d/3d, hstack/vstack/dstack/columnStack/
 * rowStack, blockDiag, cartesianProd, combinations, triuIndices/trilIndices, diagflat, ravel.
 */
import { kernels } from '../backend/registry.js';
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes } from '../tensor/dtype.js';
import { broadcastShapes, contiguousStrides, normalizeDim, sameShape, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, describe, empty, writeStrided } from './util.js';
import { cat, stack } from './join.js';
import { gather, indexArray, indexSelect } from './indexing.js';
import { maskedSelect } from './select.js';
import { expand, flip, narrow, reshape, transpose, view } from './view.js';
import { diag } from './triangular.js';

const list = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v] : [...v]);

// ---- indexed writes ------------------------------------------------------------------------------

/** Checks shared by indexAdd / indexCopy: 1-D int32 index, source shaped as x with dim resized. */
function indexedSource(op: string, x: Tensor, dim: number, index: Tensor, source: Tensor): [number, Int32Array, number[]] {
  checkTensor(x, op);
  checkTensor(index, op, 'index');
  checkTensor(source, op, 'source');
  const d = normalizeDim(dim, x.ndim, op);
  if (index.ndim > 1) throw new Error(`${op}: index should have dimension 1 or 0 (got ${index.ndim})`);
  if (source.dtype !== x.dtype) throw new Error(`${op}: self (${x.dtype}) and source (${source.dtype}) must have the same scalar type`);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const idx = indexArray(index, shape[d], op, false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const srcShape = [...shape];
  srcShape[d] = idx.length;
  if (sizeOf(srcShape) !== source.size || (source.ndim > 0 && x.ndim > 0 && !sameShape(source.shape, srcShape))) {
    throw new Error(`${op}: source shape ${shapeStr(source.shape)} must be the input's ${shapeStr(x.shape)} with dim ${d} of size ${idx.length} (index length)`);
  }
  return [d, idx, shape];
}

/** A copy of x with alpha·source[j] added to row index[j] along dim (repeated rows accumulate). IndexAddBackward0. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: { alpha?: number } = {}): Tensor {
  const op = 'indexAdd';
  const [d, idx, shape] = indexedSource(op, x, dim, index, source);
  const alpha = options.alpha ?? 1;
  if (!isFloat(x.dtype) && !Number.isInteger(alpha)) throw new Error(`${op}: for integer inputs alpha must be an integer, got ${alpha}`);
  const out = x.detach().clone();
  const src = noGrad(() => (alpha === 1 ? source : source.mul(alpha).to(x.dtype)));
  kernels().indexAdd(src.contiguous().data(), shape, d, idx, out.storage);
  if (out.dtype === 'bool') out.storage.forEach((v, i, s) => (s[i] = v ? 1 : 0));
  if (!needsGrad(x, source)) return out;
  return record(out, 'IndexAddBackward0', [x, source], (g) => [
    x.requiresGrad ? g : null,
    source.requiresGrad ? indexSelect(g.reshape(shape), d, idx.length ? index : []).mul(alpha).reshape(source.shape) : null,
  ]);
}

/** A copy of x with row index[j] along dim replaced by source[j] (the last write wins). IndexCopyBackward0. */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  const op = 'indexCopy';
  const [d, idx, shape] = indexedSource(op, x, dim, index, source);
  const out = x.detach().clone();
  const o = out.reshape(shape);
  const src = source.detach().reshape(sizeOf(shape) === 0 && idx.length === 0 ? shape.map((s, k) => (k === d ? 0 : s)) : shape.map((s, k) => (k === d ? idx.length : s)));
  idx.forEach((row, j) => writeStrided(o.select(d, row), src.select(d, j)));
  if (!needsGrad(x, source)) return out;
  return record(out, 'IndexCopyBackward0', [x, source], (g) => [
    x.requiresGrad ? indexFill(g, d, index, 0) : null,
    source.requiresGrad ? indexSelect(g.reshape(shape), d, index).reshape(source.shape) : null,
  ]);
}

/** A copy of x with the rows index[j] along dim set to `value` (a number or 0-d tensor). IndexFillBackward0. */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: number | boolean | Tensor): Tensor {
  const op = 'indexFill';
  checkTensor(x, op);
  checkTensor(index, op, 'index');
  const d = normalizeDim(dim, x.ndim, op);
  if (index.ndim > 1) throw new Error(`${op}: index should have dimension 1 or 0 (got ${index.ndim})`);
  if (value instanceof Tensor && value.ndim !== 0) throw new Error(`${op}: only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const idx = indexArray(index, shape[d], op, true, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const v = value instanceof Tensor ? value.item() : Number(value);
  const out = x.detach().clone();
  const o = out.reshape(shape);
  for (const row of idx) noGrad(() => o.select(d, row).fill_(v));
  if (!needsGrad(x)) return out;
  return record(out, 'IndexFillBackward0', [x], (g) => [indexFill(g, d, index, 0)]);
}

/** A copy of x with the positions where mask (broadcast to x) is true filled by source's elements in order. */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  const op = 'maskedScatter';
  checkTensor(x, op);
  checkTensor(mask, op, 'mask');
  checkTensor(source, op, 'source');
  if (mask.dtype !== 'bool') throw new Error(`${op}: expected mask to be a bool tensor, got ${mask.dtype}`);
  if (source.dtype !== x.dtype) throw new Error(`${op}: expected self and source to have the same dtype, got ${x.dtype} and ${source.dtype}`);
  const shape = broadcastShapes(x.shape, mask.shape, op);
  if (!sameShape(shape, x.shape)) throw new Error(`${op}: mask ${shapeStr(mask.shape)} must broadcast to the input's shape ${shapeStr(x.shape)}`);
  const m = mask.expand(shape).contiguous().data();
  const src = source.detach().contiguous().data();
  const out = x.detach().clone();
  let k = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    if (k >= src.length) throw new Error(`${op}: number of elements in source < number of ones in mask`);
    out.storage[i] = src[k++];
  }
  if (!needsGrad(x, source)) return out;
  const full = mask.expand(shape);
  return record(out, 'MaskedScatterBackward0', [x, source], (g) => {
    let gs: Tensor | null = null;
    if (source.requiresGrad) {
      const picked = maskedSelect(g, full);
      const rest = source.size - picked.size;
      gs = (rest > 0 ? cat([picked, empty([rest], g.dtype)]) : picked).reshape(source.shape);
    }
    return [x.requiresGrad ? g.maskedFill(full, 0) : null, gs];
  });
}

/** Values of x at `indices` along dim, x and indices broadcast over the other dims (flattened without dim). */
export function takeAlongDim(x: Tensor, indices: Tensor, dim: number | null = null): Tensor {
  const op = 'takeAlongDim';
  checkTensor(x, op);
  checkTensor(indices, op, 'indices');
  if (indices.dtype !== 'int32') throw new Error(`${op}: dtype of indices should be int32 (torch's Long) but got ${indices.dtype}`);
  if (dim === null) return gather(x.reshape([-1]), 0, indices.reshape([-1]));
  const d = normalizeDim(dim, x.ndim, op);
  if (x.ndim !== indices.ndim) {
    throw new Error(`${op}: input and indices should have the same number of dimensions, but got ${x.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`);
  }
  const xs = [...x.shape];
  const is = [...indices.shape];
  xs[d] = 1;
  is[d] = 1;
  const b = broadcastShapes(xs, is, op);
  const xShape = [...b];
  xShape[d] = x.shape[d];
  const iShape = [...b];
  iShape[d] = indices.shape[d];
  return gather(expand(x, xShape), d, expand(indices, iShape));
}

export type ScatterReduceMode = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

/**
 * A copy of x where each src element is combined into out[index] along dim with `reduce` (torch's
 * scatter_reduce): with includeSelf false, x's own value at a scattered position is left out. Integer
 * mean rounds down. ScatterReduceBackward0 (prod's gradient assumes no zero among the combined values).
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduceMode, options: { includeSelf?: boolean } = {}): Tensor {
  const op = 'scatterReduce';
  checkTensor(x, op);
  checkTensor(index, op, 'index');
  checkTensor(src, op, 'src');
  const includeSelf = options.includeSelf ?? true;
  if (!['sum', 'prod', 'mean', 'amax', 'amin'].includes(reduce)) throw new Error(`${op}: reduce argument must be either sum, prod, mean, amax or amin, got ${reduce}`);
  const d = normalizeDim(dim, x.ndim, op);
  if (src.dtype !== x.dtype) throw new Error(`${op}: expected self.dtype to be equal to src.dtype (${x.dtype} vs ${src.dtype})`);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(`${op}: index (rank ${index.ndim}), src (rank ${src.ndim}) and input (rank ${x.ndim}) must have the same number of dimensions`);
  }
  index.shape.forEach((s, k) => {
    if (s > src.shape[k] || (k !== d && s > x.shape[k])) {
      throw new Error(`${op}: index ${shapeStr(index.shape)} must be no larger than src ${shapeStr(src.shape)}, nor than the input ${shapeStr(x.shape)} outside dimension ${d}`);
    }
  });
  const xShape = x.ndim === 0 ? [1] : [...x.shape];
  const iShape = index.ndim === 0 ? [1] : [...index.shape];
  const idx = indexArray(index, xShape[d], op, false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  // Target position (in x) and source position (in src) of each index element.
  const xStr = contiguousStrides(xShape);
  const sStr = contiguousStrides(src.ndim === 0 ? [1] : src.shape);
  const targets = new Int32Array(idx.length);
  const sources = new Int32Array(idx.length);
  const iStr = contiguousStrides(iShape);
  for (let e = 0; e < idx.length; e++) {
    let rest = e;
    let t = 0;
    let s = 0;
    for (let k = 0; k < iShape.length; k++) {
      const p = Math.floor(rest / iStr[k]);
      rest -= p * iStr[k];
      t += (k === d ? idx[e] : p) * xStr[k];
      s += p * sStr[k];
    }
    targets[e] = t;
    sources[e] = s;
  }
  const xv = x.detach().contiguous().data();
  const sv = src.detach().contiguous().data();
  const out = x.detach().clone();
  const o = out.storage;
  const count = new Float64Array(o.length).fill(includeSelf ? 1 : 0);
  const touched = new Uint8Array(o.length);
  for (let e = 0; e < idx.length; e++) {
    const t = targets[e];
    const v = sv[sources[e]];
    if (!includeSelf && !touched[t]) {
      o[t] = v;
    } else if (reduce === 'sum' || reduce === 'mean') o[t] += v;
    else if (reduce === 'prod') o[t] *= v;
    else if (reduce === 'amax') o[t] = Number.isNaN(o[t]) || v > o[t] || Number.isNaN(v) ? v : o[t];
    else o[t] = Number.isNaN(o[t]) || v < o[t] || Number.isNaN(v) ? v : o[t];
    touched[t] = 1;
    count[t]++;
  }
  if (reduce === 'mean') {
    for (let i = 0; i < o.length; i++) {
      if (!touched[i]) continue;
      o[i] = isFloat(x.dtype) ? o[i] / count[i] : Math.floor(o[i] / count[i]);
    }
  }
  if (x.dtype === 'bool') o.forEach((v, i, s) => (s[i] = v ? 1 : 0));
  if (!needsGrad(x, src)) return out;
  const ov = out.storage;
  return record(out, 'ScatterReduceBackward0', [x, src], (g0) => {
    const g = g0.contiguous().data();
    const gx = empty(x.shape, g0.dtype);
    const gs = empty(src.shape, g0.dtype);
    const gxs = gx.storage;
    const gss = gs.storage;
    // Per position: how many of the combined values equal the result (amax/amin share the gradient).
    const winners = new Float64Array(o.length);
    const selfCounts = (i: number) => includeSelf || !touched[i];
    for (let i = 0; i < o.length; i++) {
      if (selfCounts(i) && (reduce === 'amax' || reduce === 'amin') && xv[i] === ov[i]) winners[i]++;
    }
    if (reduce === 'amax' || reduce === 'amin') for (let e = 0; e < idx.length; e++) if (sv[sources[e]] === ov[targets[e]]) winners[targets[e]]++;
    for (let i = 0; i < o.length; i++) {
      if (!selfCounts(i)) continue;
      if (reduce === 'sum') gxs[i] = g[i];
      else if (reduce === 'mean') gxs[i] = g[i] / (touched[i] ? count[i] : 1);
      else if (reduce === 'prod') gxs[i] = (g[i] * ov[i]) / xv[i];
      else gxs[i] = xv[i] === ov[i] ? g[i] / winners[i] : 0;
    }
    for (let e = 0; e < idx.length; e++) {
      const t = targets[e];
      const v = sv[sources[e]];
      let r: number;
      if (reduce === 'sum') r = g[t];
      else if (reduce === 'mean') r = g[t] / count[t];
      else if (reduce === 'prod') r = (g[t] * ov[t]) / v;
      else r = v === ov[t] ? g[t] / winners[t] : 0;
      gss[sources[e]] += r;
    }
    return [x.requiresGrad ? gx : null, src.requiresGrad ? gs : null];
  }, [x, src, out]);
}

// ---- splitting ---------------------------------------------------------------------------------------

/**
 * Split into views along dim: `sections` (a number) near-equal parts (the first n mod sections one longer),
 * or at the given indices (a list, or a 1-D / 0-d int32 tensor), as torch.tensor_split.
 */
export function tensorSplit(x: Tensor, indicesOrSections: number | readonly number[] | Tensor, dim = 0): Tensor[] {
  const op = 'tensorSplit';
  checkTensor(x, op);
  if (x.ndim === 0) throw new Error(`${op}: expected at least a 1-dimensional tensor, but got a tensor with 0 dims`);
  const d = normalizeDim(dim, x.ndim, op);
  const n = x.shape[d];
  let spec = indicesOrSections;
  if (spec instanceof Tensor) {
    if (spec.dtype !== 'int32' || spec.ndim > 1) throw new Error(`${op}: tensor_indices_or_sections must be a zero-dimensional or one-dimensional tensor of int32 (Long), got ${spec.dtype}${shapeStr(spec.shape)}`);
    spec = spec.ndim === 0 ? spec.item() : Array.from(spec.data() as Int32Array);
  }
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec <= 0) throw new Error(`${op}: number of sections must be larger than 0, got ${spec}`);
    const small = Math.floor(n / spec);
    const big = n % spec;
    const parts: Tensor[] = [];
    for (let k = 0, at = 0; k < spec; k++) {
      const len = small + (k < big ? 1 : 0);
      parts.push(x.slice(d, at, at + len));
      at += len;
    }
    return parts;
  }
  // Python-style slices between consecutive indices (an index past the end, or before its predecessor, gives an empty part).
  const starts = [0, ...spec];
  return [...spec, n].map((end, k) => x.slice(d, starts[k], end));
}

function splitAlong(op: string, x: Tensor, spec: number | readonly number[], dim: number, minRank: number): Tensor[] {
  checkTensor(x, op);
  if (x.ndim < minRank) throw new Error(`${op}: requires a tensor with at least ${minRank} dimension(s), but got a tensor with ${x.ndim} dimensions`);
  if (typeof spec === 'number' && (spec === 0 || x.shape[dim] % spec !== 0)) {
    throw new Error(`${op}: attempted to split along dimension ${dim}, but the size of the dimension ${x.shape[dim]} is not divisible by the split_size ${spec}!`);
  }
  return tensorSplit(x, spec, dim);
}

/** Split along dim 1 (dim 0 for 1-D): equal sections (must divide) or at indices. */
export const hsplit = (x: Tensor, spec: number | readonly number[]): Tensor[] => splitAlong('hsplit', x, spec, checkTensor(x, 'hsplit').ndim === 1 ? 0 : 1, 1);
/** Split along dim 0 (at least 2-D). */
export const vsplit = (x: Tensor, spec: number | readonly number[]): Tensor[] => splitAlong('vsplit', x, spec, 0, 2);
/** Split along dim 2 (at least 3-D). */
export const dsplit = (x: Tensor, spec: number | readonly number[]): Tensor[] => splitAlong('dsplit', x, spec, 2, 3);

/**
 * Each element (or slice along dim) repeated `repeats` times (a number, or one count per element as an
 * int32 tensor); without dim the input is flattened. repeatInterleave(counts) alone gives the indices
 * 0, 1, … repeated by counts. IndexSelectBackward0.
 */
export function repeatInterleave(x: Tensor, repeats?: number | Tensor | null, dim: number | null = null): Tensor {
  const op = 'repeatInterleave';
  checkTensor(x, op);
  if (repeats === undefined || repeats === null) {
    if (x.dtype !== 'int32' || x.ndim > 1) throw new Error(`${op}: repeats must be a 0-d or 1-d int32 tensor, got ${x.dtype}${shapeStr(x.shape)}`);
    return repeatInterleave(new Tensor(Int32Array.from({ length: x.size }, (_, i) => i), [x.size]), x.reshape([-1]), 0);
  }
  const input = dim === null ? x.reshape([-1]) : x;
  const d = dim === null ? 0 : normalizeDim(dim, x.ndim, op);
  const n = input.ndim === 0 ? 1 : input.shape[d];
  let counts: number[];
  if (repeats instanceof Tensor) {
    if (repeats.dtype !== 'int32') throw new Error(`${op}: repeats has to be an int32 (Long) tensor, got ${repeats.dtype}`);
    if (repeats.ndim > 1) throw new Error(`${op}: repeats must be 0-dim or 1-dim tensor, got shape ${shapeStr(repeats.shape)}`);
    counts = Array.from(repeats.data() as Int32Array);
    if (counts.length === 1 && repeats.ndim === 0) counts = new Array<number>(n).fill(counts[0]);
    else if (counts.length === 1 && n !== 1) counts = new Array<number>(n).fill(counts[0]);
    if (counts.length !== n) throw new Error(`${op}: repeats must have the same size as input along dim ${d}, got ${counts.length} and ${n}`);
  } else {
    if (typeof repeats !== 'number') throw new Error(`${op}: repeats must be a number or a Tensor, got ${describe(repeats)}`);
    counts = new Array<number>(n).fill(repeats);
  }
  if (counts.some((c) => !Number.isInteger(c) || c < 0)) throw new Error(`${op}: repeats can not be negative`);
  const idx: number[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) idx.push(i);
  });
  return indexSelect(input.ndim === 0 ? input.reshape([1]) : input, d, new Tensor(Int32Array.from(idx), [idx.length]));
}

// ---- rotations and flips -------------------------------------------------------------------------------

/** Rotate by 90° k times in the plane of dims (from the first towards the second). Rot90Backward0. */
export function rot90(x: Tensor, k = 1, dims: readonly number[] = [0, 1]): Tensor {
  const op = 'rot90';
  checkTensor(x, op);
  if (dims.length !== 2) throw new Error(`${op}: expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (x.ndim < 2) throw new Error(`${op}: expected total dims >= 2, but got total dims = ${x.ndim}`);
  const [a, b] = dims.map((v) => normalizeDim(v, x.ndim, op));
  if (a === b) throw new Error(`${op}: expected rotation dims to be different, but got dim0 = ${a} and dim1 = ${b}`);
  const turns = ((k % 4) + 4) % 4;
  const out = noGrad(() => {
    if (turns === 1) return transpose(flip(x, [b]), a, b).contiguous();
    if (turns === 2) return flip(x, [a, b]);
    if (turns === 3) return transpose(flip(x, [a]), a, b).contiguous();
    return x.clone();
  });
  return record(out, 'Rot90Backward0', [x], (g) => [rot90(g, -k, [a, b])]);
}

/** Flip along dim 0 (at least 1-D). */
export function flipud(x: Tensor): Tensor {
  checkTensor(x, 'flipud');
  if (x.ndim < 1) throw new Error('flipud: input must be >= 1-d');
  return flip(x, [0]);
}

/** Flip along dim 1 (at least 2-D). */
export function fliplr(x: Tensor): Tensor {
  checkTensor(x, 'fliplr');
  if (x.ndim < 2) throw new Error('fliplr: input must be >= 2-d');
  return flip(x, [1]);
}

// ---- broadcasting and stacking ----------------------------------------------------------------------------

const tensorList = (args: (Tensor | readonly Tensor[])[]): Tensor[] => (args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as Tensor[])] : (args as Tensor[]));

/** Coordinate grids of 0-d or 1-D tensors: 'ij' (matrix, the default) or 'xy' (Cartesian) indexing. Expand views. */
export function meshgrid(tensors: readonly Tensor[], options: { indexing?: 'ij' | 'xy' } = {}): Tensor[] {
  const op = 'meshgrid';
  const indexing = options.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new Error(`${op}: indexing must be one of "xy" or "ij", but received: ${indexing}`);
  if (tensors.length === 0) throw new Error(`${op}: expects a non-empty TensorList`);
  tensors.forEach((t, i) => checkTensor(t, op, `tensors[${i}]`));
  for (const t of tensors) {
    if (t.ndim > 1) throw new Error(`${op}: Expected 0D or 1D tensor in the tensor list but got: ${shapeStr(t.shape)}`);
    if (t.dtype !== tensors[0].dtype) throw new Error(`${op}: expects all tensors to have the same dtype`);
  }
  const swap = indexing === 'xy' && tensors.length >= 2;
  const ordered = swap ? [tensors[1], tensors[0], ...tensors.slice(2)] : [...tensors];
  const sizes = ordered.map((t) => t.size);
  const grids = ordered.map((t, i) => expand(reshape(t, sizes.map((_, k) => (k === i ? -1 : 1))), sizes));
  // 'xy' builds the grids of the swapped inputs and swaps the first two grids back, as torch.
  return swap ? [grids[1], grids[0], ...grids.slice(2)] : grids;
}

/** All tensors expanded to their common broadcast shape (views). */
export function broadcastTensors(...tensors: (Tensor | readonly Tensor[])[]): Tensor[] {
  const ts = tensorList(tensors);
  ts.forEach((t, i) => checkTensor(t, 'broadcastTensors', `tensors[${i}]`));
  const shape = ts.reduce<number[]>((s, t) => broadcastShapes(s, t.shape, 'broadcastTensors'), []);
  return ts.map((t) => expand(t, shape));
}

/** x expanded to `shape` (-1 keeps a size), a view. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'broadcastTo');
  return expand(x, shape);
}

function atleast(rank: 1 | 2 | 3, args: (Tensor | readonly Tensor[])[]): Tensor | Tensor[] {
  const op = `atleast${rank}d`;
  const many = args.length !== 1 || Array.isArray(args[0]);
  const one = (t: Tensor): Tensor => {
    checkTensor(t, op);
    if (t.ndim >= rank) return t;
    if (rank === 1) return reshape(t, [1]);
    if (rank === 2) return t.ndim === 0 ? reshape(t, [1, 1]) : t.unsqueeze(0);
    if (t.ndim === 0) return reshape(t, [1, 1, 1]);
    return t.ndim === 1 ? t.unsqueeze(0).unsqueeze(-1) : t.unsqueeze(-1);
  };
  return many ? tensorList(args).map(one) : one(args[0] as Tensor);
}

/** Views with at least 1 (2, 3) dims; one tensor gives one, several (or a list) give a list. */
export function atleast1d(x: Tensor): Tensor;
export function atleast1d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[];
export function atleast1d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[] { return atleast(1, xs); }
export function atleast2d(x: Tensor): Tensor;
export function atleast2d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[];
export function atleast2d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[] { return atleast(2, xs); }
export function atleast3d(x: Tensor): Tensor;
export function atleast3d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[];
export function atleast3d(...xs: (Tensor | readonly Tensor[])[]): Tensor | Tensor[] { return atleast(3, xs); }

function nonEmptyList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${op}: expects a non-empty TensorList`);
  tensors.forEach((t, i) => checkTensor(t, op, `tensors[${i}]`));
}

/** cat along dim 1 (dim 0 when the tensors are 1-D), after atleast1d. */
export function hstack(tensors: readonly Tensor[]): Tensor {
  nonEmptyList('hstack', tensors);
  const ts = tensors.map((t) => atleast1d(t));
  return cat(ts, ts[0].ndim === 1 ? 0 : 1);
}

/** cat along dim 0 after atleast2d. */
export function vstack(tensors: readonly Tensor[]): Tensor {
  nonEmptyList('vstack', tensors);
  return cat(tensors.map((t) => atleast2d(t)), 0);
}

/** torch.row_stack: vstack. */
export const rowStack = (tensors: readonly Tensor[]): Tensor => vstack(tensors);

/** cat along dim 2 after atleast3d. */
export function dstack(tensors: readonly Tensor[]): Tensor {
  nonEmptyList('dstack', tensors);
  return cat(tensors.map((t) => atleast3d(t)), 2);
}

/** 0-d and 1-D tensors as columns, then hstack. */
export function columnStack(tensors: readonly Tensor[]): Tensor {
  nonEmptyList('columnStack', tensors);
  return hstack(tensors.map((t) => (t.ndim <= 1 ? reshape(t, [t.size, 1]) : t)));
}

/** A block-diagonal matrix of ≤2-D tensors (0-d as 1×1, 1-D as a row); dtypes promote. BlockDiagBackward0. */
export function blockDiag(...tensors: (Tensor | readonly Tensor[])[]): Tensor {
  const op = 'blockDiag';
  const ts = tensorList(tensors);
  ts.forEach((t, i) => {
    checkTensor(t, op, `tensors[${i}]`);
    if (t.ndim > 2) throw new Error(`${op}: Input tensors must have 2 or fewer dimensions. Input ${i} has ${t.ndim} dimensions`);
  });
  const mats = ts.map((t) => (t.ndim === 2 ? t : t.reshape([1, t.size])));
  const rows = mats.reduce((s, m) => s + m.shape[0], 0);
  const cols = mats.reduce((s, m) => s + m.shape[1], 0);
  const dtype = ts.length ? ts.map((t) => t.dtype).reduce(promoteTypes) : 'float32';
  const out = empty([rows, cols], dtype);
  const at: [number, number][] = [];
  let r = 0;
  let c = 0;
  for (const m of mats) {
    at.push([r, c]);
    writeStrided(out.narrow(0, r, m.shape[0]).narrow(1, c, m.shape[1]), m.detach().to(dtype));
    r += m.shape[0];
    c += m.shape[1];
  }
  return record(out, 'BlockDiagBackward0', ts, (g) => ts.map((t, i) => (t.requiresGrad ? narrow(narrow(g, 0, at[i][0], mats[i].shape[0]), 1, at[i][1], mats[i].shape[1]).reshape(t.shape).to(t.dtype) : null)));
}

/** The Cartesian product of 1-D tensors as rows of a [N, k] tensor (one tensor: itself). */
export function cartesianProd(...tensors: (Tensor | readonly Tensor[])[]): Tensor {
  const ts = tensorList(tensors);
  ts.forEach((t, i) => {
    checkTensor(t, 'cartesianProd', `tensors[${i}]`);
    if (t.ndim !== 1) throw new Error(`cartesianProd: Expect a 1D vector, but got shape ${shapeStr(t.shape)}`);
  });
  if (ts.length === 1) return ts[0];
  return stack(meshgrid(ts, { indexing: 'ij' }).map((g) => g.reshape([-1])), 1);
}

/** The length-r combinations of a 1-D tensor's elements (with repetition on request), as rows. */
export function combinations(x: Tensor, r = 2, withReplacement = false): Tensor {
  const op = 'combinations';
  checkTensor(x, op);
  if (x.ndim !== 1) throw new Error(`${op}: Expect a 1D vector, but got shape ${shapeStr(x.shape)}`);
  if (!Number.isInteger(r) || r < 0) throw new Error(`${op}: Expect a non-negative number, but got ${r}`);
  if (r === 0) return empty([0], x.dtype);
  const n = x.shape[0];
  const combos: number[][] = [];
  const cur: number[] = [];
  const walk = (start: number) => {
    if (cur.length === r) {
      combos.push([...cur]);
      return;
    }
    for (let i = start; i < n; i++) {
      cur.push(i);
      walk(withReplacement ? i : i + 1);
      cur.pop();
    }
  };
  walk(0);
  const columns = Array.from({ length: r }, (_, k) => indexSelect(x, 0, new Tensor(Int32Array.from(combos, (c) => c[k]), [combos.length])));
  return stack(columns, 1);
}

function triangleIndices(op: string, row: number, col: number, offset: number, upper: boolean): Tensor {
  for (const [name, v] of [['row', row], ['col', col], ['offset', offset]] as const) {
    if (!Number.isInteger(v)) throw new Error(`${op}: ${name} must be an integer, got ${v}`);
  }
  if (row < 0 || col < 0) throw new Error(`${op}: row must be non-negative, got ${row}; col must be non-negative, got ${col}`);
  const rs: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < row; i++) {
    for (let j = 0; j < col; j++) {
      if (upper ? j - i >= offset : j - i <= offset) {
        rs.push(i);
        cs.push(j);
      }
    }
  }
  return new Tensor(Int32Array.from([...rs, ...cs]), [2, rs.length]);
}

/** The [2, N] int32 (row, column) indices of the upper triangle of a row × col matrix (diagonal offset). */
export const triuIndices = (row: number, col: number, offset = 0): Tensor => triangleIndices('triuIndices', row, col, offset, true);
/** The [2, N] int32 (row, column) indices of the lower triangle of a row × col matrix (diagonal offset). */
export const trilIndices = (row: number, col: number, offset = 0): Tensor => triangleIndices('trilIndices', row, col, offset, false);

/** A matrix with x's elements (flattened) on the offset-th diagonal. DiagBackward0. */
export function diagflat(x: Tensor, offset = 0): Tensor {
  checkTensor(x, 'diagflat');
  return diag(x.reshape([-1]), offset);
}

/** x flattened to 1-D (a view when possible). */
export function ravel(x: Tensor): Tensor {
  checkTensor(x, 'ravel');
  // torch.ravel is contiguous().view(-1): ViewBackward0 (after a CloneBackward0 copy when non-contiguous).
  return view(x.contiguous(), [-1]);
}

