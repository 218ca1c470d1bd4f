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
];

test('gradFn names match PyTorch 1.13', () => {
  const wrong: string[] = [];
  for (const [call, fn, torchName] of CASES) {
    const name = first(fn()).gradFn?.name;
    if (name !== torchName) wrong.push(`${call}: ${name} (torch: ${torchName})`);
  }
  assert.deepEqual(wrong, []);
});
