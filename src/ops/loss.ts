/**
 * Loss functions, as torch.nn.functional's, each with reduction 'mean' | 'sum' | 'none'.
 *
 * crossEntropy/nllLoss with class-index targets are fused (log-softmax kernel + per-position loss, one
 * backward softmax − onehot); the other losses compose ops that already have gradients, except where
 * PyTorch's gradient differs from the composition's at a clamp or a kink (binaryCrossEntropy,
 * binaryCrossEntropyWithLogits), which get PyTorch's explicit rules.
 */
import { needsGrad, record } from '../autograd/node.js';
import { recordAsOne } from '../autograd/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { compositeGrads } from '../autograd/double-backward.js';
import type { FloatArray } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, sameShape, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty, scalarTensor, sumToShape } from './util.js';
import { denseData } from './conv.js';
import { logSoftmax, norm } from './reduce.js';
import { jsFused } from '../backend/js/fused.js';
import { minimum } from './binary.js';
import { logSigmoid, softplus } from './activation.js';
import { where } from './unary.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  reduction?: Reduction;
}

export interface NllLossOptions extends ReductionOptions {
  /** A weight per class ([C]). */
  weight?: Tensor | null;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 − ε)·target + ε/C. */
  labelSmoothing?: number;
}

function reductionOf(options: { reduction?: string } | undefined, op: string, allowed: readonly string[] = ['mean', 'sum', 'none']): string {
  const r = options?.reduction ?? 'mean';
  if (!allowed.includes(r)) throw new Error(`${op}: reduction must be ${allowed.map((a) => `'${a}'`).join(', ')}, got '${r}'`);
  return r;
}

function reduce(loss: Tensor, reduction: string): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? loss.sum() : loss.mean();
}

/**
 * PyTorch's loss nodes (MseLossBackward0, BinaryCrossEntropyBackward0, ...) take in the weight and the
 * reduction: one node over the elementwise values, whose rule receives the elementwise upstream gradient.
 * A weight that requires grad keeps the composed form (PyTorch has no gradient for it at all).
 */
function lossNode(
  name: string, elementwise: Tensor, weight: Tensor | null, reduction: string, inputs: Tensor[],
  rule: (gElem: Tensor) => (Tensor | null)[],
): Tensor {
  if (weight?.requiresGrad || !needsGrad(...inputs)) {
    const loss = needsGrad(...inputs) ? record(elementwise, name, inputs, rule) : elementwise;
    return reduce(weight ? loss.mul(weight) : loss, reduction);
  }
  const values = noGrad(() => reduce(weight ? elementwise.mul(weight) : elementwise, reduction));
  return record(values, name, inputs, (g) => {
    let gElem = reduction === 'none' ? g : g.expand(elementwise.shape);
    if (reduction === 'mean') gElem = gElem.div(elementwise.size);
    return rule(weight ? gElem.mul(weight) : gElem);
  });
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${op}: expected target of the input's shape ${shapeStr(input.shape)}, got target of shape ${shapeStr(target.shape)}`);
  }
}

/**
 * input and target broadcast together (PyTorch warns and broadcasts for the regression losses). As PyTorch's
 * kernels: an integer input is promoted only with `intInput` ('floatTarget': to a floating target's dtype; 'any':
 * to float32 with an integer target too), and an integer target is cast to the input's dtype unless `floatTarget`.
 */
function regressionPair(
  input: Tensor, target: Tensor | number, op: string, options: { intInput?: 'floatTarget' | 'any'; floatTarget?: boolean } = {},
): [Tensor, Tensor] {
  checkTensor(input, op);
  const t = target instanceof Tensor ? target : scalarTensor(target, isFloat(input.dtype) ? input.dtype : 'float32');
  checkTensor(t, op, 'target');
  const { intInput } = options;
  const x = !isFloat(input.dtype) && (intInput === 'any' || (intInput === 'floatTarget' && isFloat(t.dtype))) ? input.to(isFloat(t.dtype) ? t.dtype : 'float32') : input;
  checkFloat(x, op);
  if (options.floatTarget) checkFloat(t, op, 'target');
  broadcastShapes(x.shape, t.shape, op);
  return [x, isFloat(t.dtype) ? t : t.to(x.dtype)];
}

// ---- class-index losses: nllLoss and crossEntropy ------------------------------------------------

interface ClassLayout {
  /** Input as [N, C, inner] contiguous data. */
  N: number;
  C: number;
  inner: number;
  /** Targets, one per (n, inner) position. */
  target: Int32Array;
  /** Per-class weights (null: all 1). */
  weight: Float64Array | null;
  /** Whether the input had no batch dim ([C] with a 0-d target). */
  unbatched: boolean;
  /** Shape of the unreduced loss (the target's shape). */
  lossShape: number[];
}

function classLayout(input: Tensor, target: Tensor, weight: Tensor | null | undefined, ignoreIndex: number, op: string): ClassLayout {
  checkTensor(input, op);
  checkTensor(target, op, 'target');
  checkFloat(input, op);
  if (target.dtype !== 'int32') {
    throw new Error(`${op}: expected class-index targets as an int32 tensor, got ${target.dtype}${op === 'crossEntropy' ? ' (class probabilities must have the input\'s shape)' : ''}`);
  }
  if (input.ndim === 0) throw new Error(`${op}: expected input of shape [N, C, *] or [C], got a 0-d input`);
  const unbatched = input.ndim === 1;
  const shape = unbatched ? [1, ...input.shape] : input.shape;
  const [N, C] = shape;
  const expected = unbatched ? [] : [N, ...shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new Error(`${op}: expected target of shape ${shapeStr(expected)} for input of shape ${shapeStr(input.shape)}, got target of shape ${shapeStr(target.shape)}`);
  }
  let w: Float64Array | null = null;
  if (weight !== null && weight !== undefined) {
    checkTensor(weight, op, 'weight');
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new Error(`${op}: expected weight of shape [${C}] (one per class) for input of shape ${shapeStr(input.shape)}, got weight of shape ${shapeStr(weight.shape)}`);
    }
    w = Float64Array.from(weight.contiguous().data());
  }
  const t = target.contiguous().data() as Int32Array;
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== ignoreIndex && (t[i] < 0 || t[i] >= C)) {
      throw new Error(`${op}: target ${t[i]} is out of bounds for ${C} classes (input of shape ${shapeStr(input.shape)})`);
    }
  }
  return { N, C, inner: shape.slice(2).reduce((a, b) => a * b, 1), target: t, weight: w, unbatched, lossShape: [...target.shape] };
}

/**
 * The fused class-index loss: per position i with target t, loss_i = (1 − ε)·(−w_t·logp_t) + (ε/C)·(−Σ_c w_c·logp_c),
 * 0 at ignored positions; 'mean' divides by Σ w_t over the non-ignored positions (PyTorch's rule, also for the
 * smoothing term). With `logProbs` the input already holds log-probabilities (nllLoss; ε must be 0).
 */
function classIndexLoss(
  op: string, name: string, input: Tensor, target: Tensor, options: CrossEntropyOptions, logProbs: boolean,
): Tensor {
  const reduction = reductionOf(options, op);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${op}: labelSmoothing must be between 0 and 1, got ${eps}`);
  const L = classLayout(input, target, options.weight, ignoreIndex, op);
  const { N, C, inner, weight } = L;
  const xd = denseData(input);
  const positions = N * inner;
  const losses = new Float64Array(positions);
  let denom = 0; // Σ w_t over the non-ignored positions ('mean' divides by it)
  for (let i = 0; i < positions; i++) {
    const t = L.target[i];
    if (t !== ignoreIndex) denom += weight ? weight[t] : 1;
  }
  // Cross entropy: log-softmax and the per-position loss in one backend kernel (js/fused.ts is the reference).
  // NLL: the input already holds log-probabilities, the loss is −w_t·logp_t.
  let logp: FloatArray = xd;
  if (logProbs) {
    for (let i = 0; i < positions; i++) {
      const t = L.target[i];
      const n = Math.floor(i / inner);
      if (t !== ignoreIndex) losses[i] = -(weight ? weight[t] : 1) * xd[n * C * inner + (i % inner) + t * inner];
    }
  } else {
    logp = (input.dtype === 'float64' ? new Float64Array(xd.length) : new Float32Array(xd.length)) as FloatArray;
    const forward = kernels().crossEntropyForward ?? jsFused.crossEntropyForward;
    if (xd.length) forward(xd, N, C, inner, L.target, weight, ignoreIndex, eps, logp, losses);
  }
  let out: Tensor;
  if (reduction === 'none') {
    out = new Tensor(input.dtype === 'float64' ? losses : Float32Array.from(losses), L.lossShape);
  } else {
    let total = 0;
    for (let i = 0; i < positions; i++) total += losses[i];
    out = scalarTensor(reduction === 'sum' ? total : total / denom, input.dtype);
  }
  if (!needsGrad(input)) return out;
  return record(out, name, [input], (g) => {
    const composite = compositeGrads(g, [input], (x) => {
      const loss = classIndexLossComposite(logProbs ? x! : logSoftmax(x!, L.unbatched ? 0 : 1), L, ignoreIndex, eps);
      return reduction === 'none' ? loss.reshape(L.lossShape) : reduction === 'sum' ? loss.sum() : loss.sum().div(denom);
    });
    if (composite) return composite;
    const gd = denseData(g.to(input.dtype));
    const coef = new Float64Array(positions);
    for (let i = 0; i < positions; i++) coef[i] = reduction === 'none' ? gd[i] : reduction === 'sum' ? gd[0] : gd[0] / denom;
    const gx = empty(input.shape, input.dtype);
    const gxd = gx.storage as FloatArray;
    if (logProbs) {
      for (let i = 0; i < positions; i++) {
        const t = L.target[i];
        if (t !== ignoreIndex) gxd[Math.floor(i / inner) * C * inner + (i % inner) + t * inner] = -coef[i] * (weight ? weight[t] : 1);
      }
    } else {
      const backward = kernels().crossEntropyBackward ?? jsFused.crossEntropyBackward;
      backward(logp, N, C, inner, L.target, weight, ignoreIndex, eps, coef, gxd);
    }
    return [gx];
  });
}

/** The unreduced loss of classIndexLoss [N, inner] from log-probabilities, in tensor ops (for a recorded backward). */
function classIndexLossComposite(logp: Tensor, L: ClassLayout, ignoreIndex: number, eps: number): Tensor {
  const { N, C, inner, weight } = L;
  const lp = logp.reshape([N, C, inner]);
  const kept = new Float64Array(N * inner); // 1, 0 at ignored positions
  const wt = new Float64Array(N * inner); // w_t, 0 at ignored positions
  const index = new Int32Array(N * inner); // t, 0 at ignored positions
  L.target.forEach((t, i) => {
    if (t === ignoreIndex) return;
    kept[i] = 1;
    wt[i] = weight ? weight[t] : 1;
    index[i] = t;
  });
  const constant = (a: Float64Array, shape: number[]) => new Tensor(a, shape).to(logp.dtype);
  let loss = lp.gather(1, new Tensor(index, [N, 1, inner])).reshape([N, inner]).mul(constant(wt, [N, inner])).mul(-(1 - eps));
  if (eps > 0) {
    const weighted = weight ? lp.mul(constant(weight, [1, C, 1])) : lp;
    loss = loss.sub(weighted.sum(1).mul(constant(kept, [N, inner])).mul(eps / C));
  }
  return loss;
}

/** Negative log-likelihood of class-index targets given log-probabilities [N, C, *] (or [C]), as torch.nn.functional.nll_loss. */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  return classIndexLoss('nllLoss', 'NllLossBackward0', input, target, { ...options, labelSmoothing: 0 }, true);
}

/**
 * Cross entropy of logits [N, C, *] (or unbatched [C]) with int32 class indices [N, *] or float class
 * probabilities of the input's shape, as torch.nn.functional.cross_entropy (weight, ignoreIndex,
 * labelSmoothing and the reductions with PyTorch's weighting rules).
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkTensor(input, op);
  checkTensor(target, op, 'target');
  if (isFloat(target.dtype)) return crossEntropyProbs(input, target, options);
  // torch's cross_entropy is log_softmax + nll_loss, so its grad_fn is NllLossBackward0 (here one fused node).
  return classIndexLoss(op, 'NllLossBackward0', input, target, options, false);
}

function crossEntropyProbs(input: Tensor, target: Tensor, options: CrossEntropyOptions): Tensor {
  const op = 'crossEntropy';
  checkFloat(input, op);
  const reduction = reductionOf(options, op);
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(
      `${op}: a floating-point target holds class probabilities and must have the input's shape ${shapeStr(input.shape)}, ` +
        `got target of shape ${shapeStr(target.shape)} (class indices must be int32)`,
    );
  }
  if (options.ignoreIndex !== undefined && options.ignoreIndex >= 0) {
    throw new Error(`${op}: ignoreIndex is not supported for class-probability targets`);
  }
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${op}: labelSmoothing must be between 0 and 1, got ${eps}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  let t = target.to(input.dtype);
  if (eps > 0) t = t.mul(1 - eps).add(eps / C);
  let prod = logSoftmax(input, classDim).mul(t);
  const weight = options.weight;
  if (weight !== null && weight !== undefined) {
    checkTensor(weight, op, 'weight');
    if (weight.ndim !== 1 || weight.shape[0] !== C) {
      throw new Error(`${op}: expected weight of shape [${C}] (one per class) for input of shape ${shapeStr(input.shape)}, got weight of shape ${shapeStr(weight.shape)}`);
    }
    prod = prod.mul(weight.reshape([C, ...Array(input.ndim - classDim - 1).fill(1)]));
  }
  if (reduction === 'none') return prod.sum(classDim).neg();
  if (reduction === 'sum') return prod.sum().neg();
  return prod.sum().neg().div(input.size / C);
}

// ---- regression losses -----------------------------------------------------------------------------

/** Mean squared error, as torch.nn.functional.mse_loss (input and target broadcast). */
export function mseLoss(input: Tensor, target: Tensor | number, options: ReductionOptions = {}): Tensor {
  const reduction = reductionOf(options, 'mseLoss');
  const [x, t] = regressionPair(input, target, 'mseLoss', { intInput: 'floatTarget' });
  const squares = noGrad(() => x.sub(t).square());
  return lossNode('MseLossBackward0', squares, null, reduction, [x, t], (g) => {
    const gd = g.mul(x.sub(t)).mul(2);
    return [x.requiresGrad ? sumToShape(gd, x.shape) : null, t.requiresGrad ? sumToShape(gd.neg(), t.shape) : null];
  });
}

/** Mean absolute error, as torch.nn.functional.l1_loss. */
export function l1Loss(input: Tensor, target: Tensor | number, options: ReductionOptions = {}): Tensor {
  const reduction = reductionOf(options, 'l1Loss');
  const [x, t] = regressionPair(input, target, 'l1Loss', { intInput: 'floatTarget' });
  return reduce(x.sub(t).abs(), reduction);
}

/** 0.5·d²/β where |d| < β, else |d| − 0.5·β, as torch.nn.functional.smooth_l1_loss (β = 0 is the L1 loss). */
export function smoothL1Loss(input: Tensor, target: Tensor | number, options: ReductionOptions & { beta?: number } = {}): Tensor {
  const op = 'smoothL1Loss';
  const reduction = reductionOf(options, op);
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new Error(`${op}: beta must be non-negative, got ${beta}`);
  const [x, t] = regressionPair(input, target, op, { intInput: 'floatTarget' });
  if (beta === 0) return reduce(absWithSmoothL1Gradient(x, t), reduction);
  return recordAsOne('SmoothL1LossBackward0', [x, t], (xi, ti) => {
    const d = xi.sub(ti).abs();
    return reduce(where(d.lt(beta), d.square().mul(0.5 / beta), d.sub(0.5 * beta)), reduction);
  });
}

/**
 * |x − t| with PyTorch's smooth_l1 gradient at β = 0: sign(x − t) for x, sign(t − x) for t, except that
 * where x = t both get −1 (its rule is d ≤ −β → −1, evaluated with d = x − t for x and d = t − x for t).
 */
function absWithSmoothL1Gradient(x: Tensor, t: Tensor): Tensor {
  const d = x.sub(t);
  const values = noGrad(() => d.abs());
  if (!needsGrad(x, t)) return values;
  return record(values, 'SmoothL1LossBackward0', [x, t], (g) => [
    x.requiresGrad ? sumToShape(g.mul(where(d.le(0), -1, 1)), x.shape) : null,
    t.requiresGrad ? sumToShape(g.mul(where(d.ge(0), -1, 1)), t.shape) : null,
  ]);
}

/** 0.5·d² where |d| < δ, else δ·(|d| − 0.5·δ), as torch.nn.functional.huber_loss. */
export function huberLoss(input: Tensor, target: Tensor | number, options: ReductionOptions & { delta?: number } = {}): Tensor {
  const op = 'huberLoss';
  const reduction = reductionOf(options, op);
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new Error(`${op}: delta must be positive, got ${delta}`);
  const [x, t] = regressionPair(input, target, op);
  return recordAsOne('HuberLossBackward0', [x, t], (xi, ti) => {
    const d = xi.sub(ti).abs();
    return reduce(where(d.lt(delta), d.square().mul(0.5), d.sub(0.5 * delta).mul(delta)), reduction);
  });
}

// ---- binary losses -----------------------------------------------------------------------------------

function optionalWeight(weight: Tensor | null | undefined, shape: readonly number[], op: string, name = 'weight'): Tensor | null {
  if (weight === null || weight === undefined) return null;
  checkTensor(weight, op, name);
  const fits = weight.ndim <= shape.length && weight.shape.every((d, i) => d === 1 || d === shape[shape.length - weight.ndim + i]);
  if (!fits) {
    throw new Error(`${op}: ${name} of shape ${shapeStr(weight.shape)} must broadcast to the input's shape ${shapeStr(shape)}`);
  }
  return weight;
}

/**
 * Binary cross entropy of probabilities, as torch.nn.functional.binary_cross_entropy: each log is clamped
 * to ≥ −100, and the gradient is PyTorch's (x − t)/max(x·(1 − x), ε) with ε = 1e-12 (as a float32).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, weight?: Tensor | null, options: ReductionOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  checkTensor(input, op);
  checkTensor(target, op, 'target');
  checkFloat(input, op);
  const reduction = reductionOf(options, op);
  checkSameShape(input, target, op);
  if (target.dtype !== input.dtype) throw new Error(`${op}: expected a ${input.dtype} target (the input's dtype), got ${target.dtype}`);
  const w = optionalWeight(weight, input.shape, op);
  const x = input;
  const t = target;
  const values = noGrad(() => {
    const xd = x.detach();
    if (xd.lt(0).logicalOr(xd.gt(1)).any().item()) throw new Error(`${op}: all elements of input should be between 0 and 1`);
    const td = t.detach();
    return td.sub(1).mul(xd.neg().log1p().clamp(-100)).sub(td.mul(xd.log().clamp(-100)));
  });
  return lossNode('BinaryCrossEntropyBackward0', values, w, reduction, [x, t], (g) => [
    x.requiresGrad ? g.mul(x.sub(t)).div(x.neg().add(1).mul(x).clamp(BCE_EPSILON)) : null,
    t.requiresGrad ? g.mul(x.neg().log1p().sub(x.log())) : null,
  ]);
}

/** PyTorch's EPSILON of the binary_cross_entropy gradient: 1e-12 as a float32. */
const BCE_EPSILON = Math.fround(1e-12);

export interface BceWithLogitsOptions extends ReductionOptions {
  /** Weight of the positive examples, broadcast against the target (typically one per class, [C]). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy of logits (sigmoid folded in, numerically stable), as
 * torch.nn.functional.binary_cross_entropy_with_logits.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, weight?: Tensor | null, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkTensor(input, op);
  checkTensor(target, op, 'target');
  checkFloat(input, op);
  const reduction = reductionOf(options, op);
  checkSameShape(input, target, op);
  checkFloat(target, op, 'target');
  const w = optionalWeight(weight, input.shape, op);
  const pw = optionalWeight(options.posWeight, input.shape, op, 'posWeight');
  const x = input;
  const t = target.to(input.dtype);
  const values = noGrad(() => {
    const xd = x.detach();
    const td = t.detach();
    // PyTorch: (1 − t)·x + lw·(log(exp(−m) + exp(−x − m)) + m), m = max(−x, 0), lw = 1 + (pw − 1)·t.
    const m = xd.neg().clamp(0);
    const softplusNeg = m.neg().exp().add(xd.neg().sub(m).exp()).log().add(m);
    const lw = pw ? pw.sub(1).mul(td).add(1) : null;
    return td.neg().add(1).mul(xd).add(lw ? lw.mul(softplusNeg) : softplusNeg);
  });
  return lossNode('BinaryCrossEntropyWithLogitsBackward0', values, w, reduction, [x, t], (g) => {
    const s = x.sigmoid();
    let gx: Tensor | null = null;
    let gt: Tensor | null = null;
    if (x.requiresGrad) gx = pw ? g.mul(pw.sub(1).mul(t).add(1).mul(s).sub(pw.mul(t))) : g.mul(s.sub(t));
    if (t.requiresGrad) {
      // d/dt = pw·softplus(−x) − softplus(x), which is −x without posWeight.
      gt = pw ? g.mul(pw.mul(softplusStable(x.neg())).sub(softplusStable(x))) : g.mul(x.neg());
    }
    return [gx, gt];
  });
}

/** Alias of binaryCrossEntropyWithLogits (nn.BCEWithLogitsLoss). */
export const bceWithLogits = binaryCrossEntropyWithLogits;

function softplusStable(x: Tensor): Tensor {
  return x.clamp(0).add(x.abs().neg().exp().log1p());
}

// ---- margin / divergence losses ---------------------------------------------------------------------

/**
 * Multi-class hinge loss Σ_{i≠y} max(0, margin − x_y + x_i)^p / C, as torch.nn.functional.multi_margin_loss
 * (input [N, C] or [C], int32 target [N] or []; p is 1 or 2; weight[y] scales each sample's terms).
 */
export function multiMarginLoss(
  input: Tensor, target: Tensor, options: ReductionOptions & { p?: number; margin?: number; weight?: Tensor | null } = {},
): Tensor {
  const op = 'multiMarginLoss';
  const reduction = reductionOf(options, op);
  const p = options.p ?? 1;
  const margin = options.margin ?? 1;
  if (p !== 1 && p !== 2) throw new Error(`${op}: only p == 1 and p == 2 are supported, got ${p}`);
  const L = classLayout(input, target, options.weight, -Infinity, op);
  if (input.ndim > 2) throw new Error(`${op}: expected input of shape [N, C] or [C], got input of shape ${shapeStr(input.shape)}`);
  const x = input.ndim === 1 ? input.unsqueeze(0) : input;
  const tIdx = new Tensor(Int32Array.from(L.target), [L.N, 1]);
  const xy = x.gather(1, tIdx);
  let z = xy.neg().add(x).add(margin).relu();
  if (p === 2) z = z.square();
  if (options.weight) z = z.mul(options.weight.to(x.dtype).indexSelect(0, tIdx.reshape([L.N])).unsqueeze(1));
  const isTarget = new Tensor(new Uint8Array(L.N * L.C), [L.N, L.C]);
  L.target.forEach((t, n) => (isTarget.storage[n * L.C + t] = 1));
  let loss = z.maskedFill(isTarget, 0).sum(1).div(L.C);
  if (input.ndim === 1) loss = loss.squeeze(0);
  return reduce(loss, reduction);
}

/**
 * Kullback–Leibler divergence of `target` from the log-probabilities `input`: target·(log target − input)
 * (0 where target is 0, with a finite target gradient there where PyTorch's is NaN), or with logTarget exp(target)·(target − input), as torch.nn.functional.kl_div.
 * reduction 'batchmean' divides the sum by the batch size (the mathematical KL); 'mean' by the element count.
 */
export function klDiv(
  input: Tensor, target: Tensor, options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {},
): Tensor {
  const op = 'klDiv';
  const reduction = reductionOf(options, op, ['mean', 'batchmean', 'sum', 'none']);
  const [x, t] = regressionPair(input, target, op, { floatTarget: true });
  let loss: Tensor;
  if (options.logTarget) {
    loss = t.exp().mul(t.sub(x));
  } else {
    // xlogy(t, t) − t·x: log is taken of 1 where t = 0 so that neither value nor gradient is NaN there.
    loss = t.mul(t.maskedFill(t.eq(0), 1).log()).sub(t.mul(x));
  }
  if (reduction === 'batchmean') return x.ndim === 0 ? loss.sum() : loss.sum().div(x.shape[0]);
  return reduce(loss, reduction);
}

// ---- distances ---------------------------------------------------------------------------------------

/** ‖x1 − x2 + eps‖_p over the last dim, as torch.nn.functional.pairwise_distance (inputs broadcast). */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  const op = 'pairwiseDistance';
  checkTensor(x1, op, 'x1');
  checkTensor(x2, op, 'x2');
  const diff = x1.sub(x2).add(options.eps ?? 1e-6);
  return norm(diff, options.p ?? 2, diff.ndim === 0 ? null : -1, options.keepdim ?? false);
}

/** ⟨x1/‖x1‖, x2/‖x2‖⟩ along dim with each squared norm at least eps² (default 1), as torch.nn.functional.cosine_similarity. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  const op = 'cosineSimilarity';
  checkTensor(x1, op, 'x1');
  checkTensor(x2, op, 'x2');
  const shape = broadcastShapes(x1.shape, x2.shape, op);
  const dim = options.dim ?? 1;
  const eps = options.eps ?? 1e-8;
  const a = x1.ndim < shape.length || !isFloat(x1.dtype) ? x1.to(isFloat(x1.dtype) ? x1.dtype : 'float32').expand(shape) : x1;
  const b = x2.ndim < shape.length || !isFloat(x2.dtype) ? x2.to(isFloat(x2.dtype) ? x2.dtype : 'float32').expand(shape) : x2;
  // As PyTorch, the squared norms are clamped to eps² without the clamp's effect on the gradient.
  const clampValue = (s: Tensor) => s.add(noGrad(() => s.clamp(eps * eps).sub(s)));
  const n1 = clampValue(a.square().sum(dim, true)).sqrt();
  const n2 = clampValue(b.square().sum(dim, true)).sqrt();
  return a.div(n1).mul(b.div(n2)).sum(dim);
}

// ---- more losses ------------------------------------------------------------------------------------------

/** log(1 + exp(−y·x)) for targets y = ±1, as torch.nn.functional.soft_margin_loss. */
export function softMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const op = 'softMarginLoss';
  const reduction = reductionOf(options, op);
  const [x, t] = regressionPair(input, target, op);
  // PyTorch writes the loss into a tensor of the input's shape: the target may broadcast to it, not widen it.
  if (!sameShape(broadcastShapes(x.shape, t.shape, op), x.shape)) {
    throw new Error(`${op}: target of shape ${shapeStr(t.shape)} does not broadcast to the input's shape ${shapeStr(x.shape)}`);
  }
  return reduce(softplus(x.mul(t).neg()), reduction);
}

/** max(0, −y·(x1 − x2) + margin), as torch.nn.functional.margin_ranking_loss. */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: ReductionOptions & { margin?: number } = {}): Tensor {
  const op = 'marginRankingLoss';
  const reduction = reductionOf(options, op);
  if (input1?.ndim !== input2?.ndim || input1?.ndim !== target?.ndim) {
    throw new Error(`${op}: expected input1, input2 and target of the same number of dims, got ${shapeStr(input1?.shape ?? [])}, ${shapeStr(input2?.shape ?? [])} and ${shapeStr(target?.shape ?? [])}`);
  }
  const [x1, t] = regressionPair(input1, target, op, { intInput: 'any' });
  const [x2] = regressionPair(input2, target, op, { intInput: 'any' });
  return reduce(t.neg().mul(x1.sub(x2)).add(options.margin ?? 0).clamp(0), reduction);
}

/** x where y = 1, max(0, margin − x) where y = −1 (the sum of both otherwise), as torch.nn.functional.hinge_embedding_loss. */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: ReductionOptions & { margin?: number } = {}): Tensor {
  const op = 'hingeEmbeddingLoss';
  const reduction = reductionOf(options, op);
  const [x, t] = regressionPair(input, target, op);
  const marginPart = where(t.ne(1), x.neg().add(options.margin ?? 1).clamp(0), 0);
  const selfPart = where(t.ne(-1), x, 0);
  return reduce(marginPart.add(selfPart), reduction);
}

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos − margin) where y = −1, as torch.nn.functional.cosine_embedding_loss
 * (cos over the last dim of [N, D] or [D] inputs with PyTorch's 1e-12 added to each squared norm).
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: ReductionOptions & { margin?: number } = {}): Tensor {
  const op = 'cosineEmbeddingLoss';
  const reduction = reductionOf(options, op);
  checkTensor(input1, op, 'input1');
  checkTensor(input2, op, 'input2');
  checkTensor(target, op, 'target');
  if (target.ndim > 1) throw new Error(`${op}: expected a 0-D or 1-D target, got target of shape ${shapeStr(target.shape)}`);
  if (input1.ndim !== target.ndim + 1 || !sameShape(input1.shape, input2.shape) || (target.ndim === 1 && input1.shape[0] !== target.shape[0])) {
    throw new Error(`${op}: expected inputs of shape [N, D] (or [D]) matching target [N] (or []), got ${shapeStr(input1.shape)}, ${shapeStr(input2.shape)} and target ${shapeStr(target.shape)}`);
  }
  const d = target.ndim;
  const prodSum = input1.mul(input2).sum(d);
  const mag1 = input1.mul(input1).sum(d).add(1e-12);
  const mag2 = input2.mul(input2).sum(d).add(1e-12);
  const cos = prodSum.div(mag1.mul(mag2).sqrt());
  const pos = where(target.eq(1), cos.neg().add(1), 0);
  const neg = where(target.eq(-1), cos.sub(options.margin ?? 0).clamp(0), 0);
  return reduce(pos.add(neg), reduction);
}

export interface TripletMarginOptions extends ReductionOptions {
  margin?: number;
  p?: number;
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance. */
  swap?: boolean;
}

/** max(d(a, p) − d(a, n) + margin, 0) with pairwiseDistance, as torch.nn.functional.triplet_margin_loss. */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletMarginOptions = {}): Tensor {
  const op = 'tripletMarginLoss';
  const reduction = reductionOf(options, op);
  checkTensor(anchor, op, 'anchor');
  checkTensor(positive, op, 'positive');
  checkTensor(negative, op, 'negative');
  const nd = anchor.ndim;
  if (positive.ndim !== nd || negative.ndim !== nd) {
    throw new Error(`${op}: expected anchor, positive and negative of the same rank, got ${shapeStr(anchor.shape)}, ${shapeStr(positive.shape)} and ${shapeStr(negative.shape)}`);
  }
  const dist = { p: options.p ?? 2, eps: options.eps ?? 1e-6 };
  const dPos = pairwiseDistance(anchor, positive, dist);
  let dNeg = pairwiseDistance(anchor, negative, dist);
  if (options.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, dist));
  return reduce(dPos.sub(dNeg).add(options.margin ?? 1).clamp(0), reduction);
}

/** −mean_c(y·logσ(x) + (1 − y)·logσ(−x)) per sample, as torch.nn.functional.multilabel_soft_margin_loss. */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions & { weight?: Tensor | null } = {}): Tensor {
  const op = 'multilabelSoftMarginLoss';
  const reduction = reductionOf(options, op);
  const [x, t] = regressionPair(input, target, op);
  let loss = t.mul(logSigmoid(x)).add(t.neg().add(1).mul(logSigmoid(x.neg()))).neg();
  if (options.weight) loss = loss.mul(options.weight);
  const classDim = x.ndim - 1;
  loss = loss.sum(classDim).div(x.shape[classDim]);
  return reduce(loss, reduction);
}

/**
 * Poisson negative log-likelihood, as torch.nn.functional.poisson_nll_loss: exp(x) − y·x with logInput
 * (default), else x − y·log(x + eps); full adds Stirling's term for y > 1.
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: ReductionOptions & { logInput?: boolean; full?: boolean; eps?: number } = {}): Tensor {
  const op = 'poissonNllLoss';
  const reduction = reductionOf(options, op);
  const [x, t] = regressionPair(input, target, op, { intInput: 'any' });
  let loss = options.logInput ?? true ? x.exp().sub(t.mul(x)) : x.sub(t.mul(x.add(options.eps ?? 1e-8).log()));
  if (options.full) {
    const safe = t.maskedFill(t.le(1), 1);
    const stirling = safe.mul(safe.log()).sub(safe).add(safe.mul(2 * Math.PI).log().mul(0.5));
    loss = loss.add(stirling.maskedFill(t.le(1), 0));
  }
  return reduce(loss, reduction);
}

/**
 * Gaussian negative log-likelihood 0.5·(log var + (x − y)²/var) (+ 0.5·log 2π with full), as
 * torch.nn.functional.gaussian_nll_loss; var is clamped to ≥ eps without stopping its gradient (as PyTorch).
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: ReductionOptions & { full?: boolean; eps?: number } = {}): Tensor {
  const op = 'gaussianNllLoss';
  const reduction = reductionOf(options, op);
  const [x, t] = regressionPair(input, target, op, { intInput: 'any' });
  checkTensor(variance, op, 'var');
  checkFloat(variance, op, 'var');
  let v = variance;
  if (!sameShape(v.shape, x.shape)) {
    if (sameShape(x.shape.slice(0, -1), v.shape)) v = v.unsqueeze(-1);
    else if (!(sameShape(x.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.ndim - 1] === 1)) {
      throw new Error(`${op}: var of shape ${shapeStr(variance.shape)} does not match the input's shape ${shapeStr(x.shape)}`);
    }
  }
  if (noGrad(() => v.lt(0).any().item())) throw new Error(`${op}: var has negative entries`);
  const eps = options.eps ?? 1e-6;
  const clamped = v.add(noGrad(() => v.clamp(eps).sub(v)));
  let loss = clamped.log().add(x.sub(t).square().div(clamped)).mul(0.5);
  if (options.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(loss, reduction);
}

/** Distances between all pairs of rows i < j of x [N, M] (row-major upper triangle), as torch.nn.functional.pdist. */
export function pdist(x: Tensor, options: { p?: number } = {}): Tensor {
  const op = 'pdist';
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim !== 2) throw new Error(`${op}: expected a 2-D input [N, M], got input of shape ${shapeStr(x.shape)}`);
  const N = x.shape[0];
  const I: number[] = [];
  const J: number[] = [];
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) (I.push(i), J.push(j));
  if (I.length === 0) return empty([0], x.dtype);
  return recordAsOne('PdistBackward0', [x], (xi) => norm(xi.indexSelect(0, I).sub(xi.indexSelect(0, J)), options.p ?? 2, 1));
}

/** tripletMarginLoss with any distance (default pairwiseDistance), as torch.nn.functional.triplet_margin_with_distance_loss. */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor, positive: Tensor, negative: Tensor,
  options: ReductionOptions & { distanceFunction?: ((a: Tensor, b: Tensor) => Tensor) | null; margin?: number; swap?: boolean } = {},
): Tensor {
  const op = 'tripletMarginWithDistanceLoss';
  const reduction = reductionOf(options, op);
  const margin = options.margin ?? 1;
  if (!(margin > 0)) throw new Error(`${op}: margin must be greater than 0, got ${margin}`);
  const distance = options.distanceFunction ?? ((a: Tensor, b: Tensor) => pairwiseDistance(a, b));
  const dPos = distance(anchor, positive);
  let dNeg = distance(anchor, negative);
  if (options.swap) dNeg = minimum(dNeg, distance(positive, negative));
  return reduce(dPos.sub(dNeg).add(margin).clamp(0), reduction);
}

/**
 * Multi-label hinge loss: for each sample, Σ over its target classes j (the int32 target row up to the
 * first −1) and non-target classes i of max(0, 1 − (x_j − x_i)), divided by C, as
 * torch.nn.functional.multilabel_margin_loss (input [N, C] or [C], target of the same shape).
 */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const op = 'multilabelMarginLoss';
  const reduction = reductionOf(options, op);
  checkTensor(input, op);
  checkTensor(target, op, 'target');
  checkFloat(input, op);
  if ((input.ndim !== 1 && input.ndim !== 2) || !sameShape(input.shape, target.shape) || target.dtype !== 'int32') {
    throw new Error(`${op}: expected input [N, C] or [C] and an int32 target of the same shape, got input ${shapeStr(input.shape)} and ${target.dtype} target ${shapeStr(target.shape)}`);
  }
  const x = input.ndim === 1 ? input.unsqueeze(0) : input;
  const [N, C] = x.shape;
  const t = target.contiguous().data() as Int32Array;
  const counts = new Float64Array(N * C);
  const isTarget = new Uint8Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < C; k++) {
      const c = t[n * C + k];
      if (c === -1) break;
      if (c < 0 || c >= C) throw new Error(`${op}: target ${c} is out of bounds for ${C} classes`);
      counts[n * C + c]++;
      isTarget[n * C + c] = 1;
    }
  }
  const pairWeight = new Tensor(counts, [N, C, 1]).to(x.dtype).mul(new Tensor(isTarget, [N, 1, C]).logicalNot().to(x.dtype));
  const z = x.unsqueeze(1).sub(x.unsqueeze(2)).add(1).relu(); // z[n, j, i] = 1 − (x_j − x_i)
  let loss = z.mul(pairWeight).sum([1, 2]).div(C);
  if (input.ndim === 1) loss = loss.squeeze(0);
  return reduce(loss, reduction);
}
