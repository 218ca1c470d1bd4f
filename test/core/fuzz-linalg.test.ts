/**
 * PyTorch parity for linear-algebra edge cases found by differential fuzzing against torch 1.13: mixed-dtype
 * products raise, baddbmm / addr with a zero alpha, addmv with an empty matrix, addr's dtype promotion,
 * chainMatmul, cov with zero weights, trapezoid's formulas, tril / triu of 1-D tensors. Values, dtypes,
 * input gradients and gradFn names come from test/fixtures/fuzz_linalg.json, written by
 * tools/fixtures/fuzz_linalg.py; a case with `error` must throw an error naming the op.
 */
import * as st from '../../src/index.js';
import { addmm } from '../../src/ops/matmul.js';
import { fixtureCaseTests, readOpFixture } from './helpers.js';
import { runOpFixtureCase, type OpFixtureEntry } from './op-fixture.js';

const cases = readOpFixture('fuzz_linalg.json');

/** The Strata call for each op key of tools/fixtures/fuzz_linalg.py; the name errors must start with (default: the key). */
const OPS: Record<string, OpFixtureEntry> = {
  dot: { call: (t) => st.dot(t[0], t[1]) },
  mv: { call: (t) => st.mv(t[0], t[1]) },
  matmul: { call: (t) => st.matmul(t[0], t[1]) },
  addmm: { call: (t, a) => addmm(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
  baddbmm: { call: (t, a) => st.baddbmm(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
  addbmm: { call: (t, a) => st.addbmm(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
  addmv: { call: (t, a) => st.addmv(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
  addr: { call: (t, a) => st.addr(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
  chainMatmul: { call: (t) => st.chainMatmul(...t), gradFn: false },
  cov: { call: (t) => st.cov(t[0], { aweights: t[1] ?? null }) },
  trapezoid: { call: (t, a) => st.trapezoid(t[0], t.length > 1 ? { x: t[1], dim: a.dim ?? -1 } : { dx: a.dx ?? 1, dim: a.dim ?? -1 }), gradFn: false },
  tensordot: { call: (t, a) => st.tensordot(t[0], t[1], a.dims), gradFn: false },
  inner: { call: (t) => st.inner(t[0], t[1]), gradFn: false },
  tril: { call: (t) => st.tril(t[0]) },
  triu: { call: (t) => st.triu(t[0]) },
};

fixtureCaseTests(cases, OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the fuzz-linalg table');
