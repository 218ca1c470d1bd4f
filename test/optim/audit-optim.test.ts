/**
 * Audit cases for the optimisers, RNG seeding and nn.init against PyTorch 1.13: expected values from
 * test/fixtures/audit_optim.json (tools/fixtures/audit_optim.py). Runs once per backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import { assertClose, replay, type ReplayCase } from './replay.js';

interface OptimCase extends ReplayCase {
  name: string;
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

for (const c of fixture.optimizers) {
  test(`${c.name}: ${c.steps.length}-step trajectory matches PyTorch${c.exact ? ' bit for bit' : ''}`, () => {
    const { trajectory } = replay(c);
    trajectory.forEach((row, s) =>
      row.forEach((values, pi) => {
        const what = `${c.name} step ${s + 1} param ${pi}`;
        if (c.exact) assert.deepEqual(values, c.trajectory[s][pi], what);
        else assertClose(values, c.trajectory[s][pi], 1e-5, 1e-6, what);
      }),
    );
  });

  test(`${c.name}: stateDict has PyTorch's per-parameter state entries`, () => {
    const { opt } = replay(c);
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
