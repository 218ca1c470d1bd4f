/**
 * Reference implementations of the OPTIONAL fused kernels of the backend
 * interface (see the end of `Backend` in ../interface.ts). The native backend
 * implements them natively; callers use `kernels().<name> ?? jsFused.<name>`.
 *
 * Each reproduces the unfused computation it replaces: the optimizer steps
 * follow src/optim/sgd.ts and src/optim/adam.ts (rounded to the parameter's
 * dtype at the same points), batch norm and cross entropy follow
 * src/ops/norm.ts and src/ops/loss.ts (statistics and losses in float64).
 */
import type { AdamStepOptions, Backend, FloatArray, MatmulArgs, SgdStepOptions } from '../interface.js';
import { matmul } from './matmul.js';

type Round = (v: number) => number;

const identity: Round = (v) => v;
/** Rounding to the array's element type (float32: Math.fround; float64: none). */
export function roundingOf(a: FloatArray): Round {
  return a instanceof Float32Array ? Math.fround : identity;
}

/** The per-step scalars of an SGD update, rounded as the optimizer rounds them. */
export function sgdConstants(o: SgdStepOptions, r: Round) {
  return { wd: r(o.weightDecay), mom: r(o.momentum), oneMinusDamp: r(1 - o.dampening), negLr: r(-o.lr) };
}

export function sgdStep(param: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, o: SgdStepOptions): void {
  const r = roundingOf(param);
  const { wd, mom, oneMinusDamp, negLr } = sgdConstants(o, r);
  const b = momentumBuffer;
  if (o.momentum !== 0 && !b) throw new Error('sgdStep: momentum needs a momentum buffer');
  for (let i = 0; i < param.length; i++) {
    let d = o.maximize ? -grad[i] : grad[i];
    if (o.weightDecay !== 0) d = r(d + wd * param[i]);
    if (o.momentum !== 0) {
      b![i] = o.firstStep ? d : r(r(b![i] * mom) + oneMinusDamp * d);
      d = o.nesterov ? r(d + mom * b![i]) : b![i];
    }
    param[i] = r(param[i] + negLr * d);
  }
}

/** The per-step scalars of an Adam update, rounded as the optimizer rounds them. */
export function adamConstants(o: AdamStepOptions, r: Round) {
  const bc1 = 1 - o.beta1 ** o.step;
  return {
    bc2Sqrt: r(Math.sqrt(1 - o.beta2 ** o.step)),
    negStepSize: r(-(o.lr / bc1)),
    b1: r(o.beta1),
    b2: r(o.beta2),
    omb1: r(1 - o.beta1),
    omb2: r(1 - o.beta2),
    eps: r(o.eps),
    wd: r(o.weightDecay),
    decay: r(1 - o.lr * o.weightDecay),
  };
}

export function adamStep(
  param: FloatArray, grad: FloatArray, expAvg: FloatArray, expAvgSq: FloatArray, maxExpAvgSq: FloatArray | null,
  o: AdamStepOptions,
): void {
  const r = roundingOf(param);
  const k = adamConstants(o, r);
  const vmax = o.amsgrad ? maxExpAvgSq : null;
  if (o.amsgrad && !vmax) throw new Error('adamStep: amsgrad needs maxExpAvgSq');
  const m = expAvg;
  const v = expAvgSq;
  for (let i = 0; i < param.length; i++) {
    let gi = o.maximize ? -grad[i] : grad[i];
    if (o.decoupled) param[i] = r(param[i] * k.decay);
    else if (o.weightDecay !== 0) gi = r(gi + k.wd * param[i]);
    m[i] = r(r(m[i] * k.b1) + k.omb1 * gi);
    v[i] = r(r(v[i] * k.b2) + r(r(k.omb2 * gi) * gi));
    let second = v[i];
    if (vmax) second = vmax[i] = Math.max(vmax[i], v[i]);
    const denom = r(r(r(Math.sqrt(second)) / k.bc2Sqrt) + k.eps);
    param[i] = r(param[i] + r(r(k.negStepSize * m[i]) / denom));
  }
}

export function batchNormForward(
  x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null, bias: FloatArray | null, eps: number,
  training: boolean, mean: Float64Array, invstd: Float64Array, variance: Float64Array | null, out: FloatArray,
): void {
  const M = N * S;
  if (training) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const base = (n * C + c) * S;
        for (let i = 0; i < S; i++) s += x[base + i];
      }
      const m = s / M;
      let ss = 0;
      for (let n = 0; n < N; n++) {
        const base = (n * C + c) * S;
        for (let i = 0; i < S; i++) {
          const d = x[base + i] - m;
          ss += d * d;
        }
      }
      mean[c] = m;
      if (variance) variance[c] = ss / M;
      invstd[c] = 1 / Math.sqrt(ss / M + eps);
    }
  }
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const scale = invstd[c] * (weight ? weight[c] : 1);
      const shift = (bias ? bias[c] : 0) - mean[c] * scale;
      const base = (n * C + c) * S;
      for (let i = 0; i < S; i++) out[base + i] = x[base + i] * scale + shift;
    }
  }
}

export function batchNormBackward(
  gradOut: FloatArray, x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null,
  mean: Float64Array, invstd: Float64Array, training: boolean, sumG: Float64Array, sumGX: Float64Array,
  gradIn: FloatArray | null,
): void {
  const M = N * S;
  sumG.fill(0, 0, C);
  sumGX.fill(0, 0, C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * S;
      const m = mean[c];
      let sg = 0;
      let sgx = 0;
      for (let i = 0; i < S; i++) {
        sg += gradOut[base + i];
        sgx += gradOut[base + i] * (x[base + i] - m);
      }
      sumG[c] += sg;
      sumGX[c] += sgx;
    }
  }
  if (!gradIn) return;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * S;
      const k = invstd[c] * (weight ? weight[c] : 1);
      if (training) {
        const meanG = sumG[c] / M;
        const proj = (sumGX[c] * invstd[c] * invstd[c]) / M;
        const m = mean[c];
        for (let i = 0; i < S; i++) gradIn[base + i] = k * (gradOut[base + i] - meanG - (x[base + i] - m) * proj);
      } else {
        for (let i = 0; i < S; i++) gradIn[base + i] = k * gradOut[base + i];
      }
    }
  }
}

export function crossEntropyForward(
  logits: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
  ignoreIndex: number, labelSmoothing: number, logp: FloatArray, loss: Float64Array,
): void {
  const eps = labelSmoothing;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const base = n * C * inner + j;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = logits[base + c * inner];
        if (v > max || v !== v) max = v;
      }
      if (max === -Infinity) max = 0;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(logits[base + c * inner] - max);
      const logSum = Math.log(sum) + max;
      for (let c = 0; c < C; c++) logp[base + c * inner] = logits[base + c * inner] - logSum;
      const i = n * inner + j;
      const t = target[i];
      if (t === ignoreIndex) {
        loss[i] = 0;
        continue;
      }
      const wt = weight ? weight[t] : 1;
      let l = -wt * logp[base + t * inner];
      if (eps > 0) {
        let smooth = 0;
        for (let c = 0; c < C; c++) smooth -= (weight ? weight[c] : 1) * logp[base + c * inner];
        l = (1 - eps) * l + (eps / C) * smooth;
      }
      loss[i] = l;
    }
  }
}

export function crossEntropyBackward(
  logp: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
  ignoreIndex: number, labelSmoothing: number, coef: Float64Array, gradLogits: FloatArray,
): void {
  const eps = labelSmoothing;
  let W = 0;
  for (let c = 0; c < C; c++) W += weight ? weight[c] : 1;
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < inner; j++) {
      const i = n * inner + j;
      const t = target[i];
      const base = n * C * inner + j;
      if (t === ignoreIndex) {
        for (let c = 0; c < C; c++) gradLogits[base + c * inner] = 0;
        continue;
      }
      const a = coef[i] * (1 - eps) * (weight ? weight[t] : 1);
      const b = (coef[i] * eps) / C;
      for (let c = 0; c < C; c++) {
        const k = base + c * inner;
        const p = Math.exp(logp[k]);
        let v = a * p + b * (p * W - (weight ? weight[c] : 1));
        if (c === t) v -= a;
        gradLogits[k] = v;
      }
    }
  }
}

export function matmulBiasAct(
  a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs, bias: FloatArray | null, biasDim: 'row' | 'col',
  act: 'none' | 'relu',
): void {
  matmul(a, b, out, args);
  const { batch, m, n } = args;
  for (let p = 0; p < batch; p++) {
    for (let i = 0; i < m; i++) {
      const row = (p * m + i) * n;
      for (let j = 0; j < n; j++) {
        let v = out[row + j];
        if (bias) v += biasDim === 'col' ? bias[j] : bias[i];
        if (act === 'relu') v = v > 0 || v !== v ? v : 0;
        out[row + j] = v;
      }
    }
  }
}

/** Every optional fused kernel, in reference form. */
export const jsFused: Required<Pick<Backend,
  'sgdStep' | 'adamStep' | 'batchNormForward' | 'batchNormBackward' | 'crossEntropyForward' | 'crossEntropyBackward' | 'matmulBiasAct'
>> = {
  sgdStep,
  adamStep,
  batchNormForward,
  batchNormBackward,
  crossEntropyForward,
  crossEntropyBackward,
  matmulBiasAct,
};
