/** F activations, linear/bilinear, distances, normalize, oneHot, embedding, pixel shuffle, pad: gradchecks and behaviour. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, check, det, ints, leaf } from './functional-helpers.js';

const activations: [string, (x: Tensor) => Tensor][] = [
  ['relu', F.relu], ['sigmoid', F.sigmoid], ['tanh', F.tanh],
  ['leakyRelu {negativeSlope: 0.2}', (x) => F.leakyRelu(x, { negativeSlope: 0.2 })], ['leakyRelu 0.05', (x) => F.leakyRelu(x, 0.05)],
  ['elu {alpha: 0.5}', (x) => F.elu(x, { alpha: 0.5 })], ['celu {alpha: 1.5}', (x) => F.celu(x, { alpha: 1.5 })], ['selu', F.selu],
  ['gelu', (x) => F.gelu(x)], ["gelu tanh", (x) => F.gelu(x, { approximate: 'tanh' })], ['silu', F.silu], ['mish', F.mish],
  ['softplus {beta: 2, threshold: 5}', (x) => F.softplus(x, { beta: 2, threshold: 5 })], ['hardswish', F.hardswish], ['hardsigmoid', F.hardsigmoid],
  ['hardtanh {minVal: -0.5, maxVal: 0.7}', (x) => F.hardtanh(x, { minVal: -0.5, maxVal: 0.7 })], ['relu6', F.relu6],
  ['threshold 0.1 → 20', (x) => F.threshold(x, 0.1, 20)], ['logSigmoid', F.logSigmoid], ['softsign', F.softsign], ['tanhshrink', F.tanhshrink],
  ['hardshrink 0.7', (x) => F.hardshrink(x, { lambd: 0.7 })], ['softshrink 0.7', (x) => F.softshrink(x, { lambd: 0.7 })],
  ['rrelu (evaluation)', (x) => F.rrelu(x)],
  ['softmax dim 1', (x) => F.softmax(x, 1)], ['logSoftmax dim -1', (x) => F.logSoftmax(x, -1)], ['softmin dim 0', (x) => F.softmin(x, 0)],
  ['glu dim 1', (x) => F.glu(x, { dim: 1 })], ['glu default dim -1', (x) => F.glu(x.transpose(1, 2))],
  ['normalize', (x) => F.normalize(x)], ['normalize p 1 dim -1', (x) => F.normalize(x, { p: 1, dim: -1 })],
  ['pixelShuffle 2', (x) => F.pixelShuffle(x.reshape([1, 4, 2, 3]), 2)], ['pixelUnshuffle 2', (x) => F.pixelUnshuffle(x.reshape([1, 1, 4, 6]), 2)],
  ['pad reflect', (x) => F.pad(x, [1, 2, 1, 0], { mode: 'reflect' })],
];

test('activations and shape functions pass gradcheck', () => {
  activations.forEach(([name, fn], i) => check(`F.${name}`, fn, [leaf([2, 4, 3], i * 0.31 + 0.05, 4)]));
  check('F.prelu', (x, w) => F.prelu(x, w), [leaf([2, 3, 4], 0.2, 4), leaf([3], 0.3)]);
});

test('activation parameters: number or options object; PyTorch defaults', () => {
  const x = st.tensor([-2, -0.5, 0.5, 2], { dtype: 'float64' });
  assertClose(F.leakyRelu(x), [-0.02, -0.005, 0.5, 2], 'leakyRelu default 0.01');
  assertClose(F.leakyRelu(x, 0.1), Array.from(F.leakyRelu(x, { negativeSlope: 0.1 }).data()), 'leakyRelu number = options');
  assertClose(F.hardtanh(x), [-1, -0.5, 0.5, 1], 'hardtanh default');
  assertClose(F.hardtanh(x, -0.25, 0.75), [-0.25, -0.25, 0.5, 0.75], 'hardtanh positional');
  assertClose(F.celu(x, { alpha: 2 }), [2 * Math.expm1(-1), 2 * Math.expm1(-0.25), 0.5, 2], 'celu');
  assertClose(F.hardshrink(x), [-2, 0, 0, 2], 'hardshrink default 0.5');
  assertClose(F.softshrink(x, 1), [-1, 0, 0, 1], 'softshrink');
  assertClose(F.rrelu(x), [-2 * (11 / 48), -0.5 * (11 / 48), 0.5, 2], 'rrelu evaluation slope (lower + upper)/2');
  st.manualSeed(1);
  const r = Array.from(F.rrelu(x, { training: true }).data());
  assert.ok(r[0] / -2 >= 1 / 8 && r[0] / -2 <= 1 / 3 && r[2] === 0.5, 'rrelu training slope in [lower, upper]');
  assert.throws(() => F.glu(st.zeros([2, 3])), /glu: halving dimension -1 must have an even size, got input of shape \[2, 3\]/);
});

test('linear and bilinear pass gradcheck and follow torch shapes', () => {
  check('linear 2-D bias', (x, w, b) => F.linear(x, w, b), [leaf([3, 4], 0.1), leaf([5, 4], 0.2), leaf([5], 0.3)]);
  check('linear 3-D no bias', (x, w) => F.linear(x, w), [leaf([2, 3, 4], 0.4), leaf([2, 4], 0.5)]);
  check('linear 1-D input', (x, w, b) => F.linear(x, w, b), [leaf([4], 0.6), leaf([3, 4], 0.7), leaf([3], 0.8)]);
  check('bilinear', (a, b, w, c) => F.bilinear(a, b, w, c), [leaf([3, 4], 0.9), leaf([3, 2], 1.0), leaf([5, 4, 2], 1.1), leaf([5], 1.2)]);
  assert.deepEqual(F.linear(st.zeros([7, 2, 4]), st.zeros([3, 4]), st.zeros([3])).shape, [7, 2, 3]);
  assert.deepEqual(F.linear(st.zeros([4]), st.zeros([3, 4])).shape, [3]);
  assert.throws(() => F.linear(st.zeros([4, 30]), st.zeros([10, 20])), { message: 'linear: expected input with 20 features in its last dim (weight [10, 20]), got input of shape [4, 30]' });
  assert.throws(() => F.linear(st.zeros([4, 20]), st.zeros([10, 20]), st.zeros([20])), /linear: expected bias of shape \[10\]/);
  // x·Wᵀ + b by hand
  const y = F.linear(st.tensor([[1, 2]]), st.tensor([[1, 0], [0, 1], [1, 1]]), st.tensor([0.5, 0, -1]));
  assert.deepEqual(y.toArray(), [[1.5, 2, 2]]);
});

test('distances and similarities pass gradcheck and match their definitions', () => {
  check('cosineSimilarity dim 1', (a, b) => F.cosineSimilarity(a, b), [leaf([3, 4], 0.1), leaf([3, 4], 0.2)]);
  check('cosineSimilarity broadcast dim -1', (a, b) => F.cosineSimilarity(a, b, { dim: -1 }), [leaf([3, 4], 0.3), leaf([4], 0.4)]);
  check('pairwiseDistance p2', (a, b) => F.pairwiseDistance(a, b), [leaf([3, 4], 0.5), leaf([3, 4], 0.6)]);
  check('pairwiseDistance p1 keepdim', (a, b) => F.pairwiseDistance(a, b, { p: 1, keepdim: true }), [leaf([3, 4], 0.7), leaf([3, 4], 0.8)]);
  check('pairwiseDistance p3', (a, b) => F.pairwiseDistance(a, b, { p: 3 }), [leaf([3, 4], 0.9), leaf([3, 4], 1.0)]);
  const a = st.tensor([[3, 4], [1, 0]], { dtype: 'float64' });
  const b = st.tensor([[6, 8], [0, 1]], { dtype: 'float64' });
  assertClose(F.cosineSimilarity(a, b), [1, 0], 'cosine');
  assertClose(F.pairwiseDistance(a, b, { eps: 0 }), [5, Math.SQRT2], 'distance');
  assertClose(F.normalize(a), [0.6, 0.8, 1, 0], 'normalize');
  assertClose(F.normalize(st.zeros([1, 3], { dtype: 'float64' })), [0, 0, 0], 'normalize of zeros stays 0');
  // retrieval-style: rank a gallery by cosine similarity to a query
  const gallery = F.normalize(det([5, 8], 0.2));
  const query = gallery.select(0, 3).unsqueeze(0);
  assert.equal(F.cosineSimilarity(query, gallery, { dim: 1 }).argmax().item(), 3);
});

test('oneHot, embedding, pixelShuffle', () => {
  assert.deepEqual(F.oneHot(ints([0, 2]), 3).toArray(), [[1, 0, 0], [0, 0, 1]]);
  assert.deepEqual(F.oneHot(ints([0, 2]), { numClasses: 4 }).toArray(), [[1, 0, 0, 0], [0, 0, 1, 0]]);
  assert.deepEqual(F.oneHot(ints([1, 0])).toArray(), [[0, 1], [1, 0]]);
  const w = det([5, 3], 0.1).requiresGrad_();
  const idx = ints([0, 1, 4, 1], [2, 2]);
  const e = F.embedding(idx, w, { paddingIdx: 1 });
  assert.deepEqual(e.shape, [2, 2, 3]);
  e.sum().backward();
  assert.deepEqual(w.grad!.toArray(), [[1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
  check('embedding weight gradient', (wt) => F.embedding(idx, wt), [leaf([5, 3], 0.2)]);
  const x = st.arange(0, 16).reshape([1, 4, 2, 2]).double();
  const up = F.pixelShuffle(x, 2);
  assert.deepEqual(up.toArray(), [[[[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]]]]);
  assert.deepEqual(F.pixelUnshuffle(up, 2).toArray(), x.toArray());
  assert.throws(() => F.pixelShuffle(st.zeros([1, 3, 2, 2]), 2), /pixelShuffle: expected input \[\*, C·2², H, W\] with channels divisible by 4/);
});

test('strided (non-contiguous) inputs give the results of their contiguous copies, gradients included', () => {
  // x is a transposed view [2, 3, 5, 4] of a [2, 3, 4, 5] tensor
  const base = det([2, 3, 4, 5], 0.4, 2);
  const ops: [string, (x: Tensor) => Tensor][] = [
    ['conv2d', (x) => F.conv2d(x, det([2, 3, 3, 2], 0.1), det([2], 0.2), { padding: 1, stride: [2, 1] })],
    ['convTranspose2d', (x) => F.convTranspose2d(x, det([3, 2, 2, 2], 0.3), null, { stride: 2 })],
    ['maxPool2d', (x) => F.maxPool2d(x, 2, { stride: 1 })],
    ['avgPool2d', (x) => F.avgPool2d(x, 3, { padding: 1, countIncludePad: false })],
    ['adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [3, 3])],
    ['adaptiveMaxPool2d', (x) => F.adaptiveMaxPool2d(x, [2, 3])],
    ['batchNorm', (x) => F.batchNorm(x, null, null, det([3], 0.5), null, { training: true })],
    ['layerNorm', (x) => F.layerNorm(x, [5, 4])],
    ['groupNorm', (x) => F.groupNorm(x, 3)],
    ['interpolate bilinear', (x) => F.interpolate(x, { size: [7, 3], mode: 'bilinear' })],
    ['crossEntropy', (x) => F.crossEntropy(x, ints([0, 2, 1, 1, 0, 2, 2, 2, 1, 0, 0, 1, 2, 1, 0, 1, 2, 0, 0, 1, 2, 2, 1, 0, 1, 0, 2, 2, 1, 0, 0, 1, 2, 1, 0, 2, 1, 1, 0, 2], [2, 5, 4]), { labelSmoothing: 0.1 })],
    ['binaryCrossEntropyWithLogits', (x) => F.bceWithLogits(x, x.detach().sigmoid().contiguous(), null, { reduction: 'sum' })],
  ];
  for (const [name, fn] of ops) {
    const strided = base.transpose(2, 3).requiresGrad_();
    const dense = base.transpose(2, 3).contiguous().requiresGrad_();
    assert.ok(!strided.isContiguous());
    const a = fn(strided);
    const b = fn(dense);
    assertClose(a, Array.from(b.data()), `${name} output`);
    const g = det(a.shape as number[], 0.9);
    a.backward(g);
    b.backward(g);
    assertClose(strided.grad!, Array.from(dense.grad!.data()), `${name} gradient`);
  }
});

test('unfold / fold / localResponseNorm / channelShuffle pass gradcheck; fold is the adjoint of unfold', () => {
  check('unfold k[2, 3] stride [1, 2] padding 1 dilation [2, 1]', (x) => F.unfold(x, [2, 3], { stride: [1, 2], padding: 1, dilation: [2, 1] }), [leaf([1, 2, 4, 5], 0.1)]);
  check('unfold unbatched', (x) => F.unfold(x, 2), [leaf([2, 3, 3], 0.2)]);
  check('fold [4, 5] k2 stride 2 (uncovered border)', (x) => F.fold(x, [4, 5], 2, { stride: 2 }), [leaf([1, 8, 4], 0.3)]);
  check('localResponseNorm size 3', (x) => F.localResponseNorm(x, 3, { alpha: 0.1, k: 1 }), [leaf([2, 4, 3], 0.4, 2)]);
  check('localResponseNorm 4-D size 2', (x) => F.localResponseNorm(x, 2, { alpha: 0.2, beta: 0.5, k: 2 }), [leaf([1, 3, 2, 2], 0.5, 2)]);
  check('channelShuffle', (x) => F.channelShuffle(x, 2), [leaf([1, 4, 2, 1], 0.6)]);
  const x = det([2, 3, 6, 5], 0.7);
  const opts = { stride: [2, 1], padding: [1, 0], dilation: [1, 2] };
  const cols = F.unfold(x, [3, 2], opts);
  assert.deepEqual(cols.shape, [2, 18, 3 * 3]);
  const c = det(cols.shape as number[], 0.8);
  const back = F.fold(c, [6, 5], [3, 2], opts);
  assertClose([cols.mul(c).sum().item()], [x.mul(back).sum().item()], '<unfold(x), c> = <x, fold(c)>');
  assert.deepEqual(F.channelShuffle(st.arange(0, 6).reshape([1, 6, 1]), 3).reshape([6]).toArray(), [0, 2, 4, 1, 3, 5]);
  // nn.ChannelShuffle: torch 1.13 gives channels [0, 8, 16, 4, 12, 20] at pixel (0, 0) of arange(24).reshape(1, 6, 2, 2) for 3 groups.
  const shuffle = new nn.ChannelShuffle(3);
  assert.equal(shuffle.toString(), 'ChannelShuffle(groups=3)');
  assert.deepEqual(shuffle.forward(st.arange(0, 24).reshape([1, 6, 2, 2])).select(2, 0).select(2, 0).reshape([6]).toArray(), [0, 8, 16, 4, 12, 20]);
  assert.throws(() => F.fold(st.zeros([1, 8, 5]), [4, 5], 2, { stride: 2 }), /fold: expected 4 blocks \(\[2, 2\]\) for outputSize \[4, 5\].*got input of shape \[1, 8, 5\]/);
  assert.throws(() => F.localResponseNorm(st.zeros([2, 3]), 2), /localResponseNorm: expected an input of shape \[N, C, \*\] with at least 3 dims/);
});

test('maxUnpool, pdist, upsample aliases, gumbelSoftmax', () => {
  const x = det([1, 2, 4, 6], 0.1);
  const [pooled, idx] = F.maxPool2d(x, 2, { returnIndices: true });
  const restored = F.maxUnpool2d(pooled, idx, 2);
  assert.deepEqual(restored.shape, [1, 2, 4, 6]);
  // every pooled maximum is back at its place, the rest is 0
  assert.deepEqual(restored.flatten(2).gather(2, idx.flatten(2)).toArray(), pooled.flatten(2).toArray());
  assert.equal(restored.ne(0).sum().item(), pooled.size);
  check('maxUnpool2d', (p) => F.maxUnpool2d(p, idx, 2, { outputSize: [1, 2, 4, 6] }), [leaf([1, 2, 2, 3], 0.2)]);
  const [p1, i1] = F.maxPool1d(det([2, 7], 0.3), 2, { returnIndices: true });
  check('maxUnpool1d unbatched', (p) => F.maxUnpool1d(p, i1, 2, { outputSize: [7] }), [p1.clone().requiresGrad_()]);
  assert.throws(() => F.maxUnpool2d(pooled, idx, 2, { outputSize: [9, 9] }), /maxUnpool2d: invalid outputSize \[9,9\]/);
  check('pdist p2', (a) => F.pdist(a), [leaf([4, 3], 0.4)]);
  check('pdist p1', (a) => F.pdist(a, { p: 1 }), [leaf([3, 4], 0.5)]);
  const rows = st.tensor([[0, 0], [3, 4], [6, 8]], { dtype: 'float64' });
  assertClose(F.pdist(rows), [5, 10, 5], 'pdist values');
  const img = det([1, 1, 2, 3], 0.6);
  assertClose(F.upsampleNearest(img, { scaleFactor: 2 }), Array.from(F.interpolate(img, { scaleFactor: 2 }).data()), 'upsampleNearest');
  assertClose(F.upsampleBilinear(img, { size: [3, 5] }), Array.from(F.interpolate(img, { size: [3, 5], mode: 'bilinear', alignCorners: true }).data()), 'upsampleBilinear');
  assert.equal(F.logsigmoid, F.logSigmoid);
  st.manualSeed(5);
  const logits = det([4, 5], 0.7, 2).requiresGrad_();
  const soft = F.gumbelSoftmax(logits, { tau: 0.5 });
  assertClose(soft.sum(-1), [1, 1, 1, 1], 'gumbel soft rows sum to 1');
  st.manualSeed(5);
  const hard = F.gumbelSoftmax(logits, { tau: 0.5, hard: true });
  assert.deepEqual(hard.argmax(-1).toArray(), soft.argmax(-1).toArray(), 'same seed, same sample');
  assert.ok(Array.from(hard.data()).every((v) => Math.abs(v) < 1e-12 || Math.abs(v - 1) < 1e-12), 'hard samples are one-hot');
  hard.mul(det([4, 5], 0.8)).sum().backward();
  assert.ok(logits.grad && logits.grad.abs().sum().item() > 0, 'straight-through gradient');
});
