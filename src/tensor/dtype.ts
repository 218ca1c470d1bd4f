import type { DType } from '../backend/interface.js';

export type { DType, TypedArray } from '../backend/interface.js';
export { arrayFor, dtypeOf } from '../backend/interface.js';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Result dtype of a binary op between two tensors (PyTorch's promotion, for our dtypes). */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

const CATEGORY: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 2 };

/**
 * Result dtype of a binary op between two tensors, with PyTorch's rule for 0-d tensors: when one
 * operand is 0-d and the other is not, the 0-d one decides only if its category (bool < integer <
 * float) is higher, so float32[n] + float64 0-d is float32 but int32[n] + float64 0-d is float64.
 */
export function resultType(a: { dtype: DType; ndim: number }, b: { dtype: DType; ndim: number }): DType {
  if ((a.ndim === 0) !== (b.ndim === 0)) {
    const [dimensioned, zeroDim] = a.ndim === 0 ? [b, a] : [a, b];
    return CATEGORY[zeroDim.dtype] > CATEGORY[dimensioned.dtype] ? zeroDim.dtype : dimensioned.dtype;
  }
  return promoteTypes(a.dtype, b.dtype);
}

/**
 * Result dtype of a tensor combined with a JS number: a number never widens a
 * float tensor; a fractional number turns an integer tensor into float32.
 */
export function promoteWithScalar(t: DType, value: number): DType {
  if (isFloat(t)) return t;
  if (!Number.isInteger(value)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}

/**
 * PyTorch refuses to store a number an integer tensor cannot hold (NaN, ±inf, out of range: "value cannot be
 * converted to type int64_t without overflow"), where a typed array would silently wrap it or make it 0.
 */
export function checkIntegerValue(dtype: DType, value: number | boolean, op: string): void {
  if (dtype === 'int32' && !(Number(value) > -2147483649 && Number(value) < 2147483648)) {
    throw new Error(`${op}: value ${value} cannot be converted to dtype int32 without overflow`);
  }
}

export function checkDType(dtype: string, op: string): DType {
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new Error(`${op}: unknown dtype '${dtype}'; expected one of ${DTYPES.join(', ')}`);
  }
  return dtype as DType;
}
