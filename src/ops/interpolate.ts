/**
 * Resampling, as torch.nn.functional.interpolate, with PyTorch's CPU coordinate conventions.
 *
 * Every mode except 'area' is separable: along each spatial dim the output is a fixed small sum
 * Σ_t w_t[o] · x[idx_t[o]] (1 tap for nearest, 2 for linear, 4 for cubic). Each dim is resampled by one
 * op with an explicit gradient (the transposed sum), innermost dim first, as PyTorch nests them.
 */
import { recordAsOne } from '../autograd/fused.js';
import { linearInGrad, needsGrad, record } from '../autograd/node.js';
import { compositeGrads } from '../autograd/double-backward.js';
import type { FloatArray } from '../backend/interface.js';
import { isFloat } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, empty } from './util.js';
import { denseData } from './conv.js';
import { adaptiveAvgPool1d, adaptiveAvgPool2d } from './pool.js';
import { adaptiveAvgPool3d } from './pool3d.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** Output spatial size (a number for all dims, or one per dim). */
  size?: number | readonly number[] | null;
  /** Multiplier of the spatial size (output = ⌊input·scale⌋); exactly one of size and scaleFactor is given. */
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  /** linear/bilinear/bicubic/trilinear: align the centres of the corner pixels instead of their outer edges (default false). */
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

/**
 * Nearest source indices, computed two ways by PyTorch's CPU kernels: its backward, and its 2-D forward of a
 * channels-last-contiguous input (e.g. one channel), use nearest_idx (a float32 scale; same-size and
 * double-size outputs copy directly); every other forward (upsample_generic_Nd_kernel_impl) takes the
 * dtype's scale times the index in double, rounded to float, with no special cases.
 */
function nearestTaps(inSize: number, outSize: number, scale: number | null, exact: boolean, generic = false, single = false): Taps {
  const idx = new Int32Array(outSize);
  if (generic) {
    const g = single ? f32(scaleValue(scale, inSize, outSize)) : scaleValue(scale, inSize, outSize);
    for (let o = 0; o < outSize; o++) {
      const real = exact ? Math.max(g * (o + 0.5) - 0.5, 0) + 0.5 : g * o;
      idx[o] = Math.min(Math.floor(f32(real)), inSize - 1);
    }
    return { idx: [idx], weights: null };
  }
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

/** Flattened [tap][o] tables of taps: source offsets (index·inner) and weights. */
function tapTables(taps: Taps, inner: number): { T: number; offs: Int32Array; wts: Float64Array } {
  const T = taps.idx.length;
  const outSize = taps.idx[0].length;
  const offs = new Int32Array(T * outSize);
  const wts = new Float64Array(T * outSize).fill(1);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outSize; o++) {
      offs[t * outSize + o] = taps.idx[t][o] * inner;
      if (taps.weights) wts[t * outSize + o] = taps.weights[t][o];
    }
  }
  return { T, offs, wts };
}

/**
 * Resample one axis: out[a, o, b] = Σ_t w_t[o] · x[a, idx_t[o], b] (x viewed as [outer, n, inner]); the
 * taps are summed in order (w0·x0 + w1·x1 + ..., as PyTorch). The gradient scatters back with the same weights;
 * it is linear in the upstream gradient, so its own gradient is this resampling again (node `name`).
 */
function resampleDim(x: Tensor, dim: number, taps: Taps, name: string, backTaps: Taps = taps): Tensor {
  const outSize = taps.idx[0].length;
  const n = x.shape[dim];
  const outer = x.shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const shape = [...x.shape];
  shape[dim] = outSize;
  const { T, offs, wts } = tapTables(taps, inner);
  const xd = denseData(x);
  const out = empty(shape, x.dtype);
  const od = out.storage as FloatArray;
  for (let a = 0; a < outer; a++) {
    const src = a * n * inner;
    const dst = a * outSize * inner;
    if (inner === 1) {
      if (!taps.weights) for (let o = 0; o < outSize; o++) od[dst + o] = xd[src + offs[o]];
      else {
        for (let o = 0; o < outSize; o++) {
          let acc = 0;
          for (let t = 0, k = o; t < T; t++, k += outSize) acc += wts[k] * xd[src + offs[k]];
          od[dst + o] = acc;
        }
      }
      continue;
    }
    for (let o = 0; o < outSize; o++) {
      const row = dst + o * inner;
      if (!taps.weights) {
        const from = src + offs[o];
        for (let b = 0; b < inner; b++) od[row + b] = xd[from + b];
        continue;
      }
      const from0 = src + offs[o];
      const w0 = wts[o];
      for (let b = 0; b < inner; b++) od[row + b] = w0 * xd[from0 + b];
      for (let t = 1, k = o + outSize; t < T; t++, k += outSize) {
        const from = src + offs[k];
        const w = wts[k];
        for (let b = 0; b < inner; b++) od[row + b] += w * xd[from + b];
      }
    }
  }
  if (!needsGrad(x)) return out;
  return record(out, 'UpsampleBackward0', [x], (g) => {
    // The backward's own taps (PyTorch's nearest backward indexes differently from its forward).
    const { T, offs, wts } = tapTables(backTaps, inner);
    const gd = denseData(g.to(x.dtype));
    const acc = new Float64Array(n * inner);
    const gx = empty(x.shape, x.dtype);
    const gxd = gx.storage as FloatArray;
    for (let a = 0; a < outer; a++) {
      acc.fill(0);
      const from = a * outSize * inner;
      for (let t = 0, k = 0; t < T; t++) {
        for (let o = 0; o < outSize; o++, k++) {
          const w = wts[k];
          const row = from + o * inner;
          const to = offs[k];
          if (inner === 1) acc[to] += w * gd[row];
          else for (let b = 0; b < inner; b++) acc[to + b] += w * gd[row + b];
        }
      }
      gxd.set(acc, a * n * inner);
    }
    return [linearInGrad(gx, g, name, (gg) => resampleDim(gg, dim, taps, name, backTaps))];
  });
}

/** PyTorch's is_contiguous(memory_format=torch.channels_last(_3d)) of a 4-D or 5-D tensor: [N, (D,) H, W, C] order in memory. */
function channelsLastContiguous(x: Tensor): boolean {
  let expected = 1;
  for (const d of x.ndim === 5 ? [1, 4, 3, 2, 0] : [1, 3, 2, 0]) {
    if (x.shape[d] === 1) continue;
    if (x.strides[d] !== expected) return false;
    expected *= x.shape[d];
  }
  return true;
}

function listOf(v: number | readonly number[], n: number, name: string): number[] {
  if (typeof v === 'number') return Array(n).fill(v);
  if (Array.isArray(v) && v.length === n) return [...v];
  throw new Error(`interpolate: ${name} must be a number or a list of ${n} numbers for an input with ${n} spatial dim${n > 1 ? 's' : ''}, got ${JSON.stringify(v)}`);
}

/** Resize [N, C, L], [N, C, H, W] or [N, C, D, H, W] input (PyTorch's torch.nn.functional.interpolate). */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  checkTensor(x, op);
  const mode = options.mode ?? 'nearest';
  const modes: InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];
  if (!modes.includes(mode)) throw new Error(`${op}: unknown mode '${mode}'; expected one of ${modes.join(', ')}`);
  if (x.ndim !== 3 && x.ndim !== 4 && x.ndim !== 5) {
    throw new Error(`${op}: expected a 3-D [N, C, L], 4-D [N, C, H, W] or 5-D [N, C, D, H, W] input, got input of shape ${shapeStr(x.shape)}`);
  }
  const spatial = x.ndim - 2;
  if (mode === 'linear' && spatial !== 1) throw new Error(`${op}: mode 'linear' needs a 3-D input [N, C, L], got input of shape ${shapeStr(x.shape)}; use 'bilinear' for 4-D`);
  if ((mode === 'bilinear' || mode === 'bicubic') && spatial !== 2) {
    throw new Error(`${op}: mode '${mode}' needs a 4-D input [N, C, H, W], got input of shape ${shapeStr(x.shape)}`);
  }
  if (mode === 'trilinear' && spatial !== 3) throw new Error(`${op}: mode 'trilinear' needs a 5-D input [N, C, D, H, W], got input of shape ${shapeStr(x.shape)}`);
  const interpolating = mode === 'linear' || mode === 'bilinear' || mode === 'bicubic' || mode === 'trilinear';
  if (options.alignCorners !== undefined && options.alignCorners !== null && !interpolating) {
    throw new Error(`${op}: alignCorners can only be set with the interpolating modes linear, bilinear, bicubic and trilinear, not '${mode}'`);
  }
  if (options.antialias) throw new Error(`${op}: antialias is not supported`);
  const alignCorners = options.alignCorners ?? false;
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize === hasScale) throw new Error(`${op}: ${hasSize ? 'only one of size and scaleFactor should be given' : 'either size or scaleFactor should be given'}`);
  if (!isFloat(x.dtype)) throw new Error(`${op}: input must be a floating-point tensor (float32 or float64), got ${x.dtype}`);
  // PyTorch's upsample kernels (all but 'area', an adaptive pooling) reject an input without channels.
  if (mode !== 'area' && x.shape[1] === 0) throw new Error(`${op}: Non-empty ${x.ndim}D data tensor expected but got a tensor with sizes ${shapeStr(x.shape)}`);
  const inSizes = x.shape.slice(2);
  // 'area' is adaptive average pooling, which PyTorch lets produce an empty output.
  const minSize = mode === 'area' ? 0 : 1;
  let outSizes: number[];
  let scales: (number | null)[];
  if (hasSize && options.recomputeScaleFactor) throw new Error(`${op}: recomputeScaleFactor is not meaningful with an explicit size`);
  if (hasSize) {
    outSizes = listOf(options.size!, spatial, 'size');
    if (outSizes.some((s) => !Number.isInteger(s) || s < minSize)) throw new Error(`${op}: size must hold positive integers, got ${JSON.stringify(options.size)}`);
    scales = outSizes.map(() => null);
  } else {
    const factors = listOf(options.scaleFactor!, spatial, 'scaleFactor');
    if (factors.some((f) => !(f > 0) || !Number.isFinite(f))) throw new Error(`${op}: scaleFactor must be positive, got ${JSON.stringify(options.scaleFactor)}`);
    outSizes = inSizes.map((n, i) => Math.floor(n * factors[i]));
    if (outSizes.some((s) => s < minSize)) throw new Error(`${op}: scaleFactor ${JSON.stringify(options.scaleFactor)} gives an empty output for input of shape ${shapeStr(x.shape)}`);
    scales = options.recomputeScaleFactor ? outSizes.map(() => null) : factors;
  }
  if (mode === 'area') return [adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d][spatial - 1](x, outSizes);
  const single = x.dtype === 'float32';
  const channelsLast = spatial >= 2 && channelsLastContiguous(x);
  // One pass per spatial dim, recorded as PyTorch's single node (e.g. UpsampleBilinear2DBackward1).
  const kind =
    mode === 'nearest' ? 'Nearest' : mode === 'nearest-exact' ? 'NearestExact' : mode === 'bicubic' ? 'Bicubic'
    : (['Linear', 'Bilinear', 'Trilinear'][spatial - 1] ?? 'Linear');
  const resample = (input: Tensor) => {
    let out = input;
    for (let i = spatial - 1; i >= 0; i--) {
      const dim = i + 2;
      const [n, o, s] = [inSizes[i], outSizes[i], scales[i]];
      const name = `Upsample${kind}${spatial}DBackwardBackward0`;
      if (mode === 'nearest' || mode === 'nearest-exact') {
        const exact = mode === 'nearest-exact';
        out = resampleDim(out, dim, nearestTaps(n, o, s, exact, !channelsLast, single), name, nearestTaps(n, o, s, exact));
        continue;
      }
      const taps = mode === 'bicubic' ? cubicTaps(n, o, s, alignCorners, single) : linearTaps(n, o, s, alignCorners, single);
      out = resampleDim(out, dim, taps, name);
    }
    return out;
  };
  return recordAsOne(`Upsample${kind}${spatial}DBackward1`, [x], resample);
}

/** PyTorch's upsample: interpolate under its old name. */
export function upsample(x: Tensor, options: InterpolateOptions = {}): Tensor {
  return interpolate(x, options);
}

// ---- affineGrid / gridSample ----------------------------------------------------------------------

export interface GridSampleOptions {
  /** 'bilinear' (default), 'nearest' or 'bicubic' (cubic convolution with A = −0.75 over 4×4 pixels). */
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  /** Values for grid points outside the image: 0, the nearest border pixel, or the reflected image. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** −1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean;
}

/** PyTorch's linspace_from_neg_one: n points from −1 to 1, scaled by (n − 1)/n without alignCorners. */
function baseCoords(n: number, alignCorners: boolean): Float64Array {
  const out = new Float64Array(n);
  if (n <= 1) return out;
  const step = 2 / (n - 1);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? -1 + step * i : 1 - step * (n - 1 - i);
  if (!alignCorners) for (let i = 0; i < n; i++) out[i] = (out[i] * (n - 1)) / n;
  return out;
}

/**
 * The sampling grid [N, H, W, 2] of the affine maps theta [N, 2, 3] for an output of `size` [N, C, H, W],
 * in normalised (x, y) coordinates, as torch.nn.functional.affine_grid (gradient w.r.t. theta).
 */
export function affineGrid(theta: Tensor, size: readonly number[], options: { alignCorners?: boolean } = {}): Tensor {
  const op = 'affineGrid';
  checkTensor(theta, op, 'theta');
  if (!isFloat(theta.dtype)) throw new Error(`${op}: theta must be a floating-point tensor, got ${theta.dtype}`);
  if (!Array.isArray(size) || size.length !== 4) throw new Error(`${op}: only 2-D affine grids are supported: size must be [N, C, H, W], got ${JSON.stringify(size)}`);
  const [N, , H, W] = size;
  if (theta.ndim !== 3 || theta.shape[0] !== N || theta.shape[1] !== 2 || theta.shape[2] !== 3) {
    throw new Error(`${op}: expected theta of shape [${N}, 2, 3] for size ${shapeStr(size)}, got theta of shape ${shapeStr(theta.shape)}`);
  }
  const align = options.alignCorners ?? false;
  const xs = baseCoords(W, align);
  const ys = baseCoords(H, align);
  const base = new Float64Array(H * W * 3);
  for (let h = 0; h < H; h++) {
    for (let w = 0; w < W; w++) {
      const k = (h * W + w) * 3;
      base[k] = xs[w];
      base[k + 1] = ys[h];
      base[k + 2] = 1;
    }
  }
  const b = new Tensor(base, [H * W, 3]).to(theta.dtype);
  return b.matmul(theta.transpose(1, 2)).reshape([N, H, W, 2]);
}

/** Source coordinate of a normalised grid value, and d(source)/d(grid) (PyTorch's grid_sampler_compute_source_index_set_grad). */
function sourceIndex(coord: number, size: number, padding: string, align: boolean): [number, number] {
  const x = align ? ((coord + 1) / 2) * (size - 1) : ((coord + 1) * size - 1) / 2;
  return padCoordinate(x, align ? (size - 1) / 2 : size / 2, size, padding, align);
}

/**
 * PyTorch's compute_coordinates: a pixel coordinate with the padding mode applied (clipped to the border, or
 * reflected then clipped; unchanged for zeros), and `grad` times its derivative.
 */
function padCoordinate(x: number, grad: number, size: number, padding: string, align: boolean): [number, number] {
  const clip = (v: number): number => {
    if (v <= 0) {
      grad = 0;
      return 0;
    }
    if (v >= size - 1) {
      grad = 0;
      return size - 1;
    }
    return v;
  };
  if (padding === 'border') {
    x = clip(x);
  } else if (padding === 'reflection') {
    const [twiceLow, twiceHigh] = align ? [0, 2 * (size - 1)] : [-1, 2 * size - 1];
    if (twiceLow === twiceHigh) {
      x = 0;
      grad = 0;
    } else {
      const min = twiceLow / 2;
      const span = (twiceHigh - twiceLow) / 2;
      let v = x - min;
      let sign = 1;
      if (v < 0) {
        sign = -1;
        v = -v;
      }
      const extra = v % span;
      const flips = Math.floor(v / span);
      if (flips % 2 === 0) x = extra + min;
      else {
        x = span - extra + min;
        sign = -sign;
      }
      grad *= sign;
    }
    x = clip(x);
  }
  return [x, grad];
}

/**
 * gridSample in tensor ops, for a recorded backward (createGraph), given the source coordinates of every
 * output pixel and their derivatives w.r.t. the grid: around the current grid each coordinate is affine in
 * its grid value, and each output is a sum over the neighbouring pixels of an input value times a product
 * of coordinate fractions.
 */
function gridSampleComposite(
  input: Tensor, grid: Tensor,
  at: { ix: Float64Array; iy: Float64Array; gxMult: Float64Array; gyMult: Float64Array; padding?: string; align?: boolean }, mode: string,
): Tensor {
  const [N, C, H, W] = input.shape;
  const [, Ho, Wo] = grid.shape;
  const P = Ho * Wo;
  const constant = (a: ArrayLike<number>) => new Tensor(Float64Array.from(a), [N, P]).to(input.dtype);
  const planes = input.reshape([N, C, H * W]);
  /** input[n, c, ys, xs] at every output pixel (0 outside the input), times weight [N, P]. */
  const tap = (ys: Int32Array, xs: Int32Array, weight: Tensor) => {
    const index = new Int32Array(N * C * P);
    const valid = new Float64Array(N * P);
    for (let k = 0; k < N * P; k++) {
      if (ys[k] < 0 || ys[k] >= H || xs[k] < 0 || xs[k] >= W) continue;
      valid[k] = 1;
      const [n, p] = [Math.floor(k / P), k % P];
      for (let c = 0; c < C; c++) index[(n * C + c) * P + p] = ys[k] * W + xs[k];
    }
    return planes.gather(2, new Tensor(index, [N, C, P])).mul(weight.mul(constant(valid)).unsqueeze(1));
  };
  const round = (v: Float64Array, f: (u: number) => number, shift = 0) => Int32Array.from(v, (u) => f(u) + shift);
  if (mode === 'bicubic') {
    // 16 taps (padded positions fixed around the current grid) weighted by the cubic coefficients of tx, ty.
    const tx = grid.select(3, 0).reshape([N, P]).sub(grid.select(3, 0).reshape([N, P]).detach()).mul(constant(at.gxMult)).add(constant(at.ix.map((v) => v - Math.floor(v))));
    const ty = grid.select(3, 1).reshape([N, P]).sub(grid.select(3, 1).reshape([N, P]).detach()).mul(constant(at.gyMult)).add(constant(at.iy.map((v) => v - Math.floor(v))));
    const cubic = (t: Tensor) => [cubicFar(t.add(1)), cubicNear(t), cubicNear(t.neg().add(1)), cubicFar(t.neg().add(2))];
    const [cx, cy] = [cubic(tx), cubic(ty)];
    const taps = bicubicTaps(at.ix, at.iy, H, W, at.padding!, at.align!);
    let sum: Tensor | null = null;
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) {
        const ys = new Int32Array(N * P), xs = new Int32Array(N * P);
        for (let k = 0; k < N * P; k++) {
          const idx = taps.index[16 * k + 4 * j + i]!;
          [ys[k], xs[k]] = idx < 0 ? [-1, -1] : [Math.floor(idx / W), idx % W];
        }
        const term = tap(ys, xs, cx[i]!.mul(cy[j]!));
        sum = sum ? sum.add(term) : term;
      }
    }
    return sum!.reshape([N, C, Ho, Wo]);
  }
  if (mode === 'nearest') {
    return tap(round(at.iy, roundHalfEven), round(at.ix, roundHalfEven), constant(new Float64Array(N * P).fill(1))).reshape([N, C, Ho, Wo]);
  }
  // The source coordinate's value, with its derivative w.r.t. the grid value (±scale, or 0 where clipped).
  const source = (c: 0 | 1, value: Float64Array, mult: Float64Array) => {
    const g = grid.select(3, c).reshape([N, P]);
    return g.sub(g.detach()).mul(constant(mult)).add(constant(value));
  };
  const [x0, y0] = [round(at.ix, Math.floor), round(at.iy, Math.floor)];
  const [x1, y1] = [round(at.ix, Math.floor, 1), round(at.iy, Math.floor, 1)];
  const wx1 = source(0, at.ix, at.gxMult).sub(constant(x0));
  const wy1 = source(1, at.iy, at.gyMult).sub(constant(y0));
  const [wx0, wy0] = [wx1.neg().add(1), wy1.neg().add(1)];
  return tap(y0, x0, wx0.mul(wy0)).add(tap(y0, x1, wx1.mul(wy0))).add(tap(y1, x0, wx0.mul(wy1))).add(tap(y1, x1, wx1.mul(wy1))).reshape([N, C, Ho, Wo]);
}

/** cubic1 / cubic2 (distance ≤ 1, 1 < distance < 2) on tensors, for the differentiable composite. */
function cubicNear(d: Tensor): Tensor {
  return d.mul(CUBIC_A + 2).sub(CUBIC_A + 3).mul(d).mul(d).add(1);
}
function cubicFar(d: Tensor): Tensor {
  return d.mul(CUBIC_A).sub(5 * CUBIC_A).mul(d).add(8 * CUBIC_A).mul(d).sub(4 * CUBIC_A);
}
function cubicWeights(t: number): number[] {
  return [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
}
/** d/dt of cubicWeights(t) (PyTorch's get_cubic_coefficients_grad, sign included). */
function cubicWeightsGrad(t: number): number[] {
  const A = CUBIC_A;
  let x = -1 - t;
  const g0 = (-3 * A * x - 10 * A) * x - 8 * A;
  x = -t;
  const g1 = (-3 * (A + 2) * x - 2 * (A + 3)) * x;
  x = 1 - t;
  const g2 = (3 * (A + 2) * x - 2 * (A + 3)) * x;
  x = 2 - t;
  const g3 = (3 * A * x - 10 * A) * x + 8 * A;
  return [-g0, -g1, -g2, -g3];
}

/**
 * The 16 taps of bicubic sampling at every point: flat pixel index (−1 outside the input after the padding mode
 * is applied to the tap, as PyTorch's get_value_bounded), weight cx[i]·cy[j], and its derivatives along x and y.
 */
function bicubicTaps(ix: Float64Array, iy: Float64Array, H: number, W: number, padding: string, align: boolean) {
  const n = ix.length;
  const index = new Int32Array(16 * n), weight = new Float64Array(16 * n);
  const dWeightX = new Float64Array(16 * n), dWeightY = new Float64Array(16 * n);
  const bounded = (c: number, size: number) => Math.trunc(padCoordinate(c, 1, size, padding, align)[0]);
  for (let k = 0; k < n; k++) {
    const x0 = Math.floor(ix[k]!), y0 = Math.floor(iy[k]!);
    const [tx, ty] = [ix[k]! - x0, iy[k]! - y0];
    const [cx, cy, gx, gy] = [cubicWeights(tx), cubicWeights(ty), cubicWeightsGrad(tx), cubicWeightsGrad(ty)];
    for (let j = 0; j < 4; j++) {
      const y = bounded(y0 - 1 + j, H);
      for (let i = 0; i < 4; i++) {
        const x = bounded(x0 - 1 + i, W);
        const t = 16 * k + 4 * j + i;
        index[t] = y >= 0 && y < H && x >= 0 && x < W ? y * W + x : -1;
        weight[t] = cx[i]! * cy[j]!;
        dWeightX[t] = gx[i]! * cy[j]!;
        dWeightY[t] = cx[i]! * gy[j]!;
      }
    }
  }
  return { index, weight, dWeightX, dWeightY };
}

/** C's nearbyint (round half to even). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Sample input [N, C, H, W] at the normalised (x, y) locations of grid [N, Ho, Wo, 2], as
 * torch.nn.functional.grid_sample (bilinear, nearest or bicubic; zeros, border or reflection padding),
 * with gradients for the input and (bilinear, bicubic) the grid.
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const op = 'gridSample';
  checkTensor(input, op);
  checkTensor(grid, op, 'grid');
  const mode = options.mode ?? 'bilinear';
  const padding = options.paddingMode ?? 'zeros';
  const align = options.alignCorners ?? false;
  if (mode !== 'bilinear' && mode !== 'nearest' && mode !== 'bicubic') throw new Error(`${op}: mode must be 'bilinear', 'nearest' or 'bicubic', got '${mode}'`);
  if (!['zeros', 'border', 'reflection'].includes(padding)) throw new Error(`${op}: paddingMode must be 'zeros', 'border' or 'reflection', got '${padding}'`);
  if (input.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W], got input of shape ${shapeStr(input.shape)}`);
  if (!isFloat(input.dtype)) throw new Error(`${op}: input must be a floating-point tensor, got ${input.dtype}`);
  const [N, C, H, W] = input.shape;
  if (grid.ndim !== 4 || grid.shape[0] !== N || grid.shape[3] !== 2) {
    throw new Error(`${op}: expected grid of shape [${N}, Ho, Wo, 2] for input of shape ${shapeStr(input.shape)}, got grid of shape ${shapeStr(grid.shape)}`);
  }
  if (grid.dtype !== input.dtype) throw new Error(`${op}: expected grid and input to have the same dtype, got ${grid.dtype} and ${input.dtype}`);
  const [, Ho, Wo] = grid.shape;
  const P = Ho * Wo;
  const xd = denseData(input);
  const gd = denseData(grid);
  // Per (n, output pixel): source coordinates and their derivatives w.r.t. the grid values.
  const ix = new Float64Array(N * P);
  const iy = new Float64Array(N * P);
  const gxMult = new Float64Array(N * P);
  const gyMult = new Float64Array(N * P);
  // Bicubic pads each of its 16 taps instead of the coordinate (PyTorch's get_value_bounded).
  const coordPadding = mode === 'bicubic' ? 'zeros' : padding;
  for (let k = 0; k < N * P; k++) {
    [ix[k], gxMult[k]] = sourceIndex(gd[2 * k], W, coordPadding, align);
    [iy[k], gyMult[k]] = sourceIndex(gd[2 * k + 1], H, coordPadding, align);
  }
  const bicubic = mode === 'bicubic' ? bicubicTaps(ix, iy, H, W, padding, align) : null;
  const inside = (y: number, x: number) => y >= 0 && y < H && x >= 0 && x < W;
  const out = empty([N, C, Ho, Wo], input.dtype);
  const od = out.storage as FloatArray;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      const k = n * P + p;
      const x = ix[k];
      const y = iy[k];
      if (mode === 'nearest') {
        const xn = roundHalfEven(x);
        const yn = roundHalfEven(y);
        const ok = inside(yn, xn);
        for (let c = 0; c < C; c++) od[(n * C + c) * P + p] = ok ? xd[((n * C + c) * H + yn) * W + xn] : 0;
        continue;
      }
      if (bicubic) {
        for (let c = 0; c < C; c++) {
          const plane = (n * C + c) * H * W;
          let v = 0;
          for (let t = 0; t < 16; t++) {
            const at = bicubic.index[16 * k + t]!;
            if (at >= 0) v += xd[plane + at]! * bicubic.weight[16 * k + t]!;
          }
          od[(n * C + c) * P + p] = v;
        }
        continue;
      }
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const [wx1, wy1] = [x - x0, y - y0];
      const [wx0, wy0] = [x0 + 1 - x, y0 + 1 - y];
      for (let c = 0; c < C; c++) {
        const plane = (n * C + c) * H;
        let v = 0;
        if (inside(y0, x0)) v += xd[(plane + y0) * W + x0] * wx0 * wy0;
        if (inside(y0, x0 + 1)) v += xd[(plane + y0) * W + x0 + 1] * wx1 * wy0;
        if (inside(y0 + 1, x0)) v += xd[(plane + y0 + 1) * W + x0] * wx0 * wy1;
        if (inside(y0 + 1, x0 + 1)) v += xd[(plane + y0 + 1) * W + x0 + 1] * wx1 * wy1;
        od[(n * C + c) * P + p] = v;
      }
    }
  }
  if (!needsGrad(input, grid)) return out;
  return record(out, 'GridSampler2DBackward0', [input, grid], (g) => {
    const coords = { ix, iy, gxMult, gyMult, padding, align };
    const composite = compositeGrads(g, [input, grid], (xi, gi) => gridSampleComposite(xi!, gi!, coords, mode));
    if (composite) return composite;
    const go = denseData(g.to(input.dtype));
    const gIn = new Float64Array(input.size);
    const gGrid = new Float64Array(grid.size);
    for (let n = 0; n < N; n++) {
      for (let p = 0; p < P; p++) {
        const k = n * P + p;
        const x = ix[k];
        const y = iy[k];
        if (mode === 'nearest') {
          const xn = roundHalfEven(x);
          const yn = roundHalfEven(y);
          if (inside(yn, xn)) for (let c = 0; c < C; c++) gIn[((n * C + c) * H + yn) * W + xn] += go[(n * C + c) * P + p];
          continue;
        }
        if (bicubic) {
          let dx = 0;
          let dy = 0;
          for (let c = 0; c < C; c++) {
            const gv = go[(n * C + c) * P + p]!;
            const plane = (n * C + c) * H * W;
            for (let t = 0; t < 16; t++) {
              const at = bicubic.index[16 * k + t]!;
              if (at < 0) continue;
              gIn[plane + at] += bicubic.weight[16 * k + t]! * gv;
              dx += xd[plane + at]! * bicubic.dWeightX[16 * k + t]! * gv;
              dy += xd[plane + at]! * bicubic.dWeightY[16 * k + t]! * gv;
            }
          }
          // As PyTorch, only the unnormalisation scales the grid gradient (the taps' padding does not).
          gGrid[2 * k] = dx * gxMult[k]!;
          gGrid[2 * k + 1] = dy * gyMult[k]!;
          continue;
        }
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        const [wx1, wy1] = [x - x0, y - y0];
        const [wx0, wy0] = [x0 + 1 - x, y0 + 1 - y];
        let dx = 0;
        let dy = 0;
        for (let c = 0; c < C; c++) {
          const gv = go[(n * C + c) * P + p];
          const plane = (n * C + c) * H;
          const corner = (yy: number, xx: number, w: number, sx: number, sy: number) => {
            if (!inside(yy, xx)) return;
            const at = (plane + yy) * W + xx;
            gIn[at] += w * gv;
            dx += sx * xd[at] * gv;
            dy += sy * xd[at] * gv;
          };
          corner(y0, x0, wx0 * wy0, -wy0, -wx0);
          corner(y0, x0 + 1, wx1 * wy0, wy0, -wx1);
          corner(y0 + 1, x0, wx0 * wy1, -wy1, wx0);
          corner(y0 + 1, x0 + 1, wx1 * wy1, wy1, wx1);
        }
        gGrid[2 * k] = dx * gxMult[k];
        gGrid[2 * k + 1] = dy * gyMult[k];
      }
    }
    const asDtype = (a: Float64Array, shape: readonly number[]) => new Tensor(input.dtype === 'float64' ? a : Float32Array.from(a), shape);
    return [input.requiresGrad ? asDtype(gIn, input.shape) : null, grid.requiresGrad ? asDtype(gGrid, grid.shape) : null];
  });
}
