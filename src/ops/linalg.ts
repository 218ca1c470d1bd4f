/**
 * More products and statistics of matrices, as PyTorch 1.13: baddbmm, addbmm, addmv, addr, vdot, inner,
 * tensordot, chainMatmul, cov, corrcoef, trapezoid, renorm; and randLike/randnLike/randintLike/emptyLike.
 * The fused forms record one node named as torch's, with gradients made of differentiable ops.
 */
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat, promoteTypes, type DType } from '../tensor/dtype.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { rand, randint, randn, type RandomOptions } from '../tensor/creation.js';
import { checkTensor, empty, sumToShape } from './util.js';
import { addScaled, bmm, checkBiasDType, checkGemmOperands, dot, mm, mv, scale } from './matmul.js';
import { outer } from './products.js';
import { clamp, where } from './unary.js';
import { sum } from './reduce.js';
import { permute, reshape } from './view.js';

interface ScaleOptions {
  beta?: number;
  alpha?: number;
}

/** Checks that the bias broadcasts to the product's shape (torch's expand_size). */
function checkBias(op: string, input: Tensor, shape: readonly number[]): void {
  checkTensor(input, op);
  const lead = shape.length - input.ndim;
  if (lead < 0 || input.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw new Error(`${op}: the input of shape ${shapeStr(input.shape)} cannot be broadcast to the product's shape ${shapeStr(shape)}`);
  }
}

/** beta·input + alpha·(b1 @ b2) for batches of matrices. BaddbmmBackward0. */
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options: ScaleOptions = {}): Tensor {
  const op = 'baddbmm';
  const { beta = 1, alpha = 1 } = options;
  checkTensor(batch1, op, 'batch1');
  checkTensor(batch2, op, 'batch2');
  if (batch1.ndim !== 3 || batch2.ndim !== 3) throw new Error(`${op}: batch1 and batch2 must be 3-D tensors, got shapes ${shapeStr(batch1.shape)} and ${shapeStr(batch2.shape)}`);
  const product = noGrad(() => bmm(batch1, batch2));
  checkBias(op, input, product.shape);
  // torch's small-matrix kernel (k·m·n < 400) computes alpha·(b1 @ b2) even for alpha 0, keeping its NaN and inf.
  const small = batch1.shape[2] * product.shape[1] * product.shape[2] < 400;
  const out = noGrad(() => addScaled(input, product, beta, alpha, small));
  if (!needsGrad(input, batch1, batch2)) return out;
  return record(out, 'BaddbmmBackward0', [input, batch1, batch2], (g) => [
    input.requiresGrad ? scale(sumToShape(g, input.shape), beta).to(input.dtype) : null,
    batch1.requiresGrad ? scale(bmm(g, batch2.transpose(1, 2)), alpha) : null,
    batch2.requiresGrad ? scale(bmm(batch1.transpose(1, 2), g), alpha) : null,
  ], [batch1, batch2]);
}

/** beta·input + alpha·Σ_b b1[b] @ b2[b] (a matrix). AddbmmBackward0. */
export function addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, options: ScaleOptions = {}): Tensor {
  const op = 'addbmm';
  const { beta = 1, alpha = 1 } = options;
  checkTensor(batch1, op, 'batch1');
  checkTensor(batch2, op, 'batch2');
  if (batch1.ndim !== 3 || batch2.ndim !== 3) throw new Error(`${op}: batch1 and batch2 must be 3-D tensors, got shapes ${shapeStr(batch1.shape)} and ${shapeStr(batch2.shape)}`);
  const product = noGrad(() => sum(bmm(batch1, batch2), 0));
  checkBias(op, input, product.shape);
  // (checked by torch's per-batch addmm, so not without batches)
  if (batch1.shape[0] > 0) checkBiasDType(op, input, batch2);
  const out = noGrad(() => addScaled(input, product, beta, alpha));
  if (!needsGrad(input, batch1, batch2)) return out;
  return record(out, 'AddbmmBackward0', [input, batch1, batch2], (g) => {
    const gb = g.unsqueeze(0).expand([batch1.shape[0], ...g.shape]);
    return [
      input.requiresGrad ? scale(sumToShape(g, input.shape), beta) : null,
      batch1.requiresGrad ? scale(bmm(gb, batch2.transpose(1, 2)), alpha) : null,
      batch2.requiresGrad ? scale(bmm(batch1.transpose(1, 2), gb), alpha) : null,
    ];
  }, [batch1, batch2]);
}

/** beta·input + alpha·(mat @ vec). AddmvBackward0. */
export function addmv(input: Tensor, mat: Tensor, vec: Tensor, options: ScaleOptions = {}): Tensor {
  const op = 'addmv';
  const { beta = 1, alpha = 1 } = options;
  checkTensor(mat, op, 'mat');
  checkTensor(vec, op, 'vec');
  if (mat.ndim !== 2 || vec.ndim !== 1) throw new Error(`${op}: vector + matrix @ vector expected, got ${input.ndim}, ${mat.ndim}, ${vec.ndim}`);
  const product = noGrad(() => mv(mat, vec));
  checkBias(op, input, product.shape);
  const out = noGrad(() => addScaled(input, product, beta, alpha));
  if (!needsGrad(input, mat, vec)) return out;
  return record(out, 'AddmvBackward0', [input, mat, vec], (g) => [
    input.requiresGrad ? scale(sumToShape(g, input.shape), beta).to(input.dtype) : null,
    mat.requiresGrad ? scale(outer(g, vec), alpha) : null,
    vec.requiresGrad ? scale(mv(mat.t(), g), alpha) : null,
  ], [mat, vec]);
}

/** beta·input + alpha·outer(vec1, vec2). AddrBackward0. */
export function addr(input: Tensor, vec1: Tensor, vec2: Tensor, options: ScaleOptions = {}): Tensor {
  const op = 'addr';
  const { beta = 1, alpha = 1 } = options;
  checkTensor(vec1, op, 'vec1');
  checkTensor(vec2, op, 'vec2');
  if (vec1.ndim !== 1 || vec2.ndim !== 1) throw new Error(`${op}: expected 1-D vectors vec1 and vec2, got ${vec1.ndim}-D and ${vec2.ndim}-D`);
  const product = noGrad(() => outer(vec1, vec2));
  checkBias(op, input, product.shape);
  if (product.dtype === 'bool' || input.dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors (convert with .int() or .float() first)`);
  // torch's addr kernel: alpha·vec1·vec2 (+ beta·input unless beta is 0) in the dtype promoted over all three;
  // a zero alpha still multiplies, keeping the vectors' NaN and inf.
  const dtype = promoteTypes(input.dtype, product.dtype);
  const out = noGrad(() => {
    const term = product.mul(alpha).to(dtype);
    return beta === 0 ? term : term.add(input.expand(product.shape).mul(beta));
  });
  if (!needsGrad(input, vec1, vec2)) return out;
  return record(out, 'AddrBackward0', [input, vec1, vec2], (g) => [
    input.requiresGrad ? scale(sumToShape(g, input.shape), beta).to(input.dtype) : null,
    vec1.requiresGrad ? scale(mv(g, vec2.to(g.dtype)), alpha).to(vec1.dtype) : null,
    vec2.requiresGrad ? scale(mv(g.t(), vec1.to(g.dtype)), alpha).to(vec2.dtype) : null,
  ], [vec1, vec2]);
}

/** Dot product of 1-D tensors (the first conjugated: the same for real tensors). VdotBackward0. */
export function vdot(a: Tensor, b: Tensor): Tensor {
  const op = 'vdot';
  checkTensor(a, op);
  checkTensor(b, op, 'other');
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`${op}: 1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.dtype !== b.dtype) throw new Error(`${op}: expected both vectors to have same dtype, but found ${a.dtype} and ${b.dtype}`);
  const out = noGrad(() => dot(a, b));
  if (!needsGrad(a, b)) return out;
  return record(out, 'VdotBackward0', [a, b], (g) => [a.requiresGrad ? g.mul(b) : null, b.requiresGrad ? g.mul(a) : null], [a, b]);
}

/**
 * Sum over the last dims of a (dims of them, or the listed pairs) against the first dims of b (or the
 * listed ones), as torch.tensordot: dims a number or [dimsA, dimsB].
 */
export function tensordot(a: Tensor, b: Tensor, dims: number | readonly [readonly number[] | number, readonly number[] | number] = 2): Tensor {
  const op = 'tensordot';
  checkTensor(a, op);
  checkTensor(b, op, 'other');
  let da: number[];
  let db: number[];
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims) || dims < 0) throw new Error(`${op}: expects dims >= 0, but got dims=${dims}`);
    if (dims > a.ndim || dims > b.ndim) throw new Error(`${op}: expects dims < ndim_a or ndim_b, but got dims=${dims}`);
    da = Array.from({ length: dims }, (_, i) => a.ndim - dims + i);
    db = Array.from({ length: dims }, (_, i) => i);
  } else {
    const [x, y] = dims;
    da = (typeof x === 'number' ? [x] : [...x]).map((d) => normalizeDim(d, a.ndim, op));
    db = (typeof y === 'number' ? [y] : [...y]).map((d) => normalizeDim(d, b.ndim, op));
    if (da.length !== db.length) throw new Error(`${op}: both dimension lists should have same length (${da.length} and ${db.length})`);
  }
  for (const list of [da, db]) {
    const repeated = list.find((d, i) => list.indexOf(d) !== i);
    if (repeated !== undefined) throw new Error(`${op}: dim ${repeated} appears multiple times in the list of dims`);
  }
  da.forEach((d, i) => {
    if (a.shape[d] !== b.shape[db[i]]) {
      throw new Error(`${op}: contracted dimensions need to match, but first has size ${a.shape[d]} in dim ${d} and second has size ${b.shape[db[i]]} in dim ${db[i]}`);
    }
  });
  const freeA = [...a.shape.keys()].filter((d) => !da.includes(d));
  const freeB = [...b.shape.keys()].filter((d) => !db.includes(d));
  const k = da.reduce((p, d) => p * a.shape[d], 1);
  const m = freeA.reduce((p, d) => p * a.shape[d], 1);
  const n = freeB.reduce((p, d) => p * b.shape[d], 1);
  const outShape = [...freeA.map((d) => a.shape[d]), ...freeB.map((d) => b.shape[d])];
  // Nothing to multiply: torch's zeros of the first operand's dtype, whatever the second's (bool included).
  if (m * n * k === 0) return needsGrad(a, b) ? a.sum().mul(0).add(b.sum().mul(0).to(a.dtype)).expand(outShape).contiguous() : empty(outShape, a.dtype);
  checkGemmOperands(a, b, op);
  const left = reshape(permute(a, [...freeA, ...da]), [m, k]);
  const right = reshape(permute(b, [...db, ...freeB]), [k, n]);
  return reshape(mm(left, right), outShape);
}

/** Inner product over the last dims (a product when either is 0-d). */
export function inner(a: Tensor, b: Tensor): Tensor {
  const op = 'inner';
  checkTensor(a, op);
  checkTensor(b, op, 'other');
  if (a.ndim === 0 || b.ndim === 0) return a.mul(b);
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new Error(`${op}: last dimension of input and other must match, got shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  return tensordot(a, b, [[-1], [-1]]);
}

/**
 * The product of matrices (torch.chain_matmul, deprecated in favour of linalg.multi_dot), multiplied in
 * multi_dot's order: the cheaper of (AB)C and A(BC) for three, the optimal parenthesization beyond.
 */
export function chainMatmul(...matrices: (Tensor | readonly Tensor[])[]): Tensor {
  const op = 'chainMatmul';
  const ms = matrices.length === 1 && Array.isArray(matrices[0]) ? [...(matrices[0] as Tensor[])] : (matrices as Tensor[]);
  if (ms.length === 0) throw new Error(`${op}: Expected one or more matrices`);
  ms.forEach((m, i) => {
    checkTensor(m, op, `matrices[${i}]`);
    if (m.ndim !== 2) throw new Error(`${op}: Tensor dimension is ${m.ndim}, expected 2 instead (matrix ${i})`);
  });
  if (ms.length === 1) return ms[0].clone();
  ms.forEach((m, i) => {
    if (i === 0) return;
    if (m.dtype !== ms[0].dtype) throw new Error(`${op}: all tensors must have the same dtype, but tensor 0 is ${ms[0].dtype} and tensor ${i} is ${m.dtype}`);
    if (m.shape[0] !== ms[i - 1].shape[1]) {
      throw new Error(`${op}: tensors ${i - 1} and ${i} with shapes ${shapeStr(ms[i - 1].shape)} and ${shapeStr(m.shape)} cannot be multiplied`);
    }
  });
  const n = ms.length;
  // Matrix i is p[i] x p[i + 1].
  const p = [...ms.map((m) => m.shape[0]), ms[n - 1].shape[1]];
  if (n === 3) {
    const [a, b, c, d] = p;
    return a * c * (b + d) > b * d * (a + c) ? mm(ms[0], mm(ms[1], ms[2])) : mm(mm(ms[0], ms[1]), ms[2]);
  }
  // torch's matrix_chain_order: split[i][j] is where the cheapest product of matrices i..j splits.
  const cost = ms.map(() => new Array<number>(n).fill(0));
  const split = ms.map(() => new Array<number>(n).fill(0));
  for (let l = 1; l < n; l++) {
    for (let i = 0; i + l < n; i++) {
      const j = i + l;
      cost[i][j] = Infinity;
      for (let k = i; k < j; k++) {
        const q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1];
        if (q < cost[i][j]) {
          cost[i][j] = q;
          split[i][j] = k;
        }
      }
    }
  }
  const chain = (i: number, j: number): Tensor => (i === j ? ms[i] : mm(chain(i, split[i][j]), chain(split[i][j] + 1, j)));
  return chain(0, n - 1);
}

export interface CovOptions {
  correction?: number;
  fweights?: Tensor | null;
  aweights?: Tensor | null;
}

/**
 * The covariance matrix of the variables in the rows of x (a 1-D x is one variable), with frequency and
 * importance weights as torch.cov; a 0-d result for one variable.
 */
export function cov(x: Tensor, options: CovOptions = {}): Tensor {
  const op = 'cov';
  checkTensor(x, op);
  const { correction = 1, fweights = null, aweights = null } = options;
  if (x.ndim > 2) throw new Error(`${op}: expected input to have two or fewer dimensions but got an input with ${x.ndim} dimensions`);
  const input = x.ndim < 2 ? x.reshape([1, -1]) : x;
  const obs = input.shape[1];
  const data = isFloat(input.dtype) ? input : input.to('float32');
  let w: Tensor | null = null;
  if (fweights) {
    if (fweights.ndim > 1) throw new Error(`${op}: expected fweights to have one or fewer dimensions but got fweights with ${fweights.ndim} dimensions`);
    if (fweights.size !== obs) throw new Error(`${op}: expected number of observations (${obs}) to match the number of fweights but got ${fweights.size}`);
    if (fweights.dtype !== 'int32') throw new Error(`${op}: expected fweights to have integral dtype but got fweights with ${fweights.dtype} dtype`);
    if ((fweights.contiguous().data() as Int32Array).some((v) => v < 0)) throw new Error(`${op}: fweights cannot be negative`);
    w = fweights;
  }
  if (aweights) {
    if (aweights.ndim > 1) throw new Error(`${op}: expected aweights to have one or fewer dimensions but got aweights with ${aweights.ndim} dimensions`);
    if (aweights.size !== obs) throw new Error(`${op}: expected number of observations (${obs}) to match the number of aweights but got ${aweights.size}`);
    if (!isFloat(aweights.dtype)) throw new Error(`${op}: expected aweights to have floating point dtype but got aweights with ${aweights.dtype} dtype`);
    if ((aweights.contiguous().data() as Float64Array).some((v) => v < 0)) throw new Error(`${op}: aweights cannot be negative`);
    w = w ? w.mul(aweights) : aweights;
  }
  const wSum = w ? w.sum() : null;
  if (wSum && wSum.item() === 0) throw new Error(`${op}: weights sum to zero, can't be normalized`);
  const avg = w && wSum ? data.mul(w).sum(1).div(wSum) : data.mean(1);
  let normFactor: Tensor | number;
  if (w && wSum) {
    normFactor = correction === 0 ? wSum : aweights ? wSum.sub(w.mul(aweights).sum().mul(correction).div(wSum)) : wSum.sub(correction);
  } else {
    normFactor = obs - correction;
  }
  if (typeof normFactor === 'number' ? normFactor <= 0 : false) normFactor = 0;
  else if (normFactor instanceof Tensor) normFactor = clamp(normFactor, 0);
  const centered = data.sub(avg.unsqueeze(1));
  const weighted = w ? centered.mul(w) : centered;
  return mm(centered, weighted.t()).div(normFactor).squeeze();
}

/** Pearson correlation coefficients of the rows of x (values clipped to [−1, 1]). */
export function corrcoef(x: Tensor): Tensor {
  const op = 'corrcoef';
  checkTensor(x, op);
  if (x.ndim > 2) throw new Error(`${op}: expected input to have two or fewer dimensions but got an input with ${x.ndim} dimensions`);
  const c = cov(x);
  if (c.ndim === 0) return c.div(c);
  const d = c.diagonal();
  const s = d.sqrt();
  return clamp(c.div(s.unsqueeze(1)).div(s.unsqueeze(0)), -1, 1);
}

/**
 * The trapezoidal rule along dim: spacing dx (default 1) or sample points x, with torch's formulas
 * (dx·(Σy − (y₀ + yₙ)/2), or Σ dx·(yᵢ + yᵢ₊₁)/2 over x's differences), so NaN, dtypes and rounding agree.
 */
export function trapezoid(y: Tensor, options: { x?: Tensor | null; dx?: number | null; dim?: number } = {}): Tensor {
  const op = 'trapezoid';
  checkTensor(y, op);
  const { x = null, dx = null, dim = -1 } = options;
  if (x && dx !== null) throw new Error(`${op}: received both x and dx; give one`);
  const d = normalizeDim(dim, y.ndim, op);
  const n = y.shape[d];
  // Nothing to integrate: fresh zeros of y's dtype (torch's result has no history).
  if (n === 0) return empty(y.shape.filter((_, i) => i !== d), y.dtype);
  if (y.dtype === 'bool' || x?.dtype === 'bool') throw new Error(`${op}: received a bool input, but bool is not supported`);
  if (!x) return y.sum(d).sub(y.select(d, 0).add(y.select(d, n - 1)).mul(0.5)).mul(dx ?? 1);
  let xv = x;
  if (x.ndim === 1) {
    if (x.shape[0] !== n) throw new Error(`${op}: There must be one \`x\` value for each sample point (got ${x.shape[0]} for ${n})`);
    xv = x.reshape(y.shape.map((s, i) => (i === d ? s : 1)));
  } else if (x.ndim < y.ndim) {
    // Leading 1s, so that dim indexes x as it does y (torch does not broadcast x to y before differencing).
    xv = x.reshape([...new Array<number>(y.ndim - x.ndim).fill(1), ...x.shape]);
  }
  const xd = normalizeDim(dim, xv.ndim, op);
  const m = xv.shape[xd];
  const spacing = xv.narrow(xd, 1, m - 1).sub(xv.narrow(xd, 0, m - 1));
  return spacing.mul(y.narrow(d, 0, n - 1).add(y.narrow(d, 1, n - 1))).div(2).sum(d);
}

/**
 * Each sub-tensor along dim (x.select(dim, i)) whose p-norm exceeds maxnorm scaled down to norm maxnorm
 * (by maxnorm / (norm + 1e-7)). RenormBackward0.
 */
export function renorm(x: Tensor, p: number, dim: number, maxnorm: number): Tensor {
  const op = 'renorm';
  checkTensor(x, op);
  if (!isFloat(x.dtype)) throw new Error(`${op}: not implemented for ${x.dtype} tensors (float32 or float64 only)`);
  if (!(p > 0)) throw new Error(`${op}: non-positive-norm not supported (p = ${p})`);
  if (!(maxnorm >= 0)) throw new Error(`${op}: expected maxnorm to be >= 0 but got ${maxnorm}`);
  if (x.ndim <= 1) throw new Error(`${op}: input needs at least 2 dimensions, got ${x.ndim} dimensions`);
  const d = normalizeDim(dim, x.ndim, op);
  const others = [...x.shape.keys()].filter((k) => k !== d);
  const factor = (t: Tensor) => {
    const norms = t.abs().pow(p).sum(others, true).pow(1 / p);
    return where(norms.gt(maxnorm), norms.add(1e-7).reciprocal().mul(maxnorm), 1);
  };
  const f = noGrad(() => factor(x.detach()));
  const out = noGrad(() => x.mul(f.to(x.dtype)));
  if (!needsGrad(x)) return out;
  // As torch's renorm_backward: the factor's own dependence on x counts where the norm was clipped.
  return record(out, 'RenormBackward0', [x], (g) => {
    const norms = x.abs().pow(p).sum(others, true).pow(1 / p);
    const clipped = norms.gt(maxnorm);
    const gradNorm = x.abs().pow(p - 1).mul(x.sign()).mul(norms.pow(1 - p));
    const dot = g.mul(x).sum(others, true);
    const extra = dot.mul(gradNorm).mul(-maxnorm).div(norms.add(1e-7).square());
    return [g.mul(f.to(g.dtype)).add(where(clipped, extra, 0))];
  }, [x]);
}

// ---- random and uninitialised tensors shaped like another --------------------------------------------------

type LikeOptions = Omit<RandomOptions, 'dtype'> & { dtype?: DType };

/** U[0, 1) samples with x's shape (and dtype unless given). */
export function randLike(x: Tensor, options: LikeOptions = {}): Tensor {
  checkTensor(x, 'randLike');
  return rand([...x.shape], { ...options, dtype: options.dtype ?? x.dtype });
}

/** Standard normal samples with x's shape (and dtype unless given). */
export function randnLike(x: Tensor, options: LikeOptions = {}): Tensor {
  checkTensor(x, 'randnLike');
  return randn([...x.shape], { ...options, dtype: options.dtype ?? x.dtype });
}

/** Integers uniform in [low, high) with x's shape and dtype: randintLike(x, high) or randintLike(x, low, high). */
export function randintLike(x: Tensor, lowOrHigh: number, high?: number | LikeOptions, options: LikeOptions = {}): Tensor {
  checkTensor(x, 'randintLike');
  const [lo, hi, opts] = typeof high === 'number' ? [lowOrHigh, high, options] : [0, lowOrHigh, high ?? options];
  return randint(lo, hi, [...x.shape], { ...opts, dtype: opts.dtype ?? x.dtype });
}

/** A tensor of x's shape and dtype (unless given) with unspecified contents (zeros here). */
export function emptyLike(x: Tensor, options: { dtype?: DType; requiresGrad?: boolean } = {}): Tensor {
  checkTensor(x, 'emptyLike');
  const t = empty(x.shape, options.dtype ?? x.dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

