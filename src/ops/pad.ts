import { needsGrad, record } from '../autograd/node.js';
import { recordAsOne } from '../autograd/fused.js';
import { shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, writeStrided } from './util.js';
import { indexSelect } from './indexing.js';

export interface PadOptions {
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular';
  /** Fill value for 'constant' mode. */
  value?: number;
}

/**
 * Pad (or, with negative amounts, crop) the last dims, as torch.nn.functional.pad:
 * `pad` lists (left, right) pairs starting from the last dimension.
 */
export function pad(x: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  checkTensor(x, 'pad');
  const mode = options.mode ?? 'constant';
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim || padding.some((p) => !Number.isInteger(p))) {
    throw new Error(`pad: padding must be an even-length list of integers with at most ${2 * x.ndim} entries for a tensor of rank ${x.ndim}, got ${shapeStr(padding)}`);
  }
  const amounts = x.shape.map(() => [0, 0]);
  for (let i = 0; i < padding.length / 2; i++) amounts[x.ndim - 1 - i] = [padding[2 * i], padding[2 * i + 1]];
  if (mode === 'constant') return constantPad(x, amounts, options.value ?? 0, padding.length / 2);
  if (options.value !== undefined && options.value !== 0) throw new Error(`pad: a fill value only applies to mode 'constant', not '${mode}'`);
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new Error(`pad: unknown mode '${mode}'; expected constant, reflect, replicate or circular`);
  }
  checkNonConstantRank(x, padding.length, mode);
  // PyTorch's reflection and replication kernels take floating-point inputs only.
  if (mode !== 'circular' && x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`pad: ${mode} padding is not implemented for ${x.dtype} input`);
  if (mode !== 'circular') checkNonConstantSizes(x, amounts, padding.length / 2, mode);
  const padDims = (input: Tensor) => {
    let out = input;
    amounts.forEach(([left, right], d) => {
      if (left === 0 && right === 0) return;
      out = indexSelect(out, d, sourceIndices(mode, x.shape[d], left, right, d));
    });
    return out;
  };
  // torch records reflect / replicate padding as one node (e.g. ReflectionPad2DBackward0); circular stays composed.
  if (mode === 'circular' || !needsGrad(x)) return padDims(x);
  return recordAsOne(`${mode === 'reflect' ? 'Reflection' : 'Replication'}Pad${padding.length / 2}DBackward0`, [x], padDims);
}

function constantPad(x: Tensor, amounts: number[][], value: number, padded = 0): Tensor {
  // PyTorch: when something is added, every padded dim (the last `padded`) must stay non-empty.
  if (amounts.some(([l, r]) => l > 0 || r > 0)) {
    amounts.forEach(([left, right], d) => {
      if (d >= x.ndim - padded && x.shape[d] + left + right <= 0) {
        throw new Error(`pad: padding (${left}, ${right}) of dimension ${d} of size ${x.shape[d]} gives an output of size ${x.shape[d] + left + right}`);
      }
    });
  }
  // Crop negative amounts first, then place the rest inside a filled output.
  let inner = x;
  amounts.forEach(([left, right], d) => {
    const start = Math.max(-left, 0);
    const length = inner.shape[d] - start - Math.max(-right, 0);
    if (length < 0) throw new Error(`pad: cropping by (${left}, ${right}) exceeds dimension ${d} of size ${x.shape[d]}`);
    if (start > 0 || length < inner.shape[d]) inner = inner.narrow(d, start, length);
  });
  const shape = x.shape.map((n, d) => n + amounts[d][0] + amounts[d][1]);
  const out = empty(shape, x.dtype);
  if (value !== 0) out.storage.fill(value);
  let window = out;
  amounts.forEach(([left], d) => (window = window.narrow(d, Math.max(left, 0), inner.shape[d])));
  writeStrided(window, inner.detach());
  // Cropping by the same amounts undoes the padding, so that is the gradient.
  const back = amounts.flatMap(([l, r]) => [-l, -r]);
  return record(out, 'ConstantPadNdBackward0', [x], (g) => [constantPad(g, pairs(back), 0)]);
}

/**
 * PyTorch 1.13 pads 1, 2 or 3 trailing dims in the non-constant modes, each of a (batched or unbatched)
 * input of matching rank: 2 amounts for 2-D/3-D inputs, 4 for 3-D/4-D, 6 for 4-D/5-D; circular padding
 * also needs the batch dim (its amounts cover every dim after [N, C]).
 */
function checkNonConstantRank(x: Tensor, length: number, mode: string): void {
  const spatial = length / 2;
  if (spatial < 1 || spatial > 3 || (x.ndim !== spatial + 1 && x.ndim !== spatial + 2)) {
    throw new Error(
      `pad: mode '${mode}' pads 1, 2 or 3 trailing dims of a 2-D/3-D, 3-D/4-D or 4-D/5-D input (2, 4 or 6 amounts), ` +
        `got ${length} amounts for input of shape ${shapeStr(x.shape)}`,
    );
  }
  if (mode === 'circular' && x.ndim !== spatial + 2) {
    throw new Error(`pad: circular padding expects ${2 * (x.ndim - 2)} amounts (every dim after [N, C]) for input of shape ${shapeStr(x.shape)}, got ${length}`);
  }
}

/**
 * PyTorch's reflect / replicate size checks: no empty dim but the batch dim (reflect lets an unbatched
 * input's channel dim be empty too), and at least one padded dim of the output must be non-empty.
 */
function checkNonConstantSizes(x: Tensor, amounts: number[][], spatial: number, mode: string): void {
  const first = x.ndim === spatial + 2 || mode === 'reflect' ? 1 : 0;
  if (x.shape.slice(first).some((d) => d === 0)) {
    throw new Error(`pad: ${mode} padding expects non-empty dims after dim ${first - 1}, got input of shape ${shapeStr(x.shape)}`);
  }
  const outs = x.shape.slice(-spatial).map((n, i) => n + amounts[x.ndim - spatial + i][0] + amounts[x.ndim - spatial + i][1]);
  // (A negative size is refused per dim below.)
  if (outs.every((o) => o === 0)) {
    throw new Error(`pad: input of shape ${shapeStr(x.shape)} is too small for ${mode} padding: the padded sizes would be ${shapeStr(outs)}`);
  }
}

function pairs(flat: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/**
 * For each output position along a padded dim, which input position it copies. Negative amounts crop, as in
 * PyTorch: reflect and replicate index the padded sequence of the whole input, circular wraps around what is
 * left after cropping.
 */
function sourceIndices(mode: string, n: number, left: number, right: number, dim: number): number[] {
  if (mode === 'reflect' && (left >= n || right >= n)) {
    throw new Error(`pad: reflect padding (${left}, ${right}) must be smaller than dimension ${dim} of size ${n}`);
  }
  if (mode === 'circular' && (left > n || right > n)) {
    throw new Error(`pad: circular padding (${left}, ${right}) must be at most dimension ${dim} of size ${n}`);
  }
  if (mode === 'replicate' && n === 0) throw new Error(`pad: cannot replicate-pad an empty dimension ${dim}`);
  const length = n + left + right;
  if (length < 0) {
    throw new Error(`pad: ${mode} padding (${left}, ${right}) of dimension ${dim} of size ${n} gives an output of size ${length}`);
  }
  // Circular: the part of the input that survives cropping, [kept0, kept0 + kept).
  const kept0 = Math.max(-left, 0);
  const kept = n - kept0 - Math.max(-right, 0);
  if (mode === 'circular' && kept <= 0 && length > 0) {
    throw new Error(`pad: circular padding (${left}, ${right}) crops all of dimension ${dim} of size ${n}, leaving nothing to wrap around`);
  }
  const map = (i: number): number => {
    switch (mode) {
      case 'reflect': return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
      case 'replicate': return Math.min(Math.max(i, 0), n - 1);
      case 'circular': return kept0 + ((((i - kept0) % kept) + kept) % kept);
      default: throw new Error(`pad: unknown mode '${mode}'; expected constant, reflect, replicate or circular`);
    }
  };
  return Array.from({ length }, (_, k) => map(k - left));
}
