import { kernels } from '../backend/registry.js';
import { forEachRow } from '../backend/js/strided.js';
import { arrayFor, promoteWithScalar, type DType, type TypedArray } from '../tensor/dtype.js';
import { sameShape, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';

/** A new contiguous tensor of zeros. */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(arrayFor(dtype, sizeOf(shape)), [...shape], undefined, 0, dtype);
}

/**
 * A new contiguous tensor whose contents are unspecified: only for outputs that the kernel writes in full
 * (on the native backend, large float32/int32 tensors reuse recycled memory instead of zero-filled pages).
 */
export function uninitialized(shape: readonly number[], dtype: DType): Tensor {
  const size = sizeOf(shape);
  const data = kernels().uninitializedArray?.(dtype, size);
  return data ? new Tensor(data, [...shape], undefined, 0, dtype) : empty(shape, dtype);
}

/** A 0-d tensor holding a JS number, typed to combine with a tensor of `like` dtype. */
export function scalarTensor(value: number, dtype: DType): Tensor {
  const t = empty([], dtype);
  t.storage[0] = value;
  return t;
}

/** Tensor arguments may be plain numbers (t.mul(0.5)); a number takes the other operand's dtype rules. */
export function toTensorLike(x: TensorLike | boolean, likeDType: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'boolean') return scalarTensor(x ? 1 : 0, 'bool');
  if (typeof x !== 'number') throw new Error(`expected a Tensor or a number, got ${describe(x)}`);
  return scalarTensor(x, promoteWithScalar(likeDType, x));
}

export function describe(x: unknown): string {
  if (x instanceof Tensor) return `Tensor${shapeStr(x.shape)} ${x.dtype}`;
  if (Array.isArray(x)) return 'an array';
  return x === null ? 'null' : typeof x;
}

export function checkTensor(x: unknown, op: string, name = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
  return x;
}

export function checkFloat(x: Tensor, op: string, name = 'input'): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new Error(`${op}: ${name} must be a floating-point tensor (float32 or float64), got ${x.dtype}`);
  }
}

/** A view of `x` broadcast to `shape` (stride 0 on stretched dims), for kernels. */
export function broadcastView(x: Tensor, shape: readonly number[]) {
  const lead = shape.length - x.ndim;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead];
    return xd === 1 && d !== 1 ? 0 : x.strides[i - lead];
  });
  return { data: x.storage, shape, strides, offset: x.offset };
}

/** Sum a gradient over the dims that broadcasting stretched, back to `shape`. */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < grad.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) dims.push(i);
  }
  let g = dims.length ? grad.sum(dims, true) : grad;
  if (lead > 0) g = g.reshape(shape);
  return g;
}

/** Write contiguous `src` (same number of elements) into the strided window `dst`. */
export function writeStrided(dst: Tensor, src: Tensor): void {
  const out = dst.storage;
  const values = src.contiguous();
  const vd = values.storage;
  const vOffset = values.offset;
  if (dst.isContiguous()) {
    if (dst.dtype === 'bool') for (let i = 0; i < dst.size; i++) out[dst.offset + i] = vd[vOffset + i] ? 1 : 0;
    else out.set(vd.subarray(vOffset, vOffset + dst.size) as never, dst.offset);
    return;
  }
  let k = vOffset;
  forEachRow(dst.shape, [dst], (offs, len, st) => {
    for (let i = 0, o = offs[0]; i < len; i++, o += st[0]) out[o] = vd[k++];
  });
}

/** Contiguous copy of a tensor's elements into a new array of `dtype` (bool casts by truthiness). */
export function copyAs(x: Tensor, dtype: DType): Tensor {
  const out = uninitialized(x.shape, dtype);
  if (dtype === 'bool' && x.dtype !== 'bool') {
    kernels().binary('ne', x.strided, broadcastView(scalarTensor(0, x.dtype), x.shape), out.storage);
  } else {
    kernels().copy(x.strided, out.storage);
  }
  return out;
}

/** The rows along dim d of a contiguous copy: row (o, i) starts at o·n·inner + i with stride inner. */
export interface Rows {
  data: TypedArray;
  outer: number;
  n: number;
  inner: number;
}

/** `x`'s rows along dim d (a 0-d tensor is one row of one element). */
export function rowsOf(x: Tensor, d: number): Rows {
  const shape = x.ndim === 0 ? [1] : x.shape;
  return { data: x.contiguous().data(), outer: sizeOf(shape.slice(0, d)), n: shape[d], inner: sizeOf(shape.slice(d + 1)) };
}
