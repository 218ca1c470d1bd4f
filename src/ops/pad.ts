import { record } from '../autograd/node.js';
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
  if (mode === 'constant') return constantPad(x, amounts, options.value ?? 0);
  if (options.value !== undefined && options.value !== 0) throw new Error(`pad: a fill value only applies to mode 'constant', not '${mode}'`);
  let out = x;
  amounts.forEach(([left, right], d) => {
    if (left === 0 && right === 0) return;
    out = indexSelect(out, d, sourceIndices(mode, x.shape[d], left, right, d));
  });
  return out;
}

function constantPad(x: Tensor, amounts: number[][], value: number): Tensor {
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

function pairs(flat: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** For each output position along a padded dim, which input position it copies. */
function sourceIndices(mode: string, n: number, left: number, right: number, dim: number): number[] {
  if (left < 0 || right < 0) throw new Error(`pad: negative padding is only supported in 'constant' mode (dim ${dim})`);
  if (mode === 'reflect' && (left >= n || right >= n)) {
    throw new Error(`pad: reflect padding (${left}, ${right}) must be smaller than dimension ${dim} of size ${n}`);
  }
  if (mode === 'circular' && (left > n || right > n)) {
    throw new Error(`pad: circular padding (${left}, ${right}) must be at most dimension ${dim} of size ${n}`);
  }
  if (mode === 'replicate' && n === 0) throw new Error(`pad: cannot replicate-pad an empty dimension ${dim}`);
  const map = (i: number): number => {
    switch (mode) {
      case 'reflect': return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
      case 'replicate': return Math.min(Math.max(i, 0), n - 1);
      case 'circular': return ((i % n) + n) % n;
      default: throw new Error(`pad: unknown mode '${mode}'; expected constant, reflect, replicate or circular`);
    }
  };
  return Array.from({ length: n + left + right }, (_, k) => map(k - left));
}
