/** F.interpolate: gradchecks over modes, sizes, scale factors and alignCorners; coordinate conventions; errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, check, det, leaf } from './functional-helpers.js';

const cases: [string, number[], F.InterpolateOptions][] = [
  ['nearest size [5, 7]', [1, 2, 3, 4], { size: [5, 7] }],
  ['nearest scaleFactor 2', [1, 1, 3, 3], { scaleFactor: 2 }],
  ['nearest downsample [2, 3]', [1, 1, 5, 5], { size: [2, 3] }],
  ['nearest-exact scaleFactor [1.5, 0.7]', [1, 1, 4, 5], { scaleFactor: [1.5, 0.7], mode: 'nearest-exact' }],
  ['bilinear size [5, 6]', [1, 2, 3, 4], { size: [5, 6], mode: 'bilinear' }],
  ['bilinear alignCorners', [1, 1, 3, 4], { size: [5, 6], mode: 'bilinear', alignCorners: true }],
  ['bilinear scaleFactor 1.7', [2, 1, 3, 3], { scaleFactor: 1.7, mode: 'bilinear' }],
  ['bilinear downsample [2, 3]', [1, 1, 5, 6], { size: [2, 3], mode: 'bilinear' }],
  ['bilinear downsample alignCorners', [1, 1, 5, 4], { size: [3, 2], mode: 'bilinear', alignCorners: true }],
  ['bicubic size [5, 5]', [1, 1, 3, 4], { size: [5, 5], mode: 'bicubic' }],
  ['bicubic alignCorners', [1, 1, 3, 3], { size: [4, 5], mode: 'bicubic', alignCorners: true }],
  ['bicubic downsample', [1, 1, 6, 5], { size: [3, 2], mode: 'bicubic' }],
  ['linear 1-D', [2, 2, 4], { size: 7, mode: 'linear' }],
  ['linear 1-D alignCorners scaleFactor 0.75', [1, 2, 8], { scaleFactor: 0.75, mode: 'linear', alignCorners: true }],
  ['nearest 1-D', [1, 2, 3], { scaleFactor: 2.5 }],
  ['area [2, 3]', [1, 2, 5, 7], { size: [2, 3], mode: 'area' }],
];

test('interpolate gradients pass gradcheck for every mode', () => {
  cases.forEach(([name, shape, opts], i) => check(`interpolate ${name}`, (x) => F.interpolate(x, opts), [leaf(shape, i)]));
});

test('coordinate conventions: nearest floor(dst·in/out), bilinear half-pixel centres or aligned corners', () => {
  const x = st.tensor([[[0, 1, 2, 3]]], { dtype: 'float64' });
  // nearest: source ⌊o·4/6⌋ = 0 0 1 2 2 3
  assert.deepEqual(Array.from(F.interpolate(x, { size: 6 }).data()), [0, 0, 1, 2, 2, 3]);
  // nearest-exact: ⌊(o + 0.5)·4/6⌋ = 0 1 1 2 3 3
  assert.deepEqual(Array.from(F.interpolate(x, { size: 6, mode: 'nearest-exact' }).data()), [0, 1, 1, 2, 3, 3]);
  // linear, half-pixel: src = (o + 0.5)·0.5 − 0.5 clamped at 0 → 0, 0.25, 0.75, ..., 3 (clamped index)
  assertClose(F.interpolate(x, { size: 8, mode: 'linear' }), [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], 'linear');
  // alignCorners: src = o·3/6
  assertClose(F.interpolate(x, { size: 7, mode: 'linear', alignCorners: true }), [0, 0.5, 1, 1.5, 2, 2.5, 3], 'linear alignCorners');
  // scaleFactor given: the coordinates use 1/scale (PyTorch), not in/out: 4·1.3 = 5 outputs at (o + 0.5)/1.3 − 0.5
  const ys = Array.from(F.interpolate(x, { scaleFactor: 1.3, mode: 'linear' }).data());
  assertClose(ys, [0, 1, 2, 3, 4].map((o) => Math.min(Math.max((o + 0.5) / 1.3 - 0.5, 0), 3)), 'scaleFactor coordinates');
  const yr = Array.from(F.interpolate(x, { scaleFactor: 1.3, mode: 'linear', recomputeScaleFactor: true }).data());
  assertClose(yr, [0, 1, 2, 3, 4].map((o) => Math.min(Math.max((o + 0.5) * 0.8 - 0.5, 0), 3)), 'recomputed scale');
  // bilinear is separable: a constant stays constant, a plane stays a plane
  const plane = st.tensor([[[[0, 1, 2], [10, 11, 12]]]], { dtype: 'float64' });
  const up = F.interpolate(plane, { size: [3, 5], mode: 'bilinear', alignCorners: true });
  assertClose(up, [0, 0.5, 1, 1.5, 2, 5, 5.5, 6, 6.5, 7, 10, 10.5, 11, 11.5, 12], 'bilinear plane');
  assert.equal(F.interpolate(plane.float(), { scaleFactor: 2 }).dtype, 'float32');
});

const errorCases: [string, () => unknown, RegExp][] = [
  ['both size and scale', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: 4, scaleFactor: 2 }), /interpolate: only one of size and scaleFactor should be given/],
  ['neither', () => F.interpolate(st.zeros([1, 1, 2, 2]), {}), /interpolate: either size or scaleFactor should be given/],
  ['alignCorners with nearest', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: 4, alignCorners: true }), /alignCorners can only be set with the interpolating modes/],
  ['bilinear on 3-D', () => F.interpolate(st.zeros([1, 1, 2]), { size: 4, mode: 'bilinear' }), /mode 'bilinear' needs a 4-D input \[N, C, H, W\], got input of shape \[1, 1, 2\]/],
  ['linear on 4-D', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: 4, mode: 'linear' }), /mode 'linear' needs a 3-D input/],
  ['size list length', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: [1, 2, 3] }), /size must be a number or a list of 2 numbers/],
  ['unknown mode', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: 4, mode: 'cubic' as F.InterpolateMode }), /unknown mode 'cubic'/],
  ['trilinear on 4-D', () => F.interpolate(st.zeros([1, 1, 2, 2]), { size: 4, mode: 'trilinear' }), /mode 'trilinear' needs a 5-D input/],
  ['rank', () => F.interpolate(st.zeros([2, 2]), { size: 4 }), /expected a 3-D \[N, C, L\], 4-D \[N, C, H, W\] or 5-D \[N, C, D, H, W\] input, got input of shape \[2, 2\]/],
];

test('invalid interpolate arguments raise descriptive errors', () => {
  for (const [name, fn, message] of errorCases) assert.throws(fn, message, name);
});

test('gridSample gradients (input and grid) pass gradcheck for every mode and padding (bicubic too); affineGrid for theta', () => {
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    for (const alignCorners of [false, true]) {
      check(`gridSample bilinear ${paddingMode} alignCorners=${alignCorners}`, (x, g) => F.gridSample(x, g, { paddingMode, alignCorners }),
        [leaf([1, 2, 3, 4], 0.1), leaf([1, 2, 3, 2], alignCorners ? 0.25 : 0.2, 1.3)]);
    }
  }
  for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
    check(`gridSample bicubic ${paddingMode}`, (x, g) => F.gridSample(x, g, { mode: 'bicubic', paddingMode }), [leaf([1, 2, 3, 4], 0.1), leaf([1, 2, 3, 2], 0.2, 1.3)]);
  }
  check('gridSample nearest (input only)', (x) => F.gridSample(x, det([2, 3, 2, 2], 0.3, 1.2), { mode: 'nearest' }), [leaf([2, 1, 3, 3], 0.4)]);
  check('affineGrid', (t) => F.affineGrid(t, [2, 1, 3, 4]), [leaf([2, 2, 3], 0.5)]);
  check('affineGrid alignCorners', (t) => F.affineGrid(t, [1, 1, 2, 3], { alignCorners: true }), [leaf([1, 2, 3], 0.6)]);
  check('spatial transformer: gridSample(x, affineGrid(theta))', (x, t) => F.gridSample(x, F.affineGrid(t, [1, 1, 3, 3])), [leaf([1, 1, 4, 4], 0.7), leaf([1, 2, 3], 0.8, 0.7)]);
});

test('gridSample with the identity affine grid reproduces the input', () => {
  const x = det([2, 3, 4, 5], 0.9);
  const identity = st.tensor([[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 1, 0]]], { dtype: 'float64' });
  for (const alignCorners of [false, true]) {
    const grid = F.affineGrid(identity, [2, 3, 4, 5], { alignCorners });
    assertClose(F.gridSample(x, grid, { alignCorners }), Array.from(x.data()), `bilinear alignCorners=${alignCorners}`, 1e-12, 1e-12);
    assertClose(F.gridSample(x, grid, { alignCorners, mode: 'nearest' }), Array.from(x.data()), `nearest alignCorners=${alignCorners}`);
  }
  // a point outside the image: 0 with zeros padding, the border pixel with border padding
  const img = st.tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' });
  const far = st.tensor([[[[5, 5]]]], { dtype: 'float64' });
  assert.equal(F.gridSample(img, far).item(), 0);
  assert.equal(F.gridSample(img, far, { paddingMode: 'border' }).item(), 4);
  assert.throws(() => F.gridSample(img, st.zeros([1, 2, 2, 3], { dtype: 'float64' })), /gridSample: expected grid of shape \[1, Ho, Wo, 2\]/);
  assert.throws(() => F.affineGrid(st.zeros([1, 3, 3]), [1, 1, 2, 2]), /affineGrid: expected theta of shape \[1, 2, 3\]/);
});
