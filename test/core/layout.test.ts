/**
 * Layout independence: every kernel must give the same result for an operand whatever its
 * memory layout (transposed, permuted, sliced with steps, narrowed with an offset, expanded,
 * size-1 dims with odd strides). Each op runs on a family of strided views and on contiguous
 * copies of the same values; the results must be identical (or equal to the float rounding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, forEachBackend } from './helpers.js';

/** Views of shape [3, 4, 5] (or broadcastable to it), each over a differently laid-out storage. */
function layouts(seed: number, dtype: st.DType = 'float32'): { name: string; t: Tensor }[] {
  const gen = new st.Generator(seed);
  const base = (shape: number[]) => st.rand(shape, { generator: gen, dtype: dtype === 'float64' ? 'float64' : 'float32' }).mul(4).sub(2).to(dtype);
  return [
    { name: 'contiguous', t: base([3, 4, 5]) },
    { name: 'permuted', t: base([5, 3, 4]).permute(1, 2, 0) },
    { name: 'transposed inner', t: base([3, 5, 4]).transpose(1, 2) },
    { name: 'sliced step 2', t: base([3, 8, 5]).slice(1, 0, null, 2) },
    { name: 'sliced step 3 with offset', t: base([3, 4, 16]).slice(2, 1, null, 3) },
    { name: 'narrowed', t: base([5, 6, 7]).narrow(0, 1, 3).narrow(1, 2, 4).narrow(2, 1, 5) },
    { name: 'expanded middle', t: base([3, 1, 5]).expand(3, 4, 5) },
    { name: 'expanded leading', t: base([4, 5]).expand(3, 4, 5) },
    { name: 'selected from 4-D', t: base([2, 3, 4, 5]).select(0, 1) },
    { name: 'permuted and sliced', t: base([8, 3, 5]).permute(1, 0, 2).slice(1, 1, null, 2) },
    { name: 'unsqueezed/squeezed', t: base([3, 4, 5]).unsqueeze(1).transpose(1, 3).transpose(1, 3).squeeze(1) },
  ];
}

const close = (a: Tensor, b: Tensor, what: string) => {
  assert.equal(a.dtype, b.dtype, `${what}: dtype`);
  assert.deepEqual([...a.shape], [...b.shape], `${what}: shape`);
  assertClose(a, b, { rtol: 1e-6, atol: 1e-6, what });
};

const UNARY: [string, (x: Tensor) => Tensor][] = [
  ['neg', st.neg], ['abs', st.abs], ['exp', st.exp], ['tanh', st.tanh], ['sigmoid', st.sigmoid], ['relu', st.relu],
  ['round', st.round], ['sign', st.sign], ['clamp', (x) => st.clamp(x, -0.5, 0.5)], ['pow 3', (x) => st.pow(x, 3)],
  ['isnan', st.isnan], ['cast float64', (x) => x.to('float64')], ['cast int32', (x) => x.to('int32')], ['cast bool', (x) => x.to('bool')],
  ['clone', st.clone], ['flip', (x) => st.flip(x, [0, 2])], ['sum dim 1', (x) => x.sum(1)], ['sum dims [0,2]', (x) => x.sum([0, 2], true)],
  ['sum all', (x) => x.sum()], ['prod dim 2', (x) => x.prod(2)], ['amax dim 0', (x) => x.amax(0)], ['amin all', (x) => x.amin()],
  ['argmax dim 1', (x) => x.argmax(1)], ['argmin all', (x) => x.argmin()], ['max dim 2', (x) => st.max(x, 2).values],
  ['var dim 1', (x) => x.var(1)], ['norm dim 2', (x) => x.norm(2, 2)], ['logsumexp dim 0', (x) => x.logsumexp(0)],
  ['softmax dim 1', (x) => x.softmax(1)], ['logSoftmax dim 2', (x) => x.logSoftmax(2)], ['any', (x) => x.gt(1).any(1)],
  ['reshape', (x) => x.reshape(12, 5)], ['flatten', (x) => x.flatten(1)], ['matmul by a matrix', (x) => x.matmul(st.ones([5, 2]))],
  ['matmul as right operand', (x) => st.ones([2, 3]).matmul(x.select(2, 1))], ['bmm', (x) => x.matmul(x.transpose(1, 2))],
  ['gather', (x) => x.gather(2, st.zeros([3, 4, 2], { dtype: 'int32' }).add(st.tensor([4, 0], { dtype: 'int32' })))],
  ['indexSelect', (x) => x.indexSelect(1, [3, 0])], ['pad reflect', (x) => st.pad(x, [1, 2], { mode: 'reflect' })],
  ['pad constant', (x) => st.pad(x, [1, -1, -1, 2], { value: 7 })], ['cat', (x) => st.cat([x, x], 1)], ['repeat', (x) => x.repeat(1, 2, 1)],
  ['where', (x) => st.where(x.gt(0), x, x.mul(-2))], ['maskedFill', (x) => x.maskedFill(x.lt(0), 9)],
];

const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', st.add], ['mul', st.mul], ['div', (a, b) => st.div(a, b)], ['maximum', st.maximum], ['atan2', st.atan2],
  ['remainder', st.remainder], ['lt', st.lt], ['eq', (a, b) => st.eq(a.round(), b.round())], ['logicalXor', (a, b) => st.logicalXor(a.gt(0), b.gt(0))],
  ['where', (a, b) => st.where(a.gt(b), a, b)], ['clamp tensors', (a, b) => st.clamp(a, b.sub(1), b.add(1))],
];

forEachBackend(() => {
  for (const [name, f] of UNARY) {
    test(`${name} is layout-independent`, () => {
      const views = layouts(11);
      for (const { name: layout, t } of views) close(f(t), f(t.contiguous()), `${name} on ${layout}`);
    });
  }
  for (const [name, f] of BINARY) {
    test(`${name} is layout-independent (every pair of layouts)`, () => {
      const as = layouts(21);
      const bs = layouts(31);
      for (const a of as) {
        for (const b of bs) close(f(a.t, b.t), f(a.t.contiguous(), b.t.contiguous()), `${name} on ${a.name} × ${b.name}`);
      }
    });
  }
  test('in-place writes through every layout (except expanded) land where reads find them', () => {
    for (const { name, t } of layouts(41)) {
      if (name.startsWith('expanded')) continue;
      const values = st.arange(0, 60, 1, { dtype: 'float32' }).reshape(3, 4, 5);
      t.copy_(values);
      close(t.contiguous(), values, `copy_ into ${name}`);
      t.mul_(2);
      close(t.contiguous(), values.mul(2), `mul_ on ${name}`);
    }
  });
  test('float64 and int32 layouts', () => {
    for (const dtype of ['float64', 'int32'] as const) {
      for (const { name, t } of layouts(51, dtype)) {
        close(t.add(t), t.contiguous().mul(2), `${dtype} add on ${name}`);
        close(t.sum(1), t.contiguous().sum(1), `${dtype} sum on ${name}`);
      }
    }
  });
});
