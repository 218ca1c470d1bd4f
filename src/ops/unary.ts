import type { ScalarOp, UnaryOp } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { needsGrad, record } from '../autograd/node.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes, promoteWithScalar, resultType, type DType } from '../tensor/dtype.js';
import { broadcastShapes, shapeStr } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { broadcastView, checkTensor, empty, sumToShape, toTensorLike, uninitialized } from './util.js';
import { maximum, minimum } from './binary.js';

type Kind = 'float' | 'same' | 'bool';
type GradRule = (g: Tensor, x: Tensor, out: Tensor) => Tensor;

/** Run a unary kernel; 'float' ops turn integer inputs into float32 first (as exp(int) does in PyTorch). */
export function unaryOp(op: UnaryOp, name: string, x: Tensor, kind: Kind, grad?: GradRule, nodeName = `${name[0].toUpperCase()}${name.slice(1)}Backward0`): Tensor {
  checkTensor(x, name);
  const input = kind === 'float' && !isFloat(x.dtype) ? x.to('float32') : x;
  const out = uninitialized(x.shape, kind === 'bool' ? 'bool' : input.dtype);
  kernels().unary(op, input.strided, out.storage);
  if (!grad || !needsGrad(input)) return out;
  return record(out, nodeName, [input], (g) => [grad(g, input, out)], savedBy(grad, input, out));
}

/** What a rule saves for backward, as PyTorch would: the output if the rule reads it, else the input if it reads that. */
function savedBy(grad: GradRule, input: Tensor, out: Tensor): Tensor[] {
  return grad.length >= 3 ? [out] : grad.length === 2 ? [input] : [];
}

/** Run a kernel with scalar parameters (a, b) on a floating-point tensor. */
export function scalarOp(op: ScalarOp, name: string, x: Tensor, a: number, b: number, grad?: GradRule): Tensor {
  checkTensor(x, name);
  const out = uninitialized(x.shape, x.dtype);
  kernels().scalar(op, x.strided, a, b, out.storage);
  if (!grad || !needsGrad(x)) return out;
  return record(out, `${name[0].toUpperCase()}${name.slice(1)}Backward0`, [x], (g) => [grad(g, x, out)], savedBy(grad, x, out));
}

/** Zeros of g's shape and dtype (not g·0, which is NaN where g is inf or NaN; torch returns zeros). */
const zeroGrad: GradRule = (g) => empty(g.shape, g.dtype);

/** PyTorch has no bool kernel for these ops (neg, abs, floor, relu, ...): it raises instead of returning the input. */
function rejectBool(x: Tensor, op: string, hint = 'convert with .int() or .float() first'): Tensor {
  checkTensor(x, op);
  if (x.dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors (${hint})`);
  return x;
}

export const neg = (x: Tensor) => unaryOp('neg', 'neg', rejectBool(x, 'neg', 'to invert a mask use logicalNot'), 'same', (g) => g.neg());
export const abs = (x: Tensor) => unaryOp('abs', 'abs', rejectBool(x, 'abs'), 'same', (g, v) => g.mul(v.sign()));
export const sign = (x: Tensor) => unaryOp('sign', 'sign', x, 'same', zeroGrad);
export const exp = (x: Tensor) => unaryOp('exp', 'exp', x, 'float', (g, _v, out) => g.mul(out));
export const log = (x: Tensor) => unaryOp('log', 'log', x, 'float', (g, v) => g.div(v));
/** log2 / log10 as one node each (Log2Backward0 / Log10Backward0, as PyTorch), computed as ln(x) / ln(base). */
export const log2 = (x: Tensor) => logBase(x, Math.LN2, 'Log2Backward0');
export const log10 = (x: Tensor) => logBase(x, Math.LN10, 'Log10Backward0');

function logBase(x: Tensor, lnBase: number, nodeName: string): Tensor {
  const input = isFloat(checkTensor(x, 'log').dtype) ? x : x.to('float32');
  const out = noGrad(() => log(input).mul(1 / lnBase));
  if (!needsGrad(input)) return out;
  return record(out, nodeName, [input], (g) => [g.div(input.mul(lnBase))], [input]);
}
export const sqrt = (x: Tensor) => unaryOp('sqrt', 'sqrt', x, 'float', (g, _v, out) => g.div(out.mul(2)));
export const rsqrt = (x: Tensor) => unaryOp('rsqrt', 'rsqrt', x, 'float', (g, _v, out) => g.mul(out.pow(3)).mul(-0.5));
/** x·x; a bool input squares as an integer tensor (torch.square is pow(x, 2), and bool ** 2 is integral). */
export const square = (x: Tensor) =>
  unaryOp('square', 'square', checkTensor(x, 'square').dtype === 'bool' ? x.to('int32') : x, 'same', (g, v) => g.mul(v).mul(2), 'PowBackward0'); // torch.square is pow(x, 2)
export const reciprocal = (x: Tensor) => unaryOp('reciprocal', 'reciprocal', x, 'float', (g, _v, out) => g.mul(out.square()).neg());
export const sin = (x: Tensor) => unaryOp('sin', 'sin', x, 'float', (g, v) => g.mul(v.cos()));
export const cos = (x: Tensor) => unaryOp('cos', 'cos', x, 'float', (g, v) => g.mul(v.sin()).neg());
export const tanh = (x: Tensor) => unaryOp('tanh', 'tanh', x, 'float', (g, _v, out) => g.mul(out.square().neg().add(1)));
export const sigmoid = (x: Tensor) => unaryOp('sigmoid', 'sigmoid', x, 'float', (g, _v, out) => g.mul(out).mul(out.neg().add(1)));
export const relu = (x: Tensor) => unaryOp('relu', 'relu', rejectBool(x, 'relu'), 'same', (g, _v, out) => reluBackward(g, out));

/** ReLU's input gradient from its output: g where out > 0, else 0, in one kernel. */
function reluBackward(g: Tensor, out: Tensor): Tensor {
  // Recording the backward pass (createGraph): a differentiable form, so g's own gradient flows.
  if (isGradEnabled() && g.requiresGrad) return where(out.gt(0), g, 0);
  const gd = g.to(out.dtype);
  const gx = uninitialized(out.shape, out.dtype);
  kernels().binary('reluBackward', broadcastView(gd, out.shape), out.strided, gx.storage);
  return gx;
}
export const erf = (x: Tensor) =>
  unaryOp('erf', 'erf', x, 'float', (g, v) => g.mul(v.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)));
export const log1p = (x: Tensor) => unaryOp('log1p', 'log1p', x, 'float', (g, v) => g.div(v.add(1)), 'Log1PBackward0');
export const expm1 = (x: Tensor) => unaryOp('expm1', 'expm1', x, 'float', (g, _v, out) => g.mul(out.add(1)));
export const floor = (x: Tensor) => (isFloat(rejectBool(x, 'floor').dtype) ? unaryOp('floor', 'floor', x, 'same', zeroGrad) : x);
export const ceil = (x: Tensor) => (isFloat(rejectBool(x, 'ceil').dtype) ? unaryOp('ceil', 'ceil', x, 'same', zeroGrad) : x);
export const trunc = (x: Tensor) => (isFloat(rejectBool(x, 'trunc').dtype) ? unaryOp('trunc', 'trunc', x, 'same', zeroGrad) : x);

/**
 * Round half to even; with `decimals`, to that many decimal places (negative: to tens, hundreds, ...),
 * computed as PyTorch does in the tensor's own precision: round(x·10^d)/10^d, or round(x/10^−d)·10^−d.
 */
export function round(x: Tensor, options: { decimals?: number } = {}): Tensor {
  rejectBool(x, 'round');
  const decimals = options.decimals ?? 0;
  if (!Number.isInteger(decimals)) throw new Error(`round: decimals must be an integer, got ${decimals}`);
  if (!isFloat(x.dtype)) {
    if (decimals !== 0) throw new Error(`round: decimals is not implemented for ${x.dtype} tensors (convert with .float() first)`);
    return x;
  }
  if (decimals === 0) return unaryOp('round', 'round', x, 'same', zeroGrad);
  const scale = 10 ** Math.abs(decimals);
  return decimals > 0 ? x.mul(scale).round().div(scale) : x.div(scale).round().mul(scale);
}
export const logicalNot = (x: Tensor) => unaryOp('logicalNot', 'logicalNot', x, 'bool');
export const isnan = (x: Tensor) => unaryOp('isnan', 'isnan', x, 'bool');
export const isinf = (x: Tensor) => unaryOp('isinf', 'isinf', x, 'bool');
export const isfinite = (x: Tensor) => isnan(x).logicalOr(isinf(x)).logicalNot();

/**
 * Clamp into [min, max]; either bound may be null. Number bounds use one kernel
 * (gradient passes where min ≤ x ≤ max); tensor bounds broadcast like maximum/minimum.
 */
export function clamp(x: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor {
  checkTensor(x, 'clamp');
  if ((min === null || min === undefined) && (max === null || max === undefined)) {
    throw new Error("clamp: at least one of 'min' or 'max' must not be null");
  }
  if (min instanceof Tensor || max instanceof Tensor) return clampTensor(x, min ?? null, max ?? null);
  const bounds = [min, max].filter((b): b is number => b !== null && b !== undefined);
  // The bounds take part in type promotion as scalars: int with 2.5 is float32, bool with 1 is int32.
  const dtype = bounds.reduce<DType>((d, b) => promoteTypes(d, promoteWithScalar(x.dtype, b)), x.dtype);
  if (bounds.length === 2 && bounds.some(Number.isNaN)) {
    // PyTorch fills the result with NaN when both bounds are given and one is NaN (a lone NaN bound is ignored).
    const input = x.to(dtype);
    const filled = noGrad(() => input.mul(0).add(NaN));
    return needsGrad(input) ? record(filled, 'ClampBackward1', [input], (g) => [g.mul(0)]) : filled;
  }
  // The kernel reads a NaN bound as "no bound".
  const lo = min ?? NaN;
  const hi = max ?? NaN;
  const input = x.to(dtype);
  const out = scalarOp('clamp', 'clamp', input, lo, hi);
  if (!needsGrad(input)) return out;
  // Number bounds are PyTorch's clamp.Scalar overload: ClampBackward1 (tensor bounds give ClampBackward0).
  return record(out, 'ClampBackward1', [input], (g) => {
    // Written as "not (x ≥ lo)" so a NaN input, or a lone NaN bound (which the forward ignores), gives no
    // gradient, as in PyTorch.
    let keep = g;
    if (min !== null && min !== undefined) keep = keep.maskedFill(input.ge(lo).logicalNot(), 0);
    if (max !== null && max !== undefined) keep = keep.maskedFill(input.le(hi).logicalNot(), 0);
    return [keep];
  }, [input]);
}

/**
 * clamp with tensor bounds: min(max(x, lo), hi) with NaN propagation. Gradients as torch.clamp:
 * x gets g where lo ≤ x ≤ hi (ties go to x), lo where x < lo < hi, hi where x > hi or hi < lo.
 */
function clampTensor(x0: Tensor, min: number | Tensor | null, max: number | Tensor | null): Tensor {
  const lo0 = min === null ? null : toTensorLike(min, x0.dtype);
  const hi0 = max === null ? null : toTensorLike(max, x0.dtype);
  let dtype = x0.dtype;
  for (const t of [lo0, hi0]) if (t) dtype = resultType({ dtype, ndim: x0.ndim }, t);
  const x = x0.to(dtype);
  const lo = lo0 && lo0.to(dtype);
  const hi = hi0 && hi0.to(dtype);
  const out = noGrad(() => {
    let o = x;
    if (lo) o = maximum(o, lo);
    if (hi) o = minimum(o, hi);
    return o;
  });
  if (!needsGrad(x, lo, hi)) return out;
  const inputs = [x, lo, hi].filter((t): t is Tensor => t !== null);
  return record(out, 'ClampBackward0', inputs, (g) => {
    const keepWhere = (pred: Tensor) => g.maskedFill(pred.logicalNot(), 0);
    let xPred = lo ? x.ge(lo) : null;
    if (hi) xPred = xPred ? xPred.logicalAnd(x.le(hi)) : x.le(hi);
    const grads = [sumToShape(keepWhere(xPred as Tensor), x.shape)];
    if (lo) grads.push(sumToShape(keepWhere(hi ? x.lt(lo).logicalAnd(lo.lt(hi)) : x.lt(lo)), lo.shape));
    if (hi) grads.push(sumToShape(keepWhere(lo ? x.gt(hi).logicalOr(hi.lt(lo)) : x.gt(hi)), hi.shape));
    return grads;
  });
}

/** Elementwise choice: condition ? a : b, all three broadcast together. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor(condition, 'where', 'condition');
  if (condition.dtype !== 'bool') throw new Error(`where: condition must be a bool tensor, got ${condition.dtype}`);
  // Two plain values: integers give an integer tensor and booleans a bool one (torch.where(c, 1, 0) is integral).
  const likeDType: DType = b instanceof Tensor ? b.dtype : typeof b === 'boolean' ? 'bool' : Number.isInteger(b) ? 'int32' : 'float32';
  const at = a instanceof Tensor ? a : toTensorLike(a, likeDType);
  const bt = b instanceof Tensor ? b : toTensorLike(b, at.dtype);
  const dtype: DType = resultType(at, bt);
  const x = at.to(dtype);
  const y = bt.to(dtype);
  const shape = broadcastShapes(broadcastShapes(condition.shape, x.shape, 'where'), y.shape, 'where');
  const out = uninitialized(shape, dtype);
  kernels().where(broadcastView(condition, shape), broadcastView(x, shape), broadcastView(y, shape), out.storage);
  if (!needsGrad(x, y)) return out;
  return record(out, 'WhereBackward0', [x, y], (g) => [
    sumToShape(g.maskedFill(condition.logicalNot(), 0), x.shape),
    sumToShape(g.maskedFill(condition, 0), y.shape),
  ]);
}

/**
 * Copy of x with `value` wherever mask is true. x and the mask broadcast together, as in
 * torch.masked_fill: a mask with more or larger dimensions enlarges the result. `value` is a number or
 * a 0-d tensor.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | boolean | Tensor): Tensor {
  checkTensor(x, 'maskedFill');
  checkTensor(mask, 'maskedFill', 'mask');
  if (mask.dtype !== 'bool') throw new Error(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new Error(`maskedFill: value must be a number or a 0-dimensional tensor, got a tensor of shape ${shapeStr(value.shape)}`);
  }
  const v = value instanceof Tensor ? value.item() : Number(value);
  if (x.dtype === 'int32' && !(v >= -(2 ** 31) && v < 2 ** 31)) {
    throw new Error(`maskedFill: value ${v} cannot be converted to int32 without overflow`);
  }
  const shape = broadcastShapes(x.shape, mask.shape, 'maskedFill');
  const fill = toTensorLike(v, x.dtype).to(x.dtype);
  const out = uninitialized(shape, x.dtype);
  kernels().where(broadcastView(mask, shape), broadcastView(fill, shape), broadcastView(x, shape), out.storage);
  if (!needsGrad(x)) return out;
  return record(out, 'MaskedFillBackward0', [x], (g) => [sumToShape(g.maskedFill(mask, 0), x.shape)]);
}
