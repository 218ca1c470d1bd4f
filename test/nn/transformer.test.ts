/**
 * nn.MultiheadAttention and the Transformer layers against torch 1.13 (tools/fixtures/transformer.py writes
 * test/fixtures/transformer.json): for every scenario, the seeded initial state dict (names, order, values), the
 * printing, and in float64 the outputs and the gradients of every input and parameter; float32 outputs too.
 * Then errors, F.scaledDotProductAttention against the same attention written out, and nn.utils.deepCopy.
 * Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, decode, det, type Value } from './functional-helpers.js';

interface Spec {
  shape: number[];
  dtype: 'float' | 'int32' | 'bool';
  data: (Value | boolean)[];
}
interface Scenario {
  name: string;
  kind: 'mha' | 'encoder_layer' | 'decoder_layer' | 'encoder' | 'decoder' | 'transformer';
  /** PyTorch's positional constructor arguments (embed/model size, heads); null for nn.Transformer. */
  positional: [number, number] | null;
  js: Record<string, any>;
  train: boolean;
  noGrad: boolean;
  same: Record<string, string>;
  init: Record<string, { shape: number[]; data: Value[] }>;
  repr: string;
  inputs: Record<string, Spec>;
  outputs: (Spec | null)[];
  inputGrads?: Record<string, Value[] | null>;
  paramGrads?: Record<string, Value[] | null>;
}

const fixture: {
  torch: string;
  scenarios: Scenario[];
  errors: { name: string; torch: string }[];
  reprs: { mha_kdim: string; mha_kdim_keys: [string, number[]][]; mask: Value[]; transformer_keys: [string, number[]][] };
} = JSON.parse(readFileSync(new URL('../fixtures/transformer.json', import.meta.url), 'utf8'));

function tensorOf(spec: Spec, dtype: 'float32' | 'float64'): Tensor {
  if (spec.dtype === 'bool') return st.tensor(spec.data as boolean[], { shape: spec.shape, dtype: 'bool' } as any);
  return st.tensor(Float64Array.from(decode(spec.data as Value[])), { shape: spec.shape }).to(dtype);
}

/** The scenario's module, built as transformer.py builds it (after manualSeed(0)). */
function build(s: Scenario): nn.Module {
  st.manualSeed(0);
  const [E, H] = s.positional ?? [0, 0];
  const js = s.js;
  switch (s.kind) {
    case 'mha':
      return new nn.MultiheadAttention(E, H, js);
    case 'encoder_layer':
      return new nn.TransformerEncoderLayer(E, H, js);
    case 'decoder_layer':
      return new nn.TransformerDecoderLayer(E, H, js);
    case 'encoder':
      return new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, H, js.layer), js.numLayers, {
        norm: js.norm ? new nn.LayerNorm(E) : null, enableNestedTensor: js.enableNestedTensor,
      });
    case 'decoder':
      return new nn.TransformerDecoder(new nn.TransformerDecoderLayer(E, H, js.layer), js.numLayers, { norm: js.norm ? new nn.LayerNorm(E) : null });
    case 'transformer':
      return new nn.Transformer(js);
  }
}

/** Runs the scenario's forward call; returns the outputs (null where PyTorch returns None). */
function call(s: Scenario, m: nn.Module, ins: Record<string, Tensor>): (Tensor | null)[] {
  switch (s.kind) {
    case 'mha':
      return (m as nn.MultiheadAttention).forward(ins.q!, ins.k!, ins.v!, {
        keyPaddingMask: ins.key_padding_mask, attnMask: ins.attn_mask,
        needWeights: !s.name.includes('need_weights=False'), averageAttnWeights: !s.name.includes('per-head'),
      });
    case 'encoder_layer':
      return [(m as nn.TransformerEncoderLayer).forward(ins.src!, { srcMask: ins.src_mask, srcKeyPaddingMask: ins.src_key_padding_mask })];
    case 'encoder':
      return [(m as nn.TransformerEncoder).forward(ins.src!, { mask: ins.mask, srcKeyPaddingMask: ins.src_key_padding_mask })];
    case 'decoder_layer':
    case 'decoder':
      return [(m as nn.TransformerDecoder).forward(ins.tgt!, ins.memory!, {
        tgtMask: ins.tgt_mask, memoryMask: ins.memory_mask, tgtKeyPaddingMask: ins.tgt_key_padding_mask, memoryKeyPaddingMask: ins.memory_key_padding_mask,
      })];
    case 'transformer':
      return [(m as nn.Transformer).forward(ins.src!, ins.tgt!, {
        srcMask: ins.src_mask, tgtMask: ins.tgt_mask, memoryMask: ins.memory_mask, srcKeyPaddingMask: ins.src_key_padding_mask,
        tgtKeyPaddingMask: ins.tgt_key_padding_mask, memoryKeyPaddingMask: ins.memory_key_padding_mask,
      })];
  }
}

function run(s: Scenario, m: nn.Module, dtype: 'float32' | 'float64', withGrad: boolean): { ins: Record<string, Tensor>; outs: (Tensor | null)[] } {
  const ins: Record<string, Tensor> = {};
  for (const [k, spec] of Object.entries(s.inputs)) {
    const t = tensorOf(spec, spec.dtype === 'float' && !k.endsWith('mask') ? dtype : 'float64');
    ins[k] = withGrad && spec.dtype === 'float' && !k.endsWith('mask') ? t.requiresGrad_() : t;
  }
  // Float masks are float64 in the fixtures; in a float32 run they are float32 too, as PyTorch requires.
  for (const [k, t] of Object.entries(ins)) if (k.endsWith('mask') && t.isFloatingPoint()) ins[k] = t.to(dtype);
  for (const [alias, target] of Object.entries(s.same)) ins[alias] = ins[target]!;
  const outs = s.noGrad || !withGrad ? st.noGrad(() => call(s, m, ins)) : call(s, m, ins);
  return { ins, outs };
}

for (const s of fixture.scenarios) {
  test(`${s.name} matches PyTorch ${fixture.torch}`, () => {
    const m = build(s);
    // Initialisation: same names, order, shapes and values (PyTorch's draws in PyTorch's order).
    const state = m.stateDict();
    assert.deepEqual([...state.keys()], Object.keys(s.init), 'state dict keys');
    for (const [k, want] of Object.entries(s.init)) {
      assert.deepEqual([...state.get(k)!.shape], want.shape, `${k} shape`);
      assertClose(state.get(k)!, decode(want.data), `${k} initial value`, 1e-6, 1e-7);
    }
    assert.equal(m.toString(), s.repr, 'printing');

    m.double().train(s.train);
    const { ins, outs } = run(s, m, 'float64', !s.noGrad);
    assert.equal(outs.length, s.outputs.length, 'number of outputs');
    outs.forEach((o, i) => {
      const want = s.outputs[i];
      if (!want) return assert.equal(o, null, `output ${i} should be null`);
      assert.deepEqual([...o!.shape], want.shape, `output ${i} shape`);
      assertClose(o!, decode(want.data as Value[]), `output ${i}`, 1e-9, 1e-10);
    });
    if (!s.noGrad) {
      const loss = outs.reduce<Tensor | null>((acc, o, i) => {
        if (!o) return acc;
        const term = o.mul(det([...o.shape], 0.3 + 0.2 * i)).sum();
        return acc ? acc.add(term) : term;
      }, null)!;
      loss.backward();
      for (const [k, want] of Object.entries(s.inputGrads!)) {
        if (want === null) assert.ok(!ins[k]!.grad, `${k} should get no gradient`);
        else assertClose(ins[k]!.grad!, decode(want), `grad of ${k}`, 1e-8, 1e-10);
      }
      const params = new Map(m.namedParameters());
      assert.deepEqual([...params.keys()], Object.keys(s.paramGrads!), 'parameter names');
      for (const [k, want] of Object.entries(s.paramGrads!)) {
        if (want === null) assert.equal(params.get(k)!.grad, null, `${k} should get no gradient`);
        else assertClose(params.get(k)!.grad!, decode(want), `grad of ${k}`, 1e-8, 1e-10);
      }
    }
    // float32: the same outputs to float32 accuracy.
    m.float();
    const f32 = run(s, m, 'float32', !s.noGrad).outs;
    f32.forEach((o, i) => {
      const want = s.outputs[i];
      if (want) assertClose(o!, decode(want.data as Value[]), `float32 output ${i}`, 1e-4, 1e-5);
    });
  });
}

const E = 6, H = 2, L = 4, S = 5, N = 2;
const ERRORS: Record<string, () => unknown> = {
  'embed_dim not divisible by num_heads': () => new nn.MultiheadAttention(6, 4),
  'query of 4 dims': () => new nn.MultiheadAttention(E, H).forward(det([1, L, N, E]), det([1, S, N, E]), det([1, S, N, E])),
  'key of another rank': () => new nn.MultiheadAttention(E, H).forward(det([L, N, E], 0, 1, 'float32'), det([S, E], 0, 1, 'float32'), det([S, N, E], 0, 1, 'float32')),
  'wrong embedding size': () => new nn.MultiheadAttention(E, H).forward(...[L, S, S].map((n) => det([n, N, 4], 0, 1, 'float32')) as [Tensor, Tensor, Tensor]),
  '2-D attn_mask of the wrong shape': () => mha32({ attnMask: st.zeros([L, L]) }),
  '3-D attn_mask of the wrong shape': () => mha32({ attnMask: st.zeros([N, L, S]) }),
  'key_padding_mask of the wrong shape': () => mha32({ keyPaddingMask: st.zeros([N, L], { dtype: 'bool' } as any) }),
  'integer key_padding_mask': () => mha32({ keyPaddingMask: st.zeros([N, S], { dtype: 'int32' }) }),
  'key and value of different shapes': () => new nn.MultiheadAttention(E, H).forward(det([L, N, E], 0, 1, 'float32'), det([S, N, E], 0, 1, 'float32'), det([3, N, E], 0, 1, 'float32')),
  'activation name': () => new nn.TransformerEncoderLayer(E, H, { activation: 'tanh' as any }),
  'Transformer with different src and tgt batches': () =>
    new nn.Transformer({ dModel: E, nhead: H, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 10 }).forward(det([S, 2, E], 0, 1, 'float32'), det([L, 3, E], 0, 1, 'float32')),
  'Transformer with the wrong feature size': () =>
    new nn.Transformer({ dModel: E, nhead: H, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 10 }).forward(det([S, 2, 4], 0, 1, 'float32'), det([L, 2, 4], 0, 1, 'float32')),
};

function mha32(options: nn.MultiheadAttentionForwardOptions): unknown {
  return new nn.MultiheadAttention(E, H).forward(det([L, N, E], 0, 1, 'float32'), det([S, N, E], 0, 1, 'float32'), det([S, N, E], 0, 1, 'float32'), options);
}

test('attention layers throw where PyTorch raises', () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), fixture.errors.map((e) => e.name).sort(), 'one case per fixture error');
  for (const e of fixture.errors) assert.throws(ERRORS[e.name]!, Error, `${e.name} (torch: ${e.torch})`);
});

test('printing, state-dict layout and the subsequent mask match PyTorch', () => {
  st.manualSeed(0);
  const m = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, bias: false, addBiasKv: true });
  assert.equal(m.toString(), fixture.reprs.mha_kdim);
  assert.deepEqual([...m.stateDict()].map(([k, v]) => [k, [...v.shape]]), fixture.reprs.mha_kdim_keys);
  const t = new nn.Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 });
  assert.deepEqual([...t.stateDict()].map(([k, v]) => [k, [...v.shape]]), fixture.reprs.transformer_keys);
  assert.deepEqual(Array.from(nn.Transformer.generateSquareSubsequentMask(4).data()), decode(fixture.reprs.mask));
});

test('F.scaledDotProductAttention: scale, causal, bool (true = attend) and float masks, batch dims broadcast', () => {
  const q = det([2, 3, 4, 8], 0.1), k = det([2, 3, 6, 8], 0.5), v = det([2, 3, 6, 5], 0.9);
  const reference = (scale: number, mask: Tensor | null) => {
    let s = q.matmul(k.transpose(-2, -1)).mul(scale);
    if (mask) s = s.add(mask);
    return st.softmax(s, -1).matmul(v);
  };
  const float = det([4, 6], 1.3);
  const allowed = st.tensor([[1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1], [1, 1, 0, 1, 1, 0]]).gt(0.5);
  const causal = st.triu(st.full([4, 6], -Infinity, { dtype: 'float64' }), 1);
  const CASES: [string, Tensor, Tensor][] = [
    ['default scale 1/√E', F.scaledDotProductAttention(q, k, v), reference(1 / Math.sqrt(8), null)],
    ['explicit scale', F.scaledDotProductAttention(q, k, v, { scale: 0.3 }), reference(0.3, null)],
    ['float mask added', F.scaledDotProductAttention(q, k, v, { attnMask: float }), reference(1 / Math.sqrt(8), float)],
    ['bool mask: true attends', F.scaledDotProductAttention(q, k, v, { attnMask: allowed }), reference(1 / Math.sqrt(8), st.zeros([4, 6], { dtype: 'float64' }).maskedFill(allowed.logicalNot(), -Infinity))],
    ['isCausal', F.scaledDotProductAttention(q, k, v, { isCausal: true }), reference(1 / Math.sqrt(8), causal)],
  ];
  for (const [name, got, want] of CASES) {
    assert.deepEqual([...got.shape], [2, 3, 4, 5], name);
    assertClose(got, Array.from(want.data()), name, 1e-12, 1e-12);
  }
  assert.throws(() => F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: float }), /isCausal/);
  assert.throws(() => F.scaledDotProductAttention(q, det([2, 3, 6, 7]), v), /same last dim/);
});

test('nn.utils.deepCopy: independent parameters and buffers, same values, modes and hooks, no random draws', () => {
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU());
  model.eval();
  (model.at(0) as nn.Linear).weight.grad = st.ones([4, 3]);
  let calls = 0;
  model.at(2).registerForwardHook(() => void calls++);
  const before = st.getRngState();
  const copy = nn.utils.deepCopy(model);
  assert.deepEqual(st.getRngState(), before, 'no random numbers drawn');
  assert.equal(copy.toString(), model.toString());
  assert.equal(copy.training, false);
  assert.ok(copy instanceof nn.Sequential && copy.at(0) instanceof nn.Linear);
  for (const [[k1, a], [k2, b]] of [...model.stateDict()].map((e, i) => [e, [...copy.stateDict()][i]!] as const)) {
    assert.equal(k1, k2);
    assert.notEqual(a.data(), b.data(), `${k1} has its own storage`);
    assert.deepEqual(Array.from(a.data()), Array.from(b.data()), `${k1} values`);
  }
  const w = (copy.at(0) as nn.Linear).weight;
  assert.ok(w instanceof nn.Parameter && w.requiresGrad && w.grad !== null && w.grad !== (model.at(0) as nn.Linear).weight.grad);
  const x = det([2, 3], 0, 1, 'float32');
  assert.deepEqual(Array.from(copy.forward(x).data()), Array.from(model.forward(x).data()));
  assert.equal(calls, 2, 'the hook was copied');
  st.noGrad(() => (copy.at(0) as nn.Linear).weight.add_(1));
  assert.notDeepEqual(Array.from(copy.forward(x).data()), Array.from(model.forward(x).data()), 'the copy is independent');
  // A parameter shared by two modules stays shared in the copy.
  const shared = new nn.Linear(2, 2);
  const tied = new nn.Sequential(shared, shared);
  const tiedCopy = nn.utils.deepCopy(tied);
  assert.equal(tiedCopy.at(0), tiedCopy.at(1));
  assert.notEqual(tiedCopy.at(0), shared);
});
