import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as nn from '../../src/nn/index.js';
import * as models from '../../src/models/index.js';
import { detInput } from './helpers.js';

test('makeDivisible: torchvision _make_divisible', () => {
  // Expected values from torchvision.models._utils._make_divisible.
  const cases: [number, number, number][] = [[32, 8, 32], [32 * 1.1, 8, 32], [16 * 1.4, 8, 24], [1280, 8, 1280], [3.5, 8, 8], [20, 8, 24], [43, 8, 40], [36, 16, 48], [27, 16, 32]];
  for (const [v, d, want] of cases) assert.equal(models.makeDivisible(v, d), want, `makeDivisible(${v}, ${d})`);
});

test('Conv2dNormActivation: conv (bias only without norm), norm, activation as a Sequential', () => {
  const a = new models.Conv2dNormActivation(3, 8, 3, { stride: 2 });
  assert.deepEqual([...a.stateDict().keys()], ['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
  assert.deepEqual(st.noGrad(() => a.eval().forward(detInput([1, 3, 9, 9]))).shape, [1, 8, 5, 5]);
  const b = new models.Conv2dNormActivation(4, 4, 5, { groups: 4, normLayer: null, activationLayer: null, dilation: 2 });
  assert.deepEqual([...b.stateDict().keys()], ['0.weight', '0.bias']);
  assert.deepEqual((b.at(0) as nn.Conv2d).padding, [4, 4]);
});

test('SqueezeExcitation: scales channels by sigmoid(fc2(act(fc1(mean))))', () => {
  st.manualSeed(1);
  const se = new models.SqueezeExcitation(4, 2);
  const x = detInput([2, 4, 3, 3]);
  const y = st.noGrad(() => se.forward(x));
  const s = st.noGrad(() => se.fc2.forward(se.fc1.forward(x.mean([2, 3], true)).relu()).sigmoid());
  assert.ok(st.allclose(y, x.mul(s), { rtol: 1e-6, atol: 1e-7 }));
  assert.deepEqual([...se.stateDict().keys()], ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
});

test("StochasticDepth: identity in evaluation; 'row' drops samples with probability p, scales kept ones by 1/(1-p)", () => {
  st.manualSeed(0);
  const sd = new models.StochasticDepth(0.25, 'row');
  const x = st.ones([400, 3, 2, 2]).requiresGrad_();
  assert.equal(sd.eval().forward(x), x);
  const y = sd.train().forward(x);
  const d = y.data();
  let kept = 0;
  for (let i = 0; i < 400; i++) {
    const row = Array.from(d.slice(i * 12, (i + 1) * 12));
    assert.ok(row.every((v) => v === row[0]), 'a whole sample is kept or dropped');
    assert.ok(row[0] === 0 || Math.abs(row[0] - 1 / 0.75) < 1e-6);
    if (row[0] !== 0) kept++;
  }
  assert.ok(Math.abs(kept / 400 - 0.75) < 0.08, `kept ${kept}/400`);
  y.sum().backward();
  assert.ok(x.grad);
  const b = new models.StochasticDepth(0.5, 'batch').train().forward(st.ones([3, 2]));
  const v = Array.from(b.data());
  assert.ok(v.every((e) => e === v[0]) && (v[0] === 0 || v[0] === 2));
  assert.throws(() => new models.StochasticDepth(1.5), /between 0 and 1/);
});

test('EfficientNet stochastic depth: drop probability rises linearly over the 16 blocks of B0', () => {
  const m = models.efficientnet_b0({ numClasses: 3 });
  const ps = m.modules().filter((x): x is models.MBConv => x instanceof models.MBConv).map((b) => b.stochastic_depth.p);
  assert.equal(ps.length, 16);
  ps.forEach((p, i) => assert.ok(Math.abs(p - (0.2 * i) / 16) < 1e-12));
  assert.deepEqual(st.noGrad(() => m.train().forward(detInput([2, 3, 32, 32]))).shape, [2, 3]);
});
