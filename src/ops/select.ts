/**
 * Data-dependent selection and writes: nonzero, argwhere, maskedSelect, scatter, take (PyTorch 1.13
 * semantics; index tensors and returned positions are int32 where torch uses int64).
 */
import { linearInGrad, needsGrad, record } from '../autograd/node.js';
import { broadcastShapes, contiguousStrides, normalizeDim, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, describe, empty, sumToShape } from './util.js';
import { gather, indexArray } from './indexing.js';
import { pad } from './pad.js';

/**
 * The positions of the non-zero elements: an int32 [count, rank] tensor (torch.nonzero), or with
 * { asTuple: true } one 1-D tensor of positions per dimension (a 0-d input counts as 1-D).
 */
export function nonzero(x: Tensor): Tensor;
export function nonzero(x: Tensor, options: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options?: { asTuple?: boolean }): Tensor | Tensor[];
export function nonzero(x: Tensor, options: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  checkTensor(x, 'nonzero');
  const data = x.contiguous().data();
  const shape = x.shape;
  const rank = shape.length;
  let count = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) count++;
  if (options?.asTuple) {
    const dims = Math.max(rank, 1);
    const outs = Array.from({ length: dims }, () => empty([count], 'int32'));
    const cols = outs.map((o) => o.storage);
    let row = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 0) continue;
      let rest = i;
      for (let k = rank - 1; k >= 0; k--) {
        cols[k][row] = rest % shape[k];
        rest = Math.floor(rest / shape[k]);
      }
      row++;
    }
    return outs;
  }
  const out = empty([count, rank], 'int32');
  const o = out.storage;
  let row = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    let rest = i;
    for (let k = rank - 1; k >= 0; k--) {
      o[row * rank + k] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
    row++;
  }
  return out;
}

/** torch.argwhere: nonzero(x) as a [count, rank] tensor. */
export function argwhere(x: Tensor): Tensor {
  checkTensor(x, 'argwhere');
  return nonzero(x);
}

/** The elements of x where the bool mask is true (both broadcast to a common shape), as a 1-D tensor. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkTensor(x, 'maskedSelect');
  checkTensor(mask, 'maskedSelect', 'mask');
  if (mask.dtype !== 'bool') throw new Error(`maskedSelect: mask must be a bool tensor, got ${mask.dtype} (shape ${shapeStr(mask.shape)})`);
  const shape = broadcastShapes(x.shape, mask.shape, 'maskedSelect');
  const values = x.detach().expand(shape).contiguous().data();
  const m = mask.expand(shape).contiguous().data();
  let count = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) count++;
  const out = empty([count], x.dtype);
  const o = out.storage;
  for (let i = 0, k = 0; i < m.length; i++) if (m[i]) o[k++] = values[i];
  if (!needsGrad(x)) return out;
  const fullMask = new Tensor(m, shape, undefined, 0, 'bool');
  return record(out, 'MaskedSelectBackward0', [x], (g) => {
    const full = empty(shape, g.dtype);
    const gd = g.contiguous().data();
    const f = full.storage;
    for (let i = 0, k = 0; i < m.length; i++) if (m[i]) f[i] = gd[k++];
    return [sumToShape(linearInGrad(full, g, 'MaskedScatterBackward0', (gg) => maskedSelect(gg, fullMask)), x.shape)];
  });
}

export interface ScatterOptions {
  /** Combine with the existing value instead of overwriting: 'add' or 'multiply' (not differentiable, as in PyTorch). */
  reduce?: 'add' | 'multiply';
}

/**
 * A copy of x with values written at `index` along `dim` (torch.scatter): out[index[i][j]][j] = src[i][j]
 * for dim 0, src a tensor (only its leading window of index's shape is read) or a number; with
 * { reduce } the value is added or multiplied in. Where index repeats a position, the last write wins.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number, options: ScatterOptions = {}): Tensor {
  checkTensor(x, 'scatter');
  checkTensor(index, 'scatter', 'index');
  const d = normalizeDim(dim, x.ndim, 'scatter');
  const reduce = options?.reduce;
  if (reduce !== undefined && reduce !== 'add' && reduce !== 'multiply') {
    throw new Error(`scatter: reduce must be 'add' or 'multiply', got ${JSON.stringify(reduce)}`);
  }
  const srcTensor = src instanceof Tensor ? src : null;
  if (!srcTensor && typeof src !== 'number' && typeof src !== 'boolean') {
    throw new Error(`scatter: src must be a Tensor or a number, got ${describe(src)}`);
  }
  if (index.ndim !== x.ndim && !(index.ndim <= 1 && x.ndim <= 1)) {
    throw new Error(`scatter: index (shape ${shapeStr(index.shape)}) must have the same number of dimensions as the input (shape ${shapeStr(x.shape)})`);
  }
  if (srcTensor) {
    if (srcTensor.dtype !== x.dtype) throw new Error(`scatter: src dtype (${srcTensor.dtype}) must equal the input's dtype (${x.dtype})`);
    if (srcTensor.ndim !== index.ndim && !(srcTensor.ndim <= 1 && index.ndim <= 1)) {
      throw new Error(`scatter: index (shape ${shapeStr(index.shape)}) must have the same number of dimensions as src (shape ${shapeStr(srcTensor.shape)})`);
    }
  }
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const iShape = index.ndim === 0 ? [1] : index.shape;
  const sShape = srcTensor ? (srcTensor.ndim === 0 ? [1] : srcTensor.shape) : iShape;
  if (sizeOf(iShape) > 0 && iShape.some((s, k) => s > sShape[k] || (k !== d && s > xShape[k]))) {
    throw new Error(
      `scatter: expected index ${shapeStr(index.shape)} to be no larger than the input ${shapeStr(x.shape)} apart from dimension ${d}` +
        (srcTensor ? ` and no larger than src ${shapeStr(srcTensor.shape)}` : ''),
    );
  }
  const idx = indexArray(index, xShape[d], 'scatter', false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const out = x.detach().clone();
  const o = out.storage;
  const sData = srcTensor ? srcTensor.contiguous().data() : null;
  let scalar = typeof src === 'number' ? src : src ? 1 : 0;
  if (!srcTensor && x.dtype === 'int32' && !(scalar >= -(2 ** 31) && scalar < 2 ** 31)) {
    throw new Error(`scatter: value ${scalar} cannot be converted to int32 without overflow`);
  }
  if (x.dtype === 'bool') scalar = scalar ? 1 : 0;
  const xStr = contiguousStrides(xShape);
  const sStr = contiguousStrides(sShape);
  const rank = iShape.length;
  const pos = new Array<number>(rank).fill(0);
  const isBool = x.dtype === 'bool';
  let xo = 0;
  let so = 0;
  for (let e = 0; e < idx.length; e++) {
    const target = xo + idx[e] * xStr[d];
    const value = sData ? sData[so] : scalar;
    if (reduce === 'add') o[target] = isBool ? (o[target] || value ? 1 : 0) : o[target] + value;
    else if (reduce === 'multiply') o[target] = isBool ? (o[target] && value ? 1 : 0) : o[target] * value;
    else o[target] = value;
    for (let k = rank - 1; k >= 0; k--) {
      pos[k]++;
      if (k !== d) xo += xStr[k];
      so += sStr[k];
      if (pos[k] < iShape[k]) break;
      if (k !== d) xo -= xStr[k] * iShape[k];
      so -= sStr[k] * iShape[k];
      pos[k] = 0;
    }
  }
  if (!needsGrad(x, srcTensor)) return out;
  if (reduce !== undefined) {
    // torch records scatter with reduce as NotImplemented: backward through it raises.
    return record(out, 'NotImplemented', srcTensor ? [x, srcTensor] : [x], () => {
      throw new Error(`scatter: the derivative of scatter with reduce='${reduce}' is not implemented (as in PyTorch)`);
    });
  }
  if (!srcTensor) return record(out, 'ScatterBackward1', [x], (g) => [scatter(g, d, index, 0)]);
  return record(out, 'ScatterBackward0', [x, srcTensor], (g) => [
    x.requiresGrad ? scatter(g, d, index, 0) : null,
    srcTensor.requiresGrad ? padToShape(gather(g, d, index), srcTensor.shape) : null,
  ]);
}

/** Zero-pad g at the end of each dim up to `shape` (src's gradient outside index's window). */
function padToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.ndim !== shape.length || g.shape.every((s, i) => s === shape[i])) return g.reshape(shape);
  const amounts: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) amounts.push(0, shape[k] - g.shape[k]);
  return pad(g, amounts);
}

/** Elements of x (read as 1-D) at the int32 positions `index` (negative ones count from the end); shape of index. */
export function take(x: Tensor, index: Tensor): Tensor {
  checkTensor(x, 'take');
  checkTensor(index, 'take', 'index');
  const idx = indexArray(index, x.size, 'take', true, `the flattened input (shape ${shapeStr(x.shape)})`);
  const data = x.contiguous().data();
  const out = empty(index.shape, x.dtype);
  const o = out.storage;
  for (let i = 0; i < idx.length; i++) o[i] = data[idx[i]];
  if (!needsGrad(x)) return out;
  return record(out, 'TakeBackward0', [x], (g) => {
    const gx = empty(x.shape, g.dtype);
    const gd = g.contiguous().data();
    const f = gx.storage;
    for (let i = 0; i < idx.length; i++) f[idx[i]] += gd[i];
    return [linearInGrad(gx, g, 'PutBackward0', (gg) => take(gg, index))];
  });
}
