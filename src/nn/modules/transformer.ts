/**
 * Attention layers: MultiheadAttention and the Transformer family (encoder/decoder layers, stacks and the
 * full encoder-decoder), with torch 1.13's parameter names, initialisation order, masks and printing, so
 * state dicts load from PyTorch and seeded models start with PyTorch's weights.
 */
import { Tensor } from '../../tensor/tensor.js';
import { full } from '../../tensor/creation.js';
import { triu } from '../../ops/triangular.js';
import { noGrad, isGradEnabled } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { multiHeadAttentionForward } from '../attention.js';
import { deepCopy } from '../deep-copy.js';
import { Module, Parameter } from '../module.js';
import { zeros } from '../../tensor/creation.js';
import { Linear } from './linear.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './normalization.js';
import { ModuleList } from './container.js';
import { ReLU, GELU } from './activation.js';

type Dtype = 'float32' | 'float64';

/** The output projection of MultiheadAttention: a Linear under PyTorch's class name (for printing). */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Learned bias_k / bias_v appended to the keys and values (default false). */
  addBiasKv?: boolean;
  /** Append a zero key and value (default false). */
  addZeroAttn?: boolean;
  /** Key / value feature sizes (default embedDim); different sizes use separate q/k/v projection weights. */
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and outputs are [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
  dtype?: Dtype;
}

export interface MultiheadAttentionForwardOptions {
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

/** Multi-head attention (torch.nn.MultiheadAttention): forward(query, key, value, options) → [output, weights | null]. */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  readonly addZeroAttn: boolean;
  out_proj: NonDynamicallyQuantizableLinear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    for (const [n, v] of [['embedDim', embedDim], ['numHeads', numHeads]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`MultiheadAttention: ${n} must be a positive integer, got ${v}`);
    }
    this.embedDim = embedDim;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.numHeads = numHeads;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new Error(`MultiheadAttention: embed_dim must be divisible by num_heads, got ${embedDim} and ${numHeads}`);
    this.addZeroAttn = options.addZeroAttn ?? false;
    const dtype = options.dtype ?? 'float32';
    const empty = (shape: number[]) => new Parameter(zeros(shape, { dtype }));
    // Registration order = PyTorch's parameter order.
    if (!this.qkvSameEmbedDim) {
      this.registerParameter('q_proj_weight', empty([embedDim, embedDim]));
      this.registerParameter('k_proj_weight', empty([embedDim, this.kdim]));
      this.registerParameter('v_proj_weight', empty([embedDim, this.vdim]));
      this.registerParameter('in_proj_weight', null);
    } else {
      this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim]));
      for (const n of ['q_proj_weight', 'k_proj_weight', 'v_proj_weight']) this.registerParameter(n, null);
    }
    const bias = options.bias ?? true;
    this.registerParameter('in_proj_bias', bias ? empty([3 * embedDim]) : null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype });
    if (options.addBiasKv) {
      this.registerParameter('bias_k', empty([1, 1, embedDim]));
      this.registerParameter('bias_v', empty([1, 1, embedDim]));
    }
    this.resetParameters();
  }

  get qkvSameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }
  get inProjWeight(): Parameter | null {
    return this._parameters.get('in_proj_weight') ?? null;
  }
  get inProjBias(): Parameter | null {
    return this._parameters.get('in_proj_bias') ?? null;
  }
  get qProjWeight(): Parameter | null {
    return this._parameters.get('q_proj_weight') ?? null;
  }
  get kProjWeight(): Parameter | null {
    return this._parameters.get('k_proj_weight') ?? null;
  }
  get vProjWeight(): Parameter | null {
    return this._parameters.get('v_proj_weight') ?? null;
  }
  get biasK(): Parameter | null {
    return this._parameters.get('bias_k') ?? null;
  }
  get biasV(): Parameter | null {
    return this._parameters.get('bias_v') ?? null;
  }
  get outProj(): NonDynamicallyQuantizableLinear {
    return this.out_proj;
  }

  /** PyTorch's _reset_parameters: xavier-uniform projections, zero biases, xavier-normal bias_k/bias_v. */
  resetParameters(): void {
    noGrad(() => {
      if (this.inProjWeight) init.xavierUniform_(this.inProjWeight);
      else for (const w of [this.qProjWeight, this.kProjWeight, this.vProjWeight]) init.xavierUniform_(w!);
      if (this.inProjBias) {
        this.inProjBias.zero_();
        this.out_proj.bias?.zero_();
      }
      if (this.biasK) init.xavierNormal_(this.biasK);
      if (this.biasV) init.xavierNormal_(this.biasV);
    });
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const batched = query instanceof Tensor && query.ndim === 3;
    if (this.batchFirst && batched) {
      // Keep the self-attention / shared key-value identities, which pick the projection grouping.
      const q = query.transpose(1, 0);
      const k = key === query ? q : key.transpose(1, 0);
      const v = value === key ? k : value.transpose(1, 0);
      [query, key, value] = [q, k, v];
    }
    const [out, weights] = multiHeadAttentionForward(
      query, key, value, this.embedDim, this.numHeads, this.inProjWeight, this.inProjBias, this.biasK, this.biasV,
      this.addZeroAttn, this.dropout, this.out_proj.weight, this.out_proj.bias,
      {
        training: this.training, keyPaddingMask: options.keyPaddingMask, needWeights: options.needWeights ?? true,
        attnMask: options.attnMask, averageAttnWeights: options.averageAttnWeights ?? true,
        useSeparateProjWeight: !this.qkvSameEmbedDim, qProjWeight: this.qProjWeight, kProjWeight: this.kProjWeight, vProjWeight: this.vProjWeight,
      },
    );
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, weights];
  }
}

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** 'relu' (default), 'gelu', a function or a module. */
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before attention and feed-forward instead of after (default false). */
  normFirst?: boolean;
  dtype?: Dtype;
}

function activationFn(activation: TransformerActivation, layer: string): TransformerActivation {
  if (activation === 'relu') return F.relu;
  if (activation === 'gelu') return F.gelu;
  if (typeof activation === 'function' || activation instanceof Module) return activation;
  throw new Error(`${layer}: activation should be relu/gelu, not ${String(activation)}`);
}

function applyActivation(activation: TransformerActivation, x: Tensor): Tensor {
  return activation instanceof Module ? activation.forward(x) : (activation as (x: Tensor) => Tensor)(x);
}

function checkKeyPaddingMask(mask: Tensor | null | undefined, layer: string): void {
  if (mask && mask.dtype !== 'bool' && !mask.isFloatingPoint()) throw new Error(`${layer}: only bool and floating types of key_padding_mask are supported, got ${mask.dtype}`);
}

/** The pieces both layer kinds share: self-attention, feed-forward, norms and dropouts (PyTorch's order). */
abstract class TransformerLayerBase extends Module {
  readonly normFirst: boolean;
  self_attn: MultiheadAttention;
  linear1!: Linear;
  dropout!: Dropout;
  linear2!: Linear;
  activation: TransformerActivation;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions, crossAttention: boolean) {
    super();
    const dropout = options.dropout ?? 0.1;
    const dtype = options.dtype ?? 'float32';
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst: options.batchFirst ?? false, dtype });
    if (crossAttention) this.registerModule('multihead_attn', new MultiheadAttention(dModel, nhead, { dropout, batchFirst: options.batchFirst ?? false, dtype }));
    this.linear1 = new Linear(dModel, options.dimFeedforward ?? 2048, { dtype });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(options.dimFeedforward ?? 2048, dModel, { dtype });
    this.normFirst = options.normFirst ?? false;
    const eps = options.layerNormEps ?? 1e-5;
    for (let i = 1; i <= (crossAttention ? 3 : 2); i++) this.registerModule(`norm${i}`, new LayerNorm(dModel, { eps, dtype }));
    for (let i = 1; i <= (crossAttention ? 3 : 2); i++) this.registerModule(`dropout${i}`, new Dropout(dropout));
    this.activation = activationFn(options.activation ?? 'relu', new.target.name);
  }

  protected norm(i: number): LayerNorm {
    return this._modules.get(`norm${i}`) as LayerNorm;
  }

  protected drop(i: number): Dropout {
    return this._modules.get(`dropout${i}`) as Dropout;
  }

  protected saBlock(x: Tensor, attnMask: Tensor | null | undefined, keyPaddingMask: Tensor | null | undefined): Tensor {
    return this.drop(1).forward(this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  protected ffBlock(x: Tensor, dropoutIndex: number): Tensor {
    const h = this.linear2.forward(this.dropout.forward(applyActivation(this.activation, this.linear1.forward(x))));
    return this.drop(dropoutIndex).forward(h);
  }
}

export interface EncoderLayerForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
}

/** Self-attention then feed-forward, each with a residual connection and LayerNorm (torch.nn.TransformerEncoderLayer). */
export class TransformerEncoderLayer extends TransformerLayerBase {
  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options, false);
  }

  forward(src: Tensor, options: EncoderLayerForwardOptions = {}): Tensor {
    checkKeyPaddingMask(options.srcKeyPaddingMask, 'TransformerEncoderLayer');
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm(1).forward(x), options.srcMask, options.srcKeyPaddingMask));
      x = x.add(this.ffBlock(this.norm(2).forward(x), 2));
    } else {
      x = this.norm(1).forward(x.add(this.saBlock(x, options.srcMask, options.srcKeyPaddingMask)));
      x = this.norm(2).forward(x.add(this.ffBlock(x, 2)));
    }
    return x;
  }
}

export interface DecoderLayerForwardOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

/** Self-attention, attention over the encoder's memory, then feed-forward (torch.nn.TransformerDecoderLayer). */
export class TransformerDecoderLayer extends TransformerLayerBase {
  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options, true);
  }

  get multiheadAttn(): MultiheadAttention {
    return this._modules.get('multihead_attn') as MultiheadAttention;
  }

  private mhaBlock(x: Tensor, memory: Tensor, attnMask: Tensor | null | undefined, keyPaddingMask: Tensor | null | undefined): Tensor {
    return this.drop(2).forward(this.multiheadAttn.forward(x, memory, memory, { attnMask, keyPaddingMask, needWeights: false })[0]);
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderLayerForwardOptions = {}): Tensor {
    const o = options;
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm(1).forward(x), o.tgtMask, o.tgtKeyPaddingMask));
      x = x.add(this.mhaBlock(this.norm(2).forward(x), memory, o.memoryMask, o.memoryKeyPaddingMask));
      x = x.add(this.ffBlock(this.norm(3).forward(x), 3));
    } else {
      x = this.norm(1).forward(x.add(this.saBlock(x, o.tgtMask, o.tgtKeyPaddingMask)));
      x = this.norm(2).forward(x.add(this.mhaBlock(x, memory, o.memoryMask, o.memoryKeyPaddingMask)));
      x = this.norm(3).forward(x.add(this.ffBlock(x, 3)));
    }
    return x;
  }
}

/** ModuleList of `n` deep copies of `layer` (PyTorch's _get_clones: every copy starts with the same weights). */
function clones(layer: Module, n: number, what: string): ModuleList {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: numLayers must be a non-negative integer, got ${n}`);
  return new ModuleList(Array.from({ length: n }, () => deepCopy(layer)));
}

export interface TransformerEncoderOptions {
  /** Final normalisation after the last layer (default none). */
  norm?: Module | null;
  /** PyTorch's nested-tensor inference path (default true): in evaluation without gradients, padded positions come out as zeros. */
  enableNestedTensor?: boolean;
  maskCheck?: boolean;
}

export interface EncoderForwardOptions {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
}

/** A stack of `numLayers` copies of an encoder layer, then an optional norm (torch.nn.TransformerEncoder). */
export class TransformerEncoder extends Module {
  readonly numLayers: number;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;
  layers: ModuleList;
  norm: Module | null;

  constructor(encoderLayer: Module, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    this.layers = clones(encoderLayer, numLayers, 'TransformerEncoder');
    this.numLayers = numLayers;
    this.norm = options.norm ?? null; // registered only when given (PyTorch prints no '(norm): None')
    this.enableNestedTensor = options.enableNestedTensor ?? true;
    this.maskCheck = options.maskCheck ?? true;
  }

  /**
   * Whether PyTorch would run this call on nested tensors: its output is then zero at every padded position
   * (before the final norm). The same conditions as torch 1.13's TransformerEncoder.forward.
   */
  private nestedPath(src: Tensor, mask: Tensor | null | undefined, kpm: Tensor | null | undefined): boolean {
    const first = this.layers.at(0);
    if (!(first instanceof TransformerEncoderLayer) || first.normFirst || first.training) return false;
    const attn = first.self_attn;
    if (!attn.batchFirst || !attn.qkvSameEmbedDim || attn.numHeads % 2 === 1) return false;
    if (first.activation !== F.relu && first.activation !== F.gelu && !(first.activation instanceof ReLU) && !(first.activation instanceof GELU)) return false;
    const n1 = first._modules.get('norm1') as LayerNorm, n2 = first._modules.get('norm2') as LayerNorm;
    if (n1.eps !== n2.eps || src.ndim !== 3 || !this.enableNestedTensor || !kpm || mask) return false;
    if (this.maskCheck && !leftAligned(kpm)) return false;
    if (kpm.dtype !== 'bool') return false;
    if (isGradEnabled() && (src.requiresGrad || first.parameters().some((p) => p.requiresGrad))) return false;
    return true;
  }

  forward(src: Tensor, options: EncoderForwardOptions = {}): Tensor {
    const kpm = options.srcKeyPaddingMask;
    checkKeyPaddingMask(kpm, 'TransformerEncoder');
    const nested = this.layers.length > 0 && this.nestedPath(src, options.mask, kpm);
    let out = src;
    for (const layer of this.layers) out = (layer as TransformerEncoderLayer).forward(out, { srcMask: options.mask, srcKeyPaddingMask: kpm });
    if (nested) out = out.maskedFill(kpm!.unsqueeze(-1), 0);
    if (this.norm) out = this.norm.forward(out);
    return out;
  }
}

/** True when every row of a padding mask is [false…, true…] (the kept tokens come first). */
function leftAligned(kpm: Tensor): boolean {
  const rows = kpm.shape[0]!, cols = kpm.shape[1]!;
  const data = kpm.contiguous().toArray() as unknown as boolean[][];
  for (let r = 0; r < rows; r++) {
    let padded = false;
    for (let c = 0; c < cols; c++) {
      if (data[r]![c]) padded = true;
      else if (padded) return false;
    }
  }
  return true;
}

export interface DecoderForwardOptions extends DecoderLayerForwardOptions {}

/** A stack of `numLayers` copies of a decoder layer, then an optional norm (torch.nn.TransformerDecoder). */
export class TransformerDecoder extends Module {
  readonly numLayers: number;
  layers: ModuleList;
  norm: Module | null;

  constructor(decoderLayer: Module, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    this.layers = clones(decoderLayer, numLayers, 'TransformerDecoder');
    this.numLayers = numLayers;
    this.norm = options.norm ?? null; // registered only when given (PyTorch prints no '(norm): None')
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderForwardOptions = {}): Tensor {
    let out = tgt;
    for (const layer of this.layers) out = (layer as TransformerDecoderLayer).forward(out, memory, options);
    if (this.norm) out = this.norm.forward(out);
    return out;
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  customEncoder?: Module | null;
  customDecoder?: Module | null;
}

export interface TransformerForwardOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

/** The encoder-decoder Transformer of "Attention Is All You Need" (torch.nn.Transformer; defaults d_model 512, 8 heads, 6 + 6 layers). */
export class Transformer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  encoder: Module;
  decoder: Module;

  constructor(options: TransformerOptions = {}) {
    super();
    const dModel = options.dModel ?? 512;
    const nhead = options.nhead ?? 8;
    const layerOptions: TransformerLayerOptions = {
      dimFeedforward: options.dimFeedforward, dropout: options.dropout, activation: options.activation, layerNormEps: options.layerNormEps,
      batchFirst: options.batchFirst, normFirst: options.normFirst, dtype: options.dtype,
    };
    const normOptions = { eps: options.layerNormEps ?? 1e-5, dtype: options.dtype };
    this.encoder = options.customEncoder ?? new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layerOptions), options.numEncoderLayers ?? 6, { norm: new LayerNorm(dModel, normOptions) });
    this.decoder = options.customDecoder ?? new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layerOptions), options.numDecoderLayers ?? 6, { norm: new LayerNorm(dModel, normOptions) });
    // PyTorch's _reset_parameters: every matrix (and higher) re-drawn xavier-uniform, in parameter order.
    noGrad(() => {
      for (const p of this.parameters()) if (p.ndim > 1) init.xavierUniform_(p);
    });
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = options.batchFirst ?? false;
  }

  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    const batched = src.ndim === 3;
    const batchDim = this.batchFirst ? 0 : 1;
    if (batched && src.shape[batchDim] !== tgt.shape[batchDim]) throw new Error('Transformer: the batch number of src and tgt must be equal');
    if (src.shape[src.ndim - 1] !== this.dModel || tgt.shape[tgt.ndim - 1] !== this.dModel) {
      throw new Error(`Transformer: the feature number of src and tgt must be equal to d_model (${this.dModel})`);
    }
    const memory = this.encoder.forward(src, { mask: options.srcMask, srcKeyPaddingMask: options.srcKeyPaddingMask });
    return this.decoder.forward(tgt, memory, {
      tgtMask: options.tgtMask, memoryMask: options.memoryMask,
      tgtKeyPaddingMask: options.tgtKeyPaddingMask, memoryKeyPaddingMask: options.memoryKeyPaddingMask,
    });
  }

  /** [sz, sz] float mask: 0 on and below the diagonal, −inf above (a position attends to itself and earlier ones). */
  static generateSquareSubsequentMask(sz: number, options: { dtype?: Dtype } = {}): Tensor {
    return triu(full([sz, sz], -Infinity, { dtype: options.dtype ?? 'float32' }), 1);
  }
}
