/**
 * 3-D pooling composed from the 2-D pooling ops: every depth slice of [N, C, D, H, W] (or unbatched
 * [C, D, H, W]) is pooled over H and W, then the slices of each depth window are combined.
 *   max: the window's slice maxima compared in depth order (the first maximum wins a tie, a NaN always
 *     takes over: PyTorch's d-h-w scan), picked with gather so the gradient reaches the 3-D argmax;
 *     indices are flat d·H·W + h·W + w within the input volume.
 *   avg: slice sums (the 2-D pooling with divisor 1) summed over the depth window and divided by
 *     PyTorch's divisor, the product of the per-dim window sizes (with or without the padding).
 *   adaptive avg: the mean over the depth window of the slices' adaptive means.
 * Each records PyTorch's single node (MaxPool3DWithIndicesBackward0, ...).
 */
import type { FloatArray } from '../backend/interface.js';
import { recordAsOne } from '../autograd/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor } from './util.js';
import { denseData, sizeList, type SizeArg } from './conv.js';
import { pad } from './pad.js';
import { gather, indexSelect } from './indexing.js';
import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d, poolOutputSize, type AdaptiveSize, type AvgPoolOptions, type MaxPoolOptions,
} from './pool.js';

/** The input as [N, C, D, H, W] and whether it was unbatched; as PyTorch, only the batch dim (or the channels where allowed) may be empty. */
function poolInput3d(x: Tensor, op: string, emptyChannels = false): { x5: Tensor; unbatched: boolean } {
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim !== 4 && x.ndim !== 5) {
    throw new Error(`${op}: expected a 4-D or 5-D input [N, C, D, H, W] or unbatched [C, D, H, W], got input of shape ${shapeStr(x.shape)}`);
  }
  const unbatched = x.ndim === 4;
  const x5 = unbatched ? x.unsqueeze(0) : x;
  if (x5.shape.slice(emptyChannels ? 2 : 1).some((d) => d === 0)) {
    throw new Error(`${op}: expected an input with non-zero sizes in every dim but the batch dim, got input of shape ${shapeStr(x.shape)}`);
  }
  return { x5, unbatched };
}

interface Pool3dParams {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  outSizes: number[];
}

function poolParams3d(
  op: string, x: Tensor, kernelSize: SizeArg, stride: SizeArg | null | undefined, padding: SizeArg | undefined, dilation: SizeArg | undefined,
  ceilMode: boolean,
): Pool3dParams {
  const kernel = sizeList(kernelSize, 1, 3, 'kernelSize', op, 1);
  const s = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0) ? kernel : sizeList(stride, 1, 3, 'stride', op, 1);
  const p = sizeList(padding, 0, 3, 'padding', op, 0);
  const d = sizeList(dilation, 1, 3, 'dilation', op, 1);
  if (p.some((v, i) => v > kernel[i] / 2)) {
    throw new Error(`${op}: padding should be at most half of the kernel size, got padding ${shapeStr(p)} for kernel size ${shapeStr(kernel)}`);
  }
  const outSizes = x.shape.slice(-3).map((n, i) => poolOutputSize(n, kernel[i], s[i], p[i], d[i], ceilMode));
  if (outSizes.some((o) => o < 1)) {
    throw new Error(
      `${op}: input of shape ${shapeStr(x.shape)} is too small for kernel size ${shapeStr(kernel)}, stride ${shapeStr(s)}, ` +
        `padding ${shapeStr(p)}, dilation ${shapeStr(d)}: calculated output size ${shapeStr(outSizes)}`,
    );
  }
  return { kernel, stride: s, padding: p, dilation: d, outSizes };
}

/** The first in-range position of a dilated pooling window (PyTorch's start, stepped past the padding). */
function windowStart(o: number, stride: number, padding: number, dilation: number): number {
  let start = o * stride - padding;
  while (start < 0) start += dilation;
  return start;
}

/** The output, squeezed back when the input was unbatched. */
const unbatch = (t: Tensor, unbatched: boolean) => (unbatched ? t.squeeze(0) : t);

// ---- max pooling ------------------------------------------------------------------------------

/**
 * Combine per-slice maxima over depth windows: `slices` [N, C, D, OH, OW] (values) with in-plane
 * argmaxes `planeIdx`; windows[od] lists the depth positions of output depth od in scan order (an
 * empty window gives −∞ at PyTorch's starting index `emptyIndex(od, q)`). Returns the pooled values
 * (gathered, so differentiable) and the flat d·H·W + h·W + w indices.
 */
function depthMax(
  slices: Tensor, planeIdx: Tensor, windows: number[][], plane: number, emptyIndex: (od: number, q: number) => number,
): [Tensor, Tensor] {
  const [N, C, D, OH, OW] = slices.shape;
  const OD = windows.length;
  const Q = OH * OW;
  const P = N * C;
  const vd = denseData(slices.detach());
  const id = planeIdx.contiguous().data() as Int32Array;
  const pick = new Int32Array(P * OD * Q);
  const indices = new Int32Array(P * OD * Q);
  const anyEmpty = windows.some((w) => w.length === 0);
  for (let p = 0; p < P; p++) {
    for (let od = 0; od < OD; od++) {
      const win = windows[od];
      const o = (p * OD + od) * Q;
      for (let q = 0; q < Q; q++) {
        if (win.length === 0) {
          pick[o + q] = D; // the −∞ slice appended below
          indices[o + q] = emptyIndex(od, q);
          continue;
        }
        let best = -Infinity;
        let bd = win[0];
        for (const d of win) {
          const v = vd[(p * D + d) * Q + q];
          if (v > best || v !== v) {
            best = v;
            bd = d;
          }
        }
        pick[o + q] = bd;
        indices[o + q] = bd * plane + id[(p * D + bd) * Q + q];
      }
    }
  }
  const source = anyEmpty ? pad(slices, [0, 0, 0, 0, 0, 1], { value: -Infinity }) : slices;
  const values = gather(source.reshape([N, C, source.shape[2], Q]), 2, new Tensor(pick, [N, C, OD, Q])).reshape([N, C, OD, OH, OW]);
  return [values, new Tensor(indices, [N, C, OD, OH, OW])];
}

/** 3-D max pooling, as torch.nn.functional.max_pool3d; with returnIndices: [output, indices]. */
export function maxPool3d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool3d(x: Tensor, kernelSize: SizeArg, options?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool3d';
  const { x5, unbatched } = poolInput3d(x, op);
  const ceilMode = options.ceilMode ?? false;
  const { kernel, stride, padding, dilation, outSizes } = poolParams3d(op, x, kernelSize, options.stride, options.padding, options.dilation, ceilMode);
  const [N, C, D, H, W] = x5.shape;
  const windows = Array.from({ length: outSizes[0] }, (_, od) => {
    const positions: number[] = [];
    for (let kd = 0; kd < kernel[0]; kd++) {
      const d = od * stride[0] - padding[0] + kd * dilation[0];
      if (d >= 0 && d < D) positions.push(d);
    }
    return positions;
  });
  const emptyIndex = (od: number, q: number) => {
    const oh = Math.floor(q / outSizes[2]);
    const start = [od, oh, q % outSizes[2]].map((o, i) => windowStart(o, stride[i], padding[i], dilation[i]));
    return (start[0] * H + start[1]) * W + start[2];
  };
  let indices = null as Tensor | null;
  const compose = (xi: Tensor) => {
    const [slices, planeIdx] = maxPool2d((unbatched ? xi.unsqueeze(0) : xi).reshape([N, C * D, H, W]), kernel.slice(1), {
      stride: stride.slice(1), padding: padding.slice(1), dilation: dilation.slice(1), ceilMode, returnIndices: true,
    });
    const [OH, OW] = outSizes.slice(1);
    const [values, idx] = depthMax(slices.reshape([N, C, D, OH, OW]), planeIdx, windows, H * W, emptyIndex);
    indices = idx;
    return unbatch(values, unbatched);
  };
  // An unbatched input is pooled natively by torch: one node either way.
  const y = recordAsOne('MaxPool3DWithIndicesBackward0', [x], compose);
  return options.returnIndices ? [y, unbatch(indices!, unbatched)] : y;
}

// ---- average pooling ------------------------------------------------------------------------------

/** PyTorch's avg_pool3d divisor factor of one dim per output position: the window clipped to input + padding, or to the input. */
function avgDivisors(n: number, outSize: number, k: number, stride: number, padding: number, countIncludePad: boolean): number[] {
  return Array.from({ length: outSize }, (_, o) => {
    const start = o * stride - padding;
    const end = Math.min(start + k, n + padding);
    return countIncludePad ? end - start : Math.min(end, n) - Math.max(start, 0);
  });
}

/** 3-D average pooling, as torch.nn.functional.avg_pool3d (integer inputs as PyTorch: each mean truncated toward zero). */
export function avgPool3d(x: Tensor, kernelSize: SizeArg, options: AvgPoolOptions = {}): Tensor {
  const op = 'avgPool3d';
  if (x instanceof Tensor && x.dtype === 'int32') return noGrad(() => avgPool3d(x.to('float64'), kernelSize, options)).trunc().to('int32');
  const { x5, unbatched } = poolInput3d(x, op);
  const ceilMode = options.ceilMode ?? false;
  const { kernel, stride, padding, outSizes } = poolParams3d(op, x, kernelSize, options.stride, options.padding, 1, ceilMode);
  const countIncludePad = options.countIncludePad ?? true;
  const override = options.divisorOverride;
  if (override !== undefined && override !== null && (override === 0 || !Number.isFinite(override))) {
    throw new Error(`${op}: divisorOverride must be a non-zero number, got ${override}`);
  }
  const [N, C, D, H, W] = x5.shape;
  const [OD, OH, OW] = outSizes;
  const [kD] = kernel;
  // Depth taps into the zero-padded slices: od·sD + kd (padded coordinates), with enough zeros on the right for ceil mode.
  const rightPad = Math.max(0, (OD - 1) * stride[0] + kD - padding[0] - D);
  const taps = new Int32Array(OD * kD);
  for (let od = 0; od < OD; od++) for (let kd = 0; kd < kD; kd++) taps[od * kD + kd] = od * stride[0] + kd;
  let divisor: Tensor | number;
  if (override !== undefined && override !== null) divisor = override;
  else {
    const [fd, fh, fw] = [D, H, W].map((n, i) => avgDivisors(n, outSizes[i], kernel[i], stride[i], padding[i], countIncludePad));
    const div = new Float64Array(OD * OH * OW);
    for (let od = 0, i = 0; od < OD; od++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) div[i++] = fd[od] * fh[oh] * fw[ow];
    divisor = new Tensor(div, [OD, OH, OW]).to(x.dtype);
  }
  const compose = (xi: Tensor) => {
    const sums = avgPool2d((unbatched ? xi.unsqueeze(0) : xi).reshape([N, C * D, H, W]), kernel.slice(1), {
      stride: stride.slice(1), padding: padding.slice(1), ceilMode, divisorOverride: 1,
    }).reshape([N, C, D, OH, OW]);
    const padded = padding[0] || rightPad ? pad(sums, [0, 0, 0, 0, padding[0], rightPad]) : sums;
    const total = indexSelect(padded, 2, new Tensor(taps, [taps.length])).reshape([N, C, OD, kD, OH, OW]).sum(3);
    return unbatch(total.div(divisor), unbatched);
  };
  return recordAsOne('AvgPool3DBackward0', [x], compose);
}

// ---- adaptive pooling -----------------------------------------------------------------------------

/** The depth windows of adaptive pooling: start = ⌊i·in/out⌋, end = ⌈(i+1)·in/out⌉. */
function adaptiveWindows(inSize: number, outSize: number): number[][] {
  return Array.from({ length: outSize }, (_, i) => {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    return Array.from({ length: end - start }, (_, k) => start + k);
  });
}

function adaptiveSizes3d(outputSize: AdaptiveSize, x5: Tensor, op: string): number[] {
  const list = typeof outputSize === 'number' ? [outputSize, outputSize, outputSize] : Array.isArray(outputSize) ? [...outputSize] : null;
  if (!list || list.length !== 3) {
    throw new Error(`${op}: outputSize must be a number or a list of 3 sizes (null keeps the input size), got ${JSON.stringify(outputSize)}`);
  }
  const sizes = list.map((s, i) => (s === null || s === undefined ? x5.shape[i + 2] : s));
  // PyTorch accepts an output size of 0 (an empty output).
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: outputSize must hold non-negative integers (or null), got ${JSON.stringify(outputSize)}`);
  }
  return sizes;
}

/** Average pooling to a fixed output size, as torch.nn.functional.adaptive_avg_pool3d. */
export function adaptiveAvgPool3d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const op = 'adaptiveAvgPool3d';
  // As PyTorch, an unbatched input may have no channels.
  const { x5, unbatched } = poolInput3d(x, op, x instanceof Tensor && x.ndim === 4);
  const [OD, OH, OW] = adaptiveSizes3d(outputSize, x5, op);
  // As torch: a 1×1×1 output is a mean over D, H and W (MeanBackward1).
  if (OD === 1 && OH === 1 && OW === 1) return x.mean([-3, -2, -1], true);
  const [N, C, D, H, W] = x5.shape;
  const windows = adaptiveWindows(D, OD);
  const L = Math.max(1, ...windows.map((w) => w.length));
  // L taps per window; missing ones read an appended zero slice (index D).
  const taps = new Int32Array(OD * L).fill(D);
  windows.forEach((w, od) => w.forEach((d, k) => (taps[od * L + k] = d)));
  const counts = new Tensor(Float64Array.from(windows, (w) => w.length), [OD, 1, 1]).to(x.dtype);
  const compose = (xi: Tensor) => {
    const means = adaptiveAvgPool2d(xi.reshape(unbatched ? [C * D, H, W] : [N, C * D, H, W]), [OH, OW]).reshape([N, C, D, OH, OW]);
    const padded = pad(means, [0, 0, 0, 0, 0, 1]);
    const total = indexSelect(padded, 2, new Tensor(taps, [taps.length])).reshape([N, C, OD, L, OH, OW]).sum(3);
    return unbatch(total.div(counts), unbatched);
  };
  return recordAsOne('AdaptiveAvgPool3DBackward0', [x], compose);
}

/** Max pooling to a fixed output size, as torch.nn.functional.adaptive_max_pool3d; with returnIndices: [output, indices]. */
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices: true }): [Tensor, Tensor];
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: false }): Tensor;
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize, options?: { returnIndices?: boolean }): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize, options: { returnIndices?: boolean } = {}): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool3d';
  // As PyTorch, an unbatched input may have no channels (its slices stay unbatched for the 2-D pooling, which allows that).
  const { x5, unbatched } = poolInput3d(x, op, x instanceof Tensor && x.ndim === 4);
  const [OD, OH, OW] = adaptiveSizes3d(outputSize, x5, op);
  const [N, C, D, H, W] = x5.shape;
  const windows = adaptiveWindows(D, OD);
  let indices = null as Tensor | null;
  const compose = (xi: Tensor) => {
    const [slices, planeIdx] = adaptiveMaxPool2d(xi.reshape(unbatched ? [C * D, H, W] : [N, C * D, H, W]), [OH, OW], { returnIndices: true });
    const [values, idx] = depthMax(slices.reshape([N, C, D, OH, OW]), planeIdx, windows, H * W, () => 0);
    indices = idx;
    return unbatch(values, unbatched);
  };
  const y = recordAsOne('AdaptiveMaxPool3DBackward0', [x], compose);
  return options.returnIndices ? [y, unbatch(indices!, unbatched)] : y;
}
