import assert from 'node:assert/strict';
/**
 * The Strata call for each op key of test/fixtures/core.json (tools/fixtures/core.py's OPS table), and
 * how a fixture case builds its inputs and upstream gradient. Shared by parity.test.ts and by
 * tools/coverage-table.ts, which replays the cases to see which kernels each op uses.
 */
import * as st from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';
import * as act from '../../src/ops/activation.js';
import { decode } from './helpers.js';

export interface Spec {
  data: (number | boolean | string)[];
  shape: number[];
  dtype: DType;
  grad?: boolean;
  view?: [string, ...unknown[]][];
}
export interface Out {
  dtype: DType;
  shape: number[];
  data: (number | boolean | string)[];
}
export interface Case {
  name: string;
  op: string;
  inputs: Spec[];
  args?: Record<string, unknown>;
  tol?: number;
  out: Out[];
  multi?: boolean;
  grads?: ((number | string)[] | null)[];
  gradFn?: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type A = Record<string, any>;
export type OpFn = (t: Tensor[], a: A) => Tensor | Tensor[];

const second = (t: Tensor[], a: A, key = 'other') => (t.length > 1 ? t[1] : a[key]);
const unary = (f: (x: Tensor) => Tensor): OpFn => (t) => f(t[0]);

/** The Strata call for each op key of tools/fixtures/core.py's OPS table. */
export const OPS: Record<string, OpFn> = {
  add: (t, a) => st.add(t[0], second(t, a), { alpha: a.alpha }),
  sub: (t, a) => st.sub(t[0], second(t, a), { alpha: a.alpha }),
  rsub: (t, a) => st.rsub(t[0], a.other),
  mul: (t, a) => st.mul(t[0], second(t, a)),
  div: (t, a) => st.div(t[0], second(t, a), { roundingMode: a.roundingMode ?? null }),
  pow: (t, a) => st.pow(t[0], second(t, a, 'exponent')),
  rpow: (t, a) => st.pow(a.base, t[0]),
  maximum: (t) => st.maximum(t[0], t[1]),
  minimum: (t) => st.minimum(t[0], t[1]),
  remainder: (t, a) => st.remainder(t[0], second(t, a)),
  fmod: (t, a) => st.fmod(t[0], second(t, a)),
  atan2: (t) => st.atan2(t[0], t[1]),
  eq: (t, a) => st.eq(t[0], second(t, a)),
  ne: (t, a) => st.ne(t[0], second(t, a)),
  lt: (t, a) => st.lt(t[0], second(t, a)),
  le: (t, a) => st.le(t[0], second(t, a)),
  gt: (t, a) => st.gt(t[0], second(t, a)),
  ge: (t, a) => st.ge(t[0], second(t, a)),
  logicalAnd: (t) => st.logicalAnd(t[0], t[1]),
  logicalOr: (t) => st.logicalOr(t[0], t[1]),
  logicalXor: (t) => st.logicalXor(t[0], t[1]),
  logicalNot: unary(st.logicalNot),
  neg: unary(st.neg),
  abs: unary(st.abs),
  sign: unary(st.sign),
  exp: unary(st.exp),
  log: unary(st.log),
  log2: unary(st.log2),
  log10: unary(st.log10),
  log1p: unary(st.log1p),
  expm1: unary(st.expm1),
  sqrt: unary(st.sqrt),
  rsqrt: unary(st.rsqrt),
  square: unary(st.square),
  reciprocal: unary(st.reciprocal),
  sin: unary(st.sin),
  cos: unary(st.cos),
  tanh: unary(st.tanh),
  sigmoid: unary(st.sigmoid),
  relu: unary(st.relu),
  erf: unary(st.erf),
  floor: unary(st.floor),
  ceil: unary(st.ceil),
  round: unary(st.round),
  trunc: unary(st.trunc),
  isnan: unary(st.isnan),
  isinf: unary(st.isinf),
  isfinite: unary(st.isfinite),
  clamp: (t, a) => st.clamp(t[0], a.minIdx !== undefined ? t[a.minIdx] : a.min, a.maxIdx !== undefined ? t[a.maxIdx] : a.max),
  where: (t, a) => st.where(t[0], a.a !== undefined ? a.a : t[1], a.b !== undefined ? a.b : t[t.length - 1]),
  whereScalars: (t, a) => st.where(t[0], a.a, t[1]),
  maskedFill: (t, a) => st.maskedFill(t[0], t[1], a.value),
  sum: (t, a) => ('dim' in a ? st.sum(t[0], a.dim, a.keepdim ?? false) : st.sum(t[0])),
  mean: (t, a) => ('dim' in a ? st.mean(t[0], a.dim, a.keepdim ?? false) : st.mean(t[0])),
  prod: (t, a) => ('dim' in a ? st.prod(t[0], a.dim, a.keepdim ?? false) : st.prod(t[0])),
  amax: (t, a) => st.amax(t[0], a.dim ?? [], a.keepdim ?? false),
  amin: (t, a) => st.amin(t[0], a.dim ?? [], a.keepdim ?? false),
  maxAll: (t) => t[0].max(),
  minAll: (t) => t[0].min(),
  maxDim: (t, a) => [...st.max(t[0], a.dim, a.keepdim ?? false)],
  minDim: (t, a) => [...st.min(t[0], a.dim, a.keepdim ?? false)],
  argmax: (t, a) => st.argmax(t[0], a.dim ?? null, a.keepdim ?? false),
  argmin: (t, a) => st.argmin(t[0], a.dim ?? null, a.keepdim ?? false),
  var: (t, a) => st.var(t[0], a.dim ?? null, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }),
  std: (t, a) => st.std(t[0], a.dim ?? null, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }),
  logsumexp: (t, a) => st.logsumexp(t[0], a.dim, a.keepdim ?? false),
  norm: (t, a) => st.norm(t[0], a.p, a.dim ?? null, a.keepdim ?? false),
  all: (t, a) => ('dim' in a ? st.all(t[0], a.dim, a.keepdim ?? false) : st.all(t[0])),
  any: (t, a) => ('dim' in a ? st.any(t[0], a.dim, a.keepdim ?? false) : st.any(t[0])),
  softmax: (t, a) => st.softmax(t[0], a.dim),
  logSoftmax: (t, a) => st.logSoftmax(t[0], a.dim),
  matmul: (t) => st.matmul(t[0], t[1]),
  mm: (t) => st.mm(t[0], t[1]),
  bmm: (t) => st.bmm(t[0], t[1]),
  dot: (t) => st.dot(t[0], t[1]),
  reshape: (t, a) => st.reshape(t[0], a.shape),
  view: (t, a) => st.view(t[0], a.shape),
  flatten: (t, a) => st.flatten(t[0], a.start ?? 0, a.end ?? -1),
  unflatten: (t, a) => st.unflatten(t[0], a.dim, a.sizes),
  permute: (t, a) => st.permute(t[0], a.dims),
  transpose: (t, a) => st.transpose(t[0], a.dim0, a.dim1),
  squeeze: (t, a) => st.squeeze(t[0], a.dim),
  unsqueeze: (t, a) => st.unsqueeze(t[0], a.dim),
  expand: (t, a) => st.expand(t[0], a.sizes),
  slice: (t, a) => st.slice(t[0], a.dim, a.start ?? null, a.end ?? null, a.step ?? 1),
  narrow: (t, a) => st.narrow(t[0], a.dim, a.start, a.length),
  select: (t, a) => st.select(t[0], a.dim, a.index),
  unbind: (t, a) => st.unbind(t[0], a.dim),
  split: (t, a) => st.split(t[0], a.split, a.dim),
  chunk: (t, a) => st.chunk(t[0], a.chunks, a.dim),
  flip: (t, a) => st.flip(t[0], a.dims),
  repeat: (t, a) => st.repeat(t[0], a.sizes),
  cat: (t, a) => st.cat(t, a.dim),
  stack: (t, a) => st.stack(t, a.dim),
  gather: (t, a) => st.gather(t[0], a.dim, t[1]),
  scatterAdd: (t, a) => st.scatterAdd(t[0], a.dim, t[1], t[2]),
  indexSelect: (t, a) => st.indexSelect(t[0], a.dim, t[1]),
  oneHot: (t, a) => st.oneHot(t[0], a.numClasses ?? -1),
  pad: (t, a) => st.pad(t[0], a.pad, { mode: a.mode, value: a.value }),
  cast: (t, a) => st.cast(t[0], a.dtype),
  clone: (t) => st.clone(t[0]),
  contiguous: (t) => t[0].contiguous(),
  leakyRelu: (t, a) => act.leakyRelu(t[0], a.slope),
  elu: (t, a) => act.elu(t[0], a.alpha),
  selu: (t) => act.selu(t[0]),
  gelu: (t, a) => act.gelu(t[0], { approximate: a.approximate }),
  silu: (t) => act.silu(t[0]),
  mish: (t) => act.mish(t[0]),
  softplus: (t, a) => act.softplus(t[0], { beta: a.beta, threshold: a.threshold }),
  hardswish: (t) => act.hardswish(t[0]),
  hardsigmoid: (t) => act.hardsigmoid(t[0]),
  hardtanh: (t, a) => act.hardtanh(t[0], a.min, a.max),
  relu6: (t) => act.relu6(t[0]),
  threshold: (t, a) => act.threshold(t[0], a.threshold, a.value),
  prelu: (t) => act.prelu(t[0], t[1]),
  logSigmoid: (t) => act.logSigmoid(t[0]),
  softsign: (t) => act.softsign(t[0]),
  tanhshrink: (t) => act.tanhshrink(t[0]),
};

export function makeInput(spec: Spec): { leaf: Tensor; input: Tensor } {
  const values = spec.data.map(decode);
  const leaf = st.tensor(values, { dtype: spec.dtype, shape: spec.shape });
  if (spec.grad) leaf.requiresGrad_();
  let input = leaf;
  for (const [kind, ...args] of spec.view ?? []) {
    if (kind === 'transpose') input = input.transpose(args[0] as number, args[1] as number);
    else if (kind === 'slice') input = input.slice(args[0] as number, args[1] as number | null, args[2] as number | null, args[3] as number);
    else if (kind === 'expand') input = input.expand(args[0] as number[]);
    else if (kind === 'permute') input = input.permute(args[0] as number[]);
    else throw new Error(`unknown view transform ${kind}`);
  }
  return { leaf, input };
}

/** The fixture's upstream gradient for output k (see upstream() in core.py). */
export function upstream(out: Tensor, k: number): Tensor {
  const values = Array.from({ length: out.size }, (_, i) => (((i * 5 + k * 3) % 9) - 4) * 0.25 + 0.125);
  return st.tensor(values, { dtype: out.dtype, shape: [...out.shape] });
}

/** Backward of Σₖ sum(outₖ · upstream(outₖ, k)) over the outputs that require grad, as the fixture scripts take it. */
export function backwardOfWeightedSum(outs: readonly Tensor[]): void {
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.requiresGrad) return;
    const term = o.mul(upstream(o, k)).sum();
    loss = loss ? loss.add(term) : term;
  });
  assert.ok(loss, 'PyTorch computed gradients but no Strata output requires grad');
  (loss as Tensor).backward();
}
