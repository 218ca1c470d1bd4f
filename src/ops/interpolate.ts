/**
 * Resampling, as torch.nn.functional.interpolate, with PyTorch's CPU coordinate conventions.
 *
 * Every mode except 'area' is separable: along each spatial dim the output is a fixed small sum
 * Σ_t w_t[o] · x[idx_t[o]] (1 tap for nearest, 2 for linear, 4 for cubic). Each dim is resampled with
 * indexSelect and broadcast multiplies, innermost dim first, so the gradient comes from autograd and
 * the arithmetic is PyTorch's (w0·t0 + w1·t1 per dim, height outermost).
 */
import { isFloat } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor } from './util.js';
import { adaptiveAvgPool1d, adaptiveAvgPool2d } from './pool.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'area';

export interface InterpolateOptions {
  /** Output spatial size (a number for all dims, or one per dim). */
  size?: number | readonly number[] | null;
  /** Multiplier of the spatial size (output = ⌊input·scale⌋); exactly one of size and scaleFactor is given. */
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  /** linear/bilinear/bicubic: align the centres of the corner pixels instead of their outer edges (default false). */
  alignCorners?: boolean | null;
  /** Compute the coordinates from the output size instead of the given scaleFactor. */
  recomputeScaleFactor?: boolean | null;
  antialias?: boolean;
}

const f32 = Math.fround;

/** Taps of one dim: idx[t][o] and (when interpolating) weights[t][o]. */
interface Taps {
  idx: Int32Array[];
  weights: number[][] | null;
}

/** PyTorch's compute_scales_value: 1/scale when a scale was given, else in/out. */
function scaleValue(scale: number | null, inSize: number, outSize: number): number {
  return scale !== null && scale > 0 ? 1 / scale : inSize / outSize;
}

/** PyTorch's area_pixel_compute_scale. */
function areaScale(inSize: number, outSize: number, alignCorners: boolean, scale: number | null): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return scaleValue(scale, inSize, outSize);
}

function nearestTaps(inSize: number, outSize: number, scale: number | null, exact: boolean): Taps {
  const idx = new Int32Array(outSize);
  // PyTorch computes these in float32 whatever the dtype.
  const s = f32(scaleValue(scale, inSize, outSize));
  for (let o = 0; o < outSize; o++) {
    if (exact) idx[o] = Math.min(Math.floor(f32(f32(o + 0.5) * s)), inSize - 1);
    else if (outSize === inSize) idx[o] = o;
    else if (outSize === 2 * inSize) idx[o] = o >> 1;
    else idx[o] = Math.min(Math.floor(f32(o * s)), inSize - 1);
  }
  return { idx: [idx], weights: null };
}

function linearTaps(inSize: number, outSize: number, scale: number | null, alignCorners: boolean, single: boolean): Taps {
  const r = single ? f32 : (v: number) => v;
  const ratio = r(areaScale(inSize, outSize, alignCorners, scale));
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0: number[] = [];
  const w1: number[] = [];
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) {
      i0[o] = o;
      i1[o] = o;
      w0.push(1);
      w1.push(0);
      continue;
    }
    let real = alignCorners ? r(ratio * o) : r(r(ratio * r(o + 0.5)) - 0.5);
    if (!alignCorners && real < 0) real = 0;
    const lo = Math.trunc(real);
    i0[o] = lo;
    i1[o] = lo + (lo < inSize - 1 ? 1 : 0);
    const l1 = Math.min(Math.max(r(real - lo), 0), 1);
    w0.push(r(1 - l1));
    w1.push(l1);
  }
  return { idx: [i0, i1], weights: [w0, w1] };
}

const CUBIC_A = -0.75;
const cubic1 = (x: number) => ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
const cubic2 = (x: number) => ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;

function cubicTaps(inSize: number, outSize: number, scale: number | null, alignCorners: boolean, single: boolean): Taps {
  const r = single ? f32 : (v: number) => v;
  const ratio = r(areaScale(inSize, outSize, alignCorners, scale));
  const idx = [0, 1, 2, 3].map(() => new Int32Array(outSize));
  const weights: number[][] = [[], [], [], []];
  for (let o = 0; o < outSize; o++) {
    const real = alignCorners ? r(ratio * o) : r(r(ratio * r(o + 0.5)) - 0.5);
    const base = Math.floor(real);
    const t = r(real - base);
    const c = single
      ? [f32(cubic2(f32(t + 1))), f32(cubic1(t)), f32(cubic1(f32(1 - t))), f32(cubic2(f32(f32(1 - t) + 1)))]
      : [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(1 - t + 1)];
    for (let k = 0; k < 4; k++) {
      idx[k][o] = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      weights[k].push(c[k]);
    }
  }
  return { idx, weights };
}

/** Σ_t w_t · x.indexSelect(dim, idx_t), the weights broadcast along `dim`. */
function resampleDim(x: Tensor, dim: number, taps: Taps): Tensor {
  const index = (t: number) => new Tensor(taps.idx[t], [taps.idx[t].length]);
  const first = x.indexSelect(dim, index(0));
  if (!taps.weights) return first;
  const wShape = x.shape.map((_, d) => (d === dim ? taps.idx[0].length : 1)).slice(dim);
  const weight = (t: number) => new Tensor(x.dtype === 'float64' ? Float64Array.from(taps.weights![t]) : Float32Array.from(taps.weights![t]), wShape);
  let out = first.mul(weight(0));
  for (let t = 1; t < taps.idx.length; t++) out = out.add(x.indexSelect(dim, index(t)).mul(weight(t)));
  return out;
}

function listOf(v: number | readonly number[], n: number, name: string): number[] {
  if (typeof v === 'number') return Array(n).fill(v);
  if (Array.isArray(v) && v.length === n) return [...v];
  throw new Error(`interpolate: ${name} must be a number or a list of ${n} numbers for an input with ${n} spatial dim${n > 1 ? 's' : ''}, got ${JSON.stringify(v)}`);
}

/** Resize [N, C, L] or [N, C, H, W] input (PyTorch's torch.nn.functional.interpolate). */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  checkTensor(x, op);
  const mode = options.mode ?? 'nearest';
  const modes: InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'area'];
  if (!modes.includes(mode)) throw new Error(`${op}: unknown mode '${mode}'; expected one of ${modes.join(', ')}`);
  if (x.ndim !== 3 && x.ndim !== 4) {
    throw new Error(`${op}: expected a 3-D [N, C, L] or 4-D [N, C, H, W] input, got input of shape ${shapeStr(x.shape)}`);
  }
  const spatial = x.ndim - 2;
  if (mode === 'linear' && spatial !== 1) throw new Error(`${op}: mode 'linear' needs a 3-D input [N, C, L], got input of shape ${shapeStr(x.shape)}; use 'bilinear' for 4-D`);
  if ((mode === 'bilinear' || mode === 'bicubic') && spatial !== 2) {
    throw new Error(`${op}: mode '${mode}' needs a 4-D input [N, C, H, W], got input of shape ${shapeStr(x.shape)}`);
  }
  const interpolating = mode === 'linear' || mode === 'bilinear' || mode === 'bicubic';
  if (options.alignCorners !== undefined && options.alignCorners !== null && !interpolating) {
    throw new Error(`${op}: alignCorners can only be set with the interpolating modes linear, bilinear and bicubic, not '${mode}'`);
  }
  if (options.antialias) throw new Error(`${op}: antialias is not supported`);
  const alignCorners = options.alignCorners ?? false;
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize === hasScale) throw new Error(`${op}: ${hasSize ? 'only one of size and scaleFactor should be given' : 'either size or scaleFactor should be given'}`);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be a floating-point tensor (float32 or float64), got ${x.dtype}`);
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | null)[];
  if (hasSize) {
    outSizes = listOf(options.size!, spatial, 'size');
    if (outSizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`${op}: size must hold positive integers, got ${JSON.stringify(options.size)}`);
    scales = outSizes.map(() => null);
  } else {
    const factors = listOf(options.scaleFactor!, spatial, 'scaleFactor');
    if (factors.some((f) => !(f > 0) || !Number.isFinite(f))) throw new Error(`${op}: scaleFactor must be positive, got ${JSON.stringify(options.scaleFactor)}`);
    outSizes = inSizes.map((n, i) => Math.floor(n * factors[i]));
    if (outSizes.some((s) => s < 1)) throw new Error(`${op}: scaleFactor ${JSON.stringify(options.scaleFactor)} gives an empty output for input of shape ${shapeStr(x.shape)}`);
    scales = options.recomputeScaleFactor ? outSizes.map(() => null) : factors;
  }
  if (mode === 'area') return spatial === 1 ? adaptiveAvgPool1d(x, outSizes) : adaptiveAvgPool2d(x, outSizes);
  const single = x.dtype === 'float32';
  let out = x;
  for (let i = spatial - 1; i >= 0; i--) {
    const dim = i + 2;
    const [n, o, s] = [inSizes[i], outSizes[i], scales[i]];
    const taps =
      mode === 'nearest' || mode === 'nearest-exact' ? nearestTaps(n, o, s, mode === 'nearest-exact')
      : mode === 'bicubic' ? cubicTaps(n, o, s, alignCorners, single)
      : linearTaps(n, o, s, alignCorners, single);
    out = resampleDim(out, dim, taps);
  }
  return out;
}

/** PyTorch's upsample: interpolate under its old name. */
export function upsample(x: Tensor, options: InterpolateOptions = {}): Tensor {
  return interpolate(x, options);
}
