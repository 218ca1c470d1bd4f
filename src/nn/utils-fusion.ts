/**
 * torch.nn.utils.fusion: fold an evaluation-mode batch norm into the convolution or linear layer before it,
 * for deployment (one layer instead of two, e.g. before an ONNX export). The same arithmetic as PyTorch's,
 * in the layers' dtype:
 *   w' = w · (γ / √(var + ε))  per output channel,   b' = (b − mean) · (1 / √(var + ε)) · γ + β.
 * (Strata's inference path already fuses Conv2d → BatchNorm2d at run time without changing the weights: see
 * nn/fusion.ts.)
 */
import { noGrad } from '../autograd/grad-mode.js';
import { onesLike, zerosLike } from '../tensor/creation.js';
import { getRngState, setRngState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Parameter, type Module } from './module.js';
import { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from './modules/conv.js';
import { Linear } from './modules/linear.js';
import { BatchNorm1d, BatchNorm2d } from './modules/normalization.js';

type AnyConv = Conv1d | Conv2d | ConvTranspose1d | ConvTranspose2d;
type AnyBatchNorm = BatchNorm1d | BatchNorm2d;

/** A new layer of the same class and configuration (its own random initialisation does not consume the RNG). */
function sameLayer<T>(make: () => T): T {
  const state = getRngState();
  try {
    return make();
  } finally {
    setRngState(state);
  }
}

function checkEval(fn: string, layer: Module, bn: AnyBatchNorm): void {
  if (layer.training || bn.training) throw new Error(`${fn}: fusion only for eval (call .eval() on both modules first)`);
  if (!bn.runningMean || !bn.runningVar) throw new Error(`${fn}: the batch norm has no running statistics (trackRunningStats false)`);
}

/**
 * The fused weight and bias of a convolution followed by a batch norm (torch.nn.utils.fuse_conv_bn_weights); with
 * `transpose`, the weight is a transposed convolution's [inC, outC/groups, …].
 */
export function fuseConvBnWeights(
  convW: Tensor, convB: Tensor | null, bnRm: Tensor, bnRv: Tensor, bnEps: number, bnW: Tensor | null, bnB: Tensor | null,
  transpose = false,
): [Parameter, Parameter] {
  return noGrad(() => {
    const bias = convB ?? zerosLike(bnRm);
    const gamma = bnW ?? onesLike(bnRm);
    const beta = bnB ?? zerosLike(bnRm);
    const varRsqrt = bnRv.add(bnEps).rsqrt();
    const shape = transpose ? [1, -1, ...Array(convW.ndim - 2).fill(1)] : [-1, 1, ...Array(convW.ndim - 2).fill(1)];
    const w = convW.mul(gamma.mul(varRsqrt).reshape(shape));
    const b = bias.sub(bnRm).mul(varRsqrt).mul(gamma).add(beta);
    return [new Parameter(w), new Parameter(b)];
  });
}

/** A copy of `conv` with `bn` (both in evaluation mode) folded into its weight and bias (torch.nn.utils.fuse_conv_bn_eval). */
export function fuseConvBnEval<C extends AnyConv>(conv: C, bn: AnyBatchNorm, transpose = false): C {
  checkEval('fuseConvBnEval', conv, bn);
  const Layer = conv.constructor as new (inC: number, outC: number, k: number[], o: object) => C;
  const options = {
    stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups, bias: true, dtype: conv.weight.dtype,
    ...(conv.transposed ? { outputPadding: conv.outputPadding } : { paddingMode: conv.paddingMode }),
  };
  const fused: C = sameLayer<C>(() => new Layer(conv.inChannels, conv.outChannels, conv.kernelSize, options));
  [fused.weight, fused.bias] = fuseConvBnWeights(conv.weight, conv.bias, bn.runningMean!, bn.runningVar!, bn.eps, bn.weight, bn.bias, transpose);
  fused.eval();
  return fused;
}

/** The fused weight and bias of a linear layer followed by a batch norm (torch.nn.utils.fusion.fuse_linear_bn_weights). */
export function fuseLinearBnWeights(
  linearW: Tensor, linearB: Tensor | null, bnRm: Tensor, bnRv: Tensor, bnEps: number, bnW: Tensor, bnB: Tensor,
): [Parameter, Parameter] {
  return noGrad(() => {
    const bias = linearB ?? zerosLike(bnRm);
    const scale = bnW.mul(bnRv.add(bnEps).rsqrt());
    return [new Parameter(linearW.mul(scale.unsqueeze(-1))), new Parameter(bias.sub(bnRm).mul(scale).add(bnB))];
  });
}

/** A copy of `linear` with `bn` (both in evaluation mode, bn affine) folded in (torch.nn.utils.fusion.fuse_linear_bn_eval). */
export function fuseLinearBnEval(linear: Linear, bn: AnyBatchNorm): Linear {
  checkEval('fuseLinearBnEval', linear, bn);
  if (!bn.weight || !bn.bias) throw new Error('fuseLinearBnEval: the batch norm needs affine parameters (affine=true), as in PyTorch');
  const fused = sameLayer(() => new Linear(linear.inFeatures, linear.outFeatures, { bias: true, dtype: linear.weight.dtype as 'float32' | 'float64' }));
  [fused.weight, fused.bias] = fuseLinearBnWeights(linear.weight, linear.bias, bn.runningMean!, bn.runningVar!, bn.eps, bn.weight, bn.bias);
  return fused.eval();
}
