/**
 * PyTorch 1.13 parity of nn modules where differential fuzzing found Strata differing
 * (tools/fixtures/fuzz_modules.py writes test/fixtures/fuzz_modules.json): Flatten of a 0-d input, Unflatten's
 * size checks, Bilinear with no input-1 features, Hardtanh's NaN bounds, LeakyReLU and ELU gradients with huge or
 * infinite slopes, GroupNorm and InstanceNorm channel rules without affine parameters, LocalResponseNorm of integer
 * inputs, zero-size dims (LayerNorm, InstanceNorm, dropout, Upsample without channels), dropout with p = 1 on
 * integer inputs, and norm/PReLU parameters of another dtype than the input (torch does not promote). Each case
 * builds the module in float64 or float32, loads torch's state, and compares printing, state keys, output (shape,
 * dtype, values), input and parameter gradients and the state after the forward; where torch raises, Strata must
 * throw. Runs once per backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, decode, type Value } from './functional-helpers.js';
import { readFileSync } from 'node:fs';

interface Ser {
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32' | 'bool';
  data: Value[];
}
interface ModuleCase {
  name: string;
  py: string;
  cls: string;
  args: unknown[];
  dtype: 'float32' | 'float64';
  train: boolean;
  seed?: number;
  /** torch's constructor raised (its exception class). */
  ctorError?: string;
  repr?: string;
  state?: [string, Ser][];
  /** The parameters were set from the fixture (false: Strata's defaults must equal torch's). */
  params?: boolean;
  inputs?: (Ser & { grad: boolean })[];
  /** torch's forward raised (its exception class). */
  error?: string;
  out?: Ser;
  grads?: (Ser | null)[];
  paramGrads?: [string, Ser][];
  stateAfter?: [string, Ser][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/fuzz_modules.json', import.meta.url), 'utf8')) as { cases: ModuleCase[] };

const toTensor = (s: Ser): Tensor =>
  st.tensor(s.dtype === 'int32' ? Int32Array.from(decode(s.data)) : decode(s.data), { shape: s.shape, dtype: s.dtype });

/** Constructor arguments: the strings 'inf', '-inf' and 'nan' stand for those numbers. */
const jsArg = (a: unknown): unknown => {
  if (a === 'inf' || a === '-inf' || a === 'nan') return decode([a])[0];
  if (Array.isArray(a)) return a.map(jsArg);
  if (a !== null && typeof a === 'object') return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, jsArg(v)]));
  return a;
};

/** The fixed upstream gradient g[i] = cos(0.37·i + 0.5) (0.75 for a 0-d output), in the output's dtype. */
function upstream(shape: number[], dtype: Tensor['dtype']): Tensor {
  if (shape.length === 0) return st.tensor(0.75, { dtype });
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37 + 0.5 + Math.PI / 2);
  return st.tensor(d, { shape }).to(dtype);
}

// float32: torch's reductions round differently (GroupNorm's input gradient to ~1e-5 of its largest value).
const tolerance = (dtype: string): [number, number] => (dtype === 'float32' ? [1e-4, 2e-5] : [1e-9, 1e-12]);

function checkModuleCase(c: ModuleCase): void {
  const Ctor = (nn as unknown as Record<string, new (...a: unknown[]) => nn.Module>)[c.cls];
  const args = c.args.map(jsArg);
  if (c.ctorError) {
    assert.throws(() => new Ctor(...args), Error, `the constructor must throw (torch: ${c.ctorError})`);
    return;
  }
  const m = new Ctor(...args).to(c.dtype);
  assert.equal(m.toString(), c.repr, 'printing');
  const sd = m.stateDict();
  assert.deepEqual([...sd.keys()], c.state!.map(([k]) => k), 'stateDict keys');
  for (const [k, v] of c.state!) {
    assert.deepEqual([...sd.get(k)!.shape], v.shape, `${k} shape`);
    assert.equal(sd.get(k)!.dtype, v.dtype, `${k} dtype`);
    if (!c.params) assertClose(sd.get(k)!, decode(v.data), `default ${k}`, ...tolerance(v.dtype));
  }
  m.loadStateDict(new Map(c.state!.map(([k, v]) => [k, toTensor(v)])));
  m.train(c.train);
  const xs = c.inputs!.map((s) => (s.grad ? toTensor(s).requiresGrad_() : toTensor(s)));
  if (c.seed !== undefined) st.manualSeed(c.seed);
  if (c.error) {
    assert.throws(() => m.forward(...xs), Error, `forward must throw (torch: ${c.error})`);
    return;
  }
  const y = m.forward(...xs) as Tensor;
  const [rtol, atol] = tolerance(c.out!.dtype);
  assert.deepEqual([...y.shape], c.out!.shape, 'output shape');
  assert.equal(y.dtype, c.out!.dtype, 'output dtype');
  assertClose(y, decode(c.out!.data), 'output', rtol, atol);
  assert.equal(y.requiresGrad, c.grads!.some((g) => g !== null), 'output requires grad');
  if (y.requiresGrad) {
    y.backward(upstream(c.out!.shape, y.dtype));
    c.grads!.forEach((g, i) => {
      if (g) assertClose(xs[i].grad!, decode(g.data), `input ${i} grad`, rtol, atol);
    });
    const params = new Map(m.namedParameters());
    for (const [k, g] of c.paramGrads!) assertClose(params.get(k)!.grad!, decode(g.data), `${k} grad`, rtol, atol);
  }
  const after = m.stateDict();
  for (const [k, v] of c.stateAfter!) assertClose(after.get(k)!, decode(v.data), `state ${k} after the forward`, ...tolerance(v.dtype));
}

for (const c of fixture.cases) {
  test(`fuzz: nn.${c.cls} matches PyTorch 1.13: ${c.name} [${c.py}]`, () => checkModuleCase(c));
}
