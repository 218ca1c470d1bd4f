import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { checkLayerCase, type LayerCase } from './layer-cases.js';
import { assertClose } from '../core/helpers.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn_modules.json', import.meta.url), 'utf8')) as { layers: LayerCase[] };

for (const c of fixture.layers) {
  test(`${c.name}: ${c.repr.split('\n')[0]} matches PyTorch (output, gradients, state)`, () => checkLayerCase(c));
}

const inputErrors: [string, () => unknown, string][] = [
  ['Conv2d channels', () => new nn.Conv2d(3, 16, 3).forward(st.zeros([8, 1, 28, 28])), 'Conv2d(3, 16, kernel_size=(3, 3)): expected input [N, 3, H, W], got [8, 1, 28, 28]'],
  ['Conv2d rank', () => new nn.Conv2d(3, 16, 3).forward(st.zeros([28, 28])), 'Conv2d(3, 16, kernel_size=(3, 3)): expected input [N, 3, H, W], got [28, 28]'],
  ['Linear features', () => new nn.Linear(5, 3).forward(st.zeros([2, 4])), 'Linear(in_features=5, out_features=3): expected input [*, 5], got [2, 4]'],
  ['BatchNorm2d rank', () => new nn.BatchNorm2d(6).forward(st.zeros([2, 6])), 'BatchNorm2d(6): expected input [N, 6, H, W], got [2, 6]'],
  ['BatchNorm1d channels', () => new nn.BatchNorm1d(4).forward(st.zeros([2, 3])), 'BatchNorm1d(4): expected input [N, 4] or [N, 4, L], got [2, 3]'],
  ['LayerNorm shape', () => new nn.LayerNorm([3, 4]).forward(st.zeros([2, 4, 3])), 'LayerNorm((3, 4)): expected input [*, 3, 4], got [2, 4, 3]'],
  ['GroupNorm channels', () => new nn.GroupNorm(2, 6).forward(st.zeros([2, 4, 3])), 'GroupNorm(2, 6): expected input [N, 6, *], got [2, 4, 3]'],
  ['ConvTranspose2d channels', () => new nn.ConvTranspose2d(4, 2, 3).forward(st.zeros([1, 2, 5, 5])), 'ConvTranspose2d(4, 2, kernel_size=(3, 3)): expected input [N, 4, H, W], got [1, 2, 5, 5]'],
];
for (const [name, fn, msg] of inputErrors) {
  test(`input validation names the layer, expected and given shape: ${name}`, () => assert.throws(fn, (e: Error) => e.message === msg || assert.fail(e.message)));
}

const ctorErrors: [string, () => unknown, RegExp][] = [
  ['groups must divide channels', () => new nn.Conv2d(3, 4, 3, { groups: 2 }), /Conv2d: inChannels \(3\) must be divisible by groups \(2\)/],
  ["'same' with stride", () => new nn.Conv2d(3, 4, 3, { padding: 'same', stride: 2 }), /padding='same' is not supported for strided convolutions/],
  ['bad padding mode', () => new nn.Conv2d(3, 4, 3, { paddingMode: 'wrap' as never }), /paddingMode must be one of/],
  ['dropout p', () => new nn.Dropout(1.5), /Dropout: dropout probability has to be between 0 and 1, but got 1.5/],
  ['softmax dim not an integer', () => new nn.Softmax(1.5), /Softmax: dim must be an integer or null, got 1.5/],
  ['group norm divisibility', () => new nn.GroupNorm(4, 6), /numChannels \(6\) must be divisible by numGroups \(4\)/],
  ['upsample size and scale', () => new nn.Upsample({}), /exactly one of size and scaleFactor/],
];
for (const [name, fn, re] of ctorErrors) test(`constructor error: ${name}`, () => assert.throws(fn, re));

test("Softmax / LogSoftmax / Softmin without dim take PyTorch's implicit dim (0 for 0-, 1- and 3-D inputs, else 1)", () => {
  const cases: [number[], number][] = [[[], 0], [[5], 0], [[2, 3], 1], [[2, 3, 4], 0], [[2, 3, 4, 5], 1]];
  for (const [shape, dim] of cases) {
    const x = st.randn(shape);
    assert.deepEqual(new nn.Softmax().forward(x).toArray(), st.F.softmax(x, dim).toArray(), `Softmax ${shape}`);
    assert.deepEqual(new nn.LogSoftmax(null).forward(x).toArray(), st.F.logSoftmax(x, dim).toArray(), `LogSoftmax ${shape}`);
    assert.deepEqual(new nn.Softmin().forward(x).toArray(), st.F.softmin(x, dim).toArray(), `Softmin ${shape}`);
  }
  assert.equal(new nn.Softmax().toString(), 'Softmax(dim=None)');
});

test('InstanceNorm with momentum null prints it and, as PyTorch, refuses to run; Upsample prints factor tuples as PyTorch', () => {
  const norm = new nn.InstanceNorm2d(3, { momentum: null });
  assert.equal(norm.toString(), 'InstanceNorm2d(3, eps=1e-05, momentum=None, affine=False, track_running_stats=False)');
  assert.throws(() => norm.forward(st.randn([1, 3, 2, 2])), /InstanceNorm2d: momentum must be a number, got null/);
  assert.equal(new nn.Upsample({ scaleFactor: [2] }).toString(), 'Upsample(scale_factor=(2.0,), mode=nearest)');
  assert.equal(new nn.Upsample({ scaleFactor: [2, 3] }).toString(), 'Upsample(scale_factor=(2.0, 3.0), mode=nearest)');
});

test('MaxPool2d and AdaptiveMaxPool2d with returnIndices return [values, indices]', () => {
  const x = st.randn([1, 2, 4, 4]);
  const [v, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
  assert.deepEqual(v.shape, [1, 2, 2, 2]);
  assert.deepEqual(idx.shape, [1, 2, 2, 2]);
  const [av] = new nn.AdaptiveMaxPool2d(1, { returnIndices: true }).forward(x);
  assert.deepEqual(av.shape, [1, 2, 1, 1]);
});

test('a Linear weight gradient reaches the weight dense (as PyTorch\'s mm_mat2_backward gives it), with the values of gᵀ·x', () => {
  for (const bias of [true, false]) {
    const lin = new st.nn.Linear(5, 3, { bias });
    const x = st.randn([4, 5]);
    const g = st.randn([4, 3]);
    let incoming: st.Tensor | null = null;
    lin.weight.registerHook((gw) => {
      incoming = gw;
    });
    lin.forward(x).backward(g);
    assert.ok(incoming!.isContiguous(), `bias ${bias}`);
    const grad = lin.weight.grad!;
    assertClose(grad, g.t().matmul(x), { what: `bias ${bias}`, rtol: 1e-6, atol: 1e-6 });
  }
});

test('BatchNorm with momentum null uses the cumulative average', () => {
  const bn = new nn.BatchNorm1d(1, { momentum: null });
  bn.forward(st.tensor([[1], [3]]));
  bn.forward(st.tensor([[5], [7]]));
  assert.deepEqual(Array.from(bn.runningMean!.data()), [4]);
});

test('loss modules store weights as buffers with PyTorch names', () => {
  assert.deepEqual([...new nn.CrossEntropyLoss({ weight: st.ones([3]) }).stateDict().keys()], ['weight']);
  assert.deepEqual([...new nn.CrossEntropyLoss().stateDict().keys()], []);
  assert.deepEqual([...new nn.BCEWithLogitsLoss({ posWeight: st.ones([3]) }).stateDict().keys()], ['pos_weight']);
});

test('MC dropout: only dropout layers stay stochastic; mcPredict gives mean and variance and restores modes', () => {
  st.manualSeed(3);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Dropout({ p: 0.5 }), new nn.Linear(8, 2));
  model.train();
  nn.enableMcDropout(model);
  assert.deepEqual(model.modules().map((m) => m.training), [false, false, false, false, true, false]);
  model.eval();
  const x = st.randn([3, 4]);
  const det1 = model.forward(x);
  const { mean, variance, samples } = nn.mcPredict(model, x, 50);
  assert.equal(samples, 50);
  assert.deepEqual(mean.shape, [3, 2]);
  assert.ok(Array.from(variance.data()).some((v) => v > 0), 'dropout active: passes differ');
  assert.ok(Array.from(variance.data()).every((v) => v >= 0));
  assert.ok(model.modules().every((m) => !m.training), 'modes restored');
  assert.deepEqual(model.forward(x).toArray(), det1.toArray(), 'deterministic again after mcPredict');
  assert.equal(mean.requiresGrad, false);
});

test('clipGradNorm_ scales gradients to maxNorm and returns the total norm (2, inf)', () => {
  const a = st.zeros([2]).requiresGrad_();
  const b = st.zeros([1]).requiresGrad_();
  a.grad = st.tensor([3, 0]);
  b.grad = st.tensor([4]);
  const total = nn.utils.clipGradNorm_([a, b], 1);
  assert.ok(Math.abs(total.item() - 5) < 1e-6);
  assert.ok(Math.abs(a.grad.data()[0] - 0.6) < 1e-6 && Math.abs(b.grad.data()[0] - 0.8) < 1e-6);
  const c = st.zeros([3]).requiresGrad_();
  c.grad = st.tensor([1, -7, 2]);
  assert.equal(nn.clipGradNorm_([c], 100, { normType: Infinity }).item(), 7);
  assert.deepEqual(c.grad.toArray(), [1, -7, 2], 'below the limit: unchanged');
  c.grad = st.tensor([NaN, 1, 1]);
  assert.throws(() => nn.clipGradNorm_(c, 1, { errorIfNonfinite: true }), /non-finite/);
});

test('clipGradValue_, parametersToVector/vectorToParameters, l1Penalty', () => {
  const lin = new nn.Linear(2, 1);
  lin.weight.grad = st.tensor([[5, -0.5]]);
  nn.utils.clipGradValue_(lin.parameters(), 1);
  assert.deepEqual(lin.weight.grad.toArray(), [[1, -0.5]]);
  const v = nn.parametersToVector(lin.parameters());
  assert.deepEqual(v.shape, [3]);
  nn.vectorToParameters(st.tensor([1, -2, 3]), lin.parameters());
  assert.deepEqual(lin.weight.toArray(), [[1, -2]]);
  assert.deepEqual(lin.bias!.toArray(), [3]);
  const pen = nn.l1Penalty(lin.parameters());
  assert.equal(pen.item(), 6);
  pen.backward();
  assert.deepEqual(lin.weight.grad!.toArray(), [[1, -1]].map((r) => r.map((x, i) => (i === 0 ? 1 + x : -0.5 + x))));
});
