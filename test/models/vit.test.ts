/**
 * Vision Transformers against torchvision 0.14 (tools/fixtures/vit.py writes test/fixtures/vit.json):
 * parameters, state-dict keys/shapes in order and summary() multiply-adds of each builder (the published
 * figures within 2%); a small VisionTransformer's seeded initial weights (torchvision's draw order), printing,
 * logits and input gradient in float64; gradients for every parameter; errors.
 * ViT-B/16 and B/32 run by default; the large builders (L/16, L/32, H/14: up to 632M parameters) with STRATA_MODELS_FULL=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import * as models from '../../src/models/index.js';
import { assertAllGrads, fastInit, numParams, stateKeys } from './helpers.js';
import { assertClose, decode, det, type Value } from '../nn/functional-helpers.js';

const FULL = process.env.STRATA_MODELS_FULL === '1';

const fixture: {
  torchvision: string;
  builders: Record<string, { params: number; macs: number; keys: [string, number[]][] }>;
  small: { init: Record<string, { shape: number[]; data: Value[] }>; repr: string; logits: Value[]; inputGrad: Value[] };
} = JSON.parse(readFileSync(new URL('../fixtures/vit.json', import.meta.url), 'utf8'));

/** torchvision's model docs: parameters and GFLOPS at 224×224. */
const PUBLISHED: Record<string, { params: number; gflops: number; heavy: boolean }> = {
  vit_b_16: { params: 86567656, gflops: 17.56, heavy: false },
  vit_b_32: { params: 88224232, gflops: 4.41, heavy: false },
  vit_l_16: { params: 304326632, gflops: 61.55, heavy: true },
  vit_l_32: { params: 306535400, gflops: 15.38, heavy: true },
  vit_h_14: { params: 632045800, gflops: 167.29, heavy: true },
};

for (const [name, pub] of Object.entries(PUBLISHED)) {
  if (pub.heavy && !FULL) continue; // 304M–632M parameters: 1.2–2.5 GB and about a minute each to build in JS
  test(`${name}: parameters, state dict and multiply-adds as torchvision ${fixture.torchvision}`, () => {
    const ref = fixture.builders[name]!;
    const model = fastInit(() => models.create(name));
    assert.equal(numParams(model), ref.params);
    assert.equal(ref.params, pub.params, 'published parameters');
    assert.deepEqual(stateKeys(model), ref.keys, 'state-dict keys and shapes, in order');
    const s = models.summary(model, [3, 224, 224]);
    assert.equal(s.macs, ref.macs, 'multiply-adds (PyTorch hooks)');
    assert.ok(Math.abs(s.macs / 1e9 - pub.gflops) / pub.gflops < 0.02, `${(s.macs / 1e9).toFixed(3)} GMACs vs published ${pub.gflops}`);
    assert.equal(s.receptiveField, null, 'attention sees the whole image');
    assert.deepEqual(s.outputShapes, [[1, 1000]]);
  });
}

function smallVit(): models.VisionTransformer {
  return new models.VisionTransformer(
    { patchSize: 8, numLayers: 2, numHeads: 4, hiddenDim: 16, mlpDim: 24 },
    { imageSize: 32, numClasses: 5, representationSize: 12 },
  );
}

test('a small VisionTransformer: seeded weights, printing, logits and input gradient as torchvision', () => {
  st.manualSeed(0);
  const m = smallVit();
  const state = m.stateDict();
  assert.deepEqual([...state.keys()], Object.keys(fixture.small.init));
  for (const [k, want] of Object.entries(fixture.small.init)) {
    assert.deepEqual([...state.get(k)!.shape], want.shape, k);
    assertClose(state.get(k)!, decode(want.data), `${k} (initial)`, 1e-6, 1e-7);
  }
  assert.equal(m.toString(), fixture.small.repr);
  // The forward check runs on torchvision's exact weights (normal draws can differ in the last float32 bit).
  m.loadStateDict(Object.fromEntries(Object.entries(fixture.small.init).map(([k, v]) => [k, st.tensor(Float32Array.from(decode(v.data)), { shape: v.shape })])));
  m.double().eval();
  const head = m.heads.at(-1) as st.nn.Linear;
  st.noGrad(() => {
    head.weight.copy_(det([5, 12], 0.4));
    head.bias!.copy_(det([5], 0.9));
  });
  const x = det([2, 3, 32, 32], 0.3).requiresGrad_();
  const logits = m.forward(x);
  assertClose(logits, decode(fixture.small.logits), 'logits', 1e-9, 1e-10);
  logits.mul(det([2, 5], 1.1)).sum().backward();
  assertClose(x.grad!, decode(fixture.small.inputGrad), 'input gradient', 1e-8, 1e-10);
});

test('a small VisionTransformer trains: every parameter gets a gradient; bad inputs and options are rejected', () => {
  st.manualSeed(1);
  const m = smallVit();
  st.noGrad(() => {
    for (const p of m.parameters()) if (p.ndim > 0 && p.data().every((v) => v === 0)) p.copy_(st.randn([...p.shape]).mul(0.1));
  });
  assertAllGrads(m, st.randn([2, 3, 32, 32]));
  assert.throws(() => m.forward(st.randn([1, 3, 24, 24])), /expected input \[N, C, 32, 32\]/);
  assert.throws(() => models.vit_b_16({ imageSize: 100 }), /multiple of the patch size 16/);
  assert.throws(() => models.create('vit_b_32', { patchSize: 8 }), /unknown option 'patchSize'/);
  assert.equal(models.vit_b_32({ imageSize: 64, numClasses: 3 }).encoder.pos_embedding.shape.join(), '1,5,768');
});
