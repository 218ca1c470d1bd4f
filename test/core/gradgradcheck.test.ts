/**
 * Second derivatives against finite differences of the first (st.autograd.gradgradcheck, float64):
 * the convolutions in every geometry their kernels take (their backward is made of the other two
 * raw convolution ops, so backward through backward works), the other ops with raw backward kernels
 * (pooling, resampling, normalisation, class-index losses) in several geometries, and gradgradcheck itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { record } from '../../src/autograd/node.js';
import { forEachBackend, rnd } from './helpers.js';

const F = st.F;
let seed = 100;
const r = (shape: number[]) => rnd(shape, { seed: seed++ });
const RUNNING_MEAN = rnd([3], { seed: 1, requiresGrad: false });
const RUNNING_VAR = rnd([3], { seed: 2, lo: 0.5, requiresGrad: false });
const CLASS_WEIGHT = st.tensor([0.5, 2, 1, 1.5], { dtype: 'float64' });
const UNPOOL_INDICES = st.tensor([0, 3, 9, 14, 5, 2, 8, 15], { shape: [1, 2, 2, 2], dtype: 'int32' });

const CASES: [string, (...t: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['conv2d with bias', (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), () => [r([2, 2, 4, 4]), r([3, 2, 3, 3]), r([3])]],
  ['conv2d stride 2, dilation [2, 1], padding [1, 0]', (x, w) => F.conv2d(x, w, null, { stride: 2, dilation: [2, 1], padding: [1, 0] }), () => [r([1, 2, 6, 5]), r([2, 2, 2, 3])]],
  ['conv2d groups 2', (x, w) => F.conv2d(x, w, null, { groups: 2 }), () => [r([1, 4, 4, 4]), r([4, 2, 2, 2])]],
  ['conv2d depthwise', (x, w) => F.conv2d(x, w, null, { groups: 3, padding: 1 }), () => [r([1, 3, 4, 4]), r([3, 1, 3, 3])]],
  ['conv2d 1×1', (x, w) => F.conv2d(x, w), () => [r([2, 3, 3, 3]), r([2, 3, 1, 1])]],
  ['conv2d padding same, even kernel', (x, w) => F.conv2d(x, w, null, { padding: 'same' }), () => [r([1, 2, 4, 4]), r([2, 2, 2, 2])]],
  ['conv2d unbatched', (x, w) => F.conv2d(x, w, null, { stride: 2 }), () => [r([2, 5, 5]), r([2, 2, 3, 3])]],
  ['conv1d', (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 2 }), () => [r([2, 3, 7]), r([2, 3, 3]), r([2])]],
  ['convTranspose2d', (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), () => [r([1, 2, 3, 3]), r([2, 3, 3, 2]), r([3])]],
  ['convTranspose2d groups 2', (x, w) => F.convTranspose2d(x, w, null, { groups: 2, dilation: 2 }), () => [r([1, 4, 3, 3]), r([4, 1, 2, 2])]],
  ['convTranspose1d', (x, w) => F.convTranspose1d(x, w, null, { stride: 3 }), () => [r([2, 2, 4]), r([2, 2, 3])]],
  ['conv2d → tanh → conv2d', (x, w1, w2) => F.conv2d(F.conv2d(x, w1, null, { padding: 1 }).tanh(), w2), () => [r([1, 2, 4, 4]), r([2, 2, 3, 3]), r([1, 2, 2, 2])]],
  // Pooling: linear in the input given the windows (max pooling: given the argmax), so only the
  // gradient-of-gradient w.r.t. the upstream gradient is non-zero; the tanh makes the input's own nonzero.
  ['maxPool2d 2×2', (x) => F.maxPool2d(x, 2), () => [r([2, 2, 4, 4])]],
  ['maxPool2d stride 2, padding 1, ceilMode', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), () => [r([1, 2, 6, 5])]],
  ['maxPool2d dilation 2, unbatched', (x) => F.maxPool2d(x, 2, { dilation: 2, stride: 1 }), () => [r([2, 5, 5])]],
  ['maxPool2d of tanh', (x) => F.maxPool2d(x.tanh(), [2, 3], { stride: [1, 2] }), () => [r([1, 1, 4, 5])]],
  ['maxPool1d stride 2, padding 1', (x) => F.maxPool1d(x, 3, { stride: 2, padding: 1 }), () => [r([2, 2, 7])]],
  ['avgPool2d 2×2', (x) => F.avgPool2d(x, 2), () => [r([2, 2, 4, 4])]],
  ['avgPool2d stride 2, padding 1, ceilMode, countIncludePad false', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), () => [r([1, 2, 6, 5])]],
  ['avgPool2d divisorOverride of a square', (x) => F.avgPool2d(x.square(), [2, 3], { divisorOverride: 4 }), () => [r([1, 1, 4, 6])]],
  ['avgPool1d padding 1', (x) => F.avgPool1d(x, 3, { padding: 1 }), () => [r([2, 2, 7])]],
  ['adaptiveAvgPool2d [3, 2] (uneven windows)', (x) => F.adaptiveAvgPool2d(x, [3, 2]), () => [r([1, 2, 5, 5])]],
  ['adaptiveAvgPool2d 2 (even windows) of tanh', (x) => F.adaptiveAvgPool2d(x.tanh(), 2), () => [r([2, 1, 4, 4])]],
  ['adaptiveAvgPool1d 3', (x) => F.adaptiveAvgPool1d(x, 3), () => [r([1, 2, 5])]],
  ['adaptiveMaxPool2d [3, 2] (uneven windows)', (x) => F.adaptiveMaxPool2d(x, [3, 2]), () => [r([1, 2, 5, 5])]],
  ['adaptiveMaxPool2d 2 (even windows)', (x) => F.adaptiveMaxPool2d(x, 2), () => [r([2, 1, 4, 4])]],
  ['adaptiveMaxPool1d 3 of tanh', (x) => F.adaptiveMaxPool1d(x.tanh(), 3), () => [r([1, 2, 7])]],
  ['lpPool2d p = 2', (x) => F.lpPool2d(x, 2, 2), () => [r([1, 2, 4, 4])]],
  ['lpPool2d p = 3, stride 1', (x) => F.lpPool2d(x, 3, [2, 3], { stride: 1 }), () => [rnd([1, 1, 4, 4], { seed: seed++, lo: 0.5 })]],
  ['lpPool1d p = 1.5, ceilMode', (x) => F.lpPool1d(x, 1.5, 2, { ceilMode: true }), () => [rnd([1, 2, 5], { seed: seed++, lo: 0.5 })]],
  ['maxUnpool2d', (x) => F.maxUnpool2d(x, UNPOOL_INDICES, 2), () => [r([1, 2, 2, 2])]],
  // Resampling: linear in the input.
  ['interpolate nearest ×2', (x) => F.interpolate(x, { scaleFactor: 2 }), () => [r([1, 2, 3, 3])]],
  ['interpolate nearest to [5, 2] of a square', (x) => F.interpolate(x.square(), { size: [5, 2] }), () => [r([1, 1, 3, 4])]],
  ['interpolate nearest-exact 1-D', (x) => F.interpolate(x, { size: 5, mode: 'nearest-exact' }), () => [r([2, 1, 3])]],
  ['interpolate linear', (x) => F.interpolate(x, { size: 7, mode: 'linear' }), () => [r([1, 2, 4])]],
  ['interpolate linear alignCorners', (x) => F.interpolate(x, { size: 3, mode: 'linear', alignCorners: true }), () => [r([1, 2, 5])]],
  ['interpolate bilinear', (x) => F.interpolate(x, { size: [5, 3], mode: 'bilinear' }), () => [r([1, 2, 3, 4])]],
  ['interpolate bilinear alignCorners of tanh', (x) => F.interpolate(x.tanh(), { scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }), () => [r([1, 1, 3, 3])]],
  ['interpolate bicubic', (x) => F.interpolate(x, { size: [4, 5], mode: 'bicubic' }), () => [r([1, 1, 3, 3])]],
  ['interpolate bicubic alignCorners', (x) => F.interpolate(x, { size: [2, 5], mode: 'bicubic', alignCorners: true }), () => [r([1, 2, 4, 3])]],
  ['interpolate area', (x) => F.interpolate(x, { size: [3, 2], mode: 'area' }), () => [r([1, 2, 5, 5])]],
  ['gridSample bilinear zeros', (x, g) => F.gridSample(x, g), () => [r([1, 2, 3, 4]), rnd([1, 2, 3, 2], { seed: seed++, lo: -1.2, hi: 1.2 })]],
  ['gridSample bilinear border alignCorners', (x, g) => F.gridSample(x, g, { paddingMode: 'border', alignCorners: true }), () => [r([2, 1, 3, 3]), rnd([2, 2, 2, 2], { seed: seed++, lo: -1.2, hi: 1.2 })]],
  ['gridSample bilinear reflection', (x, g) => F.gridSample(x, g, { paddingMode: 'reflection' }), () => [r([1, 2, 4, 3]), rnd([1, 3, 2, 2], { seed: seed++, lo: -1.6, hi: 1.6 })]],
  ['gridSample nearest', (x, g) => F.gridSample(x, g, { mode: 'nearest' }), () => [r([1, 2, 3, 3]), rnd([1, 2, 2, 2], { seed: seed++, lo: -0.9, hi: 0.9 })]],
  // Normalisation: non-linear in the input and the affine parameters.
  ['batchNorm training, affine', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), () => [r([3, 2, 2, 2]), r([2]), r([2])]],
  ['batchNorm training, no affine, 2-D input', (x) => F.batchNorm(x, null, null, null, null, { training: true, eps: 0.1 }), () => [r([4, 3])]],
  ['batchNorm eval, affine', (x, w, b) => F.batchNorm(x, RUNNING_MEAN, RUNNING_VAR, w, b), () => [r([2, 3, 3]), r([3]), r([3])]],
  ['batchNorm eval, weight only', (x, w) => F.batchNorm(x, RUNNING_MEAN, RUNNING_VAR, w), () => [r([2, 3, 2, 2]), r([3])]],
  ['layerNorm, affine', (x, w, b) => F.layerNorm(x, [2, 3], w, b), () => [r([2, 2, 3]), r([2, 3]), r([2, 3])]],
  ['layerNorm, no affine', (x) => F.layerNorm(x, 4, null, null, { eps: 0.01 }), () => [r([3, 4])]],
  ['groupNorm 2 groups, affine', (x, w, b) => F.groupNorm(x, 2, w, b), () => [r([2, 4, 3]), r([4]), r([4])]],
  ['groupNorm 1 group, no affine', (x) => F.groupNorm(x, 1), () => [r([2, 2, 2, 2])]],
  ['instanceNorm, affine', (x, w, b) => F.instanceNorm(x, null, null, w, b), () => [r([2, 3, 4]), r([3]), r([3])]],
  ['instanceNorm, no affine', (x) => F.instanceNorm(x), () => [r([1, 2, 2, 3])]],
  ['localResponseNorm', (x) => F.localResponseNorm(x, 3, { alpha: 0.5, beta: 0.75, k: 1 }), () => [r([2, 4, 3])]],
  // Losses.
  ['crossEntropy', (x) => F.crossEntropy(x, st.tensor([1, 0, 3], { dtype: 'int32' })), () => [r([3, 4])]],
  ['crossEntropy sum, class weights', (x) => F.crossEntropy(x, st.tensor([1, 2, 2], { dtype: 'int32' }), { reduction: 'sum', weight: CLASS_WEIGHT }), () => [r([3, 4])]],
  ['crossEntropy none, ignoreIndex, spatial', (x) => F.crossEntropy(x, st.tensor([[0, 3], [-100, 1]], { dtype: 'int32' }), { reduction: 'none' }), () => [r([2, 4, 2])]],
  ['crossEntropy labelSmoothing, weights, ignoreIndex', (x) => F.crossEntropy(x, st.tensor([1, 2, 3], { dtype: 'int32' }), { labelSmoothing: 0.2, weight: CLASS_WEIGHT, ignoreIndex: 2 }), () => [r([3, 4])]],
  ['crossEntropy unbatched', (x) => F.crossEntropy(x, st.tensor(2, { dtype: 'int32' })), () => [r([4])]],
  ['crossEntropy with probabilities, labelSmoothing', (x, p) => F.crossEntropy(x, p.softmax(1), { labelSmoothing: 0.1 }), () => [r([2, 3]), r([2, 3])]],
  ['nllLoss', (x) => F.nllLoss(x.logSoftmax(1), st.tensor([1, 0, 3], { dtype: 'int32' })), () => [r([3, 4])]],
  ['nllLoss sum, weights, ignoreIndex', (x) => F.nllLoss(x, st.tensor([1, 2, 0], { dtype: 'int32' }), { reduction: 'sum', weight: CLASS_WEIGHT, ignoreIndex: 0 }), () => [r([3, 4])]],
  ['nllLoss none, spatial', (x) => F.nllLoss(x, st.tensor([[0, 3], [2, 1]], { dtype: 'int32' }), { reduction: 'none' }), () => [r([2, 4, 2])]],
  // Activations.
  ['mish', (x) => F.mish(x), () => [r([2, 3])]],
];

forEachBackend(() => {
  for (const [name, fn, inputs] of CASES) {
    test(`gradgradcheck: ${name}`, () => {
      assert.equal(st.autograd.gradgradcheck(fn, inputs()), true);
    });
  }
});

test('gradgradcheck catches a backward that is not itself differentiable, and takes given gradOutputs', () => {
  // x², whose backward computes 2·x·g outside the graph: right first derivative, no second.
  const square = (x: Tensor) => record(st.noGrad(() => x.mul(x)), 'SquareBackward0', [x], (g) => [st.noGrad(() => g.mul(x).mul(2))]);
  assert.equal(st.autograd.gradcheck(square, [r([3])]), true);
  assert.throws(() => st.autograd.gradgradcheck(square, [r([3])]), /gradcheck: Jacobian mismatch/);
  assert.equal(st.autograd.gradgradcheck((x) => x.pow(3), [r([3])], [r([3])]), true);
  assert.throws(() => st.autograd.gradgradcheck((x) => x.exp(), [r([2]).detach()]), /gradgradcheck: no input has requiresGrad/);
});
