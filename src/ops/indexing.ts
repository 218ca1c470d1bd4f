import { kernels } from '../backend/registry.js';
import { linearInGrad, needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty } from './util.js';

/** Index tensor as contiguous int32, each value checked against `limit` (negative values count from the end where allowed). */
export function indexArray(index: Tensor | readonly number[], limit: number, op: string, allowNegative: boolean, where = ''): Int32Array {
  const t = index instanceof Tensor ? index : null;
  if (t && t.dtype !== 'int32') throw new Error(`${op}: index must be an int32 tensor, got ${t.dtype}`);
  const values = t ? (t.contiguous().data() as Int32Array) : Int32Array.from(index as number[]);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (allowNegative && v < 0) v += limit;
    if (!(v >= 0 && v < limit)) throw new Error(`${op}: index ${values[i]} is out of bounds for ${where || 'dimension'} of size ${limit}`);
    out[i] = v;
  }
  return out;
}

/** out[i][j] = x[index[i][j]][j] (for dim 0), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor(x, 'gather');
  checkTensor(index, 'gather', 'index');
  const d = normalizeDim(dim, x.ndim, 'gather');
  if (index.ndim !== x.ndim) throw new Error(`gather: index rank ${index.ndim} must equal input rank ${x.ndim}`);
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]) {
      throw new Error(`gather: index shape ${shapeStr(index.shape)} exceeds input shape ${shapeStr(x.shape)} at dimension ${i}`);
    }
  });
  // A 0-d tensor gathers as a 1-element vector (its one dim has size 1).
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const indexShape = index.ndim === 0 ? [1] : index.shape;
  const idx = indexArray(index, xShape[d], 'gather', false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const input = x.contiguous();
  const out = empty(index.shape, x.dtype);
  kernels().gather(input.data(), xShape, d, idx, indexShape, out.storage);
  if (!needsGrad(x)) return out;
  return record(out, 'GatherBackward0', [x], (g) => [
    linearInGrad(scatterAddInto(empty(xShape, g.dtype), d, idx, indexShape, g).reshape(x.shape), g, 'GatherBackwardBackward0', (gg) => gather(gg, d, index)),
  ]);
}

function scatterAddInto(target: Tensor, dim: number, idx: Int32Array, indexShape: readonly number[], src: Tensor, shape = target.shape): Tensor {
  kernels().scatterAdd(src.contiguous().data(), indexShape, dim, idx, target.storage, shape);
  return target;
}

/** A copy of x with src added at the gathered positions: out[index[i][j]][j] += src[i][j] (dim 0). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor(x, 'scatterAdd');
  checkTensor(index, 'scatterAdd', 'index');
  checkTensor(src, 'scatterAdd', 'src');
  const d = normalizeDim(dim, x.ndim, 'scatterAdd');
  if (src.dtype !== x.dtype) throw new Error(`scatterAdd: src dtype (${src.dtype}) must equal the input's dtype (${x.dtype})`);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(`scatterAdd: index (rank ${index.ndim}), src (rank ${src.ndim}) and input (rank ${x.ndim}) must have the same rank`);
  }
  index.shape.forEach((s, i) => {
    if (s > src.shape[i] || (i !== d && s > x.shape[i])) {
      throw new Error(
        `scatterAdd: index shape ${shapeStr(index.shape)} must not exceed src shape ${shapeStr(src.shape)} in any dimension, ` +
          `nor input shape ${shapeStr(x.shape)} outside dimension ${d}`,
      );
    }
  });
  // A 0-d tensor scatters as a 1-element vector (as in gather).
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const indexShape = index.ndim === 0 ? [1] : index.shape;
  const idx = indexArray(index, xShape[d], 'scatterAdd', false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const out = scatterAddInto(x.clone().detach(), d, idx, indexShape, leadingWindow(src, index.shape), xShape);
  // Bools add as a logical or (true + true is true), as in PyTorch: keep the storage 0/1.
  if (out.dtype === 'bool') out.storage.forEach((v, i, s) => (s[i] = v ? 1 : 0));
  if (!needsGrad(x, src)) return out;
  return record(out, 'ScatterAddBackward0', [x, src], (g) => {
    const gs = empty(index.shape, g.dtype);
    kernels().gather(g.contiguous().data(), xShape, d, idx, indexShape, gs.storage);
    return [g, padTo(gs, src.shape)];
  });
}

function padTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.every((s, i) => s === shape[i])) return g;
  const full = empty(shape, g.dtype);
  leadingWindow(full, g.shape).copy_(g);
  return full;
}

/** The leading window of `t` with `shape` (scatter uses only the part of src that index covers). */
function leadingWindow(t: Tensor, shape: readonly number[]): Tensor {
  return shape.reduce((w, s, i) => w.narrow(i, 0, s), t);
}

/** The entries of x at `index` along `dim` (index: 1-D int32 tensor or number list). */
export function indexSelect(x: Tensor, dim: number, index: Tensor | readonly number[]): Tensor {
  checkTensor(x, 'indexSelect');
  const d = normalizeDim(dim, x.ndim, 'indexSelect');
  if (index instanceof Tensor && index.ndim > 1) throw new Error(`indexSelect: index must be 1-D, got shape ${shapeStr(index.shape)}`);
  const shape = x.ndim === 0 ? [1] : x.shape;
  const idx = indexArray(index, shape[d], 'indexSelect', false, `dimension ${d} (input shape ${shapeStr(x.shape)})`);
  const outShape = [...shape];
  outShape[d] = idx.length;
  const out = empty(x.ndim === 0 ? [] : outShape, x.dtype);
  kernels().indexSelect(x.contiguous().data(), shape, d, idx, out.storage);
  if (!needsGrad(x)) return out;
  return record(out, 'IndexSelectBackward0', [x], (g) => {
    const gx = empty(x.shape, g.dtype);
    kernels().indexAdd(g.contiguous().data(), shape, d, idx, gx.storage);
    return [linearInGrad(gx, g, 'IndexSelectBackwardBackward0', (gg) => indexSelect(gg, d, index))];
  });
}

/**
 * Rows of `weight` [num, dim] picked by int32 `indices` of any shape: [...indices.shape, dim], one
 * EmbeddingBackward0 node as torch.embedding; rows at paddingIdx get no gradient, and `gradScale`
 * ([indices.size, 1], optional) scales the gradient of each picked row (scale_grad_by_freq).
 */
export function embeddingRows(weight: Tensor, indices: Tensor, paddingIdx: number | null, gradScale: Tensor | null = null): Tensor {
  const flat = indices.contiguous().view([-1]);
  const dim = weight.shape[1];
  const out = noGrad(() => indexSelect(weight, 0, flat).view([...indices.shape, dim]));
  if (!needsGrad(weight)) return out;
  return record(out, 'EmbeddingBackward0', [weight], (g) => {
    let rows = g.reshape([flat.size, dim]);
    if (gradScale) rows = rows.mul(gradScale);
    if (paddingIdx !== null) rows = rows.maskedFill(flat.eq(paddingIdx).unsqueeze(-1), 0);
    const gw = empty(weight.shape, g.dtype);
    kernels().indexAdd(rows.contiguous().data(), weight.shape, 0, flat.data() as Int32Array, gw.storage);
    return [linearInGrad(gw, rows, 'EmbeddingBackwardBackward0', (gg) => indexSelect(gg, 0, flat))];
  });
}

/** One-hot encoding of int32 class indices: shape [..., numClasses], int32 (numClasses = max + 1 when -1). */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  checkTensor(x, 'oneHot');
  if (x.dtype !== 'int32') throw new Error(`oneHot: expects an int32 tensor of class indices, got ${x.dtype}`);
  const values = x.contiguous().data();
  let classes = numClasses;
  if (classes === -1) {
    if (values.length === 0) throw new Error('oneHot: cannot infer the number of classes from an empty tensor; pass numClasses');
    classes = (values as Int32Array).reduce((m, v) => Math.max(m, v), -Infinity) + 1;
  }
  const out = empty([...x.shape, classes], 'int32');
  values.forEach((v, i) => {
    if (v < 0 || v >= classes) throw new Error(`oneHot: class value ${v} is outside [0, ${classes})`);
    out.storage[i * classes + v] = 1;
  });
  return out;
}
