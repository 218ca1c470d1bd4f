/**
 * The backend contract: primitive kernels over plain typed arrays.
 *
 * Kernels know nothing of tensors or autograd. They read inputs described by a
 * `View` (typed array + shape + strides + offset, so transposed, sliced and
 * broadcast inputs need no copy) and write into a contiguous output array that
 * the caller allocated. Every array is owned by JavaScript, so a native backend
 * works on the same memory zero-copy and the garbage collector reclaims it.
 *
 * The pure-TypeScript backend (`backend/js`) implements every kernel and is the
 * oracle in tests; a faster backend may implement any subset and inherit the rest.
 */

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type FloatArray = Float32Array | Float64Array;

/** Activations a fused convolution can apply (the activation modules ReLU, ReLU6, SiLU, Hardswish; 'none'). */
export type ConvPostAct = 'none' | 'relu' | 'relu6' | 'silu' | 'hardswish';

/**
 * A fused convolution's per-output-channel epilogue, out ← act(out·scale + shift): an evaluation-mode batch
 * norm followed by an activation. Each backend rounds as its own batchNormForward and activation kernels do,
 * so the fused result equals theirs. A null scale multiplies by 1, a null shift adds nothing.
 */
export interface ConvPost {
  scale: Float64Array | null;
  shift: Float64Array | null;
  act: ConvPostAct;
}

/** A strided window onto an array: element [i0, i1, ...] is data[offset + Σ ik·strides[k]]. */
export interface View {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'floor' | 'ceil' | 'round' | 'trunc'
  | 'log1p' | 'expm1' | 'erf' | 'logicalNot' | 'isnan' | 'isinf' | 'softplus' | 'silu' | 'gelu' | 'geluTanh'
  | 'hardswish' | 'hardsigmoid' | 'mish';

/** Unary ops with up to two scalar parameters (a, b). */
export type ScalarOp =
  | 'clamp'      // min(max(x, a), b); NaN bound means "no bound"
  | 'powScalar'  // x ** a
  | 'rpowScalar' // a ** x
  | 'leakyRelu'  // x > 0 ? x : a·x
  | 'elu'        // x > 0 ? x : a·(exp(x) − 1)
  | 'softplusBeta' // log(1 + exp(a·x)) / a, linear above threshold b
  | 'threshold'  // x > a ? x : b
  | 'hardtanh';  // clamp(x, a, b)

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'atan2' | 'fmod' | 'remainder'
  | 'floorDiv' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor'
  // ReLU's gradient: a where b > 0 (or NaN), else 0 — threshold_backward(grad, result, 0).
  | 'reluBackward';

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'any' | 'all';
export type ArgReduceOp = 'argmax' | 'argmin';

/** Batched matrix product: out[b] = alpha · op(A[b]) · op(B[b]) + beta · out[b]. */
export interface MatmulArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A[b] is m×k (k×m when transA), row-major, starting at aOffset + b·aBatchStride. */
  transA: boolean;
  transB: boolean;
  aOffset: number;
  bOffset: number;
  /** 0 broadcasts one matrix over the whole batch. */
  aBatchStride: number;
  bBatchStride: number;
  alpha?: number;
  beta?: number;
}

/** Geometry of a 2-D convolution on contiguous NCHW input and OIHW (C/groups) weights. */
export interface Conv2dGeometry {
  n: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  groups: number;
}

/** Geometry of 2-D pooling on contiguous NCHW input (channels of all images flattened into `planes`). */
export interface Pool2dGeometry {
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
}

export interface Backend {
  readonly name: string;

  // ---- layout -------------------------------------------------------------
  /** Copy a strided view into contiguous `out` (same element type or converting). */
  copy(x: View, out: TypedArray): void;

  // ---- elementwise ----------------------------------------------------------
  unary(op: UnaryOp, x: View, out: TypedArray): void;
  scalar(op: ScalarOp, x: View, a: number, b: number, out: TypedArray): void;
  /** `a` and `b` are already broadcast to the output shape (stride 0 on broadcast dims). */
  binary(op: BinaryOp, a: View, b: View, out: TypedArray): void;
  /** out = cond ? a : b, all three broadcast to the output shape. */
  where(cond: View, a: View, b: View, out: TypedArray): void;

  // ---- reductions (contiguous input) ---------------------------------------
  /**
   * Reduce a contiguous array of `shape` over the sorted axes `dims`; `out`
   * holds the result in the shape with those axes removed (row-major).
   */
  reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], dims: readonly number[], out: TypedArray): void;
  /** Index of the max/min along one axis; first occurrence wins, NaN counts as maximal (as PyTorch). */
  argReduce(op: ArgReduceOp, x: TypedArray, shape: readonly number[], dim: number, out: Int32Array): void;
  /** Softmax / log-softmax along the middle axis of a contiguous [outer, size, inner] array. */
  softmax(x: FloatArray, outer: number, size: number, inner: number, log: boolean, out: FloatArray): void;

  // ---- linear algebra -------------------------------------------------------
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void;

  // ---- convolution (contiguous NCHW) ---------------------------------------
  /** With `post`, each output channel c then becomes act(y·scale[c] + shift[c]) (inference-time fusion). */
  conv2d(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, out: FloatArray, post?: ConvPost): void;
  /** dL/dx from dL/dy (gradOut NCHW of the output shape). Overwrites gradIn. */
  conv2dBackwardInput(gradOut: FloatArray, w: FloatArray, g: Conv2dGeometry, gradIn: FloatArray): void;
  /** dL/dw from dL/dy and x. Overwrites gradW. */
  conv2dBackwardWeight(gradOut: FloatArray, x: FloatArray, g: Conv2dGeometry, gradW: FloatArray): void;

  // ---- pooling (contiguous NCHW) -------------------------------------------
  /** Max pooling; `indices` receives, per output, the flat h·inW+w of the winner in its plane (-1 if none). */
  maxPool2d(x: FloatArray, g: Pool2dGeometry, out: FloatArray, indices: Int32Array): void;
  maxPool2dBackward(gradOut: FloatArray, indices: Int32Array, g: Pool2dGeometry, gradIn: FloatArray): void;
  /** Average pooling; divisor per window: the full window if countIncludePad, else the in-image part. */
  avgPool2d(x: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, out: FloatArray): void;
  avgPool2dBackward(gradOut: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, gradIn: FloatArray): void;

  // ---- indexing (contiguous arrays; indices already validated) -------------
  /** out[..., i, ...] = x[..., index[..., i, ...], ...] along `dim`; out has index's shape. */
  gather(x: TypedArray, shape: readonly number[], dim: number, index: Int32Array, indexShape: readonly number[], out: TypedArray): void;
  /** out[..., index[..., i, ...], ...] += src[..., i, ...] along `dim` (out has the gathered-from shape). */
  scatterAdd(src: TypedArray, indexShape: readonly number[], dim: number, index: Int32Array, out: TypedArray, outShape: readonly number[]): void;
  /** Rows index[j] of x along `dim`; out's shape is x's with shape[dim] = index.length. */
  indexSelect(x: TypedArray, shape: readonly number[], dim: number, index: Int32Array, out: TypedArray): void;
  /** out[rows index[j] along dim] += src[j-th row]; out has `outShape`, src has outShape with dim = index.length. */
  indexAdd(src: TypedArray, outShape: readonly number[], dim: number, index: Int32Array, out: TypedArray): void;

  // ---- OPTIONAL FUSED KERNELS (issue 3, native backend) ----------------------
  // Optional: a backend may leave them out; src/backend/js/fused.ts has the
  // reference implementation of each (export `jsFused`), which callers use when
  // `kernels().<name>` is undefined. Each matches the unfused computation of
  // the ops layer / optimizers it replaces (see the comments in fused.ts).

  /** In-place SGD step (src/optim/sgd.ts arithmetic, rounded to the param dtype at the same points). */
  sgdStep?(param: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, o: SgdStepOptions): void;
  /** In-place Adam / AdamW step (src/optim/adam.ts arithmetic); maxExpAvgSq only with amsgrad. */
  adamStep?(
    param: FloatArray, grad: FloatArray, expAvg: FloatArray, expAvgSq: FloatArray, maxExpAvgSq: FloatArray | null,
    o: AdamStepOptions,
  ): void;
  /**
   * Batch norm of x viewed as [N, C, S] with statistics per channel, fused in one kernel.
   * training: computes mean[c] and invstd[c] = 1/√(var + eps) (biased variance, also written to
   * `variance` when given) from the batch; otherwise reads mean/invstd (the caller fills them from the
   * running statistics). Then out = x·scale + shift, scale = invstd·weight, shift = bias − mean·scale.
   */
  batchNormForward?(
    x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null, bias: FloatArray | null, eps: number,
    training: boolean, mean: Float64Array, invstd: Float64Array, variance: Float64Array | null, out: FloatArray,
  ): void;
  /**
   * Batch-norm backward: sumG[c] = Σ g and sumGX[c] = Σ g·(x − mean) (so dweight = sumGX·invstd and
   * dbias = sumG), and, when gradIn is given, dx = k·(g − sumG/M − (x − mean)·sumGX·invstd²/M) in
   * training or dx = k·g in evaluation, k = invstd·weight, M = N·S.
   */
  batchNormBackward?(
    gradOut: FloatArray, x: FloatArray, N: number, C: number, S: number, weight: FloatArray | null,
    mean: Float64Array, invstd: Float64Array, training: boolean, sumG: Float64Array, sumGX: Float64Array,
    gradIn: FloatArray | null,
  ): void;
  /**
   * Class-index cross entropy of logits [N, C, inner], log-softmax fused with the loss: logp receives the
   * log-probabilities, loss[i] (i = n·inner + j) = (1 − ε)·(−w_t·logp_t) + (ε/C)·(−Σ_c w_c·logp_c), 0 where
   * the target is ignoreIndex. weight: per class, or null for all 1.
   */
  crossEntropyForward?(
    logits: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
    ignoreIndex: number, labelSmoothing: number, logp: FloatArray, loss: Float64Array,
  ): void;
  /**
   * Its gradient w.r.t. the logits, for upstream coefficients coef[i] per position:
   * grad = coef_i·((1 − ε)·w_t·(p_c − [c = t]) + (ε/C)·(p_c·Σw − w_c)), p = exp(logp); 0 at ignored positions.
   */
  crossEntropyBackward?(
    logp: FloatArray, N: number, C: number, inner: number, target: Int32Array, weight: Float64Array | null,
    ignoreIndex: number, labelSmoothing: number, coef: Float64Array, gradLogits: FloatArray,
  ): void;
  /**
   * matmul with a fused epilogue: out = act(alpha·op(A)·op(B) + beta·out + bias), bias indexed by output
   * column ('col', length n: a linear layer's bias) or row ('row', length m), then act ('relu' or 'none').
   */
  matmulBiasAct?(
    a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs, bias: FloatArray | null, biasDim: 'row' | 'col',
    act: 'none' | 'relu',
  ): void;

  /**
   * An array of `size` elements whose contents are unspecified (recycled memory), for outputs a kernel
   * overwrites completely; null when the backend has none for this dtype/size (callers then use arrayFor).
   * The native backend recycles blocks of garbage-collected arrays: large tensors skip V8's zero-filled,
   * freshly mapped allocation.
   */
  uninitializedArray?(dtype: DType, size: number): TypedArray | null;
  /**
   * Autograd has released a graph's saved tensors (a backward pass without retainGraph): most arrays of
   * a training step became garbage just now. The native backend then has V8 run a full collection soon.
   */
  graphReleased?(): void;
}

/** Hyper-parameters of one SGD step (PyTorch's formulation). */
export interface SgdStepOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** The momentum buffer was just created: it takes the (decayed) gradient as is. */
  firstStep: boolean;
}

/** Hyper-parameters of one Adam step; step counts from 1. */
export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** AdamW: decay the weights by (1 − lr·weightDecay) instead of adding weightDecay·param to the gradient. */
  decoupled: boolean;
  step: number;
}

/** Element constructor for a dtype. */
export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}
