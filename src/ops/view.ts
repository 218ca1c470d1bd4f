/**
 * Shape ops. Most are views: a new Tensor over the same storage with other
 * shape/strides/offset, so they cost no copy. Their gradients are the inverse
 * reshaping of the upstream gradient.
 */
import { linearInGrad, record, recordMulti } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { contiguousStrides, inferShape, normalizeDim, sameShape, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cat, stack } from './join.js';
import { checkTensor, copyAs, empty, sumToShape, writeStrided } from './util.js';

/** Ops that index along a dim have nothing to index in a 0-d tensor (PyTorch raises). */
function checkHasDims(x: Tensor, op: string): void {
  if (x.ndim === 0) throw new Error(`${op}: cannot be applied to a 0-dimensional tensor (it has no dimension to index)`);
}

/** A strided window onto x's storage that knows its base (for in-place updates through it). */
export function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset = x.offset): Tensor {
  const out = new Tensor(x.storage, [...shape], [...strides], offset, x.dtype);
  // In-place updates of a view rewrite its base's history too (PyTorch's CopySlices).
  out.viewBase = x.viewBase ?? x;
  return out;
}

/**
 * Strides that let `x` be seen with `shape` without copying, or null when a
 * dimension of the new shape would span non-contiguous memory.
 */
function viewStrides(x: Tensor, shape: readonly number[]): number[] | null {
  if (x.isContiguous()) return contiguousStrides(shape);
  // No elements, so any layout will do (as torch's computeStride): keep the strides when the shape is unchanged.
  if (x.size === 0) return sameShape(x.shape, shape) ? [...x.strides] : contiguousStrides(shape);
  // Walk groups of old dims that are contiguous with each other, matching them to new dims.
  const oldShape = x.shape.filter((d) => d !== 1);
  const oldStrides = x.strides.filter((_, i) => x.shape[i] !== 1);
  const newStrides = new Array<number>(shape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < shape.length) {
    if (shape[ni] === 1) {
      newStrides[ni] = 1;
      ni++;
      continue;
    }
    if (oi >= oldShape.length) return null;
    // Take old dims until their product covers the next new dims.
    let oldSize = oldShape[oi];
    let groupEnd = oi;
    while (groupEnd + 1 < oldShape.length && oldStrides[groupEnd] === oldStrides[groupEnd + 1] * oldShape[groupEnd + 1]) {
      groupEnd++;
      oldSize *= oldShape[groupEnd];
    }
    let newSize = 1;
    let stride = oldStrides[groupEnd];
    const span: number[] = [];
    while (ni < shape.length && newSize < oldSize) {
      span.push(ni);
      newSize *= shape[ni];
      ni++;
    }
    if (newSize !== oldSize) return null;
    for (let k = span.length - 1; k >= 0; k--) {
      newStrides[span[k]] = stride;
      stride *= shape[span[k]];
    }
    oi = groupEnd + 1;
  }
  return oi === oldShape.length ? newStrides : null;
}

/** A view with another shape (one dim may be -1); fails if the memory layout does not allow it. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'view');
  const target = inferShape(shape, x.size, 'view');
  const strides = viewStrides(x, target);
  if (!strides) {
    throw new Error(
      `view: shape ${shapeStr(target)} is not compatible with the input's size and stride (shape ${shapeStr(x.shape)}, ` +
        `strides ${shapeStr(x.strides)}): at least one dimension spans across two contiguous subspaces; use reshape() instead`,
    );
  }
  return record(viewOf(x, target, strides), 'ViewBackward0', [x], (g) => [g.reshape(x.shape)]);
}

/** Another shape for the same elements: a view when possible, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, 'reshape');
  const target = inferShape(shape, x.size, 'reshape');
  const strides = viewStrides(x, target);
  // torch 1.13's node names: ReshapeAliasBackward0 for a view (even to the same shape), UnsafeViewBackward0 after a copy.
  if (strides) return record(viewOf(x, target, strides), 'ReshapeAliasBackward0', [x], (g) => [g.reshape(x.shape)]);
  const copy = x.contiguous();
  return record(viewOf(copy, target, contiguousStrides(target)), 'UnsafeViewBackward0', [copy], (g) => [g.reshape(x.shape)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor(x, 'flatten');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, 'flatten');
  const e = normalizeDim(endDim, x.ndim, 'flatten');
  if (s > e) throw new Error(`flatten: startDim (${startDim}) cannot come after endDim (${endDim})`);
  // Nothing to merge: torch.flatten returns the input itself.
  if (s === e) return x;
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normalizeDim(dim, x.ndim, 'unflatten');
  const inner = inferShape(sizes, x.shape[d], 'unflatten');
  // Splitting one dim is always a view (torch.unflatten gives ViewBackward0).
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor(x, 'permute');
  if (dims.length !== x.ndim) {
    throw new Error(`permute: number of dims (${dims.length}) does not match the tensor's rank ${x.ndim} (shape ${shapeStr(x.shape)})`);
  }
  const order = dims.map((d) => normalizeDim(d, x.ndim, 'permute'));
  if (new Set(order).size !== order.length) throw new Error(`permute: dims ${shapeStr(dims)} repeat a dimension`);
  const out = viewOf(x, order.map((d) => x.shape[d]), order.map((d) => x.strides[d]));
  const inverse = order.map((_, i) => order.indexOf(i));
  return record(out, 'PermuteBackward0', [x], (g) => [g.permute(inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor(x, 'transpose');
  if (x.ndim === 0) return x;
  const a = normalizeDim(dim0, x.ndim, 'transpose');
  const b = normalizeDim(dim1, x.ndim, 'transpose');
  const order = [...x.shape.keys()];
  [order[a], order[b]] = [order[b], order[a]];
  const out = viewOf(x, order.map((d) => x.shape[d]), order.map((d) => x.strides[d]));
  return record(out, 'TransposeBackward0', [x], (g) => [g.transpose(a, b)]);
}

/** Remove size-1 dims (all of them, or those listed). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor(x, 'squeeze');
  const listed = dim === undefined ? null : (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim(d, x.ndim, 'squeeze'));
  const keep = x.shape.map((d, i) => !(d === 1 && (listed === null || listed.includes(i))));
  // Always a new view, even with nothing to squeeze, as torch.squeeze; node names follow its overloads.
  const out = viewOf(x, x.shape.filter((_, i) => keep[i]), x.strides.filter((_, i) => keep[i]));
  const nodeName = dim === undefined ? 'SqueezeBackward0' : typeof dim === 'number' ? 'SqueezeBackward1' : 'SqueezeBackward2';
  return record(out, nodeName, [x], (g) => [g.reshape(x.shape)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor(x, 'unsqueeze');
  if (!Number.isInteger(dim) || dim < -(x.ndim + 1) || dim > x.ndim) {
    throw new Error(`unsqueeze: dimension ${dim} is out of range for a tensor of rank ${x.ndim} (expected ${-(x.ndim + 1)} to ${x.ndim})`);
  }
  const d = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return record(viewOf(x, shape, strides), 'UnsqueezeBackward0', [x], (g) => [g.squeeze(d)]);
}

/** Broadcast to a larger shape without copying (-1 keeps a size); the gradient sums over stretched dims. */
export function expand(x: Tensor, sizes: readonly number[]): Tensor {
  checkTensor(x, 'expand');
  const lead = sizes.length - x.ndim;
  if (lead < 0) {
    throw new Error(`expand: the number of sizes (${sizes.length}) must be at least the tensor's rank ${x.ndim}`);
  }
  const shape: number[] = [];
  const strides: number[] = [];
  sizes.forEach((size, i) => {
    const own = i < lead ? undefined : x.shape[i - lead];
    const target = size === -1 ? own : size;
    if (target === undefined) throw new Error(`expand: -1 is not allowed for a new leading dimension (${shapeStr(sizes)})`);
    if (own !== undefined && own !== target && own !== 1) {
      throw new Error(
        `expand: the expanded size ${target} must match the existing size ${own} at non-singleton dimension ${i} ` +
          `(target ${shapeStr(sizes)}, tensor ${shapeStr(x.shape)})`,
      );
    }
    shape.push(target);
    strides.push(own === undefined || (own === 1 && target !== 1) ? 0 : x.strides[i - lead]);
  });
  // Always a new view, even to the same shape, as torch.expand.
  return record(viewOf(x, shape, strides), 'ExpandBackward0', [x], (g) => [sumToShape(g, x.shape)]);
}

/** Python-style slice x[start:end:step] along `dim` as a view. */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkTensor(x, 'slice');
  checkHasDims(x, 'slice');
  const d = normalizeDim(dim, x.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[d];
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = start === undefined || start === null ? 0 : clampIndex(start);
  const e = end === undefined || end === null ? n : clampIndex(end);
  const length = Math.max(0, Math.ceil((e - s) / step));
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = length;
  strides[d] = x.strides[d] * step;
  const out = viewOf(x, shape, strides, x.offset + s * x.strides[d]);
  return record(out, 'SliceBackward0', [x], (g) => [embedGrad(x.shape, g, (t) => slice(t, d, s, e, step), 'SliceBackwardBackward0')]);
}

/**
 * The gradient of a view that picks part of x: zeros of x's shape with g written where `place` looks.
 * Differentiable (createGraph): its own gradient is `place` applied again.
 */
function embedGrad(shape: readonly number[], g: Tensor, place: (t: Tensor) => Tensor, backwardName: string): Tensor {
  const full = empty(shape, g.dtype);
  writeStrided(place(full), g);
  return linearInGrad(full, g, backwardName, place);
}

/** Index `i` along `d` with the dim removed, as a view (not recorded). */
function selectView(x: Tensor, d: number, i: number): Tensor {
  return viewOf(x, x.shape.filter((_, k) => k !== d), x.strides.filter((_, k) => k !== d), x.offset + i * x.strides[d]);
}

/**
 * Views that together tile x along `d` (unbind / split / chunk), recorded as one node with an output per
 * piece, as PyTorch's: x's gradient is assembled once from the pieces' gradients (zeros for pieces that got
 * none) instead of one x-sized gradient per piece, so taking T pieces costs O(T), not O(T²), in backward.
 */
function tilingViews(x: Tensor, pieces: Tensor[], nodeName: string, assemble: (grads: Tensor[]) => Tensor): Tensor[] {
  return recordMulti(pieces, nodeName, [x], (grads) => [
    assemble(grads.map((g, k) => g ?? empty(pieces[k].shape, x.dtype))),
  ]);
}

/** Elements start..start+length−1 along `dim` (bounds checked strictly, as torch.narrow). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor(x, 'narrow');
  checkHasDims(x, 'narrow');
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const n = x.shape[d];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || s < 0 || !Number.isInteger(length) || length < 0 || s + length > n) {
    throw new Error(`narrow: start (${start}) + length (${length}) exceeds dimension ${dim} of size ${n}`);
  }
  return slice(x, d, s, s + length);
}

/** The slice at `index` along `dim`, with the dim removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor(x, 'select');
  checkHasDims(x, 'select');
  const d = normalizeDim(dim, x.ndim, 'select');
  const n = x.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new Error(`select: index ${index} is out of range for dimension ${dim} of size ${n}`);
  }
  const i = index < 0 ? index + n : index;
  return record(selectView(x, d, i), 'SelectBackward0', [x], (g) => [embedGrad(x.shape, g, (t) => select(t, d, i), 'SelectBackwardBackward0')]);
}

export function unbind(x: Tensor, dim = 0): Tensor[] {
  checkTensor(x, 'unbind');
  checkHasDims(x, 'unbind');
  const d = normalizeDim(dim, x.ndim, 'unbind');
  const pieces = Array.from({ length: x.shape[d] }, (_, i) => selectView(x, d, i));
  return tilingViews(x, pieces, 'UnbindBackward0', (grads) => stack(grads, d));
}

/** Split into pieces of `size` (the last may be smaller), or of the listed sizes. */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor(x, 'split');
  checkHasDims(x, 'split');
  const d = normalizeDim(dim, x.ndim, 'split');
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const size = splitSizeOrSections;
    if (!Number.isInteger(size) || size <= 0) throw new Error(`split: split size must be a positive integer, got ${size}`);
    sizes = [];
    for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
    if (n === 0) sizes = [0];
  } else {
    sizes = [...splitSizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new Error(`split: sizes ${shapeStr(sizes)} sum to ${total}, but dimension ${dim} has size ${n}`);
  }
  // torch's overloads: split(int) records SplitBackward0, split(list) SplitWithSizesBackward0.
  const nodeName = typeof splitSizeOrSections === 'number' ? 'SplitBackward0' : 'SplitWithSizesBackward0';
  let at = 0;
  const pieces = sizes.map((size) => {
    const piece = viewOf(x, x.shape.map((len, i) => (i === d ? size : len)), x.strides, x.offset + at * x.strides[d]);
    at += size;
    return piece;
  });
  return tilingViews(x, pieces, nodeName, (grads) => cat(grads, d));
}

/** Split into `chunks` pieces of equal size (the last may be smaller), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  checkTensor(x, 'chunk');
  checkHasDims(x, 'chunk');
  const d = normalizeDim(dim, x.ndim, 'chunk');
  // An empty dim gives `chunks` empty pieces, as torch.chunk does.
  if (x.shape[d] === 0) return split(x, new Array<number>(chunks).fill(0), d);
  const size = Math.ceil(x.shape[d] / chunks);
  return split(x, size, d);
}

/** Reverse the order of elements along dims (a copy, as torch.flip). */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkTensor(x, 'flip');
  const list = (typeof dims === 'number' ? [dims] : dims).map((d) => normalizeDim(d, x.ndim, 'flip'));
  if (new Set(list).size !== list.length) throw new Error(`flip: dims ${JSON.stringify(dims)} repeat a dimension`);
  let offset = x.offset;
  const strides = x.strides.map((s, d) => {
    if (!list.includes(d)) return s;
    if (x.shape[d] > 0) offset += (x.shape[d] - 1) * s;
    return -s;
  });
  // Always a copy (a flip along size-1 dims is contiguous, but torch.flip never shares storage).
  const reversed = copyAs(new Tensor(x.storage, x.shape, strides, offset, x.dtype), x.dtype);
  return record(reversed, 'FlipBackward0', [x], (g) => [flip(g, list)]);
}

/** Tile the tensor: sizes[i] copies along dim i (leading sizes add dims), as torch.repeat. */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  checkTensor(x, 'repeat');
  if (sizes.length < x.ndim) {
    throw new Error(`repeat: number of repeat dims (${sizes.length}) can not be smaller than the tensor's rank ${x.ndim}`);
  }
  const lead = sizes.length - x.ndim;
  const shape = [...Array(lead).fill(1), ...x.shape];
  // Interleave a repeat axis before each axis, expand it, then merge the pairs.
  const interleaved = shape.flatMap((d) => [1, d]);
  const repeated = noGrad(() => {
    const expanded = reshape(x, interleaved).expand(shape.flatMap((d, i) => [sizes[i], d]));
    const out = expanded.reshape(shape.map((d, i) => d * sizes[i]));
    // Always a copy, as torch.repeat (with all sizes 1 the reshapes above are views of x).
    return out.storage === x.storage ? out.clone() : out;
  });
  // One node, as torch's RepeatBackward0: the gradient sums the copies (split each dim into [copies, size]).
  return record(repeated, 'RepeatBackward0', [x], (g) => {
    const split = g.reshape(shape.flatMap((d, i) => [sizes[i], d]));
    const copyDims = shape.map((_, i) => 2 * i);
    return [(copyDims.length ? split.sum(copyDims) : split).reshape(x.shape)];
  });
}

/** Transpose of a ≤2-D tensor (a 0-d or 1-d tensor is seen as is), one TBackward0 node as torch.t. */
export function t(x: Tensor): Tensor {
  checkTensor(x, 't');
  if (x.ndim > 2) throw new Error(`t: expects a tensor with <= 2 dimensions, got ${x.ndim}; use transpose(d0, d1)`);
  const out = viewOf(x, [...x.shape].reverse(), [...x.strides].reverse());
  return record(out, 'TBackward0', [x], (g) => [x.ndim === 2 ? g.transpose(0, 1) : g]);
}
