/**
 * The recurrent layers (nn.RNN, LSTM, GRU and their cells) and nn.utils.rnn against torch 1.13
 * (tools/fixtures/rnn.py writes test/fixtures/rnn.json): for every scenario, the seeded initial state dict
 * (names, order, values), the printing, and in float64 the outputs and the gradients of the input, the initial
 * states and every parameter; float32 outputs too. Then the packing utilities (values, lengths, permutations,
 * gradients), errors, printing and state-dict layouts, and gradchecks. Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, check, decode, det, type Value } from './functional-helpers.js';

type Kind = 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell';
interface Spec {
  shape: number[];
  dtype: 'float' | 'int32';
  data: Value[];
}
interface Scenario {
  name: string;
  kind: Kind;
  positional: [number, number];
  js: Record<string, any>;
  x: { shape: number[]; phase: number };
  h0: number[] | null;
  c0: number[] | null;
  packed: { lengths: number[]; enforce_sorted?: boolean; batch_first?: boolean } | null;
  train: boolean;
  seed: number | null;
  init: Record<string, { shape: number[]; data: Value[] }>;
  repr: string;
  outputs: Spec[];
  padded?: Spec;
  lengths?: number[];
  inputGrads: Record<string, Value[]>;
  paramGrads: Record<string, Value[] | null>;
}
type UtilResult = Record<string, Spec | Value[] | number[] | null>;

const fixture: {
  torch: string;
  scenarios: Scenario[];
  utils: Record<string, UtilResult>;
  errors: { name: string; torch: string }[];
  reprs: Record<string, { repr: string; keys: [string, number[]][] }>;
} = JSON.parse(readFileSync(new URL('../fixtures/rnn.json', import.meta.url), 'utf8'));

const { rnn } = nn.utils;
type Packed = InstanceType<typeof rnn.PackedSequence>;
type Dtype = 'float32' | 'float64';

const CLASSES = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU, RNNCell: nn.RNNCell, LSTMCell: nn.LSTMCell, GRUCell: nn.GRUCell };

/** The scenario's module, built as rnn.py builds it (after manualSeed(0)). */
function build(s: Scenario): nn.Module {
  st.manualSeed(0);
  const Cls = CLASSES[s.kind] as new (i: number, h: number, o: object) => nn.Module;
  return new Cls(s.positional[0], s.positional[1], s.js);
}

/** Runs the scenario's forward in dtype; returns its inputs (x, h0, c0) and outputs as rnn.py lists them. */
function run(s: Scenario, m: nn.Module, dtype: Dtype) {
  const ins: Record<string, Tensor> = { x: det(s.x.shape, s.x.phase, 1, dtype).requiresGrad_() };
  if (s.h0) ins.h0 = det(s.h0, 0.2, 0.5, dtype).requiresGrad_();
  if (s.c0) ins.c0 = det(s.c0, 0.4, 0.5, dtype).requiresGrad_();
  const input = s.packed
    ? rnn.packPaddedSequence(ins.x, s.packed.lengths, { batchFirst: s.packed.batch_first ?? false, enforceSorted: s.packed.enforce_sorted ?? true })
    : ins.x;
  if (s.seed !== null) st.manualSeed(s.seed);
  const hx = s.kind.startsWith('LSTM') ? (ins.h0 ? [ins.h0, ins.c0] : null) : (ins.h0 ?? null);
  const out = (m as any).forward(input, hx);
  let outs: Tensor[];
  let packedOut: Packed | null = null;
  if (s.kind === 'LSTMCell') outs = out;
  else if (s.kind.endsWith('Cell')) outs = [out];
  else {
    const [y, hid] = out;
    if (s.packed) packedOut = y;
    outs = [s.packed ? y.data : y, ...(s.kind === 'LSTM' ? hid : [hid])];
  }
  return { ins, outs, packedOut };
}

for (const s of fixture.scenarios) {
  test(`${s.kind}: ${s.name} matches PyTorch ${fixture.torch}`, () => {
    const m = build(s);
    // Initialisation: same names, order, shapes and values (PyTorch's draws in PyTorch's order).
    const state = m.stateDict();
    assert.deepEqual([...state.keys()], Object.keys(s.init), 'state dict keys');
    for (const [k, want] of Object.entries(s.init)) {
      assert.deepEqual([...state.get(k)!.shape], want.shape, `${k} shape`);
      assertClose(state.get(k)!, decode(want.data), `${k} initial value`, 1e-7, 1e-8);
    }
    assert.equal(m.toString(), s.repr, 'printing');

    m.double().train(s.train);
    const { ins, outs, packedOut } = run(s, m, 'float64');
    assert.equal(outs.length, s.outputs.length, 'number of outputs');
    outs.forEach((o, i) => {
      assert.deepEqual([...o.shape], s.outputs[i].shape, `output ${i} shape`);
      assert.equal(o.dtype, 'float64', `output ${i} dtype`);
      assertClose(o, decode(s.outputs[i].data), `output ${i}`, 1e-10, 1e-12);
    });
    if (packedOut) {
      const [padded, lengths] = rnn.padPackedSequence(packedOut, { batchFirst: s.packed!.batch_first ?? false });
      assert.deepEqual([...padded.shape], s.padded!.shape, 'padded output shape');
      assertClose(padded, decode(s.padded!.data), 'padded output', 1e-10, 1e-12);
      assert.deepEqual(Array.from(lengths.data()), s.lengths, 'lengths');
    }
    outs.map((o, i) => o.mul(det([...o.shape], 0.3 + 0.2 * i)).sum()).reduce((a, b) => a.add(b)).backward();
    for (const [k, want] of Object.entries(s.inputGrads)) assertClose(ins[k].grad!, decode(want), `grad of ${k}`, 1e-9, 1e-12);
    const params = new Map(m.namedParameters());
    assert.deepEqual([...params.keys()], Object.keys(s.paramGrads), 'parameter names');
    for (const [k, want] of Object.entries(s.paramGrads)) {
      if (want === null) assert.equal(params.get(k)!.grad, null, `${k} should get no gradient`);
      else assertClose(params.get(k)!.grad!, decode(want), `grad of ${k}`, 1e-9, 1e-12);
    }

    // float32: the same outputs and input gradients to float32 accuracy.
    m.zeroGrad();
    m.float();
    const f32 = run(s, m, 'float32');
    f32.outs.forEach((o, i) => {
      assert.equal(o.dtype, 'float32', `float32 output ${i} dtype`);
      assertClose(o, decode(s.outputs[i].data), `float32 output ${i}`, 1e-4, 1e-5);
    });
    f32.outs.map((o, i) => o.mul(det([...o.shape], 0.3 + 0.2 * i, 1, 'float32')).sum()).reduce((a, b) => a.add(b)).backward();
    assertClose(f32.ins.x.grad!, decode(s.inputGrads.x), 'float32 grad of x', 1e-4, 1e-5);
  });
}

// ---- nn.utils.rnn ----------------------------------------------------------------------------------

type UtilOut = Record<string, Tensor | null | Tensor[]>;
const packedFields = (p: Packed): UtilOut => ({ data: p.data, batch_sizes: p.batchSizes, sorted_indices: p.sortedIndices, unsorted_indices: p.unsortedIndices });
const x5 = () => det([5, 4, 3], 0.2);
const seqs3 = () => ({ a: det([3, 2], 0.1), b: det([5, 2], 0.2), c: det([1, 2], 0.3) });
const LONG = [3, 1, 3, 2, 2, 3, 1, 1, 2, 3, 5, 5, 1, 2, 4, 4, 2, 3, 1, 5];

/** Each case: the inputs (made leaves that require grad) and the call, returning rnn.py's named results in its order. */
const UTILS: Record<string, [Record<string, Tensor>, (i: Record<string, Tensor>) => UtilOut]> = {
  'packPaddedSequence sorted': [{ x: det([4, 4, 2], 0.1) }, (i) => packedFields(rnn.packPaddedSequence(i.x, [4, 2, 2, 1]))],
  'packPaddedSequence batchFirst, unsorted with ties': [
    { x: x5() },
    (i) => packedFields(rnn.packPaddedSequence(i.x, st.tensor(Int32Array.from([2, 4, 2, 1, 4]), { shape: [5] }), { batchFirst: true, enforceSorted: false })),
  ],
  'packPaddedSequence lengths shorter than the input': [{ x: det([5, 2], 0.3) }, (i) => packedFields(rnn.packPaddedSequence(i.x, [3, 1]))],
  'padPackedSequence of an unsorted pack': [{ x: x5() }, (i) => padPacked(i.x, {})],
  'padPackedSequence batchFirst, paddingValue -1, totalLength 6': [{ x: x5() }, (i) => padPacked(i.x, { batchFirst: true, paddingValue: -1, totalLength: 6 })],
  'padPackedSequence of a sorted pack': [
    { x: det([4, 4, 2], 0.1) },
    (i) => {
      const [padded, lengths] = rnn.padPackedSequence(rnn.packPaddedSequence(i.x, [4, 2, 2, 1]), { paddingValue: 2.5 });
      return { padded, lengths };
    },
  ],
  padSequence: [seqs3(), (i) => ({ out: rnn.padSequence([i.a, i.b, i.c]) })],
  'padSequence batchFirst, paddingValue 9': [
    { a: det([3], 0.1), b: det([5], 0.2), c: det([1], 0.3) },
    (i) => ({ out: rnn.padSequence([i.a, i.b, i.c], { batchFirst: true, paddingValue: 9 }) }),
  ],
  'padSequence broadcasts trailing sizes to the first sequence': [{ a: det([2, 3], 0.1), b: det([4, 1], 0.2) }, (i) => ({ out: rnn.padSequence([i.a, i.b]) })],
  'packSequence unsorted': [seqs3(), (i) => packedFields(rnn.packSequence([i.a, i.b, i.c], { enforceSorted: false }))],
  'packSequence sorted': [{ a: det([4, 2], 0.1), b: det([4, 2], 0.2), c: det([2, 2], 0.3) }, (i) => packedFields(rnn.packSequence([i.a, i.b, i.c]))],
  unpackSequence: [
    seqs3(),
    (i) => Object.fromEntries(rnn.unpackSequence(rnn.packSequence([i.a, i.b, i.c], { enforceSorted: false })).map((t, k) => [String(k), t])),
  ],
  'packPaddedSequence unsorted, 20 sequences (torch.sort order of ties)': [
    { x: det([5, 20, 1], 0.4) },
    (i) => packedFields(rnn.packPaddedSequence(i.x, LONG, { enforceSorted: false })),
  ],
};

function padPacked(x: Tensor, options: Parameters<typeof rnn.padPackedSequence>[1]): UtilOut {
  const p = rnn.packPaddedSequence(x, [2, 4, 2, 1, 4], { batchFirst: true, enforceSorted: false });
  const [padded, lengths] = rnn.padPackedSequence(p, options);
  return { padded, lengths };
}

test(`nn.utils.rnn: packing, padding and their gradients match PyTorch ${fixture.torch}`, () => {
  assert.deepEqual(Object.keys(UTILS).sort(), Object.keys(fixture.utils).sort(), 'one case per fixture entry');
  for (const [name, want] of Object.entries(fixture.utils)) {
    const [inputs, fn] = UTILS[name];
    for (const t of Object.values(inputs)) t.requiresGrad_();
    const got = fn(inputs);
    const terms: Tensor[] = [];
    Object.entries(got).forEach(([k, v], i) => {
      const e = want[k];
      if (e === null || e === undefined) return assert.equal(v, e ?? null, `${name}: ${k} should be null`);
      const spec = e as Spec;
      const t = v as Tensor;
      assert.deepEqual([...t.shape], spec.shape, `${name}: ${k} shape`);
      if (spec.dtype === 'int32') assert.deepEqual(Array.from(t.data()), spec.data, `${name}: ${k}`);
      else {
        assertClose(t, decode(spec.data), `${name}: ${k}`, 1e-12, 1e-14);
        terms.push(t.mul(det([...t.shape], 0.3 + 0.2 * i)).sum());
      }
    });
    assert.deepEqual(Object.keys(got).filter((k) => want[k] !== undefined).length, Object.keys(want).filter((k) => !k.startsWith('grad_')).length, `${name}: results`);
    if (terms.length === 0) continue;
    terms.reduce((a, b) => a.add(b)).backward();
    for (const [k, t] of Object.entries(inputs)) assertClose(t.grad!, decode(want[`grad_${k}`] as Value[]), `${name}: grad of ${k}`, 1e-12, 1e-14);
  }
});

test('nn.utils.rnn: PackedSequence destructures as torch namedtuple; a RNN returns the input permutation', () => {
  const p = rnn.packSequence([det([2, 3]), det([4, 3], 1)], { enforceSorted: false });
  const [data, batchSizes, sortedIndices, unsortedIndices] = p;
  assert.equal(data, p.data);
  assert.deepEqual(Array.from(batchSizes!.data()), [2, 2, 1, 1]);
  assert.deepEqual(Array.from(sortedIndices!.data()), [1, 0]);
  assert.deepEqual(Array.from(unsortedIndices!.data()), [1, 0]);
  const gru = new nn.GRU(3, 2, { dtype: 'float64' });
  const [out] = gru.forward(p);
  assert.ok(out instanceof rnn.PackedSequence);
  assert.equal(out.batchSizes, p.batchSizes);
  assert.equal(out.sortedIndices, p.sortedIndices);
  assert.equal(p.double(), p, 'to() of the same dtype is the same object');
  assert.equal(p.float().data.dtype, 'float32');
});

// ---- errors, printing ------------------------------------------------------------------------------

const z = (...shape: number[]) => st.zeros(shape);
const ERRORS: Record<string, () => unknown> = {
  'LSTM input of 4 dims': () => new nn.LSTM(3, 4).forward(z(1, 2, 1, 3)),
  'GRU input of 1 dim': () => new nn.GRU(3, 4).forward(z(3)),
  'RNN wrong input size': () => new nn.RNN(3, 4).forward(z(2, 1, 5)),
  'LSTM wrong h0 shape': () => new nn.LSTM(3, 4).forward(z(2, 2, 3), [z(1, 3, 4), z(1, 2, 4)]),
  'LSTM wrong c0 shape': () => new nn.LSTM(3, 4).forward(z(2, 2, 3), [z(1, 2, 4), z(1, 2, 3)]),
  'LSTM proj h0 of hidden size': () => new nn.LSTM(3, 4, { projSize: 2 }).forward(z(2, 2, 3), [z(1, 2, 4), z(1, 2, 4)]),
  'GRU h0 of 2 dims for batched input': () => new nn.GRU(3, 4).forward(z(2, 2, 3), z(1, 4)),
  'GRU h0 of 3 dims for unbatched input': () => new nn.GRU(3, 4).forward(z(2, 3), z(1, 1, 4)),
  'LSTM hx of 3 dims for unbatched input': () => new nn.LSTM(3, 4).forward(z(2, 3), [z(1, 1, 4), z(1, 1, 4)]),
  'RNN h0 with the wrong number of layers': () => new nn.RNN(3, 4, { numLayers: 2 }).forward(z(2, 2, 3), z(1, 2, 4)),
  'RNN h0 without the reverse direction': () => new nn.RNN(3, 4, { bidirectional: true }).forward(z(2, 2, 3), z(1, 2, 4)),
  'LSTM empty sequence': () => new nn.LSTM(3, 4).forward(z(0, 2, 3)),
  'LSTM float64 input into float32 weights': () => new nn.LSTM(3, 4).forward(z(2, 1, 3).double()),
  'GRU float64 h0 with float32 input': () => new nn.GRU(3, 4).forward(z(2, 1, 3), z(1, 1, 4).double()),
  'RNN integer input': () => new nn.RNN(3, 4).forward(st.zeros([2, 1, 3], { dtype: 'int32' })),
  'packed input of 3-D data': () => new nn.GRU(3, 4).forward(new rnn.PackedSequence(z(4, 1, 3), [2, 2])),
  'dropout above 1': () => new nn.LSTM(3, 4, { dropout: 1.5 }),
  'negative dropout': () => new nn.GRU(3, 4, { dropout: -0.1 }),
  'proj_size equal to hidden_size': () => new nn.LSTM(3, 4, { projSize: 4 }),
  'negative proj_size': () => new nn.LSTM(3, 4, { projSize: -1 }),
  'hidden_size 0': () => new nn.GRU(3, 0),
  'num_layers 0': () => new nn.LSTM(3, 4, { numLayers: 0 }).forward(z(2, 1, 3)),
  'proj_size given to GRU': () => new nn.GRU(3, 4, { projSize: 0 } as object),
  'proj_size given to RNN': () => new nn.RNN(3, 4, { projSize: 2 } as object),
  'RNN unknown nonlinearity': () => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' }),
  'RNNCell unknown nonlinearity (at forward)': () => new nn.RNNCell(3, 4, { nonlinearity: 'sigmoid' as 'tanh' }).forward(z(1, 3)),
  'GRUCell input of 3 dims': () => new nn.GRUCell(3, 4).forward(z(2, 2, 3)),
  'GRUCell wrong input size': () => new nn.GRUCell(3, 4).forward(z(2, 5)),
  'RNNCell hx batch mismatch': () => new nn.RNNCell(3, 4).forward(z(2, 3), z(3, 4)),
  'LSTMCell c hidden size mismatch': () => new nn.LSTMCell(3, 4).forward(z(2, 3), [z(2, 4), z(2, 5)]),
  'GRUCell unbatched input, batched hx': () => new nn.GRUCell(3, 4).forward(z(3), z(2, 4)),
  'LSTMCell float64 input into float32 weights': () => new nn.LSTMCell(3, 4).forward(z(2, 3).double()),
  'packPaddedSequence unsorted lengths with enforce_sorted': () => rnn.packPaddedSequence(z(3, 2, 1), [1, 3]),
  'packPaddedSequence zero length': () => rnn.packPaddedSequence(z(3, 2, 1), [3, 0]),
  'packPaddedSequence wrong number of lengths': () => rnn.packPaddedSequence(z(3, 2, 1), [3, 2, 1]),
  'packPaddedSequence empty input': () => rnn.packPaddedSequence(z(0, 2, 1), [1, 1]),
  'padPackedSequence total_length too short': () => rnn.padPackedSequence(rnn.packPaddedSequence(z(3, 2, 1), [3, 2]), { totalLength: 2 }),
  'padSequence of no sequences': () => rnn.padSequence([]),
  'padSequence of a 0-d tensor': () => rnn.padSequence([st.tensor(1)]),
  'padSequence with incompatible trailing sizes': () => rnn.padSequence([z(2, 3), z(2, 2)]),
};

test('recurrent layers and nn.utils.rnn throw where PyTorch raises', () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), fixture.errors.map((e) => e.name).sort(), 'one case per fixture error');
  for (const e of fixture.errors) assert.throws(ERRORS[e.name], Error, `${e.name} (torch: ${e.torch})`);
});

const REPRS: Record<string, () => nn.Module> = {
  'RNN relu': () => new nn.RNN(3, 4, { nonlinearity: 'relu' }),
  'RNN dropout': () => new nn.RNN(3, 4, { numLayers: 2, dropout: 0.25 }),
  'LSTM all options': () => new nn.LSTM(3, 4, { numLayers: 2, bias: false, batchFirst: true, dropout: 0.5, bidirectional: true, projSize: 2 }),
  'GRU default': () => new nn.GRU(5, 6),
  'RNNCell relu no bias': () => new nn.RNNCell(3, 4, { bias: false, nonlinearity: 'relu' }),
  LSTMCell: () => new nn.LSTMCell(3, 4),
  'GRUCell no bias': () => new nn.GRUCell(3, 4, { bias: false }),
  'Sequential of a GRU': () => new nn.Sequential(new nn.GRU(2, 3, { numLayers: 2 }), new nn.Linear(3, 1)),
};

test('recurrent layers print and lay out their state dicts as PyTorch', () => {
  assert.deepEqual(Object.keys(REPRS).sort(), Object.keys(fixture.reprs).sort());
  for (const [name, want] of Object.entries(fixture.reprs)) {
    const m = REPRS[name]();
    assert.equal(m.toString(), want.repr, `${name}: printing`);
    assert.deepEqual([...m.stateDict()].map(([k, v]) => [k, [...v.shape]]), want.keys, `${name}: state dict`);
  }
});

test('allWeights lists the parameters per layer and direction; a loaded state dict is used by forward', () => {
  const a = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, dtype: 'float64' });
  assert.deepEqual(a.allWeights.map((ws) => ws.length), [4, 4, 4, 4]);
  assert.equal(a.allWeights[1][0], a.getParameter('weight_ih_l0_reverse'));
  const b = new nn.LSTM(2, 3, { numLayers: 2, bidirectional: true, dtype: 'float64' });
  b.loadStateDict(a.stateDict());
  const x = det([4, 2, 2]);
  assertClose(b.forward(x)[0], Array.from(a.forward(x)[0].data()), 'same output after loadStateDict', 0, 0);
});

// ---- gradcheck ---------------------------------------------------------------------------------------

test('gradcheck: a small bidirectional LSTM with projections and a 2-layer GRU (input, states, weights)', () => {
  st.manualSeed(3);
  const lstm = new nn.LSTM(2, 3, { bidirectional: true, projSize: 2, dtype: 'float64' });
  const [wIh, wHh, bIh] = lstm.allWeights[1];
  check('LSTM', (x, h0, c0) => {
    const [y, [h, c]] = lstm.forward(x, [h0, c0]);
    return [y, h, c];
  }, [det([3, 2, 2], 0.1).requiresGrad_(), det([2, 2, 2], 0.5, 0.5).requiresGrad_(), det([2, 2, 3], 0.9, 0.5).requiresGrad_()]);
  check('LSTM weights', () => lstm.forward(det([3, 2, 2], 0.1))[0], [wIh, wHh, bIh]);
  const gru = new nn.GRU(2, 3, { numLayers: 2, dtype: 'float64' });
  const packed = (x: Tensor) => rnn.packPaddedSequence(x, [3, 1, 2], { enforceSorted: false });
  check('GRU packed', (x, h0) => {
    const [y, h] = gru.forward(packed(x), h0);
    return [y.data, h];
  }, [det([3, 3, 2], 0.3).requiresGrad_(), det([2, 3, 3], 0.7, 0.5).requiresGrad_()]);
  check('GRU weights', () => gru.forward(det([3, 2, 2], 0.3))[0], gru.allWeights[1]);
});
