/**
 * Vector and tensor products, as PyTorch 1.13: outer (a broadcast mul, MulBackward0 as torch), kron (mul
 * of interleaved views, UnsafeViewBackward0 as torch) and cross (one LinalgCrossBackward0 node).
 */
import { record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { broadcastShapes, contiguousStrides, normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mul, sub } from './binary.js';
import { stack } from './join.js';
import { checkTensor, sumToShape } from './util.js';

/** a[i]·b[j] for 1-D a and b (dtypes promote as mul). */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'outer');
  checkTensor(b, 'outer', 'vec2');
  if (a.ndim !== 1) throw new Error(`outer: Expected 1-D argument self, but got ${a.ndim}-D (shape ${shapeStr(a.shape)})`);
  if (b.ndim !== 1) throw new Error(`outer: Expected 1-D argument vec2, but got ${b.ndim}-D (shape ${shapeStr(b.shape)})`);
  return mul(a.reshape([-1, 1]), b);
}

/** Kronecker product: block (i…) of the result is a[i…]·b (the shorter shape padded with leading 1s). */
export function kron(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'kron');
  checkTensor(b, 'kron', 'other');
  const rank = Math.max(a.ndim, b.ndim);
  const as = [...new Array<number>(rank - a.ndim).fill(1), ...a.shape];
  const bs = [...new Array<number>(rank - b.ndim).fill(1), ...b.shape];
  const product = mul(a.reshape(as.flatMap((d) => [d, 1])), b.reshape(bs.flatMap((d) => [1, d])));
  const shape = as.map((d, i) => d * bs[i]);
  // The product is a fresh contiguous tensor: view it as the result, recorded as torch's _unsafe_view.
  const out = new Tensor(product.storage, shape, contiguousStrides(shape), product.offset, product.dtype);
  return record(out, 'UnsafeViewBackward0', [product], (g) => [g.reshape(product.shape)]);
}

let warnedCrossDim = false;

/**
 * Cross product of 3-vectors along `dim` (a and b have the same rank and broadcast; same dtype). Without
 * dim, torch.cross's deprecated default: the first dim of a of size 3 (warns once, as torch).
 */
export function cross(a: Tensor, b: Tensor, dim?: number | null): Tensor {
  const op = 'cross';
  checkTensor(a, op);
  checkTensor(b, op, 'other');
  let d: number;
  if (dim === undefined || dim === null) {
    d = a.shape.indexOf(3);
    if (d < 0) throw new Error(`${op}: no dimension of size 3 in input (shape ${shapeStr(a.shape)}); pass dim`);
    if (!warnedCrossDim) {
      warnedCrossDim = true;
      console.warn('cross: using the default dim (the first dim of size 3) is deprecated, as in PyTorch 1.13; pass dim explicitly');
    }
  } else {
    d = normalizeDim(dim, a.ndim, op);
  }
  if (a.ndim !== b.ndim) {
    throw new Error(`${op}: inputs must have the same number of dimensions, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  if (a.shape[d] !== 3 || b.shape[d] !== 3) {
    throw new Error(`${op}: inputs dimension ${d} must have length 3. Got ${a.shape[d]} and ${b.shape[d]}`);
  }
  if (a.dtype !== b.dtype) throw new Error(`${op}: expected both inputs to have the same dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors`);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = noGrad(() => crossAlong(a.expand(shape), b.expand(shape), d));
  return record(out, 'LinalgCrossBackward0', [a, b], (g) => [
    a.requiresGrad ? sumToShape(cross(b.expand(shape), g, d), a.shape) : null,
    b.requiresGrad ? sumToShape(cross(g, a.expand(shape), d), b.shape) : null,
  ], [a.requiresGrad || b.requiresGrad ? a : null, a.requiresGrad ? b : null]);
}

function crossAlong(a: Tensor, b: Tensor, d: number): Tensor {
  const [a0, a1, a2] = [0, 1, 2].map((i) => a.select(d, i));
  const [b0, b1, b2] = [0, 1, 2].map((i) => b.select(d, i));
  return stack([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), sub(mul(a0, b1), mul(a1, b0))], d);
}
