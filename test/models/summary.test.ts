import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as nn from '../../src/nn/index.js';
import * as models from '../../src/models/index.js';
import { fastInit } from './helpers.js';

test('summary(lenet5): rows, totals, receptive field, table', () => {
  const m = models.lenet5();
  const s = models.summary(m, [1, 28, 28]);
  const rows = s.rows.map((r) => [r.name, r.type, r.outputShape, r.params, r.macs, r.receptiveField]);
  assert.deepEqual(rows, [
    ['features.0', 'Conv2d', [1, 6, 28, 28], 156, 6 * 28 * 28 * 25, [5, 5]],
    ['features.1', 'ReLU', [1, 6, 28, 28], 0, 0, [5, 5]],
    ['features.2', 'MaxPool2d', [1, 6, 14, 14], 0, 0, [6, 6]],
    ['features.3', 'Conv2d', [1, 16, 10, 10], 2416, 16 * 100 * 6 * 25, [14, 14]],
    ['features.4', 'ReLU', [1, 16, 10, 10], 0, 0, [14, 14]],
    ['features.5', 'MaxPool2d', [1, 16, 5, 5], 0, 0, [16, 16]],
    ['classifier.0', 'Linear', [1, 120], 48120, 48000, null],
    ['classifier.1', 'ReLU', [1, 120], 0, 0, null],
    ['classifier.2', 'Linear', [1, 84], 10164, 10080, null],
    ['classifier.3', 'ReLU', [1, 84], 0, 0, null],
    ['classifier.4', 'Linear', [1, 10], 850, 840, null],
  ]);
  assert.equal(s.totalParams, 61706);
  assert.equal(s.trainableParams, 61706);
  assert.equal(s.macs, 416520);
  assert.deepEqual(s.receptiveField, [16, 16]);
  assert.deepEqual(s.inputShape, [1, 1, 28, 28]);
  assert.deepEqual(s.outputShapes, [[1, 10]]);
  const table = s.format();
  for (const text of ['Layer (type)', 'features.0 (Conv2d)', '[1, 6, 28, 28]', 'Total params: 61,706', 'Mult-adds (conv + linear): 416,520', 'Receptive field: 16 pixels']) {
    assert.ok(table.includes(text), `table lacks '${text}':\n${table}`);
  }
  // The 1998 form: C5 sees the whole 32×32 input.
  assert.deepEqual(models.summary(models.lenet5_classic(), [1, 32, 32]).receptiveField, [32, 32]);
});

test('summary: receptive field of plain stacks (VGG-16 conv5_3 196, pool5 212 at 224²), none with branches', () => {
  // (AlexNet's 195 and the whole VGG-16 are checked in torchvision.test.ts.)
  const vggConv = fastInit(() => models.vggFeatures(models.VGG_CONFIGS.D, false));
  const v = models.summary(vggConv, [3, 224, 224]);
  assert.deepEqual(v.receptiveField, [212, 212]);
  assert.deepEqual(v.rows.filter((r) => r.type === 'Conv2d').at(-1)!.receptiveField, [196, 196]);
  assert.equal(v.macs, 15346630656); // VGG-16's convolutions (the classifier adds 123,633,664)
  assert.deepEqual(models.summary(models.plain20(), [3, 32, 32]).receptiveField, [109, 109]);
  assert.equal(models.summary(models.resnet20(), [3, 32, 32]).receptiveField, null);
  assert.equal(models.summary(models.resnet20({ shortcut: 'B' }), [3, 32, 32]).receptiveField, null);
});

test("summary: 'shapes' mode agrees with a real forward ('compute')", () => {
  st.manualSeed(0);
  for (const [m, shape] of [[models.resnet20({ shortcut: 'B' }), [2, 3, 32, 32]], [models.lenet5_classic(), [1, 32, 32]]] as const) {
    const a = models.summary(m, shape);
    const b = models.summary(m, shape, { mode: 'compute' });
    assert.deepEqual(a.rows.map((r) => [r.name, r.outputShape, r.params, r.macs, r.receptiveField]), b.rows.map((r) => [r.name, r.outputShape, r.params, r.macs, r.receptiveField]));
    assert.equal(a.macs, b.macs);
  }
  // Batch 2 doubles the multiply-adds.
  assert.equal(models.summary(models.resnet20(), [2, 3, 32, 32]).macs, 2 * models.summary(models.resnet20(), [3, 32, 32]).macs);
});

/** A body with two outputs and an auxiliary head that only runs in training (as GoogLeNet's). */
class TwoHeads extends nn.Module {
  body = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.ReLU());
  head = new nn.Linear(4, 2);
  aux = new nn.Linear(4, 5);
  forward(x: st.Tensor): { out: st.Tensor; pooled: st.Tensor; aux?: st.Tensor } {
    const pooled = this.body.forward(x).mean([2, 3]);
    return { out: this.head.forward(pooled), pooled, ...(this.training ? { aux: this.aux.forward(pooled) } : {}) };
  }
}

test('summary: multi-output models, modules that do not run, shared modules counted once', () => {
  const s = models.summary(new TwoHeads(), [3, 8, 8]);
  assert.deepEqual(s.outputShapes, [[1, 2], [1, 4]]); // evaluation: no aux output
  assert.equal(s.totalParams, 112 + 10 + 25); // the auxiliary head counts though it does not run
  assert.equal(s.rows.reduce((n, r) => n + r.params, 0), 112 + 10);
  assert.equal(s.macs, 4 * 64 * 27 + 8);
  const r = models.resnet20({ shortcut: 'B' });
  const rs = models.summary(r, [3, 32, 32]);
  assert.equal(rs.rows.filter((row) => row.name === 'layer1.0.relu').length, 2); // called twice per block
  assert.equal(rs.rows.reduce((n, row) => n + row.params, 0), rs.totalParams);
});

test('summary: leaves the model as it was, and reports bad inputs', () => {
  const m = models.lenet5();
  m.train();
  m.features.at(0).training = false;
  const before = m.modules().map((x) => x.training);
  models.summary(m, [1, 28, 28]);
  assert.deepEqual(m.modules().map((x) => x.training), before);
  assert.ok(m.modules().every((x) => !Object.prototype.hasOwnProperty.call(x, 'forward')), 'no forward wrappers left');
  const y = st.noGrad(() => m.eval().forward(st.ones([1, 1, 28, 28])));
  assert.notEqual(y.data()[0], 0); // the real layers run again
  assert.throws(() => models.summary(m, [3, 28, 28]), /Conv2d\(1, 6, kernel_size=\(5, 5\)\): expected input \[N, 1, H, W\]/);
  assert.ok(m.modules().every((x) => !Object.prototype.hasOwnProperty.call(x, 'forward')), 'no forward wrappers left after an error');
  assert.throws(() => models.summary(m, [1, 0, 28]), /inputShape must be a list of positive integers/);
  assert.throws(() => models.summary({} as nn.Module, [1, 28, 28]), /expected an nn.Module/);
});

test('summary: user hooks keep working', () => {
  const m = models.lenet5();
  let calls = 0;
  const h = m.features.at(0).registerForwardHook(() => {
    calls++;
  });
  models.summary(m, [1, 28, 28]);
  assert.equal(calls, 1);
  st.noGrad(() => m.forward(st.zeros([1, 1, 28, 28])));
  assert.equal(calls, 2);
  h.remove();
});

test('summary: 1-D and 3-D convolutions and their transposes count multiply-adds; shapes without running them', () => {
  const net = new nn.Sequential(new nn.Conv3d(3, 8, 3, { padding: 1 }), new nn.MaxPool3d(2), new nn.ConvTranspose3d(8, 4, 2, { stride: 2 }));
  const s = models.summary(net, [1, 3, 8, 8, 8]);
  const CASES: [string, number[], number][] = [
    ['Conv3d', [1, 8, 8, 8, 8], 8 * 512 * 3 * 27], // output elements × input channels × kernel elements
    ['MaxPool3d', [1, 8, 4, 4, 4], 0],
    ['ConvTranspose3d', [1, 4, 8, 8, 8], 8 * 64 * 4 * 8], // input elements × output channels × kernel elements
  ];
  assert.deepEqual(s.rows.map((r) => [r.type, r.outputShape, r.macs]), CASES);
  const t1 = models.summary(new nn.Sequential(new nn.ConvTranspose1d(4, 2, 3)), [4, 10]); // unbatched [C, L]
  assert.deepEqual([t1.rows[0]!.outputShape, t1.macs], [[2, 12], 40 * 2 * 3]);
});
