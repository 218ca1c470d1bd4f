import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as data from '../../src/data/index.js';
import { missing, realDataRoot } from './helpers.js';

const root = realDataRoot();

function channelStats(bytes: Uint8Array, channels: number, plane: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  const stride = channels * plane;
  for (let i = 0; i < bytes.length; i++) {
    const c = Math.floor((i % stride) / plane);
    sum[c] += bytes[i];
    sq[c] += bytes[i] * bytes[i];
  }
  const n = bytes.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  return { mean, std: Array.from(sq, (s, c) => Math.sqrt(s / n - mean[c] ** 2)) };
}

function counts(targets: ArrayLike<number>, k: number): number[] {
  const out = new Array(k).fill(0);
  for (let i = 0; i < targets.length; i++) out[targets[i]]++;
  return out;
}

test('MNIST from the real files: counts, shapes, labels, pixel statistics', { skip: missing('mnist') }, () => {
  const train = new data.MNIST(root);
  const testSet = new data.MNIST(root, { train: false });
  assert.equal(train.length, 60000);
  assert.equal(testSet.length, 10000);
  const [img, label] = train.get(0);
  assert.ok(img instanceof data.Uint8Image);
  assert.deepEqual(img.shape, [1, 28, 28]);
  assert.equal(label, 5);
  assert.deepEqual(Array.from(train.targets.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.equal(testSet.get(0)[1], 7);
  assert.deepEqual(counts(train.targets, 10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  const { mean, std } = channelStats(train.data, 1, 784);
  assert.ok(Math.abs(mean[0] / 255 - 0.1307) < 1e-4, `mean ${mean[0] / 255}`);
  assert.ok(Math.abs(std[0] / 255 - 0.3081) < 1e-4, `std ${std[0] / 255}`);
  const t = new data.MNIST(root, { transform: new data.ToTensor() }).get(0)[0];
  assert.equal(t.dtype, 'float32');
  assert.ok(t.max().item() === 1 && t.min().item() === 0);
  assert.equal(train.classes[5], '5 - five');
});

test('an MNIST epoch through the loader is fast (batch 64, ToTensor + Normalize)', { skip: missing('mnist') }, () => {
  const ds = new data.MNIST(root, { transform: new data.Compose([new data.ToTensor(), new data.Normalize([0.1307], [0.3081])]) });
  const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true });
  const start = performance.now();
  let batches = 0;
  let sum = 0;
  for (const [x, y] of loader) {
    batches++;
    sum += y.shape[0];
    if (batches === 1) assert.deepEqual(x.shape, [64, 1, 28, 28]);
  }
  const seconds = (performance.now() - start) / 1000;
  assert.equal(batches, 938);
  assert.equal(sum, 60000);
  console.log(`MNIST epoch: ${batches} batches in ${seconds.toFixed(3)} s = ${(batches / seconds).toFixed(0)} batches/s`);
  assert.ok(seconds < 10, `an epoch took ${seconds} s`); // a loose bound: machines under load are slow
});

test('CIFAR-10 from the real files: counts, known labels, class names, pixel statistics', { skip: missing('cifar-10') }, () => {
  const train = new data.CIFAR10(root);
  const testSet = new data.CIFAR10(root, { train: false });
  assert.equal(train.length, 50000);
  assert.equal(testSet.length, 10000);
  assert.deepEqual(train.classes, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  const [img, label] = train.get(0);
  assert.deepEqual(img.shape, [3, 32, 32]);
  assert.equal(train.classes[label], 'frog');
  assert.deepEqual([0, 1, 2, 3].map((i) => testSet.classes[testSet.get(i)[1]]), ['cat', 'ship', 'ship', 'airplane']);
  assert.deepEqual(counts(train.targets.subarray(0, 10000), 10), [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981]);
  assert.deepEqual(counts(train.targets, 10), new Array(10).fill(5000));
  const { mean, std } = channelStats(testSet.data, 3, 1024);
  [126.02, 123.71, 114.85].forEach((m, c) => assert.ok(Math.abs(mean[c] - m) < 0.01, `mean ${c}: ${mean[c]}`));
  [62.9, 61.94, 66.71].forEach((s, c) => assert.ok(Math.abs(std[c] - s) < 0.01, `std ${c}: ${std[c]}`));
  assert.equal(train.classToIdx.ship, 8);
});

// ---- synthetic files ---------------------------------------------------------------------------------

function idx(dims: number[], values: number[] | Uint8Array, magicType = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const dv = new DataView(header.buffer);
  header[2] = magicType;
  header[3] = dims.length;
  dims.forEach((d, k) => dv.setUint32(4 + 4 * k, d));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(values, header.length);
  return out;
}

/** A data root holding an IDX set (MNIST layout) with two 2×3 images. */
function idxRoot(folder: string, files: Partial<Record<'images' | 'labels', Uint8Array>> = {}, gz = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-idx-'));
  mkdirSync(join(dir, folder));
  const images = files.images ?? idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
  const labels = files.labels ?? idx([2], [3, 9]);
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, folder, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  write('train-images-idx3-ubyte', images);
  write('train-labels-idx1-ubyte', labels);
  return dir;
}

test('IDX readers accept gzipped and raw files; FashionMNIST reads its own folder', () => {
  for (const gz of [true, false]) {
    const ds = new data.MNIST(idxRoot('mnist', {}, gz));
    assert.equal(ds.length, 2);
    const [img, label] = ds.get(1);
    assert.deepEqual(img.shape, [1, 2, 3]);
    assert.deepEqual(Array.from(img.data), [10, 11, 12, 13, 14, 15]);
    assert.equal(label, 9);
  }
  const fashion = new data.FashionMNIST(idxRoot('fashion-mnist'));
  assert.equal(fashion.classes[fashion.get(1)[1]], 'Ankle boot');
  assert.throws(() => new data.FashionMNIST(idxRoot('mnist')), /FashionMNIST: cannot find .*fashion-mnist.*train-images-idx3-ubyte/);
});

test('corrupt MNIST files raise errors that name the file and the problem', () => {
  const good = idx([2, 2, 3], new Uint8Array(12));
  const cases: [string, () => string, RegExp][] = [
    ['wrong magic', () => idxRoot('mnist', { images: Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 0]) }), /train-images-idx3-ubyte.gz has a wrong magic number 0x01020304/],
    ['labels file given as images', () => idxRoot('mnist', { images: idx([2], [1, 2]) }), /train-images-idx3-ubyte.gz has 1 dimensions \(magic 2049\), expected 3 \(magic 2051\)/],
    ['not bytes', () => idxRoot('mnist', { images: idx([1, 1, 1], [0, 0, 0, 0], 0x0d) }), /holds float values; only unsigned bytes/],
    ['too short', () => idxRoot('mnist', { images: Uint8Array.from([0, 0]) }), /train-images-idx3-ubyte.gz is too short \(2 bytes\)/],
    ['truncated header', () => idxRoot('mnist', { images: good.slice(0, 10) }), /is truncated: its header needs 16 bytes, the file has 10/],
    ['truncated pixels', () => idxRoot('mnist', { images: good.slice(0, 20) }), /train-images-idx3-ubyte.gz is truncated: shape \[2,2,3\] needs 28 bytes, the file has 20/],
    ['trailing bytes', () => idxRoot('mnist', { images: Uint8Array.from([...good, 7, 7]) }), /has 2 unexpected bytes after the 12 values/],
    ['count mismatch', () => idxRoot('mnist', { labels: idx([3], [1, 2, 3]) }), /train-images-idx3-ubyte.gz holds 2 images but .*train-labels-idx1-ubyte.gz holds 3 labels/],
    ['label out of range', () => idxRoot('mnist', { labels: idx([2], [1, 12]) }), /train-labels-idx1-ubyte.gz has label 12 at index 1, expected 0..9/],
    ['missing files', () => mkdtempSync(join(tmpdir(), 'strata-empty-')), /MNIST: cannot find .*mnist\/train-images-idx3-ubyte or .*train-images-idx3-ubyte.gz; download/],
  ];
  for (const [name, make, re] of cases) assert.throws(() => new data.MNIST(make()), re, name);

  const dir = idxRoot('mnist');
  writeFileSync(join(dir, 'mnist', 'train-images-idx3-ubyte.gz'), Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  assert.throws(() => new data.MNIST(dir), /MNIST: cannot decompress .*train-images-idx3-ubyte.gz: not a valid gzip file/, 'bad gzip');
  const full = gzipSync(good);
  writeFileSync(join(dir, 'mnist', 'train-images-idx3-ubyte.gz'), full.subarray(0, full.length - 6));
  assert.throws(() => new data.MNIST(dir), /MNIST: cannot decompress .*train-images-idx3-ubyte.gz: the file is truncated/, 'truncated gzip');
});

/** CIFAR binary records: [label bytes..., 3072 pixels] each. */
function records(labels: number[][]): Uint8Array {
  const size = labels[0].length + 3072;
  const out = new Uint8Array(labels.length * size);
  labels.forEach((ls, i) => {
    out.set(ls, i * size);
    out.fill(i + 1, i * size + ls.length, (i + 1) * size);
  });
  return out;
}

function cifarRoot(folder: string, files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-cifar-'));
  mkdirSync(join(dir, folder));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, folder, name), bytes);
  return dir;
}

test('CIFAR-100 reads fine and coarse labels; CIFAR-10 reads a test batch', () => {
  const dir = cifarRoot('cifar-100', { 'test.bin': records([[4, 99], [19, 0]]) });
  const fine = new data.CIFAR100(dir, { train: false });
  assert.deepEqual(Array.from(fine.targets), [99, 0]);
  assert.equal(fine.classes[99], 'worm');
  assert.equal(fine.classes.length, 100);
  const coarse = new data.CIFAR100(dir, { train: false, labelType: 'coarse' });
  assert.deepEqual(Array.from(coarse.targets), [4, 19]);
  assert.equal(coarse.classes[19], 'vehicles_2');
  assert.equal(coarse.classes.length, 20);
  const [img] = fine.get(1);
  assert.deepEqual(img.shape, [3, 32, 32]);
  assert.ok(img.data.every((v: number) => v === 2));
  const c10 = new data.CIFAR10(cifarRoot('cifar-10', { 'test_batch.bin': records([[3], [8]]), 'batches.meta.txt': 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n' }), { train: false });
  assert.deepEqual(c10.get(1)[1], 8);
  assert.equal(c10.classes[8], 'i', 'names come from batches.meta.txt');
});

test('corrupt CIFAR files raise errors that name the file and the problem', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['size not a multiple', () => new data.CIFAR10(cifarRoot('cifar-10', { 'test_batch.bin': records([[1], [2]]).subarray(0, 5000) }), { train: false }),
      /CIFAR10: .*test_batch.bin has 5000 bytes, not a whole number of 3073-byte records \(1 label byte \+ 3072 pixels\)/],
    ['empty file', () => new data.CIFAR10(cifarRoot('cifar-10', { 'test_batch.bin': new Uint8Array(0) }), { train: false }), /test_batch.bin has 0 bytes/],
    ['label out of range', () => new data.CIFAR10(cifarRoot('cifar-10', { 'test_batch.bin': records([[1], [10]]) }), { train: false }),
      /test_batch.bin record 1 has label 10, expected 0..9/],
    ['wrong class list', () => new data.CIFAR10(cifarRoot('cifar-10', { 'test_batch.bin': records([[1]]), 'batches.meta.txt': 'a\nb\n' }), { train: false }),
      /batches.meta.txt lists 2 class names, expected 10/],
    ['missing batch', () => new data.CIFAR10(cifarRoot('cifar-10', { 'data_batch_1.bin': records([[1]]) })), /CIFAR10: cannot find .*data_batch_2.bin; download it with downloadCIFAR10/],
    ['CIFAR-10 file read as CIFAR-100', () => new data.CIFAR100(cifarRoot('cifar-100', { 'train.bin': records([[1], [2], [3]]) })),
      /CIFAR100: .*train.bin has 9219 bytes, not a whole number of 3074-byte records/],
    ['fine label out of range', () => new data.CIFAR100(cifarRoot('cifar-100', { 'train.bin': records([[1, 100]]) })), /record 0 has label 100, expected 0..99/],
    ['bad labelType', () => new data.CIFAR100(cifarRoot('cifar-100', {}), { labelType: 'middle' as 'fine' }), /labelType must be 'fine' or 'coarse'/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
});

test('defaultDataRoot: explicit root, then STRATA_DATA, then ../shared/data, else a clear error', () => {
  const saved = process.env.STRATA_DATA;
  const cwd = process.cwd();
  try {
    assert.equal(data.defaultDataRoot('/some/where'), '/some/where');
    process.env.STRATA_DATA = '/from/env';
    assert.equal(data.defaultDataRoot(), '/from/env');
    delete process.env.STRATA_DATA;
    const base = mkdtempSync(join(tmpdir(), 'strata-root-'));
    mkdirSync(join(base, 'shared', 'data'), { recursive: true });
    mkdirSync(join(base, 'work'));
    process.chdir(join(base, 'work'));
    assert.equal(data.defaultDataRoot(), join(base, 'shared', 'data'));
    process.chdir(base);
    assert.throws(() => data.defaultDataRoot(), /no data root: pass one \(--data DIR\), set the environment variable STRATA_DATA, or create .*\/shared\/data/);
  } finally {
    process.chdir(cwd);
    if (saved === undefined) delete process.env.STRATA_DATA;
    else process.env.STRATA_DATA = saved;
  }
});
