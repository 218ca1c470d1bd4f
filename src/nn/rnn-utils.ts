/**
 * Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence, packPaddedSequence,
 * padPackedSequence, padSequence, packSequence, unpadSequence, unpackSequence, invertPermutation.
 *
 * A PackedSequence holds the time steps of a batch of sequences, longest first, one after another: step t has
 * batchSizes[t] rows (the sequences still running at t, in decreasing-length order), so `data` is
 * [Σ batchSizes, *]. With enforceSorted: false the batch is sorted by length first and sortedIndices /
 * unsortedIndices record the permutation; the recurrent layers apply it to the hidden states, and
 * padPackedSequence undoes it. Everything is built from narrow / reshape / cat / indexSelect, so gradients
 * flow back to the padded input. Lengths and batch sizes are int32 tensors (torch's int64).
 */
import { Tensor } from '../tensor/tensor.js';
import { full } from '../tensor/creation.js';
import { cat, stack } from '../ops/join.js';
import { sort } from '../ops/sort.js';
import { shapeStr } from '../tensor/shape.js';

type Lengths = Tensor | readonly number[];

function intTensor(values: readonly number[]): Tensor {
  return new Tensor(Int32Array.from(values), [values.length], undefined, 0, 'int32');
}

/** Lengths as integers, as torch.as_tensor(lengths, dtype=int64) (floats truncate). */
function lengthsOf(lengths: Lengths, op: string): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.ndim !== 1) throw new Error(`${op}: expected 'lengths' to be a 1-D tensor, got shape ${shapeStr(lengths.shape)}`);
    return Array.from(lengths.contiguous().data(), (v) => Math.trunc(Number(v)));
  }
  if (!Array.isArray(lengths)) throw new TypeError(`${op}: lengths must be a 1-D tensor or an array of numbers`);
  return lengths.map((v) => Math.trunc(Number(v)));
}

/** The inverse of a permutation: out[perm[i]] = i (null stays null). */
export function invertPermutation(permutation: Tensor | null): Tensor | null {
  if (permutation === null || permutation === undefined) return null;
  const p = permutation.contiguous().data();
  const out = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) out[Number(p[i])] = i;
  return new Tensor(out, [p.length], undefined, 0, 'int32');
}

/**
 * A packed batch of variable-length sequences (see the module comment). Build it with packPaddedSequence or
 * packSequence; like torch's namedtuple it destructures as `const [data, batchSizes, sortedIndices, unsortedIndices] = packed`.
 */
export class PackedSequence {
  readonly data: Tensor;
  /** Rows of each time step (int32, non-increasing). */
  readonly batchSizes: Tensor;
  /** Batch order → original index (null when the batch was already sorted). */
  readonly sortedIndices: Tensor | null;
  /** Original index → batch order (the inverse of sortedIndices). */
  readonly unsortedIndices: Tensor | null;

  constructor(data: Tensor, batchSizes: Tensor | readonly number[], sortedIndices: Tensor | null = null, unsortedIndices: Tensor | null = null) {
    if (!(data instanceof Tensor)) throw new TypeError('PackedSequence: data must be a Tensor');
    this.data = data;
    this.batchSizes = batchSizes instanceof Tensor ? batchSizes : intTensor(batchSizes);
    this.sortedIndices = sortedIndices ?? null;
    this.unsortedIndices = unsortedIndices ?? invertPermutation(this.sortedIndices);
  }

  /** The same sequences with data converted to dtype (this object when it already has it). */
  to(dtype: Tensor['dtype']): PackedSequence {
    const data = this.data.to(dtype);
    return data === this.data ? this : new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  double(): PackedSequence {
    return this.to('float64');
  }

  float(): PackedSequence {
    return this.to('float32');
  }

  *[Symbol.iterator](): IterableIterator<Tensor | null> {
    yield this.data;
    yield this.batchSizes;
    yield this.sortedIndices;
    yield this.unsortedIndices;
  }

  toString(): string {
    const opt = (t: Tensor | null) => (t === null ? 'None' : t.toString());
    return `PackedSequence(data=${this.data.toString()}, batch_sizes=${this.batchSizes.toString()}, sorted_indices=${opt(this.sortedIndices)}, unsorted_indices=${opt(this.unsortedIndices)})`;
  }
}

/**
 * Pack a padded batch [T, B, *] ([B, T, *] with batchFirst) of sequences with the given lengths. With
 * enforceSorted (default true) the lengths must be non-increasing; otherwise the batch is sorted by length
 * (descending, torch.sort's order for ties) and the permutation kept for the recurrent layers and padPackedSequence.
 */
export function packPaddedSequence(input: Tensor, lengths: Lengths, options: { batchFirst?: boolean; enforceSorted?: boolean } = {}): PackedSequence {
  const op = 'packPaddedSequence';
  if (!(input instanceof Tensor)) throw new TypeError(`${op}: input must be a Tensor`);
  let lens = lengthsOf(lengths, op);
  const batchFirst = options.batchFirst ?? false;
  let sortedIndices: Tensor | null = null;
  if (!(options.enforceSorted ?? true)) {
    const [sortedLengths, indices] = sort(intTensor(lens), 0, { descending: true });
    lens = Array.from(sortedLengths.data(), Number);
    sortedIndices = indices;
    input = input.indexSelect(batchFirst ? 0 : 1, indices);
  }
  if (input.ndim < 2) throw new Error(`${op}: expected an input of at least 2 dimensions ([T, B, *] or [B, T, *]), got shape ${shapeStr(input.shape)}`);
  const x = batchFirst ? input.transpose(0, 1) : input;
  const batch = x.shape[1];
  if (x.size === 0) throw new Error(`${op}: Cannot pack empty tensors.`);
  if (lens.length !== batch) throw new Error(`${op}: Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${batch})`);
  if (!(lens[batch - 1] > 0)) throw new Error(`${op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0`);
  for (let i = 0; i + 1 < batch; i++) {
    if (lens[i + 1] > lens[i]) {
      throw new Error(
        `${op}: \`lengths\` array must be sorted in decreasing order when \`enforceSorted\` is true. You can pass \`enforceSorted: false\` ` +
          'to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability.',
      );
    }
  }
  // As torch: one block per distinct length, time steps [prevL, l) of the first `rows` sequences (clamped to the input).
  const steps: Tensor[] = [];
  const batchSizes: number[] = [];
  const T = x.shape[0];
  const rest = x.shape.slice(2);
  let prevL = 0;
  for (let i = 0; i < batch; i++) {
    const l = lens[batch - 1 - i];
    if (l > prevL) {
      const rows = batch - i;
      const start = Math.min(prevL, T);
      const stop = Math.min(l, T);
      steps.push(x.narrow(0, start, stop - start).narrow(1, 0, rows).reshape([-1, ...rest]));
      for (let j = prevL; j < l; j++) batchSizes.push(rows);
      prevL = l;
    }
  }
  return new PackedSequence(steps.length === 1 ? steps[0] : cat(steps, 0), batchSizes, sortedIndices, null);
}

/**
 * Unpack to a padded batch [T, B, *] ([B, T, *] with batchFirst), padded with paddingValue (default 0) up to
 * totalLength steps (default: the longest sequence); returns [padded, lengths], in the original batch order.
 */
export function padPackedSequence(
  sequence: PackedSequence,
  options: { batchFirst?: boolean; paddingValue?: number; totalLength?: number | null } = {},
): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) throw new TypeError(`${op}: expected a PackedSequence`);
  const bs = Array.from(sequence.batchSizes.contiguous().data(), Number);
  let maxLen = bs.length;
  if (options.totalLength !== undefined && options.totalLength !== null) {
    if (options.totalLength < maxLen) {
      throw new Error(
        `${op}: Expected total_length to be at least the length of the longest sequence in input, but got total_length=${options.totalLength} and max sequence length being ${maxLen}`,
      );
    }
    maxLen = options.totalLength;
  }
  const data = sequence.data;
  const pad = options.paddingValue ?? 0;
  const rest = data.shape.slice(1);
  const maxBatch = bs[0] ?? 0;
  const blocks: Tensor[] = [];
  const lengths = new Array<number>(maxBatch).fill(0);
  // Consecutive steps of equal batch size form one block [steps, rows, *], padded to maxBatch rows (as torch).
  let offset = 0;
  let prevI = 0;
  let prevB = maxBatch;
  for (let i = 0; i <= bs.length; i++) {
    const b = i < bs.length ? bs[i] : 0;
    if (b !== prevB) {
      const n = prevB * (i - prevI);
      let block = data.narrow(0, offset, n).reshape([i - prevI, prevB, ...rest]);
      if (prevB < maxBatch) block = cat([block, full([i - prevI, maxBatch - prevB, ...rest], pad, { dtype: data.dtype })], 1);
      if (i > prevI) blocks.push(block);
      offset += n;
      prevI = i;
    }
    for (let j = b; j < prevB; j++) lengths[j] = i;
    prevB = b;
  }
  if (maxLen > bs.length) blocks.push(full([maxLen - bs.length, maxBatch, ...rest], pad, { dtype: data.dtype }));
  let padded = blocks.length === 1 ? blocks[0] : cat(blocks, 0);
  if (options.batchFirst) padded = padded.transpose(0, 1);
  let lengthsT = intTensor(lengths);
  if (sequence.unsortedIndices !== null) {
    padded = padded.indexSelect(options.batchFirst ? 0 : 1, sequence.unsortedIndices);
    lengthsT = lengthsT.indexSelect(0, sequence.unsortedIndices);
  }
  return [padded, lengthsT];
}

/**
 * Stack sequences [Lᵢ, *] into [maxL, B, *] ([B, maxL, *] with batchFirst), padding with paddingValue (default 0).
 * As torch, the trailing sizes and dtype are the first sequence's (the others are broadcast and cast to them);
 * a tensor argument is read as the list of its slices along dim 0.
 */
export function padSequence(sequences: readonly Tensor[] | Tensor, options: { batchFirst?: boolean; paddingValue?: number } = {}): Tensor {
  const op = 'padSequence';
  const seqs = sequences instanceof Tensor ? sequences.unbind(0) : [...sequences];
  if (seqs.length === 0) throw new Error(`${op}: received an empty list of sequences`);
  for (const s of seqs) {
    if (!(s instanceof Tensor)) throw new TypeError(`${op}: expected a list of tensors`);
    if (s.ndim === 0) throw new Error(`${op}: Dimension specified as 0 but tensor has no dimensions`);
  }
  const { dtype } = seqs[0];
  const trailing = seqs[0].shape.slice(1);
  const maxLen = Math.max(...seqs.map((s) => s.shape[0]));
  const pad = options.paddingValue ?? 0;
  const columns = seqs.map((s) => {
    const shape = [s.shape[0], ...trailing];
    let t = s.shape.length === shape.length && s.shape.every((d, i) => d === shape[i]) ? s : s.expand(shape);
    if (t.dtype !== dtype) t = t.to(dtype);
    return t.shape[0] < maxLen ? cat([t, full([maxLen - t.shape[0], ...trailing], pad, { dtype })], 0) : t;
  });
  return stack(columns, options.batchFirst ? 0 : 1);
}

/** Pack a list of sequences [Lᵢ, *] (longest first unless enforceSorted is false): packPaddedSequence(padSequence(seqs), lengths). */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const lengths = sequences.map((s) => s.shape[0]);
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted ?? true });
}

/** The sequences of a padded batch cut to their lengths (the inverse of padSequence); the input is not modified. */
export function unpadSequence(padded: Tensor, lengths: Lengths, options: { batchFirst?: boolean } = {}): Tensor[] {
  const lens = lengthsOf(lengths, 'unpadSequence');
  const batchDim = options.batchFirst ? 0 : 1;
  return lens.map((l, b) => padded.select(batchDim, b).narrow(0, 0, l));
}

/** The list of sequences in a PackedSequence, in the original order (the inverse of packSequence). */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packed, { batchFirst: true });
  return unpadSequence(padded, lengths, { batchFirst: true });
}
