import type { FloatArray } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes } from '../tensor/dtype.js';
import { broadcastShapes, shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty, sumToShape, uninitialized } from './util.js';

/** How a [..., rows, cols] tensor is handed to the GEMM kernel without copying, when possible. */
interface Operand {
  data: FloatArray;
  offset: number;
  trans: boolean;
  batchStride: number;
}

/**
 * Describe x (already broadcast to `batch` leading dims) as a GEMM operand: row-
 * or column-major matrices at a fixed batch stride. Anything else is copied.
 */
function operand(x: Tensor, batch: number): Operand {
  const r = x.ndim;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const sr = x.strides[r - 2];
  const sc = x.strides[r - 1];
  const rowMajor = (sc === 1 || cols === 1) && (sr === cols || rows === 1);
  const colMajor = !rowMajor && (sr === 1 || rows === 1) && (sc === rows || cols === 1);
  const batchStride = uniformBatchStride(x);
  if ((rowMajor || colMajor) && batchStride !== null) {
    return { data: x.storage as FloatArray, offset: x.offset, trans: colMajor, batchStride: batch === 1 ? 0 : batchStride };
  }
  const c = x.clone().detach();
  return { data: c.storage as FloatArray, offset: 0, trans: false, batchStride: batch === 1 ? 0 : uniformBatchStride(c) ?? rows * cols };
}

/** The one stride that steps through all batch matrices in order, or null if there is none. */
function uniformBatchStride(x: Tensor): number | null {
  const lead = x.shape.slice(0, -2);
  const strides = x.strides.slice(0, -2);
  let stride: number | null = null;
  let expected: number | null = null;
  for (let d = lead.length - 1; d >= 0; d--) {
    if (lead[d] === 1) continue;
    if (expected === null) {
      stride = strides[d];
      expected = strides[d] * lead[d];
      if (stride === 0) expected = 0;
    } else if (strides[d] !== expected) {
      return null;
    } else {
      expected = strides[d] * lead[d];
    }
  }
  return stride ?? 0;
}

/** Matrix product with torch.matmul's rules: 1-D operands, batching and batch broadcasting. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'matmul');
  checkTensor(b, 'matmul', 'other');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both arguments need at least 1 dimension, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  if (a.ndim === 1 && b.ndim === 1) return dot(a, b);
  if (a.ndim === 2 && b.ndim === 1) return mv(a, b);
  // torch 1.13 folds a batched left operand into one matrix and views the result back: UnsafeViewBackward0.
  if (a.ndim >= 3 && b.ndim >= 2) return batchedMatmul(a, b, 'matmul', 'UnsafeViewBackward0');
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  let out = batchedMatmul(a2, b2, 'matmul');
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}

/** 2-D × 2-D only. */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) throw new Error(`mm: expects 2-D tensors, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  return batchedMatmul(a, b, 'mm');
}

/** 3-D × 3-D with equal batch sizes only. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new Error(`bmm: expects 3-D tensors with the same batch size, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  return batchedMatmul(a, b, 'bmm');
}

export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1 || a.shape[0] !== b.shape[0]) {
    throw new Error(`dot: expects two 1-D tensors of the same length, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  if (a.dtype === 'bool' || b.dtype === 'bool') throw new Error('dot: not implemented for bool tensors (convert with .int() or .float() first)');
  if (a.dtype !== b.dtype) throw new Error(`dot: expected both vectors to have same dtype, but found ${a.dtype} and ${b.dtype}`);
  const out = noGrad(() => a.mul(b).sum());
  if (!needsGrad(a, b)) return out;
  return record(out, 'DotBackward0', [a, b], (g) => [a.requiresGrad ? g.mul(b) : null, b.requiresGrad ? g.mul(a) : null], [a, b]);
}

/** Matrix × vector (torch.mv), one MvBackward0 node. */
export function mv(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 1) throw new Error(`mv: expects a 2-D matrix and a 1-D vector, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  if (a.shape[1] !== b.shape[0]) throw new Error(`mv: size mismatch, got ${a.shape[0]}x${a.shape[1]} matrix and vector of ${b.shape[0]}`);
  const out = noGrad(() => batchedMatmul(a, b.unsqueeze(1), 'mv').squeeze(1));
  if (!needsGrad(a, b)) return out;
  const inputs = [a, b];
  return record(out, 'MvBackward0', inputs, (g) => [
    a.requiresGrad ? g.unsqueeze(1).matmul(b.unsqueeze(0)).to(a.dtype) : null,
    b.requiresGrad ? a.t().matmul(g).to(b.dtype) : null,
  ], [a, b]);
}

/**
 * ∂(a·b)/∂b = aᵀ·g for 2-D a and b. When b is a transposed (column-major) matrix, as a Linear layer's
 * weight.t() is, it is computed as (gᵀ·a)ᵀ, as PyTorch's mm_mat2_backward does: the weight's gradient
 * then comes out dense instead of transposed (and accumulates without a strided read).
 */
function mmGradB(a: Tensor, b: Tensor, g: Tensor): Tensor {
  const columnMajor = b.ndim === 2 && b.strides[0] === 1 && b.strides[1] === b.shape[0];
  return columnMajor ? g.t().matmul(a).t() : a.t().matmul(g);
}

/** Scale by f, skipping the multiply for 1. */
export const scale = (t: Tensor, f: number): Tensor => (f === 1 ? t : t.mul(f));

/**
 * beta·input + alpha·product in the product's dtype (torch casts the input), dropping a zero-scaled term
 * entirely (its NaN and inf included), as torch; `keepZeroAlpha`: a zero alpha still multiplies the product.
 */
export function addScaled(input: Tensor, product: Tensor, beta: number, alpha: number, keepZeroAlpha = false): Tensor {
  const term = alpha === 0 && !keepZeroAlpha ? empty(product.shape, product.dtype) : scale(product, alpha);
  return beta === 0 ? term : term.add(scale(input.expand(product.shape).to(product.dtype), beta));
}

/** torch requires the bias of addmm / addbmm to have the matrices' dtype. */
export function checkBiasDType(op: string, input: Tensor, mat: Tensor): void {
  if (input.dtype !== mat.dtype) throw new Error(`${op}: self and mat2 must have the same dtype, got ${input.dtype} and ${mat.dtype}`);
}

/**
 * torch's GEMM kernels take one dtype and no bool: bool operands raise, and so do mixed ones unless nothing is
 * multiplied (an empty operand).
 */
export function checkGemmOperands(a: Tensor, b: Tensor, op: string): void {
  if (a.dtype === 'bool' || b.dtype === 'bool') {
    throw new Error(`${op}: not implemented for bool tensors (got ${a.dtype} and ${b.dtype}; convert with .int() or .float() first)`);
  }
  if (a.dtype !== b.dtype && a.size > 0 && b.size > 0) {
    throw new Error(`${op}: expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype} (as in PyTorch; convert one with .to())`);
  }
}

function batchedMatmul(a0: Tensor, b0: Tensor, op: string, nodeName?: string): Tensor {
  const m = a0.shape[a0.ndim - 2];
  const k = a0.shape[a0.ndim - 1];
  const n = b0.shape[b0.ndim - 1];
  if (b0.shape[b0.ndim - 2] !== k) {
    throw new Error(
      `${op}: shapes ${shapeStr(a0.shape)} and ${shapeStr(b0.shape)} cannot be multiplied (${m}x${k} and ${b0.shape[b0.ndim - 2]}x${n})`,
    );
  }
  checkGemmOperands(a0, b0, op);
  const resultType = promoteTypes(a0.dtype, b0.dtype);
  // Integer operands are multiplied in float64 (exact for int32 products) and the result cast back, as
  // torch.matmul keeps integer dtypes.
  const dtype = isFloat(resultType) ? resultType : 'float64';
  const a = a0.to(dtype);
  const b = b0.to(dtype);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const ae = a.expand([...batchShape, m, k]);
  const be = b.expand([...batchShape, k, n]);
  const out = uninitialized([...batchShape, m, n], dtype);
  if (batch > 0 && m > 0 && n > 0) {
    const A = operand(ae, batch);
    const B = operand(be, batch);
    kernels().matmul(A.data, B.data, out.storage as FloatArray, {
      batch, m, n, k, transA: A.trans, transB: B.trans, aOffset: A.offset, bOffset: B.offset,
      aBatchStride: A.batchStride, bBatchStride: B.batchStride,
    });
  }
  if (!isFloat(resultType)) return out.to(resultType);
  if (!needsGrad(a, b)) return out;
  return record(out, nodeName ?? (a.ndim === 2 && b.ndim === 2 ? 'MmBackward0' : 'BmmBackward0'), [a, b], (g) => [
    a.requiresGrad ? sumToShape(g.matmul(be.mT), a.shape) : null,
    b.requiresGrad ? (a.ndim === 2 && b.ndim === 2 ? mmGradB(a, b, g) : sumToShape(ae.mT.matmul(g), b.shape)) : null,
  ], [b.requiresGrad ? a : null, a.requiresGrad ? b : null]);
}

/**
 * beta·input + alpha·(a·b) for 2-D a, b (input broadcast to the product), as torch.addmm: one AddmmBackward0
 * node. A zero beta or alpha drops its term entirely (its NaN and inf included), as PyTorch's gemm does.
 */
export function addmm(input: Tensor, a: Tensor, b: Tensor, options: { beta?: number; alpha?: number } = {}): Tensor {
  checkTensor(input, 'addmm');
  checkBiasDType('addmm', input, b);
  const { beta = 1, alpha = 1 } = options;
  const out = noGrad(() => addScaled(input, mm(a, b), beta, alpha));
  if (!needsGrad(input, a, b)) return out;
  return record(out, 'AddmmBackward0', [input, a, b], (g) => [
    input.requiresGrad ? scale(sumToShape(g, input.shape), beta).to(input.dtype) : null,
    a.requiresGrad ? scale(g.matmul(b.t()), alpha).to(a.dtype) : null,
    b.requiresGrad ? scale(mmGradB(a, b, g), alpha).to(b.dtype) : null,
  ], [a.requiresGrad ? b : null, b.requiresGrad ? a : null]);
}
