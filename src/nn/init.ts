/**
 * nn.init: in-place weight initialisers, as torch.nn.init (1.13). They draw from the default
 * generator in PyTorch's order, so after `st.manualSeed(s)` they produce PyTorch's numbers.
 * Every function fills its tensor in place without recording gradients and returns it.
 * The non-underscore names (xavierUniform, ...) are aliases, as PyTorch's deprecated spellings.
 */
import { Tensor } from '../tensor/tensor.js';
import { normal_ as fillNormal, eye as eyeMatrix, uniform_ as fillUniformRaw, randperm } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { noGrad } from '../autograd/grad-mode.js';
import { shapeStr } from '../tensor/shape.js';
import { erf } from '../backend/js/math.js';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

interface GenOption {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

/** The tensor argument; `anyDtype` for the fills that torch also applies to integer tensors (constant_, eye_, dirac_). */
function checkTensorArg(t: unknown, op: string, anyDtype = false): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`init.${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (!anyDtype && !t.isFloatingPoint()) throw new Error(`init.${op}: expected a floating-point tensor, got ${t.dtype}`);
  return t;
}

/**
 * The recommended gain for a nonlinearity (PyTorch's calculate_gain): 1 for linear/conv/sigmoid,
 * 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky_relu (slope 0.01 by default), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number | { param?: number | null } | null): number {
  const p = typeof param === 'object' && param !== null ? param.param : param;
  const linear = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d'];
  if (linear.includes(nonlinearity) || nonlinearity === 'sigmoid') return 1;
  if (nonlinearity === 'tanh') return 5.0 / 3;
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    if (p !== undefined && p !== null && typeof p !== 'number') throw new Error(`calculateGain: negative_slope ${String(p)} not a valid number`);
    const slope = p ?? 0.01;
    return Math.sqrt(2.0 / (1 + slope ** 2));
  }
  if (nonlinearity === 'selu') return 3.0 / 4;
  throw new Error(`calculateGain: unsupported nonlinearity '${nonlinearity}'; expected one of ${[...linear, 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}`);
}

/** [fanIn, fanOut] of a weight of shape [out, in, ...kernel] (PyTorch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new Error(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape ${shapeStr(t.shape)})`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

/** Exact a·b + c with one rounding (fused multiply-add), via Dekker's two-product. */
/** U(from, to) in place, PyTorch's exact draws (see Generator.uniformFloat), recorded nowhere. */
function fillUniform(t: Tensor, from: number, to: number, gen: Generator): Tensor {
  return noGrad(() => fillUniformRaw(t, from, to, gen));
}

function correctFan(t: Tensor, mode: FanMode | string): number {
  const m = mode.toLowerCase();
  if (m !== 'fan_in' && m !== 'fan_out') throw new Error(`init: mode '${mode}' not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return m === 'fan_in' ? fanIn : fanOut;
}

/** Fill with U(a, b) (defaults 0 and 1). */
export function uniform_(t: Tensor, options: { a?: number; b?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'uniform_');
  return fillUniform(t, options.a ?? 0, options.b ?? 1, options.generator ?? defaultGenerator);
}

/** Fill with N(mean, std²) (defaults 0 and 1). */
export function normal_(t: Tensor, options: { mean?: number; std?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'normal_');
  return fillNormal(t, options.mean ?? 0, options.std ?? 1, options.generator ?? defaultGenerator);
}

/** Fill with a constant. */
export function constant_(t: Tensor, val: number): Tensor {
  checkTensorArg(t, 'constant_', true);
  return noGrad(() => t.fill_(val));
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fill a 2-D tensor with the identity matrix. */
export function eye_(t: Tensor): Tensor {
  checkTensorArg(t, 'eye_', true);
  if (t.ndim !== 2) throw new Error(`init.eye_: only tensors with 2 dimensions are supported, got shape ${shapeStr(t.shape)}`);
  return noGrad(() => t.copy_(eyeMatrix(t.shape[0], t.shape[1], { dtype: t.dtype })));
}

/** Fill a 3/4/5-D conv weight with the Dirac delta (identity convolution), per group. */
export function dirac_(t: Tensor, options: { groups?: number } = {}): Tensor {
  checkTensorArg(t, 'dirac_', true);
  const groups = options.groups ?? 1;
  if (t.ndim < 3 || t.ndim > 5) throw new Error(`init.dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape ${shapeStr(t.shape)}`);
  if (t.shape[0] % groups !== 0) throw new Error(`init.dirac_: dim 0 (${t.shape[0]}) must be divisible by groups (${groups})`);
  const perGroup = t.shape[0] / groups;
  const minDim = Math.min(perGroup, t.shape[1]);
  const values = new Tensor(new Float64Array(t.size), [...t.shape]);
  const strides = values.strides;
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < minDim; d++) {
      let off = (g * perGroup + d) * strides[0] + d * strides[1];
      for (let k = 2; k < t.ndim; k++) off += Math.floor(t.shape[k] / 2) * strides[k];
      values.storage[off] = 1;
    }
  }
  return noGrad(() => t.copy_(values));
}

/** gain·√(2/(fanIn+fanOut)); PyTorch fails on fanIn + fanOut = 0 (a ZeroDivisionError) rather than drawing with std ∞. */
function xavierStd(t: Tensor, gain = 1): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (fanIn + fanOut === 0) throw new Error(`init: xavier init of a tensor of shape ${shapeStr(t.shape)} divides by fanIn + fanOut = 0`);
  return gain * Math.sqrt(2.0 / (fanIn + fanOut));
}

/** Glorot uniform: U(−a, a) with a = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform_(t: Tensor, options: { gain?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'xavierUniform_');
  const std = xavierStd(t, options.gain);
  const a = Math.sqrt(3.0) * std;
  return fillUniform(t, -a, a, options.generator ?? defaultGenerator);
}

/** Glorot normal: N(0, std²) with std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal_(t: Tensor, options: { gain?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'xavierNormal_');
  const std = xavierStd(t, options.gain);
  return fillNormal(t, 0, std, options.generator ?? defaultGenerator);
}

export interface KaimingOptions extends GenOption {
  /** Negative slope of the rectifier after this layer (only used with 'leaky_relu'); default 0. */
  a?: number;
  /** 'fan_in' (default) keeps the forward variance, 'fan_out' the backward one. */
  mode?: FanMode;
  /** Default 'leaky_relu', as PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** He uniform: U(−bound, bound) with bound = gain·√(3/fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensorArg(t, 'kaimingUniform_');
  if (t.size === 0) return t;
  const fan = correctFan(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const bound = Math.sqrt(3.0) * (gain / Math.sqrt(fan));
  return fillUniform(t, -bound, bound, options.generator ?? defaultGenerator);
}

/** He normal: N(0, std²) with std = gain/√fan. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensorArg(t, 'kaimingNormal_');
  if (t.size === 0) return t;
  const fan = correctFan(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return fillNormal(t, 0, gain / Math.sqrt(fan), options.generator ?? defaultGenerator);
}

/**
 * LeCun normal (not in torch.nn.init; the init SELU networks want): N(0, 1/fanIn), drawn as
 * normal_(t, {std: 1/√fanIn}).
 */
export function lecunNormal_(t: Tensor, options: GenOption = {}): Tensor {
  checkTensorArg(t, 'lecunNormal_');
  if (t.size === 0) return t;
  const [fanIn] = calculateFanInAndFanOut(t);
  return fillNormal(t, 0, 1 / Math.sqrt(fanIn), options.generator ?? defaultGenerator);
}

/** Inverse error function (double precision: initial approximation + Newton steps). */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  // Giles' single-precision approximation as a starting point.
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    x = p * y;
  }
  // Newton: f(x) = erf(x) − y, f'(x) = 2/√π·e^(−x²).
  for (let i = 0; i < 3; i++) {
    const err = erf(x) - y;
    const d = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
    if (d === 0) break;
    x -= err / d;
  }
  return x;
}

/**
 * Truncated normal N(mean, std²) restricted to [a, b] (defaults 0, 1, −2, 2), by PyTorch's
 * inverse-CDF method: one uniform draw per element, so it follows torch's random stream.
 */
export function truncNormal_(t: Tensor, options: { mean?: number; std?: number; a?: number; b?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'truncNormal_');
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const a = options.a ?? -2;
  const b = options.b ?? 2;
  const normCdf = (x: number) => (1 + erf(x / Math.SQRT2)) / 2;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  const tmp = fillUniform(new Tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size), [...t.shape]), 2 * l - 1, 2 * u - 1, options.generator ?? defaultGenerator);
  const r = t.dtype === 'float32' ? Math.fround : (v: number) => v;
  const d = tmp.storage;
  const scale = r(std * Math.SQRT2);
  for (let i = 0; i < d.length; i++) {
    let v = r(erfinv(d[i]));
    v = r(r(v * scale) + mean);
    d[i] = Math.min(Math.max(v, a), b);
  }
  return noGrad(() => t.copy_(tmp));
}

/**
 * Sparse init (Martens 2010), as torch.nn.init.sparse_: N(0, std²) draws (std default 0.01), then in
 * each column ⌈sparsity·rows⌉ entries set to 0, the rows chosen by one randperm(rows) per column.
 */
export function sparse_(t: Tensor, sparsity: number, options: { std?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'sparse_');
  if (t.ndim !== 2) throw new Error(`init.sparse_: only tensors with 2 dimensions are supported, got shape ${shapeStr(t.shape)}`);
  if (typeof sparsity !== 'number' || !Number.isFinite(sparsity)) throw new Error(`init.sparse_: sparsity must be a finite number, got ${String(sparsity)}`);
  const [rows, cols] = t.shape;
  // torch zeroes randperm(rows)[:ceil(sparsity·rows)], a Python slice: a negative bound leaves out the last rows.
  const k = Math.ceil(sparsity * rows);
  const numZeros = k < 0 ? Math.max(rows + k, 0) : Math.min(rows, k);
  const generator = options.generator ?? defaultGenerator;
  fillNormal(t, 0, options.std ?? 0.01, generator);
  const values = t.contiguous().clone();
  for (let col = 0; col < cols; col++) {
    const order = randperm(rows, { generator }).storage;
    for (let k = 0; k < numZeros; k++) values.storage[order[k] * cols + col] = 0;
  }
  return noGrad(() => t.copy_(values));
}

/**
 * A (semi-)orthogonal matrix (Saxe et al. 2013), trailing dims flattened: normal draws, then
 * Householder QR (float64) and Q multiplied by sign(diag(R)), as torch.nn.init.orthogonal_.
 */
export function orthogonal_(t: Tensor, options: { gain?: number } & GenOption = {}): Tensor {
  checkTensorArg(t, 'orthogonal_');
  if (t.ndim < 2) throw new Error(`init.orthogonal_: only tensors with 2 or more dimensions are supported, got shape ${shapeStr(t.shape)}`);
  if (t.size === 0) return t;
  const rows = t.shape[0];
  const cols = t.size / rows;
  const draws = fillNormal(new Tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(rows * cols), [rows, cols]), 0, 1, options.generator ?? defaultGenerator);
  // Work on an m×n matrix with m ≥ n (the transpose when rows < cols).
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  const A = new Float64Array(m * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) A[transpose ? j * n + i : i * n + j] = draws.storage[i * cols + j];
  const Q = householderQ(A, m, n);
  const gain = options.gain ?? 1;
  const out = new Tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(rows * cols), [...t.shape]);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.storage[i * cols + j] = (transpose ? Q[j * n + i] : Q[i * n + j]) * gain;
  return noGrad(() => t.copy_(out));
}

/**
 * Reduced Q (m×n, row-major) of the QR decomposition of the m×n matrix A (m ≥ n) by Householder
 * reflections in float64, with columns signed so that diag(R) ≥ 0 (PyTorch's convention after
 * multiplying by sign(diag(R))). A is overwritten.
 */
export function householderQ(A: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = A[k * n + k];
    const alpha = x0 > 0 ? -norm : norm; // R[k][k] = alpha, chosen to avoid cancellation
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vnorm2 = 0;
    for (let i = 0; i < v.length; i++) vnorm2 += v[i] * v[i];
    if (vnorm2 > 0) {
      // Apply H = I − 2vvᵀ/(vᵀv) to the remaining columns.
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i - k] * A[i * n + j];
        const f = (2 * dot) / vnorm2;
        for (let i = k; i < m; i++) A[i * n + j] -= f * v[i - k];
      }
    }
    diag[k] = vnorm2 > 0 ? A[k * n + k] : x0;
    vs.push(vnorm2 > 0 ? v.map((e) => e / Math.sqrt(vnorm2)) : v.fill(0));
  }
  // Q = H0 H1 … H(n−1) applied to the first n columns of the identity.
  const Q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) Q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * Q[i * n + j];
      for (let i = k; i < m; i++) Q[i * n + j] -= 2 * dot * v[i - k];
    }
  }
  // Make diag(R) non-negative: flip column j of Q where R[j][j] < 0 (sign(0) = 0 as torch.sign).
  for (let j = 0; j < n; j++) {
    const s = Math.sign(diag[j]);
    if (s === 1) continue;
    for (let i = 0; i < m; i++) Q[i * n + j] *= s;
  }
  return Q;
}

// Deprecated-style aliases without the trailing underscore (PyTorch keeps them too).
export const uniform = uniform_;
export const normal = normal_;
export const constant = constant_;
export const xavierUniform = xavierUniform_;
export const xavierNormal = xavierNormal_;
export const kaimingUniform = kaimingUniform_;
export const kaimingNormal = kaimingNormal_;
export const orthogonal = orthogonal_;
export const truncNormal = truncNormal_;
export const lecunNormal = lecunNormal_;
export const eye = eye_;
export const dirac = dirac_;
export const sparse = sparse_;
