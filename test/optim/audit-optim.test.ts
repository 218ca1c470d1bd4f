/**
 * Audit cases for the optimisers, RNG seeding and nn.init against PyTorch 1.13: expected values from
 * test/fixtures/audit_optim.json (tools/fixtures/audit_optim.py). Runs once per backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';

type DType = 'float32' | 'float64';
interface ParamSpec {
  shape: number[];
  phase: number;
}
interface Step {
  grads?: number[];
  setLr?: Record<string, number>;
  zero?: 'zeros';
  addGroup?: { params: number[]; options?: Record<string, unknown> };
}
interface OptimCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  dtype: DType;
  params: ParamSpec[];
  groups: { params: number[]; options?: Record<string, unknown> }[] | null;
  steps: Step[];
  exact: boolean;
  trajectory: number[][][];
  stateKinds: Record<string, Record<string, 'null' | 'tensor' | 'number'>>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/audit_optim.json', import.meta.url), 'utf8')) as {
  optimizers: OptimCase[];
  seeds: { seed: number | string; initialSeed: string; rand: number[]; randint: number[] }[];
  sparse: { seed: number; shape: [number, number]; sparsity: number; std: number | null; values: number[]; next: number[] }[];
  constantLrZeroFactor: { totalIters: number; lrs: number[]; errorAtStep: number };
};

/** k/128 values, as the fixture script's dyadic(): exact in float32 and float64. */
function dyadic(shape: number[], phase: number): number[] {
  const k = Math.round(phase * 100);
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => (((i * 37 + k) % 201) - 100) / 128);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) assert.fail(`${what}[${i}]: got ${actual[i]}, want ${expected[i]}`);
  }
}

/** Replays a fixture case: the same gradients g = p·c + d (one rounding per op) at every step. */
function runCase(c: OptimCase): { trajectory: number[][][]; opt: optim.Optimizer<any> } {
  const round = c.dtype === 'float32' ? Math.fround : (x: number) => x;
  const params = c.params.map((p) => st.tensor(dyadic(p.shape, p.phase), { dtype: c.dtype, shape: p.shape }).requiresGrad_());
  const coefs = c.params.map((p, i) => dyadic(p.shape, 0.7 + i).map((v) => round(v * 0.5 + 1)));
  const Ctor = (optim as unknown as Record<string, new (p: unknown, o: unknown) => optim.Optimizer<any>>)[c.optimizer];
  const addsGroup = c.steps.some((s) => s.addGroup);
  const opt = c.groups
    ? new Ctor(c.groups.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options })), c.options)
    : new Ctor(addsGroup ? params.slice(0, 2) : params, c.options);
  const trajectory: number[][][] = [];
  c.steps.forEach((s, k) => {
    for (const [gi, lr] of Object.entries(s.setLr ?? {})) opt.paramGroups[Number(gi)].lr = lr;
    if (s.addGroup) opt.addParamGroup({ params: s.addGroup.params.map((i) => params[i]), ...s.addGroup.options });
    if (s.zero === 'zeros') opt.zeroGrad({ setToNone: false });
    else for (const p of params) p.grad = null;
    for (const i of s.grads ?? params.map((_, j) => j)) {
      const p = params[i];
      const d = dyadic(c.params[i].shape, 0.3 * k + i);
      const w = p.data();
      const g = Array.from(w, (v, j) => round(round(v * coefs[i][j]) + d[j]));
      const old = p.grad?.data();
      p.grad = st.tensor(old ? g.map((v, j) => round(old[j] + v)) : g, { dtype: c.dtype, shape: c.params[i].shape });
    }
    opt.step();
    trajectory.push(params.map((p) => Array.from(p.data())));
  });
  return { trajectory, opt };
}

for (const c of fixture.optimizers) {
  test(`${c.name}: ${c.steps.length}-step trajectory matches PyTorch${c.exact ? ' bit for bit' : ''}`, () => {
    const { trajectory } = runCase(c);
    trajectory.forEach((row, s) =>
      row.forEach((values, pi) => {
        const what = `${c.name} step ${s + 1} param ${pi}`;
        if (c.exact) assert.deepEqual(values, c.trajectory[s][pi], what);
        else assertClose(values, c.trajectory[s][pi], 1e-5, 1e-6, what);
      }),
    );
  });

  test(`${c.name}: stateDict has PyTorch's per-parameter state entries`, () => {
    const { opt } = runCase(c);
    const state = JSON.parse(JSON.stringify(opt.stateDict().state)) as Record<string, Record<string, unknown>>;
    const kinds = Object.fromEntries(
      Object.entries(state).map(([i, s]) => [
        i,
        Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v === null ? 'null' : typeof v === 'object' ? 'tensor' : 'number'])),
      ]),
    );
    assert.deepEqual(kinds, c.stateKinds);
  });
}

test('SGD: lr may come from every parameter group instead of the defaults; a group without one is an error', () => {
  const a = st.zeros([2]).requiresGrad_();
  const b = st.zeros([2]).requiresGrad_();
  const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.01 }]);
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.1, 0.01]);
  assert.throws(() => opt.addParamGroup({ params: [st.zeros([1]).requiresGrad_()] }), /SGD: options.lr is required/);
  assert.throws(() => new optim.SGD([{ params: [a] }], { momentum: 0.9 }), /SGD: options.lr is required/);
});

test('optimisers reject a bare Tensor as params, naming it (PyTorch wants an iterable of Tensors or groups)', () => {
  const p = st.zeros([3, 2]).requiresGrad_();
  assert.throws(() => new optim.Adam(p as never), /Adam: params should be an iterable of Tensors or parameter groups, got a Tensor of shape \[3, 2\]/);
  assert.throws(() => new optim.SGD(null as never, { lr: 0.1 }), /SGD: params should be an iterable .* got null/);
});

for (const c of fixture.seeds) {
  test(`manualSeed(${c.seed}) seeds as torch.manual_seed (negative and 64-bit seeds)`, () => {
    const seed = typeof c.seed === 'string' ? BigInt(c.seed) : c.seed;
    const gen = st.manualSeed(seed);
    assert.equal(gen.initialSeed(), Number(BigInt(c.initialSeed)));
    assert.deepEqual(Array.from(st.rand([5]).data()), c.rand);
    assert.deepEqual(Array.from(st.randint(0, 1000, [4]).data()), c.randint);
  });
}

test('manualSeed rejects non-integers and seeds outside [-2^63, 2^64)', () => {
  for (const bad of [1.5, Number.NaN, 2 ** 64, -(2 ** 64), 2n ** 64n]) assert.throws(() => st.manualSeed(bad), /manualSeed: seed must be an integer/);
});

for (const c of fixture.sparse) {
  test(`init.sparse_(${c.shape}, ${c.sparsity}${c.std === null ? '' : `, std ${c.std}`}) after manualSeed(${c.seed}) equals PyTorch`, () => {
    st.manualSeed(c.seed);
    const t = st.empty(c.shape);
    st.nn.init.sparse_(t, c.sparsity, c.std === null ? {} : { std: c.std });
    const values = Array.from(t.data());
    // The same entries are zeroed (one randperm per column); the normal draws agree to float32 rounding.
    assert.deepEqual(values.map((v) => v === 0), c.values.map((v) => v === 0));
    assertClose(values, c.values, 1e-6, 1e-7, 'sparse_');
    assert.deepEqual(Array.from(st.rand([3]).data()), c.next, 'the stream continues where torch does');
  });
}

test('init.sparse_ takes 2-D tensors only', () => {
  assert.throws(() => st.nn.init.sparse_(st.empty([2, 2, 2]), 0.5), /init.sparse_: only tensors with 2 dimensions are supported, got shape \[2, 2, 2\]/);
});

test('ConstantLR with factor 0: lr 0 until totalIters, where PyTorch divides by the factor and raises', () => {
  const c = fixture.constantLrZeroFactor;
  const opt = new optim.SGD([st.zeros([2]).requiresGrad_()], { lr: 0.1 });
  const sched = new optim.lrScheduler.ConstantLR(opt, { factor: 0, totalIters: c.totalIters });
  const lrs = [opt.paramGroups[0].lr];
  for (let s = 1; s < c.errorAtStep; s++) {
    sched.step();
    lrs.push(opt.paramGroups[0].lr);
  }
  assert.deepEqual(lrs, c.lrs);
  assert.throws(() => sched.step(), /ConstantLR: can't undo factor 0 at totalIters 3/);
});
