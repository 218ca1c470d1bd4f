/** Linear, Identity, Flatten, Unflatten. */
import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, Parameter } from '../module.js';
import { inputError, pyBool, pyTuple } from './format.js';

/** Returns its input unchanged (a placeholder, e.g. to remove a classifier head). */
export class Identity extends Module {
  /** Accepts and ignores any constructor arguments, as PyTorch's. */
  constructor(..._args: unknown[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  dtype?: 'float32' | 'float64';
}

/**
 * y = x·Wᵀ + b with W [outFeatures, inFeatures]. Initialised as PyTorch: W ~ kaiming_uniform(a=√5),
 * i.e. U(−1/√in, 1/√in), then b ~ U(−1/√in, 1/√in), drawn in that order.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [n, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Linear: ${n} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outFeatures], { dtype })) : this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** Re-draw the weights with PyTorch's default initialisation. */
  resetParameters(): void {
    noGrad(() => {
      init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const [fanIn] = init.calculateFanInAndFanOut(this.weight);
        const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        init.uniform_(this.bias, { a: -bound, b: bound });
      }
    });
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor) || x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw inputError(`Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures})`, `[*, ${this.inFeatures}]`, x);
    }
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Flatten dims startDim..endDim (default 1..−1, keeping the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  /** `new nn.Flatten()`, `new nn.Flatten({startDim: 0})` or `new nn.Flatten(0, 2)`. */
  constructor(startDim: number | { startDim?: number; endDim?: number } = {}, endDim?: number) {
    super();
    const options = typeof startDim === 'number' ? { startDim, endDim } : startDim;
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }

  forward(x: Tensor): Tensor {
    // As PyTorch, a 0-d input still takes dims in [-1, 0] only (the default startDim 1 is out of range).
    if (x.ndim === 0) {
      for (const d of [this.startDim, this.endDim]) {
        if (d < -1 || d > 0) throw new Error(`Flatten: dimension out of range (expected to be in range of [-1, 0], but got ${d})`);
      }
    }
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Split dim into unflattenedSize (one entry may be −1). */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    // PyTorch's _require_tuple_int: a TypeError for a non-integer size or dim.
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${String(dim)}`);
    if (!Array.isArray(unflattenedSize) || !unflattenedSize.every(Number.isInteger)) {
      throw new Error(`Unflatten: unflattenedSize must be a list of integers, got ${JSON.stringify(unflattenedSize)}`);
    }
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  forward(x: Tensor): Tensor {
    // PyTorch accepts an empty size at construction but its unflatten rejects it.
    if (this.unflattenedSize.length === 0) throw new Error('Unflatten: unflattenedSize must be non-empty');
    return x.unflatten(this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}

/**
 * y_o = x1ᵀ·W_o·x2 + b_o with W [outFeatures, in1Features, in2Features]. Initialised as PyTorch:
 * W ~ U(−1/√in1, 1/√in1), then b ~ U(−1/√in1, 1/√in1), drawn in that order.
 */
export class Bilinear extends Module {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [n, v] of [['in1Features', in1Features], ['in2Features', in2Features], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Bilinear: ${n} must be a non-negative integer, got ${v}`);
    }
    // PyTorch's reset_parameters divides by √in1Features (ZeroDivisionError); the bound would be infinite here.
    if (in1Features === 0) throw new Error('Bilinear: in1Features must be positive (the initialisation bound is 1/√in1Features)');
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, in1Features, in2Features], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outFeatures], { dtype })) : this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** Re-draw the weights with PyTorch's default initialisation. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]);
    noGrad(() => {
      init.uniform_(this.weight, { a: -bound, b: bound });
      if (this.bias) init.uniform_(this.bias, { a: -bound, b: bound });
    });
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.bilinear(x1, x2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
