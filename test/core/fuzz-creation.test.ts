/**
 * PyTorch parity for tensor-creation and random-sampling edge cases found by differential fuzzing against
 * torch 1.13: integer arange / linspace (integer bounds first), bool
 * arange / linspace, integer fills of NaN and inf, randint's float32 and bool bounds, randperm's dtype,
 * allclose's checks, sizes as separate numbers (zeros(2, 3)). Values and dtypes come from
 * test/fixtures/fuzz_creation.json, written by tools/fixtures/fuzz_creation.py; a case with `error` must
 * throw an error naming the op. Random cases seed the default generator with args.seed first.
 */
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { decode, fixtureCaseTests, readOpFixture, type OpFixtureCase } from './helpers.js';
import { runOpFixtureCase, type OpArgs, type OpFixtureEntry } from './op-fixture.js';

const fixture = { cases: readOpFixture('fuzz_creation.json') };

/** A nested list with the strings 'nan', 'inf', '-inf' as numbers. */
const nested = (v: unknown): unknown => (Array.isArray(v) ? v.map(nested) : decode(v));

/** Seed the default generator, then draw. */
function seeded(a: OpArgs, draw: () => Tensor): Tensor {
  st.manualSeed(a.seed);
  return draw();
}

/** The dtype option of a case (none when the args give none). */
const dtype = (a: OpArgs) => (a.dtype ? { dtype: a.dtype } : {});

/** The Strata call for each op key of tools/fixtures/fuzz_creation.py; the name errors must start with (default: the key). */
const OPS: Record<string, OpFixtureEntry> = {
  arange: { call: (_, a) => st.arange(a.args[0], a.args[1], a.args[2], dtype(a)) },
  linspace: { call: (_, a) => st.linspace(a.start, a.end, a.steps, dtype(a)) },
  full: { call: (_, a) => st.full(a.shape, a.value, dtype(a)) },
  fullLike: { call: (t, a) => st.fullLike(t[0], a.value), names: 'full' },
  tensor: { call: (_, a) => st.tensor(nested(a.values) as number[], dtype(a)) },
  fill_: { call: (t, a) => t[0].clone().fill_(a.value) },
  zeros: { call: (_, a) => st.zeros(...a.sizes, dtype(a)) },
  rand: { call: (_, a) => seeded(a, () => st.rand(...a.sizes, dtype(a))) },
  randn: { call: (_, a) => seeded(a, () => st.randn(...a.sizes, dtype(a))) },
  randint: { call: (_, a) => seeded(a, () => st.randint(a.low, a.high, a.shape, dtype(a))) },
  randperm: { call: (_, a) => seeded(a, () => st.randperm(a.n, dtype(a))) },
  allclose: { call: (t, a) => st.allclose(t[0], t[1], { rtol: a.rtol, atol: a.atol }), names: 'isclose' },
};

fixtureCaseTests(fixture.cases as OpFixtureCase[], OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the fuzz-creation table');
