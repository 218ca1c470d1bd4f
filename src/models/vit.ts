/**
 * Vision Transformer (Dosovitskiy et al. 2020) as torchvision 0.14 builds it: a patch-embedding convolution
 * (conv_proj), a class token, learned position embeddings, pre-norm encoder blocks (ln_1, self_attention,
 * ln_2, mlp.0/mlp.3) and a linear head (heads.head, or heads.pre_logits + tanh + head with a
 * representation size). State-dict keys and initialisation order are torchvision's.
 */
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { cat } from '../ops/join.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, initModules, type ClassifierOptions } from './common.js';

/** torchvision's MLPBlock: Linear → GELU → Dropout → Linear → Dropout, re-initialised xavier-uniform / N(0, 1e-6). */
export class MLPBlock extends nn.Sequential {
  constructor(inDim: number, mlpDim: number, dropout: number) {
    super(new nn.Linear(inDim, mlpDim), new nn.GELU(), new nn.Dropout(dropout), new nn.Linear(mlpDim, inDim), new nn.Dropout(dropout));
    initModules(this, (m) => {
      if (m instanceof nn.Linear) {
        nn.init.xavierUniform_(m.weight);
        if (m.bias) nn.init.normal_(m.bias, { std: 1e-6 });
      }
    });
  }
}

/** Pre-norm transformer block: x + attention(ln_1(x)), then + mlp(ln_2(·)). Input [N, L, hidden]. */
export class EncoderBlock extends nn.Module {
  readonly numHeads: number;
  ln_1: nn.LayerNorm;
  self_attention: nn.MultiheadAttention;
  dropout: nn.Dropout;
  ln_2: nn.LayerNorm;
  mlp: MLPBlock;

  constructor(numHeads: number, hiddenDim: number, mlpDim: number, dropout: number, attentionDropout: number) {
    super();
    this.numHeads = numHeads;
    this.ln_1 = new nn.LayerNorm(hiddenDim, { eps: 1e-6 });
    this.self_attention = new nn.MultiheadAttention(hiddenDim, numHeads, { dropout: attentionDropout, batchFirst: true });
    this.dropout = new nn.Dropout(dropout);
    this.ln_2 = new nn.LayerNorm(hiddenDim, { eps: 1e-6 });
    this.mlp = new MLPBlock(hiddenDim, mlpDim, dropout);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) throw new Error(`EncoderBlock: expected (batch_size, seq_length, hidden_dim), got ${JSON.stringify(input.shape)}`);
    const h = this.ln_1.forward(input);
    const x = this.dropout.forward(this.self_attention.forward(h, h, h, { needWeights: false })[0]).add(input);
    return x.add(this.mlp.forward(this.ln_2.forward(x)));
  }
}

/** Position embeddings, dropout, the encoder blocks (layers.encoder_layer_i) and a final LayerNorm (ln). */
export class Encoder extends nn.Module {
  pos_embedding: nn.Parameter;
  dropout: nn.Dropout;
  layers: nn.Sequential;
  ln: nn.LayerNorm;

  constructor(seqLength: number, numLayers: number, numHeads: number, hiddenDim: number, mlpDim: number, dropout: number, attentionDropout: number) {
    super();
    this.pos_embedding = new nn.Parameter(zeros([1, seqLength, hiddenDim]));
    noGrad(() => nn.init.normal_(this.pos_embedding, { std: 0.02 })); // from BERT, drawn before the blocks' weights
    this.dropout = new nn.Dropout(dropout);
    const layers = new Map<string, nn.Module>();
    for (let i = 0; i < numLayers; i++) layers.set(`encoder_layer_${i}`, new EncoderBlock(numHeads, hiddenDim, mlpDim, dropout, attentionDropout));
    this.layers = new nn.Sequential(layers);
    this.ln = new nn.LayerNorm(hiddenDim, { eps: 1e-6 });
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) throw new Error(`Encoder: expected (batch_size, seq_length, hidden_dim), got ${JSON.stringify(input.shape)}`);
    return this.ln.forward(this.layers.forward(this.dropout.forward(input.add(this.pos_embedding))));
  }
}

export interface VisionTransformerOptions extends ClassifierOptions {
  /** Input height and width (default 224; a multiple of the patch size). */
  imageSize?: number;
  /** Dropout after the attention and in the MLP (default 0). */
  dropout?: number;
  /** Dropout on the attention weights (default 0). */
  attentionDropout?: number;
  /** A pre-logits layer of this size with tanh before the head (default none). */
  representationSize?: number | null;
}

export const VIT_OPTIONS = ['numClasses', 'inChannels', 'imageSize', 'dropout', 'attentionDropout', 'representationSize'] as const;

export interface VisionTransformerConfig {
  patchSize: number;
  numLayers: number;
  numHeads: number;
  hiddenDim: number;
  mlpDim: number;
}

export class VisionTransformer extends nn.Module {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly hiddenDim: number;
  readonly mlpDim: number;
  readonly seqLength: number;
  conv_proj: nn.Conv2d;
  class_token: nn.Parameter;
  encoder: Encoder;
  heads: nn.Sequential;

  constructor(config: VisionTransformerConfig, options: VisionTransformerOptions = {}) {
    super();
    const { patchSize, numLayers, numHeads, hiddenDim, mlpDim } = config;
    const imageSize = options.imageSize ?? 224;
    if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % patchSize !== 0) {
      throw new Error(`VisionTransformer: imageSize must be a positive multiple of the patch size ${patchSize}, got ${imageSize}`);
    }
    const dropout = checkRate('VisionTransformer', 'dropout', options.dropout ?? 0);
    const attentionDropout = checkRate('VisionTransformer', 'attentionDropout', options.attentionDropout ?? 0);
    const numClasses = options.numClasses ?? 1000;
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.hiddenDim = hiddenDim;
    this.mlpDim = mlpDim;
    this.conv_proj = new nn.Conv2d(options.inChannels ?? 3, hiddenDim, patchSize, { stride: patchSize });
    this.class_token = new nn.Parameter(zeros([1, 1, hiddenDim]));
    this.seqLength = (imageSize / patchSize) ** 2 + 1;
    this.encoder = new Encoder(this.seqLength, numLayers, numHeads, hiddenDim, mlpDim, dropout, attentionDropout);
    const rep = options.representationSize ?? null;
    const heads = new Map<string, nn.Module>();
    if (rep === null) heads.set('head', new nn.Linear(hiddenDim, numClasses));
    else {
      if (!Number.isInteger(rep) || rep <= 0) throw new Error(`VisionTransformer: representationSize must be a positive integer, got ${rep}`);
      heads.set('pre_logits', new nn.Linear(hiddenDim, rep));
      heads.set('act', new nn.Tanh());
      heads.set('head', new nn.Linear(rep, numClasses));
    }
    this.heads = new nn.Sequential(heads);
    // torchvision's re-initialisation: patchify stem and pre-logits truncated-normal with std √(1/fan_in), zero biases, zero head.
    noGrad(() => {
      const kernel = this.conv_proj.kernelSize;
      nn.init.truncNormal_(this.conv_proj.weight, { std: Math.sqrt(1 / (this.conv_proj.inChannels * kernel[0]! * kernel[1]!)) });
      if (this.conv_proj.bias) nn.init.zeros_(this.conv_proj.bias);
      const pre = heads.get('pre_logits') as nn.Linear | undefined;
      if (pre) {
        nn.init.truncNormal_(pre.weight, { std: Math.sqrt(1 / pre.inFeatures) });
        if (pre.bias) nn.init.zeros_(pre.bias);
      }
      const head = heads.get('head') as nn.Linear;
      nn.init.zeros_(head.weight);
      if (head.bias) nn.init.zeros_(head.bias);
    });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[2] !== this.imageSize || x.shape[3] !== this.imageSize) {
      throw new Error(`VisionTransformer: expected input [N, C, ${this.imageSize}, ${this.imageSize}], got ${JSON.stringify(x.shape)}`);
    }
    const n = x.shape[0]!;
    const patches = this.conv_proj.forward(x).reshape(n, this.hiddenDim, -1).permute(0, 2, 1);
    const tokens = cat([this.class_token.expand(n, -1, -1), patches], 1);
    return this.heads.forward(this.encoder.forward(tokens).select(1, 0));
  }
}

/** torchvision's builders: patch size, layers, heads, hidden size, MLP size. */
export const VIT_CONFIGS: Record<string, VisionTransformerConfig> = {
  vit_b_16: { patchSize: 16, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 },
  vit_b_32: { patchSize: 32, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 },
  vit_l_16: { patchSize: 16, numLayers: 24, numHeads: 16, hiddenDim: 1024, mlpDim: 4096 },
  vit_l_32: { patchSize: 32, numLayers: 24, numHeads: 16, hiddenDim: 1024, mlpDim: 4096 },
  vit_h_14: { patchSize: 14, numLayers: 32, numHeads: 16, hiddenDim: 1280, mlpDim: 5120 },
};

function build(name: string, options: VisionTransformerOptions): VisionTransformer {
  checkOptions(name, options, VIT_OPTIONS);
  return new VisionTransformer(VIT_CONFIGS[name]!, options);
}

/** ViT-B/16 (86.6M parameters, 17.56 GMACs at 224×224). */
export function vit_b_16(options: VisionTransformerOptions = {}): VisionTransformer {
  return build('vit_b_16', options);
}
/** ViT-B/32 (88.2M parameters, 4.41 GMACs). */
export function vit_b_32(options: VisionTransformerOptions = {}): VisionTransformer {
  return build('vit_b_32', options);
}
/** ViT-L/16 (304.3M parameters, 61.55 GMACs). */
export function vit_l_16(options: VisionTransformerOptions = {}): VisionTransformer {
  return build('vit_l_16', options);
}
/** ViT-L/32 (306.5M parameters, 15.38 GMACs). */
export function vit_l_32(options: VisionTransformerOptions = {}): VisionTransformer {
  return build('vit_l_32', options);
}
/** ViT-H/14 (632.0M parameters at 224×224, 167.29 GMACs). */
export function vit_h_14(options: VisionTransformerOptions = {}): VisionTransformer {
  return build('vit_h_14', options);
}
