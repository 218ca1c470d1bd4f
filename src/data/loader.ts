/**
 * DataLoader (torch.utils.data.DataLoader for map-style datasets, in-process):
 * batches of `batchSize` samples in order or shuffled, collated into tensors.
 *
 * Random draws follow PyTorch's single-process loader: each epoch first draws
 * a 64-bit base seed from the loader's generator (or the global one), then the
 * permutation (from the loader's generator, or from a fresh generator seeded
 * by the global one), then the transforms' draws sample by sample. So with the
 * same seeds a shuffled epoch visits samples in PyTorch's order.
 */
import { Generator, defaultGenerator, randperm, type GeneratorState } from '../core.js';
import { defaultCollate } from './collate.js';
import type { Dataset } from './dataset.js';

export interface DataLoaderOptions<T = any, B = any> {
  /** Samples per batch (default 1); null yields samples one by one without collating. */
  batchSize?: number | null;
  /** Visit samples in a new random order every epoch (default false). */
  shuffle?: boolean;
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
}

/** Progress through the current epoch. */
interface Progress {
  epochStart: GeneratorState | null;
  nextBatch: number;
  /** During `for await`: the generators' states before the first batch built ahead of the consumer, if any. */
  ahead: () => Snapshot | null;
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
  readonly batchSize: number | null;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator | null;
  readonly collateFn: ((samples: T[]) => B) | null;
  readonly prefetch: number;
  private progress: Progress | null = null;
  private pendingResume: DataLoaderState | null = null;

  constructor(readonly dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (!dataset || !Number.isInteger(dataset.length) || typeof dataset.get !== 'function') {
      throw new Error('DataLoader: expected a dataset (an object with length and get(i))');
    }
    this.batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    if (this.batchSize !== null && (!Number.isInteger(this.batchSize) || this.batchSize < 1)) {
      throw new Error(`DataLoader: batchSize should be a positive integer or null, got ${this.batchSize}`);
    }
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    if (this.batchSize === null && this.dropLast) throw new Error('DataLoader: dropLast needs a batchSize');
    this.generator = options.generator ?? null;
    if (options.collateFn && options.collate && options.collateFn !== options.collate) {
      throw new Error('DataLoader: pass collateFn or its alias collate, not both');
    }
    this.collateFn = options.collateFn ?? options.collate ?? null;
    this.prefetch = options.prefetch ?? 1;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new Error(`DataLoader: prefetch must be a non-negative integer, got ${this.prefetch}`);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    if (this.batchSize === null) return n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
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
    return structuredClone({ epochStart: p?.epochStart ?? null, nextBatch: p?.nextBatch ?? 0, ...snap });
  }

  loadStateDict(state: DataLoaderState): void {
    if (!state || typeof state !== 'object' || !Number.isInteger(state.nextBatch) || !state.defaultGenerator) {
      throw new Error('DataLoader.loadStateDict: not a DataLoader state (expected {epochStart, nextBatch, generator, defaultGenerator})');
    }
    if ((state.generator === null) !== (this.generator === null)) {
      throw new Error(`DataLoader.loadStateDict: the state was saved from a loader ${state.generator ? 'with' : 'without'} its own generator, this one is ${this.generator ? 'with' : 'without'}`);
    }
    this.progress = { epochStart: state.epochStart, nextBatch: state.nextBatch, ahead: () => null };
    if (state.epochStart === null) {
      this.restore(state);
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
      // RandomSampler without a generator seeds a fresh one with a 64-bit draw (its low 32 bits are the second word)
      g.random();
      const low = g.random();
      order = randperm(n, { generator: new Generator(low) }).data() as Int32Array;
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
  private collateIndices(indices: Int32Array, samples: () => T[]): B {
    if (this.batchSize === null) return samples()[0] as unknown as B;
    if (!this.collateFn && this.dataset.getBatch) {
      const fast = this.dataset.getBatch(indices);
      if (fast !== null && fast !== undefined) return fast as B;
    }
    return (this.collateFn ?? defaultCollate)(samples());
  }

  private buildBatch(indices: Int32Array): B {
    return this.collateIndices(indices, () => Array.from(indices, (i) => this.dataset.get(i)));
  }

  *[Symbol.iterator](): Iterator<B> {
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
      const canFast = !this.collateFn && !!dataset.getBatch && this.batchSize !== null;
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
