/**
 * PyTorch parity of every F function: test/fixtures/functional.json holds torch 1.13's outputs and
 * input gradients (tools/fixtures/functional.py). Each case runs in float64 (tight tolerance) and in
 * float32 (rtol 1e-4), with the same upstream gradient as torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, decode, type Value } from './functional-helpers.js';

interface Spec {
  shape: number[];
  dtype: 'float' | 'int32';
  data: Value[];
}
interface Arg {
  tensor?: Spec;
  grad?: boolean;
  gradOut?: Value[] | null;
  after?: Value[];
  value?: unknown;
}
interface Case {
  name: string;
  op: string;
  f64only: boolean;
  args: Arg[];
  kwargs: Record<string, unknown>;
  tensorKwargs: Record<string, Arg>;
  outputs: Spec[];
  gy: Value[] | null;
}

const fixture: { torch: string; cases: Case[] } = JSON.parse(readFileSync(new URL('../fixtures/functional.json', import.meta.url), 'utf8'));

function build(s: Spec, dtype: 'float32' | 'float64', grad: boolean): Tensor {
  if (s.dtype === 'int32') return st.tensor(Int32Array.from(decode(s.data)), { shape: s.shape });
  const t = st.tensor(Float64Array.from(decode(s.data)), { shape: s.shape }).to(dtype);
  return grad ? t.requiresGrad_() : t;
}

function run(c: Case, dtype: 'float32' | 'float64'): void {
  const [rtol, atol] = dtype === 'float64' ? [1e-9, 1e-12] : [1e-4, 2e-5];
  const args = c.args.map((a) => (a.tensor ? build(a.tensor, dtype, !!a.grad) : (a.value as unknown)));
  const tensorKwargs = Object.fromEntries(Object.entries(c.tensorKwargs).map(([k, a]) => [k, build(a.tensor!, dtype, !!a.grad)]));
  const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor | Tensor[]>)[c.op];
  assert.equal(typeof fn, 'function', `F.${c.op} is missing`);
  const result = fn(...args, { ...c.kwargs, ...tensorKwargs });
  const outs = Array.isArray(result) ? result : [result];
  assert.equal(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  outs.forEach((o, i) => {
    const e = c.outputs[i];
    assert.deepEqual(o.shape, e.shape, `${c.name}: output ${i} shape`);
    if (e.dtype === 'int32') assert.deepEqual(Array.from(o.data()), decode(e.data), `${c.name}: output ${i} (integers)`);
    else {
      assert.equal(o.dtype, dtype, `${c.name}: output ${i} dtype`);
      assertClose(o, decode(e.data), `${c.name} [${dtype}] output ${i}`, rtol, atol);
    }
  });
  c.args.forEach((a, i) => {
    if (a.after) assertClose(args[i] as Tensor, decode(a.after), `${c.name} [${dtype}] argument ${i} after the call`, rtol, atol);
  });
  if (!c.gy) return;
  outs[0].backward(st.tensor(Float64Array.from(decode(c.gy)), { shape: outs[0].shape }).to(dtype));
  const check = (t: Tensor, a: Arg, what: string) => {
    if (!a.grad || !a.gradOut) return;
    assert.ok(t.grad, `${c.name}: ${what} has no gradient`);
    assertClose(t.grad!, decode(a.gradOut), `${c.name} [${dtype}] gradient of ${what}`, rtol, atol);
  };
  c.args.forEach((a, i) => check(args[i] as Tensor, a, `argument ${i}`));
  Object.entries(c.tensorKwargs).forEach(([k, a]) => check(tensorKwargs[k], a, k));
}

const groups = new Map<string, Case[]>();
for (const c of fixture.cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);

for (const [op, cases] of groups) {
  test(`F.${op} matches PyTorch ${fixture.torch} (${cases.length} case${cases.length > 1 ? 's' : ''}, float64 and float32)`, () => {
    for (const c of cases) {
      run(c, 'float64');
      if (!c.f64only) run(c, 'float32');
    }
  });
}
