/** Activation layers: thin wrappers over F with PyTorch's options and printing. */
import type { Tensor } from '../../tensor/tensor.js';
import { full } from '../../tensor/creation.js';
import * as F from '../functional.js';
import { Module, Parameter } from '../module.js';
import { pyFloat, pyNum } from './format.js';
import { shapeStr } from '../../tensor/shape.js';

type InplaceOption = { inplace?: boolean };
const inplaceRepr = (inplace: boolean) => (inplace ? 'inplace=True' : '');

/** max(0, x). The inplace option is accepted for PyTorch compatibility; results are always new tensors. */
export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;
  /** `new nn.LeakyReLU({negativeSlope: 0.2})` or `new nn.LeakyReLU(0.2)`. */
  constructor(arg: number | ({ negativeSlope?: number } & InplaceOption) = {}) {
    super();
    const options = typeof arg === 'number' ? { negativeSlope: arg } : arg;
    this.negativeSlope = options.negativeSlope ?? 0.01;
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** Leaky ReLU with learned slopes: numParameters = 1 (shared) or the number of channels; slopes start at init (0.25). */
export class PReLU extends Module {
  readonly numParameters: number;
  weight: Parameter;
  constructor(options: { numParameters?: number; init?: number; dtype?: 'float32' | 'float64' } = {}) {
    super();
    this.numParameters = options.numParameters ?? 1;
    if (!Number.isInteger(this.numParameters) || this.numParameters < 1) throw new Error(`PReLU: numParameters must be a positive integer, got ${this.numParameters}`);
    this.weight = new Parameter(full([this.numParameters], options.init ?? 0.25, { dtype: options.dtype ?? 'float32' }));
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

export class ELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  /** `new nn.ELU({alpha: 0.5})` or `new nn.ELU(0.5)`. */
  constructor(arg: number | ({ alpha?: number } & InplaceOption) = {}) {
    super();
    const options = typeof arg === 'number' ? { alpha: arg } : arg;
    this.alpha = options.alpha ?? 1.0;
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class SELU extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.selu(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class Mish extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.mish(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(options: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = options.beta ?? 1;
    this.threshold = options.threshold ?? 20;
  }
  forward(x: Tensor): Tensor {
    return F.softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${pyNum(this.beta)}, threshold=${pyNum(this.threshold)}`;
  }
}

export class Hardswish extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class Hardsigmoid extends Module {
  readonly inplace: boolean;
  constructor(options: InplaceOption = {}) {
    super();
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;
  constructor(options: { minVal?: number; maxVal?: number } & InplaceOption = {}) {
    super();
    this.minVal = options.minVal ?? -1.0;
    this.maxVal = options.maxVal ?? 1.0;
    this.inplace = options.inplace ?? false;
    // Negated as PyTorch's assert max_val > min_val, so that a NaN bound is rejected too.
    if (!(this.maxVal > this.minVal)) throw new Error(`Hardtanh: maxVal (${this.maxVal}) must be greater than minVal (${this.minVal})`);
  }
  forward(x: Tensor): Tensor {
    return F.hardtanh(x, { minVal: this.minVal, maxVal: this.maxVal });
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class ReLU6 extends Hardtanh {
  constructor(options: InplaceOption = {}) {
    super({ minVal: 0, maxVal: 6, inplace: options.inplace });
  }
  override forward(x: Tensor): Tensor {
    return F.relu6(x);
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

const warnedImplicitDim = new Set<string>();

/**
 * Softmax, LogSoftmax and Softmin: an integer dim, or none (null) for PyTorch's deprecated implicit choice,
 * made per input as its _get_softmax_dim: dim 0 for 0-, 1- and 3-D inputs, else dim 1 (with its warning).
 */
abstract class SoftmaxBase extends Module {
  readonly dim: number | null;
  constructor(dim: number | null | undefined) {
    super();
    if (dim !== null && dim !== undefined && !Number.isInteger(dim)) throw new Error(`${new.target.name}: dim must be an integer or null, got ${String(dim)}`);
    this.dim = dim ?? null;
  }
  protected dimFor(x: Tensor): number {
    if (this.dim !== null) return this.dim;
    const name = this.getName();
    if (!warnedImplicitDim.has(name)) {
      warnedImplicitDim.add(name);
      console.warn(`${name}: implicit dimension choice has been deprecated (as in PyTorch); give the dim, e.g. new nn.${name}(1)`);
    }
    return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

/** Softmax along dim (PyTorch's implicit choice when dim is null or omitted; see SoftmaxBase). */
export class Softmax extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super(dim);
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dimFor(x));
  }
}

export class LogSoftmax extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super(dim);
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dimFor(x));
  }
}

/** max(0, x) + min(0, α·(exp(x/α) − 1)). */
export class CELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  /** `new nn.CELU({alpha: 0.5})` or `new nn.CELU(0.5)`. */
  constructor(arg: number | ({ alpha?: number } & InplaceOption) = {}) {
    super();
    const options = typeof arg === 'number' ? { alpha: arg } : arg;
    this.alpha = options.alpha ?? 1.0;
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** log σ(x). */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.logSigmoid(x);
  }
}

/** softmax(−x) along dim (PyTorch's implicit choice when dim is null or omitted; see SoftmaxBase). */
export class Softmin extends SoftmaxBase {
  constructor(dim: number | null = null) {
    super(dim);
  }
  forward(x: Tensor): Tensor {
    return F.softmin(x, this.dimFor(x));
  }
}

/** Softmax over the channels of [N, C, H, W] or [C, H, W] (dim −3). */
export class Softmax2d extends Module {
  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`Softmax2d: expected input [N, C, H, W] or [C, H, W], got ${shapeStr(x.shape)}`);
    return F.softmax(x, -3);
  }
}

/** x − λ·sign(x) where |x| > λ, else 0. */
export class Softshrink extends Module {
  readonly lambd: number;
  /** `new nn.Softshrink({lambd: 0.3})` or `new nn.Softshrink(0.3)`. */
  constructor(arg: number | { lambd?: number } = {}) {
    super();
    this.lambd = (typeof arg === 'number' ? arg : arg.lambd) ?? 0.5;
    if (this.lambd < 0) throw new Error(`Softshrink: lambd must be non-negative, got ${this.lambd}`);
  }
  forward(x: Tensor): Tensor {
    return F.softshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** x where |x| > λ, else 0. */
export class Hardshrink extends Module {
  readonly lambd: number;
  /** `new nn.Hardshrink({lambd: 0.3})` or `new nn.Hardshrink(0.3)`. */
  constructor(arg: number | { lambd?: number } = {}) {
    super();
    this.lambd = (typeof arg === 'number' ? arg : arg.lambd) ?? 0.5;
  }
  forward(x: Tensor): Tensor {
    return F.hardshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** x / (1 + |x|). */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}

/** x − tanh(x). */
export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}

/** x where x > threshold, else value. */
export class Threshold extends Module {
  readonly threshold: number;
  readonly value: number;
  readonly inplace: boolean;
  constructor(threshold: number, value: number, options: InplaceOption = {}) {
    super();
    if (typeof threshold !== 'number' || typeof value !== 'number') throw new Error(`Threshold: threshold and value are required numbers, got ${String(threshold)} and ${String(value)}`);
    this.threshold = threshold;
    this.value = value;
    this.inplace = options.inplace ?? false;
  }
  forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value);
  }
  override extraRepr(): string {
    return `threshold=${pyNum(this.threshold)}, value=${pyNum(this.value)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** Gated linear unit a·σ(b) over the two halves of dim (default −1). */
export class GLU extends Module {
  readonly dim: number;
  /** `new nn.GLU({dim: 1})` or `new nn.GLU(1)`. */
  constructor(arg: number | { dim?: number } = {}) {
    super();
    this.dim = (typeof arg === 'number' ? arg : arg.dim) ?? -1;
  }
  forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Randomized leaky ReLU: slopes drawn from U(lower, upper) per element in training (st.manualSeed gives
 * torch's draws), the fixed slope (lower + upper)/2 in eval.
 */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  readonly inplace: boolean;
  constructor(options: { lower?: number; upper?: number } & InplaceOption = {}) {
    super();
    this.lower = options.lower ?? 1 / 8;
    this.upper = options.upper ?? 1 / 3;
    this.inplace = options.inplace ?? false;
    if (!(this.lower <= this.upper)) throw new Error(`RReLU: lower (${this.lower}) must not exceed upper (${this.upper})`);
  }
  forward(x: Tensor): Tensor {
    return F.rrelu(x, { lower: this.lower, upper: this.upper, training: this.training });
  }
  override extraRepr(): string {
    return `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}${this.inplace ? ', inplace=True' : ''}`;
  }
}
