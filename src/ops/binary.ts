import type { BinaryOp } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteWithScalar, resultType, type DType } from '../tensor/dtype.js';
import { broadcastShapes, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';
import { broadcastView, describe, empty, sumToShape, toTensorLike, uninitialized } from './util.js';
import { isclose } from './stats.js';

type Result = 'promote' | 'float' | 'bool';
type GradRule = (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null];

/** Both operands as tensors of one compute dtype; a plain number adapts to the tensor's dtype. */
export function operands(a0: TensorLike | boolean, b0: TensorLike | boolean, op: string, result: Result): [Tensor, Tensor, DType] {
  if (!(a0 instanceof Tensor) && !(b0 instanceof Tensor)) throw new Error(`${op}: at least one argument must be a Tensor`);
  for (const v of [a0, b0]) {
    if (!(v instanceof Tensor) && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new Error(`${op}: expected a Tensor or a number, got ${describe(v)}`);
    }
  }
  const a = a0 instanceof Tensor ? a0 : toTensorLike(a0, (b0 as Tensor).dtype);
  const b = b0 instanceof Tensor ? b0 : toTensorLike(b0, a.dtype);
  let dtype = resultType(a, b);
  if (result === 'float' && !isFloat(dtype)) dtype = 'float32';
  return [a.to(dtype), b.to(dtype), dtype];
}

function binaryOp(
  op: BinaryOp, name: string, a0: TensorLike | boolean, b0: TensorLike | boolean, result: Result, grad?: GradRule,
  nodeName = `${name[0].toUpperCase()}${name.slice(1)}Backward0`,
): Tensor {
  const [a, b, dtype] = operands(a0, b0, name, result);
  const shape = broadcastShapes(a.shape, b.shape, name);
  if (!isFloat(dtype) && (op === 'floorDiv' || op === 'remainder' || op === 'fmod')) checkNoZero(a, b, name);
  // Integer tensors to negative integer tensor powers: 1/base^|e| truncated, as PyTorch (only a plain-number
  // exponent raises): 1 for base 1, ±1 for base −1 by the exponent's parity, else 0 (also for base 0).
  if (!isFloat(dtype) && op === 'pow' && someElement(b, (v) => v < 0)) {
    const power = binaryOp(op, name, a, b.clamp(0), result, grad, nodeName);
    const paritySign = b.remainder(2).ne(0).to(dtype).mul(-2).add(1);
    const negativePower = a.eq(1).to(dtype).add(a.eq(-1).to(dtype).mul(paritySign));
    return power.where(b.ge(0), negativePower);
  }
  if (dtype === 'bool' && BOOL_UNSUPPORTED.has(op)) {
    throw new Error(`${name}: not implemented for bool tensors (convert with .int() or .float() first)`);
  }
  const out = uninitialized(shape, result === 'bool' ? 'bool' : dtype);
  kernels().binary(op, broadcastView(a, shape), broadcastView(b, shape), out.storage);
  if (result !== 'bool' && dtype === 'bool') {
    // Arithmetic on two bools stays bool (True + True is True), so keep the storage 0/1.
    const s = out.storage;
    for (let i = 0; i < s.length; i++) s[i] = s[i] !== 0 ? 1 : 0;
  }
  if (!grad || !needsGrad(a, b)) return out;
  return record(out, nodeName, [a, b], (g) => {
    const [ga, gb] = grad(g, a, b, out);
    return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
  }, savedForBackward(op, a, b, out));
}

/** The tensors a binary rule reads (as PyTorch saves them), checked against later in-place changes. */
function savedForBackward(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor): Tensor[] {
  if (op === 'add' || op === 'sub') return [];
  if (op === 'mul') return [a.requiresGrad ? b : null, b.requiresGrad ? a : null].filter((t): t is Tensor => t !== null);
  if (op === 'div') return b.requiresGrad ? [a, b] : [b];
  return op === 'pow' ? [a, b, out] : [a, b];
}

/** Ops whose PyTorch kernels have no bool version ("not implemented for 'Bool'"). */
const BOOL_UNSUPPORTED = new Set<BinaryOp>(['floorDiv', 'remainder', 'fmod', 'pow']);

/** PyTorch refuses a fractional alpha with integer (or bool) tensors instead of silently promoting. */
function checkAlpha(a: TensorLike, b: TensorLike, alpha: number, op: string): void {
  const integral = [a, b].every((x) => !(x instanceof Tensor) || !isFloat(x.dtype)) && [a, b].every((x) => x instanceof Tensor || Number.isInteger(x));
  if (integral && !Number.isInteger(alpha)) {
    throw new Error(`${op}: for integer (or bool) inputs alpha must be an integer, got ${alpha}`);
  }
}

/**
 * alpha·b for add/sub, computed as PyTorch does in the result dtype (b is promoted first, so float32 · alpha
 * is not rounded before a float64 sum); with bool results alpha acts as a bool (true + 2·true is true).
 */
function scaled(a: TensorLike, b: TensorLike | boolean, alpha: number, op: string): TensorLike {
  if (!(b instanceof Tensor)) return Number(b) * alpha;
  const dtype = operands(a, b, op, 'promote')[2];
  return dtype === 'bool' ? (alpha === 0 ? b.mul(0).to('bool') : b) : mul(b.to(dtype), alpha);
}

/**
 * dst ← dst + b in dst's own storage, for an in-place add that records nothing (optimisers, gradient
 * accumulation): b of dst's float dtype, broadcastable to dst's shape, in another storage; dst dense from
 * its storage's start. The kernel and its operands are add's, so the values are those of add(dst, b)
 * written back, without the intermediate tensor and the copy. False (nothing written) otherwise.
 */
export function addInPlace(dst: Tensor, b: Tensor): boolean {
  if (!isFloat(dst.dtype) || b.dtype !== dst.dtype || b.storage === dst.storage) return false;
  if (!dst.isContiguous() || dst.offset !== 0 || dst.storage.length !== dst.size || b.ndim > dst.ndim) return false;
  if (b.shape.some((d, i) => d !== 1 && d !== dst.shape[dst.ndim - b.ndim + i])) return false;
  kernels().binary('add', broadcastView(dst, dst.shape), broadcastView(b, dst.shape), dst.storage);
  return true;
}

export function add(a: TensorLike, b: TensorLike, options: { alpha?: number } = {}): Tensor {
  const alpha = options.alpha ?? 1;
  checkAlpha(a, b, alpha, 'add');
  if (alpha !== 1) return add(a, scaled(a, b, alpha, 'add'));
  return binaryOp('add', 'add', a, b, 'promote', (g) => [g, g]);
}

export function sub(a: TensorLike | boolean, b: TensorLike | boolean, options: { alpha?: number } = {}): Tensor {
  // PyTorch refuses subtraction whenever an operand is bool (a tensor or a plain true/false).
  if (isBool(a) && isBool(b)) {
    throw new Error('sub: subtraction of two bool tensors is not supported; use logicalXor (or logicalNot) instead');
  }
  if (isBool(a) || isBool(b)) {
    throw new Error('sub: subtraction with a bool tensor is not supported; to invert a mask use logicalNot instead');
  }
  const alpha = options.alpha ?? 1;
  checkAlpha(a as TensorLike, b as TensorLike, alpha, 'sub');
  if (alpha !== 1) return sub(a, scaled(a as TensorLike, b as TensorLike, alpha, 'sub'));
  return binaryOp('sub', 'sub', a, b, 'promote', (g) => [g, g.neg()]);
}

/**
 * Integer division by zero has no value (PyTorch raises ZeroDivisionError); JS would silently give 0.
 * Nothing is divided when the broadcast result is empty.
 */
function checkNoZero(dividend: Tensor, divisor: Tensor, op: string): void {
  if (sizeOf(broadcastShapes(dividend.shape, divisor.shape, op)) > 0 && someElement(divisor, (v) => v === 0)) {
    throw new Error(`${op}: integer division by zero (the ${divisor.dtype} divisor of shape ${shapeStr(divisor.shape)} contains 0)`);
  }
}

function someElement(t: Tensor, pred: (v: number) => boolean): boolean {
  const d = t.data();
  for (let i = 0; i < d.length; i++) if (pred(d[i])) return true;
  return false;
}

function isBool(x: TensorLike | boolean): boolean {
  return typeof x === 'boolean' || (x instanceof Tensor && x.dtype === 'bool');
}

/** Reversed subtraction: b − a (for numbers on the left: st.rsub(t, 1) = 1 − t). */
export function rsub(a: TensorLike, b: TensorLike): Tensor {
  // PyTorch's node names: RsubBackward0 with a tensor b, RsubBackward1 with a number.
  const nodeName = b instanceof Tensor ? 'RsubBackward0' : 'RsubBackward1';
  if (isBool(a) || isBool(b)) return sub(b, a);
  return binaryOp('sub', 'rsub', b, a, 'promote', (g) => [g, g.neg()], nodeName);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('mul', 'mul', a, b, 'promote', (g, x, y) => [g.mul(y), g.mul(x)]);
}

export function div(a: TensorLike, b: TensorLike, options: { roundingMode?: 'trunc' | 'floor' | null } = {}): Tensor {
  const mode = options.roundingMode ?? null;
  if (mode === 'floor') return binaryOp('floorDiv', 'div', a, b, 'promote', roundedGrad, 'DivBackward2');
  if (mode === 'trunc') {
    const [x, y, dtype] = operands(a, b, 'div', 'promote');
    if (dtype === 'bool') throw new Error("div: roundingMode 'trunc' is not implemented for bool tensors (convert with .int() first)");
    if (isFloat(dtype)) {
      const out = noGrad(() => binaryOp('div', 'div', x, y, 'promote').trunc());
      return needsGrad(x, y) ? record(out, 'DivBackward2', [x, y], (g) => roundedGrad(g, x, y, out)) : out;
    }
    checkNoZero(x, y, 'div');
    // Integers: the float64 quotient truncates exactly for int32 operands (float32 would not).
    return binaryOp('div', 'div', x.to('float64'), y.to('float64'), 'promote').trunc().to(dtype);
  }
  if (mode !== null) throw new Error(`div: roundingMode must be null, 'trunc' or 'floor', got '${mode}'`);
  return binaryOp('div', 'div', a, b, 'float', (g, x, y) => [g.div(y), g.mul(x.div(y).div(y)).neg()]);
}

/** A rounded quotient is piecewise constant: PyTorch records it with zero gradients for both operands. */
const roundedGrad: GradRule = (g, x, y) => [empty(x.shape, g.dtype), empty(y.shape, g.dtype)];

export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === 'number') return powScalar(a, b);
  return binaryOp('pow', 'pow', a, b, 'promote', (g, x, y, out) => [
    // d/dx x^y = y·x^(y−1); d/dy x^y = x^y·ln x, taken as 0 where x = 0 and y ≥ 0 (as PyTorch masks it;
    // for y < 0 it stays inf · −inf). PyTorch takes the x gradient as 0 where y = 0 (x^0 is constant, even at x = 0).
    where0(y.eq(0), g.mul(y).mul(x.pow(y.sub(1)))),
    g.mul(out).mul(where0(x.eq(0).logicalAnd(y.ge(0)), x.log())),
  ], typeof a === 'number' ? 'PowBackward2' : 'PowBackward1'); // pow(number, tensor) is PyTorch's pow.Scalar overload
}

function where0(mask: Tensor, values: Tensor): Tensor {
  return values.maskedFill(mask, 0);
}

function powScalar(x: Tensor, exponent: number): Tensor {
  // A number exponent promotes as a scalar does: bool ** 2 is an integer tensor, int ** 0.5 is float32.
  const dtype = promoteWithScalar(x.dtype, exponent);
  if (!isFloat(dtype) && exponent < 0) {
    throw new Error(`pow: integers to negative integer powers are not allowed (exponent ${exponent}; convert the base to float first)`);
  }
  const input = x.to(dtype);
  const out = uninitialized(x.shape, dtype);
  kernels().scalar('powScalar', input.strided, exponent, 0, out.storage);
  if (exponent === 0) return record(out, 'PowBackward0', [input], (g) => [g.mul(0)]);
  return record(out, 'PowBackward0', [input], (g) => [g.mul(exponent).mul(exponent === 2 ? input : input.pow(exponent - 1))]);
}

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  // Ties share the gradient equally, as PyTorch does.
  return binaryOp('maximum', 'maximum', a, b, 'promote', (g, x, y) => {
    const half = g.mul(x.eq(y).to(g.dtype).mul(-0.5).add(1));
    return [half.maskedFill(x.lt(y), 0), half.maskedFill(x.gt(y), 0)];
  });
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('minimum', 'minimum', a, b, 'promote', (g, x, y) => {
    const half = g.mul(x.eq(y).to(g.dtype).mul(-0.5).add(1));
    return [half.maskedFill(x.gt(y), 0), half.maskedFill(x.lt(y), 0)];
  });
}

/** PyTorch's node for remainder / fmod: the Scalar overload (a number divisor) is Backward0, the Tensor one Backward1. */
function overloadName(op: string, divisor: TensorLike): string {
  return `${op}Backward${divisor instanceof Tensor ? 1 : 0}`;
}

export function remainder(a: TensorLike, b: TensorLike): Tensor {
  // The quotient as div(x, y, floor) (−3 // inf is −1, where floor(−3 / inf) would be −0).
  return binaryOp('remainder', 'remainder', a, b, 'promote', (g, x, y) => [g, g.mul(div(x, y, { roundingMode: 'floor' })).neg()], overloadName('Remainder', b));
}

export function fmod(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('fmod', 'fmod', a, b, 'promote', (g, x, y) => [g, g.mul(x.div(y).trunc()).neg()], overloadName('Fmod', b));
}

export function atan2(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('atan2', 'atan2', a, b, 'float', (g, x, y) => {
    const denom = x.square().add(y.square());
    return [g.mul(y).div(denom), g.mul(x).div(denom).neg()];
  });
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => binaryOp('eq', 'eq', a, b, 'bool');
export const ne = (a: TensorLike, b: TensorLike): Tensor => binaryOp('ne', 'ne', a, b, 'bool');
export const lt = (a: TensorLike, b: TensorLike): Tensor => binaryOp('lt', 'lt', a, b, 'bool');
export const le = (a: TensorLike, b: TensorLike): Tensor => binaryOp('le', 'le', a, b, 'bool');
export const gt = (a: TensorLike, b: TensorLike): Tensor => binaryOp('gt', 'gt', a, b, 'bool');
export const ge = (a: TensorLike, b: TensorLike): Tensor => binaryOp('ge', 'ge', a, b, 'bool');
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalAnd', 'logicalAnd', a, b, 'bool');
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalOr', 'logicalOr', a, b, 'bool');
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalXor', 'logicalXor', a, b, 'bool');

/** True when every element of a and b are within atol + rtol·|b| (NaNs equal only with equalNan): isclose(...).all(), as torch. */
export function allclose(a: Tensor, b: Tensor, options: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean {
  return isclose(a, b, options).all().item() !== 0;
}
