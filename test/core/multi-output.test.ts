/**
 * Ops with several outputs (unbind, split, chunk): the pieces share one node, as PyTorch's, whose rule
 * assembles the input's gradient once from the pieces' gradients (zeros for unused pieces).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertThrowsWith, forEachBackend } from './helpers.js';

const arange = (n: number, shape: number[]) => st.arange(n).to('float64').reshape(shape);

/** Each case: pieces of x (2×3×4, values 0..23, through mul(1) so it is not a leaf) and the node torch records. */
const CASES: { name: string; pieces: (x: Tensor) => Tensor[]; node: string }[] = [
  { name: 'unbind(0)', pieces: (x) => x.unbind(0), node: 'UnbindBackward0' },
  { name: 'unbind(-1)', pieces: (x) => x.unbind(-1), node: 'UnbindBackward0' },
  { name: 'split(2, 2)', pieces: (x) => x.split(2, 2), node: 'SplitBackward0' },
  { name: 'split([1, 2], 1)', pieces: (x) => x.split([1, 2], 1), node: 'SplitWithSizesBackward0' },
  { name: 'chunk(2, 1)', pieces: (x) => x.chunk(2, 1), node: 'SplitBackward0' },
];

forEachBackend(() => {
  for (const { name, pieces, node } of CASES) {
    test(`${name}: one shared ${node}; the gradient is assembled from the used pieces`, () => {
      const x = arange(24, [2, 3, 4]).requiresGrad_();
      const parts = pieces(x.mul(1));
      assert.ok(parts.every((p) => p.gradFn === parts[0].gradFn));
      assert.equal(parts[0].gradFn!.name, node);
      // Piece k is weighted by k + 1, except the last, which is unused (its gradient is zero).
      parts.slice(0, -1).reduce((s: Tensor | null, p, k) => (s ? s.add(p.mul(k + 1).sum()) : p.mul(k + 1).sum()), null)!.backward();
      // The same weights laid out as x: run the op on a tensor of piece numbers.
      const layout = pieces(st.zeros([2, 3, 4], { dtype: 'float64' }));
      layout.forEach((p, k) => st.noGrad(() => p.fill_(k === parts.length - 1 ? 0 : k + 1)));
      assert.deepEqual(x.grad!.toArray(), reassemble(layout, name).toArray());
    });
  }

  test('hooks and retainGrad act on their own piece', () => {
    const x = arange(6, [3, 2]).requiresGrad_();
    const [a, b, c] = x.mul(1).unbind(0);
    a.retainGrad();
    const seen: number[][] = [];
    b.registerHook((g) => {
      seen.push(g.toArray() as number[]);
      return g.mul(10);
    });
    a.mul(2).add(b).add(c.mul(3)).sum().backward();
    assert.deepEqual(a.grad!.toArray(), [2, 2]);
    assert.equal(b.grad, null);
    assert.deepEqual(seen, [[1, 1]]);
    assert.deepEqual(x.grad!.toArray(), [[2, 2], [10, 10], [3, 3]]);
  });

  test('autograd.grad with respect to pieces, and double backward through the assembled gradient', () => {
    const z = arange(6, [2, 3]).requiresGrad_();
    const [u0, u1] = z.unbind(0);
    const [g0, g1] = st.autograd.grad([u0.mul(u1).sum()], [u0, u1]);
    assert.deepEqual(g0!.toArray(), u1.toArray());
    assert.deepEqual(g1!.toArray(), u0.toArray());
    const [gz] = st.autograd.grad([z.unbind(0)[1].pow(2).sum()], [z], { createGraph: true });
    assert.equal(gz!.gradFn!.name, 'StackBackward0');
    assert.deepEqual(gz!.toArray(), [[0, 0, 0], [6, 8, 10]]);
    gz!.sum().backward();
    assert.deepEqual(z.grad!.toArray(), [[0, 0, 0], [2, 2, 2]]);
  });

  test('in-place updates of a piece raise while recording, as PyTorch (allowed under noGrad)', () => {
    const x = st.randn([4, 3], { requiresGrad: true });
    const [p] = x.mul(1).unbind(0);
    assertThrowsWith(() => p.add_(1), ['Output 0 of UnbindBackward0 is a view and is being modified inplace']);
    const [q] = x.mul(1).split(2);
    assertThrowsWith(() => q.mul_(2), ['Output 0 of SplitBackward0 is a view']);
    const [r] = x.mul(1).unbind(0);
    st.noGrad(() => r.add_(1));
  });

  test('many pieces: backward is linear in their number', () => {
    const x = st.randn([400, 8], { requiresGrad: true });
    const steps = x.mul(1).unbind(0);
    steps.reduce((s, p) => s.add(p.sum()), st.tensor(0)).backward();
    assert.deepEqual(Array.from(new Set(x.grad!.flatten().toArray() as number[])), [1]);
  });
});

/** The pieces (of a zeros tensor filled with their weights) put back together as the op split them. */
function reassemble(layout: Tensor[], name: string): Tensor {
  if (name === 'unbind(0)') return st.stack(layout, 0);
  if (name === 'unbind(-1)') return st.stack(layout, -1);
  if (name === 'split(2, 2)') return st.cat(layout, 2);
  return st.cat(layout, 1);
}
