/**
 * Adamax, ASGD, Rprop and LBFGS against PyTorch 1.13: test/fixtures/optim_more.json
 * (tools/fixtures/optim_more.py). Runs once per backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, replay, type DType, type ReplayCase } from './replay.js';

interface ExactCase extends ReplayCase {
  name: string;
  trajectory: number[][][];
  state: Record<string, Record<string, number | number[] | null>>;
}
interface LBFGSStep {
  loss: number;
  params: number[][];
  funcEvals: number;
  nIter: number;
  t: number | null;
  HDiag: number | null;
  prevLoss: number | null;
  historyLength: number;
  d: number[] | null;
}
interface LBFGSCase {
  name: string;
  problem: 'rosenbrock' | 'mlp';
  options: Partial<optim.LBFGSOptions>;
  dtype: DType;
  steps: LBFGSStep[];
  stateKeys: string[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim_more.json', import.meta.url), 'utf8')) as { exact: ExactCase[]; lbfgs: LBFGSCase[] };

for (const c of fixture.exact) {
  // float32 bit for bit; float64 to an ulp (torch's vectorised add-with-alpha fuses the multiply-add in double).
  const exact = c.dtype === 'float32';
  test(`${c.name}: ${c.steps.length}-step trajectory and state equal PyTorch's${exact ? ' bit for bit' : ''}`, () => {
    const { trajectory, opt } = replay(c);
    const check = (got: number[], want: number[], what: string) => (exact ? assert.deepEqual(got, want, what) : assertClose(got, want, 1e-14, 1e-16, what));
    trajectory.forEach((row, s) => row.forEach((values, pi) => check(values, c.trajectory[s][pi], `${c.name} step ${s + 1} param ${pi}`)));
    const state = JSON.parse(JSON.stringify(opt.stateDict().state)) as Record<string, Record<string, unknown>>;
    const flat = Object.fromEntries(
      Object.entries(state).map(([i, s]) => [i, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v !== null && typeof v === 'object' ? (v as { data: number[] }).data : v]))]),
    );
    assert.deepEqual(Object.keys(flat), Object.keys(c.state));
    for (const [i, s] of Object.entries(c.state)) {
      assert.deepEqual(Object.keys(flat[i]).sort(), Object.keys(s).sort(), `state ${i} keys`);
      for (const [k, v] of Object.entries(s)) {
        const got = flat[i][k] as number | number[] | null;
        if (v === null || got === null) assert.equal(got, v, `state ${i}.${k}`);
        else check(([] as number[]).concat(got), ([] as number[]).concat(v), `state ${i}.${k}`);
      }
    }
  });
}

// ---- LBFGS ----------------------------------------------------------------------------------------
const sinSeq = (n: number, mul: number, phase: number) => Array.from({ length: n }, (_, i) => Math.sin(i * mul + phase));

function problem(c: LBFGSCase): { params: Tensor[]; loss: () => Tensor } {
  const dtype = c.dtype;
  if (c.problem === 'rosenbrock') {
    const a = st.tensor([-1.2, 0.5, 1.5], { dtype }).requiresGrad_();
    const b = st.tensor([1.0, -0.5, 2.0], { dtype }).requiresGrad_();
    return { params: [a, b], loss: () => b.sub(a.mul(a)).pow(2).mul(100).add(a.neg().add(1).pow(2)).sum() };
  }
  const w1 = st.tensor(sinSeq(12, 0.37, 0.2), { dtype, shape: [3, 4] }).requiresGrad_();
  const b1 = st.tensor(sinSeq(4, 0.37, 0.9).map((v) => v * 0.1), { dtype }).requiresGrad_();
  const w2 = st.tensor(sinSeq(4, 0.37, 1.7), { dtype, shape: [4, 1] }).requiresGrad_();
  const x = st.tensor(Array.from({ length: 24 }, (_, i) => Math.cos(i * 0.53 + 0.1)), { dtype, shape: [8, 3] });
  const y = st.tensor(Array.from({ length: 8 }, (_, i) => Math.sin(i * 0.7)), { dtype, shape: [8, 1] });
  return { params: [w1, b1, w2], loss: () => x.matmul(w1).add(b1).tanh().matmul(w2).sub(y).pow(2).mean() };
}

function lbfgsRun(c: LBFGSCase) {
  const { params, loss } = problem(c);
  const opt = new optim.LBFGS(params, c.options);
  const closure = () => {
    opt.zeroGrad();
    const l = loss();
    l.backward();
    return l;
  };
  return { params, opt, closure };
}

// float64 follows torch to rounding (dot products sum in another order than BLAS); float32 keeps the
// same float32 roundings per op, but the summation order of dot products differs at the ulp level.
// The MLP's matrix products add in another order too, which after ~80 iterations shows at 1e-7.
const lbfgsTol = (c: LBFGSCase): [number, number] => (c.dtype === 'float32' ? [2e-3, 1e-4] : c.problem === 'mlp' ? [1e-5, 1e-7] : [1e-7, 1e-9]);

for (const c of fixture.lbfgs) {
  test(`LBFGS ${c.name}: ${c.steps.length} steps match PyTorch (parameters, loss, evaluations, history)`, () => {
    const { params, opt, closure } = lbfgsRun(c);
    const [rtol, atol] = lbfgsTol(c);
    c.steps.forEach((want, s) => {
      const what = `${c.name} step ${s + 1}`;
      const loss = opt.step(closure) as Tensor;
      assertClose([loss.item() as number], [want.loss], rtol, atol, `${what} loss`);
      params.forEach((p, i) => assertClose(Array.from(p.data()), want.params[i], rtol, atol, `${what} param ${i}`));
      const state = opt.stateDict().state['0'] as Record<string, unknown>;
      if (c.dtype === 'float64') {
        assert.equal(state.funcEvals, want.funcEvals, `${what} funcEvals`);
        assert.equal(state.nIter, want.nIter, `${what} nIter`);
        assert.equal((state.oldDirs as unknown[]).length, want.historyLength, `${what} history`);
      }
      assertClose([state.prevLoss as number], [want.prevLoss!], rtol, atol, `${what} prevLoss`);
    });
    assert.deepEqual(Object.keys(opt.stateDict().state['0']).sort(), c.stateKeys);
  });
}

test('LBFGS: stateDict (through JSON) resumes the same run', () => {
  const c = fixture.lbfgs.find((x) => x.name === 'rosenbrock_strong_wolfe_history')!;
  const first = lbfgsRun(c);
  first.opt.step(first.closure);
  first.opt.step(first.closure);
  const saved = JSON.parse(JSON.stringify(first.opt.stateDict()));
  const second = lbfgsRun(c);
  second.params.forEach((p, i) => p.data().set(first.params[i].data()));
  second.opt.loadStateDict(saved);
  assert.deepEqual(second.opt.stateDict(), first.opt.stateDict());
  for (let s = 0; s < 2; s++) {
    first.opt.step(first.closure);
    second.opt.step(second.closure);
  }
  second.params.forEach((p, i) => assert.deepEqual(Array.from(p.data()), Array.from(first.params[i].data())));
  assert.equal(second.opt.stateDict().state['0'].funcEvals, first.opt.stateDict().state['0'].funcEvals);
});

test('LBFGS: defaults as torch (maxEval = floor(maxIter·5/4)); returns the first loss and stops at once on a zero gradient', () => {
  const p = st.zeros([2]).requiresGrad_();
  const opt = new optim.LBFGS([p], { maxIter: 7 });
  const g = opt.paramGroups[0];
  assert.deepEqual([g.lr, g.maxIter, g.maxEval, g.toleranceGrad, g.toleranceChange, g.historySize, g.lineSearchFn], [1, 7, 8, 1e-7, 1e-9, 100, null]);
  assert.equal(new optim.LBFGS([p]).paramGroups[0].maxEval, 25);
  const loss = opt.step(() => {
    opt.zeroGrad();
    const l = p.square().sum();
    l.backward();
    return l;
  }) as Tensor;
  assert.equal(loss.item(), 0);
  assert.deepEqual(opt.stateDict().state['0'], { funcEvals: 1, nIter: 0 });
});

const p1 = () => [st.zeros([1]).requiresGrad_()];
const errors: [string, () => unknown, RegExp][] = [
  ['Adamax negative lr', () => new optim.Adamax(p1(), { lr: -1 }), /Adamax: invalid learning rate: -1/],
  ['Adamax negative eps', () => new optim.Adamax(p1(), { eps: -1e-8 }), /Adamax: invalid epsilon value: -1e-8/],
  ['Adamax bad betas', () => new optim.Adamax(p1(), { betas: [1, 0.9] }), /Adamax: invalid beta parameter at index 0: 1/],
  ['Adamax negative weight decay', () => new optim.Adamax(p1(), { weightDecay: -0.1 }), /Adamax: invalid weight_decay value: -0.1/],
  ['ASGD negative lr', () => new optim.ASGD(p1(), { lr: -0.5 }), /ASGD: invalid learning rate: -0.5/],
  ['ASGD negative weight decay', () => new optim.ASGD(p1(), { weightDecay: -1 }), /ASGD: invalid weight_decay value: -1/],
  ['Rprop negative lr', () => new optim.Rprop(p1(), { lr: -1 }), /Rprop: invalid learning rate: -1/],
  ['Rprop etaminus >= 1', () => new optim.Rprop(p1(), { etas: [1.1, 1.2] }), /Rprop: invalid eta values: 1.1, 1.2/],
  ['Rprop etaplus <= 1', () => new optim.Rprop(p1(), { etas: [0.5, 1] }), /Rprop: invalid eta values: 0.5, 1/],
  ['LBFGS parameter groups', () => new optim.LBFGS([{ params: p1() }, { params: p1() }]), /LBFGS doesn't support per-parameter options \(parameter groups\)/],
  ['LBFGS unknown line search', () => new optim.LBFGS(p1(), { lineSearchFn: 'backtracking' as never }), /LBFGS: only 'strong_wolfe' is supported/],
  ['LBFGS step without closure', () => new optim.LBFGS(p1()).step(), /LBFGS.step: a closure .* is required/],
];
for (const [name, fn, re] of errors) test(`error: ${name}`, () => assert.throws(fn, re));
