/** BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, LocalResponseNorm. */
import { Tensor } from '../../tensor/tensor.js';
import { ones, zeros } from '../../tensor/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import { Module, Parameter } from '../module.js';
import { inputError, pyBool, pyFloat, pyTuple } from './format.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** Running-average factor (default 0.1); null for a cumulative average over all batches. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true). */
  trackRunningStats?: boolean;
  dtype?: 'float32' | 'float64';
}

/**
 * What batch and instance norm share (PyTorch's _NormBase): parameters weight (ones) and bias (zeros)
 * when affine, buffers running_mean, running_var and num_batches_tracked (int32 scalar) when tracking
 * running statistics, in PyTorch's order and names (null slots otherwise).
 */
abstract class NormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  abstract momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight!: Parameter | null;
  bias!: Parameter | null;

  constructor(
    numFeatures: number,
    options: { eps?: number; affine?: boolean; trackRunningStats?: boolean; dtype?: 'float32' | 'float64' },
    defaults: { affine: boolean; trackRunningStats: boolean },
  ) {
    super();
    // PyTorch accepts 0 features (an empty weight; inputs with 0 channels, or any channels without affine for instance norm).
    if (!Number.isInteger(numFeatures) || numFeatures < 0) throw new Error(`${new.target.name}: numFeatures must be a non-negative integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? defaults.affine;
    this.trackRunningStats = options.trackRunningStats ?? defaults.trackRunningStats;
    const dtype = options.dtype ?? 'float32';
    if (this.affine) {
      this.weight = new Parameter(ones([numFeatures], { dtype }));
      this.bias = new Parameter(zeros([numFeatures], { dtype }));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  /** The running mean buffer (PyTorch's running_mean). */
  get runningMean(): Tensor | null {
    return this._buffers.get('running_mean') ?? null;
  }

  get runningVar(): Tensor | null {
    return this._buffers.get('running_var') ?? null;
  }

  /** Number of training batches seen (an int32 scalar tensor). */
  get numBatchesTracked(): Tensor | null {
    return this._buffers.get('num_batches_tracked') ?? null;
  }

  /** Reset running_mean to 0, running_var to 1 and num_batches_tracked to 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  override extraRepr(): string {
    const m = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Batch normalisation (PyTorch's _BatchNorm): affine and running statistics by default. */
abstract class BatchNormBase extends NormBase {
  momentum: number | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options, { affine: true, trackRunningStats: true });
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats) {
      const n = this.numBatchesTracked;
      if (n) {
        noGrad(() => n.add_(1));
        factor = this.momentum === null ? 1 / n.item() : this.momentum;
      }
    }
    const bnTraining = this.training ? true : this.runningMean === null && this.runningVar === null;
    const useStats = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useStats ? this.runningMean : null, useStats ? this.runningVar : null, this.weight, this.bias, {
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || (x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw inputError(`BatchNorm1d(${this.numFeatures})`, `[N, ${this.numFeatures}] or [N, ${this.numFeatures}, L]`, x);
    }
  }
}

/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      throw inputError(`BatchNorm2d(${this.numFeatures})`, `[N, ${this.numFeatures}, H, W]`, x);
    }
  }
}

/** Batch norm over [N, C, D, H, W]. */
export class BatchNorm3d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor) || x.ndim !== 5 || x.shape[1] !== this.numFeatures) {
      throw inputError(`BatchNorm3d(${this.numFeatures})`, `[N, ${this.numFeatures}, D, H, W]`, x);
    }
  }
}

/** Layer normalisation over the last dims (normalizedShape), with elementwise weight (ones) and bias (zeros). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight!: Parameter | null;
  bias!: Parameter | null;

  constructor(normalizedShape: number | number[], options: { eps?: number; elementwiseAffine?: boolean; dtype?: 'float32' | 'float64' } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? 'float32';
    if (this.elementwiseAffine) {
      this.weight = new Parameter(ones(this.normalizedShape, { dtype }));
      this.bias = new Parameter(zeros(this.normalizedShape, { dtype }));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (!(x instanceof Tensor) || x.ndim < k || this.normalizedShape.some((d, i) => x.shape[x.ndim - k + i] !== d)) {
      throw inputError(`LayerNorm(${pyTuple(this.normalizedShape)})`, `[*, ${this.normalizedShape.join(', ')}]`, x);
    }
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Group normalisation: channels split into numGroups groups, each normalised over (channels, spatial). */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight!: Parameter | null;
  bias!: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: { eps?: number; affine?: boolean; dtype?: 'float32' | 'float64' } = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups <= 0 || numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const dtype = options.dtype ?? 'float32';
    if (this.affine) {
      this.weight = new Parameter(ones([numChannels], { dtype }));
      this.bias = new Parameter(zeros([numChannels], { dtype }));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
  }

  forward(x: Tensor): Tensor {
    // As PyTorch, the channel count must match only when there are affine parameters (F.groupNorm checks divisibility).
    if (!(x instanceof Tensor) || x.ndim < 2 || (this.affine && x.shape[1] !== this.numChannels)) {
      throw inputError(`GroupNorm(${this.numGroups}, ${this.numChannels})`, `[N, ${this.numChannels}, *]`, x);
    }
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

export interface InstanceNormLayerOptions {
  eps?: number;
  /** Running-average factor of the running statistics (default 0.1); null is accepted but, as PyTorch, forward then throws. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default false, unlike batch norm). */
  affine?: boolean;
  /** Keep running statistics, used in evaluation mode (default false). */
  trackRunningStats?: boolean;
  dtype?: 'float32' | 'float64';
}

/**
 * Instance normalisation (PyTorch's _InstanceNorm): each sample's channels normalised over their spatial
 * dims. Parameters weight/bias only with affine; buffers running_mean, running_var and num_batches_tracked
 * only with trackRunningStats (evaluation then uses the running statistics). Unbatched input works too.
 */
abstract class InstanceNormBase extends NormBase {
  readonly momentum: number | null;
  /** Spatial dims of the input (1 for [N, C, L], 2 for [N, C, H, W]). */
  protected abstract readonly spatial: number;

  constructor(numFeatures: number, options: InstanceNormLayerOptions = {}) {
    super(numFeatures, options, { affine: false, trackRunningStats: false });
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
  }

  forward(x: Tensor): Tensor {
    const s = this.spatial;
    const names = ['L', 'H, W', 'D, H, W'][s - 1];
    if (!(x instanceof Tensor) || (x.ndim !== s + 1 && x.ndim !== s + 2)) {
      throw inputError(`${this.getName()}(${this.numFeatures})`, `[N, C, ${names}] or unbatched [C, ${names}]`, x);
    }
    // As PyTorch, a channel-count mismatch is an error only when the affine parameters need it.
    if (this.affine && x.shape[x.ndim - s - 1] !== this.numFeatures) {
      throw inputError(`${this.getName()}(${this.numFeatures})`, `${this.numFeatures} channels ([N, ${this.numFeatures}, ${names}])`, x);
    }
    // PyTorch keeps momentum=None (and prints it) but its instance_norm rejects it on every call.
    if (this.momentum === null) throw new Error(`${this.getName()}: momentum must be a number, got null`);
    const unbatched = x.ndim === s + 1;
    const out = F.instanceNorm(unbatched ? x.unsqueeze(0) : x, this.runningMean, this.runningVar, this.weight, this.bias, {
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
    return unbatched ? out.squeeze(0) : out;
  }
}

/** Instance norm over [N, C, L] (or unbatched [C, L]). */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly spatial = 1;
}

/** Instance norm over [N, C, H, W] (or unbatched [C, H, W]). */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly spatial = 2;
}

/** Instance norm over [N, C, D, H, W] (or unbatched [C, D, H, W]). */
export class InstanceNorm3d extends InstanceNormBase {
  protected readonly spatial = 3;
}

/** Local response normalisation across channels: x / (k + α/n·Σ_{neighbours} x²)^β, as PyTorch's. */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  constructor(size: number, options: { alpha?: number; beta?: number; k?: number } = {}) {
    super();
    if (!Number.isInteger(size) || size < 1) throw new Error(`LocalResponseNorm: size must be a positive integer, got ${size}`);
    this.size = size;
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 0.75;
    this.k = options.k ?? 1.0;
  }
  forward(x: Tensor): Tensor {
    return F.localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k });
  }
  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
