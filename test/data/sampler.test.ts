/**
 * Samplers and the DataLoader's sampler/batchSampler options against torch 1.13: index sequences
 * for fixed seeds from test/fixtures/audit_sampler.json (tools/fixtures/audit_sampler.py), which
 * also checks what each sampler drew (the global and the generator's streams afterwards).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as data from '../../src/data/index.js';
import {
  BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
} from '../../src/data/index.js';
import { interruptAndResume } from './helpers.js';

interface Spec {
  kind: string;
  n?: number;
  generator?: boolean;
  replacement?: boolean;
  numSamples?: number;
  indices?: number[];
  weights?: number[];
  sampler?: Spec;
  batchSize?: number | null;
  dropLast?: boolean;
  items?: unknown[];
  options?: Record<string, any>;
}
interface Case {
  name: string;
  spec: Spec;
  seed: number;
  gen: number | null;
  epochs: number;
  take: number | null;
  length: number | null;
  out: unknown[];
  after: number[];
  genAfter?: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/audit_sampler.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  errors: { name: string; type: string; message: string }[];
};

/** A dataset of its own indices (PyTorch's list(range(n))). */
const range = (n: number): data.Dataset<number> => ({ length: n, get: (i) => i });

function build(spec: Spec, g: st.Generator | null): any {
  const generator = spec.generator ? g : null;
  switch (spec.kind) {
    case 'SequentialSampler':
      return new SequentialSampler(range(spec.n!));
    case 'RandomSampler':
      return new RandomSampler(range(spec.n!), { replacement: spec.replacement, numSamples: spec.numSamples, generator });
    case 'SubsetRandomSampler':
      return new SubsetRandomSampler(spec.indices!, { generator });
    case 'WeightedRandomSampler':
      return new WeightedRandomSampler(spec.weights!, spec.numSamples!, { replacement: spec.replacement, generator });
    case 'BatchSampler':
      return new BatchSampler(build(spec.sampler!, g), spec.batchSize!, spec.dropLast!);
    case 'list':
      return spec.items;
    case 'DataLoader': {
      const o = spec.options ?? {};
      return new DataLoader(range(spec.n!), {
        ...('batchSize' in o ? { batchSize: o.batchSize } : {}),
        shuffle: o.shuffle,
        dropLast: o.dropLast,
        sampler: o.sampler ? build(o.sampler, g) : undefined,
        batchSampler: o.batchSampler ? build(o.batchSampler, g) : undefined,
        generator,
      });
    }
  }
  throw new Error(`unknown spec ${spec.kind}`);
}

/** Tensors (batches) to plain arrays, as torch's .tolist(). */
const plain = (x: unknown): unknown => (x instanceof st.Tensor ? x.toArray() : Array.isArray(x) ? x.map(plain) : x);

function takeFirst<T>(it: Iterable<T>, k: number): T[] {
  const out: T[] = [];
  if (k === 0) return out;
  for (const v of it) {
    out.push(v);
    if (out.length === k) break;
  }
  return out;
}

test('samplers and sampler-driven DataLoaders give torch 1.13 indices and draws for fixed seeds', () => {
  assert.ok(fixture.cases.length > 100);
  for (const c of fixture.cases) {
    st.manualSeed(c.seed);
    const g = c.gen === null ? null : new st.Generator(c.gen);
    const s = build(c.spec, g);
    const out = c.take !== null ? [plain(takeFirst(s, c.take))] : Array.from({ length: c.epochs }, () => plain(Array.from(s)));
    assert.deepEqual(out, c.out, c.name);
    if (c.length !== null) assert.equal(s.length, c.length, `${c.name}: length`);
    assert.deepEqual(Array.from({ length: 4 }, () => st.defaultGenerator.randint(0, 10 ** 6)), c.after, `${c.name}: global stream afterwards`);
    if (g) assert.deepEqual(Array.from({ length: 4 }, () => g.randint(0, 10 ** 6)), c.genAfter, `${c.name}: generator stream afterwards`);
  }
});

test('errors name the class, what was expected and what was given (torch 1.13 cases)', () => {
  const ds = range(3);
  const cases: Record<string, [() => unknown, RegExp]> = {
    'RandomSampler numSamples 0': [() => new RandomSampler(ds, { numSamples: 0 }), /RandomSampler: numSamples should be a positive integer value, but got numSamples=0/],
    'RandomSampler empty dataset': [() => new RandomSampler(range(0)), /RandomSampler: numSamples should be a positive integer value, but got numSamples=0/],
    'RandomSampler replacement not a boolean': [() => new RandomSampler(ds, { replacement: 1 as unknown as boolean }), /RandomSampler: replacement should be a boolean value, but got replacement=1/],
    'WeightedRandomSampler numSamples 0': [() => new WeightedRandomSampler([1], 0), /WeightedRandomSampler: numSamples should be a positive integer value, but got numSamples=0/],
    'WeightedRandomSampler 2-d weights': [() => new WeightedRandomSampler([[1, 2]] as unknown as number[], 1), /WeightedRandomSampler: weights should be a 1d sequence but given weights have shape \[1, 2\]/],
    'WeightedRandomSampler negative weight': [() => [...new WeightedRandomSampler([1, -2], 2)], /invalid multinomial distribution \(encountering probability entry < 0\): weights\[1\] = -2/],
    'WeightedRandomSampler negative weight, no replacement': [() => [...new WeightedRandomSampler([1, -2], 2, { replacement: false })], /probability tensor contains either `inf`, `nan` or element < 0/],
    'WeightedRandomSampler all zero': [() => [...new WeightedRandomSampler([0, 0], 2)], /invalid multinomial distribution \(sum of probabilities <= 0\)/],
    'WeightedRandomSampler more samples than weights': [() => [...new WeightedRandomSampler([1, 2], 3, { replacement: false })], /cannot sample numSamples=3 > 2 weights without replacement/],
    'WeightedRandomSampler inf weight': [() => [...new WeightedRandomSampler([1, Infinity], 2)], /encountering probability entry = infinity or NaN/],
    'BatchSampler batchSize 0': [() => new BatchSampler(new SequentialSampler(ds), 0, false), /BatchSampler: batchSize should be a positive integer value, but got batchSize=0/],
    'BatchSampler dropLast not a boolean': [() => new BatchSampler(new SequentialSampler(ds), 2, 0 as unknown as boolean), /BatchSampler: dropLast should be a boolean value, but got dropLast=0/],
    'BatchSampler length without sampler length': [() => new BatchSampler([1, 2][Symbol.iterator]() as Iterable<number>, 2, false).length, /BatchSampler: the sampler has no length/],
    'DataLoader sampler and shuffle': [() => new DataLoader(ds, { sampler: [0], shuffle: true }), /DataLoader: sampler option is mutually exclusive with shuffle/],
    'DataLoader batchSampler and batchSize': [() => new DataLoader(ds, { batchSampler: [[0]], batchSize: 2 }), /DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast/],
    'DataLoader batchSampler and dropLast': [() => new DataLoader(ds, { batchSampler: [[0]], dropLast: true }), /batchSampler option is mutually exclusive/],
    'DataLoader batchSampler and sampler': [() => new DataLoader(ds, { batchSampler: [[0]], sampler: [0] }), /batchSampler option is mutually exclusive/],
    'DataLoader shuffle of an empty dataset': [() => new DataLoader(range(0), { shuffle: true }), /RandomSampler: numSamples should be a positive integer value, but got numSamples=0/],
  };
  for (const e of fixture.errors) {
    assert.ok(cases[e.name], `a Strata check for torch's ${e.type}: ${e.message}`);
    assert.throws(cases[e.name][0], cases[e.name][1], e.name);
  }
  const more: [string, () => unknown, RegExp][] = [
    ['Sampler base class', () => [...new Sampler()], /Sampler: a Sampler subclass must implement \[Symbol.iterator\]\(\)/],
    ['RandomSampler not sized', () => new RandomSampler(5 as unknown as data.Sized), /RandomSampler: dataSource should be a dataset or another object with a length, got 5/],
    ['RandomSampler fractional numSamples', () => new RandomSampler(ds, { numSamples: 1.5 }), /numSamples=1.5/],
    ['RandomSampler generator', () => new RandomSampler(ds, { generator: 3 as unknown as st.Generator }), /RandomSampler: generator should be an st.Generator, got 3/],
    ['WeightedRandomSampler NaN, no replacement', () => [...new WeightedRandomSampler([NaN, 1], 1, { replacement: false })], /weights\[0\] = NaN/],
    ['WeightedRandomSampler scalar weights', () => new WeightedRandomSampler(5 as unknown as number[], 1), /have shape \[\]/],
    ['WeightedRandomSampler strings', () => new WeightedRandomSampler(['a'] as unknown as number[], 1), /weights should be a 1d sequence of numbers/],
    ['WeightedRandomSampler 2-d tensor', () => new WeightedRandomSampler(st.ones([2, 2]), 1), /have shape \[2, 2\]/],
    ['SubsetRandomSampler not a sequence', () => new SubsetRandomSampler(3 as unknown as number[]), /SubsetRandomSampler: indices should be a sequence of indices/],
    ['BatchSampler not iterable', () => new BatchSampler(3 as unknown as number[], 2, false), /BatchSampler: sampler should be a sampler or another iterable of indices, got 3/],
    ['DataLoader sampler not iterable', () => new DataLoader(ds, { sampler: 3 as unknown as number[] }), /DataLoader: sampler should be an iterable of indices/],
    ['DataLoader length without sampler length', () => new DataLoader(ds, { sampler: new Set([0, 1]).values() }).length, /BatchSampler: the sampler has no length/],
    ['DataLoader batchSampler yields numbers', () => [...new DataLoader(ds, { batchSampler: [1, 2] as unknown as number[][] })], /DataLoader: the batch sampler yielded 1, expected a list of indices/],
    ['dropLast without batchSize', () => new DataLoader(ds, { batchSize: null, dropLast: true }), /dropLast needs a batchSize \(batchSize=null option disables auto-batching/],
  ];
  for (const [name, fn, re] of more) assert.throws(fn, re, name);
  // an empty data source: torch fails on iteration, when it divides by (or draws below) zero
  const shrinking = { length: 3 };
  const perm = new RandomSampler(shrinking, { numSamples: 2 });
  const withReplacement = new RandomSampler(shrinking, { numSamples: 2, replacement: true });
  shrinking.length = 0;
  assert.throws(() => [...perm], /RandomSampler: cannot permute an empty dataSource/);
  assert.throws(() => [...withReplacement], /RandomSampler: cannot draw from an empty dataSource/);
});

test('lengths, laziness and what stands in for a sampler', () => {
  const ds = range(10);
  const cases: [string, { length: number }, number][] = [
    ['SequentialSampler', new SequentialSampler(ds), 10],
    ['RandomSampler', new RandomSampler(ds), 10],
    ['RandomSampler numSamples', new RandomSampler(ds, { numSamples: 25 }), 25],
    ['SubsetRandomSampler', new SubsetRandomSampler([1, 2, 3]), 3],
    ['WeightedRandomSampler', new WeightedRandomSampler([1, 2], 7), 7],
    ['BatchSampler', new BatchSampler(new SequentialSampler(ds), 3, false), 4],
    ['BatchSampler dropLast', new BatchSampler(new SequentialSampler(ds), 3, true), 3],
    ['BatchSampler options object', new BatchSampler(new SequentialSampler(ds), 3, { dropLast: true }), 3],
    ['BatchSampler over a Set', new BatchSampler(new Set([4, 5, 6]), 2, false), 2],
    ['DataLoader sampler', new DataLoader(ds, { sampler: [1, 2, 3], batchSize: 2 }), 2],
    ['DataLoader sampler, no batching', new DataLoader(ds, { sampler: [1, 2, 3], batchSize: null }), 3],
    ['DataLoader batchSampler', new DataLoader(ds, { batchSampler: [[1], [2, 3]] }), 2],
  ];
  for (const [name, s, n] of cases) assert.equal(s.length, n, name);

  // the data source may grow after construction: torch reads len() at each use
  const growing = { length: 4 };
  const r = new RandomSampler(growing, { generator: new st.Generator(0) });
  growing.length = 6;
  assert.equal(r.length, 6);
  assert.deepEqual([...r].sort(), [0, 1, 2, 3, 4, 5]);

  // nothing is drawn before iteration starts
  st.manualSeed(3);
  const before = st.getRngState();
  const it = new RandomSampler(ds)[Symbol.iterator]();
  new SubsetRandomSampler([1, 2])[Symbol.iterator]();
  new WeightedRandomSampler([1, 2], 3)[Symbol.iterator]();
  assert.deepEqual(st.getRngState(), before, 'iterators draw lazily');
  it.next();
  assert.notDeepEqual(st.getRngState(), before);

  // st.data exposes the samplers, a generator function works as a sampler, typed arrays as batches
  assert.equal(st.data.WeightedRandomSampler, WeightedRandomSampler);
  assert.equal(st.data.BatchSampler, BatchSampler);
  function* evens() {
    for (let i = 0; i < 10; i += 2) yield i;
  }
  assert.deepEqual([...new BatchSampler(evens(), 2, false)], [[0, 2], [4, 6], [8]]);
  const loader = new DataLoader(ds, { batchSampler: [Int32Array.from([7, 1]), new Set([2, 3])] as unknown as ArrayLike<number>[] });
  assert.deepEqual(Array.from(loader, plain), [[7, 1], [2, 3]]);
  assert.equal(loader.batchSize, null, 'as torch, batchSize is null with a batchSampler');
  assert.equal(loader.dropLast, false);
  const tensorIdx = new SubsetRandomSampler(st.tensor([5, 6, 7], { dtype: 'int32' }), { generator: new st.Generator(0) });
  assert.deepEqual([...tensorIdx].sort(), [5, 6, 7]);
  const w = new WeightedRandomSampler(Float32Array.from([1, 0, 3]), 4, { generator: new st.Generator(1) });
  assert.equal(w.weights.dtype, 'float64');
  assert.ok([...w].every((i) => i === 0 || i === 2), 'zero weight never drawn with replacement');

  // the default samplers are set as torch sets them
  const plainLoader = new DataLoader(ds, { batchSize: 4 });
  assert.ok(plainLoader.sampler instanceof SequentialSampler);
  assert.ok(plainLoader.batchSampler instanceof BatchSampler);
  const shuffled = new DataLoader(ds, { batchSize: 4, shuffle: true, dropLast: true });
  assert.ok(shuffled.sampler instanceof RandomSampler);
  assert.equal((shuffled.batchSampler as BatchSampler).dropLast, true);
  assert.equal(new DataLoader(ds, { batchSize: null }).batchSampler, null);
});

test('a RandomSampler handed to the loader gives the order shuffle gives (global and loader generators)', () => {
  for (const seed of [0, 5, 11]) {
    for (const own of [false, true]) {
      const make = (sampler: boolean) => {
        st.manualSeed(seed);
        const g = own ? new st.Generator(seed + 1) : null;
        const loader = sampler
          ? new DataLoader(range(11), { batchSize: 4, sampler: new RandomSampler(range(11), { generator: g }), generator: g })
          : new DataLoader(range(11), { batchSize: 4, shuffle: true, generator: g });
        const epochs = [Array.from(loader, plain), Array.from(loader, plain)];
        return { epochs, after: Array.from(st.rand(3).data()), gen: g ? g.random() : null };
      };
      assert.deepEqual(make(true), make(false), `seed ${seed}, ${own ? 'own' : 'global'} generator`);
    }
  }
});

test('async iteration with a sampler yields the sync batches', async () => {
  const transform = new data.Compose([new data.RandomCrop(2, { padding: 1 }), new data.ToTensor()]);
  const images = () => {
    const bytes = Uint8Array.from({ length: 23 * 4 }, (_, k) => (Math.floor(k / 4) + (k % 4)) % 256);
    return new data.ImageArrayDataset(bytes, Int32Array.from({ length: 23 }, (_, i) => i % 10), [1, 2, 2], ['c'], { transform });
  };
  const flat = (b: [st.Tensor, st.Tensor]) => [Array.from(b[0].data()), Array.from(b[1].data())];
  for (const prefetch of [0, 1, 3]) {
    const make = () => new DataLoader(images(), { batchSize: 5, prefetch, sampler: new WeightedRandomSampler(Array.from({ length: 23 }, (_, i) => 1 + (i % 3)), 17) });
    st.manualSeed(4);
    const syncBatches = Array.from(make(), flat);
    st.manualSeed(4);
    const asyncBatches = [];
    for await (const b of make()) asyncBatches.push(flat(b));
    assert.deepEqual(asyncBatches, syncBatches, `prefetch ${prefetch}`);
    assert.equal(syncBatches.length, 4);
  }
});

test('stateDict/loadStateDict resume an epoch driven by a sampler exactly', async () => {
  const transform = new data.Compose([new data.RandomCrop(2, { padding: 1 }), new data.ToTensor()]);
  const images = () => {
    const bytes = Uint8Array.from({ length: 40 * 4 }, (_, k) => (Math.floor(k / 4) + (k % 4)) % 256);
    return new data.ImageArrayDataset(bytes, Int32Array.from({ length: 40 }, (_, i) => i), [1, 2, 2], ['c'], { transform });
  };
  const kinds: Record<string, (gs: number) => data.DataLoaderOptions> = {
    'RandomSampler, own generator': (gs) => ({ batchSize: 6, sampler: new RandomSampler(range(40), { generator: new st.Generator(gs) }) }),
    'SubsetRandomSampler, global generator, loader generator': (gs) => ({ batchSize: 4, sampler: new SubsetRandomSampler(Array.from({ length: 30 }, (_, i) => i + 5)), generator: new st.Generator(gs + 1) }),
    'BatchSampler(WeightedRandomSampler)': (gs) => ({ batchSampler: new BatchSampler(new WeightedRandomSampler(Array.from({ length: 40 }, (_, i) => i % 4), 33, { generator: new st.Generator(gs) }), 5, false) }),
    'sampler without batching': (gs) => ({ batchSize: null, sampler: new RandomSampler(range(40), { numSamples: 9, replacement: true, generator: new st.Generator(gs) }) }),
  };
  const step = (b: any) => [...(Array.isArray(b) ? b : [b]).flatMap((t: st.Tensor | number) => (t instanceof st.Tensor ? Array.from(t.data()) : [t])), st.rand([1]).item()];
  for (const [kind, options] of Object.entries(kinds)) {
    for (const mode of ['sync', 'async', 'async, prefetch 3'] as const) {
      const prefetch = mode === 'async, prefetch 3' ? 3 : 1;
      const [full, got] = await interruptAndResume(mode, (resumed) => new DataLoader(images(), { ...options(resumed ? 1 : 8), prefetch }), step);
      assert.deepEqual(got, full, `${kind}, ${mode}`);
    }
  }
  // between epochs, the samplers' own generators are saved as they are
  const g = new st.Generator(3);
  const loader = new DataLoader(range(10), { batchSize: 3, sampler: new RandomSampler(range(10), { generator: g }) });
  Array.from(loader);
  const state = loader.stateDict();
  const next = Array.from(loader, plain);
  const other = new DataLoader(range(10), { batchSize: 3, sampler: new RandomSampler(range(10), { generator: new st.Generator(0) }) });
  other.loadStateDict(state);
  assert.deepEqual(Array.from(other, plain), next);
  assert.throws(() => new DataLoader(range(10), { sampler: [1] }).loadStateDict(state), /the state has 1 sampler generator\(s\), this loader's samplers have 0/);
});
