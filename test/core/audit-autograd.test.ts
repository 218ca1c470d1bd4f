/**
 * PyTorch parity for the autograd audit: gradients at points PyTorch defines specially (abs/relu at 0,
 * ties in max/min, sqrt and pow at 0, clamp at its bounds, norm at 0), views, duplicate indices, and
 * in-place updates of tensors in the graph. Expected outputs and gradients come from
 * test/fixtures/audit_autograd.json, written by tools/fixtures/audit_autograd.py: each case runs its op,
 * calls out.backward(seed) with seed[i] = 1 + i/2, and compares the output and every input's .grad
 * (null where PyTorch leaves it None). A case with `error` must throw. The d2* ops return a first
 * derivative taken with createGraph, so their gradients are second derivatives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
const { grad } = st.autograd; // the public torch.autograd.grad
import { assertClose, decode, decodeArgs, fixtureCaseTests, magnitude } from './helpers.js';

interface Spec {
  data: (number | string)[];
  shape: number[];
  requiresGrad?: boolean;
  dtype?: 'int32';
}
interface Out {
  shape: number[];
  data: (number | string)[];
}
interface Case {
  name: string;
  op: string;
  inputs: Spec[];
  args: Record<string, unknown>;
  out?: Out;
  grads?: (Out | null)[];
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/audit_autograd.json', import.meta.url), 'utf8')) as { cases: Case[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;
const F = st.F as unknown as Record<string, (...args: unknown[]) => Tensor>;

/** x -> d(sum f(x))/dx with createGraph, so backward of the result gives second derivatives. */
const firstDerivative = (f: (x: Tensor) => Tensor) => (t: Tensor[]) => grad(f(t[0]).sum(), t[0], { createGraph: true })[0] as Tensor;
const W3 = st.tensor([1, 2, 3], { dtype: 'float64' });

type Conv = (x: Tensor, w: Tensor, b: Tensor | null, options: A) => Tensor;
/** (x, w[, b]) -> the gradients of sum(conv(x, w, b)²) with createGraph, joined: its backward is the conv's double backward. */
const convGrads = (conv: Conv) => (t: Tensor[], a: A) => {
  const { output_padding: outputPadding, ...rest } = a;
  const out = conv(t[0], t[1], t[2] ?? null, outputPadding === undefined ? rest : { ...rest, outputPadding });
  const grads = grad(out.pow(2).sum(), t, { createGraph: true }) as Tensor[];
  return st.cat(grads.map((g) => g.reshape([-1])));
};

/** (inputs, args) -> the gradients of sum(f(inputs, args)²) w.r.t. the inputs that require grad, with createGraph, joined: its backward is f's double backward. */
const gradsOf = (f: (t: Tensor[], a: A) => Tensor) => (t: Tensor[], a: A) => {
  const grads = grad(f(t, a).pow(2).sum(), t.filter((x) => x.requiresGrad), { createGraph: true }) as Tensor[];
  return st.cat(grads.map((g) => g.reshape([-1])));
};
const pool = (a: A) => ({ stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceil_mode });
const avgPool = (a: A) => ({ stride: a.stride, padding: a.padding, ceilMode: a.ceil_mode, countIncludePad: a.count_include_pad, divisorOverride: a.divisor_override });
const classLoss = (a: A) => ({
  reduction: a.reduction, weight: a.weight ? st.tensor(a.weight, { dtype: 'float64' }) : null, ignoreIndex: a.ignore_index, labelSmoothing: a.label_smoothing,
});
const stat = (v: number[] | undefined) => (v ? st.tensor(v, { dtype: 'float64' }) : null);

/** The Strata call for each op key of tools/fixtures/audit_autograd.py. */
const OPS: Record<string, (t: Tensor[], a: A) => Tensor> = {
  d2mul: firstDerivative((x) => x.mul(x).mul(x)),
  d2exp: firstDerivative((x) => x.exp()),
  d2tanh: firstDerivative((x) => x.tanh()),
  d2sigmoid: firstDerivative((x) => x.sigmoid()),
  d2matmul: firstDerivative((x) => x.matmul(x)),
  d2softmax: firstDerivative((x) => x.softmax(0).mul(W3)),
  d2reluTimesX: firstDerivative((x) => x.relu().mul(x)),
  d2sliceCubed: firstDerivative((x) => x.slice(0, 0, 3, 2).pow(3)),
  d2gatherSquared: firstDerivative((x) => x.gather(0, st.tensor([0, 0, 2], { dtype: 'int32' })).pow(2)),
  d2meanSquared: firstDerivative((x) => x.mean().pow(2)),
  d2conv2d: convGrads(st.F.conv2d),
  d2conv1d: convGrads(st.F.conv1d),
  d2convTranspose2d: convGrads(st.F.convTranspose2d),
  d2maxPool2d: gradsOf((t, a) => st.F.maxPool2d(t[0], a.kernel_size, pool(a))),
  d2maxPool1d: gradsOf((t, a) => st.F.maxPool1d(t[0], a.kernel_size, pool(a))),
  d2avgPool2d: gradsOf((t, a) => st.F.avgPool2d(t[0], a.kernel_size, avgPool(a))),
  d2avgPool1d: gradsOf((t, a) => st.F.avgPool1d(t[0], a.kernel_size, avgPool(a))),
  d2adaptiveAvgPool2d: gradsOf((t, a) => st.F.adaptiveAvgPool2d(t[0], a.output_size)),
  d2adaptiveMaxPool2d: gradsOf((t, a) => st.F.adaptiveMaxPool2d(t[0], a.output_size)),
  d2lpPool2d: gradsOf((t, a) => st.F.lpPool2d(t[0], a.norm_type, a.kernel_size, { stride: a.stride })),
  d2interpolate: gradsOf((t, a) => st.F.interpolate(t[0], { size: a.size, scaleFactor: a.scale_factor, mode: a.mode, alignCorners: a.align_corners })),
  d2batchNorm: gradsOf((t, a) => st.F.batchNorm(t[0], stat(a.running_mean), stat(a.running_var), t[1], t[2], { training: a.training, eps: a.eps })),
  d2layerNorm: gradsOf((t, a) => st.F.layerNorm(t[0], a.normalized_shape, t[1], t[2], { eps: a.eps })),
  d2groupNorm: gradsOf((t, a) => st.F.groupNorm(t[0], a.num_groups, t[1], t[2])),
  d2instanceNorm: gradsOf((t) => st.F.instanceNorm(t[0], null, null, t[1], t[2])),
  d2localResponseNorm: gradsOf((t, a) => st.F.localResponseNorm(t[0], a.size, { alpha: a.alpha, beta: a.beta, k: a.k })),
  d2crossEntropy: gradsOf((t, a) => st.F.crossEntropy(t[0], t[1], classLoss(a))),
  d2nllLoss: gradsOf((t, a) => st.F.nllLoss(t[0], t[1], classLoss(a))),
  d2mish: gradsOf((t) => st.F.mish(t[0])),
  abs: (t) => t[0].abs(),
  relu: (t) => t[0].relu(),
  sqrt: (t) => t[0].sqrt(),
  pow: (t, a) => t[0].pow(t.length > 1 ? t[1] : a.exponent),
  rpow: (t, a) => st.pow(a.base, t[0]),
  clamp: (t, a) => t[0].clamp(a.min, a.max),
  clampTensor: (t) => t[0].clamp(t[1], t[2]),
  norm: (t, a) => t[0].norm(a.p, a.dim),
  where: (t) => st.where(t[0].gt(0), t[0].sqrt(), t[0]),
  std: (t, a) => t[0].std(a.dim ?? null, { unbiased: a.unbiased ?? true }),
  var: (t, a) => t[0].var(a.dim ?? null, { unbiased: a.unbiased ?? true }),
  max: (t) => t[0].max(),
  min: (t) => t[0].min(),
  maxDim: (t, a) => t[0].max(a.dim as number).values,
  minDim: (t, a) => t[0].min(a.dim as number).values,
  amax: (t, a) => t[0].amax(a.dim),
  amin: (t, a) => t[0].amin(a.dim),
  maximum: (t) => st.maximum(t[0], t[1]),
  minimum: (t) => st.minimum(t[0], t[1]),
  prod: (t, a) => t[0].prod(a.dim ?? null),
  logsumexp: (t, a) => t[0].logsumexp(a.dim),
  softmax: (t, a) => t[0].softmax(a.dim),
  logSoftmax: (t, a) => t[0].logSoftmax(a.dim),
  log: (t) => t[0].log(),
  div: (t) => t[0].div(t[1]),
  atan2: (t) => st.atan2(t[0], t[1]),
  expand: (t, a) => t[0].expand(a.shape),
  slice: (t, a) => t[0].slice(1, a.start, a.end, a.step),
  transpose: (t) => t[0].transpose(0, 1).mul(t[1]),
  addBroadcast: (t) => t[0].add(t[1]),
  mulBroadcast: (t) => t[0].mul(t[1]),
  meanBroadcast: (t, a) => t[0].mul(t[1]).mean(a.dim),
  gather: (t, a) => t[0].gather(a.dim, t[1]),
  indexSelect: (t, a) => t[0].indexSelect(a.dim, t[1]),
  scatterAdd: (t, a) => st.scatterAdd(t[0], a.dim, t[1], t[2]),
  cat: (t, a) => st.cat(t, a.dim),
  stack: (t, a) => st.stack(t, a.dim),
  splitFirst: (t, a) => t[0].split(a.size, a.dim)[a.pick].mul(3),
  chunkPick: (t, a) => t[0].chunk(a.chunks, a.dim)[a.pick],
  unbindPick: (t, a) => t[0].unbind(a.dim)[a.pick],
  matmul: (t) => t[0].matmul(t[1]),
  hardtanh: (t) => F.hardtanh(t[0]),
  relu6: (t) => F.relu6(t[0]),
  leakyRelu: (t) => F.leakyRelu(t[0], 0.1),
  elu: (t) => F.elu(t[0]),
  gelu: (t) => F.gelu(t[0]),
  silu: (t) => F.silu(t[0]),
  softplus: (t) => F.softplus(t[0]),
  hardswish: (t) => F.hardswish(t[0]),
  hardsigmoid: (t) => F.hardsigmoid(t[0]),
  threshold: (t, a) => F.threshold(t[0], a.threshold, a.value),
  logSigmoid: (t) => F.logSigmoid(t[0]),
  sign: (t) => t[0].sign(),
  remainder: (t) => st.remainder(t[0], t[1]),
  fmod: (t) => st.fmod(t[0], t[1]),
  rsqrt: (t) => t[0].rsqrt(),
  reciprocal: (t) => t[0].reciprocal(),
  maskedFill: (t, a) => t[0].maskedFill(t[0].gt(a.above), a.value),
  flip: (t, a) => t[0].flip(a.dims),
  repeat: (t, a) => t[0].repeat(a.sizes),
  sumTwice: (t) => t[0].sum(0).sum(),
  fanOut: (t) => t[0].mul(t[0]).add(t[0].exp().mul(t[0])),
  inplaceChain: (t) => {
    const y = t[0].mul(2);
    y.add_(1);
    y.mul_(2);
    y.sub_(t[0], { alpha: 3 });
    return y.mul(y);
  },
  inplaceViewOfNonLeaf: (t) => {
    const y = t[0].mul(1);
    y.slice(0, 0, 2).mul_(3);
    return y;
  },
  inplaceThenSaved: (t) => {
    const z = t[0].exp().mul(1);
    z.sub_(t[1]);
    return z.mul(z);
  },
  inplaceOtherRequiresGrad: (t) => t[0].mul(1).mul_(t[1]),
  inplaceDivClamp: (t) => t[0].add(0).div_(t[1]).clamp_(-1, 1),
  inplaceOnNoGradTensor: (t) => {
    const y = st.zeros(t[0].shape, { dtype: 'float64' });
    y.add_(t[0], { alpha: 2 });
    return y.mul(t[0]);
  },
  inplaceCopyIntoSlice: (t) => {
    const y = st.zeros([4], { dtype: 'float64' });
    y.slice(0, 1, 3).copy_(t[0]);
    return y.mul(2);
  },
  inplaceSavedModified: (t) => t[0].exp().add_(1),
  inplaceSavedInputModified: (t) => {
    const y = t[0].mul(1);
    const z = y.mul(y);
    y.add_(1);
    return z;
  },
  inplaceLeaf: (t) => t[0].add_(1),
  inplaceViewOfLeaf: (t) => {
    t[0].slice(0, 0, 1).mul_(2);
    return t[0];
  },
};

function makeInput(spec: Spec): Tensor {
  const values = spec.data.map(decode);
  if (spec.dtype === 'int32') return st.tensor(values, { shape: spec.shape, dtype: 'int32' });
  const t = st.tensor(values, { shape: spec.shape, dtype: 'float64' });
  return spec.requiresGrad ? t.requiresGrad_() : t;
}

function compare(actual: Tensor | null, expected: Out, what: string): void {
  assert.ok(actual, `${what}: missing (PyTorch has one)`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assertClose(actual, expected.data.map(decode), { rtol: 1e-9, atol: 1e-12 * magnitude(expected.data), what });
}

function runCase(c: Case): void {
  const op = OPS[c.op];
  assert.ok(op, `no Strata op for fixture op key '${c.op}'`);
  const inputs = c.inputs.map(makeInput);
  const args = decodeArgs(c.args);
  const run = () => {
    const out = op(inputs, args);
    const seed = st.arange(0, out.size, 1, { dtype: 'float64' }).mul(0.5).add(1).reshape(out.shape);
    out.backward(seed);
    return out;
  };
  if (c.error !== undefined) {
    assert.throws(run, `PyTorch raises: ${c.error}`);
    return;
  }
  const out = run();
  compare(out, c.out as Out, 'output');
  (c.grads ?? []).forEach((g, i) => {
    if (g === null) assert.equal(inputs[i].grad, null, `input ${i}: PyTorch leaves .grad None`);
    else compare(inputs[i].grad, g, `grad of input ${i}`);
  });
}

fixtureCaseTests(fixture.cases, OPS, runCase, 'the audit table');
