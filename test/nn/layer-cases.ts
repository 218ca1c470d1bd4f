/**
 * The layer cases of tools/fixtures/nn_modules.py and nn_modules_more.py (float64, deterministic
 * parameters and inputs): build the module, then check its printing, state-dict keys, output, input
 * and parameter gradients and the state after the forward pass against PyTorch's.
 */
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/index.js';

export interface Ser {
  shape: number[];
  data: number[];
}
export interface LayerCase {
  name: string;
  js: { cls: string; args?: unknown[]; options?: Record<string, unknown>; weight?: boolean; posWeight?: boolean };
  eval: boolean;
  /** The forward pass runs right after manualSeed(seed) (random layers in training). */
  seed?: number | null;
  /** Arguments passed to forward after the tensors. */
  extra?: unknown[];
  repr: string;
  state: [string, Ser][];
  inputs: (Ser & { kind: 'int' | 'float'; grad: boolean })[];
  y: Ser;
  gy: Ser;
  inputGrads: (Ser | null)[];
  paramGrads: [string, Ser][];
  stateAfter: [string, Ser][];
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) assert.fail(`${what}[${i}]: got ${actual[i]}, want ${expected[i]}`);
  }
}

export function toTensor(s: Ser, dtype: 'float64' | 'int32' | 'float32' = 'float64'): Tensor {
  return st.tensor(s.data, { dtype, shape: s.shape });
}

/** The nn class of a case's `cls`. */
export const ctorOf = (cls: string) => (nn as unknown as Record<string, new (...a: unknown[]) => nn.Module>)[cls];

function build(c: LayerCase): nn.Module {
  const options: Record<string, unknown> = { ...(c.js.options ?? {}) };
  const stateShape = (k: string) => c.state.find(([n]) => n === k)![1].shape;
  if (c.js.weight) options.weight = st.zeros(stateShape('weight'), { dtype: 'float64' });
  if (c.js.posWeight) options.posWeight = st.zeros(stateShape('pos_weight'), { dtype: 'float64' });
  const args = [...(c.js.args ?? [])];
  const Ctor = ctorOf(c.js.cls);
  return Object.keys(options).length ? new Ctor(...args, options) : new Ctor(...args);
}

/** Build the case's module in float64 with PyTorch's state and compare everything with PyTorch's. */
export function checkLayerCase(c: LayerCase): void {
  const m = build(c).double();
  assert.equal(m.toString(), c.repr, 'printing');
  assert.deepEqual([...m.stateDict().keys()], c.state.map(([k]) => k), 'stateDict keys');
  m.loadStateDict(new Map(c.state.map(([k, v]) => [k, toTensor(v, k.endsWith('num_batches_tracked') ? 'int32' : 'float64')])));
  if (c.eval) m.eval();
  const inputs = c.inputs.map((s) => {
    const t = toTensor(s, s.kind === 'int' ? 'int32' : 'float64');
    return s.grad ? t.requiresGrad_() : t;
  });
  if (c.seed !== undefined && c.seed !== null) st.manualSeed(c.seed);
  const y = m.forward(...inputs, ...(c.extra ?? [])) as Tensor;
  assert.deepEqual([...y.shape], c.y.shape, 'output shape');
  assertClose(y.data(), c.y.data, 1e-9, 1e-11, 'output');
  const params = new Map(m.namedParameters());
  assert.deepEqual([...params.keys()], c.paramGrads.map(([k]) => k), 'parameter names');
  if (y.requiresGrad) {
    y.backward(toTensor(c.gy).reshape(c.gy.shape));
    c.inputGrads.forEach((g, i) => {
      if (g) assertClose(inputs[i].grad!.data(), g.data, 1e-9, 1e-11, `input ${i} grad`);
    });
    for (const [k, g] of c.paramGrads) assertClose(params.get(k)!.grad!.data(), g.data, 1e-9, 1e-11, `${k} grad`);
  } else {
    assert.ok(c.inputGrads.every((g) => g === null || g.data.every((v) => v === 0)), 'no gradient expected');
  }
  const after = m.stateDict();
  for (const [k, v] of c.stateAfter) assertClose(after.get(k)!.data(), v.data, 1e-9, 1e-11, `state ${k} after forward`);
}
