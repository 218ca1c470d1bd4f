/**
 * Dropout variants. Masks are drawn from the default generator as PyTorch 1.13's CPU bernoulli_(1 − p)
 * (without MKL) draws them, so st.manualSeed(s) gives torch.manual_seed(s)'s masks: one 53-bit double
 * uniform u per masked unit in row-major order, the unit kept when u < 1 − p. The output is
 * input × mask (with inverted scaling), so the gradient is upstream × the same mask.
 */
import { shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultGenerator } from '../tensor/random.js';
import { checkFloat, checkTensor, empty } from './util.js';

export interface DropoutOptions {
  /** Probability of zeroing a unit (default 0.5). */
  p?: number;
  /** Apply dropout (default true for dropout/dropout1d/2d/3d, false for the alpha variants, as in PyTorch). */
  training?: boolean;
}

function checkP(p: number, op: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/** A mask of `shape` whose kept entries hold `keepValue` and dropped ones `dropValue`. */
function bernoulliMask(shape: readonly number[], x: Tensor, p: number, keepValue: number, dropValue: number): Tensor {
  const mask = empty(shape, x.dtype);
  const m = mask.storage;
  const keepProb = 1 - p;
  for (let i = 0; i < m.length; i++) m[i] = defaultGenerator.uniformDouble() < keepProb ? keepValue : dropValue;
  return mask;
}

/** PyTorch's kept-unit scale noise.div_(1 − p): the division happens in the tensor's dtype (1 − p cast first). */
function keepScale(p: number, dtype: Tensor['dtype']): number {
  return dtype === 'float32' ? Math.fround(1 / Math.fround(1 - p)) : 1 / (1 - p);
}

/** Shape of one mask entry per (sample, channel) — [N, C, 1, …] — or per channel for unbatched input. */
function featureMaskShape(op: string, x: Tensor, batched: boolean): number[] {
  const lead = batched ? 2 : 1;
  // PyTorch checks this only when it draws a mask (training, 0 < p < 1).
  if (x.ndim < lead) throw new Error(`${op}: feature dropout requires at least 2 dimensions in the input, got input of shape ${shapeStr(x.shape)}`);
  return x.shape.map((d, i) => (i < lead ? d : 1));
}

function dropoutImpl(op: string, x: Tensor, options: DropoutOptions, maskShape: (x: Tensor) => number[]): Tensor {
  checkTensor(x, op);
  const p = options.p ?? 0.5;
  checkP(p, op);
  // PyTorch returns an empty input as it is, before its dtype and rank checks.
  if (!(options.training ?? true) || p === 0 || x.size === 0) return x;
  // PyTorch multiplies by a zero scalar of the input's dtype for p = 1, before any dtype check: integer zeros, bool false.
  if (p === 1) return x.mul(empty([], x.dtype));
  checkFloat(x, op);
  return x.mul(bernoulliMask(maskShape(x), x, p, keepScale(p, x.dtype), 0));
}

/** Zero each element with probability p and scale the rest by 1/(1 − p), as torch.nn.functional.dropout. */
export function dropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  return dropoutImpl('dropout', x, options, (t) => [...t.shape]);
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

/** Channel-wise dropout with PyTorch 1.13's rules for which dimensions are batch and channel. */
function featureDropout(op: string, x: Tensor, batched: boolean, options: DropoutOptions): Tensor {
  return dropoutImpl(op, x, options, (t) => featureMaskShape(op, t, batched));
}

/** Zero whole channels of [N, C, L] (or [C, L]) with probability p, as torch.nn.functional.dropout1d. */
export function dropout1d(x: Tensor, options: DropoutOptions = {}): Tensor {
  checkTensor(x, 'dropout1d');
  if (x.ndim !== 2 && x.ndim !== 3) {
    throw new Error(`dropout1d: expected a 2-D (unbatched) or 3-D (batched) input, got input of shape ${shapeStr(x.shape)}`);
  }
  return featureDropout('dropout1d', x, x.ndim === 3, options);
}

/**
 * Zero whole channels of [N, C, H, W] with probability p, as PyTorch 1.13's dropout2d: every input
 * is read as [N, C, …], so a 3-D input is [N, C, L] (channel-wise 1-D dropout, with PyTorch's warning;
 * use dropout1d for that, or unsqueeze an unbatched [C, H, W] image).
 */
export function dropout2d(x: Tensor, options: DropoutOptions = {}): Tensor {
  checkTensor(x, 'dropout2d');
  if (x.ndim === 3) {
    warnOnce('dropout2d: received a 3-D input and, as PyTorch 1.13, reads it as [N, C, L] (channel-wise 1-D dropout); use dropout1d for that, or unsqueeze(0) an unbatched [C, H, W] image');
  } else if (x.ndim !== 4) {
    warnOnce(`dropout2d: received a ${x.ndim}-D input; dropout2d is meant for 3-D or 4-D inputs (PyTorch 1.13 deprecates other ranks)`);
  }
  return featureDropout('dropout2d', x, true, options);
}

/** Zero whole channels of [N, C, D, H, W] (or unbatched [C, D, H, W]) with probability p, as torch.nn.functional.dropout3d. */
export function dropout3d(x: Tensor, options: DropoutOptions = {}): Tensor {
  checkTensor(x, 'dropout3d');
  if (x.ndim !== 4 && x.ndim !== 5) {
    warnOnce(`dropout3d: received a ${x.ndim}-D input; dropout3d is meant for 4-D or 5-D inputs (PyTorch 1.13 deprecates other ranks)`);
  }
  return featureDropout('dropout3d', x, x.ndim === 5, options);
}

const SELU_ALPHA = 1.7580993408473766; // scale·alpha of SELU

function alphaDropoutImpl(op: string, x: Tensor, options: DropoutOptions, maskShape: (x: Tensor) => number[]): Tensor {
  checkTensor(x, op);
  const p = options.p ?? 0.5;
  checkP(p, op);
  if (!(options.training ?? false) || p === 0 || x.size === 0) return x;
  if (p === 1) return x.mul(empty([], x.dtype));
  checkFloat(x, op);
  // PyTorch: kept units x·a, dropped ones a·(−alpha'), plus b = alpha'·a·p, which keeps mean and variance.
  const a = 1 / Math.sqrt((SELU_ALPHA * SELU_ALPHA * p + 1) * (1 - p));
  const keep = bernoulliMask(maskShape(x), x, p, 1, 0);
  const b = keep.sub(1).mul(SELU_ALPHA * a).add(SELU_ALPHA * a * p);
  return x.mul(keep.mul(a)).add(b);
}

/** Dropout that keeps SELU's self-normalising mean and variance, as torch.nn.functional.alpha_dropout (training defaults to false). */
export function alphaDropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  return alphaDropoutImpl('alphaDropout', x, options, (t) => [...t.shape]);
}

/** Alpha dropout of whole channels ([N, C, …]), as torch.nn.functional.feature_alpha_dropout. */
export function featureAlphaDropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  return alphaDropoutImpl('featureAlphaDropout', x, options, (t) => featureMaskShape('featureAlphaDropout', t, true));
}
