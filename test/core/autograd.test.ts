/** Autograd semantics: accumulation, fan-out, grad modes, hooks, graph lifetime, errors, names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertThrowsWith, forEachBackend } from './helpers.js';

const leaf = (values: number[] | number[][], dtype: st.DType = 'float32') => st.tensor(values, { dtype, requiresGrad: true });
const grad = (t: Tensor) => {
  assert.ok(t.grad, 'expected a gradient');
  return t.grad.toArray();
};

forEachBackend(() => {
  test('a leaf accumulates gradients across backward calls', () => {
    const x = leaf([1, 2, 3]);
    x.mul(2).sum().backward();
    assert.deepEqual(grad(x), [2, 2, 2]);
    x.mul(x).sum().backward();
    assert.deepEqual(grad(x), [4, 6, 8]);
    x.grad = null;
    x.sum().backward();
    assert.deepEqual(grad(x), [1, 1, 1]);
    // As PyTorch's AccumulateGrad: an existing gradient is updated in place (one tensor across steps).
    const before = x.grad!;
    x.mul(3).sum().backward();
    assert.equal(x.grad, before);
    assert.deepEqual(before.toArray(), [4, 4, 4]);
    // With createGraph the sum is a new tensor in the graph.
    const y = leaf([1, 2]);
    y.grad = st.tensor([1, 1]);
    const seed = y.grad;
    y.pow(2).sum().backward(null, { createGraph: true });
    assert.notEqual(y.grad, seed);
    assert.deepEqual(grad(y), [3, 5]);
    assert.deepEqual(seed.toArray(), [1, 1]);
  });

  test('leaf gradients never share memory with each other, the seed, hooks or views (kept without a copy only when unshared)', () => {
    // add hands the same gradient to both inputs: each leaf must get its own buffer.
    const a = leaf([1, 2, 3]);
    const b = leaf([4, 5, 6]);
    a.add(b).sum().backward();
    a.grad!.mul_(10);
    assert.deepEqual(grad(b), [1, 1, 1]);
    // The caller's seed is copied, never adopted.
    const c = leaf([1, 2]);
    const seed = st.tensor([3, 4]);
    c.mul(1).backward(seed);
    seed.mul_(0);
    assert.deepEqual(grad(c), [3, 4]);
    const d = leaf([1, 2]);
    const seed2 = st.tensor([5, 6]);
    d.backward(seed2);
    seed2.mul_(0);
    assert.deepEqual(grad(d), [5, 6]);
    // A gradient a hook saw (and may keep) is copied.
    const e = leaf([1, 2]);
    let seen: Tensor | null = null;
    const f = e.mul(2);
    f.registerHook((g) => { seen = g; });
    f.mul(3).sum().backward();
    (seen as unknown as Tensor).mul_(0);
    assert.deepEqual(grad(e), [6, 6]);
    // A reshape passes a view of its gradient through: the leaf's gradient is still its own.
    const h = leaf([[1, 2], [3, 4]]);
    const k = leaf([1, 1, 1, 1]);
    h.reshape([4]).mul(k).sum().backward();
    h.grad!.mul_(0);
    assert.deepEqual(grad(k), [1, 2, 3, 4]);
    // A fresh, unshared gradient (a product's) is the leaf's gradient, and later accumulation is correct.
    const m = leaf([1, 2]);
    m.mul(m).sum().backward();
    m.mul(m).sum().backward();
    assert.deepEqual(grad(m), [4, 8]);
  });

  test('fan-out: a tensor used several times gets the sum of its gradients', () => {
    const x = leaf([1, 2]);
    const y = x.mul(3);
    const z = y.add(y.mul(y)).add(x); // z = 3x + 9x² + x
    z.sum().backward();
    assert.deepEqual(grad(x), [3 + 18 * 1 + 1, 3 + 18 * 2 + 1]);
    const w = leaf([2]);
    st.cat([w, w, w.mul(2)]).sum().backward();
    assert.deepEqual(grad(w), [4]);
  });

  test('broadcast gradients are summed back to the input shape', () => {
    const a = leaf([[1], [2], [3]]); // [3, 1]
    const b = leaf([10, 20, 30, 40]); // [4]
    const c = leaf(5 as unknown as number[]); // 0-d
    a.mul(b).add(c).sum().backward();
    assert.deepEqual(grad(a), [[100], [100], [100]]);
    assert.deepEqual(grad(b), [6, 6, 6, 6]);
    assert.equal(c.grad?.item(), 12);
    assert.deepEqual([...c.grad!.shape], []);
  });

  test('leaf gradients are fresh tensors, not aliases of the seed or of each other', () => {
    const x = leaf([1, 2]);
    const y = leaf([3, 4]);
    const seed = st.tensor([1, 1]);
    x.add(y).backward(seed);
    assert.notEqual(x.grad, y.grad);
    assert.notEqual(x.grad, seed);
    x.grad!.zero_();
    assert.deepEqual(grad(y), [1, 1]);
    assert.deepEqual(seed.toArray(), [1, 1]);
  });

  test('a float32 leaf gets a float32 gradient through float64 computations', () => {
    const x = leaf([1, 2]);
    x.double().mul(st.tensor([0.5, 0.25], { dtype: 'float64' })).sum().backward();
    assert.equal(x.grad?.dtype, 'float32');
    assert.deepEqual(grad(x), [0.5, 0.25]);
  });

  test('retainGrad keeps the gradient of a non-leaf', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    const z = y.mul(y);
    y.retainGrad();
    z.sum().backward();
    assert.deepEqual(grad(y), [4, 8]);
    assert.equal(z.grad, null);
    assert.equal(z.isLeaf, false);
    assert.equal(x.isLeaf, true);
    assertThrowsWith(() => st.tensor([1]).retainGrad(), ['retainGrad', 'does not require grad']);
  });

  test('detach shares storage and cuts the graph', () => {
    const x = leaf([1, 2]);
    const d = x.mul(2).detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    const e = x.detach();
    assert.equal(e.storage, x.storage);
    x.mul(d).sum().backward();
    assert.deepEqual(grad(x), [2, 4]);
  });

  test('noGrad returns the value and records nothing; enableGrad re-enables inside it', () => {
    const x = leaf([1, 2]);
    const y = st.noGrad(() => x.mul(2));
    assert.deepEqual(y.toArray(), [2, 4]);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(st.noGrad(() => 42), 42);
    assert.equal(st.isGradEnabled(), true);
    const z = st.noGrad(() => {
      assert.equal(st.isGradEnabled(), false);
      const inner = st.enableGrad(() => x.mul(3));
      assert.equal(st.isGradEnabled(), false);
      return inner;
    });
    assert.equal(z.requiresGrad, true);
    z.sum().backward();
    assert.deepEqual(grad(x), [3, 3]);
    // The mode is restored even when fn throws.
    assert.throws(() => st.noGrad(() => { throw new Error('boom'); }), /boom/);
    assert.equal(st.isGradEnabled(), true);
    st.setGradEnabled(false);
    try {
      assert.equal(x.mul(2).requiresGrad, false);
    } finally {
      st.setGradEnabled(true);
    }
  });

  test('hooks see the gradient and may replace it; remove() unregisters', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    const seen: number[][] = [];
    const h = y.registerHook((g) => {
      seen.push(g.toArray() as number[]);
      return g.mul(10);
    });
    y.sum().backward();
    assert.deepEqual(seen, [[1, 1]]);
    assert.deepEqual(grad(x), [20, 20]);
    h.remove();
    x.grad = null;
    x.mul(2).sum().backward();
    assert.deepEqual(grad(x), [2, 2]);
    // A hook on a leaf changes what is accumulated; a hook returning nothing leaves the gradient.
    const w = leaf([1]);
    w.registerHook((g) => g.mul(-1));
    w.registerHook(() => undefined);
    w.mul(3).sum().backward();
    assert.deepEqual(grad(w), [-3]);
    assertThrowsWith(() => st.tensor([1]).registerHook(() => undefined), ['registerHook', 'does not require grad']);
  });

  test('backward with an explicit upstream gradient', () => {
    const x = leaf([[1, 2], [3, 4]]);
    const y = x.mul(x);
    y.backward(st.tensor([[1, 0], [0.5, -1]]));
    assert.deepEqual(grad(x), [[2, 0], [3, -8]]);
    const s = leaf([2]);
    s.mul(3).backward(st.tensor([2]));
    assert.deepEqual(grad(s), [6]);
  });

  test('backward errors: non-scalar without grad, wrong grad shape, no grad required, options as grad', () => {
    const x = leaf([1, 2]);
    assertThrowsWith(() => x.mul(2).backward(), ['backward', 'scalar outputs', '[2]']);
    assertThrowsWith(() => x.mul(2).backward(st.tensor([1, 2, 3])), ['backward', '[3]', '[2]']);
    assertThrowsWith(() => st.tensor([1, 2]).sum().backward(), ['backward', 'does not require grad']);
    assertThrowsWith(() => st.noGrad(() => x.sum()).backward(), ['backward', 'does not require grad']);
    assertThrowsWith(() => x.sum().backward({ retainGraph: true } as unknown as Tensor), ['backward', 'grad must be a Tensor']);
  });

  test('a second backward through a freed graph fails; retainGraph allows it', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward();
    assertThrowsWith(() => y.backward(), ['second time', 'retainGraph']);
    const z = x.mul(x).sum();
    x.grad = null;
    z.backward(null, { retainGraph: true });
    z.backward(null, { retainGraph: true });
    z.backward();
    assert.deepEqual(grad(x), [6, 12]);
  });

  test('backward of a leaf that requires grad seeds its own gradient', () => {
    const x = leaf([3]);
    x.backward();
    assert.deepEqual(grad(x), [1]);
  });

  test('requiresGrad is only for floating-point tensors', () => {
    assertThrowsWith(() => st.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), ['requiresGrad', 'int32']);
    assertThrowsWith(() => st.tensor([true]).requiresGrad_(), ['requiresGrad', 'bool']);
    assertThrowsWith(() => { st.arange(3).requiresGrad = true; }, ['requiresGrad', 'int32']);
    const x = leaf([1.5, 2.5]);
    // Integer and boolean results never require grad.
    assert.equal(x.argmax().requiresGrad, false);
    assert.equal(x.gt(2).requiresGrad, false);
    assert.equal(x.int().requiresGrad, false);
    assert.equal(st.max(x, 0).indices.requiresGrad, false);
    assertThrowsWith(() => x.mul(2).requiresGrad_(false), ['requiresGrad_', 'leaf']);
  });

  test('in-place ops on a tensor requiring grad fail outside noGrad and work inside it', () => {
    const w = leaf([1, 2]);
    for (const [name, f] of [
      ['copy_', () => w.copy_(st.tensor([0, 0]))],
      ['fill_', () => w.fill_(1)],
      ['zero_', () => w.zero_()],
      ['add_', () => w.add_(1)],
      ['sub_', () => w.sub_(1)],
      ['mul_', () => w.mul_(2)],
      ['div_', () => w.div_(2)],
      ['clamp_', () => w.clamp_(0, 1)],
    ] as [string, () => unknown][]) {
      assertThrowsWith(f, [name, 'requires grad', 'noGrad'], name);
    }
    const y = w.mul(2).add_(1); // a non-leaf may be updated in place: PyTorch records it
    assert.equal(y.gradFn?.name, 'AddBackward0');
    st.noGrad(() => w.sub_(w.mul(0.5)));
    assert.deepEqual(w.toArray(), [0.5, 1]);
    assert.equal(w.requiresGrad, true);
    assert.equal(w.isLeaf, true);
  });

  test('gradFn names (PyTorch names where the op is a single node)', () => {
    const x = leaf([[1, 2], [3, 4]]);
    const y = leaf([[1, 1], [2, 2]]);
    const names: [string, Tensor][] = [
      ['AddBackward0', x.add(y)],
      ['SubBackward0', x.sub(y)],
      ['MulBackward0', x.mul(y)],
      ['DivBackward0', x.div(y)],
      ['PowBackward0', x.pow(2)],
      ['PowBackward1', x.pow(y)],
      ['MaximumBackward0', x.maximum(y)],
      ['Atan2Backward0', x.atan2(y)],
      ['NegBackward0', x.neg()],
      ['ExpBackward0', x.exp()],
      ['LogBackward0', x.log()],
      ['SqrtBackward0', x.sqrt()],
      ['SigmoidBackward0', x.sigmoid()],
      ['TanhBackward0', x.tanh()],
      ['ReluBackward0', x.relu()],
      ['AbsBackward0', x.abs()],
      ['WhereBackward0', st.where(x.gt(2), x, y)],
      ['MaskedFillBackward0', x.maskedFill(x.gt(2), 0)],
      ['SumBackward0', x.sum()],
      ['SumBackward1', x.sum(1)],
      ['ProdBackward0', x.prod()],
      ['AmaxBackward0', x.amax(1)],
      ['NormBackward1', x.norm()],
      ['SoftmaxBackward0', x.softmax(1)],
      ['LogSoftmaxBackward0', x.logSoftmax(1)],
      ['MmBackward0', x.mm(y)],
      ['ViewBackward0', x.view(4)],
      ['PermuteBackward0', x.permute(1, 0)],
      ['TransposeBackward0', x.transpose(0, 1)],
      ['UnsqueezeBackward0', x.unsqueeze(0)],
      ['ExpandBackward0', x.unsqueeze(0).expand(3, 2, 2)],
      ['SliceBackward0', x.slice(0, 0, 1)],
      ['FlipBackward0', x.flip(0)],
      ['CatBackward0', st.cat([x, y])],
      ['GatherBackward0', x.gather(1, st.tensor([[0], [1]], { dtype: 'int32' }))],
      ['IndexSelectBackward0', x.indexSelect(0, [1])],
      ['ToCopyBackward0', x.double()],
      ['CloneBackward0', x.clone()],
      ['ClampBackward0', x.clamp(y)],
      ['ConstantPadNdBackward0', st.pad(x, [1, 1])],
    ];
    for (const [name, t] of names) assert.equal(t.gradFn?.name, name, name);
    assert.equal(x.gradFn, null);
    assert.ok(x.add(y).gradFn instanceof st.Node);
    assert.equal(x.add(y).gradFn?.toString(), '<AddBackward0>');
    const z = x.mul(2).add(y);
    assert.deepEqual(z.gradFn?.nextFunctions.map((f) => f.name), ['MulBackward0', 'AccumulateGrad']);
  });

  test('tie semantics: maximum/minimum split the gradient, amax shares it, max(dim) picks the first index', () => {
    const a = leaf([1, 2, 3]);
    const b = leaf([1, 3, 2]);
    st.maximum(a, b).sum().backward();
    assert.deepEqual(grad(a), [0.5, 0, 1]);
    assert.deepEqual(grad(b), [0.5, 1, 0]);
    a.grad = null;
    b.grad = null;
    st.minimum(a, b).sum().backward();
    assert.deepEqual(grad(a), [0.5, 1, 0]);
    assert.deepEqual(grad(b), [0.5, 0, 1]);
    const x = leaf([[1, 3, 3, 0], [2, 2, 2, 2]]);
    st.amax(x, 1).sum().backward();
    assertClose(x.grad!, [0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25]);
    x.grad = null;
    st.max(x, 1).values.sum().backward();
    assert.deepEqual(grad(x), [[0, 1, 0, 0], [1, 0, 0, 0]]);
    x.grad = null;
    x.max().backward();
    assert.deepEqual(grad(x), [[0, 0.5, 0.5, 0], [0, 0, 0, 0]]);
    // clamp with tensor bounds: ties go to the input, as torch.clamp.
    const v = leaf([0.5, 1, 2]);
    const lo = leaf([0.5, 0, 0]);
    const hi = leaf([1, 1, 1]);
    st.clamp(v, lo, hi).sum().backward();
    assert.deepEqual(grad(v), [1, 1, 0]);
    assert.deepEqual(grad(lo), [0, 0, 0]);
    assert.deepEqual(grad(hi), [0, 0, 1]);
  });

  test('non-differentiable points follow PyTorch: abs/relu/sign at 0, norm at 0, sqrt at 0', () => {
    const x = leaf([0, -0, 1]);
    x.abs().sum().backward();
    assert.deepEqual(grad(x), [0, 0, 1]);
    x.grad = null;
    x.relu().sum().backward();
    assert.deepEqual(grad(x), [0, 0, 1]);
    const z = leaf([0, 0]);
    for (const p of [1, 2, 3, Infinity]) {
      z.grad = null;
      z.norm(p).backward();
      assert.deepEqual(grad(z), [0, 0], `norm p=${p}`);
    }
    const s = leaf([0]);
    s.sqrt().sum().backward();
    assert.deepEqual(grad(s), [Infinity]);
  });

  test('gradients of ops on views reach the base tensor', () => {
    const x = leaf([[1, 2, 3], [4, 5, 6]]);
    x.t().slice(0, 0, null, 2).mul(st.tensor([[1, 10], [100, 1000]])).sum().backward();
    assert.deepEqual(grad(x), [[1, 0, 100], [10, 0, 1000]]);
  });
});

// The engine is backend-independent; one run (on the default backend) is enough for depth.
test('deep chains (10,000 ops) do not overflow the stack', () => {
  const x = leaf([1]);
  let y = x;
  for (let i = 0; i < 10_000; i++) y = y.add(1e-4);
  y.sum().backward();
  assert.deepEqual(grad(x), [1]);
  // A deep chain with fan-out at every step.
  const w = leaf([1]);
  let v = w;
  for (let i = 0; i < 2_000; i++) v = v.add(v.mul(0));
  v.sum().backward();
  assert.deepEqual(grad(w), [1]);
});

test('autograd.grad runs only the nodes on a path to the requested inputs, as PyTorch', () => {
  const x = st.tensor([1, 2], { requiresGrad: true });
  const fired: string[] = [];
  x.registerHook(() => void fired.push('x'));
  const a = x.mul(2);
  a.registerHook(() => void fired.push('a'));
  const b = a.exp();
  const y = b.sum();
  const [gb] = st.autograd.grad(y, [b]);
  assert.deepEqual(Array.from(gb!.data()), [1, 1]);
  assert.deepEqual(fired, [], 'no hook below the requested input fires');
  assert.equal(x.grad, null);
  // The nodes below b were neither run nor released: backward through them still works without retainGraph.
  a.sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [2, 2]);
  // With a leaf and an intermediate requested, the path to the leaf runs through the intermediate's node.
  const x2 = st.tensor([1, 2], { requiresGrad: true });
  const m = x2.mul(3);
  const [gm, gx] = st.autograd.grad(m.pow(2).sum(), [m, x2]);
  assert.deepEqual(Array.from(gm!.data()), [6, 12]);
  assert.deepEqual(Array.from(gx!.data()), [18, 36]);
});

test('after backward the graph keeps no activation alive, even while the output is referenced (as PyTorch)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // A WeakRef keeps its target alive until the current job ends, so each check runs in a later one.
  const collected = async (ref: WeakRef<object>) => {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    return ref.deref() === undefined;
  };
  const x = st.randn([64, 64], { requiresGrad: true });
  const make = () => {
    const hidden = x.mul(2); // saved by exp's rule, referenced only by the graph below
    return { y: hidden.exp().sum(), ref: new WeakRef(hidden) };
  };
  const { y, ref } = make();
  assert.equal(await collected(ref), false, 'the graph holds the activation before backward');
  y.backward();
  assert.equal(await collected(ref), true, 'released by backward while y (and y.gradFn) are alive');
  assert.equal(y.gradFn?.name, 'SumBackward0');
  assert.deepEqual(y.gradFn?.nextFunctions.map((f) => [f.name, f.tensor]), [['ExpBackward0', null]]);
  // retainGraph keeps everything for a second backward.
  const again = make();
  again.y.backward(null, { retainGraph: true });
  assert.equal(await collected(again.ref), false);
  again.y.backward();
  assert.ok(x.grad);
});
