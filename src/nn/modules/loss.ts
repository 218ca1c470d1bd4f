/** Loss modules: `new nn.CrossEntropyLoss({labelSmoothing: 0.1}).forward(logits, target)`. */
import type { Tensor } from '../../tensor/tensor.js';
import * as F from '../functional.js';
import type { Reduction } from '../functional.js';
import { Module } from '../module.js';
import { PairwiseDistance } from './sparse.js';

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** A loss with an optional per-class weight, stored as the buffer 'weight' (as PyTorch's _WeightedLoss). */
abstract class WeightedLoss extends Loss {
  /** The per-class weight buffer (null when not given). */
  declare weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }
}

export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; labelSmoothing?: number } = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    super(options.reduction);
    this.beta = options.beta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    super(options.reduction);
    this.delta = options.delta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Binary cross entropy of probabilities. */
export class BCELoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(options.weight, options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, this.weight, { reduction: this.reduction });
  }
}

/** Binary cross entropy of logits; weight and posWeight are buffers, as in PyTorch. */
export class BCEWithLogitsLoss extends Loss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super(options.reduction);
    this.registerBuffer('weight', options.weight ?? null);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  declare weight: Tensor | null;
  get posWeight(): Tensor | null {
    return this._buffers.get('pos_weight') ?? null;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.bceWithLogits(input, target, this.weight, { reduction: this.reduction, posWeight: this.posWeight });
  }
}

export class MultiMarginLoss extends WeightedLoss {
  readonly p: number;
  readonly margin: number;
  constructor(options: { p?: number; margin?: number; weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(options.weight, options.reduction);
    this.p = options.p ?? 1;
    this.margin = options.margin ?? 1;
    if (this.p !== 1 && this.p !== 2) throw new Error(`MultiMarginLoss: only p == 1 and p == 2 are supported, got ${this.p}`);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction });
  }
}

/** KL divergence; input holds log-probabilities (target too with logTarget). reduction 'batchmean' is the mathematically right mean. */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** A loss over three tensors (two inputs and a target, or anchor/positive/negative). */
abstract class TripleLoss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
  }
  abstract override forward(a: Tensor, b: Tensor, c: Tensor): Tensor;
}

/** 1 − cos(x1, x2) for target 1, max(0, cos(x1, x2) − margin) for target −1. */
export class CosineEmbeddingLoss extends TripleLoss {
  readonly margin: number;
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** x for target 1, max(0, margin − x) for target −1. */
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** max(0, −y·(x1 − x2) + margin). */
export class MarginRankingLoss extends TripleLoss {
  readonly margin: number;
  constructor(options: { margin?: number; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 0;
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Multi-label hinge loss; target: int32 class indices per sample, ended by the first −1. */
export class MultiLabelMarginLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** Multi-label one-versus-all logistic loss; the optional per-class weight is the buffer 'weight'. */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(options.weight, options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Poisson negative log-likelihood (input: log-rates with logInput, the default). */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(options: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.logInput = options.logInput ?? true;
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-8;
  }
  forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** Gaussian negative log-likelihood of target under N(input, var): forward(input, target, var). */
export class GaussianNLLLoss extends TripleLoss {
  readonly full: boolean;
  readonly eps: number;
  constructor(options: { full?: boolean; eps?: number; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-6;
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/** Two-class logistic loss log(1 + exp(−y·x)) for targets ±1. */
export class SoftMarginLoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** max(d(a, p) − d(a, n) + margin, 0) with the p-norm pairwise distance. */
export class TripletMarginLoss extends TripleLoss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(options: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 1.0;
    this.p = options.p ?? 2;
    this.eps = options.eps ?? 1e-6;
    this.swap = options.swap ?? false;
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.p, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}

type DistanceFunction = ((a: Tensor, b: Tensor) => Tensor) | Module;

/**
 * max(d(a, p) − d(a, n) + margin, 0) with any distance: a function or a module (default a new
 * nn.PairwiseDistance(), registered as the child 'distance_function' as in PyTorch).
 */
export class TripletMarginWithDistanceLoss extends TripleLoss {
  readonly margin: number;
  readonly swap: boolean;
  readonly #distance: ((a: Tensor, b: Tensor) => Tensor) | null;
  constructor(options: { distanceFunction?: DistanceFunction | null; margin?: number; swap?: boolean; reduction?: Reduction } = {}) {
    super(options.reduction);
    this.margin = options.margin ?? 1.0;
    this.swap = options.swap ?? false;
    if (!(this.margin > 0)) throw new Error(`TripletMarginWithDistanceLoss: margin must be greater than 0, got ${this.margin}`);
    const d = options.distanceFunction ?? new PairwiseDistance();
    if (d instanceof Module) {
      this.registerModule('distance_function', d);
      this.#distance = null;
    } else {
      this.#distance = d;
    }
  }
  /** The distance: the registered module's forward, or the function given. */
  get distanceFunction(): (a: Tensor, b: Tensor) => Tensor {
    const m = this._modules.get('distance_function');
    return this.#distance ?? ((a, b) => m!.forward(a, b) as Tensor);
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, {
      distanceFunction: this.distanceFunction, margin: this.margin, swap: this.swap, reduction: this.reduction,
    });
  }
}
