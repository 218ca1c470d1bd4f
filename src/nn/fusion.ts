/**
 * Inference-time fusion of Conv2d → BatchNorm2d → activation: when nothing needs a gradient and the batch
 * norm is in evaluation mode, its running statistics make it a per-channel affine map, so the convolution
 * kernel applies that map and the activation to each output channel as soon as it is computed (one pass
 * over the output instead of three; what ONNX Runtime or TensorRT do by folding batch norms at load time).
 *
 * The result is what the modules give one after another, to the bit: the scale and shift are those the
 * batch-norm kernels use, and each backend rounds each step as its separate kernels do. Anything that
 * could make the two differ keeps the modules separate: training mode, a gradient to record, hooks or replaced forward methods on any
 * of the modules, padding modes other than zeros, mismatched dtypes or shapes (whose errors the modules
 * themselves then report).
 */
import type { ConvPostAct } from '../backend/interface.js';
import { needsGrad } from '../autograd/node.js';
import { conv2dFused } from '../ops/conv.js';
import { batchNormEvalAffine } from '../ops/norm.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import { Hardswish, Hardtanh, ReLU, ReLU6, SiLU } from './modules/activation.js';
import { Conv2d } from './modules/conv.js';
import { BatchNorm2d } from './modules/normalization.js';

/** A module that computes its class's own forward (no hooks, no forward replaced on the instance). */
function plain(m: Module, forward: (...args: any[]) => unknown): boolean {
  return m.forward === forward && !Object.prototype.hasOwnProperty.call(m, 'forward');
}

/** The activation `m` computes, if a fused convolution can apply it. */
function postActOf(m: Module): ConvPostAct | undefined {
  if (plain(m, ReLU.prototype.forward)) return 'relu';
  if (plain(m, SiLU.prototype.forward)) return 'silu';
  if (plain(m, Hardswish.prototype.forward)) return 'hardswish';
  if (plain(m, ReLU6.prototype.forward)) return 'relu6';
  if (m instanceof Hardtanh && plain(m, Hardtanh.prototype.forward) && m.minVal === 0 && m.maxVal === 6) return 'relu6';
  return undefined;
}

/** Whether bn, after a convolution giving x's dtype, normalises with its running statistics and can be folded. */
function foldable(bn: Module, conv: Conv2d, x: Tensor): bn is BatchNorm2d {
  if (!(bn instanceof BatchNorm2d) || !plain(bn, BatchNorm2d.prototype.forward) || bn.training) return false;
  if (!bn.runningMean || !bn.runningVar || bn.numFeatures !== conv.outChannels) return false;
  return [bn.runningMean, bn.runningVar, bn.weight, bn.bias].every((t) => !t || (t.dtype === x.dtype && t.ndim === 1));
}

/**
 * modules[i] and the batch norm and/or activation after it, run on x as one fused convolution: the output and
 * how many modules it stands for, or null when modules[i] does not start such a run (or fusing is not exact).
 */
export function fuseConvRun(modules: readonly (Module | null)[], i: number, x: unknown): { output: Tensor; consumed: number } | null {
  const conv = modules[i];
  if (!(conv instanceof Conv2d) || !plain(conv, Conv2d.prototype.forward) || conv.paddingMode !== 'zeros') return null;
  if (!(x instanceof Tensor) || x.ndim !== 4 || x.shape[1] !== conv.inChannels) return null;
  if (x.dtype !== 'float32' && x.dtype !== 'float64') return null;
  if (conv.weight.dtype !== x.dtype || (conv.bias && conv.bias.dtype !== x.dtype)) return null;
  const bn = modules[i + 1];
  const withBn = !!bn && foldable(bn, conv, x);
  const actModule = modules[i + (withBn ? 2 : 1)];
  const act = actModule ? postActOf(actModule) : undefined;
  if (!withBn && !act) return null;
  const params = [x, conv.weight, conv.bias, ...(withBn ? [bn.weight, bn.bias] : [])];
  if (needsGrad(...params)) return null;
  const affine = withBn ? batchNormEvalAffine(bn.runningMean!, bn.runningVar!, bn.weight, bn.bias, bn.eps) : { scale: null, shift: null };
  const options = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
  const output = conv2dFused(x, conv.weight, conv.bias, options, { ...affine, act: act ?? 'none' });
  return { output, consumed: 1 + (withBn ? 1 : 0) + (act ? 1 : 0) };
}

/** The modules applied in turn to input (Sequential's forward), runs of conv → batch norm → activation fused. */
export function forwardFused(modules: readonly (Module | null)[], input: unknown): any {
  let x = input;
  for (let i = 0; i < modules.length; i++) {
    const fused = fuseConvRun(modules, i, x);
    if (fused) {
      x = fused.output;
      i += fused.consumed - 1;
    } else if (modules[i]) {
      x = modules[i]!.forward(x);
    }
  }
  return x;
}

/** act(bn(conv(x))), fused when exact (see fuseConvRun); bn and act may be null. */
export function convBnAct(x: Tensor, conv: Module, bn: Module | null, act: Module | null): Tensor {
  return forwardFused([conv, bn, act].filter((m) => m !== null), x) as Tensor;
}
