/**
 * DataLoader (torch.utils.data.DataLoader for map-style datasets, in-process):
 * batches of `batchSize` samples in order or shuffled, collated into tensors.
 *
 * Random draws follow PyTorch's single-process loader: each epoch first draws
 * a 64-bit base seed from the loader's generator (or the global one), then the
 * permutation (from the loader's generator, or from a fresh generator seeded
 * by the global one), then the transforms' draws sample by sample. So with the
 * same seeds a shuffled epoch visits samples in PyTorch's order.
 *
 * `sampler` (an iterable of indices, e.g. a WeightedRandomSampler) or `batchSampler` (an
 * iterable of index lists) replace shuffle/batchSize as in torch, with torch's
 * mutual-exclusion errors; their indices are drawn lazily, batch by batch, as torch's loader
 * draws them (the sampler's iterator is made before the base seed is drawn). `sampler` and
 * `batchSampler` are set as torch sets them (the default RandomSampler/SequentialSampler and
 * BatchSampler when not given), and `length` is the index sampler's length.
 */
import { Generator, defaultGenerator, randperm, type GeneratorState } from '../core.js';
import { defaultCollate } from './collate.js';
import type { Dataset } from './dataset.js';
import {
  BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler, freshSamplerGenerator, samplerLength,
} from './sampler.js';

export interface DataLoaderOptions<T = any, B = any> {
  /** Samples per batch (default 1); null yields samples one by one without collating. */
  batchSize?: number | null;
  /** Visit samples in a new random order every epoch (default false). */
  shuffle?: boolean;
  /** The order to visit samples in: any iterable of indices, such as a RandomSampler (not with shuffle). */
  sampler?: Iterable<number> | null;
  /** Batches of indices: any iterable of index lists, such as a BatchSampler (not with batchSize, shuffle, sampler or dropLast). */
  batchSampler?: Iterable<ArrayLike<number>> | null;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Generator for the shuffling (default: derived from the global generator, as PyTorch). */
  generator?: Generator | null;
  /** Turns a list of samples into a batch (default defaultCollate). */
  collateFn?: ((samples: T[]) => B) | null;
  /** Alias of collateFn. */
  collate?: ((samples: T[]) => B) | null;
  /** Batches prepared ahead during `for await` iteration (default 1; 0 prepares on demand). */
  prefetch?: number;
}

/** Where a loader is, for exact resumption (see DataLoader.stateDict). */
export interface DataLoaderState {
  /** State of the shuffling generator before the current epoch's draws; null between epochs. */
  epochStart: GeneratorState | null;
  /** Batches of the current epoch already delivered. */
  nextBatch: number;
  /** The loader's own generator (null when it has none) as the next batch will find it. */
  generator: GeneratorState | null;
  /** The global generator (used by transforms) as the next batch will find it. */
  defaultGenerator: GeneratorState;
  /**
   * With a sampler or batchSampler of the user's (whose indices are replayed on resumption): the
   * global generator at the epoch start when the loader has its own generator (else null), and
   * the own generators of st.data's samplers in use — at the epoch start mid-epoch, else now.
   */
  samplers?: SamplerStates;
}

export interface SamplerStates {
  defaultGenerator: GeneratorState | null;
  generators: GeneratorState[];
}

/** Progress through the current epoch. */
interface Progress {
  epochStart: GeneratorState | null;
  nextBatch: number;
  /** During `for await`: the generators' states before the first batch built ahead of the consumer, if any. */
  ahead: () => Snapshot | null;
  /** A user's sampler: the states its replay starts from (mid-epoch). */
  samplers?: SamplerStates;
}

/** An epoch whose indices come from a user's sampler or batchSampler, pulled batch by batch. */
interface CustomEpoch {
  source: Iterator<unknown>;
  epochStart: GeneratorState;
  samplers: SamplerStates;
  firstBatch: number;
  done: boolean;
}

interface Epoch {
  order: Int32Array;
  epochStart: GeneratorState;
  firstBatch: number;
  /** The loader's own generator when shuffling with it: PyTorch's sampler draws one more permutation when it runs out. */
  tail: Generator | null;
  exhausted: boolean;
}

interface Snapshot {
  generator: GeneratorState | null;
  defaultGenerator: GeneratorState;
}

export class DataLoader<T = any, B = any> implements Iterable<B>, AsyncIterable<B> {
  /** Samples per batch; null without auto-batching, and (as torch) when a batchSampler is given. */
  readonly batchSize: number | null;
  readonly shuffle: boolean;
  /** The order of the samples: the sampler given, else a RandomSampler (shuffle) or SequentialSampler. */
  readonly sampler: Iterable<number>;
  /** The batches of indices: the batchSampler given, else BatchSampler(sampler, batchSize, dropLast); null when batchSize is null. */
  readonly batchSampler: Iterable<ArrayLike<number>> | null;
  readonly dropLast: boolean;
  readonly generator: Generator | null;
  readonly collateFn: ((samples: T[]) => B) | null;
  readonly prefetch: number;
  /** Whether batches are collated (torch's _auto_collation): with a batchSize or a batchSampler. */
  private readonly autoCollation: boolean;
  /** Indices come from a user's sampler or batchSampler, pulled lazily (else from the built-in order below). */
  private readonly custom: boolean;
  private progress: Progress | null = null;
  private pendingResume: DataLoaderState | null = null;

  constructor(readonly dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (!dataset || !Number.isInteger(dataset.length) || typeof dataset.get !== 'function') {
      throw new Error('DataLoader: expected a dataset (an object with length and get(i))');
    }
    this.shuffle = options.shuffle ?? false;
    const sampler = options.sampler ?? null;
    const batchSampler = options.batchSampler ?? null;
    if (sampler !== null && this.shuffle) throw new Error('DataLoader: sampler option is mutually exclusive with shuffle');
    if (batchSampler !== null && ((options.batchSize !== undefined && options.batchSize !== 1) || this.shuffle || sampler !== null || options.dropLast)) {
      throw new Error('DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast');
    }
    for (const [name, value] of [['sampler', sampler], ['batchSampler', batchSampler]] as const) {
      if (value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`DataLoader: ${name} should be ${name === 'sampler' ? 'an iterable of indices' : 'an iterable of index lists'} (such as a ${name === 'sampler' ? 'RandomSampler' : 'BatchSampler'}), got ${typeof value === 'object' ? value.constructor?.name ?? 'an object' : String(value)}`);
      }
    }
    this.batchSize = batchSampler !== null ? null : options.batchSize === undefined ? 1 : options.batchSize;
    if (batchSampler === null && this.batchSize !== null && (!Number.isInteger(this.batchSize) || this.batchSize < 1)) {
      throw new Error(`DataLoader: batchSize should be a positive integer or null, got ${this.batchSize}`);
    }
    this.dropLast = batchSampler !== null ? false : options.dropLast ?? false;
    if (this.batchSize === null && batchSampler === null && this.dropLast) {
      throw new Error('DataLoader: dropLast needs a batchSize (batchSize=null option disables auto-batching and is mutually exclusive with dropLast)');
    }
    this.generator = options.generator ?? null;
    this.sampler = sampler ?? (this.shuffle ? new RandomSampler(dataset, { generator: this.generator }) : new SequentialSampler(dataset));
    this.batchSampler = batchSampler ?? (this.batchSize !== null ? new BatchSampler(this.sampler, this.batchSize, this.dropLast) : null);
    this.autoCollation = this.batchSampler !== null;
    this.custom = sampler !== null || batchSampler !== null;
    if (options.collateFn && options.collate && options.collateFn !== options.collate) {
      throw new Error('DataLoader: pass collateFn or its alias collate, not both');
    }
    this.collateFn = options.collateFn ?? options.collate ?? null;
    this.prefetch = options.prefetch ?? 1;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new Error(`DataLoader: prefetch must be a non-negative integer, got ${this.prefetch}`);
  }

  /** Number of batches per epoch: the length of the batch sampler (or of the sampler without auto-batching). */
  get length(): number {
    if (!this.custom) {
      const n = this.dataset.length;
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return samplerLength(this.autoCollation ? this.batchSampler : this.sampler, 'DataLoader');
  }

  // ---- resumption -------------------------------------------------------------------------------

  /**
   * Where iteration stands, for exact resumption: after loadStateDict, the
   * next iteration continues the interrupted epoch from the next undelivered
   * batch, in the same order, and the loader's and the global generator are
   * set to the states the next batch would have found — so random transforms
   * (and anything else drawing from the global generator, like dropout) repeat
   * exactly. Batches that `for await` prepared ahead are rebuilt. Call
   * loadStateDict after any st.setRngState of your own. Transforms with a
   * generator of their own must be saved separately.
   */
  stateDict(): DataLoaderState {
    const p = this.progress;
    const snap = p?.ahead() ?? this.snapshot();
    const state: DataLoaderState = { epochStart: p?.epochStart ?? null, nextBatch: p?.nextBatch ?? 0, ...snap };
    if (this.custom) {
      state.samplers = p?.epochStart && p.samplers ? p.samplers : { defaultGenerator: null, generators: this.samplerGenerators().map((g) => g.getState()) };
    }
    return structuredClone(state);
  }

  loadStateDict(state: DataLoaderState): void {
    if (!state || typeof state !== 'object' || !Number.isInteger(state.nextBatch) || !state.defaultGenerator) {
      throw new Error('DataLoader.loadStateDict: not a DataLoader state (expected {epochStart, nextBatch, generator, defaultGenerator})');
    }
    if ((state.generator === null) !== (this.generator === null)) {
      throw new Error(`DataLoader.loadStateDict: the state was saved from a loader ${state.generator ? 'with' : 'without'} its own generator, this one is ${this.generator ? 'with' : 'without'}`);
    }
    this.progress = { epochStart: state.epochStart, nextBatch: state.nextBatch, ahead: () => null, samplers: state.samplers };
    if (state.epochStart === null) {
      this.restore(state);
      if (this.custom && state.samplers) this.setSamplerGenerators(state.samplers.generators);
      this.pendingResume = null;
    } else {
      this.pendingResume = structuredClone(state);
    }
  }

  private snapshot(): Snapshot {
    return { generator: this.generator?.getState() ?? null, defaultGenerator: defaultGenerator.getState() };
  }

  private restore(s: Snapshot): void {
    if (s.generator && this.generator) this.generator.setState(s.generator);
    defaultGenerator.setState(s.defaultGenerator);
  }

  /** The own generators of st.data's samplers in use (not the loader's or the global one). */
  private samplerGenerators(): Generator[] {
    const found = new Set<Generator>();
    const visit = (s: unknown) => {
      if (s instanceof BatchSampler) visit(s.sampler);
      if (s instanceof RandomSampler || s instanceof SubsetRandomSampler || s instanceof WeightedRandomSampler) {
        if (s.generator && s.generator !== this.generator && s.generator !== defaultGenerator) found.add(s.generator);
      }
    };
    visit(this.sampler);
    visit(this.batchSampler);
    return [...found];
  }

  private setSamplerGenerators(states: GeneratorState[]): void {
    const gens = this.samplerGenerators();
    if (states.length !== gens.length) {
      throw new Error(`DataLoader.loadStateDict: the state has ${states.length} sampler generator(s), this loader's samplers have ${gens.length}`);
    }
    gens.forEach((g, k) => g.setState(states[k]));
  }

  // ---- epochs and batches -----------------------------------------------------------------------

  private beginEpoch(): Epoch {
    const resume = this.pendingResume;
    this.pendingResume = null;
    const g = this.generator ?? defaultGenerator;
    if (resume?.epochStart) g.setState(resume.epochStart);
    const epochStart = g.getState();
    const n = this.dataset.length;
    g.random(); // PyTorch's iterator draws a 64-bit base seed first
    g.random();
    let order: Int32Array;
    if (!this.shuffle) {
      order = Int32Array.from({ length: n }, (_, i) => i);
    } else if (this.generator) {
      order = randperm(n, { generator: g }).data() as Int32Array;
    } else {
      // RandomSampler without a generator seeds a fresh one with a 64-bit draw of the global generator
      order = randperm(n, { generator: freshSamplerGenerator(g) }).data() as Int32Array;
    }
    const firstBatch = resume ? resume.nextBatch : 0;
    if (resume) this.restore(resume);
    this.progress = { epochStart, nextBatch: firstBatch, ahead: () => null };
    const tail = this.shuffle && this.generator ? this.generator : null;
    return { order, epochStart, firstBatch, tail, exhausted: false };
  }

  /**
   * PyTorch's RandomSampler with a generator draws a second (empty-sliced)
   * permutation when its indices run out: while the batch sampler fills the
   * last, partial batch, or when it asks past the end.
   */
  private exhaust(epoch: Epoch): void {
    if (epoch.exhausted) return;
    epoch.exhausted = true;
    if (epoch.tail) randperm(this.dataset.length, { generator: epoch.tail });
  }

  /** Whether building batch b reads past the sampler's last index (a partial last batch). */
  private exhaustsWhileBuilding(b: number): boolean {
    const size = this.batchSize ?? 1;
    const n = this.dataset.length;
    return !this.dropLast && b === this.length - 1 && n % size !== 0;
  }

  private indicesOf(epoch: Epoch, b: number): Int32Array {
    const size = this.batchSize ?? 1;
    return epoch.order.subarray(b * size, Math.min((b + 1) * size, epoch.order.length));
  }

  private delivered(epoch: Epoch, b: number, ahead: () => Snapshot | null = () => null): void {
    this.progress = { epochStart: epoch.epochStart, nextBatch: b + 1, ahead };
  }

  private finished(): void {
    this.progress = null;
  }

  /** Collate samples, taking the dataset's batch fast path when the default collate is in use. */
  private collateIndices(indices: ArrayLike<number>, samples: () => T[]): B {
    if (!this.autoCollation) return samples()[0] as unknown as B;
    if (!this.collateFn && this.dataset.getBatch) {
      const fast = this.dataset.getBatch(indices);
      if (fast !== null && fast !== undefined) return fast as B;
    }
    return (this.collateFn ?? defaultCollate)(samples());
  }

  private buildBatch(indices: ArrayLike<number>): B {
    return this.collateIndices(indices, () => Array.from(indices, (i) => this.dataset.get(i)));
  }

  // ---- a user's sampler or batchSampler -----------------------------------------------------------

  /**
   * As torch's iterator: the index sampler's iterator is made first (a plain, non-generator
   * iterable may draw right then), then the base seed is drawn. On resumption the sampler is
   * replayed from the epoch start up to the next undelivered batch.
   */
  private beginCustomEpoch(): CustomEpoch {
    const resume = this.pendingResume;
    this.pendingResume = null;
    const g = this.generator ?? defaultGenerator;
    if (resume?.epochStart) {
      g.setState(resume.epochStart);
      if (this.generator && resume.samplers?.defaultGenerator) defaultGenerator.setState(resume.samplers.defaultGenerator);
      if (resume.samplers) this.setSamplerGenerators(resume.samplers.generators);
    }
    const epochStart = g.getState();
    const samplers: SamplerStates = {
      defaultGenerator: this.generator ? defaultGenerator.getState() : null,
      generators: this.samplerGenerators().map((s) => s.getState()),
    };
    const source = (this.autoCollation ? this.batchSampler! : this.sampler)[Symbol.iterator]();
    g.random(); // the 64-bit base seed
    g.random();
    const epoch: CustomEpoch = { source, epochStart, samplers, firstBatch: 0, done: false };
    if (resume) {
      for (let b = 0; b < resume.nextBatch && this.pull(epoch) !== null; b++) epoch.firstBatch = b + 1;
      this.restore(resume);
    }
    this.progress = { epochStart, nextBatch: epoch.firstBatch, ahead: () => null, samplers };
    return epoch;
  }

  /** The next batch's indices from the user's sampler (one index without auto-batching); null at the end. */
  private pull(epoch: CustomEpoch): ArrayLike<number> | null {
    if (epoch.done) return null;
    const r = epoch.source.next();
    if (r.done) {
      epoch.done = true;
      return null;
    }
    if (!this.autoCollation) return [r.value as number];
    const v = r.value as ArrayLike<number> | Iterable<number> | null;
    if (v !== null && typeof v === 'object' && Number.isInteger((v as ArrayLike<number>).length)) return v as ArrayLike<number>;
    if (v !== null && typeof v === 'object' && typeof (v as Iterable<number>)[Symbol.iterator] === 'function') return Array.from(v as Iterable<number>);
    throw new TypeError(`DataLoader: the batch sampler yielded ${String(v)}, expected a list of indices`);
  }

  private *customIterator(): IterableIterator<B> {
    const epoch = this.beginCustomEpoch();
    for (let b = epoch.firstBatch; ; b++) {
      const indices = this.pull(epoch);
      if (indices === null) break;
      const batch = this.buildBatch(indices);
      this.progress = { epochStart: epoch.epochStart, nextBatch: b + 1, ahead: () => null, samplers: epoch.samplers };
      yield batch;
    }
    this.finished();
  }

  /**
   * `for await` with a user's sampler: batches are prepared ahead as with the built-in order;
   * each one's indices are drawn in its turn (after the previous batch's transforms), then its
   * files load and its transforms run.
   */
  private customAsyncIterator(): AsyncIterator<B> {
    const epoch = this.beginCustomEpoch();
    const { dataset } = this;
    const asyncLoad = dataset.load && dataset.getLoaded ? dataset : null;
    const canFast = !this.collateFn && !!dataset.getBatch && this.autoCollation;
    const END = Symbol('end');
    let next = epoch.firstBatch;
    let stopped = false;
    let chain: Promise<unknown> = Promise.resolve();
    interface Item {
      b: number;
      result: Promise<B | typeof END>;
      /** The generators' states just before this batch's indices are drawn (set once it is being built). */
      before: Snapshot | null;
    }
    const queue: Item[] = [];
    const build = () => {
      const item: Item = { b: next++, result: null!, before: null };
      item.result = chain.then(async () => {
        if (epoch.done) return END;
        await new Promise((resolve) => setImmediate(resolve));
        if (stopped) throw new Error('DataLoader: iteration was stopped'); // nobody will take this batch: draw nothing
        item.before = this.snapshot();
        const indices = this.pull(epoch);
        if (indices === null) return END;
        if (asyncLoad && !canFast) {
          const raw = await Promise.all(Array.from(indices, (i) => asyncLoad.load!(i)));
          return this.collateIndices(indices, () => Array.from(indices, (i, k) => asyncLoad.getLoaded!(i, raw[k])));
        }
        return this.buildBatch(indices);
      });
      chain = item.result.catch(() => {});
      item.result.catch(() => {});
      queue.push(item);
    };
    const fill = (ahead: number) => {
      while (!stopped && !epoch.done && queue.length < ahead) build();
    };
    const ahead = () => queue.find((item) => item.before !== null)?.before ?? null;
    const end = (): IteratorResult<B> => {
      if (!stopped) this.finished();
      stopped = true;
      return { done: true, value: undefined };
    };
    return {
      next: async (): Promise<IteratorResult<B>> => {
        fill(1);
        const item = queue.shift();
        if (!item) return end();
        let batch: B | typeof END;
        try {
          batch = await item.result;
        } catch (e) {
          stopped = true;
          throw e;
        }
        if (batch === END) return end();
        this.progress = { epochStart: epoch.epochStart, nextBatch: item.b + 1, ahead, samplers: epoch.samplers };
        fill(this.prefetch);
        return { done: false, value: batch };
      },
      return: async (): Promise<IteratorResult<B>> => {
        stopped = true;
        return { done: true, value: undefined };
      },
    };
  }

  // ---- iteration ---------------------------------------------------------------------------------

  *[Symbol.iterator](): Iterator<B> {
    if (this.custom) {
      yield* this.customIterator();
      return;
    }
    const epoch = this.beginEpoch();
    for (let b = epoch.firstBatch; b < this.length; b++) {
      if (this.exhaustsWhileBuilding(b)) this.exhaust(epoch);
      const batch = this.buildBatch(this.indicesOf(epoch, b));
      this.delivered(epoch, b);
      yield batch;
    }
    this.exhaust(epoch);
    this.finished();
  }

  /**
   * Async iteration: while the caller works on one batch, the next `prefetch`
   * batches are prepared (in setImmediate turns; datasets with `load`, such as
   * ImageFolder, decode their files concurrently). Samples are transformed in
   * order, so the random draws are those of sync iteration.
   */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.custom) return this.customAsyncIterator();
    const epoch = this.beginEpoch();
    const total = this.length;
    const { dataset } = this;
    const asyncLoad = dataset.load && dataset.getLoaded ? dataset : null;
    let next = epoch.firstBatch;
    let stopped = false;
    let chain: Promise<unknown> = Promise.resolve();
    interface Item {
      b: number;
      result: Promise<B>;
      /** The generators' states just before this batch's random draws (set once it is being built). */
      before: Snapshot | null;
    }
    const queue: Item[] = [];

    const build = (b: number) => {
      const indices = this.indicesOf(epoch, b);
      const item: Item = { b, result: null!, before: null };
      // Synchronous part of a batch: everything that draws random numbers, in batch order.
      const draw = (make: () => B): B => {
        if (stopped) throw new Error('DataLoader: iteration was stopped'); // nobody will take this batch: draw nothing
        item.before = this.snapshot();
        if (this.exhaustsWhileBuilding(b)) this.exhaust(epoch);
        return make();
      };
      // File loading starts now, concurrently; transforms run in batch order after the previous batch.
      const canFast = !this.collateFn && !!dataset.getBatch && this.autoCollation;
      const loads = asyncLoad && !canFast ? Promise.all(Array.from(indices, (i) => asyncLoad.load!(i))) : null;
      loads?.catch(() => {});
      item.result = chain.then(async () => {
        if (loads) {
          const raw = await loads;
          return draw(() => this.collateIndices(indices, () => Array.from(indices, (i, k) => asyncLoad!.getLoaded!(i, raw[k]))));
        }
        await new Promise((resolve) => setImmediate(resolve));
        return draw(() => this.buildBatch(indices));
      });
      chain = item.result.catch(() => {});
      item.result.catch(() => {}); // a prefetched batch that fails is reported when it is taken, or never
      queue.push(item);
    };
    const fill = (ahead: number) => {
      while (!stopped && queue.length < ahead && next < total) build(next++);
    };
    const ahead = () => queue.find((item) => item.before !== null)?.before ?? null;

    return {
      next: async (): Promise<IteratorResult<B>> => {
        fill(1);
        const item = queue.shift();
        if (!item) {
          if (!stopped) {
            this.exhaust(epoch);
            this.finished();
          }
          stopped = true;
          return { done: true, value: undefined };
        }
        let batch: B;
        try {
          batch = await item.result;
        } catch (e) {
          stopped = true;
          throw e;
        }
        this.delivered(epoch, item.b, ahead);
        fill(this.prefetch); // prepare the following batches while this one is used
        return { done: false, value: batch };
      },
      return: async (): Promise<IteratorResult<B>> => {
        stopped = true;
        return { done: true, value: undefined };
      },
    };
  }
}
