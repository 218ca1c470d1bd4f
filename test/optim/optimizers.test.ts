import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose } from './replay.js';

interface OptimCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'NAdam' | 'RAdam' | 'RMSprop' | 'Adagrad' | 'Adadelta' | 'Adamax' | 'ASGD' | 'Rprop';
  options: Record<string, unknown>;
  groups: boolean;
  dtype: 'float32' | 'float64';
  w0: number[];
  b0: number[];
  trajectory: number[][];
  losses: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as { optimizers: OptimCase[] };

/** sin(0.37·i + phase), as the fixture script's det(). */
function det(shape: number[], phase: number, dtype: 'float32' | 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return st.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase)), { dtype, shape });
}

function lossFn(w: Tensor, b: Tensor, dtype: 'float32' | 'float64'): Tensor {
  const c = det([3, 4], 0.4, dtype).abs().add(0.5);
  const d = det([3, 4], 1.1, dtype);
  const lw = c.mul(w).mul(w).mul(0.5).add(w.pow(4).mul(0.1)).add(d.mul(w)).add(w.mul(3).sin()).sum();
  const lb = b.mul(b).mul(0.3).add(b.mul(2).sin()).sum();
  return lw.add(lb);
}

function make(c: OptimCase, w: Tensor, b: Tensor): optim.Optimizer<any> {
  const Ctor = (optim as unknown as Record<string, new (p: unknown, o: unknown) => optim.Optimizer<any>>)[c.optimizer];
  const lr = (c.options.lr as number | undefined) ?? 1.0;
  const params = c.groups ? [{ params: [w] }, { params: [b], lr: lr * 0.5 }] : [w, b];
  return new Ctor(params, c.options);
}

function params(c: OptimCase): [Tensor, Tensor] {
  return [
    st.tensor(c.w0, { dtype: c.dtype, shape: [3, 4] }).requiresGrad_(),
    st.tensor(c.b0, { dtype: c.dtype, shape: [5] }).requiresGrad_(),
  ];
}

function runSteps(opt: optim.Optimizer<any>, w: Tensor, b: Tensor, dtype: 'float32' | 'float64', n: number, out: number[][]): void {
  for (let s = 0; s < n; s++) {
    opt.zeroGrad();
    lossFn(w, b, dtype).backward();
    opt.step();
    out.push([...w.data(), ...b.data()]);
  }
}

const tol = (c: OptimCase) => (c.dtype === 'float64' ? [1e-10, 1e-12] : [1e-5, 1e-6]);

for (const c of fixture.optimizers) {
  test(`${c.name}: 20-step trajectory matches PyTorch`, () => {
    const [w, b] = params(c);
    const opt = make(c, w, b);
    const got: number[][] = [];
    runSteps(opt, w, b, c.dtype, c.trajectory.length, got);
    const [rtol, atol] = tol(c);
    got.forEach((row, s) => assertClose(row, c.trajectory[s], rtol, atol, `${c.name} step ${s + 1}`));
  });
}

for (const c of fixture.optimizers.filter((x) => !x.groups && x.dtype === 'float32')) {
  test(`${c.name}: stateDict after 10 steps (through JSON) resumes the same trajectory`, () => {
    const [w, b] = params(c);
    const opt = make(c, w, b);
    const got: number[][] = [];
    runSteps(opt, w, b, c.dtype, 10, got);
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    const [w2, b2] = [st.tensor(Array.from(w.data()), { shape: [3, 4] }).requiresGrad_(), st.tensor(Array.from(b.data())).requiresGrad_()];
    const opt2 = make({ ...c, options: { ...c.options, lr: 123 } }, w2, b2);
    opt2.loadStateDict(saved);
    assert.equal(opt2.paramGroups[0].lr, (c.options.lr as number | undefined) ?? opt.paramGroups[0].lr);
    runSteps(opt2, w2, b2, c.dtype, 10, got);
    got.forEach((row, s) => assertClose(row, c.trajectory[s], 1e-5, 1e-6, `${c.name} resumed step ${s + 1}`));
  });
}

test('parameter groups keep their own options; defaults fill the rest', () => {
  const a = st.zeros([2]).requiresGrad_();
  const b = st.zeros([2]).requiresGrad_();
  const opt = new optim.SGD([{ params: [a], lr: 0.1 }, { params: [b] }], { lr: 0.01, momentum: 0.9 });
  assert.equal(opt.paramGroups.length, 2);
  assert.equal(opt.paramGroups[0].lr, 0.1);
  assert.equal(opt.paramGroups[1].lr, 0.01);
  assert.equal(opt.paramGroups[1].momentum, 0.9);
  a.grad = st.ones([2]);
  b.grad = st.ones([2]);
  opt.step();
  assert.deepEqual(Array.from(a.data()), [-0.1, -0.1].map(Math.fround));
  assert.deepEqual(Array.from(b.data()), [-0.01, -0.01].map(Math.fround));
});

test('parameters without gradients are skipped; zeroGrad zeroes grads in place (default) or sets them to null', () => {
  const a = st.ones([2]).requiresGrad_();
  const b = st.ones([2]).requiresGrad_();
  const opt = new optim.Adam([a, b], { lr: 0.1 });
  a.grad = st.ones([2]);
  opt.step();
  assert.deepEqual(Array.from(b.data()), [1, 1]);
  assert.equal(opt.state.has(b), false);
  const grad = a.grad!;
  opt.zeroGrad(); // PyTorch 1.13's default: zeros, in place
  assert.equal(a.grad, grad);
  assert.deepEqual(Array.from(a.grad!.data()), [0, 0]);
  opt.zeroGrad({ setToNone: true });
  assert.equal(a.grad, null);
});

test('step(closure) evaluates the loss with gradients on and returns it', () => {
  const w = st.tensor([2, 2]).requiresGrad_();
  const opt = new optim.SGD([w], { lr: 0.25 });
  const loss = st.noGrad(() =>
    opt.step(() => {
      opt.zeroGrad();
      const l = w.square().sum();
      l.backward();
      return l;
    }),
  ) as Tensor;
  assert.equal(loss.item(), 8);
  assert.deepEqual(w.toArray(), [1, 1]);
});

test('strided (non-contiguous) parameters are updated in place', () => {
  const base = st.zeros([2, 3]);
  const view = base.transpose(0, 1).requiresGrad_();
  const opt = new optim.SGD([view], { lr: 1 });
  view.grad = st.tensor([[1, 2], [3, 4], [5, 6]]);
  opt.step();
  assert.deepEqual(base.toArray(), [[-1, -3, -5], [-2, -4, -6]]);
});

const errors: [string, () => unknown, RegExp][] = [
  ['SGD without lr', () => new optim.SGD([st.zeros([1]).requiresGrad_()], {} as never), /SGD: options.lr is required/],
  ['empty parameter list', () => new optim.Adam([]), /empty parameter list/],
  ['negative lr', () => new optim.Adam([st.zeros([1]).requiresGrad_()], { lr: -1 }), /Adam: invalid learning rate: -1/],
  ['bad betas', () => new optim.Adam([st.zeros([1]).requiresGrad_()], { betas: [0.9, 1.5] }), /invalid beta parameter at index 1/],
  ['nesterov without momentum', () => new optim.SGD([st.zeros([1]).requiresGrad_()], { lr: 0.1, nesterov: true }), /Nesterov momentum requires/],
  ['non-leaf parameter', () => new optim.SGD([st.zeros([1]).requiresGrad_().mul(2)], { lr: 0.1 }), /non-leaf/],
  [
    'parameter in two groups',
    () => {
      const p = st.zeros([1]).requiresGrad_();
      return new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 });
    },
    /more than one parameter group/,
  ],
  [
    'state dict with another number of groups',
    () => {
      const p = st.zeros([1]).requiresGrad_();
      const q = st.zeros([1]).requiresGrad_();
      const sd = new optim.SGD([{ params: [p] }, { params: [q] }], { lr: 0.1 }).stateDict();
      new optim.SGD([p, q], { lr: 0.1 }).loadStateDict(sd);
    },
    /2 parameter groups, the optimizer has 1/,
  ],
];
for (const [name, fn, re] of errors) test(`error: ${name}`, () => assert.throws(fn, re));

test('Adagrad has its accumulators in the state dict before the first step', () => {
  const p = st.zeros([3]).requiresGrad_();
  const sd = new optim.Adagrad([p], { initialAccumulatorValue: 0.5 }).stateDict();
  assert.deepEqual(sd.state['0'].sum, { shape: [3], dtype: 'float32', data: [0.5, 0.5, 0.5] });
  assert.equal(sd.state['0'].step, 0);
  assert.deepEqual(sd.paramGroups[0].params, [0]);
});

test('DelayedRegularization: weight decay and L1 switch on at startEpoch', () => {
  const p = st.ones([2]).requiresGrad_();
  const opt = new optim.SGD([p], { lr: 0.1, weightDecay: 0.01 });
  const reg = new optim.DelayedRegularization(opt, { startEpoch: 2, l1: 1e-3 });
  const seen: [number, number][] = [];
  for (let e = 0; e < 4; e++) {
    seen.push([opt.paramGroups[0].weightDecay, reg.l1]);
    reg.step();
  }
  assert.deepEqual(seen, [[0, 0], [0, 0], [0.01, 1e-3], [0.01, 1e-3]]);
  const reg2 = new optim.DelayedRegularization(new optim.SGD([st.ones([1]).requiresGrad_()], { lr: 0.1, weightDecay: 0.05 }), { startEpoch: 3 });
  reg2.loadStateDict({ epoch: 3 });
  assert.equal(reg2.optimizer.paramGroups[0].weightDecay, 0.05);
});

test("a number in the options' place is the learning rate (PyTorch's positional lr), for every optimiser", () => {
  const ctors = Object.entries(optim).filter(
    ([, C]) => typeof C === 'function' && C !== optim.Optimizer && (C as { prototype: unknown }).prototype instanceof optim.Optimizer,
  ) as [string, new (p: Tensor[], o: number) => optim.Optimizer<any>][];
  assert.ok(ctors.length >= 12);
  for (const [name, Ctor] of ctors) {
    const opt = new Ctor([st.zeros([2]).requiresGrad_()], 0.25);
    assert.equal(opt.paramGroups[0].lr, 0.25, name);
  }
});
