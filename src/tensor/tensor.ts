import type { View } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { Node, bumpVersion, record } from '../autograd/node.js';
import { runBackward, type BackwardOptions } from '../autograd/backward.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import * as ops from '../ops/index.js';
import type { KeepdimOption, MaxMinResult, ReduceOptions, VarOptions } from '../ops/index.js';
import { arrayFor, checkIntegerValue, type DType, type TypedArray } from './dtype.js';
import { contiguousStrides, shapeStr, sizeOf } from './shape.js';
import { formatTensor } from './format.js';

export type Scalar = number | boolean;
export type TensorLike = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];
type Hook = (grad: Tensor) => Tensor | void;

/**
 * An n-dimensional array with optional gradient tracking.
 *
 * Storage is a plain typed array owned by JavaScript (garbage-collected; no
 * dispose). A tensor is a strided window onto it, so transpose, permute,
 * expand, narrow, squeeze and (contiguous) reshape are views that share
 * storage, as in PyTorch. Every op returns a new tensor.
 */
export class Tensor {
  /** Gradient accumulated by backward() for leaves (and tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it was recorded for autograd; null for leaves. */
  gradFn: Node | null = null;
  /** @internal */ hooks: Hook[] = [];
  /** @internal which output of gradFn this tensor is (unbind / split pieces share one node, as in PyTorch). */
  outputNr = 0;
  /** @internal */ retainsGrad = false;
  /** @internal the tensor whose storage this view looks into (the root of a chain of views), for in-place updates. */
  viewBase: Tensor | null = null;
  private requiresGradFlag = false;

  constructor(
    /** The storage, shared by views (element [i, j, ...] is storage[offset + i·strides[0] + ...]). */
    readonly storage: TypedArray,
    readonly shape: readonly number[],
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
    readonly dtype: DType = dtypeOfArray(storage),
  ) {}

  /** @internal the strided window as kernels take it */
  get strided(): View {
    return { data: this.storage, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  // ---- metadata ---------------------------------------------------------------
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  numel(): number {
    return this.size;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  /** Size of one dimension (negative counts from the end). */
  sizeAt(dim: number): number {
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new Error(`size: dimension ${dim} out of range for rank ${this.ndim}`);
    return this.shape[d];
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }
  set requiresGrad(on: boolean) {
    if (on && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new Error(`requiresGrad: only floating-point tensors can require gradients, this one is ${this.dtype}`);
    }
    this.requiresGradFlag = on;
  }
  /** Set requiresGrad in place and return this tensor (PyTorch's requires_grad_). */
  requiresGrad_(on = true): this {
    if (!this.isLeaf && !on) throw new Error('requiresGrad_: can only change requiresGrad of leaf tensors; use detach()');
    this.requiresGrad = on;
    return this;
  }
  isContiguous(): boolean {
    let expected = 1;
    for (let d = this.ndim - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== expected) return false;
      expected *= this.shape[d];
    }
    return true;
  }
  isFloatingPoint(): boolean {
    return this.dtype === 'float32' || this.dtype === 'float64';
  }

  // ---- reading ----------------------------------------------------------------
  /**
   * The elements in row-major order as a typed array. For a contiguous tensor
   * that owns its whole storage this is the storage itself (no copy, like
   * torch's .numpy()): writing into it changes the tensor.
   */
  data(): TypedArray {
    if (this.isContiguous() && this.offset === 0 && this.storage.length === this.size) return this.storage;
    const out = arrayFor(this.dtype, this.size);
    kernels().copy(this.strided, out);
    return out;
  }
  /** Alias of data(), as tfjs names it. */
  dataSync(): TypedArray {
    return this.data();
  }
  /** The elements as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedArray {
    const flat = this.data();
    const isBool = this.dtype === 'bool';
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.ndim) return isBool ? flat[offset] !== 0 : flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }
  /** PyTorch's name for toArray(). */
  tolist(): NestedArray {
    return this.toArray();
  }
  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape ${shapeStr(this.shape)}`);
    return this.storage[this.offset];
  }

  // ---- autograd -----------------------------------------------------------------
  /** Accumulate d(this)/d(leaf) into every leaf's .grad; `grad` is required for non-scalar tensors. */
  backward(grad?: Tensor | null, options?: BackwardOptions): void {
    runBackward(this, grad, options);
  }
  /** A tensor sharing storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
  }
  /** Cut this tensor from the graph in place: it becomes a leaf that does not require grad (PyTorch's detach_). */
  detach_(): this {
    if (this.viewBase) throw new Error("detach_: can't detach views in place; use detach() instead");
    this.gradFn = null;
    this.requiresGradFlag = false;
    this.retainsGrad = false;
    return this;
  }
  /** Keep .grad on this non-leaf tensor after backward. */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error('retainGrad: cannot retain the gradient of a tensor that does not require grad');
    this.retainsGrad = true;
    return this;
  }
  /**
   * Call `hook(grad)` when this tensor's gradient is computed; it may return a replacement. On a
   * non-leaf the hook belongs to the op that produced the current value, as in PyTorch.
   */
  registerHook(hook: Hook): { remove(): void } {
    if (!this.requiresGrad) throw new Error('registerHook: cannot register a hook on a tensor that does not require grad');
    const hooks = this.gradFn ? this.gradFn.outputHooks[this.outputNr] : this.hooks;
    hooks.push(hook);
    return {
      remove: () => {
        const at = hooks.indexOf(hook);
        if (at >= 0) hooks.splice(at, 1);
      },
    };
  }

  // ---- in-place updates ---------------------------------------------------------------
  // As in PyTorch: a leaf that requires grad (or a view of one) may only be updated under noGrad
  // (optimisers, initialisers); any other tensor is updated in the graph: it gets a new gradFn whose
  // input is its previous value, and a view's base gets one too (CopySlices). Every write bumps the
  // storage's version, so a node that saved the old values refuses to run backward.

  /**
   * Update this tensor to `compute(current)` in place. `operands` are the other tensors the update
   * reads (their requiresGrad puts this tensor in the graph).
   */
  private updateInPlace(op: string, operands: readonly unknown[], compute: (current: Tensor) => Tensor): this {
    // An empty tensor has no elements to share a location (torch writes nothing).
    if (this.size > 0 && this.strides.some((s, d) => s === 0 && this.shape[d] > 1)) {
      throw new Error(`${op}: cannot write in place into an expanded tensor (several elements share one memory location)`);
    }
    const recording = isGradEnabled();
    const base = this.viewBase;
    if (recording && this.requiresGrad && this.isLeaf && !base) {
      throw new Error(
        `${op}: a leaf tensor that requires grad cannot be modified in place while gradients are recorded; ` +
          'wrap the update in st.noGrad(() => ...) (as optimisers do)',
      );
    }
    if (recording && base && base.isLeaf && base.requiresGrad) {
      throw new Error(
        `${op}: a view of a leaf tensor that requires grad cannot be modified in place while gradients are recorded; ` +
          'wrap the update in st.noGrad(() => ...)',
      );
    }
    const inGraph = recording && (this.requiresGrad || operands.some((o) => o instanceof Tensor && o.requiresGrad));
    const producer = this.gradFn;
    if (inGraph && base && producer?.multiOutput) {
      // As PyTorch: the other outputs' shared gradient rule could not account for the change.
      throw new Error(
        `${op}: Output ${this.outputNr} of ${producer.name} is a view and is being modified inplace. This view is the output ` +
          'of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. ' +
          'You should replace the inplace operation by an out-of-place one.',
      );
    }
    // The graph keeps a copy of the previous value: rules that read it must not see the update.
    const current = inGraph ? this.previousValue() : this;
    let result = compute(current);
    if (!canCast(result.dtype, this.dtype)) {
      throw new Error(`${op}: result type ${result.dtype} can't be cast to the ${this.dtype} tensor being updated in place`);
    }
    if (result.ndim > this.ndim || result.shape.some((d, i) => d !== this.shape[this.ndim - result.ndim + i])) {
      throw new Error(`${op}: output with shape ${shapeStr(this.shape)} doesn't match the broadcast shape ${shapeStr(result.shape)}`);
    }
    if (inGraph) {
      result = result.to(this.dtype);
      // Only a smaller result is broadcast: the update's own node (e.g. AddBackward0) stays this tensor's gradFn.
      if (result.ndim !== this.ndim || result.shape.some((d, i) => d !== this.shape[i])) result = result.broadcastTo(this.shape);
    }
    noGrad(() => {
      const values = result.to(this.dtype).broadcastTo(this.shape).contiguous();
      // A source in this tensor's own storage (x.t().copy_(x)) is read in full before writing.
      ops.writeStrided(this, values.storage === this.storage ? values.clone() : values);
    });
    bumpVersion(this);
    if (inGraph && result.requiresGrad) this.rebaseHistory(result);
    return this;
  }

  /** A copy of this tensor's values that stands for them in the graph (same gradFn). */
  private previousValue(): Tensor {
    const copy = noGrad(() => ops.clone(this));
    copy.gradFn = this.gradFn;
    copy.outputNr = this.outputNr;
    copy.requiresGradFlag = this.requiresGrad;
    return copy;
  }

  /** Make `result` (computed from previousValue()) this tensor's history, and its view base's. */
  private rebaseHistory(result: Tensor): void {
    const base = this.viewBase;
    if (!base) {
      // The update's own node (e.g. AddBackward0) becomes this tensor's gradFn, as in PyTorch.
      this.setHistory(result.gradFn && result.gradFn.output === result ? result.gradFn : new Node('CopyBackwards', [result], (g) => [g]));
      return;
    }
    // The base's new value is its old one with this view's region replaced by `result`.
    const oldBase = new Tensor(base.storage, base.shape, base.strides, base.offset, base.dtype);
    oldBase.gradFn = base.gradFn;
    oldBase.outputNr = base.outputNr;
    oldBase.requiresGradFlag = base.requiresGrad;
    const region = { shape: this.shape, strides: this.strides, offset: this.offset };
    base.setHistory(
      new Node('CopySlices', [oldBase, result], (g) => {
        const [inside, outside] = splitRegion(g, base, region);
        return [outside, inside];
      }),
    );
    this.setHistory(new Node('AsStridedBackward0', [base], (g) => [embedRegion(g, base, region)]));
  }

  private setHistory(node: Node): void {
    this.gradFn = node;
    this.outputNr = 0;
    node.output = this;
    this.requiresGradFlag = true;
  }

  /** Overwrite this tensor's elements with `src` (broadcast, converted to this dtype). */
  copy_(src: TensorLike): this {
    return this.updateInPlace('copy_', [src], (current) => {
      const source = ops.toTensorLike(src, this.dtype);
      const values = noGrad(() => source.to(this.dtype).broadcastTo(this.shape).contiguous().clone());
      // An integer or bool destination takes no gradient, whatever the source (torch copies without recording).
      if (!isGradEnabled() || !(current.requiresGrad || source.requiresGrad) || !this.isFloatingPoint()) return values;
      const fromSource = source.requiresGrad && (source.dtype === 'float32' || source.dtype === 'float64');
      return record(values, 'CopyBackwards', [current, source], (g) => [
        g.mul(0),
        fromSource ? ops.sumToShape(g, source.shape).to(source.dtype) : null,
      ]);
    });
  }
  /** A fresh tensor of this shape and dtype holding `value` everywhere (converted as copy_ converts). */
  private filledWith(value: number): Tensor {
    return noGrad(() => ops.toTensorLike(value, this.dtype).to(this.dtype).broadcastTo(this.shape).contiguous().clone());
  }
  /** Set every element to `value`; a 0-d tensor value is torch's fill_.Tensor overload (FillBackward3, differentiable in it). */
  fill_(value: number | Tensor): this {
    if (value instanceof Tensor && value.ndim !== 0) throw new Error(`fill_: only supports a 0-dimensional value tensor, but got one with ${value.ndim} dimension(s)`);
    const v = value instanceof Tensor ? value : null;
    const number = v ? v.item() : (value as number);
    checkIntegerValue(this.dtype, number, 'fill_');
    return this.updateInPlace('fill_', [value], (current) => {
      const values = this.filledWith(number);
      if (!isGradEnabled() || !this.isFloatingPoint() || !(current.requiresGrad || v?.requiresGrad)) return values;
      if (!v) return record(values, 'FillBackward0', [current], (g) => [g.mul(0)]);
      return record(values, 'FillBackward3', [current, v], (g) => [g.mul(0), v.requiresGrad ? g.sum().to(v.dtype) : null]);
    });
  }
  /**
   * Whether this tensor can be written in place directly, with nothing recorded and the same values as
   * updateInPlace: gradients off (optimisers, zeroGrad, gradient accumulation), a dense float tensor.
   */
  private directlyWritable(): boolean {
    return !isGradEnabled() && (this.dtype === 'float32' || this.dtype === 'float64') && this.isContiguous();
  }
  zero_(): this {
    if (this.directlyWritable()) {
      this.storage.fill(0, this.offset, this.offset + this.size);
      bumpVersion(this);
      return this;
    }
    return this.updateInPlace('zero_', [], (current) => {
      const values = this.filledWith(0);
      return isGradEnabled() && current.requiresGrad ? record(values, 'ZeroBackward0', [current], (g) => [g.mul(0)]) : values;
    });
  }
  add_(other: TensorLike, options?: { alpha?: number }): this {
    if ((options?.alpha ?? 1) === 1 && other instanceof Tensor && this.directlyWritable() && ops.addInPlace(this, other)) {
      bumpVersion(this);
      return this;
    }
    return this.updateInPlace('add_', [other], (current) => ops.add(current, other, options));
  }
  sub_(other: TensorLike, options?: { alpha?: number }): this {
    return this.updateInPlace('sub_', [other], (current) => ops.sub(current, other, options));
  }
  mul_(other: TensorLike): this {
    return this.updateInPlace('mul_', [other], (current) => ops.mul(current, other));
  }
  div_(other: TensorLike): this {
    return this.updateInPlace('div_', [other], (current) => ops.div(current, other));
  }
  clamp_(min?: number | null, max?: number | null): this {
    return this.updateInPlace('clamp_', [], (current) => ops.clamp(current, min, max));
  }

  /**
   * @internal Make this tensor object look at `source`'s storage, shape and dtype (PyTorch's
   * `tensor.data = source`): Module.to() converts parameters this way so that references held
   * elsewhere (an optimiser's parameter list) see the converted values.
   */
  setData(source: Tensor): void {
    const self = this as { -readonly [K in 'storage' | 'shape' | 'strides' | 'offset' | 'dtype']: Tensor[K] };
    self.storage = source.storage;
    self.shape = source.shape;
    self.strides = source.strides;
    self.offset = source.offset;
    self.dtype = source.dtype;
  }

  // ---- conversion ---------------------------------------------------------------
  /** A copy with another dtype (this tensor itself if the dtype already matches). */
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  contiguous(): Tensor {
    return this.isContiguous() ? this : ops.clone(this);
  }

  // ---- elementwise ------------------------------------------------------------------
  add(other: TensorLike, options?: { alpha?: number }): Tensor { return ops.add(this, other, options); }
  sub(other: TensorLike, options?: { alpha?: number }): Tensor { return ops.sub(this, other, options); }
  mul(other: TensorLike): Tensor { return ops.mul(this, other); }
  div(other: TensorLike, options?: { roundingMode?: 'trunc' | 'floor' | null }): Tensor { return ops.div(this, other, options); }
  pow(exponent: TensorLike): Tensor { return ops.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return ops.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return ops.minimum(this, other); }
  remainder(other: TensorLike): Tensor { return ops.remainder(this, other); }
  fmod(other: TensorLike): Tensor { return ops.fmod(this, other); }
  atan2(other: TensorLike): Tensor { return ops.atan2(this, other); }
  neg(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  sign(): Tensor { return ops.sign(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  log2(): Tensor { return ops.log2(this); }
  log10(): Tensor { return ops.log10(this); }
  log1p(): Tensor { return ops.log1p(this); }
  expm1(): Tensor { return ops.expm1(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  square(): Tensor { return ops.square(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  erf(): Tensor { return ops.erf(this); }
  floor(): Tensor { return ops.floor(this); }
  ceil(): Tensor { return ops.ceil(this); }
  round(options?: { decimals?: number }): Tensor { return ops.round(this, options); }
  trunc(): Tensor { return ops.trunc(this); }
  clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return ops.clamp(this, min, max); }
  clip(min?: number | Tensor | null, max?: number | Tensor | null): Tensor { return ops.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return ops.eq(this, other); }
  ne(other: TensorLike): Tensor { return ops.ne(this, other); }
  lt(other: TensorLike): Tensor { return ops.lt(this, other); }
  le(other: TensorLike): Tensor { return ops.le(this, other); }
  gt(other: TensorLike): Tensor { return ops.gt(this, other); }
  ge(other: TensorLike): Tensor { return ops.ge(this, other); }
  logicalNot(): Tensor { return ops.logicalNot(this); }
  logicalAnd(other: TensorLike): Tensor { return ops.logicalAnd(this, other); }
  logicalOr(other: TensorLike): Tensor { return ops.logicalOr(this, other); }
  logicalXor(other: TensorLike): Tensor { return ops.logicalXor(this, other); }
  isnan(): Tensor { return ops.isnan(this); }
  isinf(): Tensor { return ops.isinf(this); }
  isfinite(): Tensor { return ops.isfinite(this); }
  /** PyTorch's x.where(condition, y): x where condition holds, else y. */
  where(condition: Tensor, other: TensorLike): Tensor { return ops.where(condition, this, other); }
  maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor { return ops.maskedFill(this, mask, value); }

  // ---- reductions ---------------------------------------------------------------------
  sum(dim?: number | readonly number[] | null, options?: ReduceOptions): Tensor { return ops.sum(this, dim, options); }
  mean(dim?: number | readonly number[] | null, options?: ReduceOptions): Tensor { return ops.mean(this, dim, options); }
  prod(dim?: number | null, options?: ReduceOptions): Tensor { return ops.prod(this, dim, options); }
  /** Without dim: the largest element. With dim: [values, indices] (also as .values/.indices). With a tensor: the elementwise maximum. */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: KeepdimOption): MaxMinResult;
  max(dim?: number | Tensor, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
    if (dim === undefined) return ops.maxDim(this);
    return dim instanceof Tensor ? ops.maxDim(this, dim) : ops.maxDim(this, dim, keepdim);
  }
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: KeepdimOption): MaxMinResult;
  min(dim?: number | Tensor, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
    if (dim === undefined) return ops.minDim(this);
    return dim instanceof Tensor ? ops.minDim(this, dim) : ops.minDim(this, dim, keepdim);
  }
  amax(dim?: number | number[] | null, keepdim: KeepdimOption = false): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: number | number[] | null, keepdim: KeepdimOption = false): Tensor { return ops.amin(this, dim, keepdim); }
  argmax(dim?: number | null, keepdim: KeepdimOption = false): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number | null, keepdim: KeepdimOption = false): Tensor { return ops.argmin(this, dim, keepdim); }
  var(dim?: number | number[] | null, options?: VarOptions | boolean): Tensor { return ops.variance(this, dim, options); }
  std(dim?: number | number[] | null, options?: VarOptions | boolean): Tensor { return ops.std(this, dim, options); }
  logsumexp(dim: number | number[], keepdim: KeepdimOption = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  logSumExp(dim: number | number[], keepdim: KeepdimOption = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  norm(p: number | 'fro' = 2, dim?: number | number[] | null, keepdim: KeepdimOption = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  all(dim?: number | null, keepdim: KeepdimOption = false): Tensor { return ops.all(this, dim, keepdim); }
  any(dim?: number | null, keepdim: KeepdimOption = false): Tensor { return ops.any(this, dim, keepdim); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // ---- linear algebra -------------------------------------------------------------------
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  mm(other: Tensor): Tensor { return ops.mm(this, other); }
  bmm(other: Tensor): Tensor { return ops.bmm(this, other); }
  dot(other: Tensor): Tensor { return ops.dot(this, other); }
  /** Transpose of a ≤2-D tensor. */
  t(): Tensor {
    return ops.t(this);
  }
  /** Transpose of the last two dimensions (PyTorch's .mT). */
  get mT(): Tensor {
    if (this.ndim < 2) throw new Error(`mT: only supported on matrices or batches of matrices, got a ${this.ndim}-D tensor`);
    return ops.transpose(this, -2, -1);
  }

  // ---- shape ------------------------------------------------------------------------------
  reshape(...shape: (number | readonly number[])[]): Tensor { return ops.reshape(this, flattenArgs(shape)); }
  view(...shape: (number | readonly number[])[]): Tensor { return ops.view(this, flattenArgs(shape)); }
  viewAs(other: Tensor): Tensor { return ops.view(this, other.shape); }
  reshapeAs(other: Tensor): Tensor { return ops.reshape(this, other.shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  permute(...dims: (number | readonly number[])[]): Tensor { return ops.permute(this, flattenArgs(dims)); }
  squeeze(dim?: number | number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  expand(...sizes: (number | readonly number[])[]): Tensor { return ops.expand(this, flattenArgs(sizes)); }
  expandAs(other: Tensor): Tensor { return ops.expand(this, other.shape); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.expand(this, shape); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  /** Python-style slice along one dim: x[..., start:end:step, ...] (negative indices count from the end). */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor { return ops.slice(this, dim, start, end, step); }
  /** The sub-tensor at `index` along `dim`, with that dim removed. */
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  /** torch's x[spec]: spec is one entry or an array of them (ints, 'start:stop:step', '...', null, booleans, index tensors or arrays). */
  index(spec: ops.IndexSpec): Tensor { return ops.index(this, spec); }
  /** torch's x[spec] = value, in place (a copy into the view, or an index_put_ with index tensors). */
  setIndex_(spec: ops.IndexSpec, value: Tensor | Scalar): this { ops.setIndex(this, spec, value); return this; }
  indexPut(indices: readonly (Tensor | null)[], values: Tensor | Scalar, options?: ops.IndexPutOptions): Tensor { return ops.indexPut(this, indices, values, options); }
  indexPut_(indices: readonly (Tensor | null)[], values: Tensor | Scalar, options?: ops.IndexPutOptions): this {
    return this.updateInPlace('indexPut_', [values], (current) => ops.indexPut(current, indices, values, options));
  }
  split(splitSizeOrSections: number | number[], dim = 0): Tensor[] { return ops.split(this, splitSizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  unbind(dim = 0): Tensor[] { return ops.unbind(this, dim); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor | number[]): Tensor { return ops.indexSelect(this, dim, index); }
  flip(dims: number | number[]): Tensor { return ops.flip(this, dims); }
  repeat(...sizes: (number | readonly number[])[]): Tensor { return ops.repeat(this, flattenArgs(sizes)); }

  // ---- sorting, selection, scans
  sort(dim = -1, options?: ops.SortOptions | boolean): MaxMinResult { return ops.sort(this, dim, options); }
  argsort(dim = -1, options?: ops.SortOptions | boolean): Tensor { return ops.argsort(this, dim, options); }
  topk(k: number, dim = -1, options?: ops.TopkOptions): MaxMinResult { return ops.topk(this, k, dim, options); }
  kthvalue(k: number, dim = -1, keepdim: KeepdimOption = false): MaxMinResult { return ops.kthvalue(this, k, dim, keepdim); }
  /** Without dim: the lower median of all elements. With dim: [values, indices] along it. */
  median(): Tensor;
  median(dim: number, keepdim?: KeepdimOption): MaxMinResult;
  median(dim?: number, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
    return dim === undefined || dim === null ? ops.median(this) : ops.median(this, dim, keepdim);
  }
  nanmedian(): Tensor;
  nanmedian(dim: number, keepdim?: KeepdimOption): MaxMinResult;
  nanmedian(dim?: number, keepdim: KeepdimOption = false): Tensor | MaxMinResult {
    return dim === undefined || dim === null ? ops.nanmedian(this) : ops.nanmedian(this, dim, keepdim);
  }
  cumsum(dim: number, options?: ops.CumOptions): Tensor { return ops.cumsum(this, dim, options); }
  cumprod(dim: number, options?: ops.CumOptions): Tensor { return ops.cumprod(this, dim, options); }
  cummax(dim: number): MaxMinResult { return ops.cummax(this, dim); }
  cummin(dim: number): MaxMinResult { return ops.cummin(this, dim); }
  logcumsumexp(dim: number): Tensor { return ops.logcumsumexp(this, dim); }
  nonzero(options?: { asTuple?: false }): Tensor;
  nonzero(options: { asTuple: true }): Tensor[];
  nonzero(options?: { asTuple?: boolean }): Tensor | Tensor[] { return ops.nonzero(this, options ?? {}); }
  argwhere(): Tensor { return ops.argwhere(this); }
  maskedSelect(mask: Tensor): Tensor { return ops.maskedSelect(this, mask); }
  scatter(dim: number, index: Tensor, src: Tensor | number, options?: ops.ScatterOptions): Tensor { return ops.scatter(this, dim, index, src, options); }
  /** In-place scatter (recorded in the graph as torch's scatter_ is). */
  scatter_(dim: number, index: Tensor, src: Tensor | number, options?: ops.ScatterOptions): this {
    return this.updateInPlace('scatter_', [src], (current) => ops.scatter(current, dim, index, src, options));
  }
  take(index: Tensor): Tensor { return ops.take(this, index); }

  // ---- triangular, diagonal, shape helpers, blends
  tril(diagonal = 0): Tensor { return ops.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return ops.triu(this, diagonal); }
  tril_(diagonal = 0): this { return this.updateInPlace('tril_', [], (current) => ops.tril(current, diagonal)); }
  triu_(diagonal = 0): this { return this.updateInPlace('triu_', [], (current) => ops.triu(current, diagonal)); }
  /** The diagonal of dims dim1, dim2 (default 0, 1) as a view: diagonal(offset, dim1, dim2) or diagonal({offset, dim1, dim2}). */
  diagonal(offset?: number | ops.DiagonalOptions, dim1?: number, dim2?: number): Tensor { return ops.diagonal(this, offset, dim1, dim2); }
  diag(diagonal = 0): Tensor { return ops.diag(this, diagonal); }
  diagEmbed(offset?: number | ops.DiagonalOptions, dim1?: number, dim2?: number): Tensor { return ops.diagEmbed(this, offset, dim1, dim2); }
  trace(): Tensor { return ops.trace(this); }
  outer(vec2: Tensor): Tensor { return ops.outer(this, vec2); }
  kron(other: Tensor): Tensor { return ops.kron(this, other); }
  cross(other: Tensor, dim?: number | null): Tensor { return ops.cross(this, other, dim); }
  lerp(end: Tensor, weight: TensorLike): Tensor { return ops.lerp(this, end, weight); }
  lerp_(end: Tensor, weight: TensorLike): this { return this.updateInPlace('lerp_', [end, weight], (current) => ops.lerp(current, end, weight)); }
  addcmul(tensor1: TensorLike, tensor2: TensorLike, options?: { value?: number }): Tensor { return ops.addcmul(this, tensor1, tensor2, options); }
  addcmul_(tensor1: TensorLike, tensor2: TensorLike, options?: { value?: number }): this {
    return this.updateInPlace('addcmul_', [tensor1, tensor2], (current) => ops.addcmul(current, tensor1, tensor2, options));
  }
  addcdiv(tensor1: TensorLike, tensor2: TensorLike, options?: { value?: number }): Tensor { return ops.addcdiv(this, tensor1, tensor2, options); }
  addcdiv_(tensor1: TensorLike, tensor2: TensorLike, options?: { value?: number }): this {
    return this.updateInPlace('addcdiv_', [tensor1, tensor2], (current) => ops.addcdiv(current, tensor1, tensor2, options));
  }
  nanToNum(options?: ops.NanToNumOptions): Tensor { return ops.nanToNum(this, options); }
  nanToNum_(options?: ops.NanToNumOptions): this { return this.updateInPlace('nanToNum_', [], (current) => ops.nanToNum(current, options)); }
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor { return ops.movedim(this, source, destination); }
  moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor { return ops.moveaxis(this, source, destination); }
  swapaxes(axis0: number, axis1: number): Tensor { return ops.swapaxes(this, axis0, axis1); }
  swapdims(dim0: number, dim1: number): Tensor { return ops.swapdims(this, dim0, dim1); }
  tile(...dims: (number | readonly number[])[]): Tensor { return ops.tile(this, flattenArgs(dims)); }
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor { return ops.roll(this, shifts, dims); }
  /** All dims reversed (PyTorch's .T, a permute view; torch 1.13 deprecates it for ranks other than 2). */
  get T(): Tensor { return ops.permute(this, [...this.shape.keys()].reverse()); }

  // ---- more pointwise ops, statistics, shaping helpers and products
  floorDivide(other: TensorLike): Tensor { return ops.floorDivide(this, other); }
  fmax(other: TensorLike): Tensor { return ops.fmax(this, other); }
  fmin(other: TensorLike): Tensor { return ops.fmin(this, other); }
  bitwiseAnd(other: TensorLike | boolean): Tensor { return ops.bitwiseAnd(this, other); }
  bitwiseOr(other: TensorLike | boolean): Tensor { return ops.bitwiseOr(this, other); }
  bitwiseXor(other: TensorLike | boolean): Tensor { return ops.bitwiseXor(this, other); }
  bitwiseNot(): Tensor { return ops.bitwiseNot(this); }
  frac(): Tensor { return ops.frac(this); }
  sgn(): Tensor { return ops.sgn(this); }
  logaddexp(other: TensorLike): Tensor { return ops.logaddexp(this, other); }
  logaddexp2(other: TensorLike): Tensor { return ops.logaddexp2(this, other); }
  hypot(other: TensorLike): Tensor { return ops.hypot(this, other); }
  copysign(other: TensorLike): Tensor { return ops.copysign(this, other); }
  xlogy(other: TensorLike): Tensor { return ops.xlogy(this, other); }
  heaviside(values: Tensor): Tensor { return ops.heaviside(this, values); }
  exp2(): Tensor { return ops.exp2(this); }
  erfc(): Tensor { return ops.erfc(this); }
  erfinv(): Tensor { return ops.erfinv(this); }
  lgamma(): Tensor { return ops.lgamma(this); }
  digamma(): Tensor { return ops.digamma(this); }
  logit(eps: number | null = null): Tensor { return ops.logit(this, eps); }
  sinc(): Tensor { return ops.sinc(this); }
  deg2rad(): Tensor { return ops.deg2rad(this); }
  rad2deg(): Tensor { return ops.rad2deg(this); }
  signbit(): Tensor { return ops.signbit(this); }
  multiply(other: TensorLike): Tensor { return ops.multiply(this, other); }
  subtract(other: TensorLike, options?: { alpha?: number }): Tensor { return ops.subtract(this, other, options); }
  trueDivide(other: TensorLike): Tensor { return ops.trueDivide(this, other); }
  negative(): Tensor { return ops.negative(this); }
  absolute(): Tensor { return ops.absolute(this); }
  positive(): Tensor { return ops.positive(this); }
  countNonzero(dim?: number | readonly number[] | null): Tensor { return ops.countNonzero(this, dim); }
  nansum(dim?: number | readonly number[] | null, options?: ReduceOptions): Tensor { return ops.nansum(this, dim, options); }
  nanmean(dim?: number | readonly number[] | null, options?: ReduceOptions): Tensor { return ops.nanmean(this, dim, options); }
  aminmax(options?: { dim?: number | null; keepdim?: boolean }): { min: Tensor; max: Tensor } & [Tensor, Tensor] { return ops.aminmax(this, options); }
  diff(options?: ops.DiffOptions): Tensor { return ops.diff(this, options); }
  isclose(other: Tensor, options?: { rtol?: number; atol?: number; equalNan?: boolean }): Tensor { return ops.isclose(this, other, options); }
  equal(other: Tensor): boolean { return ops.equal(this, other); }
  bincount(options?: { weights?: Tensor | null; minlength?: number }): Tensor { return ops.bincount(this, options); }
  histc(options?: { bins?: number; min?: number; max?: number }): Tensor { return ops.histc(this, options); }
  unique(options?: ops.UniqueOptions): Tensor | Tensor[] { return ops.unique(this, options); }
  uniqueConsecutive(options?: Omit<ops.UniqueOptions, 'sorted'>): Tensor | Tensor[] { return ops.uniqueConsecutive(this, options); }
  msort(): Tensor { return ops.msort(this); }
  quantile(q: number | Tensor, options?: ops.QuantileOptions): Tensor { return ops.quantile(this, q, options); }
  nanquantile(q: number | Tensor, options?: ops.QuantileOptions): Tensor { return ops.nanquantile(this, q, options); }
  mode(dim = -1, keepdim: KeepdimOption = false): MaxMinResult { return ops.mode(this, dim, keepdim); }
  indexAdd(dim: number, index: Tensor, source: Tensor, options?: { alpha?: number }): Tensor { return ops.indexAdd(this, dim, index, source, options); }
  indexCopy(dim: number, index: Tensor, source: Tensor): Tensor { return ops.indexCopy(this, dim, index, source); }
  indexFill(dim: number, index: Tensor, value: number | boolean | Tensor): Tensor { return ops.indexFill(this, dim, index, value); }
  maskedScatter(mask: Tensor, source: Tensor): Tensor { return ops.maskedScatter(this, mask, source); }
  takeAlongDim(indices: Tensor, dim: number | null = null): Tensor { return ops.takeAlongDim(this, indices, dim); }
  scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ops.ScatterReduceMode, options?: { includeSelf?: boolean }): Tensor {
    return ops.scatterReduce(this, dim, index, src, reduce, options);
  }
  tensorSplit(indicesOrSections: number | readonly number[] | Tensor, dim = 0): Tensor[] { return ops.tensorSplit(this, indicesOrSections, dim); }
  hsplit(spec: number | readonly number[]): Tensor[] { return ops.hsplit(this, spec); }
  vsplit(spec: number | readonly number[]): Tensor[] { return ops.vsplit(this, spec); }
  dsplit(spec: number | readonly number[]): Tensor[] { return ops.dsplit(this, spec); }
  repeatInterleave(repeats?: number | Tensor | null, dim: number | null = null): Tensor { return ops.repeatInterleave(this, repeats, dim); }
  rot90(k = 1, dims: readonly number[] = [0, 1]): Tensor { return ops.rot90(this, k, dims); }
  flipud(): Tensor { return ops.flipud(this); }
  fliplr(): Tensor { return ops.fliplr(this); }
  diagflat(offset = 0): Tensor { return ops.diagflat(this, offset); }
  ravel(): Tensor { return ops.ravel(this); }
  mv(vec: Tensor): Tensor { return ops.mv(this, vec); }
  addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor { return ops.addmm(this, mat1, mat2, options); }
  baddbmm(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): Tensor { return ops.baddbmm(this, batch1, batch2, options); }
  addbmm(batch1: Tensor, batch2: Tensor, options?: { beta?: number; alpha?: number }): Tensor { return ops.addbmm(this, batch1, batch2, options); }
  addmv(mat: Tensor, vec: Tensor, options?: { beta?: number; alpha?: number }): Tensor { return ops.addmv(this, mat, vec, options); }
  addr(vec1: Tensor, vec2: Tensor, options?: { beta?: number; alpha?: number }): Tensor { return ops.addr(this, vec1, vec2, options); }
  vdot(other: Tensor): Tensor { return ops.vdot(this, other); }
  inner(other: Tensor): Tensor { return ops.inner(this, other); }
  cov(options?: ops.CovOptions): Tensor { return ops.cov(this, options); }
  corrcoef(): Tensor { return ops.corrcoef(this); }
  renorm(p: number, dim: number, maxnorm: number): Tensor { return ops.renorm(this, p, dim, maxnorm); }

  // ---- printing ---------------------------------------------------------------------------
  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  /** @internal a fresh tensor of ones with the same shape and dtype (used to seed backward). */
  static onesLike(t: Tensor): Tensor {
    return new Tensor(arrayFor(t.dtype, t.size).fill(1), t.shape, undefined, 0, t.dtype);
  }
}

/** Where a view's elements lie in its base: shape, strides and offset into the shared storage. */
interface Region {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/** The base-shaped gradient g laid out in a scratch copy of the base's storage. */
function scatterIntoStorage(g: Tensor, base: Tensor): Tensor {
  const buffer = arrayFor(g.dtype, base.storage.length);
  const at = new Tensor(buffer, base.shape, base.strides, base.offset, g.dtype);
  ops.writeStrided(at, g);
  return at;
}

/** Split a base-shaped gradient into the view region's part and the rest (region zeroed), for CopySlices. */
function splitRegion(g: Tensor, base: Tensor, region: Region): [Tensor, Tensor] {
  const full = scatterIntoStorage(g, base);
  const inside = new Tensor(full.storage, region.shape, region.strides, region.offset, g.dtype);
  const insideCopy = ops.clone(inside);
  ops.writeStrided(inside, Tensor.onesLike(insideCopy).mul(0));
  return [insideCopy, ops.clone(full)];
}

/** A base-shaped gradient that is g on the view region and 0 elsewhere (the view's AsStridedBackward0). */
function embedRegion(g: Tensor, base: Tensor, region: Region): Tensor {
  const zeros = arrayFor(g.dtype, base.storage.length);
  ops.writeStrided(new Tensor(zeros, region.shape, region.strides, region.offset, g.dtype), g);
  return ops.clone(new Tensor(zeros, base.shape, base.strides, base.offset, g.dtype));
}

/** PyTorch's canCast for in-place results: no float into an integer or bool, no number into bool. */
function canCast(from: DType, to: DType): boolean {
  if ((from === 'float32' || from === 'float64') && (to === 'int32' || to === 'bool')) return false;
  return !(from !== 'bool' && to === 'bool');
}

function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  throw new Error(`Tensor: unsupported storage ${Object.prototype.toString.call(data)}`);
}

/** Accept both f(2, 3) and f([2, 3]), as PyTorch's varargs sizes do. */
function flattenArgs(args: (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}
