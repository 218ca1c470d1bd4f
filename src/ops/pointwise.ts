/**
 * More pointwise ops, as PyTorch 1.13: floorDivide, fmax/fmin, the bitwise ops, frac, sgn, logaddexp(2),
 * hypot, copysign, xlogy, heaviside, exp2, erfc, erfinv, lgamma, digamma, logit, sinc, deg2rad, rad2deg,
 * signbit, and torch's aliases (multiply, subtract, negative, absolute, clip, trueDivide, positive).
 * Forwards are computed elementwise (in double precision, rounded to the result dtype) or composed from
 * existing ops; each records one node named as torch's, with a gradient made of differentiable ops.
 */
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { checkTensor, empty, sumToShape } from './util.js';
import { div, mul, operands, sub } from './binary.js';
import { abs, clamp, exp, neg, unaryOp, where } from './unary.js';
import * as special from './special.js';

/** A new tensor of `dtype` whose element i is f(x[i]) (x read in row-major order). */
function mapUnary(x: Tensor, dtype: DType, f: (v: number) => number): Tensor {
  const d = x.contiguous().data();
  const out = empty(x.shape, dtype);
  const o = out.storage;
  for (let i = 0; i < d.length; i++) o[i] = f(d[i]);
  return out;
}

/** f over a and b broadcast together, into a new tensor of `dtype`. */
function mapBinary(a: Tensor, b: Tensor, dtype: DType, f: (x: number, y: number) => number, op: string): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const x = a.detach().expand(shape).contiguous().data();
  const y = b.detach().expand(shape).contiguous().data();
  const out = empty(shape, dtype);
  const o = out.storage;
  for (let i = 0; i < o.length; i++) o[i] = f(x[i], y[i]);
  return out;
}

/** Integer and bool inputs of float-valued ops compute in float32, as torch's unary float ops. */
function floatInput(x: Tensor, op: string): Tensor {
  checkTensor(x, op);
  return isFloat(x.dtype) ? x : x.to('float32');
}

/** Ops whose torch kernels exist for floating dtypes only ("not implemented for 'Long'"). */
function floatOnly(dtype: DType, op: string): void {
  if (!isFloat(dtype)) throw new Error(`${op}: not implemented for ${dtype} tensors (convert with .float() first)`);
}

/** torch records ops it cannot differentiate as NotImplemented: backward through them raises. */
function notDifferentiable(out: Tensor, inputs: Tensor[], op: string): Tensor {
  if (!needsGrad(...inputs)) return out;
  return record(out, 'NotImplemented', inputs, () => {
    throw new Error(`${op}: the derivative is not implemented (as in PyTorch)`);
  });
}

const zerosOf = (t: Tensor, dtype: DType) => empty(t.shape, dtype);

// ---- binary ------------------------------------------------------------------------------------

/** a // b rounded toward −∞ (torch.floor_divide, which 1.13 computes as div(roundingMode 'floor')); not differentiable. */
export function floorDivide(a: TensorLike, b: TensorLike): Tensor {
  const op = 'floorDivide';
  const [x, y, dtype] = operands(a, b, op, 'promote');
  if (dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors (convert with .int() or .float() first)`);
  if (!isFloat(dtype) && y.contiguous().data().some((v) => v === 0) && broadcastShapes(x.shape, y.shape, op).every((d) => d > 0)) {
    throw new Error(`${op}: integer division by zero (ZeroDivisionError in PyTorch)`);
  }
  const out = noGrad(() => div(x, y, { roundingMode: 'floor' }));
  return notDifferentiable(out, [x, y], op);
}

/** Elementwise max (fmax) / min (fmin) that prefers a number to NaN; ties give their gradient to a. */
function fextremum(op: 'fmax' | 'fmin', a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(a, b, op, 'promote');
  broadcastShapes(x.shape, y.shape, op);
  const pick = () => (op === 'fmax' ? x.ge(y) : x.le(y)).logicalOr(y.isnan());
  const out = noGrad(() => where(pick(), x, y));
  if (!needsGrad(x, y)) return out;
  return record(out, op === 'fmax' ? 'FmaxBackward0' : 'FminBackward0', [x, y], (g) => {
    const first = pick();
    return [
      x.requiresGrad ? sumToShape(g.maskedFill(first.logicalNot(), 0), x.shape) : null,
      y.requiresGrad ? sumToShape(g.maskedFill(first, 0), y.shape) : null,
    ];
  }, [x, y]);
}

export const fmax = (a: TensorLike, b: TensorLike): Tensor => fextremum('fmax', a, b);
export const fmin = (a: TensorLike, b: TensorLike): Tensor => fextremum('fmin', a, b);

type BitOp = 'bitwiseAnd' | 'bitwiseOr' | 'bitwiseXor';
const BIT: Record<BitOp, (x: number, y: number) => number> = {
  bitwiseAnd: (x, y) => x & y,
  bitwiseOr: (x, y) => x | y,
  bitwiseXor: (x, y) => x ^ y,
};

function bitwise(op: BitOp, a: TensorLike | boolean, b: TensorLike | boolean): Tensor {
  const [x, y, dtype] = operands(a, b, op, 'promote');
  if (isFloat(dtype)) throw new Error(`${op}: not implemented for ${dtype} tensors (only int32 and bool)`);
  return mapBinary(x, y, dtype, BIT[op], op);
}

export const bitwiseAnd = (a: TensorLike | boolean, b: TensorLike | boolean): Tensor => bitwise('bitwiseAnd', a, b);
export const bitwiseOr = (a: TensorLike | boolean, b: TensorLike | boolean): Tensor => bitwise('bitwiseOr', a, b);
export const bitwiseXor = (a: TensorLike | boolean, b: TensorLike | boolean): Tensor => bitwise('bitwiseXor', a, b);

/** ~x: bits flipped for int32, logical not for bool. */
export function bitwiseNot(x: Tensor): Tensor {
  checkTensor(x, 'bitwiseNot');
  if (isFloat(x.dtype)) throw new Error(`bitwiseNot: not implemented for ${x.dtype} tensors (only int32 and bool)`);
  return mapUnary(x, x.dtype, x.dtype === 'bool' ? (v) => (v ? 0 : 1) : (v) => ~v);
}

/** log(e^a + e^b) without overflow. LogaddexpBackward0. */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  const op = 'logaddexp';
  const [x, y, dtype] = operands(a, b, op, 'promote');
  floatOnly(dtype, op);
  const out = mapBinary(x, y, dtype, (u, v) => (u === v && !Number.isFinite(u) ? u : Math.max(u, v) + Math.log1p(Math.exp(-Math.abs(u - v)))), op);
  if (!needsGrad(x, y)) return out;
  return record(out, 'LogaddexpBackward0', [x, y], (g) => [
    x.requiresGrad ? sumToShape(g.div(exp(y.sub(x)).add(1)), x.shape) : null,
    y.requiresGrad ? sumToShape(g.div(exp(x.sub(y)).add(1)), y.shape) : null,
  ], [x, y]);
}

/** log2(2^a + 2^b) without overflow. Logaddexp2Backward0. */
export function logaddexp2(a: TensorLike, b: TensorLike): Tensor {
  const op = 'logaddexp2';
  const [x, y, dtype] = operands(a, b, op, 'promote');
  floatOnly(dtype, op);
  const out = mapBinary(x, y, dtype, (u, v) => (u === v && !Number.isFinite(u) ? u : Math.max(u, v) + Math.log1p(2 ** -Math.abs(u - v)) / Math.LN2), op);
  if (!needsGrad(x, y)) return out;
  return record(out, 'Logaddexp2Backward0', [x, y], (g) => [
    x.requiresGrad ? sumToShape(g.div(exp2(y.sub(x)).add(1)), x.shape) : null,
    y.requiresGrad ? sumToShape(g.div(exp2(x.sub(y)).add(1)), y.shape) : null,
  ], [x, y]);
}

/** √(a² + b²) without overflow. HypotBackward0. */
export function hypot(a: TensorLike, b: TensorLike): Tensor {
  const op = 'hypot';
  const [x, y, dtype] = operands(a, b, op, 'promote');
  floatOnly(dtype, op);
  const out = mapBinary(x, y, dtype, Math.hypot, op);
  if (!needsGrad(x, y)) return out;
  return record(out, 'HypotBackward0', [x, y], (g) => [
    x.requiresGrad ? sumToShape(g.mul(x).div(out), x.shape) : null,
    y.requiresGrad ? sumToShape(g.mul(y).div(out), y.shape) : null,
  ], [x, y, out]);
}

/** |a| with the sign (bit) of b; integer inputs give float32. CopysignBackward0 (tensor b) / 1 (number b). */
export function copysign(a: TensorLike, b: TensorLike): Tensor {
  const op = 'copysign';
  const [x, y, dtype] = operands(a, b, op, 'float');
  const out = mapBinary(x, y, dtype, (u, v) => (special.signbit(v) ? -Math.abs(u) : Math.abs(u)), op);
  if (!needsGrad(x, y)) return out;
  // d/da = out / a (±1), taken as 0 where a = 0; b gets no gradient.
  return record(out, b instanceof Tensor ? 'CopysignBackward0' : 'CopysignBackward1', [x, y], (g) => [
    x.requiresGrad ? sumToShape(g.mul(out.div(x).maskedFill(x.eq(0), 0)), x.shape) : null,
    y.requiresGrad ? zerosOf(y, y.dtype) : null,
  ], [x, out]);
}

/** a·log(b), 0 where a = 0 (unless b is NaN); float result. XlogyBackward0 (1: number a, 2: number b). */
export function xlogy(a: TensorLike, b: TensorLike): Tensor {
  const op = 'xlogy';
  const [x, y, dtype] = operands(a, b, op, 'float');
  const out = mapBinary(x, y, dtype, (u, v) => (Number.isNaN(v) ? NaN : u === 0 ? 0 : u * Math.log(v)), op);
  if (!needsGrad(x, y)) return out;
  const name = !(a instanceof Tensor) ? 'XlogyBackward1' : !(b instanceof Tensor) ? 'XlogyBackward2' : 'XlogyBackward0';
  return record(out, name, [x, y], (g) => [
    x.requiresGrad ? sumToShape(g.mul(xlogy(x.ne(0).to(y.dtype), y)), x.shape) : null,
    y.requiresGrad ? sumToShape(g.mul(x).div(y), y.shape) : null,
  ], [x, y]);
}

/** The step function: values where input is 0, else (input > 0). Same dtypes required; not differentiable. */
export function heaviside(input: Tensor, values: Tensor): Tensor {
  const op = 'heaviside';
  checkTensor(input, op);
  checkTensor(values, op, 'values');
  if (input.dtype !== values.dtype) {
    throw new Error(`${op}: not implemented for tensors with different dtypes (input ${input.dtype}, values ${values.dtype})`);
  }
  const out = mapBinary(input, values, input.dtype, (u, v) => (u === 0 ? v : u > 0 ? 1 : 0), op);
  return notDifferentiable(out, [input, values], op);
}

// ---- unary -------------------------------------------------------------------------------------

/** x − trunc(x) (float tensors only). FracBackward0: the gradient passes unchanged. */
export function frac(x: Tensor): Tensor {
  checkTensor(x, 'frac');
  floatOnly(x.dtype, 'frac');
  const out = noGrad(() => x.sub(x.trunc()));
  return record(out, 'FracBackward0', [x], (g) => [g]);
}

/** sign for real tensors (torch.sgn); SgnBackward0 with a zero gradient. */
export const sgn = (x: Tensor): Tensor => unaryOp('sign', 'sgn', checkTensor(x, 'sgn'), 'same', (g) => zerosOf(g, g.dtype), 'SgnBackward0');

/** 2^x (integers give float32). Exp2Backward0. */
export function exp2(x: Tensor): Tensor {
  const input = floatInput(x, 'exp2');
  const out = mapUnary(input, input.dtype, (v) => 2 ** v);
  return record(out, 'Exp2Backward0', [input], (g) => [g.mul(out).mul(Math.LN2)], [out]);
}

/** 1 − erf(x), accurate in the tail. ErfcBackward0. */
export function erfc(x: Tensor): Tensor {
  const input = floatInput(x, 'erfc');
  const out = mapUnary(input, input.dtype, special.erfc);
  return record(out, 'ErfcBackward0', [input], (g) => [g.mul(input.square().neg().exp()).mul(-2 / Math.sqrt(Math.PI))], [input]);
}

/** The inverse error function (±inf at ±1, NaN outside [−1, 1]). ErfinvBackward0. */
export function erfinv(x: Tensor): Tensor {
  const input = floatInput(x, 'erfinv');
  const out = mapUnary(input, input.dtype, special.erfinv);
  return record(out, 'ErfinvBackward0', [input], (g) => [g.mul(out.square().exp()).mul(Math.sqrt(Math.PI) / 2)], [out]);
}

/** log |Γ(x)|. LgammaBackward0: g·ψ(x). */
export function lgamma(x: Tensor): Tensor {
  const input = floatInput(x, 'lgamma');
  const out = mapUnary(input, input.dtype, special.lgamma);
  return record(out, 'LgammaBackward0', [input], (g) => [g.mul(digamma(input))], [input]);
}

/** ψ(x), the logarithmic derivative of Γ. DigammaBackward0: g·ψ′(x) (ψ′ not differentiable further). */
export function digamma(x: Tensor): Tensor {
  const input = floatInput(x, 'digamma');
  const out = mapUnary(input, input.dtype, special.digamma);
  return record(out, 'DigammaBackward0', [input], (g) => [g.mul(mapUnary(input.detach(), input.dtype, special.trigamma))], [input]);
}

/**
 * log(x / (1 − x)); with eps, x is first clamped to [eps, 1 − eps]. LogitBackward0: g / (x(1 − x)), NaN
 * outside [0, 1] without eps, 0 outside [eps, 1 − eps] with it.
 */
export function logit(x: Tensor, eps: number | null = null): Tensor {
  const input = floatInput(x, 'logit');
  const clamped = eps === null ? input : noGrad(() => clamp(input, eps, 1 - eps));
  const out = mapUnary(clamped, input.dtype, (v) => Math.log(v / (1 - v)));
  return record(out, 'LogitBackward0', [input], (g) => {
    const grad = g.div(input.mul(input.neg().add(1)));
    if (eps === null) return [grad.maskedFill(input.lt(0).logicalOr(input.gt(1)), NaN)];
    return [grad.maskedFill(input.lt(eps).logicalOr(input.gt(1 - eps)), 0)];
  }, [input]);
}

/** sin(πx)/(πx), 1 at 0. SincBackward0. */
export function sinc(x: Tensor): Tensor {
  const input = floatInput(x, 'sinc');
  const out = mapUnary(input, input.dtype, (v) => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v)));
  return record(out, 'SincBackward0', [input], (g) => {
    const px = input.mul(Math.PI);
    const d = px.mul(px.cos()).sub(px.sin()).div(px.mul(input));
    return [g.mul(d).maskedFill(input.eq(0), 0)];
  }, [input]);
}

/** Degrees to radians (integers give float32). Deg2RadBackward0. */
export function deg2rad(x: Tensor): Tensor {
  const input = floatInput(x, 'deg2rad');
  const out = noGrad(() => input.mul(Math.PI / 180));
  return record(out, 'Deg2RadBackward0', [input], (g) => [g.mul(Math.PI / 180)]);
}

/** Radians to degrees (integers give float32). Rad2DegBackward0. */
export function rad2deg(x: Tensor): Tensor {
  const input = floatInput(x, 'rad2deg');
  const out = noGrad(() => input.mul(180 / Math.PI));
  return record(out, 'Rad2DegBackward0', [input], (g) => [g.mul(180 / Math.PI)]);
}

/** True where the sign bit is set (−0 and negative NaNs included); bool tensors give false. */
export function signbit(x: Tensor): Tensor {
  checkTensor(x, 'signbit');
  return mapUnary(x, 'bool', isFloat(x.dtype) ? (v) => (special.signbit(v) ? 1 : 0) : (v) => (v < 0 ? 1 : 0));
}

// ---- aliases -------------------------------------------------------------------------------------

/** torch.multiply: mul. */
export const multiply = (a: TensorLike, b: TensorLike): Tensor => mul(a, b);
/** torch.subtract: sub. */
export const subtract = (a: TensorLike, b: TensorLike, options?: { alpha?: number }): Tensor => sub(a, b, options);
/** torch.true_divide: div without rounding. */
export const trueDivide = (a: TensorLike, b: TensorLike): Tensor => div(a, b);
/** torch.negative: neg. */
export const negative = (x: Tensor): Tensor => neg(x);
/** torch.absolute: abs. */
export const absolute = (x: Tensor): Tensor => abs(x);
/** torch.clip: clamp. */
export const clip = (x: Tensor, min?: number | Tensor | null, max?: number | Tensor | null): Tensor => clamp(x, min, max);

/** +x: the input itself (bool tensors are refused, as torch). */
export function positive(x: Tensor): Tensor {
  checkTensor(x, 'positive');
  if (x.dtype === 'bool') throw new Error('positive: the + operator on a bool tensor is not supported');
  return x;
}
