import type { ReduceOp } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { needsGrad, record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkDType, isFloat, type DType } from '../tensor/dtype.js';
import { normalizeDim, normalizeDims, shapeStr, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty } from './util.js';
import { maximum, minimum } from './binary.js';
import { scatterAdd } from './indexing.js';

export interface VarOptions {
  /** Subtracted from the count in the divisor (1 = Bessel's correction, the default). */
  correction?: number;
  /** Legacy form: true means correction 1, false correction 0. */
  unbiased?: boolean;
  keepdim?: boolean;
}

/** Values and indices of max/min along a dim; destructure as [values, indices] or read .values/.indices. */
export type MaxMinResult = [Tensor, Tensor] & { values: Tensor; indices: Tensor };

type Dims = number | readonly number[] | null | undefined;

/**
 * keepdim given positionally, as in PyTorch's order (x.sum(1, true)), or in an options object
 * (x.sum(1, { keepdim: true })).
 */
export type KeepdimOption = boolean | { keepdim?: boolean };
/** sum / mean / prod also take PyTorch's `dtype`: the input is converted to it before reducing. */
export type ReduceOptions = boolean | { keepdim?: boolean; dtype?: DType };

function reduceOptions(options: ReduceOptions | undefined | null, op: string): { keepdim: boolean; dtype?: DType } {
  if (options === undefined || options === null) return { keepdim: false };
  if (typeof options === 'boolean') return { keepdim: options };
  if (typeof options !== 'object') throw new Error(`${op}: expected keepdim (a boolean) or an options object { keepdim, dtype }, got ${typeof options}`);
  const { keepdim = false, dtype } = options as { keepdim?: boolean; dtype?: DType };
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: keepdim must be a boolean, got ${typeof keepdim}`);
  return { keepdim, dtype: dtype === undefined ? undefined : checkDType(dtype, op) };
}

/** The keepdim flag of a reduction's last argument (a boolean or { keepdim }). */
export function keepdimOf(options: KeepdimOption | undefined | null, op: string): boolean {
  const { keepdim, dtype } = reduceOptions(options, op);
  if (dtype !== undefined) throw new Error(`${op}: does not take a dtype option`);
  return keepdim;
}

/** Shape after reducing `dims`, with or without the size-1 dims kept. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (dims.includes(i) ? 1 : d)) : shape.filter((_, i) => !dims.includes(i));
}

/** The number of elements each reduction over `dims` combines (a 0-d tensor's dim 0 has one). */
function groupSize(shape: readonly number[], dims: readonly number[]): number {
  return dims.reduce((n, d) => n * (shape[d] ?? 1), 1);
}

/** Expand a reduced gradient back over the reduced dims of `shape`. */
function expandBack(g: Tensor, shape: readonly number[], dims: readonly number[], keepdim: boolean): Tensor {
  const kept = keepdim ? g : g.reshape(reducedShape(shape, dims, true));
  return kept.expand([...shape]);
}

function runReduce(op: ReduceOp, x: Tensor, dims: number[], keepdim: boolean, dtype: DType): Tensor {
  const input = x.contiguous();
  const out = empty(reducedShape(x.shape, dims, keepdim), dtype);
  // A 0-d tensor accepts dim 0 / -1, but the kernel's axes must exist in its shape.
  const axes = dims.filter((d) => d < x.ndim);
  kernels().reduce(op, input.storage.subarray(input.offset, input.offset + input.size) as never, x.shape, axes, out.storage);
  return out;
}

/** Sum over dims (all by default). Integer and bool inputs sum to int32 (PyTorch: int64; int32 wraps on overflow). */
export function sum(x0: Tensor, dim?: Dims, options?: ReduceOptions): Tensor {
  checkTensor(x0, 'sum');
  const { keepdim, dtype: requested } = reduceOptions(options, 'sum');
  const x = requested ? x0.to(requested) : x0;
  const dims = normalizeDims(dim, x.ndim, 'sum');
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int32';
  let out = runReduce('sum', x, dims, keepdim, dtype);
  if (requested && requested !== dtype) out = out.to(requested);
  if (!needsGrad(x)) return out;
  const name = dim === undefined || dim === null ? 'SumBackward0' : 'SumBackward1';
  return record(out, name, [x], (g) => [expandBack(g, x.shape, dims, keepdim)]);
}

export function mean(x0: Tensor, dim?: Dims, options?: ReduceOptions): Tensor {
  checkTensor(x0, 'mean');
  const { keepdim, dtype: requested } = reduceOptions(options, 'mean');
  const x = requested ? x0.to(requested) : x0;
  if (!isFloat(x.dtype)) {
    throw new Error(`mean: input dtype must be floating point (float32 or float64), got ${x.dtype}; convert with .float() first or pass { dtype: 'float32' }`);
  }
  const dims = normalizeDims(dim, x.ndim, 'mean');
  const count = groupSize(x.shape, dims);
  const out = noGrad(() => sum(x, dims, keepdim).div(count));
  if (!needsGrad(x)) return out;
  // One node named as PyTorch's (it saves no tensors, so backward may run through it twice).
  const name = dim === undefined || dim === null ? 'MeanBackward0' : 'MeanBackward1';
  return record(out, name, [x], (g) => [expandBack(g, x.shape, dims, keepdim).div(count)]);
}

export function prod(x0: Tensor, dim?: number | null, options?: ReduceOptions): Tensor {
  checkTensor(x0, 'prod');
  if (Array.isArray(dim)) throw new Error(`prod: dim must be a single dimension (an integer), got ${JSON.stringify(dim)}`);
  const { keepdim, dtype: requested } = reduceOptions(options, 'prod');
  const x = requested ? x0.to(requested) : x0;
  const dims = normalizeDims(dim, x.ndim, 'prod');
  let out = runReduce('prod', x, dims, keepdim, isFloat(x.dtype) ? x.dtype : 'int32');
  if (requested && requested !== out.dtype) out = out.to(requested);
  if (!needsGrad(x)) return out;
  // As torch's prod_backward: g for a 0-d input; g·(prod / x) when no input is zero (so a NaN or infinite
  // input makes its group's gradient NaN, as there); zeros for the product of all elements with several
  // zeros; else the product of the others, computed without dividing.
  const whole = dim === undefined || dim === null;
  return record(out, whole ? 'ProdBackward0' : 'ProdBackward1', [x], (g) => {
    const gradFull = expandBack(g, x.shape, dims, keepdim);
    if (x.ndim === 0) return [gradFull];
    const zeros = x.eq(0).sum().item();
    if (zeros === 0) return [gradFull.mul(expandBack(out, x.shape, dims, keepdim).div(x))];
    if (whole && zeros > 1) return [empty(x.shape, g.dtype)];
    return [gradFull.mul(productOfOthers(x, dims))];
  });
}

/** For each element, the product of the other elements of its reduction group. */
function productOfOthers(x: Tensor, dims: number[]): Tensor {
  const moved = x.permute([...x.shape.keys()].filter((d) => !dims.includes(d)).concat(dims)).contiguous();
  const group = groupSize(x.shape, dims);
  const values = moved.data();
  const result = empty(moved.shape, x.dtype);
  const r = result.storage;
  for (let start = 0; start < values.length; start += group) {
    let prefix = 1;
    for (let i = 0; i < group; i++) {
      r[start + i] = prefix;
      prefix *= values[start + i];
    }
    let suffix = 1;
    for (let i = group - 1; i >= 0; i--) {
      r[start + i] *= suffix;
      suffix *= values[start + i];
    }
  }
  const order = [...x.shape.keys()].filter((d) => !dims.includes(d)).concat(dims);
  const inverse = order.map((_, i) => order.indexOf(i));
  return result.permute(inverse);
}

/** Max over dims; the gradient is shared equally among tied maxima (as torch.amax). */
export function amax(x: Tensor, dim?: Dims, keepdim: KeepdimOption = false): Tensor {
  return extremum('max', x, dim, keepdimOf(keepdim, 'amax'));
}

export function amin(x: Tensor, dim?: Dims, keepdim: KeepdimOption = false): Tensor {
  return extremum('min', x, dim, keepdimOf(keepdim, 'amin'));
}

function extremum(op: 'max' | 'min', x: Tensor, dim: Dims, keepdim: boolean, name: string = op === 'max' ? 'amax' : 'amin'): Tensor {
  checkTensor(x, name);
  const dims = normalizeDims(dim, x.ndim, name);
  if (dims.some((d) => x.shape[d] === 0) || (dims.length === 0 && x.size === 0)) {
    throw new Error(`${name}: cannot reduce over a zero-size dimension of shape ${shapeStr(x.shape)}`);
  }
  const out = runReduce(op, x, dims, keepdim, x.dtype);
  if (!needsGrad(x)) return out;
  // x.max() / x.min() are PyTorch's max/min overload 1 (MaxBackward1); amax/amin have their own nodes.
  const nodeName = name === 'max' ? 'MaxBackward1' : name === 'min' ? 'MinBackward1' : op === 'max' ? 'AmaxBackward0' : 'AminBackward0';
  return record(out, nodeName, [x], (g) => {
    // x.max() / x.min() of a tensor holding NaN share the gradient among the NaNs (torch's evenly_distribute_backward;
    // amax / amin compare with the result, so there a NaN makes the whole gradient NaN).
    const nanOfAll = (name === 'max' || name === 'min') && Number.isNaN(out.item());
    const hit = (nanOfAll ? x.isnan() : x.eq(expandBack(out, x.shape, dims, keepdim))).to(x.dtype);
    const count = hit.sum(dims, true);
    return [expandBack(g, x.shape, dims, keepdim).mul(hit).div(count)];
  });
}

function extremumDim(op: 'argmax' | 'argmin', x: Tensor, dim: number, keepdim: boolean): MaxMinResult {
  const name = op === 'argmax' ? 'max' : 'min';
  checkTensor(x, name);
  const d = normalizeDim(dim, x.ndim, name);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${name}: cannot reduce over a zero-size dimension`);
  const indices = argReduce(op, x, d, keepdim);
  const keptIndices = keepdim || x.ndim === 0 ? indices : indices.unsqueeze(d);
  const values = noGrad(() => (x.ndim === 0 ? x.clone() : x.gather(d, keptIndices)));
  const result = keepdim || x.ndim === 0 ? values : noGrad(() => values.squeeze(d));
  if (needsGrad(x)) {
    // One node, as PyTorch's MaxBackward0 / MinBackward0: the gradient goes to the chosen index only.
    const nodeName = op === 'argmax' ? 'MaxBackward0' : 'MinBackward0';
    record(result, nodeName, [x], (g) => {
      if (x.ndim === 0) return [g];
      const kept = keepdim ? g : g.unsqueeze(d);
      return [scatterAdd(empty(x.shape, g.dtype), d, keptIndices, kept)];
    }, [keptIndices]);
  }
  return Object.assign([result, indices], { values: result, indices }) as unknown as MaxMinResult;
}

/**
 * torch.max's three forms: max(x) is the largest element, max(x, dim) the values and indices along dim,
 * max(x, other) the elementwise maximum.
 */
export function maxDim(x: Tensor): Tensor;
export function maxDim(x: Tensor, other: Tensor): Tensor;
export function maxDim(x: Tensor, dim: number, keepdim?: KeepdimOption): MaxMinResult;
export function maxDim(x: Tensor, dim?: number | Tensor | null, keepdim: KeepdimOption = false): MaxMinResult | Tensor {
  if (dim instanceof Tensor) return maximum(x, dim);
  if (dim === undefined || dim === null) return extremum('max', x, null, false, 'max');
  return extremumDim('argmax', x, dim, keepdimOf(keepdim, 'max'));
}

/** torch.min's three forms, as maxDim. */
export function minDim(x: Tensor): Tensor;
export function minDim(x: Tensor, other: Tensor): Tensor;
export function minDim(x: Tensor, dim: number, keepdim?: KeepdimOption): MaxMinResult;
export function minDim(x: Tensor, dim?: number | Tensor | null, keepdim: KeepdimOption = false): MaxMinResult | Tensor {
  if (dim instanceof Tensor) return minimum(x, dim);
  if (dim === undefined || dim === null) return extremum('min', x, null, false, 'min');
  return extremumDim('argmin', x, dim, keepdimOf(keepdim, 'min'));
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number, keepdim: boolean): Tensor {
  const input = x.contiguous();
  const shape = x.ndim === 0 ? [1] : x.shape;
  const out = empty(x.ndim === 0 ? [] : reducedShape(x.shape, [dim], keepdim), 'int32');
  kernels().argReduce(op, input.storage.subarray(input.offset, input.offset + input.size) as never, shape, dim, out.storage as Int32Array);
  return out;
}

export function argmax(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor {
  return argExtremum('argmax', x, dim, keepdimOf(keepdim, 'argmax'));
}

export function argmin(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor {
  return argExtremum('argmin', x, dim, keepdimOf(keepdim, 'argmin'));
}

function argExtremum(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  checkTensor(x, op);
  if (x.dtype === 'bool') throw new Error(`${op}: not implemented for bool tensors (convert with .int() first)`);
  if (dim === undefined || dim === null) {
    // An empty tensor has no first extreme element (PyTorch raises rather than answering 0).
    if (x.size === 0) throw new Error(`${op}: expected a non-empty tensor when dim is not given, got shape ${shapeStr(x.shape)}`);
    const flat = argReduce(op, x.reshape([-1]), 0, false);
    return keepdim ? flat.reshape(x.shape.map(() => 1)) : flat;
  }
  const d = normalizeDim(dim, x.ndim, op);
  if (x.ndim > 0 && x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dimension ${dim} of size 0 (shape ${shapeStr(x.shape)})`);
  return argReduce(op, x, d, keepdim);
}

function varianceOptions(options: VarOptions | boolean | undefined): { correction: number; keepdim: boolean } {
  if (typeof options === 'boolean') return { correction: options ? 1 : 0, keepdim: false };
  const correction = options?.correction ?? (options?.unbiased === false ? 0 : 1);
  return { correction, keepdim: options?.keepdim ?? false };
}

/** Variance with Bessel's correction by default (torch.var). */
export function variance(x: Tensor, dim?: Dims, options?: VarOptions | boolean): Tensor {
  checkTensor(x, 'var');
  checkFloat(x, 'var');
  const { correction, keepdim } = varianceOptions(options);
  const dims = normalizeDims(dim, x.ndim, 'var');
  const divisor = Math.max(groupSize(x.shape, dims) - correction, 0);
  const out = noGrad(() => sum(x.sub(mean(x, dims, true)).square(), dims, keepdim).div(divisor));
  if (!needsGrad(x)) return out;
  // One node, as PyTorch's VarBackward0: d var / dx = 2·(x − mean) / (N − correction).
  return record(out, 'VarBackward0', [x], (g) => {
    const centered = x.sub(mean(x, dims, true));
    return [expandBack(g, x.shape, dims, keepdim).mul(centered).mul(2 / divisor)];
  }, [x]);
}

export function std(x: Tensor, dim?: Dims, options?: VarOptions | boolean): Tensor {
  checkTensor(x, 'std');
  checkFloat(x, 'std');
  const { correction, keepdim } = varianceOptions(options);
  const dims = normalizeDims(dim, x.ndim, 'std');
  const divisor = Math.max(groupSize(x.shape, dims) - correction, 0);
  const out = noGrad(() => variance(x, dim, options).sqrt());
  if (!needsGrad(x)) return out;
  // One node, as PyTorch's StdBackward0: d std / dx = (x − mean) / ((N − correction)·std),
  // taken as 0 where the std is 0 (a constant slice), as PyTorch's std_backward does.
  return record(out, 'StdBackward0', [x], (g) => {
    const centered = x.sub(mean(x, dims, true));
    const scale = expandBack(g.div(out.mul(divisor)).maskedFill(out.eq(0), 0), x.shape, dims, keepdim);
    return [scale.mul(centered)];
  }, [x, out]);
}

/** log Σ exp(x) over dims, computed stably around the maximum. */
export function logsumexp(x: Tensor, dim: number | readonly number[], options: KeepdimOption = false): Tensor {
  checkTensor(x, 'logsumexp');
  const keepdim = keepdimOf(options, 'logsumexp');
  const input = isFloat(x.dtype) ? x : x.to('float32');
  const dims = normalizeDims(dim, input.ndim, 'logsumexp');
  if (input.size === 0) return sum(input.exp(), dims, keepdim).log();
  // The shift is a constant for autograd: its gradient contributions cancel exactly.
  const m = amax(input.detach(), dims, true);
  const shift = m.maskedFill(m.isinf(), 0);
  const kept = noGrad(() => sum(input.sub(shift).exp(), dims, true).log().add(shift));
  const out = keepdim ? kept : noGrad(() => kept.squeeze(dims));
  if (!needsGrad(input)) return out;
  // One node, as PyTorch's LogsumexpBackward0: the gradient is g·exp(x − logsumexp) = g·softmax(x).
  return record(out, 'LogsumexpBackward0', [input], (g) => {
    return [expandBack(g, input.shape, dims, keepdim).mul(input.sub(expandBack(out, input.shape, dims, keepdim)).exp())];
  }, [input, out]);
}

/** Vector p-norm over dims (all elements by default); p may be 'fro', Infinity or -Infinity. */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: Dims, options: KeepdimOption = false): Tensor {
  checkTensor(x, 'norm');
  checkFloat(x, 'norm');
  const keepdim = keepdimOf(options, 'norm');
  if (p !== 'fro' && typeof p !== 'number') throw new Error(`norm: p must be a number, Infinity, -Infinity or 'fro', got ${JSON.stringify(p)}`);
  const dims = normalizeDims(dim, x.ndim, 'norm');
  const order = p === 'fro' ? 2 : p;
  // The ±inf norm of no elements is 0 in PyTorch (not an error as max/min of nothing is).
  const empty = dims.some((d) => x.shape[d] === 0) || x.size === 0;
  if ((order === Infinity || order === -Infinity) && empty) return sum(x.abs(), dims, keepdim);
  if (order === Infinity) return amax(x.abs(), dims, keepdim);
  if (order === -Infinity) return amin(x.abs(), dims, keepdim);
  if (order === 1) return sum(x.abs(), dims, keepdim);
  if (order === 0) {
    // The count of non-zeros: differentiable with a zero gradient, as in PyTorch.
    const count = sum(x.ne(0).to(x.dtype), dims, keepdim);
    return needsGrad(x) ? record(count, 'NormBackward1', [x], () => [x.mul(0)]) : count;
  }
  if (order === 2) {
    const out = sum(x.detach().square(), dims, keepdim).sqrt();
    if (!needsGrad(x)) return out;
    // d‖x‖/dx = x/‖x‖, defined as 0 at ‖x‖ = 0 (as PyTorch does, instead of NaN).
    return record(out, 'NormBackward1', [x], (g) => {
      const n = expandBack(out, x.shape, dims, keepdim);
      const gx = expandBack(g, x.shape, dims, keepdim).mul(x).div(n);
      return [gx.maskedFill(n.eq(0), 0)];
    });
  }
  const out = sum(x.detach().abs().pow(order), dims, keepdim).pow(1 / order);
  if (!needsGrad(x)) return out;
  // d‖x‖p/dx = sign(x)·|x|^(p−1) / ‖x‖p^(p−1), defined as 0 where the norm is 0 (as PyTorch).
  return record(out, 'NormBackward1', [x], (g) => {
    const n = expandBack(out, x.shape, dims, keepdim);
    const scale = expandBack(g, x.shape, dims, keepdim).div(n.pow(order - 1)).maskedFill(n.eq(0), 0);
    // For p < 1, |x|^(p−1) is infinite at x = 0: PyTorch takes those entries' gradient as 0.
    const power = order < 1 ? x.abs().pow(order - 1).maskedFill(x.eq(0), 0) : x.abs().pow(order - 1);
    return [x.sign().mul(power).mul(scale)];
  });
}

export function all(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor {
  checkTensor(x, 'all');
  return runReduce('all', x, normalizeDims(dim, x.ndim, 'all'), keepdimOf(keepdim, 'all'), 'bool');
}

export function any(x: Tensor, dim?: number | null, keepdim: KeepdimOption = false): Tensor {
  checkTensor(x, 'any');
  return runReduce('any', x, normalizeDims(dim, x.ndim, 'any'), keepdimOf(keepdim, 'any'), 'bool');
}

/** Softmax along `dim`. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, false);
}

/** log(softmax(x)) along `dim`, computed stably. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, true);
}

function softmaxImpl(x: Tensor, dim: number, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  checkTensor(x, name);
  if (dim === undefined || dim === null) throw new Error(`${name}: dim is required (e.g. ${name}(x, 1) for [N, C] logits)`);
  const input = (isFloat(x.dtype) ? x : x.to('float32')).contiguous();
  const d = normalizeDim(dim, input.ndim, name);
  const shape = input.ndim === 0 ? [1] : input.shape;
  const out = empty(input.shape, input.dtype);
  const outer = sizeOf(shape.slice(0, d));
  const inner = sizeOf(shape.slice(d + 1));
  kernels().softmax(input.storage.subarray(input.offset, input.offset + input.size) as never, outer, shape[d], inner, log, out.storage as never);
  if (!needsGrad(input)) return out;
  if (log) {
    return record(out, 'LogSoftmaxBackward0', [input], (g) => [g.sub(out.exp().mul(sum(g, d, true)))], [out]);
  }
  return record(out, 'SoftmaxBackward0', [input], (g) => [out.mul(g.sub(sum(g.mul(out), d, true)))], [out]);
}
