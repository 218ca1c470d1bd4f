/**
 * Building blocks shared by the model zoo, as torchvision.ops: Conv2dNormActivation (conv + BN + activation,
 * a Sequential so its keys are .0/.1), SqueezeExcitation and StochasticDepth, plus _make_divisible.
 */
import type { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/creation.js';
import * as nn from '../nn/index.js';
import { pyFloat } from '../nn/modules/format.js';

/** Round v to a multiple of divisor (at least minValue), not going below 90% of v (torchvision's _make_divisible). */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let out = Math.max(min, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

export interface ConvNormActivationOptions {
  stride?: number;
  /** Default (kernelSize − 1)/2·dilation ("same" for odd kernels at stride 1). */
  padding?: number;
  groups?: number;
  dilation?: number;
  /** A normalisation layer for the output channels, or null for none (then the conv has a bias). */
  normLayer?: ((channels: number) => nn.Module) | null;
  /** An activation module factory, or null for none. */
  activationLayer?: (() => nn.Module) | null;
}

/** conv → norm → activation as one Sequential (torchvision.ops.Conv2dNormActivation). */
export class Conv2dNormActivation extends nn.Sequential {
  constructor(inChannels: number, outChannels: number, kernelSize = 3, options: ConvNormActivationOptions = {}) {
    const dilation = options.dilation ?? 1;
    const padding = options.padding ?? Math.floor((kernelSize - 1) / 2) * dilation;
    const normLayer = options.normLayer === undefined ? (c: number) => new nn.BatchNorm2d(c) : options.normLayer;
    const activation = options.activationLayer === undefined ? () => new nn.ReLU({ inplace: true }) : options.activationLayer;
    const layers: nn.Module[] = [
      new nn.Conv2d(inChannels, outChannels, kernelSize, { stride: options.stride ?? 1, padding, dilation, groups: options.groups ?? 1, bias: normLayer === null }),
    ];
    if (normLayer) layers.push(normLayer(outChannels));
    if (activation) layers.push(activation());
    super(...layers);
  }
}

/**
 * Squeeze-and-excitation (Hu et al. 2018): global average pool, 1×1 conv down to squeezeChannels,
 * activation, 1×1 conv back, sigmoid; scales the input channels. Keys: fc1, fc2.
 */
export class SqueezeExcitation extends nn.Module {
  avgpool: nn.AdaptiveAvgPool2d;
  fc1: nn.Conv2d;
  fc2: nn.Conv2d;
  activation: nn.Module;
  scale_activation: nn.Module;

  constructor(inputChannels: number, squeezeChannels: number, activation: () => nn.Module = () => new nn.ReLU(), scaleActivation: () => nn.Module = () => new nn.Sigmoid()) {
    super();
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc1 = new nn.Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new nn.Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = activation();
    this.scale_activation = scaleActivation();
  }

  forward(x: Tensor): Tensor {
    const s = this.fc2.forward(this.activation.forward(this.fc1.forward(this.avgpool.forward(x))));
    return x.mul(this.scale_activation.forward(s));
  }
}

/**
 * Stochastic depth as torchvision.ops.StochasticDepth: in training, zero the input with probability p per
 * sample ('row') or for the whole batch ('batch') and scale the kept ones by 1/(1 − p); identity in evaluation.
 */
export class StochasticDepth extends nn.Module {
  readonly p: number;
  readonly mode: 'row' | 'batch';

  constructor(p: number, mode: 'row' | 'batch' = 'row') {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`StochasticDepth: drop probability has to be between 0 and 1, but got ${p}`);
    if (mode !== 'row' && mode !== 'batch') throw new Error(`StochasticDepth: mode has to be either 'batch' or 'row', but got ${String(mode)}`);
    this.p = p;
    this.mode = mode;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const size = this.mode === 'row' ? [x.shape[0], ...x.shape.slice(1).map(() => 1)] : x.shape.map(() => 1);
    let noise = rand(size, { dtype: x.dtype }).lt(survival).to(x.dtype);
    if (survival > 0) noise = noise.div(survival);
    return x.mul(noise);
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, mode=${this.mode}`;
  }
}
