/**
 * PyTorch parity for the core-op audit: edge cases where Strata once differed from torch 1.13
 * (promotion with bools and plain numbers, NaN clamp bounds, empty tensors, keepdim/dtype given in an
 * options object, inputs torch rejects). Expected results come from test/fixtures/audit_ops.json,
 * written by tools/fixtures/audit_ops.py; a case with `error` must throw an error naming the op.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertFixtureOut, decode, decodeArgs, fixtureCaseTests, fixtureInput, type FixtureOut, type FixtureSpec } from './helpers.js';

type Expected = FixtureOut | FixtureOut[] | { value: number | boolean | string };
interface Case {
  name: string;
  op: string;
  inputs: FixtureSpec[];
  args: Record<string, unknown>;
  out?: Expected;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/audit_ops.json', import.meta.url), 'utf8')) as { cases: Case[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;
type Result = Tensor | Tensor[] | boolean | number;

const other = (t: Tensor[], a: A) => (t.length > 1 ? t[1] : a.other);
const keep = (a: A) => ({ keepdim: a.keepdim ?? false });
const unary = (name: string) => (t: Tensor[]) => (t[0] as unknown as Record<string, () => Tensor>)[name]();

/** The Strata call for each op key of tools/fixtures/audit_ops.py; the error prefix each must name. */
const OPS: Record<string, { call: (t: Tensor[], a: A) => Result; names?: string }> = {
  add: { call: (t, a) => st.add(t[0], other(t, a), { alpha: a.alpha }) },
  sub: { call: (t, a) => st.sub(t[0], other(t, a)) },
  rsub: { call: (t, a) => st.rsub(t[0], a.other), names: 'sub' },
  div: { call: (t, a) => st.div(t[0], t[1], { roundingMode: a.roundingMode ?? null }) },
  remainder: { call: (t) => st.remainder(t[0], t[1]) },
  fmod: { call: (t) => st.fmod(t[0], t[1]) },
  pow: { call: (t, a) => st.pow(t[0], t.length > 1 ? t[1] : a.exponent) },
  square: { call: unary('square') },
  neg: { call: unary('neg') },
  abs: { call: unary('abs') },
  floor: { call: unary('floor') },
  ceil: { call: unary('ceil') },
  trunc: { call: unary('trunc') },
  round: { call: (t, a) => ('decimals' in a ? t[0].round({ decimals: a.decimals }) : t[0].round()) },
  relu: { call: unary('relu') },
  clamp: { call: (t, a) => st.clamp(t[0], a.min, a.max) },
  where: { call: (t, a) => st.where(t[0], a.a, a.b) },
  maskedFill: { call: (t, a) => t[0].maskedFill(t[1], t.length > 2 ? t[2] : a.value) },
  allclose: { call: (t) => st.allclose(t[0], t[1]) },
  max: { call: (t) => (t.length > 1 ? st.max(t[0], t[1]) : st.max(t[0])) },
  min: { call: (t) => (t.length > 1 ? st.min(t[0], t[1]) : st.min(t[0])) },
  maxMethod: { call: (t) => t[0].max(t[1]), names: 'max' },
  minMethod: { call: (t) => t[0].min(t[1]), names: 'min' },
  maxDim: { call: (t, a) => [...t[0].max(a.dim, keep(a))], names: 'max' },
  sum: { call: (t, a) => t[0].sum(a.dim, { ...keep(a), dtype: a.dtype }) },
  mean: { call: (t, a) => t[0].mean(a.dim, { ...keep(a), dtype: a.dtype }) },
  prod: { call: (t, a) => t[0].prod(a.dim, { ...keep(a), dtype: a.dtype }) },
  prodAll: { call: (t, a) => t[0].prod(null, { dtype: a.dtype }), names: 'prod' },
  amax: { call: (t, a) => t[0].amax(a.dim, keep(a)) },
  argmax: { call: (t, a) => t[0].argmax(a.dim, keep(a)) },
  argmin: { call: (t, a) => t[0].argmin(a.dim, keep(a)) },
  logsumexp: { call: (t, a) => t[0].logsumexp(a.dim, keep(a)) },
  norm: { call: (t, a) => t[0].norm(a.p, a.dim, keep(a)) },
  all: { call: (t, a) => t[0].all(a.dim, keep(a)) },
  any: { call: (t, a) => t[0].any(a.dim, keep(a)) },
  chunk: { call: (t, a) => t[0].chunk(a.chunks, a.dim ?? 0) },
  flip: { call: (t, a) => t[0].flip(a.dims) },
  select: { call: (t, a) => t[0].select(a.dim, a.index) },
  unbind: { call: (t, a) => t[0].unbind(a.dim) },
  cat: { call: (t, a) => st.cat(t, a.dim ?? 0) },
  gather: { call: (t, a) => t[0].gather(a.dim, t[1]) },
  scatterAdd: { call: (t, a) => st.scatterAdd(t[0], a.dim, t[1], t[2]) },
  oneHot: { call: (t, a) => st.oneHot(t[0], a.numClasses ?? -1) },
  matmul: { call: (t) => st.matmul(t[0], t[1]) },
  dot: { call: (t) => st.dot(t[0], t[1]) },
  full: { call: (_t, a) => st.full(a.shape, a.value, { dtype: a.dtype }) },
  toInt: { call: (t) => t[0].int(), names: 'to' },
  add_: { call: (t, a) => t[0].clone().add_(other(t, a)) },
  div_: { call: (t, a) => t[0].clone().div_(a.other) },
  clamp_: { call: (t, a) => t[0].clone().clamp_(a.min, a.max) },
};

function runCase(c: Case): void {
  const op = OPS[c.op];
  assert.ok(op, `no Strata op for fixture op key '${c.op}'`);
  const inputs = c.inputs.map(fixtureInput);
  const args = decodeArgs(c.args);
  if (c.error !== undefined) {
    const name = op.names ?? c.op;
    assert.throws(() => op.call(inputs, args), (e: Error) => e.message.startsWith(name), `PyTorch raises: ${c.error}`);
    return;
  }
  const result = op.call(inputs, args);
  const expected = c.out as Expected;
  if ('value' in expected) {
    assert.equal(result, typeof expected.value === 'string' ? decode(expected.value) : expected.value);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(result), 'expected a list of tensors');
    assert.equal(result.length, expected.length, 'number of outputs');
    expected.forEach((e, k) => assertFixtureOut(result[k], e, `output ${k}`));
  } else {
    assertFixtureOut(result, expected, 'output');
  }
}

fixtureCaseTests(fixture.cases, OPS, runCase, 'the audit table');
