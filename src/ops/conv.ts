/**
 * Convolutions over the backend's conv2d kernels (NCHW, OIHW weights):
 * conv2d / conv1d and their transposes. Each has one explicit gradient rule:
 *   conv:            dx = conv2dBackwardInput(dy, w),  dw = conv2dBackwardWeight(dy, x)
 *   conv transposed: y  = conv2dBackwardInput(x, w),   dx = conv2d(dy, w),  dw = conv2dBackwardWeight(x, dy)
 * (a transposed convolution is the adjoint of the convolution from its output space to its input space).
 * 1-D versions run as 2-D with a height of 1; unbatched inputs (no N) get a batch of 1, as in PyTorch.
 */
import type { Conv2dGeometry, ConvPost, FloatArray } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { recordAsOne } from '../autograd/fused.js';
import { needsGrad, record } from '../autograd/node.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty, uninitialized } from './util.js';
import { pad } from './pad.js';
import { indexSelect } from './indexing.js';

/** A size per spatial dim: one number for all, or one per dim ([h, w] in 2-D). */
export type SizeArg = number | readonly number[];

export interface ConvOptions {
  stride?: SizeArg;
  /** Zero padding per side, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: SizeArg | 'same' | 'valid';
  dilation?: SizeArg;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: SizeArg;
  padding?: SizeArg;
  /** Extra size added to one side of each output dim (smaller than stride or dilation). */
  outputPadding?: SizeArg;
  groups?: number;
  dilation?: SizeArg;
}

/** The contiguous elements of a float tensor as exactly `size` values (the storage itself when possible). */
export function denseData(x: Tensor): FloatArray {
  return x.contiguous().data() as FloatArray;
}

/** A size argument as `n` integers (PyTorch's _pair / _single), each checked against `min`. */
export function sizeList(v: SizeArg | undefined, def: number, n: number, name: string, op: string, min: number): number[] {
  const raw = v === undefined || v === null ? def : v;
  let list: number[];
  if (typeof raw === 'number') list = Array(n).fill(raw);
  else if (Array.isArray(raw) && raw.length === n) list = [...raw];
  else if (Array.isArray(raw) && raw.length === 1) list = Array(n).fill(raw[0]);
  else {
    const form = n === 1 ? 'a number' : `a number or a list of ${n} numbers`;
    throw new Error(`${op}: ${name} must be ${form}, got ${JSON.stringify(raw)}`);
  }
  if (list.some((s) => !Number.isInteger(s) || s < min)) {
    throw new Error(`${op}: ${name} must be ${min === 0 ? 'non-negative' : 'positive'} integers, got ${shapeStr(list)}`);
  }
  return list;
}

function checkGroups(groups: number | undefined, op: string): number {
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new Error(`${op}: groups must be a positive integer, got ${g}`);
  return g;
}

function checkSameDType(x: Tensor, w: Tensor, bias: Tensor | null | undefined, op: string): void {
  checkFloat(x, op);
  if (w.dtype !== x.dtype) throw new Error(`${op}: expected input and weight to have the same dtype, got ${x.dtype} and ${w.dtype}`);
  if (bias && bias.dtype !== x.dtype) throw new Error(`${op}: expected input and bias to have the same dtype, got ${x.dtype} and ${bias.dtype}`);
}

/** Accept [N, C, *spatial] or unbatched [C, *spatial]; returns the batched input and whether a batch dim was added. */
function batchInput(x: Tensor, spatial: number, op: string): [Tensor, boolean] {
  if (x.ndim === spatial + 2) return [x, false];
  if (x.ndim === spatial + 1) return [x.unsqueeze(0), true];
  const names = spatial === 2 ? '[N, C, H, W] or unbatched [C, H, W]' : '[N, C, L] or unbatched [C, L]';
  throw new Error(`${op}: expected a ${spatial + 2}-D input ${names}, got input of shape ${shapeStr(x.shape)}`);
}

// ---- convolution ----------------------------------------------------------------------

/** 2-D cross-correlation, as torch.nn.functional.conv2d (input [N, C, H, W] or [C, H, W], weight [O, C/groups, kH, kW]). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(2, 'conv2d', x, weight, bias, options);
}

/** 1-D cross-correlation, as torch.nn.functional.conv1d (input [N, C, L] or [C, L], weight [O, C/groups, k]). */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(1, 'conv1d', x, weight, bias, options);
}

/**
 * Inference-time fusion: conv2d, then per output channel out·scale + shift and an activation, in one kernel
 * pass over the output while it is still in cache (what Conv2d → BatchNorm2d in evaluation → ReLU, ReLU6,
 * SiLU or Hardswish compute; see nn/fusion.ts). Records nothing, so no input may need a gradient.
 */
export function conv2dFused(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions, post: ConvPost): Tensor {
  if (needsGrad(x, weight, bias)) throw new Error('conv2dFused: inference only, but an input requires a gradient');
  return convNdSteps(2, 'conv2d', x, weight, bias, options, post);
}

function convNd(spatial: 1 | 2, op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions): Tensor {
  // 1-D and unbatched inputs run through reshaping steps around the 2-D kernel: one node as PyTorch's.
  const reshaped = spatial === 1 || x?.ndim === spatial + 1 || options.padding === 'same';
  if (!reshaped || !needsGrad(x, weight, bias)) return convNdSteps(spatial, op, x, weight, bias, options);
  return recordAsOne('ConvolutionBackward0', [x, weight, bias], (xi, wi, bi) => convNdSteps(spatial, op, xi, wi, bi, options));
}

function convNdSteps(
  spatial: 1 | 2, op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvOptions, post?: ConvPost,
): Tensor {
  checkTensor(x, op);
  checkTensor(weight, op, 'weight');
  if (bias !== null && bias !== undefined) checkTensor(bias, op, 'bias');
  checkSameDType(x, weight, bias, op);
  if (weight.ndim !== spatial + 2) {
    const form = spatial === 2 ? '[outC, inC/groups, kH, kW]' : '[outC, inC/groups, k]';
    throw new Error(`${op}: expected a ${spatial + 2}-D weight ${form}, got weight of shape ${shapeStr(weight.shape)}`);
  }
  const [xb, unbatched] = batchInput(x, spatial, op);
  const groups = checkGroups(options.groups, op);
  const outC = weight.shape[0];
  const inC = weight.shape[1] * groups;
  if (xb.shape[1] !== inC) {
    throw new Error(
      `${op}: expected input with ${inC} channels (weight ${shapeStr(weight.shape)}, groups ${groups}), got input of shape ${shapeStr(x.shape)}`,
    );
  }
  if (outC % groups !== 0) {
    throw new Error(`${op}: the weight's ${outC} output channels must be divisible by groups ${groups} (weight ${shapeStr(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: expected bias of shape [${outC}] (weight ${shapeStr(weight.shape)}), got bias of shape ${shapeStr(bias.shape)}`);
  }
  const kernel = weight.shape.slice(2);
  const stride = sizeList(options.stride, 1, spatial, 'stride', op, 1);
  const dilation = sizeList(options.dilation, 1, spatial, 'dilation', op, 1);
  let input = xb;
  let padding: number[];
  const mode = options.padding;
  if (mode === 'valid') {
    padding = Array(spatial).fill(0);
  } else if (mode === 'same') {
    if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding 'same' is not supported for strided convolutions (stride ${shapeStr(stride)})`);
    // PyTorch: total d·(k−1) per dim, half on each side; an odd total puts the extra one on the right/bottom.
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    padding = total.map((t) => Math.floor(t / 2));
    const extra = total.map((t) => t % 2);
    if (extra.some((e) => e)) input = pad(input, extra.slice().reverse().flatMap((e) => [0, e]));
  } else if (typeof mode === 'string') {
    throw new Error(`${op}: padding must be a number, a list of numbers, 'same' or 'valid', got '${mode}'`);
  } else {
    padding = sizeList(mode, 0, spatial, 'padding', op, 0);
  }
  const inSizes = input.shape.slice(2);
  const outSizes = inSizes.map((n, i) => Math.floor((n + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1);
  if (outSizes.some((o) => o < 1)) {
    const padded = inSizes.map((n, i) => n + 2 * padding[i]);
    const dilated = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
    throw new Error(
      `${op}: the padded input size ${shapeStr(padded)} (input ${shapeStr(x.shape)}, padding ${shapeStr(padding)}) is smaller than ` +
        `the dilated kernel size ${shapeStr(dilated)}`,
    );
  }
  // 1-D runs as 2-D with a unit height.
  const x4 = spatial === 1 ? input.unsqueeze(2) : input;
  const w4 = spatial === 1 ? weight.unsqueeze(2) : weight;
  const two = (v: number[], unit: number): [number, number] => (spatial === 1 ? [unit, v[0]] : [v[0], v[1]]);
  const [kH, kW] = two(kernel, 1);
  const [strideH, strideW] = two(stride, 1);
  const [padH, padW] = two(padding, 0);
  const [dilationH, dilationW] = two(dilation, 1);
  const [outH, outW] = two(outSizes, 1);
  const geo: Conv2dGeometry = {
    n: x4.shape[0], inC, inH: x4.shape[2], inW: x4.shape[3], outC, outH, outW,
    kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, groups,
  };
  let out = conv2dRaw(x4, w4, bias ?? null, geo, undefined, post);
  if (spatial === 1) out = out.squeeze(2);
  return unbatched ? out.squeeze(0) : out;
}

// ---- the three raw convolution ops ---------------------------------------------------------------
// On 4-D tensors with a worked-out geometry: the convolution y = x ⋆ w, its input gradient
// dx = ∂(dy, w) (also the transposed convolution's forward) and its weight gradient dw = ∇(dy, x).
// Each is linear in each argument, so the gradient of each is made of the other two: backward through
// backward (createGraph; PyTorch's ConvolutionBackwardBackward0) needs nothing more.

/** Node name of a raw op recorded while a backward pass is itself recorded. */
const DOUBLE_BACKWARD = 'ConvolutionBackwardBackward0';

function conv2dRaw(x: Tensor, w: Tensor, bias: Tensor | null, geo: Conv2dGeometry, name = 'ConvolutionBackward0', post?: ConvPost): Tensor {
  const out = uninitialized([geo.n, geo.outC, geo.outH, geo.outW], x.dtype);
  kernels().conv2d(denseData(x), denseData(w), bias ? denseData(bias) : null, geo, out.storage as FloatArray, post);
  if (!needsGrad(x, w, bias)) return out;
  const inputs = bias ? [x, w, bias] : [x, w];
  const backward = (grad: Tensor) => {
    const g = grad.to(x.dtype);
    return [
      x.requiresGrad ? convInputGrad(g, w, geo, DOUBLE_BACKWARD) : null,
      w.requiresGrad ? convWeightGrad(g, x, geo, DOUBLE_BACKWARD) : null,
      bias?.requiresGrad ? g.sum([0, 2, 3]) : null,
    ];
  };
  return record(out, name, inputs, backward, [x, w]);
}

/** ∂(dy, w): the input gradient [n, inC, inH, inW] of a convolution from its output gradient dy. */
function convInputGrad(dy: Tensor, w: Tensor, geo: Conv2dGeometry, name: string): Tensor {
  const out = uninitialized([geo.n, geo.inC, geo.inH, geo.inW], dy.dtype);
  kernels().conv2dBackwardInput(denseData(dy), denseData(w), geo, out.storage as FloatArray);
  if (!needsGrad(dy, w)) return out;
  const backward = (grad: Tensor) => {
    const g = grad.to(dy.dtype);
    return [
      dy.requiresGrad ? conv2dRaw(g, w, null, geo, DOUBLE_BACKWARD) : null,
      w.requiresGrad ? convWeightGrad(dy, g, geo, DOUBLE_BACKWARD) : null,
    ];
  };
  return record(out, name, [dy, w], backward, [dy, w]);
}

/** ∇(dy, x): the weight gradient [outC, inC/groups, kH, kW] of a convolution from dy and its input x. */
function convWeightGrad(dy: Tensor, x: Tensor, geo: Conv2dGeometry, name: string): Tensor {
  const out = uninitialized([geo.outC, geo.inC / geo.groups, geo.kH, geo.kW], dy.dtype);
  kernels().conv2dBackwardWeight(denseData(dy), denseData(x), geo, out.storage as FloatArray);
  if (!needsGrad(dy, x)) return out;
  const backward = (grad: Tensor) => {
    const g = grad.to(dy.dtype);
    return [
      dy.requiresGrad ? conv2dRaw(x, g, null, geo, DOUBLE_BACKWARD) : null,
      x.requiresGrad ? convInputGrad(dy, g, geo, DOUBLE_BACKWARD) : null,
    ];
  };
  return record(out, name, [dy, x], backward, [dy, x]);
}

// ---- transposed convolution ------------------------------------------------------------

/**
 * 2-D transposed convolution, as torch.nn.functional.conv_transpose2d: input [N, inC, H, W] (or unbatched),
 * weight [inC, outC/groups, kH, kW]; output size (H−1)·stride − 2·padding + dilation·(k−1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(2, 'convTranspose2d', x, weight, bias, options);
}

/** 1-D transposed convolution (input [N, inC, L] or [inC, L], weight [inC, outC/groups, k]). */
export function convTranspose1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(1, 'convTranspose1d', x, weight, bias, options);
}

function convTransposeNd(
  spatial: 1 | 2, op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: ConvTransposeOptions,
): Tensor {
  checkTensor(x, op);
  checkTensor(weight, op, 'weight');
  if (bias !== null && bias !== undefined) checkTensor(bias, op, 'bias');
  checkSameDType(x, weight, bias, op);
  if (weight.ndim !== spatial + 2) {
    const form = spatial === 2 ? '[inC, outC/groups, kH, kW]' : '[inC, outC/groups, k]';
    throw new Error(`${op}: expected a ${spatial + 2}-D weight ${form}, got weight of shape ${shapeStr(weight.shape)}`);
  }
  const [xb, unbatched] = batchInput(x, spatial, op);
  const groups = checkGroups(options.groups, op);
  const inC = weight.shape[0];
  const outC = weight.shape[1] * groups;
  if (xb.shape[1] !== inC) {
    throw new Error(
      `${op}: expected input with ${inC} channels (weight ${shapeStr(weight.shape)}, groups ${groups}), got input of shape ${shapeStr(x.shape)}`,
    );
  }
  if (inC % groups !== 0) {
    throw new Error(`${op}: the weight's ${inC} input channels must be divisible by groups ${groups} (weight ${shapeStr(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: expected bias of shape [${outC}] (weight ${shapeStr(weight.shape)}, groups ${groups}), got bias of shape ${shapeStr(bias.shape)}`);
  }
  if (typeof options.padding === 'string') throw new Error(`${op}: padding must be a number or a list of numbers, got '${options.padding}'`);
  const kernel = weight.shape.slice(2);
  const stride = sizeList(options.stride, 1, spatial, 'stride', op, 1);
  const padding = sizeList(options.padding, 0, spatial, 'padding', op, 0);
  const outputPadding = sizeList(options.outputPadding, 0, spatial, 'outputPadding', op, 0);
  const dilation = sizeList(options.dilation, 1, spatial, 'dilation', op, 1);
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    throw new Error(
      `${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${shapeStr(outputPadding)}, ` +
        `stride ${shapeStr(stride)}, dilation ${shapeStr(dilation)}`,
    );
  }
  const inSizes = xb.shape.slice(2);
  const outSizes = inSizes.map((n, i) => (n - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
  if (outSizes.some((o) => o < 1)) {
    throw new Error(`${op}: the output size ${shapeStr(outSizes)} is too small (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)}, padding ${shapeStr(padding)})`);
  }
  const x4 = spatial === 1 ? xb.unsqueeze(2) : xb;
  const w4 = spatial === 1 ? weight.unsqueeze(2) : weight;
  const two = (v: number[], unit: number): [number, number] => (spatial === 1 ? [unit, v[0]] : [v[0], v[1]]);
  const [kH, kW] = two(kernel, 1);
  const [strideH, strideW] = two(stride, 1);
  const [padH, padW] = two(padding, 0);
  const [dilationH, dilationW] = two(dilation, 1);
  const [outH, outW] = two(outSizes, 1);
  // The geometry of the convolution this op transposes: from the output space [n, outC, outH, outW] to x.
  const geo: Conv2dGeometry = {
    n: x4.shape[0], inC: outC, inH: outH, inW: outW, outC: inC, outH: x4.shape[2], outW: x4.shape[3],
    kH, kW, strideH, strideW, padH, padW, dilationH, dilationW, groups,
  };
  let out = convInputGrad(x4, w4, geo, 'ConvolutionBackward0');
  if (bias) out = out.add(bias.reshape([outC, 1, 1]));
  if (spatial === 1) out = out.squeeze(2);
  return unbatched ? out.squeeze(0) : out;
}

// ---- unfold / fold (im2col and its adjoint) -------------------------------------------------------

export interface UnfoldOptions {
  dilation?: SizeArg;
  padding?: SizeArg;
  stride?: SizeArg;
}

/** As PyTorch's im2col / col2im: only the batch dim may be empty. */
function checkNonEmpty(x: Tensor, batched: boolean, op: string): void {
  if (x.shape.slice(batched ? 1 : 0).some((d) => d === 0)) {
    throw new Error(`${op}: expected non-empty dims${batched ? ' after the batch dim' : ''}, got input of shape ${shapeStr(x.shape)}`);
  }
}

/**
 * Where each column entry of unfold reads in the zero-padded plane [Hp, Wp]: [kh][kw][oh][ow] order, so
 * column row c·kH·kW + kh·kW + kw and position oh·oW + ow (torch's im2col layout). Gathering (not a
 * convolution) keeps a NaN or an infinity in the one entry that holds it.
 */
function im2colIndex(
  op: string, inputSize: number[], Wp: number, kernel: number[], stride: number[], padding: number[], dilation: number[],
): { index: Int32Array; blocks: number[] } {
  const blocks = inputSize.map((n, i) => Math.floor((n + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1);
  if (blocks.some((b) => b < 1)) {
    throw new Error(
      `${op}: the sliding blocks of input size ${shapeStr(inputSize)} with kernel ${shapeStr(kernel)}, padding ${shapeStr(padding)}, ` +
        `stride ${shapeStr(stride)}, dilation ${shapeStr(dilation)} would be ${shapeStr(blocks)}: each must be at least one`,
    );
  }
  const [kH, kW] = kernel;
  const [bH, bW] = blocks;
  const index = new Int32Array(kH * kW * bH * bW);
  let k = 0;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      for (let oh = 0; oh < bH; oh++) {
        const row = (oh * stride[0] + kh * dilation[0]) * Wp;
        for (let ow = 0; ow < bW; ow++) index[k++] = row + ow * stride[1] + kw * dilation[1];
      }
    }
  }
  return { index, blocks };
}

/**
 * Sliding local blocks of a batched image [N, C, H, W] (or [C, H, W]) as columns: [N, C·kH·kW, L], as
 * torch.nn.functional.unfold (im2col).
 */
export function unfold(x: Tensor, kernelSize: SizeArg, options: UnfoldOptions = {}): Tensor {
  const op = 'unfold';
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected a 4-D input [N, C, H, W] or unbatched [C, H, W], got input of shape ${shapeStr(x.shape)}`);
  checkNonEmpty(x, x.ndim === 4, op);
  const kernel = sizeList(kernelSize, 1, 2, 'kernelSize', op, 1);
  const stride = sizeList(options.stride, 1, 2, 'stride', op, 1);
  const padding = sizeList(options.padding, 0, 2, 'padding', op, 0);
  const dilation = sizeList(options.dilation, 1, 2, 'dilation', op, 1);
  const [N, C, H, W] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
  const [Hp, Wp] = [H + 2 * padding[0], W + 2 * padding[1]];
  const { index, blocks } = im2colIndex(op, [H, W], Wp, kernel, stride, padding, dilation);
  const columns = (input: Tensor) => {
    const padded = pad(input.reshape([N, C, H, W]), [padding[1], padding[1], padding[0], padding[0]]);
    const cols = indexSelect(padded.reshape([N, C, Hp * Wp]), 2, new Tensor(index, [index.length]));
    const out = cols.reshape([N, C * kernel[0] * kernel[1], blocks[0] * blocks[1]]);
    return input.ndim === 3 ? out.squeeze(0) : out;
  };
  // torch's unfold is one Im2ColBackward0 node.
  return needsGrad(x) ? recordAsOne('Im2ColBackward0', [x], columns) : columns(x);
}

/** The adjoint of indexSelect along dim 2: out [N, C, n] with out[:, :, index[j]] += x[:, :, j]. */
function indexAddLast(x: Tensor, index: Int32Array, n: number): Tensor {
  const out = empty([x.shape[0], x.shape[1], n], x.dtype);
  kernels().indexAdd(denseData(x), out.shape, 2, index, out.storage as FloatArray);
  if (!needsGrad(x)) return out;
  return record(out, 'Col2ImBackward0', [x], (g) => [indexSelect(g, 2, new Tensor(index, [index.length]))]);
}

/** The adjoint of unfold: sum columns [N, C·kH·kW, L] back into an image [N, C, outputSize], as torch.nn.functional.fold (col2im). */
export function fold(x: Tensor, outputSize: SizeArg, kernelSize: SizeArg, options: UnfoldOptions = {}): Tensor {
  const op = 'fold';
  checkTensor(x, op);
  checkFloat(x, op);
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`${op}: expected a 3-D input [N, C·kH·kW, L] or unbatched [C·kH·kW, L], got input of shape ${shapeStr(x.shape)}`);
  checkNonEmpty(x, x.ndim === 3, op);
  const [oH, oW] = sizeList(outputSize, 1, 2, 'outputSize', op, 1);
  const [kH, kW] = sizeList(kernelSize, 1, 2, 'kernelSize', op, 1);
  const stride = sizeList(options.stride, 1, 2, 'stride', op, 1);
  const padding = sizeList(options.padding, 0, 2, 'padding', op, 0);
  const dilation = sizeList(options.dilation, 1, 2, 'dilation', op, 1);
  const xb = x.ndim === 2 ? x.unsqueeze(0) : x;
  const [N, CK, L] = xb.shape;
  if (CK % (kH * kW) !== 0) {
    throw new Error(`${op}: expected the size of dim 1 (${CK}) to be divisible by the kernel area ${kH * kW} (kernel ${shapeStr([kH, kW])}), got input of shape ${shapeStr(x.shape)}`);
  }
  const [Hp, Wp] = [oH + 2 * padding[0], oW + 2 * padding[1]];
  const { index, blocks } = im2colIndex(op, [oH, oW], Wp, [kH, kW], stride, padding, dilation);
  if (blocks[0] * blocks[1] !== L) {
    throw new Error(
      `${op}: expected ${blocks[0] * blocks[1]} blocks (${shapeStr(blocks)}) for outputSize ${shapeStr([oH, oW])}, kernel ${shapeStr([kH, kW])}, ` +
        `padding ${shapeStr(padding)}, stride ${shapeStr(stride)}, dilation ${shapeStr(dilation)}, got input of shape ${shapeStr(x.shape)}`,
    );
  }
  const C = CK / (kH * kW);
  // Sum every column entry into its place in the padded image, then crop the padding.
  const image = (input: Tensor) =>
    indexAddLast(input.reshape([N, C, kH * kW * L]), index, Hp * Wp).reshape([N, C, Hp, Wp]).narrow(2, padding[0], oH).narrow(3, padding[1], oW);
  const out = needsGrad(x) ? recordAsOne('Col2ImBackward0', [x], image) : image(x);
  return x.ndim === 2 ? out.squeeze(0) : out;
}
