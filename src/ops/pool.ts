/**
 * Pooling: max/avg over the backend's pooling kernels, Lp pooling as PyTorch composes it, and adaptive
 * avg/max pooling (PyTorch's windows start = ⌊i·in/out⌋, end = ⌈(i+1)·in/out⌉). Inputs are [N, C, H, W] or
 * unbatched [C, H, W]; the 1-D versions ([N, C, L] or [C, L]) run as 2-D with a height of 1.
 */
import type { FloatArray, Pool2dGeometry } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { linearInGrad, needsGrad, record } from '../autograd/node.js';
import { recordAsOne } from '../autograd/fused.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty, uninitialized } from './util.js';
import { denseData, sizeList, type SizeArg } from './conv.js';
import { relu } from './unary.js';
import { gather, scatterAdd } from './indexing.js';

export interface MaxPoolOptions {
  /** Defaults to kernelSize. */
  stride?: SizeArg | null;
  padding?: SizeArg;
  dilation?: SizeArg;
  ceilMode?: boolean;
  /** Also return the argmax of every window (flat h·W + w within its plane, int32). */
  returnIndices?: boolean;
}

export interface AvgPoolOptions {
  stride?: SizeArg | null;
  padding?: SizeArg;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead. */
  divisorOverride?: number | null;
}

export interface LpPoolOptions {
  stride?: SizeArg | null;
  ceilMode?: boolean;
}

/** Output size of `outputSize`: a number, or one entry per dim where null keeps the input's size. */
export type AdaptiveSize = number | readonly (number | null)[];

/** PyTorch's pooling_output_shape: with ceil mode the last window must start inside the input or the left padding. */
export function poolOutputSize(inSize: number, k: number, stride: number, padding: number, dilation: number, ceilMode: boolean): number {
  const span = inSize + 2 * padding - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= inSize + padding) out--;
  return out;
}

/**
 * [N·C planes view, unbatched?] for a 2-D pooling input; 1-D inputs get a unit height. As PyTorch, only the
 * batch dim may be empty, except the channels of adaptive average pooling (and of unbatched adaptive max pooling).
 */
function poolInput(x: Tensor, spatial: 1 | 2, op: string, emptyChannels: 'never' | 'unbatched' | 'always' = 'never'): { x4: Tensor; unbatched: boolean } {
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    const form = spatial === 2 ? '[N, C, H, W] or unbatched [C, H, W]' : '[N, C, L] or unbatched [C, L]';
    throw new Error(`${op}: expected a ${spatial + 1}-D or ${spatial + 2}-D input ${form}, got input of shape ${shapeStr(x.shape)}`);
  }
  const unbatched = x.ndim === spatial + 1;
  let x4 = unbatched ? x.unsqueeze(0) : x;
  if (spatial === 1) x4 = x4.unsqueeze(2);
  const channelsMayBeEmpty = emptyChannels === 'always' || (emptyChannels === 'unbatched' && unbatched);
  if (x4.shape.slice(channelsMayBeEmpty ? 2 : 1).some((d) => d === 0)) {
    throw new Error(`${op}: expected an input with non-zero sizes in every dim but the batch dim, got input of shape ${shapeStr(x.shape)}`);
  }
  return { x4, unbatched };
}

function poolOutput(out: Tensor, spatial: 1 | 2, unbatched: boolean): Tensor {
  let o = spatial === 1 ? out.squeeze(2) : out;
  if (unbatched) o = o.squeeze(0);
  return o;
}

interface PoolParams {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
}

function poolParams(
  op: string, spatial: 1 | 2, kernelSize: SizeArg, stride: SizeArg | null | undefined, padding: SizeArg | undefined, dilation: SizeArg | undefined,
): PoolParams {
  const kernel = sizeList(kernelSize, 1, spatial, 'kernelSize', op, 1);
  const s = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0) ? kernel : sizeList(stride, 1, spatial, 'stride', op, 1);
  const p = sizeList(padding, 0, spatial, 'padding', op, 0);
  const d = sizeList(dilation, 1, spatial, 'dilation', op, 1);
  if (p.some((v, i) => v > kernel[i] / 2)) {
    throw new Error(`${op}: padding should be at most half of the kernel size, got padding ${shapeStr(p)} for kernel size ${shapeStr(kernel)}`);
  }
  return { kernel, stride: s, padding: p, dilation: d };
}

/** The 2-D geometry (1-D: unit height) of a pooling with these parameters; throws when the output would be empty. */
function poolGeometry(op: string, x: Tensor, x4: Tensor, spatial: 1 | 2, pp: PoolParams, ceilMode: boolean): Pool2dGeometry {
  const inSizes = x4.shape.slice(4 - spatial);
  const outSizes = inSizes.map((n, i) => poolOutputSize(n, pp.kernel[i], pp.stride[i], pp.padding[i], pp.dilation[i], ceilMode));
  if (outSizes.some((o) => o < 1)) {
    throw new Error(
      `${op}: input of shape ${shapeStr(x.shape)} is too small for kernel size ${shapeStr(pp.kernel)}, stride ${shapeStr(pp.stride)}, ` +
        `padding ${shapeStr(pp.padding)}, dilation ${shapeStr(pp.dilation)}: calculated output size ${shapeStr(outSizes)}`,
    );
  }
  const two = (v: number[], unit: number): [number, number] => (spatial === 1 ? [unit, v[0]] : [v[0], v[1]]);
  const [kH, kW] = two(pp.kernel, 1);
  const [strideH, strideW] = two(pp.stride, 1);
  const [padH, padW] = two(pp.padding, 0);
  const [dilationH, dilationW] = two(pp.dilation, 1);
  const [outH, outW] = two(outSizes, 1);
  return {
    planes: x4.shape[0] * x4.shape[1], inH: x4.shape[2], inW: x4.shape[3], outH, outW,
    kH, kW, strideH, strideW, padH, padW, dilationH, dilationW,
  };
}

/** PyTorch's name for the node of a gradient's gradient: 'AvgPool2DBackward0' → 'AvgPool2DBackwardBackward0'. */
const backwardOf = (name: string) => name.replace(/Backward\d$/, 'BackwardBackward0');

/**
 * The values of x4 [N, C, H, W] at the flat in-plane positions `indices` [N, C, oh, ow]: the adjoint of scattering
 * a gradient to the argmax positions, so the gradient of a max pooling's gradient (PyTorch's max_pool_double_backward).
 */
function gatherAt(x4: Tensor, indices: Tensor): Tensor {
  const [N, C, oh, ow] = indices.shape;
  return gather(x4.reshape([N, C, -1]), 2, indices.reshape([N, C, oh * ow])).reshape(indices.shape);
}

// ---- max pooling ---------------------------------------------------------------------

/** Max pooling over the kernels' argmax; the gradient goes to each window's winner. */
function maxPoolRaw(x4: Tensor, geo: Pool2dGeometry, name: string): [Tensor, Tensor] {
  const xd = denseData(x4);
  const shape = [x4.shape[0], x4.shape[1], geo.outH, geo.outW];
  const out = uninitialized(shape, x4.dtype);
  const indices = uninitialized(shape, 'int32');
  const idx = indices.storage as Int32Array;
  kernels().maxPool2d(xd, geo, out.storage as FloatArray, idx);
  if (!needsGrad(x4)) return [out, indices];
  const recorded = record(out, name, [x4], (g) => {
    const gx = uninitialized(x4.shape, x4.dtype);
    kernels().maxPool2dBackward(denseData(g.to(x4.dtype)), idx, geo, gx.storage as FloatArray);
    return [linearInGrad(gx, g, backwardOf(name), (gg) => gatherAt(gg, indices))];
  });
  return [recorded, indices];
}

function maxPoolNd(spatial: 1 | 2, op: string, x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions): Tensor | [Tensor, Tensor] {
  const { x4, unbatched } = poolInput(x, spatial, op);
  const pp = poolParams(op, spatial, kernelSize, options.stride, options.padding, options.dilation);
  const geo = poolGeometry(op, x, x4, spatial, pp, options.ceilMode ?? false);
  if (spatial === 2 && unbatched && !options.returnIndices && needsGrad(x)) {
    // An unbatched 2-D input is pooled natively by torch: one MaxPool2DWithIndicesBackward0 node, not a squeeze.
    const name = 'MaxPool2DWithIndicesBackward0';
    return recordAsOne(name, [x], (xi) => poolOutput(maxPoolRaw(poolInput(xi, spatial, op).x4, geo, name)[0], spatial, true));
  }
  const [out, indices] = maxPoolRaw(x4, geo, 'MaxPool2DWithIndicesBackward0');
  const y = poolOutput(out, spatial, unbatched);
  return options.returnIndices ? [y, poolOutput(indices, spatial, unbatched)] : y;
}

/** 2-D max pooling, as torch.nn.functional.max_pool2d; with returnIndices: [output, indices]. */
export function maxPool2d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd(2, 'maxPool2d', x, kernelSize, options);
}

/** 1-D max pooling over [N, C, L] (or [C, L]); indices are positions along L. */
export function maxPool1d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  return maxPoolNd(1, 'maxPool1d', x, kernelSize, options);
}

// ---- average pooling -------------------------------------------------------------------

function avgPoolNd(spatial: 1 | 2, op: string, x: Tensor, kernelSize: SizeArg, options: AvgPoolOptions): Tensor {
  // PyTorch pools integer inputs too, each mean an integer division (truncated toward zero).
  if (x instanceof Tensor && x.dtype === 'int32') return avgPoolNd(spatial, op, x.to('float64'), kernelSize, options).trunc().to('int32');
  const { x4, unbatched } = poolInput(x, spatial, op);
  const pp = poolParams(op, spatial, kernelSize, options.stride, options.padding, 1);
  const geo = poolGeometry(op, x, x4, spatial, pp, options.ceilMode ?? false);
  const countIncludePad = options.countIncludePad ?? true;
  const divisor = options.divisorOverride ?? 0;
  if (options.divisorOverride !== undefined && options.divisorOverride !== null && (divisor === 0 || !Number.isFinite(divisor))) {
    throw new Error(`${op}: divisorOverride must be a non-zero number, got ${options.divisorOverride}`);
  }
  return poolOutput(avgPoolRaw(x4, geo, countIncludePad, divisor, 'AvgPool2DBackward0'), spatial, unbatched);
}

/** Average pooling over the kernels; the gradient spreads evenly over each window. */
function avgPoolRaw(x4: Tensor, geo: Pool2dGeometry, countIncludePad: boolean, divisor: number, name: string): Tensor {
  const out = uninitialized([x4.shape[0], x4.shape[1], geo.outH, geo.outW], x4.dtype);
  kernels().avgPool2d(denseData(x4), geo, countIncludePad, divisor, out.storage as FloatArray);
  if (!needsGrad(x4)) return out;
  return record(out, name, [x4], (g) => {
    const gx = uninitialized(x4.shape, x4.dtype);
    kernels().avgPool2dBackward(denseData(g.to(x4.dtype)), geo, countIncludePad, divisor, gx.storage as FloatArray);
    return [linearInGrad(gx, g, backwardOf(name), (gg) => avgPoolRaw(gg, geo, countIncludePad, divisor, name))];
  });
}

/** 2-D average pooling, as torch.nn.functional.avg_pool2d. */
export function avgPool2d(x: Tensor, kernelSize: SizeArg, options: AvgPoolOptions = {}): Tensor {
  return avgPoolNd(2, 'avgPool2d', x, kernelSize, options);
}

/** 1-D average pooling over [N, C, L] (or [C, L]); divisorOverride is not part of PyTorch's 1-D version but works. */
export function avgPool1d(x: Tensor, kernelSize: SizeArg, options: AvgPoolOptions = {}): Tensor {
  return avgPoolNd(1, 'avgPool1d', x, kernelSize, options);
}

// ---- Lp pooling ----------------------------------------------------------------------------

function lpPoolNd(spatial: 1 | 2, op: string, x: Tensor, normType: number, kernelSize: SizeArg, options: LpPoolOptions): Tensor {
  checkTensor(x, op);
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType === 0) {
    throw new Error(`${op}: normType must be a non-zero number, got ${normType}`);
  }
  const kernel = sizeList(kernelSize, 1, spatial, 'kernelSize', op, 1);
  const area = kernel.reduce((a, b) => a * b, 1);
  const pooled = avgPoolNd(spatial, op, x.pow(normType), kernelSize, { stride: options.stride, padding: 0, ceilMode: options.ceilMode ?? false });
  // As PyTorch: sign(out)·relu(|out|)·(kernel area), then the 1/p power.
  const scaled = pooled.sign().mul(relu(pooled.abs())).mul(area);
  // PyTorch's exponent 1.0/p is a float: integer input gives a float32 result even for p = 1.
  return (scaled.dtype === 'int32' ? scaled.to('float32') : scaled).pow(1 / normType);
}

/** Power-average pooling (Σ x^p)^(1/p) over each window, as torch.nn.functional.lp_pool2d. */
export function lpPool2d(x: Tensor, normType: number, kernelSize: SizeArg, options: LpPoolOptions = {}): Tensor {
  return lpPoolNd(2, 'lpPool2d', x, normType, kernelSize, options);
}

export function lpPool1d(x: Tensor, normType: number, kernelSize: SizeArg, options: LpPoolOptions = {}): Tensor {
  return lpPoolNd(1, 'lpPool1d', x, normType, kernelSize, options);
}

// ---- adaptive pooling ----------------------------------------------------------------------

/** Window bounds per output position: start = ⌊i·in/out⌋, end = ⌈(i+1)·in/out⌉ (exact integer arithmetic). */
function adaptiveWindows(inSize: number, outSize: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    start[i] = Math.floor((i * inSize) / outSize);
    end[i] = Math.ceil(((i + 1) * inSize) / outSize);
  }
  return { start, end };
}

function adaptiveSizes(outputSize: AdaptiveSize, x4: Tensor, spatial: 1 | 2, op: string): [number, number] {
  const list = typeof outputSize === 'number' ? Array(spatial).fill(outputSize) : [...outputSize];
  if (!Array.isArray(list) || list.length !== spatial) {
    throw new Error(`${op}: outputSize must be a number or a list of ${spatial} sizes (null keeps the input size), got ${JSON.stringify(outputSize)}`);
  }
  const inSizes = x4.shape.slice(4 - spatial);
  const sizes = list.map((s, i) => (s === null || s === undefined ? inSizes[i] : s));
  // PyTorch accepts an output size of 0 (an empty output).
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: outputSize must hold non-negative integers (or null), got ${JSON.stringify(outputSize)}`);
  }
  return spatial === 1 ? [1, sizes[0]] : [sizes[0], sizes[1]];
}

/**
 * When every window has the same size (each output size divides its input size), adaptive pooling is
 * ordinary pooling with kernel = stride = in/out: the backends' kernels then run it (global pooling,
 * squeeze-and-excitation). Other sizes take the general loops below.
 */
function uniformAdaptiveGeometry(x4: Tensor, outH: number, outW: number): Pool2dGeometry | null {
  const [planesN, C, inH, inW] = x4.shape;
  if (inH % outH !== 0 || inW % outW !== 0) return null;
  const kH = inH / outH, kW = inW / outW;
  return { planes: planesN * C, inH, inW, outH, outW, kH, kW, strideH: kH, strideW: kW, padH: 0, padW: 0, dilationH: 1, dilationW: 1 };
}

function adaptiveAvgPoolNd(spatial: 1 | 2, op: string, x: Tensor, outputSize: AdaptiveSize): Tensor {
  const { x4, unbatched } = poolInput(x, spatial, op, 'always');
  const [outH, outW] = adaptiveSizes(outputSize, x4, spatial, op);
  // torch computes a 1×1 adaptive average as a mean over H and W (MeanBackward1).
  if (spatial === 2 && outH === 1 && outW === 1 && needsGrad(x)) return x.mean([-2, -1], true);
  const uniform = uniformAdaptiveGeometry(x4, outH, outW);
  if (uniform) return poolOutput(avgPoolRaw(x4, uniform, true, 0, 'AdaptiveAvgPool2DBackward0'), spatial, unbatched);
  return poolOutput(adaptiveAvgPoolRaw(x4, outH, outW), spatial, unbatched);
}

/** Adaptive average pooling of [N, C, H, W] with uneven windows; the gradient spreads evenly over each window. */
function adaptiveAvgPoolRaw(x4: Tensor, outH: number, outW: number): Tensor {
  const [planesN, C, inH, inW] = x4.shape;
  const planes = planesN * C;
  const h = adaptiveWindows(inH, outH);
  const v = adaptiveWindows(inW, outW);
  const xd = denseData(x4);
  const out = empty([planesN, C, outH, outW], x4.dtype);
  const od = out.storage as FloatArray;
  const inPlane = inH * inW;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, o++) {
        let sum = 0;
        for (let ih = h.start[oh]; ih < h.end[oh]; ih++) {
          const row = base + ih * inW;
          for (let iw = v.start[ow]; iw < v.end[ow]; iw++) sum += xd[row + iw];
        }
        od[o] = sum / ((h.end[oh] - h.start[oh]) * (v.end[ow] - v.start[ow]));
      }
    }
  }
  if (!needsGrad(x4)) return out;
  return record(out, 'AdaptiveAvgPool2DBackward0', [x4], (g) => {
    const gd = denseData(g.to(x4.dtype));
    const acc = new Float64Array(inPlane);
    const gx = empty(x4.shape, x4.dtype);
    const gxd = gx.storage as FloatArray;
    let k = 0;
    for (let p = 0; p < planes; p++) {
      acc.fill(0);
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++, k++) {
          const share = gd[k] / ((h.end[oh] - h.start[oh]) * (v.end[ow] - v.start[ow]));
          for (let ih = h.start[oh]; ih < h.end[oh]; ih++) {
            for (let iw = v.start[ow]; iw < v.end[ow]; iw++) acc[ih * inW + iw] += share;
          }
        }
      }
      gxd.set(acc, p * inPlane);
    }
    return [linearInGrad(gx, g, 'AdaptiveAvgPool2DBackwardBackward0', (gg) => adaptiveAvgPoolRaw(gg, outH, outW))];
  });
}

/** Average pooling to a fixed output size, as torch.nn.functional.adaptive_avg_pool2d. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd(2, 'adaptiveAvgPool2d', x, outputSize);
}

export function adaptiveAvgPool1d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvgPoolNd(1, 'adaptiveAvgPool1d', x, outputSize);
}

function adaptiveMaxPoolNd(spatial: 1 | 2, op: string, x: Tensor, outputSize: AdaptiveSize, returnIndices: boolean): Tensor | [Tensor, Tensor] {
  const { x4, unbatched } = poolInput(x, spatial, op, 'unbatched');
  const [outH, outW] = adaptiveSizes(outputSize, x4, spatial, op);
  const uniform = uniformAdaptiveGeometry(x4, outH, outW);
  if (uniform) {
    const [out, indices] = maxPoolRaw(x4, uniform, 'AdaptiveMaxPool2DBackward0');
    const result = poolOutput(out, spatial, unbatched);
    return returnIndices ? [result, poolOutput(indices, spatial, unbatched)] : result;
  }
  const [planesN, C, inH, inW] = x4.shape;
  const planes = planesN * C;
  const h = adaptiveWindows(inH, outH);
  const v = adaptiveWindows(inW, outW);
  const xd = denseData(x4);
  const out = empty([planesN, C, outH, outW], x4.dtype);
  const indices = empty([planesN, C, outH, outW], 'int32');
  const od = out.storage as FloatArray;
  const idx = indices.storage as Int32Array;
  const inPlane = inH * inW;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, o++) {
        // As PyTorch: the first maximum wins a tie, a NaN always takes over.
        let best = -Infinity;
        let bestIdx = h.start[oh] * inW + v.start[ow];
        for (let ih = h.start[oh]; ih < h.end[oh]; ih++) {
          for (let iw = v.start[ow]; iw < v.end[ow]; iw++) {
            const val = xd[base + ih * inW + iw];
            if (val > best || val !== val) {
              best = val;
              bestIdx = ih * inW + iw;
            }
          }
        }
        od[o] = best;
        idx[o] = bestIdx;
      }
    }
  }
  let y = out;
  if (needsGrad(x4)) {
    const geo: Pool2dGeometry = {
      planes, inH, inW, outH, outW, kH: 1, kW: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1,
    };
    y = record(out, 'AdaptiveMaxPool2DBackward0', [x4], (g) => {
      const gx = empty(x4.shape, x4.dtype);
      kernels().maxPool2dBackward(denseData(g.to(x4.dtype)), idx, geo, gx.storage as FloatArray);
      return [linearInGrad(gx, g, 'AdaptiveMaxPool2DBackwardBackward0', (gg) => gatherAt(gg, indices))];
    });
  }
  const result = poolOutput(y, spatial, unbatched);
  return returnIndices ? [result, poolOutput(indices, spatial, unbatched)] : result;
}

/** Max pooling to a fixed output size, as torch.nn.functional.adaptive_max_pool2d; with returnIndices: [output, indices]. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: boolean }): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
  return adaptiveMaxPoolNd(2, 'adaptiveMaxPool2d', x, outputSize, options.returnIndices ?? false);
}

export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: boolean }): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
  return adaptiveMaxPoolNd(1, 'adaptiveMaxPool1d', x, outputSize, options.returnIndices ?? false);
}

// ---- max unpooling ---------------------------------------------------------------------------------

export interface MaxUnpoolOptions {
  stride?: SizeArg | null;
  padding?: SizeArg;
  /** The size to restore (the last dims), e.g. the pooled tensor's input shape; defaults to (in − 1)·stride + k − 2·padding. */
  outputSize?: readonly number[] | null;
}

function maxUnpoolNd(spatial: 1 | 2, op: string, x: Tensor, indices: Tensor, kernelSize: SizeArg, options: MaxUnpoolOptions): Tensor {
  const { x4, unbatched } = poolInput(x, spatial, op);
  checkTensor(indices, op, 'indices');
  if (indices.dtype !== 'int32' || indices.ndim !== x.ndim || indices.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`${op}: expected int32 indices of the input's shape ${shapeStr(x.shape)}, got ${indices.dtype} indices of shape ${shapeStr(indices.shape)}`);
  }
  const kernel = sizeList(kernelSize, 1, spatial, 'kernelSize', op, 1);
  const stride = options.stride === null || options.stride === undefined ? kernel : sizeList(options.stride, 1, spatial, 'stride', op, 1);
  const padding = sizeList(options.padding, 0, spatial, 'padding', op, 0);
  const inSizes = x4.shape.slice(4 - spatial);
  const defaults = inSizes.map((n, i) => (n - 1) * stride[i] + kernel[i] - 2 * padding[i]);
  let sizes = defaults;
  if (options.outputSize) {
    // As PyTorch: the spatial sizes alone, or with the two leading [N, C] sizes.
    const n = options.outputSize.length;
    const given = options.outputSize.slice(n === spatial + 2 ? 2 : 0);
    if (n !== spatial && n !== spatial + 2) {
      throw new Error(`${op}: outputSize must hold ${spatial} or ${spatial + 2} sizes, got ${JSON.stringify(options.outputSize)}`);
    }
    if (given.some((s, i) => !(s > defaults[i] - stride[i] && s < defaults[i] + stride[i]))) {
      throw new Error(`${op}: invalid outputSize ${JSON.stringify(options.outputSize)}: the spatial sizes must lie within stride of ${shapeStr(defaults)} (stride ${shapeStr(stride)})`);
    }
    sizes = given;
  }
  const [outH, outW] = spatial === 1 ? [1, sizes[0]] : [sizes[0], sizes[1]];
  const [Nb, C, inH, inW] = x4.shape;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const idx = indices.contiguous().data() as Int32Array;
  // PyTorch checks the indices only when the output is not empty.
  for (let i = 0; i < idx.length && outPlane > 0; i++) {
    if (idx[i] < 0 || idx[i] >= outPlane) throw new Error(`${op}: found an invalid max index ${idx[i]} (output plane of ${outPlane} elements, output size ${shapeStr(sizes)})`);
  }
  const xd = denseData(x4);
  const out = empty([Nb, C, outH, outW], x.dtype);
  const od = out.storage as FloatArray;
  if (outPlane > 0) for (let p = 0; p < Nb * C; p++) for (let i = 0; i < inPlane; i++) od[p * outPlane + idx[p * inPlane + i]] = xd[p * inPlane + i];
  let y = out;
  if (needsGrad(x4)) {
    y = record(out, 'MaxUnpool2DBackward0', [x4], (g) => {
      const gd = denseData(g.to(x.dtype));
      const gx = empty(x4.shape, x.dtype);
      const gxd = gx.storage as FloatArray;
      if (outPlane > 0) for (let p = 0; p < Nb * C; p++) for (let i = 0; i < inPlane; i++) gxd[p * inPlane + i] = gd[p * outPlane + idx[p * inPlane + i]];
      // Linear in g: its gradient scatters (adds) the gradient's gradient back to the indices.
      return [linearInGrad(gx, g, 'MaxUnpool2DBackwardBackward0', (gg) => {
        const planeIdx = new Tensor(idx, [Nb, C, inPlane]);
        return scatterAdd(empty([Nb, C, outPlane], gg.dtype), 2, planeIdx, gg.reshape([Nb, C, inPlane])).reshape(out.shape);
      })];
    });
  }
  return poolOutput(y, spatial, unbatched);
}

/** The partial inverse of maxPool2d: scatter each value to its index in a zero image, as torch.nn.functional.max_unpool2d. */
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: SizeArg, options: MaxUnpoolOptions = {}): Tensor {
  return maxUnpoolNd(2, 'maxUnpool2d', x, indices, kernelSize, options);
}

export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: SizeArg, options: MaxUnpoolOptions = {}): Tensor {
  return maxUnpoolNd(1, 'maxUnpool1d', x, indices, kernelSize, options);
}
