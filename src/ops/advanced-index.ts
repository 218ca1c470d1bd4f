/**
 * torch's tensor indexing: `x[spec]` (index), `x[spec] = v` (setIndex) and torch.index_put (indexPut),
 * PyTorch 1.13 semantics. The basic part of a spec gives views (index-spec.ts); index tensors ("advanced"
 * indexing) give a copy, over the existing indexSelect / indexAdd / scatter kernels: every element of the
 * result is one position in the contiguous layout of the indexed tensor.
 */
import { linearInGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { arange } from '../tensor/creation.js';
import { broadcastShapes, contiguousStrides, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, sumToShape, toTensorLike } from './util.js';
import { indexSelect } from './indexing.js';
import { scatter, nonzero } from './select.js';
import { indexAdd } from './shaping.js';
import { viewOf } from './view.js';
import { applySpec, indexError, outOfBounds, type IndexSpec } from './index-spec.js';

export type { IndexEntry, IndexSpec } from './index-spec.js';

/**
 * Where each element of x[indices] lies in x's contiguous layout: an int32 tensor of the result's shape
 * (torch's make_info: bool masks become their nonzero() positions, the index tensors broadcast together,
 * their dims replace the indexed ones in place when those are adjacent, else they go first).
 */
function positions(shape: readonly number[], indices: readonly (Tensor | null)[]): Tensor {
  const perDim: (Tensor | null)[] = [];
  for (const t of indices) {
    if (t === null || t === undefined) {
      perDim.push(null);
      continue;
    }
    checkTensor(t, 'index', 'index');
    if (t.dtype !== 'int32' && t.dtype !== 'bool') throw indexError(`tensors used as indices must be long, byte or bool tensors (got ${t.dtype})`);
    if (t.dtype === 'int32') {
      perDim.push(t);
      continue;
    }
    t.shape.forEach((size, j) => {
      const at = perDim.length + j;
      if (size !== shape[at]) {
        throw indexError(`The shape of the mask ${shapeStr(t.shape)} at index ${j} does not match the shape of the indexed tensor ${shapeStr(shape)} at index ${at}`);
      }
    });
    perDim.push(...nonzero(t, { asTuple: true }).slice(0, t.ndim));
  }
  if (perDim.length > shape.length) throw indexError(`too many indices for tensor of dimension ${shape.length} (got ${perDim.length})`);
  const dims = perDim.flatMap((t, d) => (t ? [d] : []));
  const advanced = dims.map((d) => perDim[d] as Tensor);
  let bshape: number[] = [];
  try {
    bshape = advanced.reduce<number[]>((s, t) => broadcastShapes(s, t.shape, 'index'), []);
  } catch {
    throw indexError(`shape mismatch: indexing tensors could not be broadcast together with shapes ${advanced.map((t) => shapeStr(t.shape)).join(', ')}`);
  }
  const rest = shape.map((_, d) => d).filter((d) => !perDim[d]);
  const adjacent = dims[dims.length - 1] - dims[0] === dims.length - 1;
  const lead = adjacent ? rest.filter((d) => d < dims[0]) : [];
  const outDims = [...lead.map((d) => shape[d]), ...bshape, ...rest.slice(lead.length).map((d) => shape[d])];
  const strides = contiguousStrides(shape);
  // Each piece shaped to broadcast into its place among outDims: the advanced block at lead.length, each other dim at its slot.
  const placed = (t: Tensor, at: number, rank: number) => t.reshape([...Array(at).fill(1), ...t.shape, ...Array(outDims.length - at - rank).fill(1)]);
  // torch checks the index values while gathering, so nothing is checked when the result is empty.
  const check = sizeOf(outDims) > 0;
  return noGrad(() => {
    let pos = empty([], 'int32');
    advanced.forEach((t, j) => {
      const d = dims[j];
      const values = Int32Array.from(t.contiguous().data(), (v) => {
        if (check && (v < -shape[d] || v >= shape[d])) throw outOfBounds(v, j, shape[d]);
        return (v < 0 ? v + shape[d] : v) * strides[d];
      });
      pos = pos.add(placed(new Tensor(values, t.shape, undefined, 0, 'int32'), lead.length, bshape.length));
    });
    rest.forEach((d, k) => {
      const at = k < lead.length ? k : k + bshape.length;
      pos = pos.add(placed(arange(0, shape[d], 1, { dtype: 'int32' }).mul(strides[d]), at, 1));
    });
    return pos.expand(outDims).contiguous();
  });
}

/** x's elements at `pos` (positions in its contiguous layout), recorded as torch's IndexBackward0. */
function takeAt(x: Tensor, pos: Tensor): Tensor {
  const out = noGrad(() => indexSelect(x.reshape([-1]), 0, pos.reshape([-1])).reshape(pos.shape));
  // The gradient adds g into zeros at the positions (duplicates accumulate), itself an index_put.
  return record(out, 'IndexBackward0', [x], (g) => [
    linearInGrad(noGrad(() => indexAdd(empty([x.size], g.dtype), 0, pos.reshape([-1]), g.reshape([-1])).reshape(x.shape)), g, 'IndexPutBackward0', (gg) => takeAt(gg, pos)),
  ]);
}

/** torch's `x[spec]`: a view for basic specs (ints, slices, null, '...'), a copy with any index tensor. */
export function index(x: Tensor, spec: IndexSpec): Tensor {
  checkTensor(x, 'index');
  const { sliced, indices } = applySpec(x, spec, true);
  if (indices.length === 0) {
    // x[...] (or a spec that changed nothing) is still a new view, as torch's alias.
    return sliced === x ? record(viewOf(x, x.shape, x.strides), 'AliasBackward0', [x], (g) => [g]) : sliced;
  }
  return takeAt(sliced, positions(sliced.shape, indices));
}

export interface IndexPutOptions {
  /** Add the values at the positions (duplicates accumulate) instead of writing them (the last write wins). */
  accumulate?: boolean;
}

/**
 * torch.index_put: a copy of x with `values` (broadcast to x[indices]'s shape) written at x[indices];
 * `indices` lists an index tensor (int32 or bool mask) or null (the whole dim) per leading dim of x.
 */
export function indexPut(x: Tensor, indices: readonly (Tensor | null)[], values: Tensor | number | boolean, options: IndexPutOptions = {}): Tensor {
  checkTensor(x, 'indexPut');
  if (!Array.isArray(indices)) throw new Error(`indexPut: indices must be an array of index tensors or nulls, got ${typeof indices}`);
  const accumulate = options.accumulate ?? false;
  const v = values instanceof Tensor ? values : toTensorLike(values, x.dtype).to(x.dtype);
  if (v.dtype !== x.dtype) {
    throw new Error(`indexPut: Index put requires the source and destination dtypes match, got ${x.dtype} for the destination and ${v.dtype} for the source.`);
  }
  const pos = positions(x.shape, indices);
  if (v.ndim > pos.ndim || v.shape.some((s, i) => s !== 1 && s !== pos.shape[pos.ndim - v.ndim + i])) {
    throw new Error(`indexPut: shape mismatch: value tensor of shape ${shapeStr(v.shape)} cannot be broadcast to indexing result of shape ${shapeStr(pos.shape)}`);
  }
  const flatPos = pos.reshape([-1]);
  const out = noGrad(() => {
    const flat = x.reshape([-1]);
    const src = v.expand(pos.shape).reshape([-1]);
    // scatter writes in order, so with repeated positions the last value wins (torch's CPU order).
    return (accumulate ? indexAdd(flat, 0, flatPos, src) : scatter(flat, 0, flatPos, src.contiguous())).reshape(x.shape);
  });
  return record(out, 'IndexPutBackward0', [x, v], (g) => [
    x.requiresGrad ? (accumulate ? g : scatter(g.reshape([-1]), 0, flatPos, 0).reshape(x.shape)) : null,
    v.requiresGrad ? sumToShape(takeAt(g, pos), v.shape) : null,
  ]);
}

/**
 * torch's `x[spec] = value`, in place: a basic spec copies into the view (CopySlices on x's history),
 * a spec with index tensors is an index_put_ into it. Numbers and booleans take x's dtype; a tensor value
 * is broadcast (leading size-1 dims dropped first, as torch).
 */
export function setIndex(x: Tensor, spec: IndexSpec, value: Tensor | number | boolean): Tensor {
  checkTensor(x, 'setIndex_');
  // torch's __setitem__ fast paths: x[false] = v writes nothing, x[true] = v writes into x.unsqueeze(0).
  if (spec === false) return x;
  const { sliced, indices } = spec === true ? { sliced: x.unsqueeze(0), indices: [] } : applySpec(x, spec, false);
  const v = value instanceof Tensor ? value : noGrad(() => toTensorLike(value, x.dtype).to(x.dtype));
  const kept = v.shape.findIndex((s) => s !== 1);
  const trimmed = v.ndim === 0 || kept === 0 ? v : v.reshape(kept === -1 ? [] : v.shape.slice(kept));
  if (indices.length > 0) sliced.indexPut_(indices, trimmed);
  // torch's copy_to fills from a 0-d value (fill_.Tensor) unless the shapes already match.
  else if (trimmed.ndim === 0 && sliced.ndim > 0) sliced.fill_(trimmed);
  else sliced.copy_(trimmed);
  return x;
}
