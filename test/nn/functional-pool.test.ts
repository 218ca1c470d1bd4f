/** F pooling: gradchecks over kernel/stride/padding/dilation/ceilMode/countIncludePad/adaptive sizes, output sizes, indices, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { check, leaf, positive } from './functional-helpers.js';

const maxCases: [string, number[], number | number[], F.MaxPoolOptions][] = [
  ['2 stride 2', [1, 2, 4, 4], 2, {}],
  ['3 stride 2 padding 1 ceilMode', [1, 1, 6, 5], 3, { stride: 2, padding: 1, ceilMode: true }],
  ['3 stride 1 padding 1 (overlapping)', [1, 2, 4, 3], 3, { stride: 1, padding: 1 }],
  ['3 stride 2 padding 1 dilation 2', [1, 1, 7, 6], 3, { stride: 2, padding: 1, dilation: 2 }],
  ['[3, 2] stride [2, 1] ceilMode odd sizes', [2, 1, 5, 5], [3, 2], { stride: [2, 1], ceilMode: true }],
  ['returnIndices (gradient of the values)', [1, 2, 5, 4], 2, { stride: 2, ceilMode: true, returnIndices: true }],
  ['unbatched', [2, 5, 5], 2, { stride: 2, padding: 1 }],
];

test('maxPool2d gradients pass gradcheck', () => {
  maxCases.forEach(([name, shape, k, opts], i) => {
    check(`maxPool2d ${name}`, (x) => {
      const out = F.maxPool2d(x, k, opts);
      return Array.isArray(out) ? out[0] : out;
    }, [leaf(shape, i)]);
  });
  check('maxPool1d 3 stride 2 padding 1 ceilMode', (x) => F.maxPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [leaf([2, 2, 8], 0.3)]);
});

const avgCases: [string, number[], number | number[], F.AvgPoolOptions][] = [
  ['2 stride 2', [1, 2, 4, 4], 2, {}],
  ['3 stride 2 padding 1 ceilMode countIncludePad', [1, 1, 6, 5], 3, { stride: 2, padding: 1, ceilMode: true }],
  ['3 stride 2 padding 1 ceilMode excluding padding', [1, 1, 6, 5], 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  ['[2, 3] stride [1, 2] padding [1, 1] divisorOverride 4', [2, 1, 4, 5], [2, 3], { stride: [1, 2], padding: [1, 1], divisorOverride: 4 }],
  ['3 stride 3 ceilMode odd sizes', [1, 2, 5, 7], 3, { ceilMode: true }],
  ['unbatched', [2, 4, 5], 2, { stride: 1 }],
];

test('avgPool2d gradients pass gradcheck', () => {
  avgCases.forEach(([name, shape, k, opts], i) => check(`avgPool2d ${name}`, (x) => F.avgPool2d(x, k, opts), [leaf(shape, i)]));
  check('avgPool1d 3 stride 2 padding 1 excluding padding', (x) => F.avgPool1d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [leaf([1, 2, 8], 0.4)]);
});

test('lpPool2d / lpPool1d gradients pass gradcheck', () => {
  check('lpPool2d p=2 kernel 2', (x) => F.lpPool2d(x, 2, 2), [leaf([1, 2, 4, 4], 0.1)]);
  check('lpPool2d p=3 kernel [3, 2] stride [2, 1] ceilMode', (x) => F.lpPool2d(x, 3, [3, 2], { stride: [2, 1], ceilMode: true }), [positive([1, 1, 5, 5], 0.2).requiresGrad_()]);
  check('lpPool1d p=1.5 kernel 3 stride 2', (x) => F.lpPool1d(x, 1.5, 3, { stride: 2 }), [positive([2, 1, 7], 0.3).requiresGrad_()]);
});

const adaptiveCases: [string, number[], F.AdaptiveSize][] = [
  ['7x5 → 3x2 (windows overlap)', [1, 2, 7, 5], [3, 2]],
  ['6x5 → [4, null]', [2, 1, 6, 5], [4, null]],
  ['3x4 → 5x7 (larger than the input)', [1, 1, 3, 4], [5, 7]],
  ['→ 1 (global)', [2, 2, 3, 4], 1],
  ['8x6 → 4x3 (equal windows: the pooling kernels)', [1, 2, 8, 6], [4, 3]],
  ['unbatched 5x5 → 2', [2, 5, 5], 2],
];

test('adaptiveAvgPool2d / adaptiveMaxPool2d gradients pass gradcheck', () => {
  adaptiveCases.forEach(([name, shape, size], i) => {
    check(`adaptiveAvgPool2d ${name}`, (x) => F.adaptiveAvgPool2d(x, size), [leaf(shape, i)]);
    check(`adaptiveMaxPool2d ${name}`, (x) => F.adaptiveMaxPool2d(x, size), [leaf(shape, i + 0.5)]);
  });
  check('adaptiveAvgPool1d 7 → 3', (x) => F.adaptiveAvgPool1d(x, 3), [leaf([2, 2, 7], 0.1)]);
  check('adaptiveMaxPool1d 9 → 4', (x) => F.adaptiveMaxPool1d(x, 4, { returnIndices: true })[0], [leaf([1, 2, 9], 0.2)]);
});

test('adaptive pooling with equal windows gives what the general windows give (values, ties, NaN, long rows)', () => {
  // Equal windows run on the pooling kernels: compare with explicit pooling and with means.
  const x = st.randn([2, 3, 36, 40]);
  const pooled = F.adaptiveAvgPool2d(x, [3, 5]);
  const direct = F.avgPool2d(x, [12, 8]);
  assert.ok(pooled.sub(direct).abs().max().item() < 1e-6);
  const global = F.adaptiveAvgPool2d(x, 1);
  assert.ok(global.sub(x.mean([2, 3], true)).abs().max().item() < 1e-6);
  const ties = st.tensor([[[[1, 3, 3, 0], [3, 2, 0, NaN]]]]);
  const [out, idx] = F.adaptiveMaxPool2d(ties, [1, 2], { returnIndices: true });
  assert.deepEqual(idx.toArray(), [[[[1, 7]]]]);
  assert.equal((out.toArray() as number[][][][])[0][0][0][0], 3);
  assert.ok(Number.isNaN((out.toArray() as number[][][][])[0][0][0][1]));
});

test('output sizes follow PyTorch (ceilMode drops a last window that starts in the right padding)', () => {
  const out = (shape: number[], k: number, o: F.MaxPoolOptions) => (F.maxPool2d(st.zeros(shape), k, o) as st.Tensor).shape;
  assert.deepEqual(out([1, 1, 6, 7], 3, { stride: 2, padding: 1, ceilMode: true }), [1, 1, 4, 4]);
  assert.deepEqual(out([1, 1, 6, 7], 3, { stride: 2, padding: 1 }), [1, 1, 3, 4]);
  // Sizes checked against torch 1.13 (kernel 2, stride s, padding 1, ceilMode).
  assert.deepEqual(out([1, 1, 7, 7], 2, { stride: 3, padding: 1, ceilMode: true }), [1, 1, 3, 3]);
  assert.deepEqual(out([1, 1, 5, 5], 2, { stride: 2, padding: 1, ceilMode: true }), [1, 1, 3, 3]);
  assert.deepEqual(out([1, 1, 4, 4], 2, { stride: 2, padding: 1, ceilMode: true }), [1, 1, 3, 3]);
  // in 3: ⌈(3 + 2 − 2)/2⌉ + 1 = 3 windows, but the third would start at 2·2 − 1 = 3, in the right padding: dropped.
  assert.deepEqual(out([1, 1, 3, 3], 2, { stride: 2, padding: 1, ceilMode: true }), [1, 1, 2, 2]);
  assert.deepEqual(F.avgPool2d(st.zeros([2, 3, 9, 8]), [3, 2], { stride: [2, 3], ceilMode: true }).shape, [2, 3, 4, 3]);
  assert.deepEqual(F.adaptiveAvgPool2d(st.zeros([2, 3, 9, 8]), [4, null]).shape, [2, 3, 4, 8]);
  assert.deepEqual(F.maxPool1d(st.zeros([3, 10]), 3).shape, [3, 3]);
});

test('maxPool2d returnIndices gives int32 flat h·W + w positions within each plane', () => {
  const x = st.tensor([[[[1, 5, 2], [7, 0, 3], [4, 8, 6]]]]);
  const [out, idx] = F.maxPool2d(x, 2, { stride: 1, returnIndices: true });
  assert.deepEqual(out.toArray(), [[[[7, 5], [8, 8]]]]);
  assert.equal(idx.dtype, 'int32');
  assert.deepEqual(idx.toArray(), [[[[3, 1], [7, 7]]]]);
  const [aOut, aIdx] = F.adaptiveMaxPool2d(x, [1, 2], { returnIndices: true });
  assert.deepEqual(aOut.toArray(), [[[[8, 8]]]]);
  assert.deepEqual(aIdx.toArray(), [[[[7, 7]]]]);
  // a shared winner collects the gradient of every window it wins
  const xs = x.clone().requiresGrad_();
  (F.maxPool2d(xs, 2, { stride: 1 }) as st.Tensor).sum().backward();
  assert.deepEqual(xs.grad!.toArray(), [[[[0, 1, 0], [1, 0, 0], [0, 2, 0]]]]);
});

test('avgPool2d countIncludePad and divisorOverride divide as PyTorch', () => {
  const x = st.ones([1, 1, 2, 2]);
  assert.deepEqual(F.avgPool2d(x, 2, { stride: 1, padding: 1 }).toArray(), [[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]);
  assert.deepEqual(F.avgPool2d(x, 2, { stride: 1, padding: 1, countIncludePad: false }).toArray(), [[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]]);
  assert.deepEqual(F.avgPool2d(x, 2, { divisorOverride: 2 }).toArray(), [[[[2]]]]);
});

const errorCases: [string, () => unknown, RegExp][] = [
  ['padding larger than half the kernel', () => F.maxPool2d(st.zeros([1, 1, 5, 5]), 3, { padding: 2 }),
    /maxPool2d: padding should be at most half of the kernel size, got padding \[2, 2\] for kernel size \[3, 3\]/],
  ['output too small', () => F.maxPool2d(st.zeros([1, 1, 2, 2]), 3), /maxPool2d: input of shape \[1, 1, 2, 2\] is too small for kernel size \[3, 3\].*calculated output size \[0, 0\]/],
  ['rank', () => F.avgPool2d(st.zeros([4, 4]), 2), /avgPool2d: expected a 3-D or 4-D input .*got input of shape \[4, 4\]/],
  ['zero kernel', () => F.avgPool2d(st.zeros([1, 4, 4]), 0), /avgPool2d: kernelSize must be positive integers, got \[0, 0\]/],
  ['divisorOverride 0', () => F.avgPool2d(st.zeros([1, 4, 4]), 2, { divisorOverride: 0 }), /divisorOverride must be a non-zero number/],
  ['adaptive size list length', () => F.adaptiveAvgPool2d(st.zeros([1, 4, 4]), [1, 2, 3]), /adaptiveAvgPool2d: outputSize must be a number or a list of 2 sizes/],
  ['adaptive size -1', () => F.adaptiveMaxPool2d(st.zeros([1, 4, 4]), -1), /outputSize must hold non-negative integers/],
  ['integer input', () => F.maxPool2d(st.zeros([1, 4, 4], { dtype: 'int32' }), 2), /maxPool2d: input must be a floating-point tensor/],
];

test('invalid pooling arguments raise descriptive errors', () => {
  for (const [name, fn, message] of errorCases) assert.throws(fn, message, name);
});
