/**
 * PyTorch parity for the sorting / selection / scan ops (sort, argsort, topk, kthvalue, median,
 * nanmedian, cumsum, cumprod, cummax, cummin, logcumsumexp, nonzero, argwhere, maskedSelect, scatter,
 * scatter_, take): values, indices (which of tied elements torch 1.13's CPU kernels return), dtypes,
 * input gradients and gradFn names from test/fixtures/ops_sort_scan.json, written by
 * tools/fixtures/ops_sort_scan.py; a case with `error` must throw an error naming the op. Each case
 * also runs through the Tensor method where there is one. Below the table: second derivatives,
 * in-place scatter_ in the graph, and large inputs against a plain reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';
import { assertClose, assertThrowsWith, decode, decodeArgs, fixtureCaseTests, forEachBackend, magnitude, rnd, assertFixtureOut, fixtureInput, type FixtureOut, type FixtureSpec, readOpFixture, type OpFixtureCase } from './helpers.js';
import { backwardOfWeightedSum } from './parity-ops.js';

type Case = OpFixtureCase;

const fixture = { cases: readOpFixture('ops_sort_scan.json') };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;
type Result = Tensor | Tensor[] | st.MaxMinResult;

/** The op's main input, transposed when the case asks for a non-contiguous view. */
const first = (t: Tensor[], a: A) => (a.t ? t[0].t() : t[0]);
const sortOpts = (a: A) => ({ descending: a.descending, stable: a.stable });
const topkOpts = (a: A) => ({ largest: a.largest, sorted: a.sorted });
const keep = (a: A) => ({ keepdim: a.keepdim ?? false });
const cumOpts = (a: A) => (a.dtype ? { dtype: a.dtype as DType } : undefined);
const srcOf = (t: Tensor[], a: A) => (t.length > 2 ? t[2] : (a.value as number));
const reduceOf = (a: A) => (a.reduce ? { reduce: a.reduce } : {});

/** The Strata call for each op key of tools/fixtures/ops_sort_scan.py, and the Tensor method form. */
const OPS: Record<string, { call: (t: Tensor[], a: A) => Result; method?: (t: Tensor[], a: A) => Result; names?: string }> = {
  sort: {
    call: (t, a) => st.sort(first(t, a), a.dim ?? -1, sortOpts(a)),
    method: (t, a) => first(t, a).sort(a.dim ?? -1, sortOpts(a)),
  },
  argsort: {
    call: (t, a) => st.argsort(first(t, a), a.dim ?? -1, sortOpts(a)),
    method: (t, a) => first(t, a).argsort(a.dim ?? -1, sortOpts(a)),
  },
  topk: {
    call: (t, a) => st.topk(first(t, a), a.k, a.dim ?? -1, topkOpts(a)),
    method: (t, a) => first(t, a).topk(a.k, a.dim ?? -1, topkOpts(a)),
  },
  kthvalue: {
    call: (t, a) => st.kthvalue(first(t, a), a.k, a.dim ?? -1, keep(a)),
    method: (t, a) => first(t, a).kthvalue(a.k, a.dim ?? -1, a.keepdim ?? false),
  },
  median: {
    call: (t, a) => ('dim' in a ? st.median(first(t, a), a.dim, keep(a)) : st.median(first(t, a))),
    method: (t, a) => ('dim' in a ? first(t, a).median(a.dim, a.keepdim ?? false) : first(t, a).median()),
  },
  nanmedian: {
    call: (t, a) => ('dim' in a ? st.nanmedian(first(t, a), a.dim, keep(a)) : st.nanmedian(first(t, a))),
    method: (t, a) => ('dim' in a ? first(t, a).nanmedian(a.dim, keep(a)) : first(t, a).nanmedian()),
  },
  cumsum: { call: (t, a) => st.cumsum(first(t, a), a.dim, cumOpts(a)), method: (t, a) => first(t, a).cumsum(a.dim, cumOpts(a)) },
  cumprod: { call: (t, a) => st.cumprod(first(t, a), a.dim, cumOpts(a)), method: (t, a) => first(t, a).cumprod(a.dim, cumOpts(a)) },
  cummax: { call: (t, a) => st.cummax(first(t, a), a.dim), method: (t, a) => first(t, a).cummax(a.dim) },
  cummin: { call: (t, a) => st.cummin(first(t, a), a.dim), method: (t, a) => first(t, a).cummin(a.dim) },
  logcumsumexp: { call: (t, a) => st.logcumsumexp(first(t, a), a.dim), method: (t, a) => first(t, a).logcumsumexp(a.dim) },
  nonzero: {
    call: (t, a) => (a.asTuple ? st.nonzero(t[0], { asTuple: true }) : st.nonzero(t[0])),
    method: (t, a) => (a.asTuple ? t[0].nonzero({ asTuple: true }) : t[0].nonzero()),
  },
  argwhere: { call: (t) => st.argwhere(t[0]), method: (t) => t[0].argwhere() },
  maskedSelect: { call: (t, a) => st.maskedSelect(first(t, a), t[1]), method: (t, a) => first(t, a).maskedSelect(t[1]) },
  scatter: {
    call: (t, a) => st.scatter(first(t, a), a.dim, t[1], srcOf(t, a), reduceOf(a)),
    method: (t, a) => first(t, a).scatter(a.dim, t[1], srcOf(t, a), reduceOf(a)),
  },
  scatter_: { call: (t, a) => first(t, a).clone().scatter_(a.dim, t[1], srcOf(t, a), reduceOf(a)) },
  take: { call: (t, a) => st.take(first(t, a), t[1]), method: (t, a) => first(t, a).take(t[1]) },
};

const outputs = (r: Result): Tensor[] => (Array.isArray(r) ? [...r] : [r as Tensor]);

function runCase(c: Case): void {
  const op = OPS[c.op];
  assert.ok(op, `no Strata op for fixture op key '${c.op}'`);
  const args = decodeArgs(c.args);
  const name = op.names ?? c.op.replace(/_$/, '');
  if (c.error !== undefined) {
    for (const call of [op.call, op.method]) {
      if (!call) continue;
      const inputs = c.inputs.map(fixtureInput);
      assert.throws(() => call(inputs, args), (e: Error) => e.message.startsWith(name), `PyTorch raises: ${c.error}`);
    }
    return;
  }
  const expected = c.out as FixtureOut[];
  if (op.method) {
    const viaMethod = outputs(op.method(c.inputs.map(fixtureInput), args));
    assert.equal(viaMethod.length, expected.length, 'method: number of outputs');
    expected.forEach((e, k) => assertFixtureOut(viaMethod[k], e, `method output ${k}`));
  }
  const inputs = c.inputs.map(fixtureInput);
  const outs = outputs(op.call(inputs, args));
  assert.equal(outs.length, expected.length, 'number of outputs');
  expected.forEach((e, k) => assertFixtureOut(outs[k], e, `output ${k}`));
  if (!c.grads) {
    if (!c.gradError) assert.ok(outs.every((o) => !o.requiresGrad), 'PyTorch records no gradient for this case');
    return;
  }
  assert.equal(outs[0].gradFn?.name, c.gradFn, 'gradFn');
  backwardOfWeightedSum(outs);
  c.grads.forEach((g, i) => {
    if (g === null) return;
    const leaf = inputs[i];
    const actual = leaf.grad ?? st.zerosLike(leaf);
    assert.deepEqual([...actual.shape], c.inputs[i].shape, `grad ${i}: shape`);
    assertClose(actual, g.map(decode), { rtol: 1e-5, atol: 1e-6 * magnitude(g), what: `grad of input ${i}` });
  });
}

fixtureCaseTests(fixture.cases, OPS, runCase, 'the sort/scan table');

// ---- beyond the fixture table ------------------------------------------------------------------------
let seed = 500;
const r = (shape: number[], lo = -2, hi = 2) => rnd(shape, { seed: seed++, lo, hi });

/** Second derivatives (backward through backward), float64 against finite differences. */
const GRADGRAD: [string, (...t: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['sort values', (x) => st.sort(x, 1).values.square(), () => [r([3, 4])]],
  ['topk values', (x) => st.topk(x, 2, 0).values.square(), () => [r([5, 3])]],
  ['kthvalue', (x) => st.kthvalue(x, 2, 1).values.square(), () => [r([3, 4])]],
  ['median dim', (x) => st.median(x, 0, true).values.square(), () => [r([5, 2])]],
  ['median all', (x) => st.median(x).square(), () => [r([5])]],
  ['cumsum', (x) => st.cumsum(x, 1).square(), () => [r([2, 4])]],
  ['cumprod', (x) => st.cumprod(x, 1), () => [r([2, 4], 0.5, 2)]],
  ['cummax', (x) => st.cummax(x, 0).values.square(), () => [r([4, 2])]],
  ['logcumsumexp', (x) => st.logcumsumexp(x, 1), () => [r([2, 4])]],
  ['maskedSelect broadcast', (x) => st.maskedSelect(x, st.tensor([true, false, true], { dtype: 'bool' })).square(), () => [r([2, 3])]],
  ['scatter src', (x, s) => st.scatter(x, 1, st.tensor([[2, 0]], { dtype: 'int32' }), s).square(), () => [r([2, 3]), r([1, 2])]],
  ['take repeated', (x) => st.take(x, st.tensor([0, 3, 3, -1], { dtype: 'int32' })).square(), () => [r([2, 2])]],
];

forEachBackend(() => {
  for (const [name, fn, inputs] of GRADGRAD) {
    test(`gradgradcheck ${name}`, () => assert.equal(st.gradgradcheck(fn, inputs()), true));
  }

  test('scatter with reduce records NotImplemented: backward raises naming scatter (as torch)', () => {
    const x = r([3]);
    const out = st.scatter(x, 0, st.tensor([0, 0], { dtype: 'int32' }), st.tensor([1, 2], { dtype: 'float64' }), { reduce: 'add' });
    assert.deepEqual(out.toArray(), [(x.data()[0] as number) + 3, x.data()[1], x.data()[2]]);
    assert.equal(out.gradFn?.name, 'NotImplemented');
    assertThrowsWith(() => out.sum().backward(), ['scatter', "reduce='add'", 'not implemented']);
  });

  test('scatter_ updates in place: refused on a leaf requiring grad, recorded on a non-leaf, allowed under noGrad', () => {
    const index = st.tensor([[1, 0]], { dtype: 'int32' });
    const leaf = r([2, 2]);
    assertThrowsWith(() => leaf.scatter_(0, index, 5), ['scatter_', 'leaf']);
    const y = leaf.mul(2);
    const same = y.scatter_(0, index, 7);
    assert.equal(same, y);
    assert.equal(y.gradFn?.name, 'ScatterBackward1');
    y.sum().backward();
    // The overwritten entries ([1][0] and [0][1]) get no gradient; the others 2.
    assert.deepEqual(leaf.grad?.toArray(), [[2, 0], [0, 2]]);
    const plain = st.zeros([3]);
    st.noGrad(() => plain.scatter_(0, st.tensor([2], { dtype: 'int32' }), st.tensor([4])));
    assert.deepEqual(plain.toArray(), [0, 0, 4]);
  });

  test('scatter: a src larger than index gets a zero-padded gradient (torch 1.13 raises in backward)', () => {
    const src = r([2, 3]);
    st.scatter(st.zeros([2, 3], { dtype: 'float64' }), 1, st.tensor([[1], [0]], { dtype: 'int32' }), src).sum().backward();
    assert.deepEqual(src.grad?.toArray(), [[1, 0, 0], [1, 0, 0]]);
  });

  test('large rows: sort agrees with a stable reference sort, topk/kthvalue/median with the sorted row', () => {
    const n = 5000;
    const gen = new st.Generator(7);
    const x = st.randint(0, 50, [3, n], { generator: gen }).to('float32');
    const data = x.data() as Float32Array;
    for (let row = 0; row < 3; row++) {
      const values = Array.from(data.subarray(row * n, (row + 1) * n));
      const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
      const stable = st.sort(x, 1, { stable: true }).indices.select(0, row).toArray() as number[];
      assert.deepEqual(stable, order);
      const unstable = st.sort(x, 1, { descending: true });
      const vals = unstable.values.select(0, row).toArray() as number[];
      const idx = unstable.indices.select(0, row).toArray() as number[];
      assert.deepEqual(vals, order.map((i) => values[i]).reverse());
      assert.ok(idx.every((i, k) => values[i] === vals[k]), 'indices point at their values');
      assert.equal(new Set(idx).size, n, 'indices are a permutation');
      const sorted = order.map((i) => values[i]);
      assert.deepEqual(st.topk(x, 10, 1, { largest: false }).values.select(0, row).toArray(), sorted.slice(0, 10));
      assert.equal(st.kthvalue(x, 1234, 1).values.data()[row], sorted[1233]);
      assert.equal(st.median(x, 1).values.data()[row], sorted[(n - 1) >> 1]);
    }
  });

  test('argsort, nonzero and cumsum on non-float dtypes keep Strata dtypes (int32 indices)', () => {
    const b = st.tensor([true, false, true], { dtype: 'bool' });
    assert.equal(st.argsort(b).dtype, 'int32');
    assert.equal(st.cumsum(b, 0).dtype, 'int32');
    assert.equal(st.cumprod(st.tensor([2, 3], { dtype: 'int32' }), 0).dtype, 'int32');
    assert.equal(st.nonzero(b).dtype, 'int32');
    assert.deepEqual(st.cumsum(st.tensor([1.5, 2]), 0, { dtype: 'float64' }).dtype, 'float64');
  });
});
