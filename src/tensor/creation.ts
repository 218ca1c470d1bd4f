import { arrayFor, checkDType, checkIntegerValue, dtypeOf, isFloat, type DType, type TypedArray } from './dtype.js';
import { checkShape, shapeStr, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { defaultGenerator, type Generator } from './random.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  /** A generator other than the default one (st.manualSeed seeds the default). */
  generator?: Generator;
}

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  return t;
}

function fromFlat(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const data = arrayFor(dtype, values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) data[i] = values[i] !== 0 ? 1 : 0; // NaN → true
  else data.set(values as never);
  return new Tensor(data, [...shape], undefined, 0, dtype);
}

/**
 * A tensor from nested arrays, a typed array (copied) or a number.
 * The dtype is inferred (typed array type; booleans → bool; numbers → float32) unless given.
 */
export function tensor(values: NestedArray | TypedArray | readonly number[], options: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  if (options.dtype) checkDType(options.dtype, 'tensor');
  if (ArrayBuffer.isView(values)) {
    const typed = values as TypedArray;
    const shape = options.shape ? checkShape(options.shape, 'tensor') : [typed.length];
    if (sizeOf(shape) !== typed.length) {
      throw new Error(`tensor: shape ${shapeStr(shape)} needs ${sizeOf(shape)} elements, but the typed array has ${typed.length}`);
    }
    return finish(fromFlat(typed, shape, options.dtype ?? dtypeOf(typed)), options);
  }
  const shape: number[] = [];
  const flat: (number | boolean)[] = [];
  let sawBool = false;
  let leafDepth = -1; // the depth of the numbers, once the first one is seen
  const walk = (v: NestedArray, depth: number): void => {
    if (Array.isArray(v)) {
      if (leafDepth !== -1 && depth >= leafDepth) {
        throw new Error(`tensor: ragged nested array: found an array at depth ${depth}, where numbers were found before`);
      }
      if (depth === shape.length) shape.push(v.length);
      else if (shape[depth] !== v.length) {
        throw new Error(`tensor: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${v.length}`);
      }
      for (const item of v) walk(item, depth + 1);
      return;
    }
    if (depth !== shape.length) throw new Error(`tensor: ragged nested array: found a number at depth ${depth}, expected arrays down to depth ${shape.length}`);
    leafDepth = depth;
    if (typeof v === 'boolean') sawBool = true;
    else if (typeof v !== 'number') throw new Error(`tensor: expected numbers or booleans, got ${typeof v}`);
    flat.push(v);
  };
  walk(values as NestedArray, 0);
  // Booleans alone make a bool tensor; mixed with numbers they count as 0/1 of the numbers' dtype.
  const dtype = options.dtype ?? (sawBool && flat.every((v) => typeof v === 'boolean') ? 'bool' : 'float32');
  const numeric = flat.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  if (dtype === 'int32') for (const v of numeric) checkIntegerValue(dtype, v, 'tensor'); // (the only dtype with values it cannot hold)
  let finalShape = shape;
  if (options.shape) {
    finalShape = checkShape(options.shape, 'tensor');
    if (sizeOf(finalShape) !== numeric.length) throw new Error(`tensor: shape ${shapeStr(finalShape)} needs ${sizeOf(finalShape)} elements, got ${numeric.length}`);
  }
  return finish(fromFlat(numeric, finalShape, dtype), options);
}

/** Wrap a typed array without copying (as torch.from_numpy): the tensor and the array share memory. */
export function fromTypedArray(data: TypedArray, shape: readonly number[] = [data.length]): Tensor {
  const s = checkShape(shape, 'fromTypedArray');
  if (sizeOf(s) !== data.length) throw new Error(`fromTypedArray: shape ${shapeStr(s)} needs ${sizeOf(s)} elements, but the array has ${data.length}`);
  return new Tensor(data, s);
}

function sizes(shape: readonly number[] | number, op: string): number[] {
  return checkShape(typeof shape === 'number' ? [shape] : shape, op);
}

/** PyTorch's size arguments: a shape (zeros([2, 3]), zeros(2)) or the sizes themselves (zeros(2, 3)), then the options. */
export type SizeArgs<O> = [shape: readonly number[] | number, options?: O] | number[] | [...sizes: number[], options: O];

/** The shape and options of size arguments (so zeros(2, 3) is 2×3, not 2 with options 3). */
function sizeArgs<O extends object>(args: readonly unknown[], op: string): [number[], O] {
  const list = args.length > 1 && args[args.length - 1] === undefined ? args.slice(0, -1) : args;
  const last = list[list.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !Array.isArray(last);
  const dims = hasOptions ? list.slice(0, -1) : list;
  const shape = dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims;
  return [sizes(shape as number[], op), (hasOptions ? last : {}) as O];
}

export function full(shape: readonly number[] | number, value: number, options: TensorOptions = {}): Tensor {
  const s = sizes(shape, 'full');
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  checkIntegerValue(dtype, value, 'full');
  const data = arrayFor(dtype, sizeOf(s));
  // NaN is truthy for a bool tensor, as in PyTorch (any non-zero value is true).
  if (value !== 0) data.fill(dtype === 'bool' ? (value || Number.isNaN(value) ? 1 : 0) : value);
  return finish(new Tensor(data, s, undefined, 0, dtype), options);
}

/** full(shape, value, options) from size arguments (errors name full, which zeros and ones are). */
function filled(args: readonly unknown[], value: number): Tensor {
  const [shape, options] = sizeArgs<TensorOptions>(args, 'full');
  return full(shape, value, options);
}
export const zeros = (...args: SizeArgs<TensorOptions>): Tensor => filled(args, 0);
export const ones = (...args: SizeArgs<TensorOptions>): Tensor => filled(args, 1);
export const empty = zeros;
export const zerosLike = (t: Tensor, options: TensorOptions = {}) => full(t.shape, 0, { dtype: t.dtype, ...options });
export const onesLike = (t: Tensor, options: TensorOptions = {}) => full(t.shape, 1, { dtype: t.dtype, ...options });
export const fullLike = (t: Tensor, value: number, options: TensorOptions = {}) => full(t.shape, value, { dtype: t.dtype, ...options });

/**
 * Values from start to end (exclusive) by step: arange(end), arange(start, end), arange(start, end, step).
 * int32 when all arguments are integers, else float32 (as PyTorch's int64/float32 choice).
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`arange: start, end and step must be finite numbers, got start=${start}, end=${end}, step=${step}`);
  }
  const dtype = options.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  if (dtype === 'bool') throw new Error('arange: not implemented for bool tensors');
  // An integer arange works on the arguments converted to integers (toward zero), as PyTorch's int64 one:
  // arange(4.7) has 4 elements, and a step of 0.5 is 0.
  if (dtype === 'int32') [start, end, step] = [Math.trunc(start), Math.trunc(end), Math.trunc(step)];
  if (step === 0) throw new Error('arange: step must be nonzero');
  if ((end - start) / step < 0) throw new Error(`arange: upper bound and larger bound inconsistent with step sign (start=${start}, end=${end}, step=${step})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish(new Tensor(data, [n], undefined, 0, dtype), options);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: number of steps must be a non-negative integer, got ${steps}`);
  const dtype = options.dtype ?? 'float32';
  // PyTorch's kernel has no bool version; 0 or 1 steps do not reach it (one step is a fill with start).
  if (dtype === 'bool' && steps > 1) throw new Error('linspace: not implemented for bool tensors');
  const data = arrayFor(dtype, steps);
  // An integer linspace starts from the bounds converted to integers (toward zero), as PyTorch's int64 one.
  if (dtype === 'int32') [start, end] = [Math.trunc(start), Math.trunc(end)];
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill symmetrically from both ends, as PyTorch does, so the endpoint is exact.
  const half = Math.floor(steps / 2);
  const at = (i: number) => (i < half ? start + step * i : end - step * (steps - 1 - i));
  for (let i = 0; i < steps; i++) data[i] = at(i);
  if (steps === 1) data[0] = dtype === 'bool' ? Number(start !== 0) : start;
  return finish(new Tensor(data, [steps], undefined, 0, dtype), options);
}

/** Identity matrix n×m (m = n by default). */
export function eye(n: number, m: number = n, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(m) || m < 0) {
    throw new Error(`eye: n and m must be non-negative integers, got n=${n}, m=${m}`);
  }
  const t = zeros([n, m], options);
  for (let i = 0; i < Math.min(n, m); i++) t.storage[i * m + i] = 1;
  return t;
}

function floatDType(options: TensorOptions, op: string): DType {
  const dtype = options.dtype ?? 'float32';
  if (!isFloat(dtype)) throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
  return dtype;
}

/** Uniform samples in [0, 1) (the same numbers as torch.rand after the same manualSeed). */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [s, options] = sizeArgs<RandomOptions>(args, 'rand');
  const dtype = floatDType(options, 'rand');
  const gen = options.generator ?? defaultGenerator;
  const data = arrayFor(dtype, sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = dtype === 'float32' ? gen.uniformFloat() : gen.uniformDouble();
  return finish(new Tensor(data, s, undefined, 0, dtype), options);
}

/** Standard normal samples (torch.randn's numbers for the same seed). */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [s, options] = sizeArgs<RandomOptions>(args, 'randn');
  const dtype = floatDType(options, 'randn');
  const data = arrayFor(dtype, sizeOf(s)) as Float32Array | Float64Array;
  (options.generator ?? defaultGenerator).fillNormal(data, 0, 1);
  return finish(new Tensor(data, s, undefined, 0, dtype), options);
}

/** Integers uniform in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: readonly number[] | number, options: RandomOptions = {}): Tensor {
  const s = sizes(shape, 'randint');
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) {
    throw new Error(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  const dtype = options.dtype ?? 'int32';
  if (dtype === 'int32' && (low < -(2 ** 31) || high > 2 ** 31)) {
    throw new Error(`randint: low=${low}, high=${high} is out of range for dtype int32 (use dtype float64 for larger integers)`);
  }
  if (dtype === 'bool' && (low < 0 || high > 2)) throw new Error(`randint: low=${low}, high=${high} is out of bounds for dtype bool`);
  // PyTorch draws float32 integers between the bounds moved inward to numbers float32 holds (update_from / update_to).
  if (dtype === 'float32') [low, high] = [float32Low(low), float32High(high)];
  if (low >= high) throw new Error(`randint: low=${low} must be less than high=${high} once cast to ${dtype}`);
  const gen = options.generator ?? defaultGenerator;
  const data = arrayFor(dtype, sizeOf(s));
  for (let i = 0; i < data.length; i++) data[i] = gen.randint(low, high);
  return finish(new Tensor(data, s, undefined, 0, dtype), options);
}

/** The first integer ≥ low that float32 holds, or low itself (PyTorch's update_from). */
function float32Low(low: number): number {
  const lowPlus1 = Math.fround(low + 1);
  return lowPlus1 < low ? lowPlus1 + 2 ** (Math.floor(Math.log2(Math.abs(low + 1))) - 23) : low;
}

/** The exclusive bound below high that float32 holds, or high itself (PyTorch's update_to). */
function float32High(high: number): number {
  const highMinus1 = Math.fround(high - 1);
  return highMinus1 >= high ? highMinus1 - 2 ** (Math.floor(Math.log2(Math.abs(high - 1))) - 23) : high;
}

/** A random permutation of 0..n−1 (int32 unless dtype says otherwise), drawn as torch.randperm does on the CPU. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = options.dtype ?? 'int32';
  if (dtype === 'bool') throw new Error('randperm: not implemented for bool tensors');
  const gen = options.generator ?? defaultGenerator;
  const data = arrayFor(dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = gen.random() % (n - i);
    const tmp = data[i];
    data[i] = data[z + i];
    data[z + i] = tmp;
  }
  return finish(new Tensor(data, [n], undefined, 0, dtype), options);
}

/** Fill a float tensor in place with U(from, to) (nn.init builds on this). */
export function uniform_(t: Tensor, from = 0, to = 1, generator: Generator = defaultGenerator): Tensor {
  if (!isFloat(t.dtype)) throw new Error(`uniform_: expects a floating-point tensor, got ${t.dtype}`);
  if (!t.isContiguous()) {
    // PyTorch fills a strided tensor in memory order (TensorIterator's), not in index order.
    const m = memoryOrder(t);
    m.copy_(uniform_(zerosLike(m), from, to, generator));
    return t;
  }
  const { storage: data, offset, size } = t;
  if (t.dtype === 'float32') for (let i = 0; i < size; i++) data[offset + i] = generator.uniformFloat(from, to);
  else for (let i = 0; i < size; i++) data[offset + i] = generator.uniformDoubleRange(from, to);
  return t;
}

/** Fill a float tensor in place with N(mean, std). */
export function normal_(t: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  if (!isFloat(t.dtype)) throw new Error(`normal_: expects a floating-point tensor, got ${t.dtype}`);
  const values = arrayFor(t.dtype, t.size) as Float32Array | Float64Array;
  generator.fillNormal(values, mean, std, t.isContiguous());
  if (t.isContiguous()) t.storage.set(values, t.offset);
  else memoryOrder(t).copy_(new Tensor(values, memoryOrder(t).shape));
  return t;
}

/** A permuted view of t whose dims run from the largest stride to the smallest: its index order is memory order. */
function memoryOrder(t: Tensor): Tensor {
  const order = [...t.shape.keys()].sort((a, b) => t.strides[b] - t.strides[a]);
  return order.every((d, i) => d === i) ? t : t.permute(order);
}
