/**
 * PyTorch parity: every case of test/fixtures/core.json (written by tools/fixtures/core.py
 * with torch 1.13) is run through Strata: outputs, dtypes and shapes, and the input
 * gradients for the same upstream gradient. Also the creation functions and the RNG streams.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, decode, decodeArgs, fixtureCaseTests, forEachBackend, magnitude } from './helpers.js';
import { OPS, backwardOfWeightedSum, makeInput, type Case, type Out } from './parity-ops.js';

interface CreationCase {
  name: string;
  fn: string;
  args: unknown[];
  out: Out;
}
interface RngCase {
  name: string;
  seed: number;
  results: (Out & { call: unknown[] })[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/core.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  creation: CreationCase[];
  rng: RngCase[];
};

/** Case-specific tolerance multipliers (float32 results computed in a different order than torch). */
const TOLERANCE: Record<string, number> = {
  // torch rounds 1000 + log 2 to float32 before the softmax-like gradient; Strata is more exact.
  'logsumexp large': 10,
};

function compare(actual: Tensor, expected: Out, what: string, tol: number): void {
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  const isFloat = expected.dtype === 'float32' || expected.dtype === 'float64';
  if (!isFloat) {
    assert.deepEqual(Array.from(actual.data() as ArrayLike<number>), expected.data.map(decode), `${what}: values`);
    return;
  }
  // float32: relative 1e-5, absolute 1e-6 scaled by the tensor's magnitude.
  assertClose(actual, expected.data.map(decode), { rtol: 1e-5 * tol, atol: 1e-6 * tol * magnitude(expected.data), what });
}

function runCase(c: Case): void {
  const fn = OPS[c.op];
  assert.ok(fn, `no Strata op for fixture op key '${c.op}'`);
  const made = c.inputs.map(makeInput);
  const args = decodeArgs(c.args);
  const result = fn(made.map((m) => m.input), args);
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.out.length, 'number of outputs');
  const tol = (c.tol ?? 1) * (TOLERANCE[c.name] ?? 1);
  outs.forEach((o, k) => compare(o, c.out[k], `output ${k}`, tol));
  if (!c.grads) return;
  backwardOfWeightedSum(outs);
  c.grads.forEach((g, i) => {
    if (g === null) return;
    const leaf = made[i].leaf;
    const actual = leaf.grad ?? st.zerosLike(leaf);
    assert.deepEqual([...actual.shape], c.inputs[i].shape, `grad ${i}: shape`);
    assertClose(actual, g.map(decode), { rtol: 1e-5 * tol, atol: 1e-6 * tol * magnitude(g), what: `grad of input ${i}` });
  });
}

const CREATE: Record<string, (...args: never[]) => Tensor> = {
  arange: st.arange as never,
  linspace: st.linspace as never,
  eye: st.eye as never,
  full: st.full as never,
  zeros: st.zeros as never,
  ones: st.ones as never,
};

function runRng(c: RngCase): void {
  st.manualSeed(c.seed);
  c.results.forEach((r, i) => {
    const [kind, ...a] = r.call as [string, ...any[]];
    let t: Tensor;
    if (kind === 'rand') t = st.rand(a[0], { dtype: a[1] });
    else if (kind === 'randn') t = st.randn(a[0], { dtype: a[1] });
    else if (kind === 'randint') t = st.randint(a[0], a[1], a[2], { dtype: a[3] });
    else if (kind === 'randperm') t = st.randperm(a[0]);
    else if (kind === 'uniform_') t = st.uniform_(st.empty(a[0], { dtype: a[3] }), a[1], a[2]);
    else if (kind === 'normal_') t = st.normal_(st.empty(a[0], { dtype: a[3] }), a[1], a[2]);
    else if (kind === 'uniform_T' || kind === 'normal_T') {
      t = st.empty(a[0], { dtype: a[3] });
      (kind === 'uniform_T' ? st.uniform_ : st.normal_)(t.t(), a[1], a[2]);
    }
    else throw new Error(`unknown rng call ${kind}`);
    const what = `call ${i} ${JSON.stringify(r.call)}`;
    assert.equal(t.dtype, r.dtype, `${what}: dtype`);
    assert.deepEqual([...t.shape], r.shape, `${what}: shape`);
    if (r.dtype === 'int32' || kind === 'randint') assert.deepEqual(Array.from(t.data() as ArrayLike<number>), r.data, `${what}: values`);
    else if (r.dtype === 'float64' && (kind === 'rand' || kind.startsWith('uniform_'))) assertClose(t, r.data.map(decode), { rtol: 1e-15, atol: 0, what });
    else if (r.dtype === 'float64') assertClose(t, r.data.map(decode), { rtol: 1e-12, atol: 1e-14, what });
    else assertClose(t, r.data.map(decode), { rtol: 1e-6, atol: 1e-7, what });
  });
}

fixtureCaseTests(fixture.cases, OPS, runCase, 'the Strata table');

forEachBackend(() => {
  for (const c of fixture.creation) {
    test(`creation: ${c.name}`, () => {
      const fn = CREATE[c.fn];
      assert.ok(fn, `no creation function ${c.fn}`);
      compare((fn as (...args: unknown[]) => Tensor)(...c.args), c.out, 'output', 1);
    });
  }

  for (const c of fixture.rng) test(`rng: ${c.name}`, () => runRng(c));
});

