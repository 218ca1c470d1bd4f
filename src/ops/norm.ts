/**
 * Normalisation layers' functional forms: batchNorm, layerNorm, groupNorm, instanceNorm, localResponseNorm.
 * Statistics are accumulated in float64 (as PyTorch's CPU kernels do for float32) and every op
 * has one closed-form gradient rule instead of a long chain of elementwise ops; a recorded backward
 * (createGraph) differentiates the same normalisation written with tensor ops instead.
 */
import { bumpVersion, needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { compositeGrads } from '../autograd/double-backward.js';
import type { DType, FloatArray } from '../backend/interface.js';
import { jsFused } from '../backend/js/fused.js';
import { kernels } from '../backend/registry.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty, uninitialized } from './util.js';
import { denseData } from './conv.js';
import { pad } from './pad.js';
import { avgPool2d } from './pool.js';

export interface BatchNormOptions {
  /** Use the batch's statistics (and update the running ones) instead of the running statistics. */
  training?: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch's default 0.1). */
  momentum?: number;
  eps?: number;
}

export interface InstanceNormOptions {
  /** Normalise with each instance's statistics (default true); false uses the running statistics. */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

function checkParam(p: Tensor | null | undefined, shape: readonly number[], op: string, name: string, x: Tensor): void {
  if (p === null || p === undefined) return;
  checkTensor(p, op, name);
  if (p.ndim !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: expected ${name} of shape ${shapeStr(shape)} for input of shape ${shapeStr(x.shape)}, got ${name} of shape ${shapeStr(p.shape)}`);
  }
  // PyTorch's batch, layer, group and instance norm kernels reject parameters and running statistics of another float dtype.
  if (p.dtype !== x.dtype) throw new Error(`${op}: expected ${name} of the input's dtype ${x.dtype}, got ${p.dtype}`);
}

function paramData(p: Tensor | null | undefined): Float64Array | null {
  return p ? new Float64Array(p.contiguous().data()) : null;
}

/** Per channel, the running mean and 1/√(running var + eps): what evaluation normalises with. */
function runningStatistics(runningMean: Tensor, runningVar: Tensor, eps: number): { mean: Float64Array; invstd: Float64Array } {
  const mean = paramData(runningMean)!;
  const invstd = paramData(runningVar)!.map((v) => 1 / Math.sqrt(v + eps));
  return { mean, invstd };
}

/**
 * The per-channel map x·scale + shift of an evaluation-mode batchNorm, in double, derived from the running
 * statistics as batchNormForward derives it (scale = invstd·weight, shift = bias − mean·scale): what a fused
 * convolution applies in its place (nn/fusion.ts).
 */
export function batchNormEvalAffine(
  runningMean: Tensor, runningVar: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number,
): { scale: Float64Array; shift: Float64Array } {
  const { mean, invstd } = runningStatistics(runningMean, runningVar, eps);
  const w = paramData(weight);
  const b = paramData(bias);
  const scale = invstd.map((s, c) => s * (w ? w[c] : 1));
  const shift = scale.map((s, c) => (b ? b[c] : 0) - mean[c] * s);
  return { scale, shift };
}

/** Blend `stat` into a running statistic in place: r ← (1 − m)·r + m·stat (never recorded). */
function updateRunning(running: Tensor, stat: Float64Array, momentum: number): void {
  if (running.isContiguous()) {
    // Straight into the buffer (what copy_ of the blend would write, rounded once to the buffer's dtype).
    const data = running.storage as FloatArray;
    const at = running.offset;
    for (let i = 0; i < stat.length; i++) data[at + i] = (1 - momentum) * data[at + i] + momentum * stat[i];
    bumpVersion(running);
    return;
  }
  const current = new Float64Array(running.contiguous().data());
  const next = new Float64Array(stat.length);
  for (let i = 0; i < stat.length; i++) next[i] = (1 - momentum) * current[i] + momentum * stat[i];
  noGrad(() => running.copy_(new Tensor(next, running.shape)));
}

/** A [C] tensor of `dtype` (float32 or float64) with element c = value(c), rounded once. */
function perChannel(dtype: DType, C: number, value: (c: number) => number): Tensor {
  const data = dtype === 'float64' ? new Float64Array(C) : new Float32Array(C);
  for (let c = 0; c < C; c++) data[c] = value(c);
  return new Tensor(data, [C]);
}

/** x·weight + bias with the parameters (either may be absent) viewed as `shape`. */
function affine(x: Tensor, weight: Tensor | null, bias: Tensor | null, shape: readonly number[]): Tensor {
  const scaled = weight ? x.mul(weight.reshape(shape)) : x;
  return bias ? scaled.add(bias.reshape(shape)) : scaled;
}

// ---- batch norm -------------------------------------------------------------------------------

/**
 * Batch normalisation over [N, C], [N, C, L] or [N, C, H, W] (statistics per channel C), as
 * torch.nn.functional.batch_norm. Training normalises with the batch's biased variance and updates
 * runningMean/runningVar in place (with the unbiased variance); evaluation uses the running statistics.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined,
  weight?: Tensor | null, bias?: Tensor | null, options: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkTensor(x, op);
  checkFloat(x, op);
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  if (typeof momentum !== 'number' || Number.isNaN(momentum)) {
    throw new Error(`${op}: momentum must be a number (nn.BatchNorm computes the cumulative-average factor itself when its momentum is null), got ${momentum}`);
  }
  if (x.ndim < 2) throw new Error(`${op}: expected an input of shape [N, C, *] with at least 2 dims, got input of shape ${shapeStr(x.shape)}`);
  const [N, C] = x.shape;
  const S = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const M = N * S;
  checkParam(runningMean, [C], op, 'runningMean', x);
  checkParam(runningVar, [C], op, 'runningVar', x);
  checkParam(weight, [C], op, 'weight', x);
  checkParam(bias, [C], op, 'bias', x);
  if (!training && (!runningMean || !runningVar)) {
    throw new Error(`${op}: runningMean and runningVar are required when training is false (evaluation uses the running statistics)`);
  }
  if (training && M <= 1) {
    throw new Error(`${op}: expected more than 1 value per channel when training, got input of shape ${shapeStr(x.shape)}`);
  }
  const xd = denseData(x);
  // Affine parameters in their own dtype: the kernels widen them (float32 weights keep the native fast path).
  const w = weight ? denseData(weight) : null;
  const b = bias ? denseData(bias) : null;
  const variance = training ? new Float64Array(C) : null;
  const { mean, invstd } = training
    ? { mean: new Float64Array(C), invstd: new Float64Array(C) }
    : runningStatistics(runningMean!, runningVar!, eps);
  const out = uninitialized(x.shape, x.dtype);
  // Statistics and normalisation in one backend kernel (native when loaded; js/fused.ts is the reference).
  const forward = kernels().batchNormForward ?? jsFused.batchNormForward;
  forward(xd, N, C, S, w, b, eps, training, mean, invstd, variance, out.storage as FloatArray);
  if (variance) {
    if (runningMean) updateRunning(runningMean, mean, momentum);
    if (runningVar) updateRunning(runningVar, variance.map((v) => (v * M) / (M - 1)), momentum);
  }
  if (!needsGrad(x, weight, bias)) return out;
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  return record(out, 'NativeBatchNormBackward0', inputs, (g) => {
    const composite = compositeGrads(g, [x, weight, bias], (xi, wi, bi) => {
      const perChannel = [1, C, ...Array(x.ndim - 2).fill(1)];
      const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
      const d = training ? xi!.sub(xi!.mean(dims, true)) : xi!.sub(new Tensor(mean, perChannel).to(x.dtype));
      const scale = training ? d.square().mean(dims, true).add(eps).rsqrt() : new Tensor(invstd, perChannel).to(x.dtype);
      return affine(d.mul(scale), wi, bi, perChannel);
    });
    if (composite) return composite;
    const gd = denseData(g.to(x.dtype));
    const sumG = new Float64Array(C);
    const sumGX = new Float64Array(C); // Σ g·(x − mean)
    const gx = x.requiresGrad ? uninitialized(x.shape, x.dtype) : null;
    const backward = kernels().batchNormBackward ?? jsFused.batchNormBackward;
    backward(gd, xd, N, C, S, w, mean, invstd, training, sumG, sumGX, (gx?.storage as FloatArray) ?? null);
    const gw = weight?.requiresGrad ? perChannel(weight.dtype, C, (c) => sumGX[c] * invstd[c]) : null;
    const gb = bias?.requiresGrad ? perChannel(bias.dtype, C, (c) => sumG[c]) : null;
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(gw);
    if (bias) grads.push(gb);
    return grads;
  });
}

// ---- per-row normalisation (layer / group / instance norm) --------------------------------------

/**
 * Normalise each of R rows of M elements (x viewed as [R, M]) with the row's mean and biased variance,
 * then apply a per-channel affine: element m of row r belongs to channel (r mod G)·cpg + ⌊m / S⌋.
 * layerNorm: G = 1, cpg = M, S = 1 (one affine entry per element); groupNorm: rows are (n, group).
 */
function rowNorm(
  name: string, x: Tensor, R: number, M: number, G: number, cpg: number, S: number,
  weight: Tensor | null | undefined, bias: Tensor | null | undefined, eps: number,
): Tensor {
  const xd = denseData(x);
  const w = paramData(weight);
  const b = paramData(bias);
  const mean = new Float64Array(R);
  const invstd = new Float64Array(R);
  const out = empty(x.shape, x.dtype);
  const od = out.storage as FloatArray;
  for (let r = 0; r < R; r++) {
    const base = r * M;
    let s = 0;
    for (let i = 0; i < M; i++) s += xd[base + i];
    const m = s / M;
    let ss = 0;
    for (let i = 0; i < M; i++) {
      const d = xd[base + i] - m;
      ss += d * d;
    }
    const is = 1 / Math.sqrt(ss / M + eps);
    mean[r] = m;
    invstd[r] = is;
    const ch0 = (r % G) * cpg;
    for (let c = 0; c < cpg; c++) {
      const ch = ch0 + c;
      const scale = is * (w ? w[ch] : 1);
      const shift = (b ? b[ch] : 0) - m * scale;
      const at = base + c * S;
      for (let i = 0; i < S; i++) od[at + i] = xd[at + i] * scale + shift;
    }
  }
  if (!needsGrad(x, weight, bias)) return out;
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  const channels = G * cpg;
  return record(out, name, inputs, (g) => {
    const composite = compositeGrads(g, [x, weight, bias], (xi, wi, bi) => {
      const rows = xi!.reshape([R, M]);
      const d = rows.sub(rows.mean(1, true));
      const normed = d.mul(d.square().mean(1, true).add(eps).rsqrt());
      return affine(normed.reshape([R / G, channels, S]), wi, bi, [channels, 1]).reshape(x.shape);
    });
    if (composite) return composite;
    const gd = denseData(g.to(x.dtype));
    const gw = new Float64Array(channels);
    const gb = new Float64Array(channels);
    const gx = x.requiresGrad ? empty(x.shape, x.dtype) : null;
    const gxd = gx ? (gx.storage as FloatArray) : null;
    for (let r = 0; r < R; r++) {
      const base = r * M;
      const m = mean[r];
      const is = invstd[r];
      const ch0 = (r % G) * cpg;
      // With ĝ = g·w: dx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
      let sumGh = 0;
      let sumGhX = 0;
      for (let c = 0; c < cpg; c++) {
        const ch = ch0 + c;
        const wc = w ? w[ch] : 1;
        const at = base + c * S;
        let sg = 0;
        let sgx = 0;
        for (let i = 0; i < S; i++) {
          const gv = gd[at + i];
          const xh = (xd[at + i] - m) * is;
          sg += gv;
          sgx += gv * xh;
        }
        gw[ch] += sgx;
        gb[ch] += sg;
        sumGh += sg * wc;
        sumGhX += sgx * wc;
      }
      if (gxd) {
        const meanGh = sumGh / M;
        const meanGhX = sumGhX / M;
        for (let c = 0; c < cpg; c++) {
          const wc = w ? w[ch0 + c] : 1;
          const at = base + c * S;
          for (let i = 0; i < S; i++) {
            const xh = (xd[at + i] - m) * is;
            gxd[at + i] = is * (gd[at + i] * wc - meanGh - xh * meanGhX);
          }
        }
      }
    }
    const grads: (Tensor | null)[] = [gx];
    if (weight) grads.push(weight.requiresGrad ? new Tensor(gw, [channels]).reshape(weight.shape).to(weight.dtype) : null);
    if (bias) grads.push(bias.requiresGrad ? new Tensor(gb, [channels]).reshape(bias.shape).to(bias.dtype) : null);
    return grads;
  });
}

/** Layer normalisation over the trailing dims `normalizedShape`, as torch.nn.functional.layer_norm. */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, options: { eps?: number } = {},
): Tensor {
  const op = 'layerNorm';
  checkTensor(x, op);
  checkFloat(x, op);
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  // PyTorch accepts 0 in normalizedShape (an empty input gives an empty output).
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: normalizedShape must be a non-negative size or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
  }
  const trailing = x.shape.slice(x.ndim - shape.length);
  if (x.ndim < shape.length || trailing.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: expected input with trailing dims ${shapeStr(shape)} (normalizedShape), got input of shape ${shapeStr(x.shape)}`);
  }
  checkParam(weight, shape, op, 'weight', x);
  checkParam(bias, shape, op, 'bias', x);
  const M = shape.reduce((a, b) => a * b, 1);
  const R = x.shape.slice(0, x.ndim - shape.length).reduce((a, b) => a * b, 1); // not x.size / M: M may be 0
  return rowNorm('NativeLayerNormBackward0', x, R, M, 1, M, 1, weight, bias, options.eps ?? 1e-5);
}

/** Group normalisation: statistics over each group of C/numGroups channels per sample, as torch.nn.functional.group_norm. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, options: { eps?: number } = {}): Tensor {
  const op = 'groupNorm';
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim < 2) throw new Error(`${op}: expected an input of shape [N, C, *] with at least 2 dims, got input of shape ${shapeStr(x.shape)}`);
  const [N, C] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) {
    throw new Error(`${op}: expected the number of channels ${C} to be divisible by numGroups ${numGroups} (input of shape ${shapeStr(x.shape)})`);
  }
  checkParam(weight, [C], op, 'weight', x);
  checkParam(bias, [C], op, 'bias', x);
  const S = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const cpg = C / numGroups;
  // PyTorch checks the input viewed as [N·C/G, G, *] as batch_norm does: more than 1 value per group in all.
  if (((N * C) / numGroups) * S === 1) {
    throw new Error(`${op}: expected more than 1 value per group, got input of shape ${shapeStr(x.shape)} with numGroups ${numGroups}`);
  }
  return rowNorm('NativeGroupNormBackward0', x, N * numGroups, cpg * S, numGroups, cpg, S, weight, bias, options.eps ?? 1e-5);
}

/**
 * Instance normalisation: statistics per sample and channel over the spatial dims, as
 * torch.nn.functional.instance_norm. With running statistics given and useInputStats, they are
 * updated in place with the batch average of the instance statistics (unbiased variance).
 */
export function instanceNorm(
  x: Tensor, runningMean?: Tensor | null, runningVar?: Tensor | null, weight?: Tensor | null, bias?: Tensor | null,
  options: InstanceNormOptions = {},
): Tensor {
  const op = 'instanceNorm';
  checkTensor(x, op);
  checkFloat(x, op);
  const useInputStats = options.useInputStats ?? true;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  if (x.ndim < 3) throw new Error(`${op}: expected an input of shape [N, C, *] with at least one spatial dim, got input of shape ${shapeStr(x.shape)}`);
  const [N, C] = x.shape;
  const S = x.shape.slice(2).reduce((a, b) => a * b, 1);
  checkParam(runningMean, [C], op, 'runningMean', x);
  checkParam(runningVar, [C], op, 'runningVar', x);
  checkParam(weight, [C], op, 'weight', x);
  checkParam(bias, [C], op, 'bias', x);
  if (!useInputStats) {
    if (!runningMean || !runningVar) throw new Error(`${op}: runningMean and runningVar are required when useInputStats is false`);
    return batchNorm(x, runningMean, runningVar, weight, bias, { training: false, eps });
  }
  // PyTorch's _verify_spatial_size rejects exactly one spatial element (0 gives an empty output).
  if (S === 1) throw new Error(`${op}: expected more than 1 spatial element when training, got input of shape ${shapeStr(x.shape)}`);
  // An empty input leaves the running statistics as they are (PyTorch's batch_norm returns before updating them).
  if ((runningMean || runningVar) && x.size > 0) {
    const xd = denseData(x);
    const meanAvg = new Float64Array(C);
    const varAvg = new Float64Array(C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * S;
        let s = 0;
        for (let i = 0; i < S; i++) s += xd[base + i];
        const m = s / S;
        let ss = 0;
        for (let i = 0; i < S; i++) ss += (xd[base + i] - m) ** 2;
        meanAvg[c] += m / N;
        varAvg[c] += ss / (S - 1) / N;
      }
    }
    if (runningMean) updateRunning(runningMean, meanAvg, momentum);
    if (runningVar) updateRunning(runningVar, varAvg, momentum);
  }
  return rowNorm('NativeGroupNormBackward0', x, N * C, S, C, 1, S, weight, bias, eps);
}

/**
 * Local response normalisation across channels (AlexNet), as torch.nn.functional.local_response_norm:
 * x / (k + α/n · Σ_{c' near c} x_{c'}²)^β over a window of `size` channels (zero-padded at the ends).
 */
export function localResponseNorm(x: Tensor, size: number, options: { alpha?: number; beta?: number; k?: number } = {}): Tensor {
  const op = 'localResponseNorm';
  checkTensor(x, op);
  // As PyTorch, an integer input works: x² and its (truncating) average pool stay integer, the division gives float32.
  if (x.dtype === 'bool') throw new Error(`${op}: input must be a numeric tensor, got bool`);
  if (x.ndim < 3) throw new Error(`${op}: expected an input of shape [N, C, *] with at least 3 dims, got input of shape ${shapeStr(x.shape)}`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${op}: size must be a positive integer, got ${size}`);
  if (x.size === 0) return x;
  const { alpha = 1e-4, beta = 0.75, k = 1 } = options;
  const [N, C] = x.shape;
  const sq = x.mul(x).reshape([N, 1, C, -1]);
  const padded = pad(sq, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
  const div = avgPool2d(padded, [size, 1], { stride: 1 }).reshape(x.shape);
  return x.div(div.mul(alpha).add(k).pow(beta));
}
