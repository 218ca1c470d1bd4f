import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, checkLayerCase, ctorOf, type LayerCase, type Ser } from './layer-cases.js';

// PyTorch 1.13 references written by tools/fixtures/nn_modules_more.py.
interface InitCase {
  seed: number;
  layers: { cls: string; args: unknown[]; options: Record<string, unknown>; state: [string, Ser][] }[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn_modules_more.json', import.meta.url), 'utf8')) as { layers: LayerCase[]; initLayers: InitCase[] };

for (const c of fixture.layers) {
  test(`${c.name}: ${c.repr.split('\n')[0]} matches PyTorch (printing, state keys, output, gradients)`, () => checkLayerCase(c));
}

for (const c of fixture.initLayers) {
  test(`Bilinear and Embedding initialisation after manualSeed(${c.seed}) equals PyTorch's, layer after layer`, () => {
    st.manualSeed(c.seed);
    for (const l of c.layers) {
      const Ctor = ctorOf(l.cls);
      const m = Object.keys(l.options).length ? new Ctor(...l.args, l.options) : new Ctor(...l.args);
      const sd = m.stateDict();
      assert.deepEqual([...sd.keys()], l.state.map(([k]) => k), `${l.cls} keys`);
      for (const [k, v] of l.state) {
        assert.deepEqual([...sd.get(k)!.shape], v.shape, `${l.cls}.${k} shape`);
        // Uniform draws are bit-exact; normal draws (Embedding) may differ from PyTorch's by an ulp.
        if (l.cls === 'Embedding') assertClose(sd.get(k)!.data(), v.data, 0, 3e-7 * Math.max(...v.data.map(Math.abs)), `${l.cls}.${k}`);
        else assert.deepEqual(Array.from(sd.get(k)!.data()), v.data, `${l.cls}.${k}`);
      }
    }
  });
}

test('Embedding.fromPretrained: frozen by default, keeps the values, options as the constructor', () => {
  const w = st.tensor([[1, 2], [3, 4], [5, 6]]);
  const e = nn.Embedding.fromPretrained(w, { paddingIdx: 1 });
  assert.equal(e.toString(), 'Embedding(3, 2, padding_idx=1)');
  assert.equal(e.weight.requiresGrad, false);
  assert.deepEqual(e.forward(st.tensor([2, 0], { dtype: 'int32' })).toArray(), [[5, 6], [1, 2]]);
  const trainable = nn.Embedding.fromPretrained(w, { freeze: false });
  assert.equal(trainable.weight.requiresGrad, true);
  assert.throws(() => nn.Embedding.fromPretrained(st.zeros([3])), /Embedding.fromPretrained: embeddings must be 2-dimensional/);
  assert.throws(() => new nn.Embedding(4, 2, { paddingIdx: 4 }), /paddingIdx must be within the 4 embeddings/);
  assert.throws(() => new nn.Embedding(4, 2).forward(st.tensor([4], { dtype: 'int32' })), /embedding: index 4 is out of range for 4 embeddings/);
});

test('Embedding records one EmbeddingBackward0 node, also with scaleGradByFreq; CELU records CeluBackward0', () => {
  const idx = st.tensor([1, 1, 2], { dtype: 'int32' });
  assert.equal(new nn.Embedding(3, 2).forward(idx).gradFn?.name, 'EmbeddingBackward0');
  const scaled = new nn.Embedding(3, 2, { scaleGradByFreq: true });
  const y = scaled.forward(idx);
  assert.equal(y.gradFn?.name, 'EmbeddingBackward0');
  y.sum().backward();
  assert.deepEqual(scaled.weight.grad!.toArray(), [[0, 0], [1, 1], [1, 1]]);
  assert.equal(new nn.CELU(0.5).forward(st.randn([3]).requiresGrad_()).gradFn?.name, 'CeluBackward0');
});

test('F.celu gradient passes a float64 gradcheck (with createGraph: gradgradcheck)', () => {
  const x = st.tensor([-1.5, -0.2, 0.3, 2.0], { dtype: 'float64' }).requiresGrad_();
  assert.ok(st.gradcheck((t: Tensor) => st.F.celu(t, 0.5), [x]));
  assert.ok(st.gradgradcheck((t: Tensor) => st.F.celu(t, 0.5), [x]));
});

test('TripletMarginWithDistanceLoss takes a plain function or a module as its distance', () => {
  const [a, p, n] = [st.randn([4, 3]), st.randn([4, 3]), st.randn([4, 3])];
  const cos = (x: Tensor, y: Tensor) => st.F.cosineSimilarity(x, y).neg().add(1);
  const withFn = new nn.TripletMarginWithDistanceLoss({ distanceFunction: cos });
  assert.equal(withFn.toString(), 'TripletMarginWithDistanceLoss()');
  const want = cos(a, p).sub(cos(a, n)).add(1).clamp(0).mean();
  assertClose(withFn.forward(a, p, n).data(), want.data(), 1e-6, 1e-7, 'function distance');
  const withModule = new nn.TripletMarginWithDistanceLoss({ distanceFunction: new nn.PairwiseDistance({ p: 1 }) });
  assert.equal(withModule.toString(), 'TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)');
  assertClose(withModule.forward(a, p, n).data(), st.F.tripletMarginLoss(a, p, n, { p: 1 }).data(), 1e-6, 1e-7, 'module distance');
  assert.throws(() => new nn.TripletMarginWithDistanceLoss({ margin: 0 }), /margin must be greater than 0/);
});

test('MaxUnpool2d inverts MaxPool2d with returnIndices at the maxima', () => {
  const x = st.rand([1, 2, 4, 4]);
  const [v, idx] = new nn.MaxPool2d(2, { returnIndices: true }).forward(x);
  const back = new nn.MaxUnpool2d(2).forward(v, idx);
  assert.deepEqual(back.shape, [1, 2, 4, 4]);
  assertClose(new nn.MaxPool2d(2).forward(back).data(), v.data(), 0, 0, 'pooling the unpooled');
});

const ctorErrors: [string, () => unknown, RegExp][] = [
  ['softmin dim not an integer', () => new nn.Softmin('1' as never), /Softmin: dim must be an integer or null, got 1/],
  ['softshrink lambd', () => new nn.Softshrink(-1), /Softshrink: lambd must be non-negative, got -1/],
  ['rrelu bounds', () => new nn.RReLU({ lower: 0.5, upper: 0.1 }), /RReLU: lower \(0.5\) must not exceed upper \(0.1\)/],
  ['softmax2d rank', () => new nn.Softmax2d().forward(st.zeros([2, 3])), /Softmax2d: expected input \[N, C, H, W\] or \[C, H, W\], got \[2, 3\]/],
  ['pad amounts', () => new nn.ReflectionPad1d([1, 2, 3]), /ReflectionPad1d: padding must be a number or 2 amounts/],
  ['lrn size', () => new nn.LocalResponseNorm(0), /LocalResponseNorm: size must be a positive integer, got 0/],
  ['dropout3d p', () => new nn.Dropout3d(2), /Dropout3d: dropout probability has to be between 0 and 1, but got 2/],
];
for (const [name, fn, re] of ctorErrors) test(`constructor and input errors: ${name}`, () => assert.throws(fn, re));
