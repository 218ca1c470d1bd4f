/**
 * PyTorch parity for sorting, scan and product edge cases found by differential fuzzing against torch 1.13:
 * topk / kthvalue of 0-d bool tensors, cumprod's gradient around zeros with infinities or NaN, cummax /
 * cummin ignoring dim for 0-d and empty inputs, einsum's dtypes, summation order and errors, cdist's
 * matrix-product form with infinities, p = 0 with NaN and its gradients. Values, dtypes, input gradients
 * and gradFn names come from test/fixtures/fuzz_sortscan.json, written by tools/fixtures/fuzz_sortscan.py;
 * a case with `error` must throw an error naming the op.
 */
import * as st from '../../src/index.js';
import { fixtureCaseTests, readOpFixture } from './helpers.js';
import { runOpFixtureCase, type OpFixtureEntry } from './op-fixture.js';

const cases = readOpFixture('fuzz_sortscan.json');

/** The Strata call for each op key of tools/fixtures/fuzz_sortscan.py; the name errors must start with (default: the key). */
const OPS: Record<string, OpFixtureEntry> = {
  topk: { call: (t, a) => st.topk(t[0], a.k, a.dim ?? -1, { largest: a.largest, sorted: a.sorted }), method: (t, a) => t[0].topk(a.k, a.dim ?? -1, { largest: a.largest, sorted: a.sorted }) },
  mode: { call: (t, a) => st.mode(t[0], a.dim ?? -1) },
  kthvalue: { call: (t, a) => st.kthvalue(t[0], a.k, a.dim ?? -1, a.keepdim ?? false) },
  cumprod: { call: (t, a) => st.cumprod(t[0], a.dim, a.dtype ? { dtype: a.dtype } : undefined) },
  cummax: { call: (t, a) => st.cummax(t[0], a.dim), method: (t, a) => t[0].cummax(a.dim) },
  cummin: { call: (t, a) => st.cummin(t[0], a.dim), method: (t, a) => t[0].cummin(a.dim) },
  einsum: { call: (t, a) => st.einsum(a.eq, ...t), gradFn: false },
  cdist: { call: (t, a) => st.cdist(t[0], t[1], { p: a.p, computeMode: a.computeMode }) },
};

fixtureCaseTests(cases, OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the fuzz-sortscan table');
