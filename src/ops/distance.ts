/**
 * torch.cdist (PyTorch 1.13): p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]
 * (batch dims broadcast). As torch, p = 2 uses the matrix-product form ‖a‖² − 2a·b + ‖b‖² when a side has
 * more than 25 rows (computeMode 'use_mm_for_euclid_dist_if_necessary', the default) or always
 * ('use_mm_for_euclid_dist'); otherwise a direct loop over the coordinates. The gradient of the mm form is two
 * matrix products, that of the direct loop is taken over the pair differences (both differentiable again;
 * 0 where a distance is 0, as torch).
 */
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { FloatArray } from '../backend/interface.js';
import { isFloat } from '../tensor/dtype.js';
import { broadcastShapes, shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { cat } from './join.js';
import { checkTensor, empty, sumToShape } from './util.js';
import { where } from './unary.js';

export type CdistComputeMode = 'use_mm_for_euclid_dist_if_necessary' | 'use_mm_for_euclid_dist' | 'donot_use_mm_for_euclid_dist';
export interface CdistOptions {
  p?: number;
  computeMode?: CdistComputeMode;
}

const MODES: readonly string[] = ['use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist', 'donot_use_mm_for_euclid_dist'];

/** Distances between each row of x1 and each row of x2: `cdist(x1, x2, p)` or `cdist(x1, x2, {p, computeMode})`. */
export function cdist(x1: Tensor, x2: Tensor, pOrOptions: number | CdistOptions = {}): Tensor {
  const op = 'cdist';
  checkTensor(x1, op, 'x1');
  checkTensor(x2, op, 'x2');
  const options = typeof pOrOptions === 'number' ? { p: pOrOptions } : pOrOptions;
  const p = options.p ?? 2;
  const mode = options.computeMode ?? 'use_mm_for_euclid_dist_if_necessary';
  if (!MODES.includes(mode)) throw new Error(`${op}: computeMode must be one of ${MODES.join(', ')}, got '${mode}'`);
  if (x1.ndim < 2) throw new Error(`${op}: only supports at least 2D tensors, X1 got: ${x1.ndim}D (shape ${shapeStr(x1.shape)})`);
  if (x2.ndim < 2) throw new Error(`${op}: only supports at least 2D tensors, X2 got: ${x2.ndim}D (shape ${shapeStr(x2.shape)})`);
  const M = x1.shape[x1.ndim - 1];
  if (x2.shape[x2.ndim - 1] !== M) {
    throw new Error(`${op}: X1 and X2 must have the same number of columns. X1: ${M} X2: ${x2.shape[x2.ndim - 1]}`);
  }
  if (!isFloat(x1.dtype)) throw new Error(`${op}: only supports floating-point dtypes, X1 got: ${x1.dtype}`);
  if (!isFloat(x2.dtype)) throw new Error(`${op}: only supports floating-point dtypes, X2 got: ${x2.dtype}`);
  if (x1.dtype !== x2.dtype) throw new Error(`${op}: X1 and X2 must have the same dtype, got ${x1.dtype} and ${x2.dtype}`);
  if (!(p >= 0)) throw new Error(`${op}: only supports non-negative p values, got p = ${p}`);
  const P = x1.shape[x1.ndim - 2];
  const R = x2.shape[x2.ndim - 2];
  const batch = broadcastShapes(x1.shape.slice(0, -2), x2.shape.slice(0, -2), op);
  const outShape = [...batch, P, R];
  const useMm = p === 2 && x1.size > 0 && x2.size > 0 &&
    (mode === 'use_mm_for_euclid_dist' || (mode === 'use_mm_for_euclid_dist_if_necessary' && (P > 25 || R > 25)));
  if (useMm) {
    // torch's cdist_impl: fold the batch, _euclidean_dist (EuclideanDistBackward0), view back (ViewBackward0).
    const nb = batch.reduce((a, d) => a * d, 1);
    const a = x1.expand([...batch, P, M]).reshape([nb, P, M]);
    const b = x2.expand([...batch, R, M]).reshape([nb, R, M]);
    return euclideanDist(a, b).view(outShape);
  }
  const a = noGrad(() => x1.expand([...batch, P, M]).contiguous());
  const b = noGrad(() => x2.expand([...batch, R, M]).contiguous());
  const out = empty(outShape, x1.dtype);
  directDistances(a.storage as FloatArray, b.storage as FloatArray, out.storage as FloatArray, out.size / Math.max(1, P * R), P, R, M, p);
  if (!needsGrad(x1, x2)) return out;
  return record(out, 'CdistBackward0', [x1, x2], (g) => {
    // torch's _cdist_backward works on the pair differences for every p (p = 2 too: g·diff / dist, which
    // keeps float32 precision that the matrix-product form of the mm path loses to cancellation).
    const [g1, g2] = pNormGrads(g, out, x1, x2, p);
    return [x1.requiresGrad ? sumToShape(g1, x1.shape) : null, x2.requiresGrad ? sumToShape(g2, x2.shape) : null];
  }, [x1, x2, out]);
}

/** torch's _euclidean_dist on [B, P, M] and [B, R, M]: √max(0, ‖a‖² − 2a·b + ‖b‖²) via one matmul. */
function euclideanDist(a: Tensor, b: Tensor): Tensor {
  const out = noGrad(() => {
    const an = a.square().sum(-1, { keepdim: true });
    const bn = b.square().sum(-1, { keepdim: true });
    // Padding of ones made with fill, not an·0 + 1 (an infinite norm would give a NaN pad).
    const a2 = cat([a.mul(-2), an, an.detach().clone().fill_(1)], -1);
    const b2 = cat([b, bn.detach().clone().fill_(1), bn], -1);
    return a2.matmul(b2.mT).clamp(0).sqrt();
  });
  return record(out, 'EuclideanDistBackward0', [a, b], (g) => euclideanGrads(g, out, a, b), [a, b, out]);
}

/**
 * Gradients of D = cdist(x1, x2, 2): with r = g/D (0 where D = 0), dx1 = x1·Σ_j r − r·x2 and
 * dx2 = x2·Σ_i r − rᵀ·x1, two matrix products (broadcast batch dims not yet summed).
 */
function euclideanGrads(g: Tensor, dist: Tensor, x1: Tensor, x2: Tensor): [Tensor, Tensor] {
  const zero = noGrad(() => dist.eq(0));
  const ratio = g.div(dist.maskedFill(zero, 1)).maskedFill(zero, 0);
  const g1 = x1.mul(ratio.sum(-1, { keepdim: true })).sub(ratio.matmul(x2));
  const g2 = x2.mul(ratio.sum(-2).unsqueeze(-1)).sub(ratio.mT.matmul(x1));
  return [g1, g2];
}

/** sign(t), NaN where t is NaN: the sign of torch's cdist kernels (torch.sign gives 0 for NaN). */
function nanSign(t: Tensor): Tensor {
  return where(noGrad(() => t.isnan()), t, t.sign());
}

/** Gradients as torch's _cdist_backward, over the [..., P, R, M] differences. */
function pNormGrads(g: Tensor, dist: Tensor, x1: Tensor, x2: Tensor, p: number): [Tensor, Tensor] {
  const diff = x1.unsqueeze(-2).sub(x2.unsqueeze(-3));
  const gu = g.unsqueeze(-1);
  const du = dist.unsqueeze(-1);
  let w: Tensor;
  if (p === 0) {
    w = empty(diff.shape, diff.dtype).fill_(0); // torch's zeros (not diff·0, NaN for an infinite difference)
  } else if (p === 1) {
    w = nanSign(diff).mul(gu);
  } else if (p === 2) {
    w = diff.mul(gu).div(du.maskedFill(noGrad(() => du.eq(0)), 1)).maskedFill(noGrad(() => du.eq(0)), 0);
  } else if (p === Infinity) {
    // torch's mask 1 − min(1, ⌈||d| − dist|⌉): 1 where |d| is the distance, NaN where both are infinite.
    const atMax = noGrad(() => {
      const gap = diff.abs().sub(du);
      return where(gap.isnan(), gap, gap.eq(0).to(diff.dtype));
    });
    w = nanSign(diff).mul(atMax).mul(gu);
  } else {
    const zero = noGrad(() => (p < 1 ? du.eq(0).logicalOr(diff.eq(0)) : du.eq(0)));
    const safeDist = du.maskedFill(noGrad(() => du.eq(0)), 1);
    const safeDiff = p < 1 ? diff.maskedFill(zero, 1) : diff;
    const scale = p < 2 ? nanSign(safeDiff).mul(safeDiff.abs().pow(p - 1)) : safeDiff.mul(safeDiff.abs().pow(p - 2));
    w = scale.mul(gu).div(safeDist.pow(p - 1)).maskedFill(zero, 0);
  }
  return [w.sum(-2), w.sum(-3).neg()];
}

/**
 * out[b, i, j] = ‖a[b, i, :] − b[b, j, :]‖_p for contiguous a [B, P, M], b [B, R, M]; sums in float64,
 * the p case chosen once per pair (no per-element callbacks).
 */
function directDistances(a: FloatArray, b: FloatArray, out: FloatArray, B: number, P: number, R: number, M: number, p: number): void {
  const kind = p === 0 ? 0 : p === 1 ? 1 : p === 2 ? 2 : p === Infinity ? 3 : 4;
  const invP = 1 / p;
  let o = 0;
  for (let bi = 0; bi < B; bi++) {
    for (let i = 0; i < P; i++) {
      const ao = (bi * P + i) * M;
      for (let j = 0; j < R; j++, o++) {
        const bo = (bi * R + j) * M;
        let acc = 0;
        switch (kind) {
          case 0:
            // torch counts min(ceil(|d|), 1): a NaN difference makes the count NaN.
            for (let k = 0; k < M; k++) {
              const d = a[ao + k] - b[bo + k];
              if (d !== 0) acc += d === d ? 1 : NaN;
            }
            break;
          case 1:
            for (let k = 0; k < M; k++) acc += Math.abs(a[ao + k] - b[bo + k]);
            break;
          case 2:
            for (let k = 0; k < M; k++) {
              const d = a[ao + k] - b[bo + k];
              acc += d * d;
            }
            acc = Math.sqrt(acc);
            break;
          case 3:
            for (let k = 0; k < M; k++) {
              const d = Math.abs(a[ao + k] - b[bo + k]);
              if (d > acc || d !== d) acc = d;
            }
            break;
          default:
            for (let k = 0; k < M; k++) acc += Math.abs(a[ao + k] - b[bo + k]) ** p;
            acc = acc ** invP;
        }
        out[o] = acc;
      }
    }
  }
}
