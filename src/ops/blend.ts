/**
 * Pointwise blends of several tensors, as PyTorch 1.13: lerp, addcmul, addcdiv, and nanToNum. Each is one
 * recorded node with torch's name whose gradient is made of differentiable ops (double backward works).
 */
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes, resultType, type DType } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { checkTensor, copyAs, describe, sumToShape, toTensorLike } from './util.js';
import { where } from './unary.js';

/**
 * start + weight·(end − start), computed as torch 1.13's CPU kernel does: `start + weight·(end − start)` where
 * weight < 0.5 (its test is written |weight| < 0.5, but its abs of a real number is the number itself),
 * else `end − (end − start)·(1 − weight)` (exact at weight 1). start, end (and a tensor weight) must share
 * one floating dtype, as in torch; all three broadcast. LerpBackward0 (number weight) / LerpBackward1.
 */
export function lerp(start: Tensor, end: Tensor, weight: TensorLike): Tensor {
  const op = 'lerp';
  checkTensor(start, op);
  checkTensor(end, op, 'end');
  if (!isFloat(start.dtype)) throw new Error(`${op}: not implemented for ${start.dtype} tensors (start, end and weight must be float32 or float64)`);
  if (end.dtype !== start.dtype) throw new Error(`${op}: expected dtype ${start.dtype} for \`end\` but got dtype ${end.dtype}`);
  if (weight instanceof Tensor) {
    if (weight.dtype !== start.dtype) throw new Error(`${op}: expected dtype ${start.dtype} for \`weight\` but got dtype ${weight.dtype}`);
  } else if (typeof weight !== 'number') {
    throw new Error(`${op}: weight must be a number or a Tensor, got ${describe(weight)}`);
  }
  const w = weight;
  const shape = broadcastShapes(start.shape, end.shape, op);
  if (w instanceof Tensor) broadcastShapes(shape, w.shape, op);
  const out = noGrad(() => {
    const diff = end.sub(start);
    if (typeof w === 'number') return w < 0.5 ? start.add(diff.mul(w)) : end.sub(diff.mul(1 - w));
    const small = w.lt(0.5);
    return where(small, start.add(w.mul(diff)), end.sub(diff.mul(w.neg().add(1))));
  });
  if (typeof w === 'number') {
    return record(out, 'LerpBackward0', [start, end], (g) => [
      start.requiresGrad ? sumToShape(g.mul(1 - w), start.shape) : null,
      end.requiresGrad ? sumToShape(g.mul(w), end.shape) : null,
    ]);
  }
  return record(out, 'LerpBackward1', [start, end, w], (g) => [
    start.requiresGrad ? sumToShape(g.mul(w.neg().add(1)), start.shape) : null,
    end.requiresGrad ? sumToShape(g.mul(w), end.shape) : null,
    w.requiresGrad ? sumToShape(g.mul(end.sub(start)), w.shape) : null,
  ], [start, end, w]);
}

/** The common dtype of three operands (PyTorch's result_type, with its 0-d rule applied pairwise). */
function commonDType(...ts: Tensor[]): DType {
  const promoted = (list: Tensor[]) => list.map((t) => t.dtype).reduce(promoteTypes);
  const dimensioned = ts.filter((t) => t.ndim > 0);
  const zeroDim = ts.filter((t) => t.ndim === 0);
  if (dimensioned.length === 0 || zeroDim.length === 0) return promoted(ts);
  return resultType({ dtype: promoted(dimensioned), ndim: 1 }, { dtype: promoted(zeroDim), ndim: 0 });
}

interface ValueOptions {
  value?: number;
}

function ternaryOperands(op: string, x: TensorLike, t1: TensorLike, t2: TensorLike): [Tensor, Tensor, Tensor, DType] {
  const first = [x, t1, t2].find((v) => v instanceof Tensor) as Tensor | undefined;
  if (!first) throw new Error(`${op}: expected Tensor arguments, got ${describe(x)}, ${describe(t1)}, ${describe(t2)}`);
  const [a, b, c] = [x, t1, t2].map((v, i) => {
    if (!(v instanceof Tensor) && typeof v !== 'number') throw new Error(`${op}: argument ${i} must be a Tensor, got ${describe(v)}`);
    return toTensorLike(v, first.dtype);
  });
  const dtype = commonDType(a, b, c);
  broadcastShapes(broadcastShapes(a.shape, b.shape, op), c.shape, op);
  return [a.to(dtype), b.to(dtype), c.to(dtype), dtype];
}

/** x + value·t1·t2 (promoting the three dtypes; an integer result truncates value as torch). AddcmulBackward0. */
export function addcmul(x: TensorLike, t1: TensorLike, t2: TensorLike, options: ValueOptions = {}): Tensor {
  const op = 'addcmul';
  const [a, b, c, dtype] = ternaryOperands(op, x, t1, t2);
  if (dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors (convert with .int() or .float() first)`);
  const value = isFloat(dtype) ? (options.value ?? 1) : Math.trunc(options.value ?? 1);
  const out = noGrad(() => b.mul(value).mul(c).add(a));
  if (!needsGrad(a, b, c)) return out;
  return record(out, 'AddcmulBackward0', [a, b, c], (g) => [
    a.requiresGrad ? sumToShape(g, a.shape) : null,
    b.requiresGrad ? sumToShape(g.mul(c).mul(value), b.shape) : null,
    c.requiresGrad ? sumToShape(g.mul(b).mul(value), c.shape) : null,
  ], [b.requiresGrad || c.requiresGrad ? b : null, b.requiresGrad || c.requiresGrad ? c : null]);
}

/** x + value·t1/t2 (promoting the three dtypes; integer t1 and t2 are refused, as torch). AddcdivBackward0. */
export function addcdiv(x: TensorLike, t1: TensorLike, t2: TensorLike, options: ValueOptions = {}): Tensor {
  const op = 'addcdiv';
  const integral = (v: TensorLike) => (v instanceof Tensor ? !isFloat(v.dtype) : Number.isInteger(v));
  if (integral(t1) && integral(t2)) {
    throw new Error(
      `${op}: integer division with addcdiv is no longer supported (tensor1 ${describe(t1)}, tensor2 ${describe(t2)}); ` +
        'use (input + value * trunc(tensor1 / tensor2)).to(input.dtype) for the historic behaviour, or float tensors',
    );
  }
  const [a, b, c] = ternaryOperands(op, x, t1, t2);
  const value = options.value ?? 1;
  const out = noGrad(() => b.mul(value).div(c).add(a));
  if (!needsGrad(a, b, c)) return out;
  return record(out, 'AddcdivBackward0', [a, b, c], (g) => [
    a.requiresGrad ? sumToShape(g, a.shape) : null,
    b.requiresGrad ? sumToShape(g.mul(value).div(c), b.shape) : null,
    c.requiresGrad ? sumToShape(g.mul(b).mul(-value).div(c.square()), c.shape) : null,
  ], [b.requiresGrad || c.requiresGrad ? c : null, c.requiresGrad ? b : null]);
}

export interface NanToNumOptions {
  nan?: number;
  posinf?: number | null;
  neginf?: number | null;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * NaN → nan (default 0), +∞ → posinf, −∞ → neginf (default: the dtype's largest / lowest finite value).
 * Integer and bool tensors are copied unchanged. NanToNumBackward0: the gradient passes where x is finite.
 */
export function nanToNum(x: Tensor, options: NanToNumOptions = {}): Tensor {
  checkTensor(x, 'nanToNum');
  const out = copyAs(x, x.dtype);
  if (isFloat(x.dtype)) {
    const max = x.dtype === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
    const nan = options.nan ?? 0;
    const posinf = options.posinf ?? max;
    const neginf = options.neginf ?? -max;
    const d = out.storage;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v !== v) d[i] = nan;
      else if (v === Infinity) d[i] = posinf;
      else if (v === -Infinity) d[i] = neginf;
    }
  }
  return record(out, 'NanToNumBackward0', [x], (g) => [g.mul(x.isfinite())], [x]);
}
