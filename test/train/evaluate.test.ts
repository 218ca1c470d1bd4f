import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../src/index.js';
import { SGD } from '../../src/optim/index.js';
import { evaluate, fit, formatMisclassified, saveErrorGrid, captionedTile } from '../../src/train/index.js';
import { Uint8Image } from '../../src/data/index.js';
import { loader, mnistSlice, tempDir, tinyNet } from './helpers.js';

async function trained() {
  const model = tinyNet(21);
  await fit(model, { progress: false, train: loader(mnistSlice(256), { shuffle: true }), epochs: 2, optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) });
  return model;
}

test('evaluate: loss, accuracy, confusion matrix and the misclassified list agree with a manual pass', async () => {
  const model = await trained();
  const ds = mnistSlice(200, { train: false });
  const result = await evaluate(model, loader(ds, { batchSize: 64 }));
  // Manual pass.
  model.eval();
  const preds: number[] = [];
  const labels: number[] = [];
  st.noGrad(() => {
    for (const [x, y] of loader(ds, { batchSize: 50 })) {
      preds.push(...Array.from((model.forward(x) as st.Tensor).argmax(1).data() as Int32Array));
      labels.push(...Array.from(y.data() as Int32Array));
    }
  });
  const wrong = preds.map((p, i) => [i, labels[i], p]).filter(([, t, p]) => t !== p);
  assert.equal(result.count, 200);
  assert.equal(result.misclassified.length, wrong.length);
  assert.deepEqual(result.misclassified.map((m) => [m.index, m.target, m.predicted]), wrong);
  assert.ok(result.misclassified.every((m) => m.confidence > 0 && m.confidence <= 1));
  assert.ok(Math.abs(result.accuracy - (1 - wrong.length / 200)) < 1e-12);
  assert.ok(Math.abs(result.error - wrong.length / 200) < 1e-12);
  const cm = result.confusion.toArray();
  assert.equal(cm.flat().reduce((a, b) => a + b, 0), 200);
  for (let c = 0; c < 10; c++) {
    for (let d = 0; d < 10; d++) {
      const n = preds.filter((p, i) => labels[i] === c && p === d).length;
      assert.equal(cm[c][d], n, `confusion[${c}][${d}]`);
    }
  }
  assert.equal(result.precision.length, 10);
  assert.ok(result.top5Accuracy >= result.accuracy);
  assert.ok(model.training === false, 'evaluate restores the previous mode (eval here)');
  const text = formatMisclassified(result.misclassified.slice(0, 2));
  assert.match(text.split('\n')[0], /^ +\d+: \d → \d \(\d+\.\d%\)$/);
});

test('evaluate refuses a shuffling loader when indices are wanted', async () => {
  const model = tinyNet(1);
  await assert.rejects(evaluate(model, loader(mnistSlice(32), { shuffle: true })), /the loader shuffles/);
  const r = await evaluate(model, loader(mnistSlice(32), { shuffle: true }), { misclassified: false });
  assert.equal(r.count, 32);
});

test('error grid: a PNG of captioned tiles', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const model = await trained();
    const ds = mnistSlice(100, { train: false });
    const result = await evaluate(model, loader(ds));
    const path = join(dir, 'errors.png');
    const n = saveErrorGrid(path, ds, result.misclassified.length ? result.misclassified : [{ index: 0, target: 7, predicted: 1, confidence: 0.5 }], { nrow: 5 });
    const png = readFileSync(path);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    const cols = Math.min(5, n);
    if (n > 1) {
      assert.equal(width, cols * 30 + 2);
      assert.equal(height, Math.ceil(n / cols) * 37 + 2);
    }
    const tile = captionedTile(new Uint8Image(new Uint8Array(28 * 28), 1, 28, 28), 4, 9);
    assert.deepEqual(tile.shape, [3, 35, 28]);
    assert.ok(tile.data.some((v) => v === 255), 'the red predicted label is drawn');
  } finally {
    cleanup();
  }
});
