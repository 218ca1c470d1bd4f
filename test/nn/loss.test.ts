/** F losses: float64 gradchecks over every option (weights, ignoreIndex, labelSmoothing, probability targets, reductions), rules, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, check, det, ints, leaf, positive } from './functional-helpers.js';

const t5 = ints([1, 0, 3, 3, 2]);
const t5i = ints([1, -100, 3, 3, -100]);
const w4 = positive([4], 0.9);
const reductions: F.Reduction[] = ['mean', 'sum', 'none'];

test('crossEntropy with class indices: gradcheck over weight × ignoreIndex × labelSmoothing × reduction', () => {
  for (const reduction of reductions) {
    for (const weight of [null, w4]) {
      for (const target of [t5, t5i]) {
        for (const labelSmoothing of [0, 0.2]) {
          const name = `crossEntropy ${reduction} weight=${!!weight} ignore=${target === t5i} smoothing=${labelSmoothing}`;
          check(name, (x) => F.crossEntropy(x, target, { weight, reduction, labelSmoothing }), [leaf([5, 4], 0.1, 2)]);
        }
      }
    }
  }
  check('crossEntropy custom ignoreIndex 2', (x) => F.crossEntropy(x, ints([1, 2, 3, 0, 2]), { ignoreIndex: 2, weight: w4, labelSmoothing: 0.1 }), [leaf([5, 4], 0.2, 2)]);
  check('crossEntropy spatial [N, C, H, W]', (x) => F.crossEntropy(x, ints([0, 2, 1, -100, 1, 0, 2, 2], [2, 2, 2]), { weight: positive([3], 1), labelSmoothing: 0.1 }), [leaf([2, 3, 2, 2], 0.3, 2)]);
  check('crossEntropy unbatched [C]', (x) => F.crossEntropy(x, ints([2], [])), [leaf([4], 0.4, 2)]);
});

test('crossEntropy with class probabilities: gradcheck over weight × labelSmoothing × reduction (input and target)', () => {
  for (const reduction of reductions) {
    for (const weight of [null, w4]) {
      for (const labelSmoothing of [0, 0.25]) {
        check(`crossEntropy probs ${reduction} weight=${!!weight} smoothing=${labelSmoothing}`,
          (x, p) => F.crossEntropy(x, p, { weight, reduction, labelSmoothing }), [leaf([3, 4], 0.5, 2), det([3, 4], 0.6).softmax(1).requiresGrad_()]);
      }
    }
  }
  check('crossEntropy probs spatial', (x) => F.crossEntropy(x, det([2, 3, 2, 2], 0.7).softmax(1)), [leaf([2, 3, 2, 2], 0.8)]);
});

test('crossEntropy weighting rules (mean divides by the weights of the non-ignored targets)', () => {
  const x = det([5, 4], 0.1, 2);
  const logp = x.logSoftmax(1);
  const picked = (i: number, c: number) => logp.select(0, i).select(0, c).item();
  const w = Array.from(w4.data());
  const targets = [1, -100, 3, 3, -100];
  let num = 0;
  let den = 0;
  targets.forEach((t, i) => {
    if (t === -100) return;
    num -= w[t] * picked(i, t);
    den += w[t];
  });
  assertClose(F.crossEntropy(x, t5i, { weight: w4 }), [num / den], 'weighted mean');
  assertClose(F.crossEntropy(x, t5i, { weight: w4, reduction: 'sum' }), [num], 'weighted sum');
  const none = Array.from(F.crossEntropy(x, t5i, { weight: w4, reduction: 'none' }).data());
  assert.equal(none[1], 0);
  assert.equal(none[4], 0);
  // label smoothing: (1 − ε)·nll + ε/C·(−Σ_c w_c logp_c), with the same denominator
  const eps = 0.2;
  let smooth = 0;
  targets.forEach((t, i) => {
    if (t === -100) return;
    for (let c = 0; c < 4; c++) smooth -= w[c] * picked(i, c);
  });
  assertClose(F.crossEntropy(x, t5i, { weight: w4, labelSmoothing: eps }), [((1 - eps) * num + (eps / 4) * smooth) / den], 'smoothed weighted mean');
  // all targets ignored: mean is 0/0 = NaN, as PyTorch
  assert.ok(Number.isNaN(F.crossEntropy(x.narrow(0, 0, 2), ints([-100, -100])).item()));
  // class indices and one-hot probabilities agree
  const probs = F.oneHot(t5, 4).double();
  assertClose(F.crossEntropy(x, probs), [F.crossEntropy(x, t5).item()], 'one-hot probabilities');
  // the fused path's gradient is softmax − onehot (mean over the batch)
  const xs = x.clone().requiresGrad_();
  F.crossEntropy(xs, t5).backward();
  assertClose(xs.grad!, Array.from(x.softmax(1).sub(probs).div(5).data()), 'softmax − onehot');
  // float32 logits give float32 losses; large logits stay finite
  const big = st.tensor([[1000, -1000, 0], [-500, 500, 20]]);
  const loss = F.crossEntropy(big, ints([0, 2]));
  assert.equal(loss.dtype, 'float32');
  assertClose(loss, [(0 + 480) / 2], 'large logits', 1e-6);
});

test('nllLoss gradients pass gradcheck', () => {
  for (const reduction of reductions) {
    check(`nllLoss ${reduction} weight ignore`, (x) => F.nllLoss(x, t5i, { weight: w4, reduction }), [leaf([5, 4], 1.1)]);
  }
  check('nllLoss spatial', (x) => F.nllLoss(x, ints([0, 1, 2, 1, 2, 0], [2, 3]), { reduction: 'sum' }), [leaf([2, 3, 3], 1.2)]);
});

test('regression losses: gradcheck of input and target for every reduction', () => {
  const pair = (i: number) => [leaf([3, 4], 2 + i, 1.5), leaf([3, 4], 3 + i, 1.5)];
  for (const reduction of reductions) {
    check(`mseLoss ${reduction}`, (a, b) => F.mseLoss(a, b, { reduction }), pair(0));
    check(`l1Loss ${reduction}`, (a, b) => F.l1Loss(a, b, { reduction }), pair(1));
    check(`smoothL1Loss ${reduction}`, (a, b) => F.smoothL1Loss(a, b, { reduction }), pair(2));
    check(`smoothL1Loss beta 0.5 ${reduction}`, (a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.5 }), pair(3));
    check(`huberLoss delta 0.3 ${reduction}`, (a, b) => F.huberLoss(a, b, { reduction, delta: 0.3 }), pair(4));
  }
  check('mseLoss broadcast target', (a, b) => F.mseLoss(a, b), [leaf([3, 4], 5), leaf([4], 6)]);
  // smoothL1 with beta 0 is the L1 loss; huber = beta·smoothL1 when beta = delta
  const [a, b] = [det([3, 4], 1, 2), det([3, 4], 2, 2)];
  assertClose(F.smoothL1Loss(a, b, { beta: 0 }), [F.l1Loss(a, b).item()], 'beta 0');
  assertClose(F.huberLoss(a, b, { delta: 0.5 }), [0.5 * F.smoothL1Loss(a, b, { beta: 0.5 }).item()], 'huber vs smoothL1');
});

test('binary cross entropy (probabilities and logits): gradcheck over weights, posWeight and reductions', () => {
  const probs = () => det([3, 4], 0.3, 3).sigmoid().requiresGrad_();
  const target = () => positive([3, 4], 0.4, 0, 1).requiresGrad_();
  for (const reduction of reductions) {
    check(`binaryCrossEntropy ${reduction}`, (x, t) => F.binaryCrossEntropy(x, t, null, { reduction }), [probs(), target()]);
    check(`binaryCrossEntropy weight ${reduction}`, (x, t) => F.binaryCrossEntropy(x, t, positive([4], 0.5), { reduction }), [probs(), target()]);
    check(`bceWithLogits ${reduction}`, (x, t) => F.binaryCrossEntropyWithLogits(x, t, null, { reduction }), [leaf([3, 4], 0.6, 3), target()]);
    check(`bceWithLogits weight posWeight ${reduction}`,
      (x, t) => F.bceWithLogits(x, t, positive([3, 1], 0.7), { reduction, posWeight: positive([4], 0.8, 0.5, 3) }), [leaf([3, 4], 0.9, 3), target()]);
  }
  // logits and probabilities agree; large logits stay finite
  const x = det([3, 4], 1.1, 3);
  const t = positive([3, 4], 1.2, 0, 1);
  assertClose(F.bceWithLogits(x, t), [F.binaryCrossEntropy(x.sigmoid(), t).item()], 'logits vs probabilities', 1e-12);
  const big = F.bceWithLogits(st.tensor([-200, 200]), st.tensor([1, 0]), null, { reduction: 'none' });
  assertClose(big, [200, 200], 'large logits');
  // the log is clamped at −100
  assertClose(F.binaryCrossEntropy(st.tensor([0, 1], { dtype: 'float64' }), st.tensor([1, 0], { dtype: 'float64' }), null, { reduction: 'none' }), [100, 100], 'clamp');
});

test('margin, divergence and embedding losses: gradchecks', () => {
  for (const reduction of reductions) {
    check(`multiMarginLoss p1 ${reduction}`, (x) => F.multiMarginLoss(x, t5, { reduction }), [leaf([5, 4], 1.3, 2)]);
    check(`multiMarginLoss p2 margin 0.5 weight ${reduction}`, (x) => F.multiMarginLoss(x, t5, { reduction, p: 2, margin: 0.5, weight: w4 }), [leaf([5, 4], 1.4, 2)]);
  }
  check('multiMarginLoss unbatched', (x) => F.multiMarginLoss(x, ints([1], [])), [leaf([4], 1.5, 2)]);
  for (const reduction of ['mean', 'batchmean', 'sum', 'none'] as const) {
    check(`klDiv ${reduction}`, (x, t) => F.klDiv(x, t, { reduction }), [det([3, 4], 1.6, 2).logSoftmax(1).requiresGrad_(), det([3, 4], 1.7).softmax(1).requiresGrad_()]);
    check(`klDiv logTarget ${reduction}`, (x, t) => F.klDiv(x, t, { reduction, logTarget: true }), [leaf([3, 4], 1.8), leaf([3, 4], 1.9)]);
  }
  const y = st.tensor([[1, -1], [-1, 1], [1, -1]], { dtype: 'float64' });
  check('softMarginLoss', (x) => F.softMarginLoss(x, y), [leaf([3, 2], 2.0, 2)]);
  check('marginRankingLoss', (a, b) => F.marginRankingLoss(a, b, y.reshape([6]), { margin: 0.3 }), [leaf([6], 2.1), leaf([6], 2.2)]);
  check('hingeEmbeddingLoss', (x) => F.hingeEmbeddingLoss(x, y, { margin: 0.8, reduction: 'sum' }), [leaf([3, 2], 2.3, 2)]);
  check('cosineEmbeddingLoss', (a, b) => F.cosineEmbeddingLoss(a, b, st.tensor([1, -1, -1, 1], { dtype: 'float64' }), { margin: 0.1 }), [leaf([4, 3], 2.4), leaf([4, 3], 2.5)]);
  check('tripletMarginLoss', (a, p, n) => F.tripletMarginLoss(a, p, n), [leaf([4, 3], 2.6), leaf([4, 3], 2.7), leaf([4, 3], 2.8)]);
  check('tripletMarginLoss p1 swap', (a, p, n) => F.tripletMarginLoss(a, p, n, { p: 1, swap: true, margin: 2, reduction: 'none' }), [leaf([4, 3], 2.9), leaf([4, 3], 3.0), leaf([4, 3], 3.1)]);
  check('multilabelSoftMarginLoss', (x) => F.multilabelSoftMarginLoss(x, positive([3, 4], 3.2, 0, 1), { weight: positive([4], 3.3) }), [leaf([3, 4], 3.4, 2)]);
  check('poissonNllLoss', (x) => F.poissonNllLoss(x, positive([3, 4], 3.5, 0, 4)), [leaf([3, 4], 3.6)]);
  check('poissonNllLoss not log, full', (x) => F.poissonNllLoss(x, positive([3, 4], 3.7, 0, 4), { logInput: false, full: true }), [positive([3, 4], 3.8).requiresGrad_()]);
  check('gaussianNllLoss', (x, v) => F.gaussianNllLoss(x, det([3, 4], 3.9), v, { full: true }), [leaf([3, 4], 4.0), positive([3, 4], 4.1).requiresGrad_()]);
  check('gaussianNllLoss var per sample', (x, v) => F.gaussianNllLoss(x, det([3, 4], 4.2), v), [leaf([3, 4], 4.3), positive([3], 4.4).requiresGrad_()]);
});

const errorCases: [string, () => unknown, RegExp | string][] = [
  ['target out of bounds', () => F.crossEntropy(st.zeros([2, 3]), ints([0, 3])), 'crossEntropy: target 3 is out of bounds for 3 classes (input of shape [2, 3])'],
  ['target shape', () => F.crossEntropy(st.zeros([4, 3]), ints([0, 1, 2])), 'crossEntropy: expected target of shape [4] for input of shape [4, 3], got target of shape [3]'],
  ['float target shape', () => F.crossEntropy(st.zeros([4, 3]), st.zeros([4])), /crossEntropy: a floating-point target holds class probabilities and must have the input's shape \[4, 3\], got target of shape \[4\]/],
  ['weight shape', () => F.crossEntropy(st.zeros([4, 3]), ints([0, 1, 2, 0]), { weight: st.ones([4]) }), /crossEntropy: expected weight of shape \[3\] \(one per class\)/],
  ['reduction', () => F.crossEntropy(st.zeros([4, 3]), ints([0, 1, 2, 0]), { reduction: 'avg' as F.Reduction }), /crossEntropy: reduction must be 'mean', 'sum', 'none', got 'avg'/],
  ['ignoreIndex with probabilities', () => F.crossEntropy(st.zeros([2, 3]), st.zeros([2, 3]), { ignoreIndex: 1 }), /ignoreIndex is not supported for class-probability targets/],
  ['nllLoss float target', () => F.nllLoss(st.zeros([2, 3]), st.zeros([2])), /nllLoss: expected class-index targets as an int32 tensor, got float32/],
  ['bce out of range', () => F.binaryCrossEntropy(st.tensor([0.5, 1.5]), st.tensor([0, 1])), /binaryCrossEntropy: all elements of input should be between 0 and 1/],
  ['bce shape', () => F.binaryCrossEntropy(st.tensor([0.5, 0.5]), st.tensor([0, 1, 1])), /binaryCrossEntropy: expected target of the input's shape \[2\], got target of shape \[3\]/],
  ['bceWithLogits weight shape', () => F.bceWithLogits(st.zeros([2, 3]), st.zeros([2, 3]), st.ones([2])), /weight of shape \[2\] must broadcast to the input's shape \[2, 3\]/],
  ['multiMargin p', () => F.multiMarginLoss(st.zeros([2, 3]), ints([0, 1]), { p: 3 }), /only p == 1 and p == 2 are supported/],
  ['klDiv reduction', () => F.klDiv(st.zeros([2]), st.zeros([2]), { reduction: 'avg' as 'mean' }), /klDiv: reduction must be 'mean', 'batchmean', 'sum', 'none'/],
  ['mse broadcast', () => F.mseLoss(st.zeros([2, 3]), st.zeros([4])), /mseLoss: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
];

test('invalid loss arguments raise descriptive errors', () => {
  for (const [name, fn, message] of errorCases) assert.throws(fn, typeof message === 'string' ? { message } : message, name);
});

test('losses keep the input dtype', () => {
  const x = det([3, 4], 0.1, 2, 'float32');
  const outs: Tensor[] = [
    F.crossEntropy(x, ints([0, 1, 2])), F.crossEntropy(x, x.softmax(1)), F.nllLoss(x, ints([0, 1, 2])), F.mseLoss(x, x.mul(2)),
    F.bceWithLogits(x, x.sigmoid()), F.klDiv(x.logSoftmax(1), x.softmax(1), { reduction: 'batchmean' }),
  ];
  for (const o of outs) assert.equal(o.dtype, 'float32');
});

test('multilabelMarginLoss and tripletMarginWithDistanceLoss: gradchecks and definitions', () => {
  const target = ints([3, 0, -1, 1, 1, 2, 3, -1, 0, 0, 2, -1], [3, 4]);
  for (const reduction of reductions) check(`multilabelMarginLoss ${reduction}`, (x) => F.multilabelMarginLoss(x, target, { reduction }), [leaf([3, 4], 0.1, 2)]);
  check('multilabelMarginLoss unbatched', (x) => F.multilabelMarginLoss(x, ints([2, -1, 0])), [leaf([3], 0.2, 2)]);
  // one sample, targets {0}: Σ_{i ≠ 0} max(0, 1 − (x0 − xi)) / C
  const x = st.tensor([[2, 1.5, -1]], { dtype: 'float64' });
  assertClose(F.multilabelMarginLoss(x, ints([0, -1, 1], [1, 3])), [(0.5 + 0) / 3], 'definition');
  check('tripletMarginWithDistanceLoss default distance, swap', (a, p, n) => F.tripletMarginWithDistanceLoss(a, p, n, { swap: true }), [leaf([4, 3], 0.3), leaf([4, 3], 0.4), leaf([4, 3], 0.5)]);
  const cosineDistance = (a: Tensor, b: Tensor) => F.cosineSimilarity(a, b).neg().add(1);
  check('tripletMarginWithDistanceLoss cosine distance', (a, p, n) => F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: cosineDistance, margin: 0.5, reduction: 'sum' }),
    [leaf([4, 3], 0.6), leaf([4, 3], 0.7), leaf([4, 3], 0.8)]);
  const [a, p, n] = [det([4, 3], 1), det([4, 3], 2), det([4, 3], 3)];
  assertClose(F.tripletMarginWithDistanceLoss(a, p, n), [F.tripletMarginLoss(a, p, n).item()], 'default distance = tripletMarginLoss');
});
