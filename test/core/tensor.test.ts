/**
 * The Tensor API: construction, metadata, reading (toArray, data, item), printing, views that
 * share storage, in-place updates, conversions, creation functions, RNG state and the backend
 * registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { assertClose, forEachBackend } from './helpers.js';

forEachBackend(() => {
  test('tensor() from nested arrays infers shape and float32', () => {
    const t = st.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual([...t.shape], [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.size, 6);
    assert.equal(t.numel(), 6);
    assert.equal(t.ndim, 2);
    assert.equal(t.dim(), 2);
    assert.equal(t.sizeAt(-1), 3);
    assert.ok(t.storage instanceof Float32Array);
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.tolist(), t.toArray());
    assert.deepEqual([...st.tensor(7).shape], []);
    assert.equal(st.tensor(7).toArray(), 7);
    assert.deepEqual([...st.tensor([]).shape], [0]);
    assert.deepEqual([...st.tensor([[], []]).shape], [2, 0]);
    assert.deepEqual([...st.tensor([[[1]], [[2]]]).shape], [2, 1, 1]);
    assert.deepEqual(st.tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(st.tensor([1.7, -1.7], { dtype: 'int32' }).toArray(), [1, -1]);
    assert.deepEqual(st.tensor([0.1], { dtype: 'float64' }).toArray(), [0.1]);
    assert.deepEqual(st.tensor([0.1]).toArray(), [Math.fround(0.1)]);
  });

  test('tensor() from booleans and typed arrays', () => {
    const b = st.tensor([[true, false], [false, true]]);
    assert.equal(b.dtype, 'bool');
    assert.ok(b.storage instanceof Uint8Array);
    assert.deepEqual(b.toArray(), [[true, false], [false, true]]);
    assert.deepEqual(st.tensor([2, 0, NaN], { dtype: 'bool' }).toArray(), [true, false, true]);
    const src = new Float64Array([1, 2, 3, 4]);
    const t = st.tensor(src, { shape: [2, 2] });
    assert.equal(t.dtype, 'float64');
    src[0] = 100; // tensor() copies
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4]]);
    assert.equal(st.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(st.tensor(new Uint8Array([1, 0])).dtype, 'bool');
    assert.deepEqual(st.tensor(new Int32Array([1, 2]), { dtype: 'float32' }).toArray(), [1, 2]);
    // fromTypedArray shares memory, as torch.from_numpy.
    const shared = new Float32Array([1, 2, 3, 4, 5, 6]);
    const s = st.fromTypedArray(shared, [2, 3]);
    shared[5] = 60;
    assert.equal(String((s.toArray() as number[][])[1]), '4,5,60');
    s.select(0, 0).fill_(-1);
    assert.deepEqual([...shared], [-1, -1, -1, 4, 5, 60]);
  });

  test('data() is zero-copy for a whole contiguous tensor and a copy for views', () => {
    const t = st.tensor([[1, 2], [3, 4]]);
    const d = t.data();
    assert.equal(d, t.storage);
    d[0] = 10; // writes through
    assert.equal(String((t.toArray() as number[][])[0]), '10,2');
    assert.equal(t.dataSync(), t.storage);
    const view = t.t();
    const vd = view.data();
    assert.notEqual(vd, t.storage);
    assert.deepEqual([...vd], [10, 3, 2, 4]);
    const narrow = t.narrow(0, 1, 1);
    assert.deepEqual([...narrow.data()], [3, 4]);
    assert.notEqual(narrow.data(), t.storage);
    assert.deepEqual([...st.zeros([1, 3]).expand(2, 3).data()], [0, 0, 0, 0, 0, 0]);
  });

  test('item() reads one element; toArray of views and of bool', () => {
    assert.equal(st.tensor([[2.5]]).item(), 2.5);
    assert.equal(st.tensor(3, { dtype: 'int32' }).item(), 3);
    assert.equal(st.tensor([[1, 2], [3, 4]]).select(1, 1).select(0, 1).item(), 4);
    assert.equal(st.tensor([true]).item(), 1);
    assert.deepEqual(st.tensor([[1, 2, 3], [4, 5, 6]]).t().toArray(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(st.tensor([1, 2, 3]).gt(1.5).toArray(), [false, true, true]);
  });

  test('toString formats like PyTorch', () => {
    assert.equal(String(st.tensor([1, 2, 3])), 'tensor([1., 2., 3.])');
    assert.equal(String(st.tensor([[1, 2.5], [3, -4]])), 'tensor([[1.0000, 2.5000],\n        [3.0000, -4.0000]])');
    assert.equal(String(st.tensor([1, 2], { dtype: 'int32' })), 'tensor([1, 2], dtype=int32)');
    assert.equal(String(st.tensor([true, false])), 'tensor([true, false], dtype=bool)');
    assert.equal(String(st.tensor([1.5], { dtype: 'float64' })), 'tensor([1.5000], dtype=float64)');
    assert.equal(String(st.tensor(3.5)), 'tensor(3.5000)');
    assert.equal(String(st.tensor([1, NaN, -Infinity])), 'tensor([1., nan, -inf])');
    assert.equal(String(st.tensor([1e-5, 0.5])), 'tensor([1.0000e-5, 0.5000])');
    assert.equal(String(st.zeros([2, 0])), 'tensor([[],\n        []], size=[2, 0])');
    assert.equal(String(st.tensor([1.5], { requiresGrad: true })), 'tensor([1.5000], requiresGrad=true)');
    assert.equal(String(st.tensor([1.5], { requiresGrad: true }).mul(2)), 'tensor([3.], gradFn=<MulBackward0>)');
    assert.equal(String(st.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])), 'tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])');
    assert.equal(String(st.arange(2000).reshape(2, 1000)), 'tensor([[0, 1, 2, ..., 997, 998, 999],\n        [1000, 1001, 1002, ..., 1997, 1998, 1999]], dtype=int32)');
    assert.equal(String(st.tensor([[1, 2], [3, 4]]).t()), 'tensor([[1., 3.],\n        [2., 4.]])');
  });

  test('views share storage with their base', () => {
    const base = st.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const views = [
      base.t(), base.transpose(0, 1), base.permute(1, 0), base.reshape(8), base.view(4, 2), base.flatten(),
      base.unsqueeze(0), base.narrow(1, 1, 2), base.slice(1, 0, null, 2), base.select(0, 1), base.unbind(0)[0],
      base.split(1, 0)[1], base.chunk(2, 1)[0], base.expand(3, 2, 4), base.unsqueeze(1).squeeze(1), base.mT,
      base.detach(),
    ];
    for (const v of views) assert.equal(v.storage, base.storage);
    // copies
    for (const c of [base.flip(0), base.clone(), base.t().contiguous(), base.t().reshape(8), base.repeat(1, 1), base.to('float64')]) {
      assert.notEqual(c.storage, base.storage);
    }
    assert.equal(base.contiguous(), base);
    assert.equal(base.to('float32'), base);
    // Writing through a view (copy_ on a strided slice) changes the base.
    base.slice(1, 1, null, 2).copy_(st.tensor([[-2, -4], [-6, -8]]));
    assert.deepEqual(base.toArray(), [[1, -2, 3, -4], [5, -6, 7, -8]]);
    base.t().select(0, 0).fill_(0);
    assert.deepEqual(base.toArray(), [[0, -2, 3, -4], [0, -6, 7, -8]]);
    base.select(1, 2).mul_(10);
    assert.deepEqual(base.toArray(), [[0, -2, 30, -4], [0, -6, 70, -8]]);
    const r = base.view(2, 2, 2);
    r.select(2, 1).zero_();
    assert.deepEqual(base.toArray(), [[0, 0, 30, 0], [0, 0, 70, 0]]);
    assert.ok(base.isContiguous());
    assert.ok(!base.t().isContiguous());
    assert.ok(base.narrow(0, 1, 1).isContiguous());
    assert.ok(!base.narrow(1, 1, 2).isContiguous());
    assert.ok(st.zeros([3, 1]).t().isContiguous());
  });

  test('in-place ops: copy_ (broadcast, dtype), fill_, zero_, add_ (alpha), sub_, mul_, div_, clamp_', () => {
    const t = st.zeros([2, 3]);
    assert.equal(t.copy_(st.tensor([1, 2, 3])), t);
    assert.deepEqual(t.toArray(), [[1, 2, 3], [1, 2, 3]]);
    t.copy_(st.tensor([[1.9], [-1.9]], { dtype: 'float64' }));
    assert.deepEqual(t.toArray(), [[1.9, 1.9, 1.9], [-1.9, -1.9, -1.9]].map((row) => row.map(Math.fround)));
    const i = st.zeros([2], { dtype: 'int32' }).copy_(st.tensor([1.9, -1.9]));
    assert.deepEqual(i.toArray(), [1, -1]);
    const b = st.zeros([3], { dtype: 'bool' }).copy_(st.tensor([0, 2, NaN]));
    assert.deepEqual(b.toArray(), [false, true, true]);
    t.fill_(2);
    assert.deepEqual(t.toArray(), [[2, 2, 2], [2, 2, 2]]);
    t.add_(st.tensor([1, 2, 3]), { alpha: 2 });
    assert.deepEqual(t.toArray(), [[4, 6, 8], [4, 6, 8]]);
    t.sub_(1, { alpha: 2 }).mul_(st.tensor([[1], [-1]])).div_(2);
    assert.deepEqual(t.toArray(), [[1, 2, 3], [-1, -2, -3]]);
    t.clamp_(-2, 2.5);
    assert.deepEqual(t.toArray(), [[1, 2, 2.5], [-1, -2, -2]]);
    t.zero_();
    assert.deepEqual(t.toArray(), [[0, 0, 0], [0, 0, 0]]);
    // In-place on an int tensor keeps its dtype.
    const n = st.tensor([1, 2, 3], { dtype: 'int32' });
    n.mul_(3).add_(1);
    assert.equal(n.dtype, 'int32');
    assert.deepEqual(n.toArray(), [4, 7, 10]);
    // copy_ from an overlapping view of itself.
    const o = st.tensor([1, 2, 3, 4]);
    o.narrow(0, 0, 3).copy_(o.narrow(0, 1, 3));
    assert.deepEqual(o.toArray(), [2, 3, 4, 4]);
    const sq = st.tensor([[1, 2], [3, 4]]);
    sq.t().copy_(sq);
    assert.deepEqual(sq.toArray(), [[1, 3], [2, 4]]);
    const row = st.tensor([[1, 2, 3], [4, 5, 6]]);
    row.slice(1, 0, null, 2).copy_(row.narrow(1, 0, 2));
    assert.deepEqual(row.toArray(), [[1, 2, 2], [4, 5, 5]]);
  });

  test('add_ and zero_ with gradients off (optimisers, zeroGrad, accumulation): same storage, versioned, the out-of-place values', () => {
    const cases: [string, st.Tensor, st.Tensor][] = [
      ['same shape', st.randn([3, 4]), st.randn([3, 4])],
      ['broadcast row', st.randn([3, 4]), st.randn([4])],
      ['broadcast column', st.randn([3, 4]), st.randn([3, 1])],
      ['float64', st.randn([5], { dtype: 'float64' }), st.randn([5], { dtype: 'float64' })],
      ['other dtype (promoted, then cast)', st.randn([5]), st.randn([5], { dtype: 'float64' })],
      ['transposed view', st.randn([4, 3]).t(), st.randn([3, 4])],
    ];
    for (const [label, a, b] of cases) {
      const expected = a.add(b).to(a.dtype).toArray();
      const storage = a.storage;
      st.noGrad(() => a.add_(b));
      assert.equal(a.storage, storage, label);
      assert.deepEqual(a.toArray(), expected, label);
    }
    const self = st.tensor([1, 2, 3]);
    st.noGrad(() => self.add_(self));
    assert.deepEqual(self.toArray(), [2, 4, 6]);
    // A gradient rule that saved w refuses to run after w is zeroed or added to.
    for (const update of [(w: st.Tensor) => w.zero_(), (w: st.Tensor) => w.add_(st.ones([3]))]) {
      const w = st.randn([3], { requiresGrad: true });
      const y = w.mul(w).sum();
      st.noGrad(() => update(w));
      assert.throws(() => y.backward(), /inplace/);
    }
  });

  test('conversions: to/float/double/int/bool, t(), mT, clone, contiguous', () => {
    const x = st.tensor([[1.5, -2.5], [0, 3]]);
    assert.equal(x.double().dtype, 'float64');
    assert.deepEqual(x.int().toArray(), [[1, -2], [0, 3]]);
    assert.deepEqual(x.bool().toArray(), [[true, true], [false, true]]);
    assert.equal(x.int().float().dtype, 'float32');
    assert.deepEqual(st.tensor([true, false]).int().toArray(), [1, 0]);
    assert.deepEqual(x.t().toArray(), [[1.5, 0], [-2.5, 3]]);
    assert.equal(st.tensor([1, 2]).t().ndim, 1);
    assert.deepEqual([...st.zeros([2, 3, 4]).mT.shape], [2, 4, 3]);
    const c = x.t().clone();
    assert.ok(c.isContiguous());
    assert.deepEqual(c.toArray(), x.t().toArray());
    const k = x.t().contiguous();
    assert.ok(k.isContiguous());
    assert.deepEqual(k.toArray(), [[1.5, 0], [-2.5, 3]]);
  });

  test('creation functions', () => {
    assert.deepEqual(st.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
    assert.deepEqual(st.ones(3).toArray(), [1, 1, 1]);
    assert.deepEqual(st.full([2], 7, { dtype: 'int32' }).toArray(), [7, 7]);
    assert.deepEqual(st.full([2], 1, { dtype: 'bool' }).toArray(), [true, true]);
    assert.deepEqual(st.empty([2]).shape, [2]);
    const like = st.tensor([[1, 2]], { dtype: 'float64' });
    assert.equal(st.zerosLike(like).dtype, 'float64');
    assert.deepEqual(st.onesLike(like).toArray(), [[1, 1]]);
    assert.deepEqual(st.fullLike(like, 3).toArray(), [[3, 3]]);
    assert.equal(st.zerosLike(like, { dtype: 'int32' }).dtype, 'int32');
    assert.equal(st.ones([2], { requiresGrad: true }).requiresGrad, true);
    assert.deepEqual(st.arange(4).toArray(), [0, 1, 2, 3]);
    assert.equal(st.arange(4).dtype, 'int32');
    assert.equal(st.arange(0, 1, 0.25).dtype, 'float32');
    assert.deepEqual(st.arange(0, 3, 1, { dtype: 'float64' }).toArray(), [0, 1, 2]);
    assert.deepEqual(st.arange(5, 5).toArray(), []);
    assert.deepEqual(st.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(st.linspace(0, 1, 5, { dtype: 'float64' }).dtype, 'float64');
    assert.deepEqual(st.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(st.eye(2, 2, { dtype: 'int32' }).toArray(), [[1, 0], [0, 1]]);
    const r = st.rand([2, 3], { dtype: 'float64' });
    assert.equal(r.dtype, 'float64');
    assert.ok([...r.data()].every((v) => v >= 0 && v < 1));
    assert.deepEqual([...st.randn(4).shape], [4]);
    const ri = st.randint(-2, 3, [50]);
    assert.ok([...ri.data()].every((v) => v >= -2 && v < 3 && Number.isInteger(v)));
    assert.deepEqual([...st.randperm(6).data()].sort(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([...st.randperm(0).shape], [0]);
  });

  test('RNG: manualSeed reproduces, generators are independent, state can be saved and restored', () => {
    st.manualSeed(123);
    const a = st.rand([5]).toArray();
    st.manualSeed(123);
    assert.deepEqual(st.rand([5]).toArray(), a);
    const state = st.getRngState();
    const next = st.randn([20]).toArray();
    st.setRngState(state);
    assert.deepEqual(st.randn([20]).toArray(), next);
    // The cached second Box-Muller value is part of the state.
    st.manualSeed(5);
    st.randn([1], { dtype: 'float64' });
    const mid = st.getRngState();
    const after = st.randn([3], { dtype: 'float64' }).toArray();
    st.setRngState(mid);
    assert.deepEqual(st.randn([3], { dtype: 'float64' }).toArray(), after);
    const g1 = new st.Generator(7);
    const g2 = new st.Generator(7);
    st.manualSeed(7);
    st.rand([3]); // does not disturb g1/g2
    assert.deepEqual(st.rand([4], { generator: g1 }).toArray(), st.rand([4], { generator: g2 }).toArray());
    assert.equal(g1.initialSeed(), 7);
    const s = st.seed();
    assert.equal(st.defaultGenerator.initialSeed(), s);
    // uniform_/normal_ fill in place, also through non-contiguous views.
    st.manualSeed(1);
    const m = st.zeros([4, 4]);
    st.uniform_(m.t(), -1, 1);
    assert.ok([...m.data()].every((v) => v >= -1 && v < 1));
    const n = st.zeros([3, 8]);
    st.normal_(n.slice(1, 0, null, 2), 5, 0.001);
    assert.ok([...n.slice(1, 0, null, 2).data()].every((v) => Math.abs(v - 5) < 0.01));
    assert.ok([...n.slice(1, 1, null, 2).data()].every((v) => v === 0));
  });

  test('promoteTypes and allclose', () => {
    assert.equal(st.promoteTypes('int32', 'float32'), 'float32');
    assert.equal(st.promoteTypes('float32', 'float64'), 'float64');
    assert.equal(st.promoteTypes('bool', 'int32'), 'int32');
    assert.equal(st.promoteTypes('bool', 'bool'), 'bool');
    assert.ok(st.allclose(st.tensor([1, 2]), st.tensor([1, 2 + 1e-7])));
    assert.ok(!st.allclose(st.tensor([1, 2]), st.tensor([1, 2.1])));
    assert.ok(st.allclose(st.tensor([1, 2]), st.tensor([1.05, 2.1]), { rtol: 0.06 }));
    assert.ok(!st.allclose(st.tensor([NaN]), st.tensor([NaN])));
    assert.ok(st.allclose(st.tensor([NaN]), st.tensor([NaN]), { equalNan: true }));
    assert.ok(st.allclose(st.tensor([[1], [1]]), st.tensor([1, 1])));
  });

  test('numbers and booleans as operands', () => {
    const x = st.tensor([1, 2], { dtype: 'int32' });
    assert.equal(x.add(1).dtype, 'int32');
    assert.equal(x.add(0.5).dtype, 'float32');
    assert.equal(x.div(2).dtype, 'float32');
    assert.equal(st.tensor([1.5], { dtype: 'float64' }).mul(2).dtype, 'float64');
    assert.deepEqual(st.sub(10, x).toArray(), [9, 8]);
    assert.deepEqual(st.tensor([true, false]).add(st.tensor(true)).toArray(), [true, true]);
    assert.deepEqual(st.tensor([true, false]).mul(2).toArray(), [2, 0]);
    assertClose(st.pow(2, st.tensor([1, 0.5])), [2, Math.SQRT2]);
  });
});

test('backend registry: list, select, withBackend, partial backends fall back to the reference kernels', () => {
  assert.ok(st.listBackends().includes('js'));
  const before = st.getBackend();
  let calls = 0;
  const ref = st.withBackend('js', () => st.getBackend());
  assert.equal(ref, 'js');
  // Registering only a name gives a complete copy of the reference kernels.
  const reference = st.registerBackend({ name: 'test-reference' });
  const partial: Partial<Backend> & { name: string } = {
    name: 'test-partial',
    unary(op, x, out) {
      calls++;
      reference.unary(op, x, out);
    },
  };
  st.registerBackend(partial);
  assert.ok(st.listBackends().includes('test-partial'));
  const y = st.withBackend('test-partial', () => {
    assert.equal(st.getBackend(), 'test-partial');
    return st.tensor([1, 4]).sqrt().add(1); // unary through the partial backend, binary falls back
  });
  assert.deepEqual(y.toArray(), [2, 3]);
  assert.equal(calls, 1);
  assert.equal(st.getBackend(), before);
  assert.throws(() => st.withBackend('missing', () => 0), /setBackend: unknown backend 'missing'/);
  assert.equal(st.getBackend(), before);
});
