/**
 * Second derivatives against finite differences of the first (st.autograd.gradgradcheck, float64):
 * the convolutions in every geometry their kernels take (their backward is made of the other two
 * raw convolution ops, so backward through backward works), and gradgradcheck itself.
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
