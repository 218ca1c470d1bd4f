/** Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d and ConvTranspose3d. */
import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, Parameter } from '../module.js';
import { inputError, ntuple, pyBool, pyTuple } from './format.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvLayerOptions {
  stride?: number | number[];
  /** A number, a pair, or 'same' / 'valid' (not for transposed convolutions). */
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
  bias?: boolean;
  /** How the border is padded (default 'zeros'). */
  paddingMode?: PaddingMode;
  dtype?: 'float32' | 'float64';
}

export interface ConvTransposeLayerOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | number[];
  dtype?: 'float32' | 'float64';
}

/** Shared parts of the convolution layers (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  weight!: Parameter;
  bias!: Parameter | null;

  protected constructor(
    layer: string, n: number, inChannels: number, outChannels: number, kernelSize: number | number[], transposed: boolean,
    options: ConvLayerOptions & { outputPadding?: number | number[] },
  ) {
    super();
    for (const [name, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${name} must be a positive integer, got ${v}`);
    }
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new Error(`${layer}: groups must be a positive integer, got ${groups}`);
    if (inChannels % groups !== 0) throw new Error(`${layer}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
    if (outChannels % groups !== 0) throw new Error(`${layer}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(kernelSize, n, 'kernelSize', layer);
    this.stride = ntuple(options.stride ?? 1, n, 'stride', layer);
    this.dilation = ntuple(options.dilation ?? 1, n, 'dilation', layer);
    const padding = options.padding ?? 0;
    if (typeof padding === 'string') {
      if (padding !== 'same' && padding !== 'valid') throw new Error(`${layer}: invalid padding string '${padding}', should be one of 'valid', 'same'`);
      if (padding === 'same' && this.stride.some((s) => s !== 1)) throw new Error(`${layer}: padding='same' is not supported for strided convolutions`);
      this.padding = padding;
    } else {
      this.padding = ntuple(padding, n, 'padding', layer);
    }
    this.transposed = transposed;
    this.outputPadding = ntuple(options.outputPadding ?? 0, n, 'outputPadding', layer);
    this.groups = groups;
    const mode = options.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(mode)) {
      throw new Error(`${layer}: paddingMode must be one of 'zeros', 'reflect', 'replicate', 'circular', got '${mode}'`);
    }
    this.paddingMode = mode;
    const dtype = options.dtype ?? 'float32';
    const wShape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = new Parameter(zeros(wShape, { dtype }));
    if (options.bias ?? true) this.bias = new Parameter(zeros([outChannels], { dtype }));
    else this.registerParameter('bias', null);
    this.resetParameters();
  }

  /** Re-draw the weights with PyTorch's default initialisation (kaiming_uniform(a=√5), then the bias). */
  resetParameters(): void {
    noGrad(() => {
      init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
      if (this.bias) {
        const [fanIn] = init.calculateFanInAndFanOut(this.weight);
        if (fanIn !== 0) {
          const bound = 1 / Math.sqrt(fanIn);
          init.uniform_(this.bias, { a: -bound, b: bound });
        }
      }
    });
  }

  /** Padding amounts for F.pad in non-'zeros' modes: (left, right) pairs from the last dim. */
  protected reversedPadding(): number[] {
    const out: number[] = [];
    const n = this.kernelSize.length;
    for (let d = n - 1; d >= 0; d--) {
      if (this.padding === 'valid') out.push(0, 0);
      else if (this.padding === 'same') {
        const total = this.dilation[d] * (this.kernelSize[d] - 1);
        const left = Math.floor(total / 2);
        out.push(left, total - left);
      } else out.push(this.padding[d], this.padding[d]);
    }
    return out;
  }

  /** The layer as named in error messages: `Conv2d(3, 16, kernel_size=(3, 3))`. */
  protected label(): string {
    return `${this.getName()}(${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)})`;
  }

  protected checkInput(x: Tensor): void {
    const n = this.kernelSize.length;
    const spatial = n === 1 ? ['L'] : n === 2 ? ['H', 'W'] : ['D', 'H', 'W'];
    if (!(x instanceof Tensor) || (x.ndim !== n + 2 && x.ndim !== n + 1) || x.shape[x.ndim - n - 1] !== this.inChannels) {
      throw inputError(this.label(), `[N, ${this.inChannels}, ${spatial.join(', ')}]`, x);
    }
  }

  override extraRepr(): string {
    const zero = (v: number[]) => v.every((e) => e === 0);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (!zero(this.padding)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (!zero(this.outputPadding)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += `, bias=${pyBool(false)}`;
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/**
 * 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]):
 * `new nn.Conv2d(inC, outC, kernelSize, {stride, padding, dilation, groups, bias, paddingMode})`.
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvLayerOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, false, options);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.paddingMode !== 'zeros') {
      const padded = F.pad(x, this.reversedPadding(), { mode: this.paddingMode });
      return F.conv2d(padded, this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * 3-D convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]):
 * `new nn.Conv3d(inC, outC, kernelSize, {stride, padding, dilation, groups, bias, paddingMode})`.
 */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvLayerOptions = {}) {
    super('Conv3d', 3, inChannels, outChannels, kernelSize, false, options);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.paddingMode !== 'zeros') {
      const padded = F.pad(x, this.reversedPadding(), { mode: this.paddingMode });
      return F.conv3d(padded, this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return F.conv3d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 1-D convolution over [N, C, L] (or unbatched [C, L]). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvLayerOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, false, options);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.paddingMode !== 'zeros') {
      const padded = F.pad(x, this.reversedPadding(), { mode: this.paddingMode });
      return F.conv1d(padded, this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    }
    return F.conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** Shared forward of the transposed convolutions (PyTorch's _ConvTransposeNd). */
abstract class ConvTransposeNd extends ConvNd {
  /**
   * The outputPadding that makes the output `outputSize` (PyTorch's _output_padding): the spatial sizes,
   * optionally preceded by the batch and channel sizes; each must lie within stride − 1 above the
   * smallest size (in − 1)·stride − 2·padding + dilation·(k − 1) + 1. Without outputSize, the layer's own.
   */
  protected outputPaddingFor(x: Tensor, outputSize: readonly number[] | null | undefined): number[] {
    if (outputSize === null || outputSize === undefined) return this.outputPadding;
    const n = this.kernelSize.length;
    const nonSpatial = x.ndim === n + 2 ? 2 : 1;
    let sizes = [...outputSize];
    if (sizes.length === nonSpatial + n) sizes = sizes.slice(nonSpatial);
    if (sizes.length !== n) {
      throw new Error(`${this.getName()}: for ${x.ndim}-D input, outputSize must have ${n} or ${nonSpatial + n} elements (got ${JSON.stringify(outputSize)})`);
    }
    const padding = this.padding as number[];
    const minSizes = sizes.map((_, d) => (x.shape[d + nonSpatial] - 1) * this.stride[d] - 2 * padding[d] + this.dilation[d] * (this.kernelSize[d] - 1) + 1);
    const maxSizes = minSizes.map((m, d) => m + this.stride[d] - 1);
    if (sizes.some((s, d) => !Number.isInteger(s) || s < minSizes[d] || s > maxSizes[d])) {
      throw new Error(
        `${this.getName()}: requested an output size of ${pyTuple(sizes)}, but valid sizes range from ${pyTuple(minSizes)} to ${pyTuple(maxSizes)} ` +
          `(for an input of ${pyTuple(x.shape.slice(nonSpatial))})`,
      );
    }
    return sizes.map((s, d) => s - minSizes[d]);
  }

  protected transposeOptions(x: Tensor, outputSize: readonly number[] | null | undefined): F.ConvTransposeOptions {
    return {
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding: this.outputPaddingFor(x, outputSize),
      groups: this.groups,
      dilation: this.dilation,
    };
  }
}

/**
 * Transposed 2-D convolution (the gradient of Conv2d with respect to its input), weight
 * [inC, outC/groups, kH, kW]: `new nn.ConvTranspose2d(inC, outC, kernelSize, {stride, padding, outputPadding, groups, bias, dilation})`.
 * `forward(x, outputSize)` picks the outputPadding that gives that size ([H, W] or [N, C, H, W]), as PyTorch's.
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose2d', 2, inChannels, outChannels, kernelSize, true, options);
  }

  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    this.checkInput(x);
    return F.convTranspose2d(x, this.weight, this.bias, this.transposeOptions(x, outputSize));
  }
}

/** Transposed 1-D convolution over [N, C, L] (or [C, L]), weight [inC, outC/groups, k]; `forward(x, outputSize)` as ConvTranspose2d's. */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose1d', 1, inChannels, outChannels, kernelSize, true, options);
  }

  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    this.checkInput(x);
    return F.convTranspose1d(x, this.weight, this.bias, this.transposeOptions(x, outputSize));
  }
}

/** Transposed 3-D convolution over [N, C, D, H, W] (or [C, D, H, W]), weight [inC, outC/groups, kD, kH, kW]; `forward(x, outputSize)` as ConvTranspose2d's. */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], options: ConvTransposeLayerOptions = {}) {
    super('ConvTranspose3d', 3, inChannels, outChannels, kernelSize, true, options);
  }

  forward(x: Tensor, outputSize?: readonly number[] | null): Tensor {
    this.checkInput(x);
    return F.convTranspose3d(x, this.weight, this.bias, this.transposeOptions(x, outputSize));
  }
}
