import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';

const S = optim.lrScheduler;

interface SchedCase {
  name: string;
  scheduler: string;
  options: Record<string, any>;
  optimizer: 'sgd' | 'adam';
  lrs: number[][];
  momentum: number[][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim.json', import.meta.url), 'utf8')) as {
  schedulers: SchedCase[];
  plateauMetrics: number[];
};

function makeOpt(kind: 'sgd' | 'adam'): optim.Optimizer<any> {
  const p1 = st.zeros([2]).requiresGrad_();
  const p2 = st.zeros([2]).requiresGrad_();
  if (kind === 'adam') return new optim.Adam([{ params: [p1] }, { params: [p2], lr: 0.05 }], { lr: 0.1 });
  return new optim.SGD([{ params: [p1] }, { params: [p2], lr: 0.05 }], { lr: 0.1, momentum: 0.9 });
}

const lambdas: Record<string, ((e: number) => number) | ((e: number) => number)[]> = {
  pow095: (e) => 0.95 ** e,
  pergroup: [(e) => 0.95 ** e, (e) => 1 / (1 + e)],
  const09: () => 0.9,
};

type Sched = { step(metric?: number): void; getLastLr(): number[] };

function build(c: SchedCase, o: optim.Optimizer<any>): Sched {
  const x = c.options;
  switch (c.scheduler) {
    case 'StepLR': return new S.StepLR(o, x.stepSize, { gamma: x.gamma });
    case 'MultiStepLR': return new S.MultiStepLR(o, x.milestones, { gamma: x.gamma });
    case 'ExponentialLR': return new S.ExponentialLR(o, x.gamma);
    case 'CosineAnnealingLR': return new S.CosineAnnealingLR(o, x.tMax, { etaMin: x.etaMin });
    case 'CosineAnnealingWarmRestarts': return new S.CosineAnnealingWarmRestarts(o, x.t0, { tMult: x.tMult, etaMin: x.etaMin });
    case 'OneCycleLR': return new S.OneCycleLR(o, x.maxLr, x);
    case 'LinearLR': return new S.LinearLR(o, x);
    case 'ConstantLR': return new S.ConstantLR(o, x);
    case 'PolynomialLR': return new S.PolynomialLR(o, x);
    case 'LambdaLR': return new S.LambdaLR(o, lambdas[x.fn]);
    case 'MultiplicativeLR': return new S.MultiplicativeLR(o, lambdas[x.fn]);
    case 'CyclicLR': return new S.CyclicLR(o, x.baseLr, x.maxLr, x);
    case 'ReduceLROnPlateau': {
      const r = new S.ReduceLROnPlateau(o, x);
      return { step: (m?: number) => r.step(m!), getLastLr: () => r.getLastLr(), stateDict: () => r.stateDict(), loadStateDict: (d: Record<string, unknown>) => r.loadStateDict(d) } as Sched;
    }
    case 'SequentialLR':
      if (x.kind === 'warmup_cosine') {
        return new S.SequentialLR(o, [new S.LinearLR(o, { startFactor: 0.1, totalIters: 4 }), new S.CosineAnnealingLR(o, 10)], [4]);
      }
      return new S.SequentialLR(o, [new S.ConstantLR(o, { factor: 0.1, totalIters: 2 }), new S.ExponentialLR(o, 0.9), new S.StepLR(o, 2, { gamma: 0.5 })], [3, 8]);
    case 'ChainedScheduler':
      return new S.ChainedScheduler([new S.ExponentialLR(o, 0.9), new S.StepLR(o, 4, { gamma: 0.5 })]);
    default:
      throw new Error(`unknown scheduler ${c.scheduler}`);
  }
}

function momentumOf(o: optim.Optimizer<any>): number[] {
  return (o.paramGroups as any[]).map((g) => (g.betas ? g.betas[0] : g.momentum));
}

function run(c: SchedCase, from = 0, sched?: Sched, o?: optim.Optimizer<any>) {
  const opt = o ?? makeOpt(c.optimizer);
  const s = sched ?? build(c, opt);
  const lrs: number[][] = [];
  const moms: number[][] = [];
  if (from === 0) {
    lrs.push((opt.paramGroups as any[]).map((g) => g.lr));
    moms.push(momentumOf(opt));
  }
  for (let i = from; i < c.lrs.length - 1; i++) {
    opt.step();
    if (c.scheduler === 'ReduceLROnPlateau') {
      const m = fixture.plateauMetrics[i];
      s.step(c.options.mode === 'max' ? 1 - m : m);
    } else s.step();
    lrs.push((opt.paramGroups as any[]).map((g) => g.lr));
    moms.push(momentumOf(opt));
    assert.deepEqual(s.getLastLr(), lrs[lrs.length - 1]);
  }
  return { lrs, moms, opt, s };
}

function assertSeq(actual: number[][], expected: number[][], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = expected[i][j];
      if (!(Math.abs(v - e) <= 1e-12 + 1e-12 * Math.abs(e))) assert.fail(`${what} at step ${i}, group ${j}: got ${v}, want ${e}`);
    }),
  );
}

for (const c of fixture.schedulers) {
  test(`${c.name}: lr sequence over ${c.lrs.length - 1} steps matches PyTorch`, () => {
    const { lrs, moms } = run(c);
    assertSeq(lrs, c.lrs, `${c.name} lr`);
    assertSeq(moms, c.momentum, `${c.name} momentum`);
  });
}

for (const c of fixture.schedulers.filter((x) => x.scheduler !== 'ChainedScheduler' && !x.name.startsWith('lambda') && x.scheduler !== 'MultiplicativeLR')) {
  test(`${c.name}: stateDict round trip (JSON) resumes the sequence`, () => {
    const first = run({ ...c, lrs: c.lrs.slice(0, 11) });
    const savedOpt = JSON.parse(JSON.stringify(first.opt.stateDict()));
    const savedSched = JSON.parse(JSON.stringify((first.s as any).stateDict()));
    const opt = makeOpt(c.optimizer);
    const s = build(c, opt) as any;
    opt.loadStateDict(savedOpt);
    s.loadStateDict(savedSched);
    const rest = run(c, 10, s, opt);
    assertSeq(rest.lrs, c.lrs.slice(11), `${c.name} resumed lr`);
  });
}

test('InverseTimeLR: lr0·c/(c+t) (not in PyTorch)', () => {
  const opt = makeOpt('sgd');
  const s = new S.InverseTimeLR(opt, 4);
  const seen = [s.getLastLr()];
  for (let t = 1; t <= 8; t++) {
    s.step();
    seen.push(s.getLastLr());
  }
  seen.forEach((lrs, t) => {
    assert.ok(Math.abs(lrs[0] - (0.1 * 4) / (4 + t)) < 1e-15);
    assert.ok(Math.abs(lrs[1] - (0.05 * 4) / (4 + t)) < 1e-15);
  });
  assert.ok(Math.abs(seen[4][0] - 0.05) < 1e-15, 'halves after c epochs');
});

test('CosineAnnealingWarmRestarts.step(epoch) accepts fractional epochs', () => {
  const opt = makeOpt('sgd');
  const s = new S.CosineAnnealingWarmRestarts(opt, 10, { etaMin: 0 });
  s.step(2.5);
  assert.ok(Math.abs(s.getLastLr()[0] - (0.1 * (1 + Math.cos((Math.PI * 2.5) / 10))) / 2) < 1e-15);
  s.step(12.5);
  assert.ok(Math.abs(s.getLastLr()[0] - (0.1 * (1 + Math.cos((Math.PI * 2.5) / 10))) / 2) < 1e-15);
});

const errors: [string, () => unknown, RegExp][] = [
  ['StepLR stepSize 0', () => new S.StepLR(makeOpt('sgd'), 0), /stepSize must be a positive integer/],
  ['OneCycleLR without total steps', () => new S.OneCycleLR(makeOpt('sgd'), 0.1), /either totalSteps OR/],
  ['OneCycleLR stepped past the end', () => {
    const s = new S.OneCycleLR(makeOpt('sgd'), 0.1, { totalSteps: 2 });
    for (let i = 0; i < 3; i++) s.step();
  }, /tried to step 4 times; the specified number of total steps is 2/],
  ['ReduceLROnPlateau factor >= 1', () => new S.ReduceLROnPlateau(makeOpt('sgd'), { factor: 1 }), /factor should be < 1.0/],
  ['LambdaLR wrong number of lambdas', () => new S.LambdaLR(makeOpt('sgd'), [(e) => e]), /expected 2 values/],
  ['resuming without initialLr', () => new S.StepLR(makeOpt('sgd'), 2, { lastEpoch: 3 }), /initialLr' is not specified in paramGroups\[0\]/],
  ['SequentialLR milestone count', () => {
    const o = makeOpt('sgd');
    return new S.SequentialLR(o, [new S.StepLR(o, 2), new S.StepLR(o, 2)], [1, 2]);
  }, /expected 1 milestones/],
];
for (const [name, fn, re] of errors) test(`error: ${name}`, () => assert.throws(fn, re));

test('OneCycleLR: a warm-up phase of zero length is an error (PyTorch divides by zero there), not NaN rates', () => {
  const p = new st.nn.Parameter(st.zeros([1]));
  const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => new optim.lrScheduler.OneCycleLR(opt, 0.1, { totalSteps: 4, pctStart: 0.25 }), /OneCycleLR: phase 1 .* zero length/);
});
