/**
 * The runner of the op-table fixture suites (misc-ops, fuzz-ops, ops-more): a case's call through st.* and
 * the Tensor method, compared with torch's outputs, gradFn name and input gradients, or its error.
 */
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertFixtureOut, decode, decodeArgs, fixtureInput, magnitude, type FixtureOut, type OpFixtureCase } from './helpers.js';
import { upstream } from './parity-ops.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpArgs = Record<string, any>;
export type OpResult = Tensor | Tensor[] | boolean;

/** How Strata makes a fixture op's call. */
export interface OpFixtureEntry {
  call: (t: Tensor[], a: OpArgs) => OpResult;
  /** The same call as a Tensor method, checked too. */
  method?: (t: Tensor[], a: OpArgs) => OpResult;
  /** The op name an error message must start with (default: the fixture's op key). */
  names?: string;
  /** false: the gradFn name differs from torch's last node (composite ops). */
  gradFn?: false;
}

/** The outputs of a call as a list of tensors (a plain boolean as a 0-d bool tensor, as the fixtures write it). */
export function opOutputs(r: OpResult): Tensor[] {
  if (typeof r === 'boolean') return [st.tensor(r)];
  return Array.isArray(r) ? [...r] : [r];
}

export function runOpFixtureCase(c: OpFixtureCase, op: OpFixtureEntry | undefined): void {
  assert.ok(op, `no Strata op for fixture op key '${c.op}'`);
  const args = decodeArgs(c.args);
  const name = op.names ?? c.op;
  if (c.error !== undefined) {
    for (const call of [op.call, op.method]) {
      if (!call) continue;
      const inputs = c.inputs.map(fixtureInput);
      assert.throws(() => call(inputs, args), (e: Error) => e.message.startsWith(name), `PyTorch raises: ${c.error}`);
    }
    return;
  }
  const expected = c.out as FixtureOut[];
  const tol = c.tol ?? 1e-6;
  const check = (outs: Tensor[], what: string) => {
    assert.equal(outs.length, expected.length, `${what}: number of outputs`);
    outs.forEach((o, k) => assertFixtureOut(o, expected[k], `${what} ${k}`, tol));
  };
  if (op.method) check(opOutputs(op.method(c.inputs.map(fixtureInput), args)), 'method output');
  const inputs = c.inputs.map(fixtureInput);
  const outs = opOutputs(op.call(inputs, args));
  check(outs, 'output');
  if (!c.grads && !c.gradError) {
    assert.ok(outs.every((o) => !o.requiresGrad), 'PyTorch records no gradient for this case');
    return;
  }
  // Strata names torch's torch::autograd::NotImplemented node 'NotImplemented' (as scatter with reduce).
  if (op.gradFn !== false) assert.equal(outs[0].gradFn?.name, c.gradFn?.replace('torch::autograd::', ''), 'gradFn');
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    if (!o.requiresGrad) return;
    const term = o.mul(upstream(o, k)).sum();
    loss = loss ? loss.add(term) : term;
  });
  const backward = () => (loss as unknown as Tensor).backward();
  if (c.gradError !== undefined) {
    assert.throws(backward, /not implemented/, `PyTorch's backward raises: ${c.gradError}`);
    return;
  }
  backward();
  (c.grads ?? []).forEach((g, i) => {
    if (g === null) return;
    const leaf = inputs[i];
    const actual = leaf.grad ?? st.zerosLike(leaf);
    assert.deepEqual([...actual.shape], c.inputs[i].shape, `grad ${i}: shape`);
    assertClose(actual, g.map(decode), { rtol: Math.max(tol, 1e-5), atol: Math.max(tol, 1e-5) * 0.1 * magnitude(g), what: `grad of input ${i}` });
  });
}
