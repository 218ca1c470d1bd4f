/**
 * PyTorch parity for the everyday tensor ops (tril, triu, diagonal, diag, diagEmbed, trace, lerp, addcmul,
 * addcdiv, nanToNum, movedim, moveaxis, swapaxes, swapdims, tile, roll, outer, kron, cross, einsum, cdist,
 * .T, .mT): values, dtypes, input gradients and gradFn names from test/fixtures/ops_misc.json, written by
 * tools/fixtures/ops_misc.py; a case with `error` must throw an error naming the op. Each case also runs
 * through the Tensor method where torch has one. Below the table: views, second derivatives, in-place
 * variants, and einsum / cdist against plain references on larger inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertThrowsWith, fixtureCaseTests, forEachBackend, rnd, readOpFixture, type OpFixtureCase } from './helpers.js';
import { runOpFixtureCase, type OpFixtureEntry } from './op-fixture.js';

type Case = OpFixtureCase;

const fixture = { cases: readOpFixture('ops_misc.json') };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;
type Call = (t: Tensor[], a: A) => Tensor;

/** The op's main input, transposed (last two dims) when the case asks for a non-contiguous view. */
const first = (t: Tensor[], a: A) => (a.t ? t[0].mT : t[0]);
const third = (t: Tensor[], a: A, key: string) => (t.length > 2 ? t[2] : (a[key] as number));
const nanOpts = (a: A) => ({ nan: a.nan, posinf: a.posinf, neginf: a.neginf });
const cdistOpts = (a: A) => ({ p: a.p, computeMode: a.computeMode });

/**
 * The Strata call for each op key of tools/fixtures/ops_misc.py, the Tensor method form, the name errors
 * must start with (default: the key), and whether the gradFn name is torch's (einsum is a composite whose
 * last step differs).
 */
const OPS: Record<string, OpFixtureEntry & { call: Call }> = {
  tril: { call: (t, a) => st.tril(first(t, a), a.diagonal), method: (t, a) => first(t, a).tril(a.diagonal) },
  triu: { call: (t, a) => st.triu(first(t, a), a.diagonal), method: (t, a) => first(t, a).triu(a.diagonal) },
  diagonal: {
    call: (t, a) => st.diagonal(first(t, a), { offset: a.offset, dim1: a.dim1, dim2: a.dim2 }),
    method: (t, a) => first(t, a).diagonal(a.offset, a.dim1, a.dim2),
  },
  diag: { call: (t, a) => st.diag(first(t, a), a.diagonal), method: (t, a) => first(t, a).diag(a.diagonal) },
  diagEmbed: {
    call: (t, a) => st.diagEmbed(first(t, a), { offset: a.offset, dim1: a.dim1, dim2: a.dim2 }),
    method: (t, a) => first(t, a).diagEmbed(a.offset, a.dim1, a.dim2),
  },
  trace: { call: (t, a) => st.trace(first(t, a)), method: (t, a) => first(t, a).trace() },
  lerp: { call: (t, a) => st.lerp(first(t, a), t[1], third(t, a, 'weight')), method: (t, a) => first(t, a).lerp(t[1], third(t, a, 'weight')) },
  addcmul: {
    call: (t, a) => st.addcmul(first(t, a), t[1], t[2], { value: a.value }),
    method: (t, a) => first(t, a).addcmul(t[1], t[2], { value: a.value }),
  },
  addcdiv: {
    call: (t, a) => st.addcdiv(first(t, a), t[1], t[2], { value: a.value }),
    method: (t, a) => first(t, a).addcdiv(t[1], t[2], { value: a.value }),
  },
  nanToNum: { call: (t, a) => st.nanToNum(first(t, a), nanOpts(a)), method: (t, a) => first(t, a).nanToNum(nanOpts(a)) },
  movedim: { call: (t, a) => st.movedim(first(t, a), a.source, a.destination), method: (t, a) => first(t, a).movedim(a.source, a.destination) },
  moveaxis: {
    call: (t, a) => st.moveaxis(first(t, a), a.source, a.destination),
    method: (t, a) => first(t, a).moveaxis(a.source, a.destination),
    names: 'movedim',
  },
  swapaxes: { call: (t, a) => st.swapaxes(first(t, a), a.dim0, a.dim1), method: (t, a) => first(t, a).swapaxes(a.dim0, a.dim1) },
  swapdims: { call: (t, a) => st.swapdims(first(t, a), a.dim0, a.dim1), method: (t, a) => first(t, a).swapdims(a.dim0, a.dim1) },
  tile: { call: (t, a) => st.tile(first(t, a), a.dims), method: (t, a) => first(t, a).tile(a.dims) },
  roll: { call: (t, a) => st.roll(first(t, a), a.shifts, a.dims), method: (t, a) => first(t, a).roll(a.shifts, a.dims) },
  outer: { call: (t) => st.outer(t[0], t[1]), method: (t) => t[0].outer(t[1]) },
  kron: { call: (t) => st.kron(t[0], t[1]), method: (t) => t[0].kron(t[1]) },
  cross: { call: (t, a) => st.cross(first(t, a), t[1], a.dim), method: (t, a) => first(t, a).cross(t[1], a.dim) },
  einsum: { call: (t, a) => st.einsum(a.eq, first(t, a), ...t.slice(1)), method: (t, a) => st.einsum(a.eq, [first(t, a), ...t.slice(1)]), gradFn: false },
  cdist: { call: (t, a) => st.cdist(first(t, a), t[1], cdistOpts(a)), method: (t, a) => st.cdist(first(t, a), t[1], a.p ?? 2) },
  T: { call: (t, a) => first(t, a).T },
  mT: { call: (t, a) => first(t, a).mT },
};


fixtureCaseTests(fixture.cases, OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the misc-ops table');

// ---- beyond the fixture table ------------------------------------------------------------------------
let seed = 700;
const r = (shape: number[], lo = -2, hi = 2) => rnd(shape, { seed: seed++, lo, hi });
const plain = (shape: number[], lo = -2, hi = 2) => rnd(shape, { seed: seed++, lo, hi, requiresGrad: false });

/** Second derivatives (backward through backward), float64 against finite differences. */
const GRADGRAD: [string, (...t: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['tril', (x) => st.tril(x, -1).square(), () => [r([3, 4])]],
  ['triu batched', (x) => st.triu(x, 1).square(), () => [r([2, 3, 3])]],
  ['diagonal', (x) => st.diagonal(x, 1, 0, 2).square(), () => [r([3, 2, 4])]],
  ['diag vector', (x) => st.diag(x, -1).square(), () => [r([3])]],
  ['diag matrix', (x) => st.diag(x, 1).square(), () => [r([3, 4])]],
  ['diagEmbed', (x) => st.diagEmbed(x, 1).square(), () => [r([2, 3])]],
  ['trace', (x) => st.trace(x).square(), () => [r([3, 3])]],
  ['roll', (x) => st.roll(x, [1, -1], [0, 1]).square(), () => [r([3, 4])]],
  ['lerp number', (a, b) => st.lerp(a, b, 0.7).square(), () => [r([3]), r([3])]],
  ['lerp tensor', (a, b, w) => st.lerp(a, b, w).square(), () => [r([2, 3]), r([3]), r([2, 1], 0, 1)]],
  ['addcmul', (x, a, b) => st.addcmul(x, a, b, { value: 0.5 }).square(), () => [r([3]), r([2, 3]), r([3])]],
  ['addcdiv', (x, a, b) => st.addcdiv(x, a, b, { value: 2 }), () => [r([3]), r([2, 3]), r([3], 0.5, 2)]],
  ['cross', (a, b) => st.cross(a, b, 1).square(), () => [r([2, 3]), r([2, 3])]],
  ['kron', (a, b) => st.kron(a, b).square(), () => [r([2, 2]), r([2])]],
  ['einsum bilinear', (a, w, b) => st.einsum('bn,anm,bm->ba', a, w, b), () => [r([2, 3]), r([2, 3, 2]), r([2, 2])]],
  ['einsum trace of product', (a, b) => st.einsum('ij,ji', a, b).square(), () => [r([2, 3]), r([3, 2])]],
  ['cdist p 2', (a, b) => st.cdist(a, b), () => [r([3, 2]), r([4, 2])]],
  ['cdist p 2 mm path', (a, b) => st.cdist(a, b, { computeMode: 'use_mm_for_euclid_dist' }), () => [r([3, 2]), r([2, 2])]],
  ['cdist p 3', (a, b) => st.cdist(a, b, 3), () => [r([2, 2]), r([3, 2])]],
];

forEachBackend(() => {
  for (const [name, fn, inputs] of GRADGRAD) {
    test(`gradgradcheck ${name}`, () => assert.equal(st.gradgradcheck(fn, inputs()), true));
  }

  test('diagonal is a view: writes through it reach the base, and its strides step along the diagonal', () => {
    const x = st.zeros([3, 4]);
    const d = st.diagonal(x, 1);
    assert.equal(d.storage, x.storage);
    assert.deepEqual([...d.strides], [5]);
    st.noGrad(() => d.fill_(7));
    assert.deepEqual(x.toArray(), [[0, 7, 0, 0], [0, 0, 7, 0], [0, 0, 0, 7]]);
    // In the graph: an in-place update of the diagonal of a non-leaf reaches the leaf's gradient.
    const leaf = r([3, 3]);
    const y = leaf.mul(1);
    y.diagonal().mul_(3);
    y.sum().backward();
    assert.deepEqual(leaf.grad?.toArray(), [[3, 1, 1], [1, 3, 1], [1, 1, 3]]);
  });

  test('swapaxes, movedim and .T are views; tile, roll, tril and diag copy', () => {
    const x = plain([2, 3, 4]);
    for (const v of [st.swapaxes(x, 0, 2), st.movedim(x, 0, -1), x.T, st.swapdims(x, 1, 2), st.moveaxis(x, [0], [1])]) {
      assert.equal(v.storage, x.storage);
    }
    const m = plain([3, 3]);
    for (const c of [st.tile(m, [1]), st.roll(m, 0), st.tril(m, 5), st.diag(m), st.triu(m, -5)]) assert.notEqual(c.storage, m.storage);
  });

  test('in-place tril_, triu_, lerp_, addcmul_, addcdiv_, nanToNum_ match the out-of-place ops', () => {
    const x = plain([3, 3]);
    const a = plain([3, 3]);
    const b = plain([3, 3], 0.5, 2);
    const cases: [(t: Tensor) => Tensor, Tensor][] = [
      [(t) => t.tril_(), st.tril(x)],
      [(t) => t.triu_(1), st.triu(x, 1)],
      [(t) => t.lerp_(a, 0.25), st.lerp(x, a, 0.25)],
      [(t) => t.addcmul_(a, b, { value: 2 }), st.addcmul(x, a, b, { value: 2 })],
      [(t) => t.addcdiv_(a, b, { value: -1 }), st.addcdiv(x, a, b, { value: -1 })],
      [(t) => t.nanToNum_({ nan: 1 }), st.nanToNum(x, { nan: 1 })],
    ];
    for (const [inPlace, expected] of cases) {
      const copy = x.clone();
      assert.equal(inPlace(copy), copy);
      assertClose(copy, expected, { rtol: 0, atol: 0 });
    }
    // Recorded in the graph on a non-leaf: d/dx of addcmul_(x·1, a, b) is 1, d/da is b.
    const leaf = r([3]);
    const w = r([3]);
    const y = leaf.mul(1).addcmul_(w, st.tensor([1, 2, 3], { dtype: 'float64' }));
    assert.equal(y.gradFn?.name, 'AddcmulBackward0');
    y.sum().backward();
    assert.deepEqual(leaf.grad?.toArray(), [1, 1, 1]);
    assert.deepEqual(w.grad?.toArray(), [1, 2, 3]);
  });

  test('einsum on larger inputs agrees with explicit loops and with matmul', () => {
    const a = plain([4, 5, 6]);
    const b = plain([4, 6, 3]);
    assertClose(st.einsum('bij,bjk->bik', a, b), st.matmul(a, b), { rtol: 1e-12, atol: 1e-12 });
    const c = plain([5, 6]);
    const got = st.einsum('bij,kj,bjl->bikl', a, c, b).data() as Float64Array;
    const A = a.data() as Float64Array;
    const B = b.data() as Float64Array;
    const C = c.data() as Float64Array;
    let worst = 0;
    for (let bi = 0; bi < 4; bi++) {
      for (let i = 0; i < 5; i++) {
        for (let k = 0; k < 5; k++) {
          for (let l = 0; l < 3; l++) {
            let s = 0;
            for (let j = 0; j < 6; j++) s += A[(bi * 5 + i) * 6 + j] * C[k * 6 + j] * B[(bi * 6 + j) * 3 + l];
            worst = Math.max(worst, Math.abs(s - got[((bi * 5 + i) * 5 + k) * 3 + l]));
          }
        }
      }
    }
    assert.ok(worst < 1e-12, `largest difference ${worst}`);
    // The operands may be given as one array, as torch.einsum(eq, [a, b]).
    assertClose(st.einsum('ij,jk', [c, b.select(0, 0)]), c.matmul(b.select(0, 0)), { rtol: 1e-12, atol: 1e-12 });
  });

  test('cdist: the matrix-product path (large inputs) agrees with the direct one, values and gradients', () => {
    const a1 = r([40, 8]);
    const b1 = r([30, 8]);
    const a2 = r([40, 8]);
    const b2 = r([30, 8]);
    st.noGrad(() => {
      a2.copy_(a1);
      b2.copy_(b1);
    });
    const mm = st.cdist(a1, b1);
    const direct = st.cdist(a2, b2, { computeMode: 'donot_use_mm_for_euclid_dist' });
    assert.equal(mm.gradFn?.name, 'ViewBackward0');
    assert.equal(direct.gradFn?.name, 'CdistBackward0');
    assertClose(mm, direct, { rtol: 1e-10, atol: 1e-10 });
    const g = plain([40, 30]);
    mm.backward(g);
    direct.backward(g);
    assertClose(a1.grad as Tensor, a2.grad as Tensor, { rtol: 1e-9, atol: 1e-9 });
    assertClose(b1.grad as Tensor, b2.grad as Tensor, { rtol: 1e-9, atol: 1e-9 });
    // float32 retrieval-sized inputs: distances as torch's p = 2 within float tolerance of the float64 ones.
    const q = plain([64, 16]).float();
    const db = plain([100, 16]).float();
    assertClose(st.cdist(q, db), st.cdist(q.double(), db.double()).float(), { rtol: 1e-4, atol: 1e-4 });
  });

  test('cdist rejects an unknown computeMode; the Tensor .T of a matrix is its transpose', () => {
    assertThrowsWith(() => st.cdist(plain([2, 2]), plain([2, 2]), { computeMode: 'fast' as never }), ['cdist', 'computeMode']);
    const m = plain([2, 3]);
    assert.deepEqual(m.T.toArray(), m.t().toArray());
  });
});
