// Unit tests (Node, no browser) of the lab server and the DOM-free parts of the CNN lab and the filter bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dataIndex, parseLabArgs, runLab } from '../../src/cli/lab.js';
import { maybeGunzip, mnistFrom, parseIdx } from '../../web/cnn-lab/mnist.js';
import { LeNet5, batchOf, evaluate, featureMaps, receptiveField, topActivations } from '../../web/cnn-lab/lenet.js';
import {
  boxKernel1d, convolve, gaborKernel, gaussianBlur, gaussianKernel1d, gaussianKernel2d, equalizeHistogram, parseKernel,
  rgbaToTensor, sharpenKernel, tensorToRgba, kernel,
} from '../../web/filter-bench/filters.js';
import { fromTypedArray, rand, manualSeed } from '../../src/core.js';

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

test('lab server: arguments', () => {
  const cases: [string[], object][] = [
    [[], {}],
    [['--port', '9000'], { port: 9000 }],
    [['--port=0', '--data', '/d', '--host', '0.0.0.0'], { port: 0, dataDir: '/d', host: '0.0.0.0' }],
  ];
  for (const [argv, want] of cases) assert.deepEqual(parseLabArgs(argv), want);
  assert.throws(() => parseLabArgs(['--port', 'x']), /--port expects an integer/);
  assert.throws(() => parseLabArgs(['--port']), /--port needs a value/);
  assert.throws(() => parseLabArgs(['--bogus']), /unknown argument --bogus/);
});

test('lab server: serves pages and data, refuses to start without built pages', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lab-unit-'));
  try {
    const web = join(root, 'web');
    const data = join(root, 'data');
    mkdirSync(join(web, 'sub'), { recursive: true });
    mkdirSync(join(data, 'photos'), { recursive: true });
    mkdirSync(join(data, 'mnist'), { recursive: true });
    await assert.rejects(runLab({ webDir: web, dataDir: data, port: 0, log: false }), /pages are not built.*npm run build:web/);
    writeFileSync(join(web, 'index.html'), '<h1>lab</h1>');
    writeFileSync(join(web, 'sub', 'index.html'), 'sub');
    writeFileSync(join(data, 'photos', 'a.png'), 'png');
    writeFileSync(join(data, 'photos', 'notes.txt'), 'x');
    writeFileSync(join(data, 'mnist', 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([2], new Uint8Array([3, 4]))));
    writeFileSync(join(root, 'secret.txt'), 'secret');
    assert.deepEqual(dataIndex(data), { mnist: ['mnist/t10k-labels-idx1-ubyte.gz'], photos: ['photos/a.png'] });
    const lab = await runLab({ webDir: web, dataDir: data, port: 0, log: false });
    try {
      const get = (p: string) => fetch(new URL(p, lab.url));
      assert.equal(await (await get('')).text(), '<h1>lab</h1>');
      assert.equal(await (await get('sub/')).text(), 'sub');
      const png = await get('data/photos/a.png');
      assert.equal(png.headers.get('content-type'), 'image/png');
      const gz = await get('data/mnist/t10k-labels-idx1-ubyte.gz');
      assert.equal(gz.headers.get('content-type'), 'application/gzip');
      const labels = parseIdx(await maybeGunzip(new Uint8Array(await gz.arrayBuffer())));
      assert.deepEqual([labels.dims, [...labels.data]], [[2], [3, 4]]);
      for (const p of ['missing', 'data/missing.png', 'data/..%2fsecret.txt', 'data/%2e%2e/secret.txt', '..%2fsecret.txt']) {
        assert.equal((await get(p)).status, 404, p);
      }
      assert.equal((await fetch(new URL('', lab.url), { method: 'POST' })).status, 405);
    } finally {
      await lab.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('MNIST IDX parsing: valid files and errors', async () => {
  const images = idx([2, 2, 2], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
  const labels = idx([2], Uint8Array.from([7, 9]));
  const set = mnistFrom(await maybeGunzip(new Uint8Array(gzipSync(images))), labels);
  assert.deepEqual([set.count, set.rows, set.cols, [...set.labels]], [2, 2, 2, [7, 9]]);
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 5]), /bad magic/],
    [Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 5]), /unsigned-byte/],
    [idx([3], Uint8Array.from([1, 2])), /expected 3 data bytes/],
    [Uint8Array.from([0, 0]), /too short/],
  ];
  for (const [bytes, err] of cases) assert.throws(() => parseIdx(bytes), err);
  assert.throws(() => mnistFrom(images, idx([3], Uint8Array.from([1, 2, 3]))), /2 images but 3 labels/);
});

test('LeNet-5: shapes of activations, receptive fields, evaluation and top activations', () => {
  const n = 6;
  const pixels = new Uint8Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  const set = { images: pixels, labels: Uint8Array.from([0, 1, 2, 3, 4, 5]), count: n, rows: 28, cols: 28 };
  const model = new LeNet5(0);
  assert.equal(model.parameters().reduce((s, p) => s + p.size, 0), 61706, 'LeNet-5 parameter count');
  const acts = model.activations(batchOf(set, [0, 1]).x);
  assert.deepEqual([acts.conv1.shape, acts.pool1.shape, acts.conv2.shape, acts.pool2.shape, acts.logits.shape],
    [[2, 6, 28, 28], [2, 6, 14, 14], [2, 16, 10, 10], [2, 16, 5, 5], [2, 10]]);
  const maps = featureMaps(model, set, 3);
  assert.deepEqual(maps.conv2.shape, [16, 10, 10]);
  assert.deepEqual([receptiveField('conv1', 0, 0), receptiveField('conv2', 9, 9)], [[-2, -2, 5], [16, 16, 14]]);
  const ev = evaluate(model, set, [0, 1, 2, 3, 4, 5], 4);
  assert.equal(ev.confusion.flat().reduce((a, b) => a + b, 0), 6);
  assert.equal(ev.mistakes.length, Math.round(6 * (1 - ev.accuracy)));
  const top = topActivations(model, set, [0, 1, 2, 3, 4, 5], 'conv2', 5, 3, 4);
  assert.equal(top.length, 3);
  assert.ok(top[0].value >= top[1].value && top[1].value >= top[2].value);
  assert.throws(() => topActivations(model, set, [0], 'conv1', 6), /conv1 has 6 channels/);
});

test('filters: kernels', () => {
  for (const sigma of [0.5, 1, 2.5]) {
    const g = gaussianKernel1d(sigma);
    assert.equal(g.kw, 2 * Math.ceil(3 * sigma) + 1);
    assert.ok(Math.abs(g.data.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(Math.abs(gaussianKernel2d(sigma).data.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
  assert.ok(Math.abs(sharpenKernel(2).data.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'sharpening keeps flat areas');
  assert.ok(Math.abs(boxKernel1d(5).data.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const gab = gaborKernel({ theta: 0.3, lambda: 6 });
  assert.ok(Math.abs(gab.data.reduce((a, b) => a + b, 0)) < 1e-5, 'Gabor kernels have zero mean');
  const cases: [string, number[] | RegExp][] = [
    ['1 2 3\n4 5 6\n7 8 9', [1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ['1/9, 1/9, 1/9; 1/9 1/9 1/9 1/9 1/9 1/9', Array(9).fill(1 / 9)],
    ['1 2 3 4', /expected 9 \(3×3\) or 25 \(5×5\) numbers, got 4/],
    ['1 2 x\n4 5 6\n7 8 9', /every entry must be a number/],
    ['1 2\n3 4 5 6\n7 8 9', /expected 3 numbers on each of 3 rows/],
  ];
  for (const [text, want] of cases) {
    if (want instanceof RegExp) assert.throws(() => parseKernel(text), want, text);
    else assert.deepEqual([...parseKernel(text).data].map((v) => +v.toFixed(6)), want.map((v) => +v.toFixed(6)), text);
  }
});

test('filters: separable Gaussian equals the 2-D convolution; identity and constant images', () => {
  manualSeed(1);
  const x = rand([1, 3, 20, 17]).mul(255);
  for (const sigma of [0.5, 1.5]) {
    const a = gaussianBlur(x, sigma).data();
    const b = convolve(x, gaussianKernel2d(sigma)).data();
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
    assert.ok(max < 1e-3, `σ=${sigma}: ${max}`);
  }
  const id = convolve(x, kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]])).data();
  assert.deepEqual([...id], [...x.data()]);
  const flat = fromTypedArray(new Float32Array(3 * 64).fill(100), [1, 3, 8, 8]);
  assert.ok([...gaussianBlur(flat, 2).data()].every((v) => Math.abs(v - 100) < 1e-3), 'edges replicated: a flat image stays flat');
  const rgba = Uint8ClampedArray.from({ length: 4 * 6 }, (_, i) => (i % 4 === 3 ? 255 : i * 10));
  assert.deepEqual([...tensorToRgba(rgbaToTensor(rgba, 3, 2))], [...rgba]);
});

test('filters: histogram equalisation spreads the luma over 0..255', () => {
  const n = 100;
  const rgba = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) rgba.set([100 + (p % 20), 100 + (p % 20), 100 + (p % 20), 255], p * 4);
  const out = equalizeHistogram(rgba);
  const lum = Array.from({ length: n }, (_, p) => out[p * 4]);
  assert.equal(Math.min(...lum), 0);
  assert.equal(Math.max(...lum), 255);
});
