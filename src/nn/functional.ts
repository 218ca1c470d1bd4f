/**
 * The functional API, `F`: torch.nn.functional's functions with camelCase names.
 *
 * ```ts
 * import { F } from 'strata';
 * const y = F.conv2d(x, w, b, { stride: 2, padding: 1 });
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * ```
 *
 * Tensor arguments are positional in PyTorch's order; every argument with a default goes into one
 * options object with PyTorch's keyword names in camelCase. Activations whose core ops take a positional
 * parameter (leakyRelu, elu, hardtanh, ...) accept either that number or the options object here.
 */
import * as core from '../ops/index.js';
import { recordAsOne } from '../autograd/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';
import { conv1d, conv2d, convTranspose1d, convTranspose2d, fold, unfold } from '../ops/conv.js';
import { interpolate } from '../ops/interpolate.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/shape.js';
import { defaultGenerator } from '../tensor/random.js';
import { onesLike, zerosLike } from '../tensor/creation.js';
import { checkFloat, checkTensor, empty } from '../ops/util.js';

export type { ConvOptions, ConvTransposeOptions, SizeArg, UnfoldOptions } from '../ops/conv.js';
export type { MaxPoolOptions, AvgPoolOptions, LpPoolOptions, AdaptiveSize, MaxUnpoolOptions } from '../ops/pool.js';
export type { BatchNormOptions, InstanceNormOptions } from '../ops/norm.js';
export type { DropoutOptions } from '../ops/dropout.js';
export type { InterpolateMode, InterpolateOptions, GridSampleOptions } from '../ops/interpolate.js';
export type {
  Reduction, ReductionOptions, NllLossOptions, CrossEntropyOptions, BceWithLogitsOptions, TripletMarginOptions,
} from '../ops/loss.js';
export type { PadOptions } from '../ops/pad.js';

// ---- convolution, pooling, normalisation, dropout, resampling, losses ----------------------------
export { conv1d, conv2d, convTranspose1d, convTranspose2d, unfold, fold };
export { conv3d, convTranspose3d } from '../ops/conv3d.js';
export { maxPool3d, avgPool3d, adaptiveAvgPool3d, adaptiveMaxPool3d } from '../ops/pool3d.js';
export {
  maxPool1d, maxPool2d, avgPool1d, avgPool2d, lpPool1d, lpPool2d,
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, maxUnpool1d, maxUnpool2d,
} from '../ops/pool.js';
export { batchNorm, layerNorm, groupNorm, instanceNorm, localResponseNorm } from '../ops/norm.js';
export { dropout, dropout1d, dropout2d, dropout3d, alphaDropout, featureAlphaDropout } from '../ops/dropout.js';
export { interpolate, upsample, affineGrid, gridSample } from '../ops/interpolate.js';
export { multiHeadAttentionForward, scaledDotProductAttention } from './attention.js';
export type { MultiHeadAttentionOptions, ScaledDotProductAttentionOptions } from './attention.js';
export {
  crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  bceWithLogits, multiMarginLoss, klDiv, softMarginLoss, marginRankingLoss, hingeEmbeddingLoss, cosineEmbeddingLoss,
  tripletMarginLoss, multilabelSoftMarginLoss, poissonNllLoss, gaussianNllLoss, tripletMarginWithDistanceLoss, multilabelMarginLoss,
} from '../ops/loss.js';
export { pairwiseDistance, cosineSimilarity, pdist } from '../ops/loss.js';

// ---- activations -------------------------------------------------------------------------------------
export { relu, sigmoid, tanh, pad } from '../ops/index.js';
export { selu, gelu, silu, mish, softplus, hardswish, hardsigmoid, relu6, threshold, prelu, logSigmoid, softsign, tanhshrink } from '../ops/activation.js';
/** PyTorch's spelling of logSigmoid (F.logsigmoid). */
export { logSigmoid as logsigmoid } from '../ops/activation.js';

/** A parameter given either as a plain number (the core op's form) or inside an options object. */
function param<K extends string>(arg: number | Partial<Record<K, number>> | undefined, key: K, def: number): number {
  if (typeof arg === 'number') return arg;
  return arg?.[key] ?? def;
}

export function leakyRelu(x: Tensor, options?: number | { negativeSlope?: number }): Tensor {
  return core.leakyRelu(x, param(options, 'negativeSlope', 0.01));
}

export function elu(x: Tensor, options?: number | { alpha?: number }): Tensor {
  return core.elu(x, param(options, 'alpha', 1));
}

/** max(0, x) + min(0, α·(exp(x/α) − 1)). */
export function celu(x: Tensor, options?: number | { alpha?: number }): Tensor {
  const alpha = param(options, 'alpha', 1);
  if (alpha === 0) throw new Error('celu: alpha must not be 0');
  checkTensor(x, 'celu');
  checkFloat(x, 'celu');
  // As PyTorch's elu kernel with input scale 1/alpha: the branch follows the sign of x (not of x/alpha, for alpha < 0).
  const out = noGrad(() => core.where(x.gt(0), x, x.mul(1 / alpha).expm1().mul(alpha)));
  // PyTorch's CeluBackward0 uses 1/float32(alpha) as the input scale (derivatives.yaml: 1.0/alpha.toFloat()).
  const invAlpha = 1 / Math.fround(alpha);
  return record(out, 'CeluBackward0', [x], (g) => [g.mul(core.where(x.gt(0), 1, x.mul(invAlpha).exp().mul(invAlpha * alpha)))]);
}

export function hardtanh(x: Tensor, options?: number | { minVal?: number; maxVal?: number }, maxVal?: number): Tensor {
  if (typeof options === 'number') return core.hardtanh(x, options, maxVal ?? 1);
  return core.hardtanh(x, options?.minVal ?? -1, options?.maxVal ?? 1);
}

/** x where |x| > λ, else 0. */
export function hardshrink(x: Tensor, options?: number | { lambd?: number }): Tensor {
  const lambd = param(options, 'lambd', 0.5);
  checkTensor(x, 'hardshrink');
  checkFloat(x, 'hardshrink');
  return x.maskedFill(x.abs().le(lambd), 0);
}

/** x − λ·sign(x) where |x| > λ, else 0. */
export function softshrink(x: Tensor, options?: number | { lambd?: number }): Tensor {
  const lambd = param(options, 'lambd', 0.5);
  if (lambd < 0) throw new Error(`softshrink: lambd must be non-negative, got ${lambd}`);
  checkTensor(x, 'softshrink');
  checkFloat(x, 'softshrink');
  return core.where(x.gt(lambd), x.sub(lambd), core.where(x.lt(-lambd), x.add(lambd), 0));
}

/** The input of softmax/logSoftmax/softmin: cast to `dtype` first when given; integer inputs raise otherwise, as PyTorch. */
function softmaxInput(x: Tensor, dtype: DType | null | undefined, op: string): Tensor {
  checkTensor(x, op);
  const input = dtype ? x.to(dtype) : x;
  checkFloat(input, op);
  return input;
}

/** exp(x)/Σ exp(x) along dim (with dtype, computed in that dtype), as torch.nn.functional.softmax. */
export function softmax(x: Tensor, dim: number, options: { dtype?: DType | null } = {}): Tensor {
  return core.softmax(softmaxInput(x, options.dtype, 'softmax'), dim);
}

/** log(softmax(x)) along dim, as torch.nn.functional.log_softmax. */
export function logSoftmax(x: Tensor, dim: number, options: { dtype?: DType | null } = {}): Tensor {
  return core.logSoftmax(softmaxInput(x, options.dtype, 'logSoftmax'), dim);
}

/** softmax(−x) along dim, as torch.nn.functional.softmin. */
export function softmin(x: Tensor, dim: number, options: { dtype?: DType | null } = {}): Tensor {
  return core.softmax(softmaxInput(x, options.dtype, 'softmin').neg(), dim);
}

/** Gated linear unit: a·σ(b) with a, b the two halves of x along dim (default −1). */
export function glu(x: Tensor, options?: number | { dim?: number }): Tensor {
  const dim = param(options, 'dim', -1);
  checkTensor(x, 'glu');
  checkFloat(x, 'glu');
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.ndim === 0 || x.shape[d] % 2 !== 0) {
    throw new Error(`glu: halving dimension ${dim} must have an even size, got input of shape ${shapeStr(x.shape)}`);
  }
  const [a, b] = x.chunk(2, d);
  return a.mul(b.sigmoid());
}

/**
 * Randomized leaky ReLU: in training each non-positive element gets a slope drawn from U(lower, upper)
 * (one double-precision default-generator draw each, as PyTorch's CPU kernel, so st.manualSeed matches
 * torch.manual_seed); in evaluation (the default, as PyTorch) the slope is (lower + upper)/2.
 */
export function rrelu(x: Tensor, options: { lower?: number; upper?: number; training?: boolean } = {}): Tensor {
  const lower = options.lower ?? 1 / 8;
  const upper = options.upper ?? 1 / 3;
  checkTensor(x, 'rrelu');
  checkFloat(x, 'rrelu');
  if (!options.training) return core.leakyRelu(x, (lower + upper) / 2);
  const values = x.contiguous().data();
  const slopes = empty(x.shape, x.dtype);
  for (let i = 0; i < values.length; i++) slopes.storage[i] = values[i] <= 0 ? defaultGenerator.uniformDoubleRange(lower, upper) : 1;
  return x.mul(slopes);
}

// ---- linear layers, distances, misc ------------------------------------------------------------------

/** x·weightᵀ + bias, as torch.nn.functional.linear (weight [out, in], x [..., in]). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor(x, 'linear');
  checkTensor(weight, 'linear', 'weight');
  if (weight.ndim !== 2 && weight.ndim !== 1) throw new Error(`linear: expected weight of shape [out, in], got weight of shape ${shapeStr(weight.shape)}`);
  const inF = weight.shape[weight.ndim - 1];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: expected input with ${inF} features in its last dim (weight ${shapeStr(weight.shape)}), got input of shape ${shapeStr(x.shape)}`);
  }
  if (bias === null || bias === undefined) return x.matmul(weight.t());
  checkTensor(bias, 'linear', 'bias');
  const outF = weight.ndim === 2 ? weight.shape[0] : 1;
  if (bias.size !== outF || bias.ndim > 1) throw new Error(`linear: expected bias of shape [${outF}] (weight ${shapeStr(weight.shape)}), got bias of shape ${shapeStr(bias.shape)}`);
  // As torch 1.13: a 2-D input is one addmm (AddmmBackward0); more dims are flattened to 2-D and viewed back.
  if (x.ndim === 2 && weight.ndim === 2 && bias.ndim === 1) return core.addmm(bias, x, weight.t());
  if (x.ndim > 2 && weight.ndim === 2 && bias.ndim === 1) return linear(x.reshape([-1, inF]), weight, bias).view([...x.shape.slice(0, -1), outF]);
  return x.matmul(weight.t()).add(weight.ndim === 1 ? bias.reshape([]) : bias);
}

/** x1ᵀ·W_o·x2 + b_o for each output o, as torch.nn.functional.bilinear (weight [out, in1, in2]). */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor(x1, 'bilinear', 'input1');
  checkTensor(x2, 'bilinear', 'input2');
  checkTensor(weight, 'bilinear', 'weight');
  if (weight.ndim !== 3) throw new Error(`bilinear: expected weight of shape [out, in1, in2], got weight of shape ${shapeStr(weight.shape)}`);
  const [outF, in1, in2] = weight.shape;
  if (x1.ndim === 0 || x1.shape[x1.ndim - 1] !== in1 || x2.ndim === 0 || x2.shape[x2.ndim - 1] !== in2 || !x1.shape.slice(0, -1).every((d, i) => d === x2.shape[i]) || x1.ndim !== x2.ndim) {
    throw new Error(`bilinear: expected inputs [..., ${in1}] and [..., ${in2}] with the same leading dims (weight ${shapeStr(weight.shape)}), got ${shapeStr(x1.shape)} and ${shapeStr(x2.shape)}`);
  }
  const t = x1.matmul(weight.permute([1, 0, 2]).reshape([in1, outF * in2]));
  let out = t.reshape([...x1.shape.slice(0, -1), outF, in2]).mul(x2.unsqueeze(-2)).sum(-1);
  if (bias !== null && bias !== undefined) out = out.add(bias);
  return out;
}

/** x / max(‖x‖_p, eps) along dim, as torch.nn.functional.normalize. */
export function normalize(x: Tensor, options: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  checkTensor(x, 'normalize');
  const p = options.p ?? 2;
  const dim = options.dim ?? 1;
  const eps = options.eps ?? 1e-12;
  const denom = core.norm(x, p, dim, true).clamp(eps);
  return x.div(denom);
}

/** One-hot encoding of int32 class indices (numClasses = max + 1 by default), int32, as torch.nn.functional.one_hot. */
export function oneHot(x: Tensor, options?: number | { numClasses?: number }): Tensor {
  return core.oneHot(x, param(options, 'numClasses', -1));
}

/**
 * Rows of `weight` ([num, dim]) picked by int32 indices: [..., dim], as torch.nn.functional.embedding.
 * paddingIdx rows get no gradient; with maxNorm, the looked-up rows whose normType-norm exceeds maxNorm
 * are first rescaled in place to maxNorm/(norm + 1e-7) (PyTorch's embedding_renorm_); with
 * scaleGradByFreq, each row's gradient is divided by the number of times its index occurs in input.
 */
export function embedding(
  input: Tensor, weight: Tensor,
  options: { paddingIdx?: number | null; maxNorm?: number | null; normType?: number; scaleGradByFreq?: boolean; sparse?: boolean } = {},
): Tensor {
  checkTensor(input, 'embedding');
  checkTensor(weight, 'embedding', 'weight');
  if (input.dtype !== 'int32') throw new Error(`embedding: expected int32 indices, got ${input.dtype}`);
  if (weight.ndim !== 2) throw new Error(`embedding: expected weight of shape [num, dim], got weight of shape ${shapeStr(weight.shape)}`);
  const pi = options.paddingIdx;
  const padIdx = pi === null || pi === undefined ? null : pi < 0 ? pi + weight.shape[0] : pi;
  const indices = input.contiguous().data() as Int32Array;
  const num = weight.shape[0];
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] < 0 || indices[i] >= num) throw new Error(`embedding: index ${indices[i]} is out of range for ${num} embeddings`);
  }
  const maxNorm = options.maxNorm;
  if (maxNorm !== null && maxNorm !== undefined) {
    const normType = options.normType ?? 2;
    noGrad(() => {
      for (const row of new Set(indices)) {
        const r = weight.select(0, row);
        const n = core.norm(r, normType).item();
        if (n > maxNorm) r.mul_(maxNorm / (n + 1e-7));
      }
    });
  }
  if (!options.scaleGradByFreq || !weight.requiresGrad) return core.embeddingRows(weight, input, padIdx);
  const counts = new Map<number, number>();
  for (const i of indices) counts.set(i, (counts.get(i) ?? 0) + 1);
  const scale = empty([indices.length, 1], weight.dtype);
  for (let i = 0; i < indices.length; i++) scale.storage[i] = 1 / counts.get(indices[i])!;
  return core.embeddingRows(weight, input, padIdx, scale);
}
/** [*, C·r², H, W] → [*, C, H·r, W·r], as torch.nn.functional.pixel_shuffle. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  checkTensor(x, 'pixelShuffle');
  const r = upscaleFactor;
  if (x.ndim < 3 || !Number.isInteger(r) || r < 1 || x.shape[x.ndim - 3] % (r * r) !== 0) {
    throw new Error(`pixelShuffle: expected input [*, C·${r}², H, W] with channels divisible by ${r * r}, got input of shape ${shapeStr(x.shape)}`);
  }
  const lead = x.shape.slice(0, -3);
  const [C, H, W] = x.shape.slice(-3);
  const k = lead.length;
  const c = C / (r * r);
  const perm = [...lead.keys(), k, k + 3, k + 1, k + 4, k + 2];
  return recordAsOne('PixelShuffleBackward0', [x], (xi) => xi.reshape([...lead, c, r, r, H, W]).permute(perm).reshape([...lead, c, H * r, W * r]));
}

/** [*, C, H·r, W·r] → [*, C·r², H, W], as torch.nn.functional.pixel_unshuffle. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  checkTensor(x, 'pixelUnshuffle');
  const r = downscaleFactor;
  if (x.ndim < 3 || !Number.isInteger(r) || r < 1 || x.shape[x.ndim - 2] % r !== 0 || x.shape[x.ndim - 1] % r !== 0) {
    throw new Error(`pixelUnshuffle: expected input [*, C, H, W] with H and W divisible by ${r}, got input of shape ${shapeStr(x.shape)}`);
  }
  // As PyTorch 1.13: an empty input comes back as a copy of its own shape.
  if (x.size === 0) return x.clone();
  const lead = x.shape.slice(0, -3);
  const [C, H, W] = x.shape.slice(-3);
  const k = lead.length;
  const perm = [...lead.keys(), k, k + 2, k + 4, k + 1, k + 3];
  return recordAsOne('PixelUnshuffleBackward0', [x], (xi) => xi.reshape([...lead, C, H / r, r, W / r, r]).permute(perm).reshape([...lead, C * r * r, H / r, W / r]));
}

/** Interleave the channels of `groups` groups ([N, C, *] → groups·(C/groups) reordered), as ShuffleNet's channel_shuffle. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  checkTensor(x, 'channelShuffle');
  if (x.ndim < 3 || !Number.isInteger(groups) || groups < 1 || x.shape[1] % groups !== 0) {
    throw new Error(`channelShuffle: expected input [N, C, *] with C divisible by groups ${groups}, got input of shape ${shapeStr(x.shape)}`);
  }
  const [N, C] = x.shape;
  const rest = x.shape.slice(2);
  return x.reshape([N, groups, C / groups, ...rest]).transpose(1, 2).reshape(x.shape);
}

/** Nearest-neighbour upsampling (deprecated in PyTorch in favour of interpolate). */
export function upsampleNearest(x: Tensor, options: { size?: number | readonly number[] | null; scaleFactor?: number | readonly number[] | null } = {}): Tensor {
  return interpolate(x, { size: options.size, scaleFactor: options.scaleFactor, mode: 'nearest' });
}

/** Bilinear upsampling with aligned corners, as PyTorch's deprecated upsample_bilinear. */
export function upsampleBilinear(x: Tensor, options: { size?: number | readonly number[] | null; scaleFactor?: number | readonly number[] | null } = {}): Tensor {
  return interpolate(x, { size: options.size, scaleFactor: options.scaleFactor, mode: 'bilinear', alignCorners: true });
}

/**
 * softmax((logits + g)/τ) with Gumbel(0, 1) noise g = −log(e), e ~ Exponential(1) drawn as PyTorch's CPU
 * exponential_ (e = −log(1 − u) from a 53-bit double u, rounded to the dtype), so st.manualSeed matches
 * torch.manual_seed; with hard, the forward value is the one-hot argmax and the gradient that of the soft
 * sample (straight-through).
 */
export function gumbelSoftmax(logits: Tensor, options: { tau?: number; hard?: boolean; dim?: number } = {}): Tensor {
  checkTensor(logits, 'gumbelSoftmax');
  checkFloat(logits, 'gumbelSoftmax');
  const tau = options.tau ?? 1;
  const dim = options.dim ?? -1;
  const noise = empty(logits.shape, logits.dtype);
  const round = logits.dtype === 'float32' ? Math.fround : (v: number) => v;
  for (let i = 0; i < noise.size; i++) noise.storage[i] = -Math.log(round(-Math.log(1 - defaultGenerator.uniformDouble())));
  const ySoft = core.softmax(logits.add(noise).div(tau), dim);
  if (!options.hard) return ySoft;
  const d = dim < 0 ? dim + logits.ndim : dim;
  const index = ySoft.argmax(d, true);
  const yHard = core.scatterAdd(zerosLike(ySoft), d, index, onesLike(index).to(ySoft.dtype));
  return yHard.sub(ySoft.detach()).add(ySoft);
}
