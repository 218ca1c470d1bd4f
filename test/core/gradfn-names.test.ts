/**
 * gradFn names against PyTorch: each call must produce a single autograd node named as torch 1.13's
 * grad_fn class (the expected names were taken from torch 1.13.1, `type(y.grad_fn).__name__`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

const x = () => st.randn([3, 4], { dtype: 'float64' }).requiresGrad_();
const plain = () => st.randn([3, 4], { dtype: 'float64' });
const first = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r[0] : r);

const CASES: [call: string, fn: () => Tensor | Tensor[], torchName: string][] = [
  ['x.log2()', () => x().log2(), 'Log2Backward0'],
  ['x.log10()', () => x().log10(), 'Log10Backward0'],
  ['x.clamp(-1, 1)', () => x().clamp(-1, 1), 'ClampBackward1'],
  ['x.clamp(0)', () => x().clamp(0), 'ClampBackward1'],
  ['x.clamp(null, 0)', () => x().clamp(null, 0), 'ClampBackward1'],
  ['x.clamp(t, t + 1)', () => { const t = plain(); return x().clamp(t, t.add(1)); }, 'ClampBackward0'],
  ['st.pow(2, x)', () => st.pow(2, x()), 'PowBackward2'],
  ['x.pow(2)', () => x().pow(2), 'PowBackward0'],
  ['x.pow(t)', () => x().pow(plain()), 'PowBackward1'],
  ['st.rsub(x, 1)', () => st.rsub(x(), 1), 'RsubBackward1'],
  ['st.rsub(x, t)', () => st.rsub(x(), plain()), 'RsubBackward0'],
  ['x.max()', () => x().max(), 'MaxBackward1'],
  ['x.min()', () => x().min(), 'MinBackward1'],
  ['x.amax(1)', () => x().amax(1), 'AmaxBackward0'],
  ['x.max(1) values', () => x().max(1)[0], 'MaxBackward0'],
  ['x.min(1) values', () => x().min(1)[0], 'MinBackward0'],
  ['x.max(1, true) values', () => x().max(1, true)[0], 'MaxBackward0'],
  ['x.var()', () => x().var(), 'VarBackward0'],
  ['x.var(1)', () => x().var(1), 'VarBackward0'],
  ['x.std()', () => x().std(), 'StdBackward0'],
  ['x.std(1, {unbiased: false})', () => x().std(1, { unbiased: false }), 'StdBackward0'],
  ['x.logsumexp(1)', () => x().logsumexp(1), 'LogsumexpBackward0'],
  ['x.prod()', () => x().prod(), 'ProdBackward0'],
  ['x.prod(1)', () => x().prod(1), 'ProdBackward1'],
  ['x.select(0, 1)', () => x().select(0, 1), 'SelectBackward0'],
  ['x.select(1, -1)', () => x().select(1, -1), 'SelectBackward0'],
  ['x.unbind()', () => x().unbind(), 'UnbindBackward0'],
  ['x.split(2)', () => x().split(2), 'SplitBackward0'],
  ['x.split([1, 3], 1)', () => x().split([1, 3], 1), 'SplitWithSizesBackward0'],
  ['x.chunk(2)', () => x().chunk(2), 'SplitBackward0'],
  ['x.narrow(0, 0, 2)', () => x().narrow(0, 0, 2), 'SliceBackward0'],
  ['st.stack([x, x])', () => { const a = x(); return st.stack([a, a]); }, 'StackBackward0'],
  ['st.cat([x, x])', () => { const a = x(); return st.cat([a, a]); }, 'CatBackward0'],
  ['x.repeat(2, 1)', () => x().repeat(2, 1), 'RepeatBackward0'],
  ['x.repeat(1, 1)', () => x().repeat(1, 1), 'RepeatBackward0'],
  ['x.squeeze() (nothing to squeeze)', () => x().squeeze(), 'SqueezeBackward0'],
  ['x.squeeze(0) (nothing to squeeze)', () => x().squeeze(0), 'SqueezeBackward1'],
  ['x.view(1, 3, 4).squeeze(0)', () => x().view(1, 3, 4).squeeze(0), 'SqueezeBackward1'],
  ['x.unsqueeze(0)', () => x().unsqueeze(0), 'UnsqueezeBackward0'],
  ['x.t()', () => x().t(), 'TBackward0'],
  ['x.select(0, 0).t()', () => x().select(0, 0).t(), 'TBackward0'],
  ['x.transpose(0, 1)', () => x().transpose(0, 1), 'TransposeBackward0'],
  ['x.permute(1, 0)', () => x().permute(1, 0), 'PermuteBackward0'],
  ['x.view(12)', () => x().view(12), 'ViewBackward0'],
  ['x.reshape(12)', () => x().reshape(12), 'ReshapeAliasBackward0'],
  ['x.reshape(3, 4)', () => x().reshape(3, 4), 'ReshapeAliasBackward0'],
  ['x.t().reshape(12)', () => x().t().reshape(12), 'UnsafeViewBackward0'],
  ['x.flatten()', () => x().flatten(), 'ReshapeAliasBackward0'],
  ['x.unflatten(1, [2, 2])', () => x().unflatten(1, [2, 2]), 'ViewBackward0'],
  ['x.expand(3, 4)', () => x().expand(3, 4), 'ExpandBackward0'],
  ['x.square()', () => x().square(), 'PowBackward0'],
  ['x.log1p()', () => x().abs().log1p(), 'Log1PBackward0'],
  ['x.expm1()', () => x().expm1(), 'Expm1Backward0'],
  ['F.mseLoss(x, t)', () => st.nn.functional.mseLoss(x(), plain()), 'MseLossBackward0'],
  ['F.mseLoss(x, t, sum)', () => st.nn.functional.mseLoss(x(), plain(), { reduction: 'sum' }), 'MseLossBackward0'],
  ['F.l1Loss(x, t)', () => st.nn.functional.l1Loss(x(), plain()), 'MeanBackward0'],
  ['F.binaryCrossEntropy(p, q)', () => st.nn.functional.binaryCrossEntropy(x().sigmoid(), plain().sigmoid()), 'BinaryCrossEntropyBackward0'],
  ['F.binaryCrossEntropyWithLogits(x, q)', () => st.nn.functional.binaryCrossEntropyWithLogits(x(), plain().sigmoid()), 'BinaryCrossEntropyWithLogitsBackward0'],
  ['F.crossEntropy(x, labels)', () => st.nn.functional.crossEntropy(x(), st.tensor([0, 1, 2], { dtype: 'int32' })), 'NllLossBackward0'],
  ['F.nllLoss(x, labels)', () => st.nn.functional.nllLoss(x(), st.tensor([0, 1, 2], { dtype: 'int32' })), 'NllLossBackward0'],
  ['F.embedding(labels, x)', () => st.nn.functional.embedding(st.tensor([0, 2], { dtype: 'int32' }), x()), 'EmbeddingBackward0'],
  ['F.embedding(labels, x, paddingIdx)', () => st.nn.functional.embedding(st.tensor([0, 2], { dtype: 'int32' }), x(), { paddingIdx: 0 }), 'EmbeddingBackward0'],
  ['F.conv1d(x [1, 3, 4], w)', () => st.nn.functional.conv1d(x().view(1, 3, 4), plain().view(1, 3, 4).narrow(2, 0, 2)), 'ConvolutionBackward0'],
  ['F.conv2d(x, w)', () => st.nn.functional.conv2d(x().view(1, 1, 3, 4), plain().narrow(0, 0, 2).narrow(1, 0, 2).reshape(1, 1, 2, 2)), 'ConvolutionBackward0'],
  ['F.conv2d(x unbatched, w)', () => st.nn.functional.conv2d(x().view(1, 3, 4), plain().narrow(0, 0, 2).narrow(1, 0, 2).reshape(1, 1, 2, 2)), 'ConvolutionBackward0'],
  ['x.select(0, 0).dot(v)', () => x().select(0, 0).dot(plain().select(0, 0)), 'DotBackward0'],
  ['x.matmul(v)', () => x().matmul(plain().select(0, 0)), 'MvBackward0'],
  ['x.matmul(W)', () => x().matmul(plain().t()), 'MmBackward0'],
  ['x [1, 3, 4].matmul(W [1, 4, 3])', () => x().view(1, 3, 4).matmul(plain().t().reshape(1, 4, 3)), 'UnsafeViewBackward0'],
  ['x [1, 3, 4].matmul(W)', () => x().view(1, 3, 4).matmul(plain().t()), 'UnsafeViewBackward0'],
  ['x [1, 3, 4].bmm(W [1, 4, 3])', () => x().view(1, 3, 4).bmm(plain().t().reshape(1, 4, 3)), 'BmmBackward0'],
  ['F.linear(x, W, b)', () => st.nn.functional.linear(x(), plain(), plain().select(1, 0)), 'AddmmBackward0'],
  ['F.linear(x, W)', () => st.nn.functional.linear(x(), plain()), 'MmBackward0'],
  ['F.linear(x [1, 3, 4], W, b)', () => st.nn.functional.linear(x().view(1, 3, 4), plain(), plain().select(1, 0)), 'ViewBackward0'],
  ['F.linear(x [1, 3, 4], W)', () => st.nn.functional.linear(x().view(1, 3, 4), plain()), 'UnsafeViewBackward0'],
  ['F.selu(x)', () => st.nn.functional.selu(x()), 'EluBackward0'],
  ['F.prelu(x, w)', () => st.nn.functional.prelu(x(), st.tensor([0.25], { dtype: 'float64' })), 'PreluBackward0'],
  ['F.logsigmoid(x)', () => st.nn.functional.logsigmoid(x()), 'LogSigmoidBackward0'],
  ['F.smoothL1Loss(x, t)', () => st.nn.functional.smoothL1Loss(x(), plain()), 'SmoothL1LossBackward0'],
  ['F.huberLoss(x, t)', () => st.nn.functional.huberLoss(x(), plain()), 'HuberLossBackward0'],
  ['F.interpolate(x4, nearest ×2)', () => st.nn.functional.interpolate(x().view(1, 1, 3, 4), { scaleFactor: 2 }), 'UpsampleNearest2DBackward1'],
  ['F.interpolate(x4, bilinear ×2)', () => st.nn.functional.interpolate(x().view(1, 1, 3, 4), { scaleFactor: 2, mode: 'bilinear' }), 'UpsampleBilinear2DBackward1'],
  ['F.interpolate(x3, linear ×2)', () => st.nn.functional.interpolate(x().view(1, 3, 4), { scaleFactor: 2, mode: 'linear' }), 'UpsampleLinear1DBackward1'],
  ['F.maxPool2d(x [1, 3, 4], 2) (unbatched)', () => st.nn.functional.maxPool2d(x().view(1, 3, 4), 2), 'MaxPool2DWithIndicesBackward0'],
  ['F.maxPool2d(x [1, 1, 3, 4], 2)', () => st.nn.functional.maxPool2d(x().view(1, 1, 3, 4), 2), 'MaxPool2DWithIndicesBackward0'],
  ['F.maxPool1d(x [1, 3, 4], 2)', () => st.nn.functional.maxPool1d(x().view(1, 3, 4), 2), 'SqueezeBackward1'],
  ['F.adaptiveAvgPool2d(x [1, 1, 3, 4], 1)', () => st.nn.functional.adaptiveAvgPool2d(x().view(1, 1, 3, 4), 1), 'MeanBackward1'],
  ['F.pad(x4, [1, 1, 1, 1], reflect)', () => st.nn.functional.pad(x().view(1, 1, 3, 4), [1, 1, 1, 1], { mode: 'reflect' }), 'ReflectionPad2DBackward0'],
  ['F.pad(x3, [1, 1], replicate)', () => st.nn.functional.pad(x().view(1, 3, 4), [1, 1], { mode: 'replicate' }), 'ReplicationPad1DBackward0'],
  ['F.pad(x, [1, 1])', () => st.nn.functional.pad(x(), [1, 1]), 'ConstantPadNdBackward0'],
  ['F.unfold(x4, 2)', () => st.nn.functional.unfold(x().view(1, 1, 3, 4), 2), 'Im2ColBackward0'],
  ['F.pdist(x)', () => st.nn.functional.pdist(x()), 'PdistBackward0'],
  ['F.pixelShuffle(x [1, 4, 1, 3], 2)', () => st.nn.functional.pixelShuffle(x().view(1, 4, 1, 3), 2), 'PixelShuffleBackward0'],
  ['F.pixelUnshuffle(x [1, 1, 2, 6], 2)', () => st.nn.functional.pixelUnshuffle(x().view(1, 1, 2, 6), 2), 'PixelUnshuffleBackward0'],
];

test('gradFn names match PyTorch 1.13', () => {
  const wrong: string[] = [];
  for (const [call, fn, torchName] of CASES) {
    const name = first(fn()).gradFn?.name;
    if (name !== torchName) wrong.push(`${call}: ${name} (torch: ${torchName})`);
  }
  assert.deepEqual(wrong, []);
});
