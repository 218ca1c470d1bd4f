/** Embedding, PixelShuffle, PixelUnshuffle, Fold, Unfold, CosineSimilarity, PairwiseDistance. */
import type { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, Parameter } from '../module.js';
import { pyFloat, pySize } from './format.js';

export interface EmbeddingOptions {
  /** The row that maps to a zero vector and gets no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Renormalise, in place, every looked-up row whose normType-norm exceeds maxNorm. */
  maxNorm?: number | null;
  normType?: number;
  /** Scale each row's gradient by the inverse of its index's frequency in the mini-batch. */
  scaleGradByFreq?: boolean;
  /** Accepted for PyTorch compatibility; gradients are always dense. */
  sparse?: boolean;
  dtype?: 'float32' | 'float64';
}

/** A lookup table [numEmbeddings, embeddingDim] indexed by int32 tensors; weight ~ N(0, 1) as PyTorch, paddingIdx row zero. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions & { _weight?: Tensor | null } = {}) {
    super();
    for (const [n, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Embedding: ${n} must be a non-negative integer, got ${v}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pi = options.paddingIdx ?? null;
    if (pi !== null) {
      if (!Number.isInteger(pi) || pi >= numEmbeddings || pi < -numEmbeddings) {
        throw new Error(`Embedding: paddingIdx must be within the ${numEmbeddings} embeddings, got ${pi}`);
      }
      if (pi < 0) pi += numEmbeddings;
    }
    this.paddingIdx = pi;
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.scaleGradByFreq = options.scaleGradByFreq ?? false;
    this.sparse = options.sparse ?? false;
    if (options._weight) {
      const w = options._weight;
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new Error(`Embedding: the given weight must have shape [${numEmbeddings}, ${embeddingDim}], got [${w.shape.join(', ')}]`);
      }
      this.weight = new Parameter(w.detach());
    } else {
      this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype ?? 'float32' }));
      this.resetParameters();
    }
  }

  /** Create an Embedding from a [num, dim] tensor (frozen unless freeze: false), as PyTorch's Embedding.from_pretrained. */
  static fromPretrained(embeddings: Tensor, options: Omit<EmbeddingOptions, 'dtype'> & { freeze?: boolean } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new Error(`Embedding.fromPretrained: embeddings must be 2-dimensional, got shape [${embeddings.shape.join(', ')}]`);
    const { freeze, ...rest } = options;
    const m = new Embedding(embeddings.shape[0], embeddings.shape[1], { ...rest, _weight: embeddings });
    m.weight.requiresGrad_(!(freeze ?? true));
    return m;
  }

  /** Re-draw the weights from N(0, 1) and zero the padding row, as PyTorch. */
  resetParameters(): void {
    noGrad(() => {
      init.normal_(this.weight);
      if (this.paddingIdx !== null) this.weight.select(0, this.paddingIdx).fill_(0);
    });
  }

  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx, maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    if (this.sparse) s += ', sparse=True';
    return s;
  }
}

/** Channel shuffle of [N, C, *] in `groups` groups (ShuffleNet; torch.nn.ChannelShuffle). */
export class ChannelShuffle extends Module {
  readonly groups: number;
  constructor(groups: number) {
    super();
    this.groups = groups;
  }
  forward(x: Tensor): Tensor {
    return F.channelShuffle(x, this.groups);
  }
  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}

/** [*, C·r², H, W] → [*, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = upscaleFactor;
  }
  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** [*, C, H·r, W·r] → [*, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = downscaleFactor;
  }
  forward(x: Tensor): Tensor {
    return F.pixelUnshuffle(x, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

type Size = number | number[];
export interface FoldLayerOptions {
  dilation?: Size;
  padding?: Size;
  stride?: Size;
}

/** Sum columns [N, C·kH·kW, L] back into an image [N, C, outputSize] (col2im). */
export class Fold extends Module {
  readonly outputSize: Size;
  readonly kernelSize: Size;
  readonly dilation: Size;
  readonly padding: Size;
  readonly stride: Size;
  constructor(outputSize: Size, kernelSize: Size, options: FoldLayerOptions = {}) {
    super();
    this.outputSize = outputSize;
    this.kernelSize = kernelSize;
    this.dilation = options.dilation ?? 1;
    this.padding = options.padding ?? 0;
    this.stride = options.stride ?? 1;
  }
  forward(x: Tensor): Tensor {
    return F.fold(x, this.outputSize, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}, kernel_size=${pySize(this.kernelSize)}, dilation=${pySize(this.dilation)}, padding=${pySize(this.padding)}, stride=${pySize(this.stride)}`;
  }
}

/** Sliding local blocks of [N, C, H, W] as columns [N, C·kH·kW, L] (im2col). */
export class Unfold extends Module {
  readonly kernelSize: Size;
  readonly dilation: Size;
  readonly padding: Size;
  readonly stride: Size;
  constructor(kernelSize: Size, options: FoldLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.dilation = options.dilation ?? 1;
    this.padding = options.padding ?? 0;
    this.stride = options.stride ?? 1;
  }
  forward(x: Tensor): Tensor {
    return F.unfold(x, this.kernelSize, { dilation: this.dilation, padding: this.padding, stride: this.stride });
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, dilation=${pySize(this.dilation)}, padding=${pySize(this.padding)}, stride=${pySize(this.stride)}`;
  }
}

/** Cosine similarity of x1 and x2 along dim (default 1). */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;
  constructor(options: { dim?: number; eps?: number } = {}) {
    super();
    this.dim = options.dim ?? 1;
    this.eps = options.eps ?? 1e-8;
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps });
  }
}

/** ‖x1 − x2 + eps‖_p along the last dim. */
export class PairwiseDistance extends Module {
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;
  constructor(options: { p?: number; eps?: number; keepdim?: boolean } = {}) {
    super();
    this.norm = options.p ?? 2;
    this.eps = options.eps ?? 1e-6;
    this.keepdim = options.keepdim ?? false;
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, { p: this.norm, eps: this.eps, keepdim: this.keepdim });
  }
}

