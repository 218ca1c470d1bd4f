import { record } from '../autograd/node.js';
import { checkDType, isFloat, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { copyAs } from './util.js';

/** Convert to another dtype; returns `x` itself when the dtype already matches (as torch's .to). */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType(dtype, 'to');
  if (x.dtype === dtype) return x;
  const out = copyAs(x, dtype);
  if (isFloat(x.dtype) && dtype === 'int32') saturateInvalidInt32(x, out);
  if (isFloat(dtype)) record(out, 'ToCopyBackward0', [x], (g) => [g.to(x.dtype)]);
  return out;
}

/** A contiguous copy that is still part of the graph. */
export function clone(x: Tensor): Tensor {
  return record(copyAs(x, x.dtype), 'CloneBackward0', [x], (g) => [g]);
}

/**
 * A float with no int32 value (NaN, ±inf, beyond ±2^31) converts to −2^31 in PyTorch on x86 (the
 * processor's "integer indefinite"), where a typed array would wrap it modulo 2^32 or give 0.
 */
function saturateInvalidInt32(x: Tensor, out: Tensor): void {
  const values = x.contiguous().data();
  const o = out.storage;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v > -2147483649 && v < 2147483648)) o[i] = -2147483648;
  }
}
