/**
 * Samplers (torch.utils.data.sampler, PyTorch 1.13): iterables of dataset indices that decide
 * the order a DataLoader visits samples in (`sampler`), or how indices are grouped into
 * batches (`batchSampler`).
 *
 * - `SequentialSampler(dataSource)`: 0, 1, …, n − 1.
 * - `RandomSampler(dataSource, { replacement, numSamples, generator })`: without replacement,
 *   torch.randperm(n) (numSamples > n gives several permutations, as torch 1.13); with
 *   replacement, torch.randint(n) in chunks of 32. Without a generator, each iteration seeds a
 *   fresh one from a 64-bit draw of the global generator (torch's
 *   `torch.empty((), dtype=torch.int64).random_()`), which is what DataLoader's `shuffle` does.
 * - `SubsetRandomSampler(indices, { generator })`: `indices` in torch.randperm order (from the
 *   global generator when none is given).
 * - `WeightedRandomSampler(weights, numSamples, { replacement, generator })`: torch.multinomial
 *   on float64 weights as PyTorch's CPU kernel draws it — with replacement, a binary search of
 *   53-bit uniforms in the normalised cumulative weights; without, the exponential race
 *   (q ~ Exp(1), top-k of w / q, ties ordered as libstdc++'s nth_element/partial_sort order them).
 * - `BatchSampler(sampler, batchSize, dropLast)`: lists of batchSize indices from any iterable.
 *
 * All draws happen lazily while iterating, exactly when torch's generators draw, so
 * `st.manualSeed(s)` / `new st.Generator(s)` give torch's indices for the same seed, including the
 * extra permutation a RandomSampler draws when asked past its last index. Invalid arguments are
 * reported when torch reports them: sizes and flags on construction, bad weights (negative,
 * inf/NaN, all zero) on iteration. `length` is torch's `__len__`; any iterable (an array, a Set,
 * a generator) can stand in for a sampler, and any iterable of index arrays for a batch sampler.
 */
import { Generator, Tensor, defaultGenerator, randperm, tensor } from '../core.js';

/** Anything with a size: a dataset, an array (torch's `Sized`). */
export interface Sized {
  readonly length: number;
}

/** The number of items of a sampler or other iterable, as Python's len(); throws when it has none. */
export function samplerLength(source: unknown, who: string): number {
  const s = source as { length?: unknown; size?: unknown } | null;
  const n = s && (typeof s === 'object' || typeof s === 'function') ? (Number.isInteger(s.length) ? s.length : s.size) : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`${who}: the sampler has no length (an object of type ${typeName(source)} has no length, as torch's len() needs __len__)`);
  }
  return n;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object' && typeof x !== 'function') return typeof x;
  return (x as object).constructor?.name ?? 'Object';
}

function show(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'bigint') return `${x}n`;
  if (Array.isArray(x)) return `[${x.map(show).join(', ')}]`;
  if (x !== null && typeof x === 'object') return typeName(x);
  return String(x);
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return x !== null && x !== undefined && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/**
 * The generator a RandomSampler without one of its own uses for an iteration: torch seeds a
 * fresh torch.Generator with `torch.empty((), dtype=torch.int64).random_()` drawn from `source`
 * (a 64-bit draw, high word first, reduced to 63 bits). DataLoader's `shuffle` goes through this.
 */
export function freshSamplerGenerator(source: Generator = defaultGenerator): Generator {
  const hi = source.random();
  const lo = source.random();
  return new Generator((BigInt(hi & 0x7fffffff) << 32n) | BigInt(lo));
}

/**
 * Base class of the samplers (torch.utils.data.Sampler): subclasses implement
 * `[Symbol.iterator]()` yielding indices and, where they can, a `length` getter (torch's
 * `__len__`; deliberately absent here, as in torch).
 */
export class Sampler<T = number> implements Iterable<T> {
  constructor(_dataSource?: Sized | null) {}

  [Symbol.iterator](): Iterator<T> {
    throw new Error(`${this.constructor.name}: a Sampler subclass must implement [Symbol.iterator]() (torch's __iter__)`);
  }
}

function checkSized(dataSource: unknown, who: string): Sized {
  const n = (dataSource as Sized | null)?.length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`${who}: dataSource should be a dataset or another object with a length, got ${show(dataSource)}`);
  }
  return dataSource as Sized;
}

function checkGenerator(generator: unknown, who: string): Generator | null {
  if (generator === undefined || generator === null) return null;
  if (!(generator instanceof Generator)) throw new TypeError(`${who}: generator should be an st.Generator, got ${show(generator)}`);
  return generator;
}

/** Samples elements sequentially, always in the same order: 0, 1, …, dataSource.length − 1. */
export class SequentialSampler extends Sampler<number> {
  constructor(readonly dataSource: Sized) {
    super(dataSource);
    checkSized(dataSource, 'SequentialSampler');
  }

  override *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    for (let i = 0; i < n; i++) yield i;
  }

  get length(): number {
    return this.dataSource.length;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false): numSamples independent uniform indices. */
  replacement?: boolean;
  /** Indices per iteration (default: the data source's length, read at each use). */
  numSamples?: number | null;
  /** Generator for the draws (default: a fresh one per iteration, seeded from the global generator). */
  generator?: Generator | null;
}

/**
 * Samples elements randomly (torch.utils.data.RandomSampler): without replacement a fresh
 * permutation per iteration (torch.randperm; numSamples > n chains permutations, a smaller
 * numSamples takes a prefix of one); with replacement numSamples draws of torch.randint(n),
 * generated 32 at a time.
 */
export class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  readonly generator: Generator | null;
  private readonly requested: number | null;

  constructor(readonly dataSource: Sized, options: RandomSamplerOptions = {}) {
    super(dataSource);
    checkSized(dataSource, 'RandomSampler');
    this.replacement = options.replacement ?? false;
    this.requested = options.numSamples ?? null;
    if (typeof this.replacement !== 'boolean') {
      throw new TypeError(`RandomSampler: replacement should be a boolean value, but got replacement=${show(this.replacement)}`);
    }
    const numSamples = this.numSamples;
    if (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples <= 0) {
      throw new Error(`RandomSampler: numSamples should be a positive integer value, but got numSamples=${show(numSamples)}`);
    }
    this.generator = checkGenerator(options.generator, 'RandomSampler');
  }

  /** Indices per iteration: the numSamples given, else the data source's current length. */
  get numSamples(): number {
    return this.requested ?? this.dataSource.length;
  }

  get length(): number {
    return this.numSamples;
  }

  override *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    const generator = this.generator ?? freshSamplerGenerator(defaultGenerator);
    const numSamples = this.numSamples;
    if (this.replacement) {
      if (n === 0) throw new Error("RandomSampler: cannot draw from an empty dataSource (torch: random_ expects 'from' to be less than 'to', but got from=0 >= to=0)");
      // torch.randint(high=n, size=(32,), dtype=torch.int64): a chunk is drawn whole before it is yielded
      const chunk = (size: number) => Array.from({ length: size }, () => generator.randint(0, n));
      for (let c = 0; c < Math.floor(numSamples / 32); c++) yield* chunk(32);
      yield* chunk(numSamples % 32);
    } else {
      if (n === 0) throw new Error('RandomSampler: cannot permute an empty dataSource (torch: integer division or modulo by zero)');
      for (let c = 0; c < Math.floor(numSamples / n); c++) yield* randperm(n, { generator }).data() as Int32Array;
      // torch draws this last permutation even when numSamples is a multiple of n (and keeps none of it)
      yield* (randperm(n, { generator }).data() as Int32Array).subarray(0, numSamples % n);
    }
  }
}

/** Samples the given indices in a random order, without replacement (torch.utils.data.SubsetRandomSampler). */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: ArrayLike<number>;
  readonly generator: Generator | null;

  constructor(indices: ArrayLike<number> | Tensor, options: { generator?: Generator | null } = {}) {
    super(null);
    const values = indices instanceof Tensor ? indices.data() : indices;
    if (!values || typeof values !== 'object' || !Number.isInteger((values as ArrayLike<number>).length)) {
      throw new TypeError(`SubsetRandomSampler: indices should be a sequence of indices (an array, a typed array or a tensor), got ${show(indices)}`);
    }
    this.indices = indices instanceof Tensor ? Array.from(values as ArrayLike<number>) : (values as ArrayLike<number>);
    this.generator = checkGenerator(options.generator, 'SubsetRandomSampler');
  }

  override *[Symbol.iterator](): Iterator<number> {
    const order = randperm(this.indices.length, { generator: this.generator ?? defaultGenerator }).data() as Int32Array;
    for (const i of order) yield this.indices[i];
  }

  get length(): number {
    return this.indices.length;
  }
}

/**
 * Samples 0..weights.length − 1 with probabilities proportional to `weights`
 * (torch.utils.data.WeightedRandomSampler): each iteration is one torch.multinomial draw of
 * numSamples indices, with replacement by default.
 */
export class WeightedRandomSampler extends Sampler<number> {
  /** The weights as a float64 tensor (torch.as_tensor(weights, dtype=torch.double)). */
  readonly weights: Tensor;
  readonly replacement: boolean;
  readonly generator: Generator | null;
  private readonly values: Float64Array;

  constructor(
    weights: ArrayLike<number> | Tensor,
    readonly numSamples: number,
    options: { replacement?: boolean; generator?: Generator | null } = {},
  ) {
    super(null);
    if (typeof numSamples !== 'number' || !Number.isInteger(numSamples) || numSamples <= 0) {
      throw new Error(`WeightedRandomSampler: numSamples should be a positive integer value, but got numSamples=${show(numSamples)}`);
    }
    this.replacement = options.replacement ?? true;
    if (typeof this.replacement !== 'boolean') {
      throw new Error(`WeightedRandomSampler: replacement should be a boolean value, but got replacement=${show(this.replacement)}`);
    }
    this.weights = weightsTensor(weights);
    this.values = this.weights.data() as Float64Array;
    this.generator = checkGenerator(options.generator, 'WeightedRandomSampler');
  }

  override *[Symbol.iterator](): Iterator<number> {
    yield* multinomial(this.values, this.numSamples, this.replacement, this.generator ?? defaultGenerator);
  }

  get length(): number {
    return this.numSamples;
  }
}

function weightsTensor(weights: unknown): Tensor {
  let t: Tensor;
  if (weights instanceof Tensor) {
    t = weights.to('float64');
  } else if (typeof weights === 'number' || typeof weights === 'boolean') {
    t = tensor([Number(weights)], { dtype: 'float64' }).reshape([]);
  } else if (weights && typeof weights === 'object' && Number.isInteger((weights as ArrayLike<unknown>).length)) {
    const list = weights as ArrayLike<unknown>;
    if (Array.from(list).every((w) => typeof w === 'number' || typeof w === 'boolean')) {
      t = tensor(Float64Array.from(list as ArrayLike<number>, Number), { dtype: 'float64' });
    } else {
      try {
        t = tensor(list as number[], { dtype: 'float64' });
      } catch {
        throw new TypeError(`WeightedRandomSampler: weights should be a 1d sequence of numbers, got ${show(weights)}`);
      }
    }
  } else {
    throw new TypeError(`WeightedRandomSampler: weights should be a 1d sequence of numbers, got ${show(weights)}`);
  }
  if (t.ndim !== 1) {
    throw new Error(`WeightedRandomSampler: weights should be a 1d sequence but given weights have shape [${t.shape.join(', ')}]`);
  }
  return t.contiguous();
}

/**
 * torch.multinomial(p, numSamples, replacement, generator) for a 1-d float64 p, as PyTorch 1.13's
 * CPU kernels draw it (aten/src/ATen/native/Distributions.cpp multinomial_out and
 * cpu/MultinomialKernel.cpp), with their checks and messages.
 */
function multinomial(p: Float64Array, numSamples: number, replacement: boolean, generator: Generator): number[] {
  const n = p.length;
  const who = 'WeightedRandomSampler';
  if (!replacement && numSamples > n) {
    throw new Error(`${who}: cannot sample numSamples=${numSamples} > ${n} weights without replacement (torch: cannot sample n_sample > prob_dist.size(-1) samples without replacement)`);
  }
  if (n > 2 ** 24) throw new Error(`${who}: number of categories cannot exceed 2^24, got ${n} weights`);
  if (!replacement) {
    // the exponential race: argmax / top-k of p / q with q ~ Exp(1), drawn as exponential_ (−log(1 − u), u a 53-bit double)
    // torch checks (p.max() < inf) & (p.min() >= 0): false when any weight is NaN, +inf or negative
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const v = p[j];
      if (!(v >= 0 && v < Infinity)) {
        throw new Error(`${who}: probability tensor contains either \`inf\`, \`nan\` or element < 0: weights[${j}] = ${v}`);
      }
      sum += v;
    }
    if (sum === 0) throw new Error(`${who}: invalid multinomial distribution (sum of probabilities <= 0): all weights are zero`);
    const q = new Float64Array(n);
    for (let j = 0; j < n; j++) q[j] = (-1.0 / 1) * Math.log(1.0 - generator.uniformDouble());
    for (let j = 0; j < n; j++) q[j] = p[j] / q[j];
    if (numSamples === 1) return [argmax(q)];
    return topk(q, numSamples);
  }
  // with replacement: normalised cumulative distribution and a binary search per 53-bit uniform
  const cum = new Float64Array(n);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const v = p[j];
    if (!(v >= 0)) throw new Error(`${who}: invalid multinomial distribution (encountering probability entry < 0): weights[${j}] = ${v}`);
    if (!Number.isFinite(v)) throw new Error(`${who}: invalid multinomial distribution (encountering probability entry = infinity or NaN): weights[${j}] = ${v}`);
    sum += v;
    cum[j] = sum;
  }
  if (!(sum > 0)) throw new Error(`${who}: invalid multinomial distribution (sum of probabilities <= 0)${n === 0 ? ': no weights' : ': all weights are zero'}`);
  for (let j = 0; j < n; j++) cum[j] /= sum;
  const out: number[] = new Array(numSamples);
  for (let s = 0; s < numSamples; s++) {
    const u = generator.uniformDouble();
    cum[n - 1] = 1;
    let left = 0;
    let right = n;
    while (right - left > 0) {
      const mid = left + Math.floor((right - left) / 2);
      if (cum[mid] < u) left = mid + 1;
      else right = mid;
    }
    out[s] = left;
  }
  return out;
}

/** torch.argmax of a 1-d tensor: the first maximum, NaN counting as the largest. */
function argmax(v: Float64Array): number {
  let best = 0;
  for (let j = 1; j < v.length; j++) {
    if (Number.isNaN(v[best])) break;
    if (Number.isNaN(v[j]) || v[j] > v[best]) best = j;
  }
  return best;
}

/**
 * The indices of torch.topk(v, k) (largest, sorted) on the CPU: pairs (value, index) ordered by
 * value alone with libstdc++'s algorithms — partial_sort when k·64 ≤ n, else nth_element and a
 * sort of the first k − 1 — so that equal values (zero weights) come out in torch's order.
 */
function topk(values: Float64Array, k: number): number[] {
  const n = values.length;
  const v = Float64Array.from(values);
  const ix = Int32Array.from({ length: n }, (_, j) => j);
  // comp(x, y): x goes before y (NaN first, then larger values)
  const gt = (a: number, b: number) => (Number.isNaN(a) && !Number.isNaN(b)) || a > b;
  const comp = (a: number, b: number) => gt(v[a], v[b]);
  const swap = (a: number, b: number) => {
    const tv = v[a];
    v[a] = v[b];
    v[b] = tv;
    const ti = ix[a];
    ix[a] = ix[b];
    ix[b] = ti;
  };
  const lg = (m: number) => 31 - Math.clz32(m);

  // ---- heap (std::__adjust_heap / __push_heap / __make_heap / __pop_heap / __sort_heap) ----
  const pushHeap = (first: number, hole: number, top: number, val: number, idx: number) => {
    let parent = Math.floor((hole - 1) / 2);
    while (hole > top && gt(v[first + parent], val)) {
      v[first + hole] = v[first + parent];
      ix[first + hole] = ix[first + parent];
      hole = parent;
      parent = Math.floor((hole - 1) / 2);
    }
    v[first + hole] = val;
    ix[first + hole] = idx;
  };
  const adjustHeap = (first: number, hole: number, len: number, val: number, idx: number) => {
    const top = hole;
    let child = hole;
    while (child < Math.floor((len - 1) / 2)) {
      child = 2 * (child + 1);
      if (comp(first + child, first + child - 1)) child--;
      v[first + hole] = v[first + child];
      ix[first + hole] = ix[first + child];
      hole = child;
    }
    if ((len & 1) === 0 && child === Math.floor((len - 2) / 2)) {
      child = 2 * (child + 1);
      v[first + hole] = v[first + child - 1];
      ix[first + hole] = ix[first + child - 1];
      hole = child - 1;
    }
    pushHeap(first, hole, top, val, idx);
  };
  const makeHeap = (first: number, last: number) => {
    const len = last - first;
    if (len < 2) return;
    for (let parent = Math.floor((len - 2) / 2); ; parent--) {
      adjustHeap(first, parent, len, v[first + parent], ix[first + parent]);
      if (parent === 0) return;
    }
  };
  const popHeap = (first: number, last: number, result: number) => {
    const val = v[result];
    const idx = ix[result];
    v[result] = v[first];
    ix[result] = ix[first];
    adjustHeap(first, 0, last - first, val, idx);
  };
  const heapSelect = (first: number, middle: number, last: number) => {
    makeHeap(first, middle);
    for (let i = middle; i < last; i++) if (comp(i, first)) popHeap(first, middle, i);
  };
  const sortHeap = (first: number, last: number) => {
    while (last - first > 1) {
      last--;
      popHeap(first, last, last);
    }
  };

  // ---- insertion sort, partition, introsort, introselect ----
  const unguardedLinearInsert = (last: number) => {
    const val = v[last];
    const idx = ix[last];
    let next = last - 1;
    while (gt(val, v[next])) {
      v[last] = v[next];
      ix[last] = ix[next];
      last = next;
      next--;
    }
    v[last] = val;
    ix[last] = idx;
  };
  const insertionSort = (first: number, last: number) => {
    if (first === last) return;
    for (let i = first + 1; i !== last; i++) {
      if (comp(i, first)) {
        const val = v[i];
        const idx = ix[i];
        v.copyWithin(first + 1, first, i);
        ix.copyWithin(first + 1, first, i);
        v[first] = val;
        ix[first] = idx;
      } else {
        unguardedLinearInsert(i);
      }
    }
  };
  const moveMedianToFirst = (result: number, a: number, b: number, c: number) => {
    if (comp(a, b)) {
      if (comp(b, c)) swap(result, b);
      else if (comp(a, c)) swap(result, c);
      else swap(result, a);
    } else if (comp(a, c)) swap(result, a);
    else if (comp(b, c)) swap(result, c);
    else swap(result, b);
  };
  const unguardedPartition = (first: number, last: number, pivot: number) => {
    for (;;) {
      while (comp(first, pivot)) first++;
      last--;
      while (comp(pivot, last)) last--;
      if (!(first < last)) return first;
      swap(first, last);
      first++;
    }
  };
  const partitionPivot = (first: number, last: number) => {
    const mid = first + Math.floor((last - first) / 2);
    moveMedianToFirst(first, first + 1, mid, last - 1);
    return unguardedPartition(first + 1, last, first);
  };
  const introsortLoop = (first: number, last: number, depth: number) => {
    while (last - first > 16) {
      if (depth === 0) {
        heapSelect(first, last, last);
        sortHeap(first, last);
        return;
      }
      depth--;
      const cut = partitionPivot(first, last);
      introsortLoop(cut, last, depth);
      last = cut;
    }
  };
  const sort = (first: number, last: number) => {
    if (first === last) return;
    introsortLoop(first, last, lg(last - first) * 2);
    if (last - first > 16) {
      insertionSort(first, first + 16);
      for (let i = first + 16; i !== last; i++) unguardedLinearInsert(i);
    } else {
      insertionSort(first, last);
    }
  };
  const nthElement = (first: number, nth: number, last: number) => {
    if (first === last || nth === last) return;
    let depth = lg(last - first) * 2;
    while (last - first > 3) {
      if (depth === 0) {
        heapSelect(first, nth + 1, last);
        swap(first, nth);
        return;
      }
      depth--;
      const cut = partitionPivot(first, last);
      if (cut <= nth) first = cut;
      else last = cut;
    }
    insertionSort(first, last);
  };

  if (k * 64 <= n) {
    heapSelect(0, k, n);
    sortHeap(0, k);
  } else {
    nthElement(0, k - 1, n);
    sort(0, k - 1);
  }
  return Array.from(ix.subarray(0, k));
}

export interface BatchSamplerOptions {
  /** Drop the last batch when it has fewer than batchSize indices. */
  dropLast?: boolean;
}

/**
 * Wraps a sampler (or any iterable of indices) to yield lists of batchSize indices
 * (torch.utils.data.BatchSampler); the last, shorter list is dropped when dropLast is true.
 * `dropLast` is required as in torch (a boolean, or `{ dropLast }`).
 */
export class BatchSampler extends Sampler<number[]> {
  readonly dropLast: boolean;

  constructor(readonly sampler: Iterable<number>, readonly batchSize: number, dropLast: boolean | BatchSamplerOptions) {
    super(null);
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
      throw new Error(`BatchSampler: batchSize should be a positive integer value, but got batchSize=${show(batchSize)}`);
    }
    const drop = dropLast !== null && typeof dropLast === 'object' ? dropLast.dropLast ?? false : dropLast;
    if (typeof drop !== 'boolean') throw new Error(`BatchSampler: dropLast should be a boolean value, but got dropLast=${show(drop)}`);
    if (!isIterable(sampler)) throw new TypeError(`BatchSampler: sampler should be a sampler or another iterable of indices, got ${show(sampler)}`);
    this.dropLast = drop;
  }

  override *[Symbol.iterator](): Iterator<number[]> {
    const size = this.batchSize;
    if (this.dropLast) {
      const it = this.sampler[Symbol.iterator]();
      for (;;) {
        const batch: number[] = [];
        for (let k = 0; k < size; k++) {
          const r = it.next();
          if (r.done) return;
          batch.push(r.value);
        }
        yield batch;
      }
    }
    let batch: number[] = [];
    for (const idx of this.sampler) {
      batch.push(idx);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Batches per iteration; needs the sampler's length. */
  get length(): number {
    const n = samplerLength(this.sampler, 'BatchSampler');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
