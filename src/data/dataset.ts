/**
 * Map-style datasets (torch.utils.data): a length and get(i), plus the
 * combinators Subset, ConcatDataset, TensorDataset and randomSplit.
 */
import { Tensor, defaultGenerator, randperm, type Generator } from '../core.js';

/**
 * A map-style dataset: `length` samples, sample i is `get(i)` (PyTorch's
 * `__len__`/`__getitem__`). Optional members let the DataLoader go faster:
 *
 * - `getBatch(indices)`: the samples at `indices` already collated as the
 *   default collate would (e.g. `[x NCHW float32, y int32]`), straight from the
 *   dataset's storage; null when that is not possible (e.g. a random transform).
 * - `load(i)` + `getLoaded(i, loaded)`: split a sample into asynchronous
 *   loading (file reads, decoding; run concurrently by `for await`) and the
 *   synchronous per-sample transforms, which the loader then applies in index
 *   order so random draws stay reproducible.
 */
export interface Dataset<T = unknown> {
  readonly length: number;
  get(index: number): T;
  getBatch?(indices: ArrayLike<number>): unknown | null;
  load?(index: number): Promise<unknown>;
  getLoaded?(index: number, loaded: unknown): T;
}

/** The sample type of a dataset. */
export type SampleOf<D> = D extends Dataset<infer T> ? T : never;

/** Check an index against a length (negative counts from the end) and return it as 0..length−1. */
export function checkIndex(index: number, length: number, what: string): number {
  if (!Number.isInteger(index)) throw new Error(`${what}: index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new Error(`${what}: index ${index} out of range for dataset of length ${length}`);
  return i;
}

/** The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset). */
export class Subset<T> implements Dataset<T> {
  readonly indices: Int32Array;

  constructor(readonly dataset: Dataset<T>, indices: ArrayLike<number> | Tensor) {
    const values = indices instanceof Tensor ? indices.data() : indices;
    this.indices = Int32Array.from(values as ArrayLike<number>, (v, k) => {
      if (!Number.isInteger(v) || v < -dataset.length || v >= dataset.length) {
        throw new Error(`Subset: indices[${k}] = ${v} is out of range for a dataset of length ${dataset.length}`);
      }
      return v < 0 ? v + dataset.length : v;
    });
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    return this.dataset.get(this.indices[checkIndex(index, this.length, 'Subset')]);
  }

  get getBatch(): ((indices: ArrayLike<number>) => unknown | null) | undefined {
    const { dataset } = this;
    if (!dataset.getBatch) return undefined;
    return (indices) => {
      const mapped = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) mapped[k] = this.indices[checkIndex(indices[k], this.length, 'Subset')];
      return dataset.getBatch!(mapped);
    };
  }

  get load(): ((index: number) => Promise<unknown>) | undefined {
    const { dataset } = this;
    if (!dataset.load || !dataset.getLoaded) return undefined;
    return (index) => dataset.load!(this.indices[checkIndex(index, this.length, 'Subset')]);
  }

  get getLoaded(): ((index: number, loaded: unknown) => T) | undefined {
    const { dataset } = this;
    if (!dataset.load || !dataset.getLoaded) return undefined;
    return (index, loaded) => dataset.getLoaded!(this.indices[checkIndex(index, this.length, 'Subset')], loaded);
  }
}

/** Several datasets one after another (torch.utils.data.ConcatDataset). */
export class ConcatDataset<T> implements Dataset<T> {
  /** cumulativeSizes[k] = total length of datasets 0..k. */
  readonly cumulativeSizes: number[];

  constructor(readonly datasets: readonly Dataset<T>[]) {
    if (!Array.isArray(datasets) || datasets.length === 0) throw new Error('ConcatDataset: expected a non-empty list of datasets');
    let total = 0;
    this.cumulativeSizes = datasets.map((d, k) => {
      if (!d || !Number.isInteger(d.length) || typeof d.get !== 'function') {
        throw new Error(`ConcatDataset: datasets[${k}] is not a dataset (needs length and get(i))`);
      }
      return (total += d.length);
    });
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  /** Which dataset holds global index i, and the index inside it. */
  locate(index: number): [number, number] {
    const i = checkIndex(index, this.length, 'ConcatDataset');
    let lo = 0;
    let hi = this.cumulativeSizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid] > i) hi = mid;
      else lo = mid + 1;
    }
    return [lo, lo === 0 ? i : i - this.cumulativeSizes[lo - 1]];
  }

  get(index: number): T {
    const [d, i] = this.locate(index);
    return this.datasets[d].get(i);
  }

  get load(): ((index: number) => Promise<unknown>) | undefined {
    if (!this.datasets.every((d) => d.load && d.getLoaded)) return undefined;
    return (index) => {
      const [d, i] = this.locate(index);
      return this.datasets[d].load!(i);
    };
  }

  get getLoaded(): ((index: number, loaded: unknown) => T) | undefined {
    if (!this.datasets.every((d) => d.load && d.getLoaded)) return undefined;
    return (index, loaded) => {
      const [d, i] = this.locate(index);
      return this.datasets[d].getLoaded!(i, loaded);
    };
  }
}

/**
 * Rows of tensors that share their first dimension (torch.utils.data.TensorDataset):
 * sample i is `[t0[i], t1[i], ...]`.
 */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: expected at least one tensor');
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor)) throw new Error(`TensorDataset: argument ${k} is not a tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${k} is zero-dimensional; expected a first dimension of samples`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new Error(`TensorDataset: size mismatch between tensors: tensor 0 has ${tensors[0].shape[0]} rows, tensor ${k} has ${t.shape[0]}`);
      }
    });
    this.tensors = tensors.map((t) => t.detach().contiguous());
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    const i = checkIndex(index, this.length, 'TensorDataset');
    return this.tensors.map((t) => t.select(0, i));
  }

  /** Rows gathered straight into batch tensors (what the default collate makes of the samples). */
  getBatch(indices: ArrayLike<number>): Tensor[] {
    const n = indices.length;
    return this.tensors.map((t) => {
      const row = t.size / t.shape[0];
      const src = t.data();
      const out = new (src.constructor as new (n: number) => typeof src)(n * row);
      for (let k = 0; k < n; k++) {
        const i = checkIndex(indices[k], this.length, 'TensorDataset');
        out.set(src.subarray(i * row, (i + 1) * row), k * row);
      }
      return new Tensor(out, [n, ...t.shape.slice(1)], undefined, 0, t.dtype);
    });
  }
}

export interface RandomSplitOptions {
  generator?: Generator;
}

/**
 * Split a dataset into non-overlapping random subsets (torch.utils.data.random_split):
 * `lengths` are sizes summing to the dataset's length, or fractions summing to 1
 * (the remainder after flooring goes round-robin to the first subsets). With the
 * same generator state, the split is the one PyTorch makes.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0) throw new Error('randomSplit: expected a non-empty list of lengths or fractions');
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) < 1e-9 && total !== n) {
    sizes.forEach((f, k) => {
      if (f < 0 || f > 1) throw new Error(`randomSplit: fraction at index ${k} is not between 0 and 1: ${f}`);
    });
    sizes = lengths.map((f) => Math.floor(n * f));
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let k = 0; k < remainder; k++) sizes[k % sizes.length] += 1;
  }
  sizes.forEach((s, k) => {
    if (!Number.isInteger(s) || s < 0) throw new Error(`randomSplit: lengths[${k}] = ${s} is not a non-negative integer`);
  });
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new Error(`randomSplit: sum of input lengths (${sizes.join(' + ')} = ${sum}) does not equal the length of the input dataset (${n})`);
  }
  const perm = randperm(n, { generator: options.generator ?? defaultGenerator }).data() as Int32Array;
  let offset = 0;
  return sizes.map((s) => new Subset(dataset, perm.subarray(offset, (offset += s))));
}
