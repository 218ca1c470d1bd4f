/**
 * The native CPU backend: a C++17 N-API addon (build/Release/strata_native.node,
 * built from source by `npm install`) with SIMD kernels for AVX-512, AVX2+FMA
 * and a portable baseline, chosen at load time from the running CPU, and one
 * persistent thread pool.
 *
 * Importing this module registers the backend as 'native' and makes it the
 * default. Float32 arrays run natively, zero-copy on the typed arrays' memory;
 * every other dtype (and anything the addon does not cover) goes to the
 * reference kernels. If the addon is missing or cannot load, Strata stays on
 * the JavaScript backend and prints one warning.
 *
 * Environment: STRATA_NATIVE=0 disables the addon (no warning);
 * STRATA_CPU=scalar|avx2|avx512 forces a CPU level; STRATA_NUM_THREADS sets
 * the pool size (default: the CPUs this process may use).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markAsUntransferable } from 'node:worker_threads';
import type {
  AdamStepOptions, ArgReduceOp, Backend, BinaryOp, Conv2dGeometry, ConvPost, ConvPostAct, DType, FloatArray, MatmulArgs, Pool2dGeometry, ReduceOp,
  ScalarOp, SgdStepOptions, TypedArray, UnaryOp, View,
} from '../interface.js';
import { adamConstants, jsFused, sgdConstants } from '../js/fused.js';
import { jsBackend } from '../js/index.js';
import { registerBackend } from '../registry.js';

/** CPU levels of the addon; 'avx512sim' is the AVX-512 source compiled for AVX2 (tests only). */
export type CpuLevel = 'scalar' | 'avx2' | 'avx512' | 'avx512sim';

export interface NativeInfo {
  /** Whether the addon loaded (false: everything runs on the JS backend). */
  loaded: boolean;
  /** CPU level in use, and the best one this CPU supports. */
  level: CpuLevel | null;
  bestLevel: CpuLevel | null;
  supportedLevels: CpuLevel[];
  /** Thread pool size (the calling thread included). */
  threads: number;
  /** Floats per SIMD vector and the SGEMM micro-kernel shape of the level in use. */
  vectorWidth: number;
  gemm: { mr: number; nr: number } | null;
  /** Path of the loaded addon, or why it did not load. */
  path: string | null;
  error: string | null;
}

interface Addon {
  levelWarning: string;
  info(): { level: CpuLevel; bestLevel: CpuLevel; supportedLevels: CpuLevel[]; threads: number; vectorWidth: number; gemmMR: number; gemmNR: number };
  setCpuLevel(level: string): string;
  setNumThreads(n: number): number;
  holdPoolWorkers(hold: boolean): void;
  pooledArray(length: number, kind: 0 | 1): Float32Array | Int32Array;
  graphReleased(): void;
  copy(x: TypedArray, meta: Float64Array, out: TypedArray): void;
  unary(op: number, x: Float32Array, meta: Float64Array, out: TypedArray): void;
  scalar(op: number, x: Float32Array, meta: Float64Array, a: number, b: number, out: Float32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, meta: Float64Array, out: TypedArray): void;
  where(cond: Uint8Array, a: Float32Array, b: Float32Array, meta: Float64Array, out: Float32Array): void;
  reduce(op: number, x: Float32Array, meta: Float64Array, out: TypedArray): void;
  argReduce(isMax: boolean, x: Float32Array, outer: number, size: number, inner: number, out: Int32Array): void;
  softmax(x: Float32Array, outer: number, size: number, inner: number, log: boolean, out: Float32Array): void;
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, meta: Float64Array,
    rowBias?: Float32Array | null, colBias?: Float32Array | null, act?: number,
  ): void;
  conv2d(
    x: Float32Array, w: Float32Array, bias: Float32Array | null, meta: Float64Array, out: Float32Array,
    scale?: Float32Array | null, shift?: Float32Array | null, act?: number,
  ): void;
  conv2dBackwardInput(gradOut: Float32Array, w: Float32Array, meta: Float64Array, gradIn: Float32Array): void;
  conv2dBackwardWeight(gradOut: Float32Array, x: Float32Array, meta: Float64Array, gradW: Float32Array): void;
  maxPool2d(x: Float32Array, meta: Float64Array, out: Float32Array, indices: Int32Array): void;
  maxPool2dBackward(gradOut: Float32Array, indices: Int32Array, meta: Float64Array, gradIn: Float32Array): void;
  avgPool2d(x: Float32Array, meta: Float64Array, countIncludePad: boolean, divisorOverride: number, out: Float32Array): void;
  avgPool2dBackward(gradOut: Float32Array, meta: Float64Array, countIncludePad: boolean, divisorOverride: number, gradIn: Float32Array): void;
  sgdStep(param: Float32Array, grad: Float32Array, buf: Float32Array | null, meta: Float64Array): void;
  adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, meta: Float64Array): void;
  batchNormForward(
    x: Float32Array, meta: Float64Array, weight: Float32Array | null, bias: Float32Array | null, mean: Float64Array,
    invstd: Float64Array, variance: Float64Array | null, out: Float32Array,
  ): void;
  batchNormBackward(
    gradOut: Float32Array, x: Float32Array, meta: Float64Array, weight: Float32Array | null, mean: Float64Array,
    invstd: Float64Array, sumG: Float64Array, sumGX: Float64Array, gradIn: Float32Array | null,
  ): void;
  crossEntropyForward(
    logits: Float32Array, meta: Float64Array, target: Int32Array, weight: Float64Array | null, logp: Float32Array, loss: Float64Array,
  ): void;
  crossEntropyBackward(
    logp: Float32Array, meta: Float64Array, target: Int32Array, weight: Float64Array | null, coef: Float64Array, grad: Float32Array,
  ): void;
}

// ---- loading ---------------------------------------------------------------------

const ADDON_FILE = path.join('build', 'Release', 'strata_native.node');
const WARNED = Symbol.for('strata.native.warned');

/** The addon file, searched upwards from this module (src/backend/native under tsx, dist/backend/native when built). */
function findAddon(): string | null {
  const override = process.env.STRATA_NATIVE_ADDON;
  if (override) return existsSync(override) ? path.resolve(override) : null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'binding.gyp'))) return null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function warnOnce(message: string): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[WARNED]) return;
  g[WARNED] = true;
  process.emitWarning(message, { code: 'STRATA_NATIVE' });
}

let addon: Addon | null = null;
let addonPath: string | null = null;
let loadError: string | null = null;

function load(): void {
  if (process.env.STRATA_NATIVE === '0') {
    loadError = 'disabled by STRATA_NATIVE=0';
    return;
  }
  addonPath = findAddon();
  if (!addonPath) {
    loadError = `${ADDON_FILE} not found: the native build failed or was skipped (run \`npm run build:native\`)`;
  } else {
    try {
      addon = createRequire(import.meta.url)(addonPath) as Addon;
    } catch (err) {
      loadError = err instanceof Error ? err.message.split('\n')[0] : String(err);
      addon = null;
    }
  }
  if (!addon) {
    warnOnce(`Strata native backend unavailable (${loadError}); using the JavaScript backend.`);
    return;
  }
  if (addon.levelWarning) warnOnce(`Strata native backend: ${addon.levelWarning}; using ${addon.info().level}.`);
}

load();

// ---- op codes (order of the C++ enums in cpp/strata.h) --------------------------------

const UNARY: readonly UnaryOp[] = [
  'neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal',
  'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'floor', 'ceil', 'round', 'trunc',
  'log1p', 'expm1', 'erf', 'logicalNot', 'isnan', 'isinf', 'softplus', 'silu', 'gelu', 'geluTanh',
  'hardswish', 'hardsigmoid', 'mish',
];
const SCALAR: readonly ScalarOp[] = ['clamp', 'powScalar', 'rpowScalar', 'leakyRelu', 'elu', 'softplusBeta', 'threshold', 'hardtanh'];
const BINARY: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder',
  'floorDiv', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'reluBackward',
];
const REDUCE: readonly ReduceOp[] = ['sum', 'prod', 'max', 'min', 'any', 'all'];

const codes = <T extends string>(names: readonly T[]) => new Map<string, number>(names.map((n, i) => [n, i]));
const unaryCode = codes(UNARY);
const scalarCode = codes(SCALAR);
const binaryCode = codes(BINARY);
const reduceCode = codes(REDUCE);
const U8_UNARY = new Set<UnaryOp>(['isnan', 'isinf', 'logicalNot']);

// ---- meta packing ------------------------------------------------------------------------

const MAX_RANK = 24;
/** Arrays from this many elements (64 KB of float32) come from the native block pool (pooled_arrays.cpp). */
const POOLED_MIN_ELEMENTS = 16384;
let meta = new Float64Array(128);

function scratch(n: number): Float64Array {
  if (meta.length < n) meta = new Float64Array(Math.max(n, meta.length * 2));
  return meta;
}

/** [rank, offsets..., shape..., strides of each view...] for views sharing one shape. */
function viewsMeta(views: readonly View[]): Float64Array {
  const shape = views[0].shape;
  const rank = shape.length;
  const m = scratch(1 + views.length * (rank + 1) + rank);
  let k = 0;
  m[k++] = rank;
  for (const v of views) m[k++] = v.offset;
  for (let d = 0; d < rank; d++) m[k++] = shape[d];
  for (const v of views) for (let d = 0; d < rank; d++) m[k++] = v.strides[d];
  return m;
}

function convMeta(g: Conv2dGeometry): Float64Array {
  const m = scratch(16);
  m[0] = g.n; m[1] = g.inC; m[2] = g.inH; m[3] = g.inW;
  m[4] = g.outC; m[5] = g.outH; m[6] = g.outW;
  m[7] = g.kH; m[8] = g.kW; m[9] = g.strideH; m[10] = g.strideW;
  m[11] = g.padH; m[12] = g.padW; m[13] = g.dilationH; m[14] = g.dilationW; m[15] = g.groups;
  return m;
}

function poolMeta(g: Pool2dGeometry): Float64Array {
  const m = scratch(13);
  m[0] = g.planes; m[1] = g.inH; m[2] = g.inW; m[3] = g.outH; m[4] = g.outW;
  m[5] = g.kH; m[6] = g.kW; m[7] = g.strideH; m[8] = g.strideW;
  m[9] = g.padH; m[10] = g.padW; m[11] = g.dilationH; m[12] = g.dilationW;
  return m;
}

const isF32 = (a: unknown): a is Float32Array => a instanceof Float32Array;
const f32OrNull = (a: unknown): boolean => a === null || a instanceof Float32Array;
const fround = Math.fround;

/** The addon's activation codes of a fused convolution (enum PostAct in strata.h). */
const POST_ACT_CODES: Record<ConvPostAct, number> = { none: 0, relu: 1, relu6: 2, silu: 3, hardswish: 4 };

function matmulMeta(args: MatmulArgs): Float64Array {
  const m = scratch(12);
  m[0] = args.batch; m[1] = args.m; m[2] = args.n; m[3] = args.k;
  m[4] = args.transA ? 1 : 0; m[5] = args.transB ? 1 : 0;
  m[6] = args.aOffset; m[7] = args.bOffset; m[8] = args.aBatchStride; m[9] = args.bBatchStride;
  m[10] = args.alpha ?? 1; m[11] = args.beta ?? 0;
  return m;
}

// ---- kernels -------------------------------------------------------------------------------

function makeKernels(n: Addon): Partial<Backend> & { name: string } {
  const js = jsBackend;
  return {
    name: 'native',

    copy(x: View, out: TypedArray): void {
      const same = (isF32(x.data) && isF32(out)) || (x.data instanceof Int32Array && out instanceof Int32Array);
      if (same && x.shape.length <= MAX_RANK) n.copy(x.data, viewsMeta([x]), out);
      else js.copy(x, out);
    },

    unary(op: UnaryOp, x: View, out: TypedArray): void {
      const code = unaryCode.get(op);
      if (code !== undefined && isF32(x.data) && x.shape.length <= MAX_RANK && (isF32(out) || (out instanceof Uint8Array && U8_UNARY.has(op)))) {
        n.unary(code, x.data, viewsMeta([x]), out);
      } else {
        js.unary(op, x, out);
      }
    },

    scalar(op: ScalarOp, x: View, a: number, b: number, out: TypedArray): void {
      const code = scalarCode.get(op);
      if (code !== undefined && isF32(x.data) && isF32(out) && x.shape.length <= MAX_RANK) n.scalar(code, x.data, viewsMeta([x]), a, b, out);
      else js.scalar(op, x, a, b, out);
    },

    binary(op: BinaryOp, a: View, b: View, out: TypedArray): void {
      const code = binaryCode.get(op);
      if (code !== undefined && isF32(a.data) && isF32(b.data) && (isF32(out) || out instanceof Uint8Array) && a.shape.length <= MAX_RANK) {
        n.binary(code, a.data, b.data, viewsMeta([a, b]), out);
      } else {
        js.binary(op, a, b, out);
      }
    },

    where(cond: View, a: View, b: View, out: TypedArray): void {
      if (cond.data instanceof Uint8Array && isF32(a.data) && isF32(b.data) && isF32(out) && a.shape.length <= MAX_RANK) {
        n.where(cond.data, a.data, b.data, viewsMeta([cond, a, b]), out);
      } else {
        js.where(cond, a, b, out);
      }
    },

    reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], dims: readonly number[], out: TypedArray): void {
      const code = reduceCode.get(op);
      if (code === undefined || !isF32(x) || !(isF32(out) || out instanceof Uint8Array) || shape.length > MAX_RANK) {
        js.reduce(op, x, shape, dims, out);
        return;
      }
      const m = scratch(2 + shape.length + dims.length);
      let k = 0;
      m[k++] = shape.length;
      for (const d of shape) m[k++] = d;
      m[k++] = dims.length;
      for (const d of dims) m[k++] = d;
      n.reduce(code, x, m, out);
    },

    argReduce(op: ArgReduceOp, x: TypedArray, shape: readonly number[], dim: number, out: Int32Array): void {
      if (!isF32(x) || shape[dim] === 0) {
        js.argReduce(op, x, shape, dim, out);
        return;
      }
      let outer = 1;
      let inner = 1;
      for (let d = 0; d < dim; d++) outer *= shape[d];
      for (let d = dim + 1; d < shape.length; d++) inner *= shape[d];
      n.argReduce(op === 'argmax', x, outer, shape[dim], inner, out);
    },

    softmax(x: FloatArray, outer: number, size: number, inner: number, log: boolean, out: FloatArray): void {
      if (isF32(x) && isF32(out)) n.softmax(x, outer, size, inner, log, out);
      else js.softmax(x, outer, size, inner, log, out);
    },

    matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void {
      if (!isF32(a) || !isF32(b) || !isF32(out)) {
        js.matmul(a, b, out, args);
        return;
      }
      n.matmul(a, b, out, matmulMeta(args));
    },

    conv2d(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, out: FloatArray, post?: ConvPost): void {
      if (!(isF32(x) && isF32(w) && isF32(out) && (bias === null || isF32(bias)))) {
        js.conv2d(x, w, bias, g, out, post);
      } else if (post) {
        // Scale and shift rounded to float once, as the native batch-norm kernel rounds them.
        const f32 = (a: Float64Array | null) => (a ? Float32Array.from(a) : null);
        n.conv2d(x, w, bias, convMeta(g), out, f32(post.scale), f32(post.shift), POST_ACT_CODES[post.act]);
      } else {
        n.conv2d(x, w, bias, convMeta(g), out);
      }
    },

    conv2dBackwardInput(gradOut: FloatArray, w: FloatArray, g: Conv2dGeometry, gradIn: FloatArray): void {
      if (isF32(gradOut) && isF32(w) && isF32(gradIn)) n.conv2dBackwardInput(gradOut, w, convMeta(g), gradIn);
      else js.conv2dBackwardInput(gradOut, w, g, gradIn);
    },

    conv2dBackwardWeight(gradOut: FloatArray, x: FloatArray, g: Conv2dGeometry, gradW: FloatArray): void {
      if (isF32(gradOut) && isF32(x) && isF32(gradW)) n.conv2dBackwardWeight(gradOut, x, convMeta(g), gradW);
      else js.conv2dBackwardWeight(gradOut, x, g, gradW);
    },

    maxPool2d(x: FloatArray, g: Pool2dGeometry, out: FloatArray, indices: Int32Array): void {
      if (isF32(x) && isF32(out)) n.maxPool2d(x, poolMeta(g), out, indices);
      else js.maxPool2d(x, g, out, indices);
    },

    maxPool2dBackward(gradOut: FloatArray, indices: Int32Array, g: Pool2dGeometry, gradIn: FloatArray): void {
      if (isF32(gradOut) && isF32(gradIn)) n.maxPool2dBackward(gradOut, indices, poolMeta(g), gradIn);
      else js.maxPool2dBackward(gradOut, indices, g, gradIn);
    },

    avgPool2d(x: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, out: FloatArray): void {
      if (isF32(x) && isF32(out)) n.avgPool2d(x, poolMeta(g), countIncludePad, divisorOverride, out);
      else js.avgPool2d(x, g, countIncludePad, divisorOverride, out);
    },

    avgPool2dBackward(gradOut: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, gradIn: FloatArray): void {
      if (isF32(gradOut) && isF32(gradIn)) n.avgPool2dBackward(gradOut, poolMeta(g), countIncludePad, divisorOverride, gradIn);
      else js.avgPool2dBackward(gradOut, g, countIncludePad, divisorOverride, gradIn);
    },

    // ---- fused kernels (optional part of the interface) ----

    sgdStep(param: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, o: SgdStepOptions): void {
      if (!isF32(param) || !isF32(grad) || !f32OrNull(momentumBuffer)) {
        jsFused.sgdStep(param, grad, momentumBuffer, o);
        return;
      }
      const k = sgdConstants(o, fround);
      const m = scratch(9);
      m[0] = k.wd; m[1] = k.mom; m[2] = k.oneMinusDamp; m[3] = k.negLr;
      m[4] = o.weightDecay !== 0 ? 1 : 0; m[5] = o.momentum !== 0 ? 1 : 0; m[6] = o.nesterov ? 1 : 0;
      m[7] = o.maximize ? 1 : 0; m[8] = o.firstStep ? 1 : 0;
      n.sgdStep(param, grad, momentumBuffer as Float32Array | null, m);
    },

    adamStep(
      param: FloatArray, grad: FloatArray, expAvg: FloatArray, expAvgSq: FloatArray, maxExpAvgSq: FloatArray | null,
      o: AdamStepOptions,
    ): void {
      if (!isF32(param) || !isF32(grad) || !isF32(expAvg) || !isF32(expAvgSq) || !f32OrNull(maxExpAvgSq)) {
        jsFused.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, o);
        return;
      }
      const k = adamConstants(o, fround);
      const m = scratch(13);
      m[0] = k.bc2Sqrt; m[1] = k.negStepSize; m[2] = k.b1; m[3] = k.b2; m[4] = k.omb1; m[5] = k.omb2;
      m[6] = k.eps; m[7] = k.wd; m[8] = k.decay;
      m[9] = o.weightDecay !== 0 ? 1 : 0; m[10] = o.decoupled ? 1 : 0; m[11] = o.amsgrad ? 1 : 0; m[12] = o.maximize ? 1 : 0;
      n.adamStep(param, grad, expAvg, expAvgSq, (o.amsgrad ? maxExpAvgSq : null) as Float32Array | null, m);
    },

    batchNormForward(
      x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null, bias: FloatArray | null, eps: number,
      training: boolean, mean: Float64Array, invstd: Float64Array, variance: Float64Array | null, out: FloatArray,
    ): void {
      if (!isF32(x) || !isF32(out) || !f32OrNull(weight) || !f32OrNull(bias)) {
        jsFused.batchNormForward(x, N, C, S, weight, bias, eps, training, mean, invstd, variance, out);
        return;
      }
      const m = scratch(5);
      m[0] = N; m[1] = C; m[2] = S; m[3] = training ? 1 : 0; m[4] = eps;
      n.batchNormForward(x, m, weight as Float32Array | null, bias as Float32Array | null, mean, invstd, variance, out);
    },

    batchNormBackward(
      gradOut: FloatArray, x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null,
      mean: Float64Array, invstd: Float64Array, training: boolean, sumG: Float64Array, sumGX: Float64Array,
      gradIn: FloatArray | null,
    ): void {
      if (!isF32(gradOut) || !isF32(x) || !f32OrNull(weight) || !f32OrNull(gradIn)) {
        jsFused.batchNormBackward(gradOut, x, N, C, S, weight, mean, invstd, training, sumG, sumGX, gradIn);
        return;
      }
      const m = scratch(4);
      m[0] = N; m[1] = C; m[2] = S; m[3] = training ? 1 : 0;
      n.batchNormBackward(gradOut, x, m, weight as Float32Array | null, mean, invstd, sumG, sumGX, gradIn as Float32Array | null);
    },

    crossEntropyForward(
      logits: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
      ignoreIndex: number, labelSmoothing: number, logp: FloatArray, loss: Float64Array,
    ): void {
      if (!isF32(logits) || !isF32(logp) || C === 0) {
        jsFused.crossEntropyForward(logits, N, C, inner, target, weight, ignoreIndex, labelSmoothing, logp, loss);
        return;
      }
      const m = scratch(5);
      m[0] = N; m[1] = C; m[2] = inner; m[3] = ignoreIndex; m[4] = labelSmoothing;
      n.crossEntropyForward(logits, m, target, weight, logp, loss);
    },

    crossEntropyBackward(
      logp: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
      ignoreIndex: number, labelSmoothing: number, coef: Float64Array, gradLogits: FloatArray,
    ): void {
      if (!isF32(logp) || !isF32(gradLogits) || C === 0) {
        jsFused.crossEntropyBackward(logp, N, C, inner, target, weight, ignoreIndex, labelSmoothing, coef, gradLogits);
        return;
      }
      const m = scratch(5);
      m[0] = N; m[1] = C; m[2] = inner; m[3] = ignoreIndex; m[4] = labelSmoothing;
      n.crossEntropyBackward(logp, m, target, weight, coef, gradLogits);
    },

    uninitializedArray(dtype: DType, size: number): TypedArray | null {
      // Small arrays are cheap for V8 (and may live on its heap); large ones are recycled native blocks.
      if (size < POOLED_MIN_ELEMENTS || (dtype !== 'float32' && dtype !== 'int32')) return null;
      const array = n.pooledArray(size, dtype === 'float32' ? 0 : 1);
      // The block returns to the pool when this buffer is collected: it must not move to another thread.
      markAsUntransferable(array.buffer);
      return array;
    },

    graphReleased(): void {
      n.graphReleased();
    },

    matmulBiasAct(
      a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs, bias: FloatArray | null, biasDim: 'row' | 'col',
      act: 'none' | 'relu',
    ): void {
      if (!isF32(a) || !isF32(b) || !isF32(out) || !f32OrNull(bias)) {
        jsFused.matmulBiasAct(a, b, out, args, bias, biasDim, act);
        return;
      }
      const bf = bias as Float32Array | null;
      n.matmul(a, b, out, matmulMeta(args), biasDim === 'row' ? bf : null, biasDim === 'col' ? bf : null, act === 'relu' ? 1 : 0);
    },
  };
}

/** The native kernel table (null when the addon did not load); registered as backend 'native'. */
export const nativeKernels: (Partial<Backend> & { name: string }) | null = addon ? makeKernels(addon) : null;

/** The complete native backend (native kernels + reference fallbacks), or null. */
export const nativeBackend: Backend | null = nativeKernels ? registerBackend(nativeKernels, true) : null;

/** What the native backend is doing: whether it loaded, the CPU level and the thread count. */
export function nativeInfo(): NativeInfo {
  if (!addon) {
    return {
      loaded: false, level: null, bestLevel: null, supportedLevels: [], threads: 1, vectorWidth: 1, gemm: null,
      path: addonPath, error: loadError,
    };
  }
  const i = addon.info();
  return {
    loaded: true,
    level: i.level,
    bestLevel: i.bestLevel,
    supportedLevels: i.supportedLevels,
    threads: i.threads,
    vectorWidth: i.vectorWidth,
    gemm: { mr: i.gemmMR, nr: i.gemmNR },
    path: addonPath,
    error: null,
  };
}

/** Switch CPU level at run time (tests, benchmarks). Throws if the CPU lacks it or the addon is not loaded. */
export function setNativeCpuLevel(level: CpuLevel): CpuLevel {
  if (!addon) throw new Error(`native backend not loaded: ${loadError}`);
  return addon.setCpuLevel(level) as CpuLevel;
}

/**
 * The number of threads the kernels use, as torch.get_num_threads: the native pool's size (the cores, or
 * STRATA_NUM_THREADS), 1 without the native addon (the reference backend runs on the calling thread).
 */
export function getNumThreads(): number {
  return addon ? addon.info().threads : 1;
}

/** Set the number of threads the native kernels use, as torch.set_num_threads (no effect without the addon). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer number of threads, got ${n}`);
  setNativeThreads(n);
}

/** Resize the native thread pool (≥ 1). Returns the new size. */
export function setNativeThreads(n: number): number {
  if (!addon) return 1;
  return addon.setNumThreads(n);
}

/**
 * Tests: while held, the pool's workers take no task and the calling thread runs every task of a
 * multi-thread kernel one after another, as when the OS holds the workers back (no effect without the addon).
 */
export function holdNativeWorkers(hold: boolean): void {
  addon?.holdPoolWorkers(hold);
}
