import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as data from '../../src/data/index.js';
import { DataLoader, ImageArrayDataset, Uint8Image } from '../../src/data/index.js';
import { fixtures, interruptAndResume } from './helpers.js';

/** n images of 1×2×2 whose pixels are i, i+1, i+2, i+3, labelled i % 10. */
function toy(n: number, options: data.ImageDatasetOptions = {}): ImageArrayDataset {
  const bytes = Uint8Array.from({ length: n * 4 }, (_, k) => (Math.floor(k / 4) + (k % 4)) % 256);
  return new ImageArrayDataset(bytes, Int32Array.from({ length: n }, (_, i) => i % 10), [1, 2, 2], ['c'], options);
}

/** A dataset of its own indices (PyTorch's list(range(n))). */
const range = (n: number): data.Dataset<number> => ({ length: n, get: (i) => i });

const labels = (loader: Iterable<unknown>) => Array.from(loader, (b) => Array.from((b as st.Tensor).data()));

test('batch counts and sizes for each batchSize and dropLast', () => {
  const cases: [number, number, boolean, number[]][] = [
    [10, 3, false, [3, 3, 3, 1]],
    [10, 3, true, [3, 3, 3]],
    [10, 5, true, [5, 5]],
    [10, 1, false, Array(10).fill(1)],
    [10, 11, false, [10]],
    [10, 11, true, []],
    [0, 4, false, []],
  ];
  for (const [n, batchSize, dropLast, sizes] of cases) {
    const loader = new DataLoader(toy(n), { batchSize, dropLast });
    assert.equal(loader.length, sizes.length, `length n=${n} bs=${batchSize} dropLast=${dropLast}`);
    assert.deepEqual(Array.from(loader, ([x]) => x.shape[0]), sizes, `sizes n=${n} bs=${batchSize} dropLast=${dropLast}`);
  }
});

test('default batches are float32 NCHW images and int32 labels, in order without shuffle', () => {
  const loader = new DataLoader(toy(5), { batchSize: 2 });
  const batches = Array.from(loader);
  const [x, y] = batches[1];
  assert.deepEqual(x.shape, [2, 1, 2, 2]);
  assert.equal(x.dtype, 'float32');
  assert.deepEqual(Array.from(x.data()), [2, 3, 4, 5, 3, 4, 5, 6], 'raw 0..255 values without a transform');
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(batches.map((b) => Array.from(b[1].data())), [[0, 1], [2, 3], [4]]);
});

test('the fast batch path gives exactly what per-sample transforms and collate give', () => {
  const pipelines: [string, data.TransformLike | null][] = [
    ['none', null],
    ['ToTensor', new data.ToTensor()],
    ['ToTensor + Normalize', new data.Compose([new data.ToTensor(), new data.Normalize([0.1307], [0.3081])])],
  ];
  for (const [name, transform] of pipelines) {
    const ds = toy(300, { transform });
    const indices = Int32Array.from([5, 299, 0, 17, 255, 256]);
    const fast = ds.getBatch(indices);
    assert.ok(fast, `${name}: fast path taken`);
    const slow = data.defaultCollate(Array.from(indices, (i) => ds.get(i)));
    assert.deepEqual(Array.from(fast[0].data()), Array.from(slow[0].data()), name);
    assert.deepEqual(Array.from(fast[1].data()), Array.from(slow[1].data()), name);
    const sub = new data.Subset(ds, [299, 5]);
    assert.deepEqual(Array.from(sub.getBatch!([1, 0]) as unknown as st.Tensor[], (t) => Array.from(t.data())), [
      Array.from(ds.getBatch([5, 299])![0].data()),
      [5 % 10, 299 % 10],
    ], `${name}: through Subset`);
  }
  assert.equal(toy(3, { transform: new data.RandomHorizontalFlip() }).getBatch([0]), null, 'random transform: no fast path');
  assert.equal(toy(3, { targetTransform: (y: number) => y + 1 }).getBatch([0]), null, 'target transform: no fast path');
});

test('shuffled order and random draws match PyTorch for the same seed', () => {
  for (const [seed, f] of Object.entries(fixtures.loader) as [string, any][]) {
    st.manualSeed(Number(seed));
    const loader = new DataLoader(range(10), { batchSize: 3, shuffle: true });
    assert.deepEqual([labels(loader), labels(loader)], f.epochs, `seed ${seed}: two epochs`);
    assert.deepEqual(Array.from(st.rand(3).data()), f.after, `seed ${seed}: global stream afterwards`);

    const g = new st.Generator(Number(seed));
    const own = new DataLoader(range(10), { batchSize: 4, shuffle: true, generator: g, dropLast: true });
    assert.deepEqual([labels(own), labels(own)], f.genEpochs, `seed ${seed}: loader generator`);

    st.manualSeed(Number(seed));
    assert.deepEqual(labels(new DataLoader(range(5), { batchSize: 2 })), f.plain);
    assert.deepEqual(Array.from(st.rand(2).data()), f.plainAfter, `seed ${seed}: unshuffled epoch draws the base seed too`);
  }
});

test('a seed reproduces the order; another seed changes it; every sample appears once', () => {
  const order = (seed: number) => labels(new DataLoader(range(50), { batchSize: 7, shuffle: true, generator: new st.Generator(seed) })).flat();
  assert.deepEqual(order(1), order(1));
  assert.notDeepEqual(order(1), order(2));
  assert.deepEqual([...order(3)].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
});

test('randomSplit matches torch.utils.data.random_split', () => {
  for (const [seed, f] of Object.entries(fixtures.randomSplit) as [string, any][]) {
    const g = new st.Generator(Number(seed));
    assert.deepEqual(data.randomSplit(range(10), [7, 3], { generator: g }).map((s) => Array.from(s.indices)), f.lengths);
    g.manualSeed(Number(seed));
    assert.deepEqual(data.randomSplit(range(11), [0.5, 0.3, 0.2], { generator: g }).map((s) => Array.from(s.indices)), f.fractions);
  }
  assert.throws(() => data.randomSplit(range(10), [5, 4]), /sum of input lengths \(5 \+ 4 = 9\) does not equal the length of the input dataset \(10\)/);
  assert.throws(() => data.randomSplit(range(10), [0.5, -0.1, 0.6]), /fraction at index 1 is not between 0 and 1/);
});

test('async iteration yields the sync batches and prepares the next batch ahead', async () => {
  const transform = new data.Compose([new data.RandomCrop(2, { padding: 1 }), new data.ToTensor()]);
  st.manualSeed(4);
  const syncBatches = Array.from(new DataLoader(toy(23, { transform }), { batchSize: 5, shuffle: true }), ([x, y]) => [Array.from(x.data()), Array.from(y.data())]);
  st.manualSeed(4);
  const asyncBatches = [];
  for await (const [x, y] of new DataLoader(toy(23, { transform }), { batchSize: 5, shuffle: true, prefetch: 2 })) {
    asyncBatches.push([Array.from(x.data()), Array.from(y.data())]);
  }
  assert.deepEqual(asyncBatches, syncBatches);

  let calls = 0;
  const counting: data.Dataset<number> = { length: 12, get: (i) => (calls++, i) };
  const it = new DataLoader(counting, { batchSize: 3, prefetch: 2 })[Symbol.asyncIterator]();
  await it.next();
  assert.equal(calls, 3, 'only the first batch is built before it is delivered');
  // the consumer is busy elsewhere: two more batches get prepared meanwhile, and no more
  for (let waited = 0; calls < 9 && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls, 9, 'two more batches were prepared meanwhile');
  const rest = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(Array.from(r.value.data()));
  assert.deepEqual(rest, [[3, 4, 5], [6, 7, 8], [9, 10, 11]]);
});

test('errors inside async iteration reach the consumer', async () => {
  const broken: data.Dataset<number> = { length: 6, get: (i) => { if (i === 4) throw new Error('sample 4 is broken'); return i; } };
  const seen: number[][] = [];
  await assert.rejects(async () => {
    for await (const b of new DataLoader(broken, { batchSize: 2 })) seen.push(Array.from(b.data()));
  }, /sample 4 is broken/);
  assert.deepEqual(seen, [[0, 1], [2, 3]]);
});

test('stateDict/loadStateDict resume an interrupted epoch exactly (order, transform draws, draws between batches)', async () => {
  const transform = new data.Compose([new data.RandomCrop(2, { padding: 1 }), new data.ToTensor()]);
  const make = (g?: st.Generator, prefetch = 1) => new DataLoader(toy(40, { transform }), { batchSize: 6, shuffle: true, generator: g, prefetch });
  // what a training step sees: the batch, then a draw from the global generator (as dropout makes)
  const step = (b: [st.Tensor, st.Tensor]) => [...Array.from(b[0].data()), ...Array.from(b[1].data()), st.rand([1]).item()];
  for (const mode of ['sync', 'async', 'async, prefetch 3'] as const) {
    for (const own of [false, true]) {
      const prefetch = mode === 'async, prefetch 3' ? 3 : 1;
      const [full, got] = await interruptAndResume(mode, (resumed) => make(own ? new st.Generator(resumed ? 1 : 8) : undefined, prefetch), step);
      assert.deepEqual(got, full, `${mode}, ${own ? 'own generator' : 'global generator'}`);
    }
  }
  assert.throws(() => make().loadStateDict({} as data.DataLoaderState), /not a DataLoader state/);
});

test('defaultCollate handles nested samples and explains mismatches', () => {
  const batch = data.defaultCollate([
    { image: st.ones([2]), label: 1, weight: 0.5, name: 'a', flag: true, pair: [1, st.zeros([1])] },
    { image: st.zeros([2]), label: 2, weight: 1, name: 'b', flag: false, pair: [2, st.ones([1])] },
  ]);
  assert.deepEqual(batch.image.shape, [2, 2]);
  assert.equal(batch.label.dtype, 'int32');
  assert.equal(batch.weight.dtype, 'float64'); // default_collate: a float first sample makes float64
  assert.equal(data.defaultCollate([1, 0.5]).dtype, 'float32'); // an int first, then a float: torch.tensor's float32
  assert.deepEqual(batch.name, ['a', 'b']);
  assert.equal(batch.flag.dtype, 'bool');
  assert.deepEqual(Array.from(batch.pair[0].data()), [1, 2]);
  assert.deepEqual(batch.pair[1].shape, [2, 1]);
  const images = data.defaultCollate([new Uint8Image(Uint8Array.from([1, 2]), 1, 1, 2), new Uint8Image(Uint8Array.from([3, 4]), 1, 1, 2)]);
  assert.deepEqual(images.shape, [2, 1, 1, 2]);
  const cases: [string, unknown[], RegExp][] = [
    ['shapes', [st.ones([2]), st.ones([3])], /sample 1 has shape \[3\] but sample 0 has \[2\]; make samples one size/],
    ['image sizes', [new Uint8Image(new Uint8Array(2), 1, 1, 2), new Uint8Image(new Uint8Array(3), 1, 1, 3)], /sample 1 has shape \[1,1,3\]/],
    ['kinds', [[st.ones([1]), 1], [st.ones([1]), 'x']], /sample 1\[1\] is string x, but sample 0 is a number/],
    ['tuple lengths', [[1, 2], [1]], /sample 1 is a list of 1, but sample 0 is a list of 2/],
    ['unknown', [null], /cannot batch null/],
  ];
  for (const [name, samples, re] of cases) assert.throws(() => data.defaultCollate(samples), re, name);
});

test('batchSize null, custom collateFn, TensorDataset and option errors', () => {
  assert.deepEqual(Array.from(new DataLoader(range(3), { batchSize: null })), [0, 1, 2]);
  const sums = Array.from(new DataLoader(range(5), { batchSize: 2, collateFn: (s: number[]) => s.reduce((a, b) => a + b, 0) }));
  assert.deepEqual(sums, [1, 5, 4]);
  const x = st.arange(12).float().reshape([6, 2]);
  const y = st.tensor([0, 1, 0, 1, 0, 1], { dtype: 'int32' });
  const ds = new data.TensorDataset(x, y);
  const [bx, by] = new DataLoader(ds, { batchSize: 4 })[Symbol.iterator]().next().value;
  assert.deepEqual(bx.toArray(), [[0, 1], [2, 3], [4, 5], [6, 7]]);
  assert.equal(by.dtype, 'int32');
  assert.deepEqual(data.defaultCollate([ds.get(0), ds.get(5)])[0].toArray(), [[0, 1], [10, 11]]);
  const cases: [string, () => unknown, RegExp][] = [
    ['batchSize 0', () => new DataLoader(range(3), { batchSize: 0 }), /batchSize should be a positive integer or null, got 0/],
    ['prefetch', () => new DataLoader(range(3), { prefetch: -1 }), /prefetch must be a non-negative integer/],
    ['not a dataset', () => new DataLoader([1, 2] as unknown as data.Dataset), /expected a dataset/],
    ['TensorDataset rows', () => new data.TensorDataset(st.ones([3, 2]), st.ones([4])), /tensor 0 has 3 rows, tensor 1 has 4/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
});

test('Subset and ConcatDataset index correctly and check bounds', () => {
  const cat = new data.ConcatDataset([range(3), range(0), range(2)]);
  assert.equal(cat.length, 5);
  assert.deepEqual(Array.from({ length: 5 }, (_, i) => cat.get(i)), [0, 1, 2, 0, 1]);
  assert.equal(cat.get(-1), 1);
  const sub = new data.Subset(range(10), [9, -1, 3]);
  assert.deepEqual([sub.get(0), sub.get(1), sub.get(2)], [9, 9, 3]);
  const cases: [string, () => unknown, RegExp][] = [
    ['concat out of range', () => cat.get(5), /ConcatDataset: index 5 out of range for dataset of length 5/],
    ['subset out of range', () => sub.get(3), /Subset: index 3 out of range/],
    ['subset bad index', () => new data.Subset(range(3), [0, 3]), /Subset: indices\[1\] = 3 is out of range for a dataset of length 3/],
    ['dataset index', () => toy(2).get(2), /ImageArrayDataset: index 2 out of range/],
    ['fractional index', () => toy(2).get(0.5), /index must be an integer/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
});
