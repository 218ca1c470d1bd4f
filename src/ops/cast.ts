import { record } from '../autograd/node.js';
import { checkDType, isFloat, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { copyAs } from './util.js';

/** Convert to another dtype; returns `x` itself when the dtype already matches (as torch's .to). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, 'to');
  if (x.dtype === dtype) return x;
  const out = copyAs(x, dtype);
  if (isFloat(dtype)) record(out, 'ToCopyBackward0', [x], (g) => [g.to(x.dtype)]);
  return out;
}

/** A contiguous copy that is still part of the graph. */
export function clone(x: Tensor): Tensor {
  return record(copyAs(x, x.dtype), 'CloneBackward0', [x], (g) => [g]);
}
