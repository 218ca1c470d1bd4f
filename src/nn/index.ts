/**
 * The `nn` namespace: Module and Parameter, layers, losses, containers, `nn.init`, `nn.functional`
 * (also exported as `F`), gradient utilities (`nn.utils.clipGradNorm_`, ...), an L1 penalty and
 * Monte-Carlo dropout (`nn.enableMcDropout`, `nn.mcPredict`).
 *
 * A custom module registers sub-modules and parameters by assignment (see module.ts):
 * ```ts
 * class Net extends nn.Module {
 *   features = new nn.Sequential(new nn.Conv2d(1, 6, 5), new nn.ReLU(), new nn.MaxPool2d(2));
 *   head = new nn.Linear(6 * 12 * 12, 10);
 *   forward(x: Tensor) { return this.head.forward(this.features.forward(x).flatten(1)); }
 * }
 * ```
 */
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { cat } from '../ops/join.js';
import { shapeStr } from '../tensor/shape.js';
import { fuseConvBnEval, fuseConvBnWeights, fuseLinearBnEval, fuseLinearBnWeights } from './utils-fusion.js';
import { deepCopy } from './deep-copy.js';
import * as rnn from './rnn-utils.js';

export { Module, Parameter, UninitializedParameter, UninitializedBuffer, countParameters } from './module.js';
export type { StateDict, StateDictLike, LoadResult, RemovableHandle, ForwardHook, ForwardPreHook } from './module.js';
export type { FullBackwardHook } from './backward-hooks.js';
export * as init from './init.js';
export * as functional from './functional.js';
export * as F from './functional.js';
export { Sequential, ModuleList, ModuleDict } from './modules/container.js';
export { ParameterList, ParameterDict } from './modules/parameter-containers.js';
export { Identity, Linear, Bilinear, Flatten, Unflatten } from './modules/linear.js';
export { Embedding, ChannelShuffle, PixelShuffle, PixelUnshuffle, Fold, Unfold, CosineSimilarity, PairwiseDistance } from './modules/sparse.js';
export type { EmbeddingOptions, FoldLayerOptions } from './modules/sparse.js';
export type { LinearOptions } from './modules/linear.js';
export { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './modules/conv.js';
export type { ConvLayerOptions, ConvTransposeLayerOptions, PaddingMode } from './modules/conv.js';
export {
  BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm,
} from './modules/normalization.js';
export type { BatchNormLayerOptions, InstanceNormLayerOptions } from './modules/normalization.js';
export { Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout, isDropout, enableMcDropout, mcPredict } from './modules/dropout.js';
export {
  ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, SiLU, Mish, Sigmoid, Tanh, Softplus, Hardswish, Hardsigmoid, Hardtanh, ReLU6,
  Softmax, LogSoftmax, CELU, LogSigmoid, Softmin, Softmax2d, Softshrink, Hardshrink, Softsign, Tanhshrink, Threshold, GLU, RReLU,
} from './modules/activation.js';
export {
  MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, LPPool1d, LPPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
  MaxUnpool1d, MaxUnpool2d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d,
} from './modules/pooling.js';
export type { MaxPoolLayerOptions, AvgPoolLayerOptions } from './modules/pooling.js';
export {
  Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d,
  ConstantPad1d, ConstantPad3d, ReflectionPad1d, ReplicationPad1d, ReflectionPad3d, ReplicationPad3d,
} from './modules/upsampling.js';
export type { UpsampleOptions } from './modules/upsampling.js';
export {
  LazyLinear, LazyConv1d, LazyConv2d, LazyConvTranspose1d, LazyConvTranspose2d, LazyBatchNorm1d, LazyBatchNorm2d, LazyInstanceNorm1d,
  LazyInstanceNorm2d,
} from './modules/lazy.js';
export {
  MultiheadAttention, NonDynamicallyQuantizableLinear, TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder,
  Transformer,
} from './modules/transformer.js';
export type {
  MultiheadAttentionOptions, MultiheadAttentionForwardOptions, TransformerLayerOptions, TransformerActivation, TransformerEncoderOptions,
  TransformerOptions, TransformerForwardOptions, EncoderLayerForwardOptions, DecoderLayerForwardOptions, EncoderForwardOptions,
} from './modules/transformer.js';
export { RNNCellBase, RNNCell, LSTMCell, GRUCell, RNNBase, RNN, LSTM, GRU } from './modules/rnn.js';
export type { RNNCellOptions, RNNBaseOptions, RNNOptions, LSTMOptions, GRUOptions } from './modules/rnn.js';
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, MultiMarginLoss, KLDivLoss,
  CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
  GaussianNLLLoss, SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss,
} from './modules/loss.js';

type Params = Iterable<Tensor> | Tensor;

function listOf(params: Params): Tensor[] {
  return params instanceof Tensor ? [params] : [...params];
}

/** The p-norm of the elements of a float tensor, in float64 (torch.norm: p = ±Infinity max/min |x|, p = 0 counts non-zeros). */
function normOf(data: ArrayLike<number>, p: number): number {
  let acc = 0;
  if (p === Infinity || p === -Infinity) {
    if (data.length === 0) return 0; // torch.norm's -inf norm of no elements (its inf norm fails, see clipGradNorm_)
    acc = Math.abs(data[0]);
    for (let i = 1; i < data.length && !Number.isNaN(acc); i++) {
      const a = Math.abs(data[i]);
      if ((p > 0 ? a > acc : a < acc) || Number.isNaN(a)) acc = a;
    }
    return acc;
  }
  if (p === 0) {
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) acc++;
    return acc;
  }
  if (p === 2) {
    for (let i = 0; i < data.length; i++) acc += data[i] * data[i];
    return Math.sqrt(acc);
  }
  if (p === 1) {
    for (let i = 0; i < data.length; i++) acc += Math.abs(data[i]);
    return acc;
  }
  for (let i = 0; i < data.length; i++) acc += Math.abs(data[i]) ** p;
  return acc ** (1 / p);
}

/**
 * Scale all gradients together so that their joint normType-norm (default 2; Infinity for the max)
 * is at most maxNorm, as torch.nn.utils.clip_grad_norm_: coefficient min(1, maxNorm/(total + 1e-6)).
 * Returns the total norm before clipping (a 0-d tensor). With errorIfNonfinite a NaN/Inf norm throws.
 */
export function clipGradNorm_(params: Params, maxNorm: number, options: { normType?: number; errorIfNonfinite?: boolean } = {}): Tensor {
  const normType = options.normType ?? 2;
  const grads = listOf(params).map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return new Tensor(new Float32Array(1), []);
  // As torch (a max over no elements), the inf norm has no value on an empty gradient.
  if (normType === Infinity && grads.some((g) => g.size === 0)) {
    throw new Error('clipGradNorm_: the inf norm of an empty gradient is undefined (a max over no elements)');
  }
  // Each gradient's norm in its dtype; the total in their promoted dtype (torch.stack of the norms).
  const roundFor = (dt: string) => (dt === 'float32' ? Math.fround : (x: number) => x);
  const dtype = grads.some((g) => g.dtype === 'float64') ? 'float64' : grads[0].dtype;
  const round = roundFor(dtype);
  const norms = grads.map((g) => roundFor(g.dtype)(normOf(g.data(), normType)));
  const total = round(normOf(norms, normType));
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(`clipGradNorm_: the total norm of order ${normType} for gradients from \`parameters\` is non-finite (${total}), so it cannot be clipped`);
  }
  const coef = Math.min(round(maxNorm / round(total + 1e-6)), 1);
  noGrad(() => {
    for (const g of grads) if (g.size > 0) g.mul_(coef); // nothing to scale in an empty gradient
  });
  const out = new Tensor(dtype === 'float64' ? new Float64Array(1) : new Float32Array(1), []);
  out.storage[0] = total;
  return out;
}

/**
 * Clamp every gradient element into [−clipValue, clipValue], in place. As torch, a negative clipValue
 * is no error: clamp(min=−clipValue, max=clipValue) then sets every element to clipValue.
 */
export function clipGradValue_(params: Params, clipValue: number): void {
  noGrad(() => {
    for (const p of listOf(params)) if (p.grad && p.grad.size > 0) p.grad.clamp_(-clipValue, clipValue);
  });
}

/** All parameters flattened and concatenated into one vector (a copy). */
export function parametersToVector(params: Params): Tensor {
  const list = listOf(params);
  if (list.length === 0) throw new Error('parametersToVector: no parameters');
  // view as torch: a non-contiguous parameter cannot be flattened without a copy, an error (an empty one can).
  return cat(list.map((p) => (p.size === 0 ? p.reshape([-1]) : p.view([-1]))), 0);
}

/** Copy consecutive slices of vec into the parameters (the inverse of parametersToVector), in place. */
export function vectorToParameters(vec: Tensor, params: Params): void {
  const list = listOf(params);
  const total = list.reduce((n, p) => n + p.size, 0);
  // As torch, elements past the parameters' total size are ignored.
  if (vec.ndim !== 1 || vec.size < total) {
    throw new Error(`vectorToParameters: expected a vector of at least ${total} elements (the parameters' total size), got shape ${shapeStr(vec.shape)}`);
  }
  noGrad(() => {
    let offset = 0;
    for (const p of list) {
      p.copy_(vec.narrow(0, offset, p.size).reshape(p.shape as number[]));
      offset += p.size;
    }
  });
}

/**
 * torch.nn.utils-style namespace: nn.utils.clipGradNorm_(model.parameters(), 1.0), nn.utils.fusion.fuseConvBnEval(conv, bn);
 * nn.utils.deepCopy(module) is Python's copy.deepcopy for modules.
 */
export const utils = {
  clipGradNorm_, clipGradValue_, parametersToVector, vectorToParameters, fuseConvBnEval, fuseConvBnWeights, deepCopy,
  fusion: { fuseConvBnEval, fuseConvBnWeights, fuseLinearBnEval, fuseLinearBnWeights },
  /** torch.nn.utils.rnn: PackedSequence, packPaddedSequence, padPackedSequence, padSequence, packSequence, ... */
  rnn,
};

/**
 * Σ|p| over all elements of all parameters, differentiable: add `nn.l1Penalty(model.parameters()).mul(lambda)`
 * to the loss for L1 regularisation (see optim.DelayedRegularization to switch it on after N epochs).
 */
export function l1Penalty(params: Params): Tensor {
  const list = listOf(params);
  if (list.length === 0) return new Tensor(new Float32Array(1), []);
  return list.map((p) => p.abs().sum()).reduce((a, b) => a.add(b));
}
