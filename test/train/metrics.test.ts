import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import { ConfusionMatrix, accuracy, topkCorrect } from '../../src/train/metrics.js';

const logits = st.tensor([
  [0.1, 0.7, 0.2],
  [0.5, 0.3, 0.2],
  [0.2, 0.3, 0.5],
  [0.4, 0.4, 0.2],
]);
const target = st.tensor([1, 2, 2, 1], { dtype: 'int32' });

const topk: [number, number][] = [
  [1, 2], // rows 0 and 2; row 3 ties 0.4/0.4 and the lower index (0) wins, as torch.topk
  [2, 3], // row 1 ranks its target third
  [3, 4],
];
for (const [k, expected] of topk) {
  test(`top-${k} correct count`, () => assert.equal(topkCorrect(logits, target, k), expected));
}

test('accuracy is the top-1 fraction', () => assert.equal(accuracy(logits, target), 0.5));

test('bad inputs name the function and shapes', () => {
  assert.throws(() => topkCorrect(logits, target.float()), /topkCorrect: target must be int32/);
  assert.throws(() => topkCorrect(logits, st.tensor([1, 2], { dtype: 'int32' })), /\[4, 3\] and \[2\]/);
  assert.throws(() => topkCorrect(logits, target, 4), /k must be in \[1, 3\]/);
});

test('confusion matrix counts, precision, recall, IoU', () => {
  const cm = new ConfusionMatrix(3).update(logits, target);
  assert.deepEqual(cm.toArray(), [
    [0, 0, 0],
    [1, 1, 0],
    [1, 0, 1],
  ]);
  assert.equal(cm.accuracy(), 0.5);
  assert.deepEqual(cm.recall().map((v) => (Number.isNaN(v) ? 'nan' : v)), ['nan', 0.5, 0.5]);
  assert.deepEqual(cm.precision(), [0, 1, 1]);
  assert.deepEqual(cm.iou(), [0, 0.5, 0.5]);
  assert.equal(cm.meanIoU(), 1 / 3);
  assert.match(cm.format(), /true\\pred/);
});

test('segmentation maps: per-pixel predictions, out-of-range labels ignored', () => {
  const pred = st.tensor([[[0, 1], [1, 1]]], { dtype: 'int32' });
  const truth = st.tensor([[[0, 1], [0, 255]]], { dtype: 'int32' });
  const cm = new ConfusionMatrix(2).update(pred, truth);
  assert.equal(cm.total, 3);
  assert.deepEqual(cm.iou(), [0.5, 0.5]);
});
