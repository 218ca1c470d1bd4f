/**
 * torchvision compatibility of the ImageNet and segmentation models, one build per model:
 * - parameter count and state-dict keys/shapes (in order) equal torchvision 0.14's (test/fixtures/models.json,
 *   tools/fixtures/models.py), so exported PyTorch weights load without renaming;
 * - summary() multiply-adds at the reference resolution equal those PyTorch hooks measure, and are within 2%
 *   of torchvision's published GFLOPS;
 * - forward output shape at a small resolution; backward with a gradient for every parameter for the small
 *   and medium models.
 * Models are built with fastInit (cheap stand-in random draws): these are structure tests.
 *
 * Building a model costs about 50–100 ns per parameter in pure JS (the layers draw their default init element by
 * element), so the default run checks one or two variants of each family — every code path, and the models whose
 * published figures the docs quote — and skips the other large variants (VGG-11/13/19 and their BN forms,
 * ResNet-101, ResNeXt-101, Wide ResNet, DenseNet-161/201, EfficientNet-B2…B7, the ResNet-101 segmentation nets).
 * STRATA_MODELS_FULL=1 runs every case, and backward for all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as models from '../../src/models/index.js';
import { assertAllGrads, assertSameState, detInput, fastInit, numParams, torchvisionModel } from './helpers.js';

const FULL = process.env.STRATA_MODELS_FULL === '1';

/** torchvision's published figures (model docs: GFLOPS = conv + linear multiply-adds at the listed size). */
export const PUBLISHED: Record<string, { params: number; gflops: number }> = {
  alexnet: { params: 61100840, gflops: 0.71 },
  vgg11: { params: 132863336, gflops: 7.61 },
  vgg13: { params: 133047848, gflops: 11.31 },
  vgg16: { params: 138357544, gflops: 15.47 },
  vgg19: { params: 143667240, gflops: 19.63 },
  vgg11_bn: { params: 132868840, gflops: 7.61 },
  vgg13_bn: { params: 133053736, gflops: 11.31 },
  vgg16_bn: { params: 138365992, gflops: 15.47 },
  vgg19_bn: { params: 143678248, gflops: 19.63 },
  resnet18: { params: 11689512, gflops: 1.81 },
  resnet34: { params: 21797672, gflops: 3.66 },
  resnet50: { params: 25557032, gflops: 4.09 },
  resnet101: { params: 44549160, gflops: 7.8 },
  resnet152: { params: 60192808, gflops: 11.51 },
  resnext50_32x4d: { params: 25028904, gflops: 4.23 },
  resnext101_32x8d: { params: 88791336, gflops: 16.41 },
  resnext101_64x4d: { params: 83455272, gflops: 15.46 },
  wide_resnet50_2: { params: 68883240, gflops: 11.4 },
  wide_resnet101_2: { params: 126886696, gflops: 22.75 },
  googlenet_noaux: { params: 6624904, gflops: 1.5 },
  densenet121: { params: 7978856, gflops: 2.83 },
  densenet161: { params: 28681000, gflops: 7.73 },
  densenet169: { params: 14149480, gflops: 3.36 },
  densenet201: { params: 20013928, gflops: 4.29 },
  mobilenet_v2: { params: 3504872, gflops: 0.3 },
  efficientnet_b0: { params: 5288548, gflops: 0.39 },
  efficientnet_b1: { params: 7794184, gflops: 0.69 },
  efficientnet_b2: { params: 9109994, gflops: 1.09 },
  efficientnet_b3: { params: 12233232, gflops: 1.83 },
  efficientnet_b4: { params: 19341616, gflops: 4.39 },
  efficientnet_b5: { params: 30389784, gflops: 10.27 },
  efficientnet_b6: { params: 43040704, gflops: 19.07 },
  efficientnet_b7: { params: 66347960, gflops: 37.75 },
  // The published segmentation models include the auxiliary head.
  deeplabv3_resnet50_aux: { params: 42004074, gflops: 178.72 },
  deeplabv3_resnet101_aux: { params: 60996202, gflops: 258.74 },
  fcn_resnet50_aux: { params: 35322218, gflops: 152.72 },
  fcn_resnet101_aux: { params: 54314346, gflops: 232.74 },
};

interface Case {
  name: string;
  /** Entry of test/fixtures/models.json (default: name). */
  fixture?: string;
  options?: Record<string, unknown>;
  /** [batch, size] of the forward check. */
  input: [number, number];
  /** Also run backward and check every parameter's gradient. */
  backward: boolean;
  /** Only with STRATA_MODELS_FULL=1 (large variants of a family already covered). */
  heavy?: boolean;
  /** Further checks on the same model (building is the expensive part). */
  extra?: (model: any) => void;
}

const cases: Case[] = [
  { name: 'alexnet', input: [2, 64], backward: false, extra: (m) => assert.deepEqual(models.summary(m, [3, 224, 224]).receptiveField, [195, 195]) },
  { name: 'vgg11', input: [1, 32], backward: false, heavy: true },
  { name: 'vgg13', input: [1, 32], backward: false, heavy: true },
  { name: 'vgg16', input: [1, 32], backward: false, extra: (m) => assert.deepEqual(models.summary(m, [3, 224, 224]).receptiveField, [212, 212]) },
  { name: 'vgg19', input: [1, 32], backward: false, heavy: true },
  { name: 'vgg11_bn', input: [2, 32], backward: false, heavy: true },
  { name: 'vgg13_bn', input: [1, 32], backward: false, heavy: true },
  { name: 'vgg16_bn', input: [2, 32], backward: false },
  { name: 'vgg19_bn', input: [1, 32], backward: false, heavy: true },
  { name: 'resnet18', input: [2, 64], backward: true },
  { name: 'resnet34', input: [2, 32], backward: true },
  { name: 'resnet50', input: [2, 32], backward: true },
  { name: 'resnet101', input: [1, 32], backward: false, heavy: true },
  { name: 'resnet152', input: [1, 32], backward: false },
  { name: 'resnext50_32x4d', input: [2, 32], backward: true },
  { name: 'resnext101_32x8d', input: [1, 32], backward: false, heavy: true },
  { name: 'resnext101_64x4d', input: [1, 32], backward: false, heavy: true },
  { name: 'wide_resnet50_2', input: [1, 32], backward: false, heavy: true },
  { name: 'wide_resnet101_2', input: [1, 32], backward: false, heavy: true },
  { name: 'googlenet', input: [2, 64], backward: true, extra: checkGoogLeNetOutputs },
  { name: 'googlenet', fixture: 'googlenet_noaux', options: { auxLogits: false, transformInput: true }, input: [1, 32], backward: false, extra: checkGoogLeNetOutputs },
  { name: 'densenet121', input: [2, 32], backward: true },
  { name: 'densenet161', input: [1, 32], backward: false, heavy: true },
  { name: 'densenet169', input: [1, 32], backward: false },
  { name: 'densenet201', input: [1, 32], backward: false, heavy: true },
  { name: 'mobilenet_v2', input: [2, 32], backward: true },
  // (Stochastic depth off for the gradient check: a branch dropped for the whole batch gets no gradient;
  // StochasticDepth has its own test in layers.test.ts.)
  { name: 'efficientnet_b0', options: { stochasticDepthProb: 0 }, input: [2, 32], backward: true },
  { name: 'efficientnet_b1', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false },
  { name: 'efficientnet_b2', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'efficientnet_b3', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'efficientnet_b4', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'efficientnet_b5', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'efficientnet_b6', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'efficientnet_b7', options: { stochasticDepthProb: 0 }, input: [1, 32], backward: false, heavy: true },
  { name: 'deeplabv3_resnet50', input: [1, 32], backward: false, heavy: true },
  { name: 'deeplabv3_resnet50', fixture: 'deeplabv3_resnet50_aux', options: { auxLoss: true }, input: [2, 16], backward: true, extra: withoutAux('deeplabv3_resnet50') },
  { name: 'deeplabv3_resnet101', fixture: 'deeplabv3_resnet101_aux', options: { auxLoss: true }, input: [1, 32], backward: false, heavy: true },
  { name: 'fcn_resnet50', input: [1, 32], backward: false, heavy: true },
  { name: 'fcn_resnet50', fixture: 'fcn_resnet50_aux', options: { auxLoss: true }, input: [2, 16], backward: true, extra: withoutAux('fcn_resnet50') },
  { name: 'fcn_resnet101', fixture: 'fcn_resnet101_aux', options: { auxLoss: true }, input: [1, 32], backward: false, heavy: true },
];

/**
 * Segmentation: without auxLoss the model is the same minus its aux_classifier, so torchvision's keys of the
 * model without the auxiliary head must be the others, in order (checked without a second build).
 */
function withoutAux(fixture: string): (m: models.SegmentationModel) => void {
  return (m) => {
    const main = [...m.stateDict()].filter(([k]) => !k.startsWith('aux_classifier.')).map(([k, t]) => [k, [...t.shape]]);
    assert.deepEqual(main, torchvisionModel(fixture).keys, `${fixture} keys`);
    m.aux_classifier = null;
    assert.equal(numParams(m), torchvisionModel(fixture).params);
  };
}

/** GoogLeNet: training with auxLogits returns {logits, auxLogits2, auxLogits1}; otherwise the logits. */
function checkGoogLeNetOutputs(m: models.GoogLeNet): void {
  const x = detInput([2, 3, 32, 32]);
  const train = st.noGrad(() => m.train().forward(x));
  if (m.auxLogits) {
    const o = train as models.GoogLeNetOutputs;
    assert.deepEqual([o.logits.shape, o.auxLogits1!.shape, o.auxLogits2!.shape], [[2, 1000], [2, 1000], [2, 1000]]);
  } else assert.ok(train instanceof st.Tensor);
  assert.ok(st.noGrad(() => m.eval().forward(x)) instanceof st.Tensor);
}

/** The logits tensor of any model output (GoogLeNet's outputs object, the segmentation dict). */
function logits(out: unknown): st.Tensor {
  if (out instanceof st.Tensor) return out;
  const o = out as Record<string, st.Tensor | null>;
  return (o.logits ?? o.out)!;
}

/** All output tensors, summed (so backward reaches the auxiliary heads too). */
function sumOutputs(out: unknown): st.Tensor {
  if (out instanceof st.Tensor) return out;
  const ts = Object.values(out as Record<string, st.Tensor | null>).filter((t): t is st.Tensor => t instanceof st.Tensor);
  return ts.slice(1).reduce((a, b) => a.add(b), ts[0]);
}

for (const c of cases) {
  const fixture = c.fixture ?? c.name;
  const backward = c.backward || FULL;
  // Large variants of a family already run forward in the default suite: there the structure is checked
  // (parameters, state dict, MACs: cheap) and the forward pass only with STRATA_MODELS_FULL=1.
  const forward = !c.heavy || FULL;
  const what = forward ? `; forward ${c.input[0]}×3×${c.input[1]}²${backward ? ' and gradients' : ''}` : '';
  test(`${fixture}: parameters, state dict and MACs as torchvision${what}`, () => {
    st.manualSeed(0);
    const ref = torchvisionModel(fixture);
    const model = fastInit(() => models.create(c.name, c.options));
    assert.equal(numParams(model), ref.params, 'parameters');
    assertSameState(model, fixture);

    const s = models.summary(model, [3, ref.size, ref.size]);
    assert.equal(s.totalParams, ref.params, 'summary totalParams');
    assert.equal(s.macs, ref.macs, `multiply-adds at ${ref.size}×${ref.size} (PyTorch hooks)`);
    const pub = PUBLISHED[fixture];
    if (pub) {
      assert.equal(ref.params, pub.params, 'published parameters');
      const g = s.macs / 1e9;
      assert.ok(Math.abs(g - pub.gflops) / pub.gflops < 0.02, `${g.toFixed(3)} GMACs vs published ${pub.gflops}`);
    }

    if (!forward) return;
    const [n, size] = c.input;
    const isSeg = models.info(c.name).task === 'segmentation';
    const out = st.noGrad(() => model.eval().forward(detInput([n, 3, size, size])));
    const numClasses = isSeg ? 21 : 1000;
    assert.deepEqual(logits(out).shape, isSeg ? [n, numClasses, size, size] : [n, numClasses]);
    if (isSeg) assert.equal('aux' in (out as object), !!c.options?.auxLoss, 'aux output');
    // Batch 2 at least: training-mode batch norm needs more than one value per channel (as PyTorch).
    if (backward) assertAllGrads(model, detInput([Math.max(2, n), 3, size, size]), sumOutputs);
    c.extra?.(model);
  });
}
