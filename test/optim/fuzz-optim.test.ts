/**
 * PyTorch 1.13 parity of optimiser, lr-scheduler, gradient-utility and nn.init cases found by
 * differential fuzzing (tools/fixtures/fuzz_optim.py writes test/fixtures/fuzz_optim.json). Optimiser
 * and gradient cases run in float32 and float64. Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, type DType } from './replay.js';

type Options = Record<string, unknown>;
interface OptimCase {
  name: string;
  optimizer: string;
  defaults: Options;
  shapes: number[][];
  params: number[][];
  groups: { params: number[]; options?: Options }[] | null;
  steps: { grads: (number[] | null)[]; reload?: boolean }[];
  trajectory: Record<DType, number[][][]>;
}
interface ClipCase {
  fn: 'clipGradNorm_' | 'clipGradValue_' | 'parametersToVector' | 'vectorToParameters';
  maxNorm?: number;
  normType?: number | string;
  clipValue?: number;
  emptyGrad?: boolean;
  mixedDtypes?: boolean;
  transposed?: boolean;
  extra?: number;
  expected: Record<DType, { error?: boolean; total?: number; totalDtype?: string; grads?: number[][]; vector?: number[]; params?: number[][] }>;
}
interface InitCase {
  fn: string;
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32';
  val?: number;
  groups?: number;
  sparsity?: number;
  std?: number;
  seed?: number;
  error?: boolean;
  values?: number[];
}

const fixture: {
  torch: string;
  validation: { optimizer: string; defaults: Options; group: Options; raises: boolean }[];
  optimizers: OptimCase[];
  schedulers: { name: string; scheduler: string; args: Record<string, number>; error?: string; lrs?: number[][] }[];
  clip: ClipCase[];
  init: InitCase[];
} = JSON.parse(readFileSync(new URL('../fixtures/fuzz_optim.json', import.meta.url), 'utf8'));

type Ctor = new (params: unknown, options?: unknown) => optim.Optimizer<any>;
const optimizers = optim as unknown as Record<string, Ctor>;
const DTYPES: DType[] = ['float64', 'float32'];
const tol = (dtype: string) => (dtype === 'float32' ? [1e-5, 1e-6] : [1e-12, 1e-14]);

test(`optimisers validate the constructor's options only, not a group's own, as PyTorch ${fixture.torch}`, () => {
  for (const c of fixture.validation) {
    const build = () => new optimizers[c.optimizer]([{ params: [st.zeros([3]).requiresGrad_()], ...c.group }], c.defaults);
    const what = `${c.optimizer}(${JSON.stringify(c.defaults)}) with group ${JSON.stringify(c.group)}`;
    if (c.raises) assert.throws(build, Error, `${what} should throw`);
    else assert.doesNotThrow(build, `${what} should not throw`);
  }
});

for (const c of fixture.optimizers) {
  for (const dtype of DTYPES) {
    test(`${c.name} (${dtype}): trajectory with stateDict round trips matches PyTorch`, () => {
      const params = c.params.map((v, i) => st.tensor(v, { dtype: 'float64' }).reshape(c.shapes[i]).to(dtype).requiresGrad_());
      const make = () =>
        new optimizers[c.optimizer](
          c.groups ? c.groups.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options })) : params,
          c.defaults,
        );
      let opt = make();
      c.steps.forEach((s, k) => {
        s.grads.forEach((g, i) => (params[i].grad = g === null ? null : st.tensor(g, { dtype: 'float64' }).reshape(c.shapes[i]).to(dtype)));
        opt.step();
        params.forEach((p, i) => assertClose(p.data(), c.trajectory[dtype][k][i], ...(tol(dtype) as [number, number]), `${c.name} step ${k + 1} param ${i}`));
        if (s.reload) {
          const sd = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = make();
          opt.loadStateDict(sd);
        }
      });
    });
  }
}

function makeScheduler(c: (typeof fixture.schedulers)[number], opt: optim.Optimizer<any>) {
  const S = optim.lrScheduler;
  const a = c.args;
  if (c.scheduler === 'StepLR') return new S.StepLR(opt, a.stepSize, { gamma: a.gamma });
  if (c.scheduler === 'CosineAnnealingLR') return new S.CosineAnnealingLR(opt, a.tMax, { etaMin: a.etaMin });
  return new S.CyclicLR(opt, a.baseLr, a.maxLr, { stepSizeUp: a.stepSizeUp, stepSizeDown: a.stepSizeDown });
}

for (const c of fixture.schedulers) {
  test(`scheduler ${c.name}: ${c.error ? 'throws at construction' : 'lr sequence'} as PyTorch`, () => {
    const groups = [0.1, 0.05].map((lr) => ({ params: [st.zeros([2]).requiresGrad_()], lr }));
    const opt = new optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
    if (c.error) {
      assert.throws(() => makeScheduler(c, opt));
      return;
    }
    const sched = makeScheduler(c, opt);
    const lrs = [opt.paramGroups.map((g) => g.lr)];
    for (let k = 0; k < 12; k++) {
      sched.step();
      lrs.push(opt.paramGroups.map((g) => g.lr));
    }
    lrs.forEach((row, k) => assertClose(row, c.lrs![k], 1e-12, 1e-15, `${c.name} lr after ${k} steps`));
  });
}

const CLIP_GRADS: [number[], number[]][] = [
  [[2, 3], [0.5, 0.0, -3.0, 0.0, 1.25, 4.0]],
  [[3], [0.0, -0.25, 2.0]],
  [[], [-0.75]],
];

function clipParams(c: ClipCase, dtype: DType): Tensor[] {
  const ps = CLIP_GRADS.map(([shape, vals], i) => {
    const dt = c.mixedDtypes && i === 1 ? 'float64' : dtype;
    const values = st.tensor(vals.map((v) => v * 0.5 + 0.25), { dtype: dt });
    const p = (c.transposed && i === 0 ? values.reshape([3, 2]).t() : values.reshape(shape)).requiresGrad_();
    p.grad = st.tensor(vals, { dtype: dt }).reshape(shape);
    return p;
  });
  if (c.emptyGrad) {
    const e = st.zeros([2, 0], { dtype }).requiresGrad_();
    e.grad = st.zeros([2, 0], { dtype });
    ps.push(e);
  }
  return ps;
}

for (const c of fixture.clip) {
  const label = JSON.stringify({ ...c, expected: undefined });
  for (const dtype of DTYPES) {
    test(`nn.utils.${c.fn} ${label} (${dtype}) matches PyTorch`, () => {
      const want = c.expected[dtype];
      const ps = clipParams(c, dtype);
      const [rtol, atol] = tol(dtype);
      const run = () => {
        const U = st.nn.utils;
        if (c.fn === 'clipGradNorm_') {
          const normType = c.normType === 'inf' ? Infinity : c.normType === '-inf' ? -Infinity : (c.normType as number);
          return U.clipGradNorm_(ps, c.maxNorm!, { normType });
        }
        if (c.fn === 'clipGradValue_') return U.clipGradValue_(ps, c.clipValue!);
        if (c.fn === 'parametersToVector') return U.parametersToVector(ps);
        const n = ps.reduce((k, p) => k + p.size, 0) + c.extra!;
        return U.vectorToParameters(st.arange(0, n, 1, { dtype }).mul(0.5), ps);
      };
      if (want.error) {
        assert.throws(run);
        return;
      }
      const out = run();
      if (want.total !== undefined) {
        assert.equal((out as Tensor).dtype, want.totalDtype);
        assertClose([(out as Tensor).item() as number], [want.total], rtol, atol, 'total norm');
      }
      want.grads?.forEach((g, i) => assertClose(ps[i].grad!.data(), g, rtol, atol, `grad ${i}`));
      if (want.vector) assertClose((out as Tensor).data(), want.vector, rtol, atol, 'vector');
      want.params?.forEach((v, i) => assertClose(ps[i].contiguous().data(), v, rtol, atol, `param ${i}`));
    });
  }
}

for (const c of fixture.init) {
  test(`nn.init.${c.fn} ${JSON.stringify({ ...c, values: undefined })} matches PyTorch`, () => {
    const I = st.nn.init;
    const t = st.zeros(c.shape, { dtype: c.dtype });
    st.manualSeed(c.seed ?? 0);
    const run = () => {
      if (c.fn === 'constant_') return I.constant_(t, c.val!);
      if (c.fn === 'ones_') return I.ones_(t);
      if (c.fn === 'zeros_') return I.zeros_(t);
      if (c.fn === 'eye_') return I.eye_(t);
      if (c.fn === 'dirac_') return I.dirac_(t, { groups: c.groups });
      if (c.fn === 'xavier_uniform_') return I.xavierUniform_(t);
      if (c.fn === 'xavier_normal_') return I.xavierNormal_(t);
      return I.sparse_(t, c.sparsity!, { std: c.std });
    };
    if (c.error) {
      assert.throws(run);
      return;
    }
    run();
    assertClose(t.data(), c.values!, ...(tol(c.dtype) as [number, number]), c.fn);
  });
}
