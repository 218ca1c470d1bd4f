/** F.conv1d/conv2d/convTranspose1d/convTranspose2d: float64 gradchecks over geometry combinations, shapes, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { check, det, leaf } from './functional-helpers.js';

type Opts = F.ConvOptions;

// name, input shape, weight shape, bias, options
const conv2dCases: [string, number[], number[], boolean, Opts][] = [
  ['3x3 p1 bias', [2, 2, 4, 5], [3, 2, 3, 3], true, { padding: 1 }],
  ['stride 2 padding [1, 0]', [1, 2, 5, 6], [2, 2, 3, 2], true, { stride: 2, padding: [1, 0] }],
  ['stride [1, 2] dilation 2', [1, 1, 6, 7], [2, 1, 2, 3], false, { stride: [1, 2], dilation: 2 }],
  ['dilation [2, 1] padding 2', [1, 2, 4, 4], [2, 2, 3, 3], true, { dilation: [2, 1], padding: 2 }],
  ['groups 2', [1, 4, 4, 4], [4, 2, 3, 3], true, { groups: 2, padding: 1 }],
  ['depthwise (groups = channels)', [2, 3, 4, 4], [3, 1, 3, 3], true, { groups: 3 }],
  ['depthwise multiplier 2 stride 2', [1, 2, 5, 5], [4, 1, 3, 3], false, { groups: 2, stride: 2, padding: 1 }],
  ["padding 'same' odd kernel", [1, 2, 4, 5], [2, 2, 3, 3], true, { padding: 'same' }],
  ["padding 'same' even kernel (asymmetric)", [1, 2, 4, 3], [2, 2, 2, 4], false, { padding: 'same' }],
  ["padding 'same' dilation 2", [1, 1, 5, 4], [2, 1, 2, 2], true, { padding: 'same', dilation: 2 }],
  ["padding 'valid' 1x1", [2, 3, 3, 2], [2, 3, 1, 1], true, { padding: 'valid' }],
  ['1x1 stride 2 padding 1', [1, 2, 3, 4], [3, 2, 1, 1], true, { stride: 2, padding: 1 }],
  ['kernel = input', [2, 1, 3, 3], [2, 1, 3, 3], true, {}],
  ['unbatched CHW', [2, 4, 4], [3, 2, 3, 3], true, { stride: 2, padding: 1 }],
];

test('conv2d gradients (input, weight, bias) pass gradcheck', () => {
  conv2dCases.forEach(([name, xs, ws, bias, opts], i) => {
    const inputs = [leaf(xs, i), leaf(ws, i + 0.5), ...(bias ? [leaf([ws[0]], i + 0.7)] : [])];
    check(`conv2d ${name}`, (x, w, b) => F.conv2d(x, w, b ?? null, opts), inputs);
  });
});

const conv1dCases: [string, number[], number[], boolean, Opts][] = [
  ['k3 stride 2 padding 1', [2, 2, 7], [3, 2, 3], true, { stride: 2, padding: 1 }],
  ["'same' even kernel groups 2", [1, 4, 6], [2, 2, 4], false, { padding: 'same', groups: 2 }],
  ['dilation 2 unbatched', [2, 7], [2, 2, 3], true, { dilation: 2 }],
];

test('conv1d gradients pass gradcheck', () => {
  conv1dCases.forEach(([name, xs, ws, bias, opts], i) => {
    const inputs = [leaf(xs, i), leaf(ws, i + 0.5), ...(bias ? [leaf([ws[0]], i + 0.7)] : [])];
    check(`conv1d ${name}`, (x, w, b) => F.conv1d(x, w, b ?? null, opts), inputs);
  });
});

const transposeCases: [string, number[], number[], boolean, F.ConvTransposeOptions][] = [
  ['stride 2 padding 1 outputPadding 1', [1, 2, 3, 3], [2, 3, 3, 3], true, { stride: 2, padding: 1, outputPadding: 1 }],
  ['groups 2 dilation 2', [1, 4, 2, 3], [4, 1, 2, 2], true, { groups: 2, dilation: 2 }],
  ['kernel [2, 3] stride [2, 3] padding [0, 1] outputPadding [1, 2]', [2, 1, 2, 2], [1, 2, 2, 3], false, { stride: [2, 3], padding: [0, 1], outputPadding: [1, 2] }],
  ['1x1 dilation 2 outputPadding 1', [1, 2, 2, 3], [2, 2, 1, 1], true, { dilation: 2, outputPadding: 1 }],
  ['depthwise stride 2', [1, 3, 2, 2], [3, 1, 3, 3], true, { stride: 2, groups: 3 }],
  ['unbatched', [2, 2, 3], [2, 1, 2, 2], true, { stride: 2 }],
];

test('convTranspose2d gradients pass gradcheck', () => {
  transposeCases.forEach(([name, xs, ws, bias, opts], i) => {
    const groups = opts.groups ?? 1;
    const inputs = [leaf(xs, i), leaf(ws, i + 0.5), ...(bias ? [leaf([ws[1] * groups], i + 0.7)] : [])];
    check(`convTranspose2d ${name}`, (x, w, b) => F.convTranspose2d(x, w, b ?? null, opts), inputs);
  });
});

test('convTranspose1d gradients pass gradcheck', () => {
  check('convTranspose1d stride 2 outputPadding 1', (x, w, b) => F.convTranspose1d(x, w, b, { stride: 2, outputPadding: 1 }), [
    leaf([2, 2, 4], 0.1), leaf([2, 3, 3], 0.2), leaf([3], 0.3),
  ]);
});

test('convTranspose2d is the adjoint of conv2d: <conv(x), y> = <x, convT(y)>', () => {
  const x = det([2, 4, 7, 6], 0.3);
  const w = det([6, 2, 3, 2], 0.9);
  const opts = { stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 };
  const y = F.conv2d(x, w, null, opts);
  const g = det(y.shape as number[], 1.7);
  const back = F.convTranspose2d(g, w, null, { ...opts, outputPadding: [0, 0] });
  assert.deepEqual(back.shape, x.shape);
  const lhs = y.mul(g).sum().item();
  const rhs = x.mul(back).sum().item();
  assert.ok(Math.abs(lhs - rhs) < 1e-9 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
});

test('output shapes follow PyTorch', () => {
  const shape = (t: st.Tensor) => t.shape;
  assert.deepEqual(shape(F.conv2d(st.zeros([1, 3, 28, 28]), st.zeros([6, 3, 5, 5]))), [1, 6, 24, 24]);
  assert.deepEqual(shape(F.conv2d(st.zeros([1, 3, 7, 8]), st.zeros([6, 3, 4, 2]), null, { padding: 'same' })), [1, 6, 7, 8]);
  assert.deepEqual(shape(F.conv2d(st.zeros([3, 9, 9]), st.zeros([2, 3, 3, 3]), null, { stride: 2 })), [2, 4, 4]);
  assert.deepEqual(shape(F.conv1d(st.zeros([2, 3, 10]), st.zeros([4, 3, 3]), null, { stride: 3 })), [2, 4, 3]);
  assert.deepEqual(shape(F.convTranspose2d(st.zeros([1, 4, 5, 5]), st.zeros([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 })), [1, 2, 10, 10]);
  assert.deepEqual(shape(F.convTranspose1d(st.zeros([4, 5]), st.zeros([4, 2, 3]), null, { stride: 2 })), [2, 11]);
  // float32 stays float32
  assert.equal(F.conv2d(st.zeros([1, 1, 3, 3]), st.zeros([1, 1, 3, 3])).dtype, 'float32');
});

test('bias reaches every output pixel; no grad is recorded without requiresGrad', () => {
  const y = F.conv2d(st.zeros([1, 2, 3, 3]), st.zeros([2, 2, 1, 1]), st.tensor([1.5, -2]));
  assert.deepEqual(Array.from(y.data()), [...Array(9).fill(1.5), ...Array(9).fill(-2)]);
  assert.equal(y.requiresGrad, false);
  const t = F.convTranspose2d(st.zeros([1, 1, 2, 2]), st.zeros([1, 2, 1, 1]), st.tensor([3, 4]), { dilation: 2, outputPadding: 1 });
  assert.deepEqual(t.shape, [1, 2, 3, 3]);
  assert.deepEqual(Array.from(t.data()), [...Array(9).fill(3), ...Array(9).fill(4)]);
});

const errorCases: [string, () => unknown, RegExp | string][] = [
  ['channel mismatch', () => F.conv2d(st.zeros([8, 1, 28, 28]), st.zeros([16, 3, 5, 5])),
    'conv2d: expected input with 3 channels (weight [16, 3, 5, 5], groups 1), got input of shape [8, 1, 28, 28]'],
  ['channel mismatch with groups', () => F.conv2d(st.zeros([1, 4, 5, 5]), st.zeros([4, 1, 3, 3]), null, { groups: 2 }),
    'conv2d: expected input with 2 channels (weight [4, 1, 3, 3], groups 2), got input of shape [1, 4, 5, 5]'],
  ['out channels not divisible by groups', () => F.conv2d(st.zeros([1, 4, 5, 5]), st.zeros([3, 2, 3, 3]), null, { groups: 2 }), /3 output channels must be divisible by groups 2/],
  ['weight rank', () => F.conv2d(st.zeros([1, 3, 5, 5]), st.zeros([3, 3, 3])), /conv2d: expected a 4-D weight .*got weight of shape \[3, 3, 3\]/],
  ['input rank', () => F.conv2d(st.zeros([3, 5]), st.zeros([3, 3, 3, 3])), /conv2d: expected a 4-D input .*got input of shape \[3, 5\]/],
  ['bias shape', () => F.conv2d(st.zeros([1, 3, 5, 5]), st.zeros([4, 3, 3, 3]), st.zeros([3])), /conv2d: expected bias of shape \[4\].*got bias of shape \[3\]/],
  ['kernel larger than padded input', () => F.conv2d(st.zeros([1, 1, 2, 2]), st.zeros([1, 1, 3, 3])), /padded input size \[2, 2\].*smaller than the dilated kernel size \[3, 3\]/],
  ["strided 'same'", () => F.conv2d(st.zeros([1, 1, 5, 5]), st.zeros([1, 1, 3, 3]), null, { padding: 'same', stride: 2 }), /padding 'same' is not supported for strided convolutions/],
  ['negative padding', () => F.conv2d(st.zeros([1, 1, 5, 5]), st.zeros([1, 1, 3, 3]), null, { padding: -1 }), /padding must be non-negative integers/],
  ['dtype mismatch', () => F.conv2d(st.zeros([1, 1, 5, 5]), st.zeros([1, 1, 3, 3], { dtype: 'float64' })), /same dtype, got float32 and float64/],
  ['integer input', () => F.conv2d(st.zeros([1, 1, 5, 5], { dtype: 'int32' }), st.zeros([1, 1, 3, 3])), /conv2d: input must be a floating-point tensor/],
  ['convTranspose outputPadding too large', () => F.convTranspose2d(st.zeros([1, 1, 3, 3]), st.zeros([1, 1, 3, 3]), null, { stride: 2, outputPadding: 2 }),
    /outputPadding must be smaller than either stride or dilation/],
  ['convTranspose channels', () => F.convTranspose2d(st.zeros([1, 3, 3, 3]), st.zeros([2, 1, 3, 3])),
    'convTranspose2d: expected input with 2 channels (weight [2, 1, 3, 3], groups 1), got input of shape [1, 3, 3, 3]'],
  ['conv1d channels', () => F.conv1d(st.zeros([2, 5, 9]), st.zeros([4, 3, 3])), 'conv1d: expected input with 3 channels (weight [4, 3, 3], groups 1), got input of shape [2, 5, 9]'],
];

test('invalid arguments raise errors naming the op, the expectation and what was given', () => {
  for (const [name, fn, message] of errorCases) {
    assert.throws(fn, typeof message === 'string' ? { message } : message, name);
  }
});
