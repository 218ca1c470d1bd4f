import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { promoteTypes } from '../tensor/dtype.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, writeStrided, uninitialized } from './util.js';

/** Concatenate along an existing dim; shapes must agree elsewhere. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('cat: expected a non-empty list of tensors');
  tensors.forEach((t, i) => checkTensor(t, 'cat', `tensors[${i}]`));
  // PyTorch skips legacy empty 1-D tensors of shape [0].
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.size === 0));
  if (parts.length === 0) return tensors.length === 1 ? tensors[0] : uninitialized([0], tensors.map((t) => t.dtype).reduce(promoteTypes));
  const ref = parts[0];
  if (ref.ndim === 0) throw new Error('cat: zero-dimensional tensors cannot be concatenated; use stack');
  const d = normalizeDim(dim, ref.ndim, 'cat');
  parts.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s: number, k: number) => k !== d && s !== ref.shape[k])) {
      throw new Error(
        `cat: sizes of tensors must match except in dimension ${d}; tensors[0] has shape ${shapeStr(ref.shape)} ` +
          `but tensors[${i}] has shape ${shapeStr(t.shape)}`,
      );
    }
  });
  // The skipped empty tensors still take part in type promotion, as in PyTorch.
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const shape = [...ref.shape];
  shape[d] = parts.reduce((n, t) => n + t.shape[d], 0);
  const out = uninitialized(shape, dtype);
  let at = 0;
  for (const t of parts) {
    writeStrided(out.narrow(d, at, t.shape[d]), t.to(dtype));
    at += t.shape[d];
  }
  if (!needsGrad(...parts)) return out;
  return record(out, 'CatBackward0', parts, (g) => {
    let start = 0;
    return parts.map((t) => {
      const piece = g.narrow(d, start, t.shape[d]);
      start += t.shape[d];
      return piece.to(t.dtype);
    });
  });
}

/** Join tensors of equal shape along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error('stack: expected a non-empty list of tensors');
  tensors.forEach((t, i) => {
    checkTensor(t, 'stack', `tensors[${i}]`);
    if (t.ndim !== tensors[0].ndim || t.shape.some((s: number, k: number) => s !== tensors[0].shape[k])) {
      throw new Error(`stack: expects each tensor to be equal size, but got ${shapeStr(tensors[0].shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim(dim, tensors[0].ndim + 1, 'stack');
  const out = noGrad(() => cat(tensors.map((t) => t.unsqueeze(d)), d));
  if (!needsGrad(...tensors)) return out;
  // One node, as torch's StackBackward0: each input gets its slice of the gradient.
  return record(out, 'StackBackward0', tensors, (g) => tensors.map((t, i) => g.select(d, i).to(t.dtype)));
}
