/** F.batchNorm / layerNorm / groupNorm / instanceNorm and the dropouts: gradchecks, running statistics, statistics of masks, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, check, det, leaf, positive } from './functional-helpers.js';

test('batchNorm gradients (input, weight, bias) pass gradcheck in training and evaluation', () => {
  const cases: [string, number[], boolean, boolean][] = [
    // name, shape, training, affine
    ['[N, C] training affine', [4, 3], true, true],
    ['[N, C, L] training no affine', [2, 3, 4], true, false],
    ['[N, C, H, W] training affine', [2, 2, 3, 2], true, true],
    ['[N, C, H, W] evaluation affine', [2, 2, 3, 2], false, true],
    ['[N, C] evaluation no affine', [3, 2], false, false],
  ];
  cases.forEach(([name, shape, training, affine], i) => {
    const C = shape[1];
    const rm = det([C], i);
    const rv = positive([C], i + 1);
    const inputs = [leaf(shape, i, 2), ...(affine ? [leaf([C], i + 0.3), leaf([C], i + 0.6)] : [])];
    // running statistics are updated in place in training: give each call fresh copies
    check(`batchNorm ${name}`, (x, w, b) => F.batchNorm(x, rm.clone(), rv.clone(), w ?? null, b ?? null, { training, eps: 1e-3 }), inputs);
  });
});

test('batchNorm in training updates the running statistics in place (unbiased variance, momentum)', () => {
  const x = st.tensor([[1, 10], [3, 20], [5, 60]], { dtype: 'float64' });
  const rm = st.tensor([0, 1], { dtype: 'float64' });
  const rv = st.tensor([1, 2], { dtype: 'float64' });
  const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.25, eps: 0 });
  // means 3, 30; biased variances 8/3, 1400/3; unbiased 4, 700
  assertClose(rm, [0.75 * 0 + 0.25 * 3, 0.75 * 1 + 0.25 * 30], 'runningMean');
  assertClose(rv, [0.75 * 1 + 0.25 * 4, 0.75 * 2 + 0.25 * 700], 'runningVar');
  assertClose(y.select(1, 0), [-2 / Math.sqrt(8 / 3), 0, 2 / Math.sqrt(8 / 3)], 'normalised with the biased variance');
  // evaluation uses (and leaves alone) the running statistics
  const before = Array.from(rm.data());
  const z = F.batchNorm(st.tensor([[0.75, 8.25]], { dtype: 'float64' }), rm, rv, st.tensor([2, 1], { dtype: 'float64' }), st.tensor([1, 0], { dtype: 'float64' }));
  assertClose(z, [1, 0], 'eval output');
  assert.deepEqual(Array.from(rm.data()), before);
  // running stats that require grad (buffers never do, but) are still updated: the update is not recorded
  const rg = st.zeros([2]).requiresGrad_();
  F.batchNorm(x.float(), rg, null, null, null, { training: true });
  assertClose(rg, [0.3, 3], 'runningMean requiring grad', 1e-6);
});

test('batchNorm errors', () => {
  assert.throws(() => F.batchNorm(st.zeros([1, 3]), null, null, null, null, { training: true }),
    { message: 'batchNorm: expected more than 1 value per channel when training, got input of shape [1, 3]' });
  assert.throws(() => F.batchNorm(st.zeros([2, 3]), null, null), /batchNorm: runningMean and runningVar are required when training is false/);
  assert.throws(() => F.batchNorm(st.zeros([2, 3]), st.zeros([4]), st.ones([3])),
    { message: 'batchNorm: expected runningMean of shape [3] for input of shape [2, 3], got runningMean of shape [4]' });
  assert.throws(() => F.batchNorm(st.zeros([2, 3, 4]), st.zeros([3]), st.ones([3]), st.ones([2])), /expected weight of shape \[3\]/);
  assert.throws(() => F.batchNorm(st.zeros([3]), st.zeros([3]), st.ones([3])), /batchNorm: expected an input of shape \[N, C, \*\]/);
});

test('layerNorm / groupNorm / instanceNorm gradients pass gradcheck', () => {
  check('layerNorm [2, 3, 4] over [4] affine', (x, w, b) => F.layerNorm(x, [4], w, b), [leaf([2, 3, 4], 0.1, 2), leaf([4], 0.2), leaf([4], 0.3)]);
  check('layerNorm over [3, 4] weight only', (x, w) => F.layerNorm(x, [3, 4], w, null, { eps: 1e-3 }), [leaf([2, 3, 4], 0.4), leaf([3, 4], 0.5)]);
  check('layerNorm over a number, no affine', (x) => F.layerNorm(x, 5), [leaf([3, 5], 0.6)]);
  check('groupNorm 3 groups affine', (x, w, b) => F.groupNorm(x, 3, w, b), [leaf([2, 6, 2, 2], 0.7), leaf([6], 0.8), leaf([6], 0.9)]);
  check('groupNorm 1 group no affine', (x) => F.groupNorm(x, 1, null, null, { eps: 1e-3 }), [leaf([2, 4, 3], 1.0)]);
  check('groupNorm groups = channels [N, C]', (x, w) => F.groupNorm(x, 2, w), [leaf([3, 2], 1.1, 3), leaf([2], 1.2)]);
  check('instanceNorm affine', (x, w, b) => F.instanceNorm(x, null, null, w, b), [leaf([2, 3, 2, 3], 1.3), leaf([3], 1.4), leaf([3], 1.5)]);
  check('instanceNorm with running statistics', (x) => F.instanceNorm(x, st.zeros([2], { dtype: 'float64' }), st.ones([2], { dtype: 'float64' })), [leaf([2, 2, 4], 1.6)]);
  check('instanceNorm useInputStats false', (x, w) => F.instanceNorm(x, det([2], 1.7), positive([2], 1.8), w, null, { useInputStats: false }), [leaf([2, 2, 4], 1.9), leaf([2], 2.0)]);
});

test('layerNorm equals the definition (mean 0, biased variance 1 per row)', () => {
  const x = det([3, 8], 0.3, 5);
  const y = F.layerNorm(x, [8], null, null, { eps: 0 });
  assertClose(y.mean(-1), [0, 0, 0], 'row means', 0, 1e-12);
  assertClose(y.var(-1, { correction: 0 }), [1, 1, 1], 'row variances', 1e-9);
});

test('norm errors', () => {
  assert.throws(() => F.layerNorm(st.zeros([2, 3, 4]), [3]), { message: 'layerNorm: expected input with trailing dims [3] (normalizedShape), got input of shape [2, 3, 4]' });
  assert.throws(() => F.layerNorm(st.zeros([2, 4]), [4], st.ones([3])), /layerNorm: expected weight of shape \[4\]/);
  assert.throws(() => F.groupNorm(st.zeros([2, 6, 4]), 4), { message: 'groupNorm: expected the number of channels 6 to be divisible by numGroups 4 (input of shape [2, 6, 4])' });
  assert.throws(() => F.instanceNorm(st.zeros([2, 3, 1])), /instanceNorm: expected more than 1 spatial element/);
  assert.throws(() => F.instanceNorm(st.zeros([2, 3])), /instanceNorm: expected an input of shape \[N, C, \*\] with at least one spatial dim/);
});

// ---- dropout ----------------------------------------------------------------------------------------

test('dropout: inverted scaling, seedable mask, gradient through the same mask', () => {
  st.manualSeed(7);
  const x = st.ones([200, 100], { dtype: 'float64' }).requiresGrad_();
  const y = F.dropout(x, { p: 0.3 });
  const values = Array.from(y.data());
  const kept = values.filter((v) => v !== 0);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-12), 'kept values are scaled by 1/(1 − p)');
  const rate = 1 - kept.length / values.length;
  assert.ok(Math.abs(rate - 0.3) < 0.015, `drop rate ${rate}`);
  y.sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), values, 'the gradient is the mask');
  st.manualSeed(7);
  assert.deepEqual(Array.from(F.dropout(x.detach(), { p: 0.3 }).data()), values, 'same seed, same mask');
});

test('dropout identities: evaluation, p = 0, p = 1', () => {
  const x = det([3, 4], 0.1);
  assert.equal(F.dropout(x, { training: false }), x);
  assert.equal(F.dropout(x, { p: 0 }), x);
  assert.ok(Array.from(F.dropout(x, { p: 1 }).data()).every((v) => v === 0), 'p = 1 zeroes everything');
  assert.equal(F.dropout2d(x.reshape([1, 3, 4]), { training: false }).shape.length, 3);
  assert.equal(F.alphaDropout(x, { p: 0.5 }), x, 'alphaDropout defaults to training false, as PyTorch');
  assert.throws(() => F.dropout(x, { p: 1.5 }), { message: 'dropout: dropout probability has to be between 0 and 1, but got 1.5' });
  assert.throws(() => F.dropout1d(st.zeros([2, 4, 4, 4])), /dropout1d: expected a 2-D \(unbatched\) or 3-D \(batched\) input, got input of shape \[2, 4, 4, 4\]/);
  assert.throws(() => F.dropout2d(st.zeros([4])), /dropout2d: feature dropout requires at least 2 dimensions in the input, got input of shape \[4\]/);
});

test('dropout1d/2d/3d zero whole channels', () => {
  st.manualSeed(3);
  const cases: [string, (x: st.Tensor) => st.Tensor, number[], number][] = [
    ['dropout2d batched', (x) => F.dropout2d(x, { p: 0.5 }), [8, 16, 3, 3], 2],
    ['dropout2d 3-D read as [N, C, L], as PyTorch 1.13', (x) => F.dropout2d(x, { p: 0.5 }), [8, 16, 3], 2],
    ['dropout3d unbatched [C, D, H, W]', (x) => F.dropout3d(x, { p: 0.5 }), [32, 2, 2, 2], 1],
    ['dropout1d [N, C, L]', (x) => F.dropout1d(x, { p: 0.5 }), [8, 16, 5], 2],
    ['dropout3d [N, C, D, H, W]', (x) => F.dropout3d(x, { p: 0.5 }), [4, 8, 2, 2, 2], 2],
  ];
  for (const [name, fn, shape, lead] of cases) {
    const y = fn(st.ones(shape));
    const planes = shape.slice(0, lead).reduce((a, b) => a * b, 1);
    const per = y.size / planes;
    const data = y.data();
    let dropped = 0;
    for (let p = 0; p < planes; p++) {
      const plane = Array.from(data.slice(p * per, (p + 1) * per));
      assert.ok(plane.every((v) => v === plane[0]) && (plane[0] === 0 || plane[0] === 2), `${name}: plane ${p} is all 0 or all 2`);
      if (plane[0] === 0) dropped++;
    }
    assert.ok(dropped > 0 && dropped < planes, `${name}: some channels dropped (${dropped}/${planes})`);
  }
});

test('alphaDropout keeps zero mean and unit variance of standard normal input', () => {
  st.manualSeed(11);
  const x = st.randn([40000], { dtype: 'float64' });
  for (const fn of [F.alphaDropout, F.featureAlphaDropout]) {
    const input = fn === F.alphaDropout ? x : x.reshape([200, 200, 1]);
    const y = fn(input, { p: 0.2, training: true });
    const mean = y.mean().item();
    const variance = y.var().item();
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
  }
});

test('batchNorm: running statistics and affine parameters of another dtype than the input raise, as PyTorch', () => {
  const x = st.randn([2, 3, 4]);
  const [m32, v32] = [st.zeros([3]), st.ones([3])];
  const cases: [string, () => unknown][] = [
    ['float64 weight', () => F.batchNorm(x, m32, v32, st.ones([3], { dtype: 'float64' }), null, { training: false })],
    ['float64 running statistics', () => F.batchNorm(x, m32.double(), v32.double(), null, null, { training: true })],
    ['float64 input', () => F.batchNorm(x.double(), m32, v32, null, null, { training: false })],
  ];
  for (const [what, f] of cases) assert.throws(f, /batchNorm: expected \w+ of the input's dtype/, what);
});
