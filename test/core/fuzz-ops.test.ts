/**
 * PyTorch parity for core-op edge cases found by differential fuzzing against torch 1.13: add/sub with
 * alpha, 0-d reductions over dim 0, prod / max() / clamp / pow / remainder / cumprod gradients at NaN, inf
 * and zeros, rounded division's zero gradients, scatterAdd on 0-d and bool tensors, integer division by
 * zero with an empty result, lerp with negative weights, addmm's beta and alpha. Values, dtypes, input
 * gradients and gradFn names come from test/fixtures/fuzz_ops.json, written by tools/fixtures/fuzz_ops.py
 * (float cases in float32 and float64); a case with `error` must throw an error naming the op.
 */
import { test } from 'node:test';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { addmm } from '../../src/ops/matmul.js';
import { fixtureCaseTests, readOpFixture, type OpFixtureCase } from './helpers.js';
import { runOpFixtureCase, type OpFixtureEntry } from './op-fixture.js';

type Case = OpFixtureCase;

const fixture = { cases: readOpFixture('fuzz_ops.json') };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;

/** The second operand: a tensor input, or a plain number / boolean argument. */
const other = (t: Tensor[], a: A) => (t.length > 1 ? t[1] : a.other);

/** The Strata call for each op key of tools/fixtures/fuzz_ops.py; the name errors must start with (default: the key). */
const OPS: Record<string, OpFixtureEntry> = {
  add: { call: (t, a) => st.add(t[0], other(t, a), { alpha: a.alpha }) },
  sub: { call: (t, a) => st.sub(t[0], other(t, a), { alpha: a.alpha }) },
  div: { call: (t, a) => st.div(t[0], other(t, a), { roundingMode: a.roundingMode ?? null }) },
  remainder: { call: (t) => st.remainder(t[0], t[1]) },
  fmod: { call: (t) => st.fmod(t[0], t[1]) },
  pow: { call: (t) => st.pow(t[0], t[1]) },
  powNumberBase: { call: (t, a) => st.pow(a.base, t[0]), names: 'pow' },
  mean: { call: (t, a) => t[0].mean(a.dim) },
  var: { call: (t, a) => t[0].var(a.dim, { correction: a.correction }) },
  std: { call: (t, a) => t[0].std(a.dim, { correction: a.correction }) },
  prod: { call: (t, a) => t[0].prod(a.dim, { keepdim: a.keepdim ?? false }) },
  prodAll: { call: (t) => t[0].prod(), names: 'prod' },
  maxAll: { call: (t) => t[0].max(), names: 'max' },
  minAll: { call: (t) => t[0].min(), names: 'min' },
  clamp: { call: (t, a) => st.clamp(t[0], a.min, a.max) },
  scatterAdd: { call: (t, a) => st.scatterAdd(t[0], a.dim, t[1], t[2]) },
  scatter: { call: (t, a) => st.scatter(t[0], a.dim, t[1], a.value) },
  cumprod: { call: (t, a) => st.cumprod(t[0], a.dim) },
  lerp: { call: (t, a) => st.lerp(t[0], t[1], t.length > 2 ? t[2] : a.weight) },
  addmm: { call: (t, a) => addmm(t[0], t[1], t[2], { beta: a.beta, alpha: a.alpha }) },
};


fixtureCaseTests(fixture.cases, OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the fuzz-ops table');
