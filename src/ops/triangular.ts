/**
 * Triangular and diagonal ops, as PyTorch 1.13: tril, triu (over the last two dims, batched), diagonal
 * (a strided view, as torch's), diag, diagEmbed, trace. Each is one recorded node with torch's name, and
 * each gradient is made of the others (tril ↔ tril, diagonal ↔ diagonal embedding), so double backward works.
 */
import { linearInGrad, needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, copyAs, empty, writeStrided } from './util.js';
import { viewOf } from './view.js';

export interface DiagonalOptions {
  offset?: number;
  dim1?: number;
  dim2?: number;
}

function checkInt(value: number, op: string, name: string): void {
  if (!Number.isInteger(value)) throw new Error(`${op}: ${name} must be an integer, got ${value}`);
}

function triangle(x: Tensor, diagonal: number, lower: boolean): Tensor {
  const op = lower ? 'tril' : 'triu';
  checkTensor(x, op);
  checkInt(diagonal, op, 'diagonal');
  if (x.ndim < 2) {
    // torch returns an empty input unchanged (a copy) before checking its rank.
    if (x.size === 0) return record(copyAs(x, x.dtype), lower ? 'TrilBackward0' : 'TriuBackward0', [x], (g) => [g]);
    throw new Error(`${op}: input tensor must have at least 2 dimensions, got shape ${shapeStr(x.shape)}`);
  }
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  const out = noGrad(() => {
    // Mask of the zeroed part: column − row above (tril) or below (triu) the diagonal.
    const mask = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) mask[i * cols + j] = (lower ? j - i > diagonal : j - i < diagonal) ? 1 : 0;
    }
    return x.maskedFill(new Tensor(mask, [rows, cols], undefined, 0, 'bool'), 0);
  });
  return record(out, lower ? 'TrilBackward0' : 'TriuBackward0', [x], (g) => [triangle(g, diagonal, lower)]);
}

/** The lower triangle of the last two dims (elements with column − row ≤ diagonal); the rest zeroed. */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, true);
}

/** The upper triangle of the last two dims (elements with column − row ≥ diagonal); the rest zeroed. */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle(x, diagonal, false);
}

/** Normalised (offset, dim1, dim2) of a diagonal of a rank-`rank` tensor. */
function diagonalDims(rank: number, offset: number, dim1: number, dim2: number, op: string): [number, number] {
  checkInt(offset, op, 'offset');
  const d1 = normalizeDim(dim1, rank, op);
  const d2 = normalizeDim(dim2, rank, op);
  if (rank < 2) throw new Error(`${op}: expected a tensor with at least 2 dimensions, got shape rank ${rank}`);
  if (d1 === d2) throw new Error(`${op}: diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  return [d1, d2];
}

/** The diagonal of dims d1, d2 as a strided window of x (dims removed, the diagonal appended last). */
function diagonalWindow(x: Tensor, offset: number, d1: number, d2: number): Tensor {
  const n1 = x.shape[d1];
  const n2 = x.shape[d2];
  const length = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  let start = x.offset;
  if (length > 0) start += offset >= 0 ? offset * x.strides[d2] : -offset * x.strides[d1];
  const keep = x.shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  return viewOf(x, [...keep.map((i) => x.shape[i]), length], [...keep.map((i) => x.strides[i]), x.strides[d1] + x.strides[d2]], start);
}

/**
 * Zeros of `shape` with g written on the diagonal (offset, d1, d2): the gradient of diagonal / diag, and
 * the forward of diagEmbed. Differentiable in g: its own gradient is the diagonal again.
 */
function embedDiagonal(shape: readonly number[], g: Tensor, offset: number, d1: number, d2: number, nodeName: string): Tensor {
  const full = empty(shape, g.dtype);
  writeStrided(diagonalWindow(full, offset, d1, d2), g);
  return linearInGrad(full, g, nodeName, (gg) => diagonal(gg, offset, d1, d2));
}

function diagonalArgs(offsetOrOptions: number | DiagonalOptions | undefined, dim1: number | undefined, dim2: number | undefined, defaults: [number, number]) {
  if (typeof offsetOrOptions === 'object' && offsetOrOptions !== null) {
    return { offset: offsetOrOptions.offset ?? 0, dim1: offsetOrOptions.dim1 ?? defaults[0], dim2: offsetOrOptions.dim2 ?? defaults[1] };
  }
  return { offset: offsetOrOptions ?? 0, dim1: dim1 ?? defaults[0], dim2: dim2 ?? defaults[1] };
}

/**
 * The diagonal of dims dim1, dim2 (default 0, 1) shifted by offset (> 0 above, < 0 below), appended as the
 * last dim: a view sharing x's storage, as torch.diagonal. `diagonal(x, offset, dim1, dim2)` or
 * `diagonal(x, {offset, dim1, dim2})`.
 */
export function diagonal(x: Tensor, offsetOrOptions?: number | DiagonalOptions, dim1?: number, dim2?: number): Tensor {
  checkTensor(x, 'diagonal');
  const a = diagonalArgs(offsetOrOptions, dim1, dim2, [0, 1]);
  const [d1, d2] = diagonalDims(x.ndim, a.offset, a.dim1, a.dim2, 'diagonal');
  const out = diagonalWindow(x, a.offset, d1, d2);
  return record(out, 'DiagonalBackward0', [x], (g) => [embedDiagonal(x.shape, g, a.offset, d1, d2, 'DiagonalBackwardBackward0')]);
}

/**
 * torch.diag: a 1-D input becomes a square matrix with it on the `diagonal`-th diagonal; a 2-D input gives
 * (a copy of) its `diagonal`-th diagonal.
 */
export function diag(x: Tensor, diagonal = 0): Tensor {
  checkTensor(x, 'diag');
  checkInt(diagonal, 'diag', 'diagonal');
  if (x.ndim === 1) {
    const n = x.shape[0] + Math.abs(diagonal);
    const out = empty([n, n], x.dtype);
    writeStrided(diagonalWindow(out, diagonal, 0, 1), x);
    return record(out, 'DiagBackward0', [x], (g) => [diagonalOf(g, diagonal)]);
  }
  if (x.ndim === 2) {
    // torch 1.13 fails on a diagonal wholly outside the matrix (a negative size); say so plainly.
    if (diagonal > x.shape[1] || -diagonal > x.shape[0]) {
      throw new Error(`diag: diagonal ${diagonal} lies outside the ${x.shape[0]}x${x.shape[1]} matrix`);
    }
    const out = copyAs(diagonalWindow(x, diagonal, 0, 1), x.dtype);
    return record(out, 'DiagBackward0', [x], (g) => [embedDiagonal(x.shape, g, diagonal, 0, 1, 'DiagBackwardBackward0')]);
  }
  throw new Error(`diag: expected a matrix or a vector (1-D or 2-D input), got shape ${shapeStr(x.shape)}`);
}

/** A contiguous copy of a matrix's diagonal, differentiable (its gradient is diag again). */
function diagonalOf(g: Tensor, offset: number): Tensor {
  return diagonal(g, offset, 0, 1).contiguous();
}

/**
 * Matrices whose diagonal (offset, over the new dims dim1, dim2; default −2, −1) holds x's last dim, as
 * torch.diag_embed. `diagEmbed(x, offset, dim1, dim2)` or `diagEmbed(x, {offset, dim1, dim2})`.
 */
export function diagEmbed(x: Tensor, offsetOrOptions?: number | DiagonalOptions, dim1?: number, dim2?: number): Tensor {
  checkTensor(x, 'diagEmbed');
  const a = diagonalArgs(offsetOrOptions, dim1, dim2, [-2, -1]);
  const rank = x.ndim + 1;
  if (x.ndim === 0) throw new Error('diagEmbed: expected a tensor with at least 1 dimension, got a 0-d tensor');
  const [d1, d2] = diagonalDims(rank, a.offset, a.dim1, a.dim2, 'diagEmbed');
  const n = x.shape[x.ndim - 1] + Math.abs(a.offset);
  const rest = x.shape.slice(0, -1);
  const shape: number[] = [];
  for (let i = 0, k = 0; i < rank; i++) shape.push(i === d1 || i === d2 ? n : rest[k++]);
  const out = empty(shape, x.dtype);
  writeStrided(diagonalWindow(out, a.offset, d1, d2), x);
  return record(out, 'DiagEmbedBackward0', [x], (g) => [diagonal(g, a.offset, d1, d2)]);
}

/** Sum of a matrix's main diagonal (int32 for integer input), one TraceBackward0 node. */
export function trace(x: Tensor): Tensor {
  checkTensor(x, 'trace');
  if (x.ndim !== 2) throw new Error(`trace: expected a matrix, but got tensor with dim ${x.ndim} (shape ${shapeStr(x.shape)})`);
  if (x.dtype === 'bool') throw new Error('trace: not implemented for bool tensors (convert with .int() or .float() first)');
  const out = noGrad(() => diagonalWindow(x, 0, 0, 1).sum());
  if (!needsGrad(x)) return out;
  const n = Math.min(x.shape[0], x.shape[1]);
  return record(out, 'TraceBackward0', [x], (g) => [embedDiagonal(x.shape, g.expand([n]), 0, 0, 1, 'TraceBackwardBackward0')]);
}
