/**
 * PyTorch parity of tensor indexing: `x.index(spec)` / `st.index` as torch's x[spec] (views for basic specs,
 * copies with index tensors; grad_fn chains and gradients), `x.setIndex_(spec, v)` as x[spec] = v and
 * `st.indexPut` / `x.indexPut` as torch.index_put. Cases come from test/fixtures/advanced_index.json, written
 * by tools/fixtures/advanced_index.py; a case with `error` must throw torch's message (see errorMatches).
 * Every case runs on each backend; float64 gradchecks of index and indexPut follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { IndexEntry, IndexSpec } from '../../src/ops/advanced-index.js';
import { assertClose, assertFixtureOut, decode, fixtureCaseTests, fixtureInput, forEachBackend, magnitude, rnd, type FixtureOut, type FixtureSpec } from './helpers.js';
import { upstream } from './parity-ops.js';

type Entry = number | string | null | boolean | { tensor: FixtureSpec } | { list: unknown[] };
interface Case {
  name: string;
  kind: 'index' | 'setitem' | 'indexPut';
  op: string;
  x: FixtureSpec;
  spec?: { one: Entry } | { tuple: Entry[] };
  value?: FixtureSpec | number | boolean;
  indices?: (FixtureSpec | null)[];
  accumulate?: boolean;
  leaf?: boolean;
  out?: FixtureOut;
  view?: boolean;
  gradFn?: string[];
  grads?: { x: (number | string)[]; value?: (number | string)[] };
  error?: string;
}

const raw = JSON.parse(readFileSync(new URL('../fixtures/advanced_index.json', import.meta.url), 'utf8')) as { cases: Omit<Case, 'op'>[] };
const cases: Case[] = raw.cases.map((c) => ({ ...c, op: c.kind }));

function entry(e: Entry): IndexEntry {
  if (e !== null && typeof e === 'object') return 'tensor' in e ? fixtureInput(e.tensor) : (e.list as IndexEntry);
  return e;
}

/** A lone array entry is wrapped once more: a top-level array is always the tuple of entries. */
function spec(s: Case['spec']): IndexSpec {
  if (!s) throw new Error('case without spec');
  if ('tuple' in s) return s.tuple.map(entry);
  return s.one !== null && typeof s.one === 'object' && 'list' in s.one ? [entry(s.one)] : entry(s.one);
}

const floating = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

function input(s: FixtureSpec, grad: boolean): Tensor {
  const t = fixtureInput(s);
  return grad && floating(t) ? t.requiresGrad_() : t;
}

function value(c: Case): Tensor | number | boolean {
  const v = c.value as Case['value'];
  return v !== null && typeof v === 'object' ? input(v, true) : (v as number | boolean);
}

/** torch's message with its dtype names as Strata's, and without a trailing "(got …)" detail. */
const TORCH_DTYPES: Record<string, string> = { Float: 'float32', Double: 'float64', Long: 'int32', Int: 'int32', Bool: 'bool' };
/** Errors raised by Strata's shared in-place and broadcast machinery, matched by their class. */
const CLASSES: [RegExp, RegExp][] = [
  [/leaf Variable that requires grad/, /leaf tensor that requires grad cannot be modified in place/],
  [/The expanded size of the tensor/, /expanded size \d+ must match the existing size/],
];

function errorMatches(message: string, torchMessage: string): boolean {
  for (const [torchClass, strataClass] of CLASSES) if (torchClass.test(torchMessage)) return strataClass.test(message);
  const expected = torchMessage.replace(/\b(Float|Double|Long|Int|Bool)\b/g, (m) => TORCH_DTYPES[m]).replace(/\s*\(got [^)]*\)\.?$/, '');
  return message.includes(expected);
}

/** grad_fn names from t down to its leaf, following each node's first recorded input (as the fixture walks torch's). */
function chain(t: Tensor): string[] {
  const names: string[] = [];
  let node = t.gradFn;
  while (node) {
    names.push(node.name);
    const next = node.edges.find((e) => e !== null);
    node = next && !(next instanceof st.Tensor) ? next : null;
  }
  return names;
}

function weightedBackward(t: Tensor): void {
  t.mul(upstream(t, 0)).sum().backward();
}

function checkGrad(t: Tensor, expected: (number | string)[], what: string): void {
  assertClose(t.grad ?? st.zerosLike(t), expected.map(decode), { rtol: 1e-5, atol: 1e-6 * magnitude(expected), what });
}

function run(c: Case, call: () => { result: Tensor; leaves: { x: Tensor; value?: Tensor | number | boolean } }): void {
  if (c.error !== undefined) {
    assert.throws(call, (e: Error) => errorMatches(e.message, c.error as string), `PyTorch raises: ${c.error}`);
    return;
  }
  const { result, leaves } = call();
  assertFixtureOut(result, c.out as FixtureOut, 'output');
  if (!c.grads) {
    assert.equal(result.requiresGrad, false, 'PyTorch records no gradient for this case');
    return;
  }
  const names = chain(result);
  assert.deepEqual(c.kind === 'index' ? names : names.slice(0, 1), c.gradFn, 'grad_fn chain');
  weightedBackward(result);
  checkGrad(leaves.x, c.grads.x, 'grad of x');
  if (c.grads.value) checkGrad(leaves.value as Tensor, c.grads.value, 'grad of value');
}

const OPS = {
  index: (c: Case) => {
    // The Tensor method and st.index give the same view / copy.
    for (const viaMethod of [true, false]) {
      run(c, () => {
        const x = input(c.x, true);
        const result = viaMethod ? x.index(spec(c.spec)) : st.index(x, spec(c.spec));
        assert.equal(result.storage === x.storage, c.view, 'result is a view of x');
        return { result, leaves: { x } };
      });
    }
  },
  setitem: (c: Case) =>
    run(c, () => {
      const x = input(c.x, true);
      const v = value(c);
      const y = c.leaf || !floating(x) ? (c.leaf ? x : x.clone()) : x.mul(1);
      assert.equal(y.setIndex_(spec(c.spec), v), y, 'setIndex_ returns its tensor');
      return { result: y, leaves: { x, value: v } };
    }),
  indexPut: (c: Case) => {
    for (const viaMethod of [true, false]) {
      run(c, () => {
        const x = input(c.x, true);
        const v = value(c);
        const indices = (c.indices ?? []).map((i) => (i === null ? null : fixtureInput(i)));
        const options = { accumulate: c.accumulate };
        const result = viaMethod ? x.indexPut(indices, v, options) : st.indexPut(x, indices, v, options);
        return { result, leaves: { x, value: v } };
      });
    }
  },
};

fixtureCaseTests(cases, OPS, (c) => OPS[c.kind](c), 'the advanced-index table');

forEachBackend(() => {
  test('gradcheck of index (basic and advanced parts, duplicates) and indexPut in float64', () => {
    const idx = st.tensor([[2, 0], [2, 1]], { dtype: 'int32' });
    assert.equal(st.gradcheck((x) => x.index([':', idx, '1:']), [rnd([3, 3, 4])]), true);
    assert.equal(st.gradcheck((x) => x.index([[1, 1, 0], null, [false, true, false]]), [rnd([2, 3])]), true);
    for (const accumulate of [true, false]) {
      // Repeated rows only when accumulating: torch's gradient of an overwritten value is not its true (zero) one.
      const rows = st.tensor(accumulate ? [0, 2, 0] : [2, 0, 1], { dtype: 'int32' });
      assert.equal(st.gradcheck((x, v) => st.indexPut(x, [rows], v, { accumulate }), [rnd([3, 4]), rnd([3, 4], { seed: 2 })]), true);
      assert.equal(st.gradcheck((x, v) => st.indexPut(x, [null, st.tensor([1, 3], { dtype: 'int32' })], v, { accumulate }), [rnd([3, 4]), rnd([2], { seed: 3 })]), true);
    }
  });

  test('indexPut_ and setIndex_ bump the version: a node that saved the old values refuses to run', () => {
    const x = rnd([3, 4]);
    const y = x.exp();
    y.setIndex_([[0]], 1);
    assert.throws(() => y.sum().backward(), /modified by an inplace operation/);
    const z = x.sigmoid();
    z.indexPut_([st.tensor([1], { dtype: 'int32' })], st.tensor(0, { dtype: 'float64' }));
    assert.throws(() => z.sum().backward(), /modified by an inplace operation/);
  });

  test('writes through setIndex_ reach the base of a view (CopySlices) and its gradient', () => {
    const x = rnd([3, 4]);
    const y = x.mul(2);
    const row = y.index(1);
    row.setIndex_([[0, 2]], st.tensor([5, 6], { dtype: 'float64' }));
    assert.deepEqual(Array.from(y.index([1, [0, 2]]).data()), [5, 6]);
    assert.equal(y.gradFn?.name, 'CopySlices');
    y.sum().backward();
    assert.deepEqual(Array.from((x.grad as Tensor).index(1).data()), [0, 2, 0, 2]);
  });
});

forEachBackend(() => {
  // Rows of 64 elements or more are copied as blocks (a dataset batch); shorter ones element by element.
  const longRows: [string, number[], number, number[]][] = [
    ['dim 0, rows of 784', [5, 1, 28, 28], 0, [4, 0, 4, 2]],
    ['dim 1, rows of 64', [2, 3, 64], 1, [2, 2, 0]],
    ['dim 1, rows of 63', [2, 3, 63], 1, [1, 0]],
    ['last dim', [3, 70], 1, [69, 0, 5]],
  ];
  for (const dtype of ['float32', 'float64', 'int32'] as const)
    for (const [name, shape, dim, index] of longRows)
      test(`indexSelect ${name} (${dtype}) equals selecting each element`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = st.arange(0, n, 1, { dtype }).reshape(shape);
        const got = x.indexSelect(dim, index);
        const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
        const size = shape[dim];
        const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
        const want: number[] = [];
        for (let o = 0; o < outer; o++) for (const i of index) for (let k = 0; k < inner; k++) want.push((o * size + i) * inner + k);
        assert.deepEqual(got.shape, [...shape.slice(0, dim), index.length, ...shape.slice(dim + 1)]);
        assert.equal(got.dtype, dtype);
        assert.deepEqual(Array.from(got.data()), want);
      });
});
