/** Pooling layers: MaxPool2d, AvgPool2d, LPPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, MaxUnpool2d (and 1-d and 3-d variants). */
import type { Tensor } from '../../tensor/tensor.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { ntuple, pyBool, pyNum, pySize, pyTuple } from './format.js';

type Size = number | number[];

export interface MaxPoolLayerOptions<R extends boolean> {
  /** Default: the kernel size. */
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  ceilMode?: boolean;
  /** Also return the argmax indices (for MaxUnpool). */
  returnIndices?: R;
}

/** Max pooling over [N, C, H, W]; with returnIndices: true, forward returns [values, indices]. */
export class MaxPool2d<R extends boolean = false> extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly returnIndices: R;

  constructor(kernelSize: Size, options: MaxPoolLayerOptions<R> = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.maxPool2d(x, this.kernelSize, this.poolOptions()) as R extends true ? [Tensor, Tensor] : Tensor;
  }

  /** The layer's settings as F's options. */
  protected poolOptions() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode, returnIndices: this.returnIndices };
  }

  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}, dilation=${pySize(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Max pooling over [N, C, L]; with returnIndices: true, forward returns [values, indices] (positions along L). */
export class MaxPool1d<R extends boolean = false> extends MaxPool2d<R> {
  override forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.maxPool1d(x, this.kernelSize, this.poolOptions()) as R extends true ? [Tensor, Tensor] : Tensor;
  }
}

/** Max pooling over [N, C, D, H, W] (or [C, D, H, W]); with returnIndices: true, forward returns [values, indices] (flat in D·H·W). */
export class MaxPool3d<R extends boolean = false> extends MaxPool2d<R> {
  override forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.maxPool3d(x, this.kernelSize, this.poolOptions()) as R extends true ? [Tensor, Tensor] : Tensor;
  }
}

export interface AvgPoolLayerOptions {
  stride?: Size | null;
  padding?: Size;
  ceilMode?: boolean;
  /** Count the zero padding in the average (default true). */
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** Average pooling over [N, C, H, W]. */
export class AvgPool2d extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size, options: AvgPoolLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}`;
  }
}

/** Average pooling over [N, C, L]. */
export class AvgPool1d extends AvgPool2d {
  override forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }

  /** PyTorch's AvgPool1d keeps its sizes as 1-tuples: kernel_size=(3,), stride=(2,), padding=(1,). */
  override extraRepr(): string {
    const single = (v: Size) => pyTuple(typeof v === 'number' ? [v] : v);
    return `kernel_size=${single(this.kernelSize)}, stride=${single(this.stride)}, padding=${single(this.padding)}`;
  }
}

/** Average pooling over [N, C, D, H, W] (or [C, D, H, W]). */
export class AvgPool3d extends AvgPool2d {
  override forward(x: Tensor): Tensor {
    return F.avgPool3d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
}

/** Power-average pooling: (Σ x^p)^(1/p) over each window. */
export class LPPool2d extends Module {
  readonly normType: number;
  readonly kernelSize: Size;
  readonly stride: Size | null;
  readonly ceilMode: boolean;

  constructor(normType: number, kernelSize: Size, options: { stride?: Size | null; ceilMode?: boolean } = {}) {
    super();
    this.normType = normType;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? null;
    this.ceilMode = options.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    return F.lpPool2d(x, this.normType, this.kernelSize, { stride: this.stride, ceilMode: this.ceilMode });
  }

  override extraRepr(): string {
    return `norm_type=${pyNum(this.normType)}, kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

type AdaptiveSize = number | (number | null)[];

/** Average pooling to a fixed output size (null keeps that input dim). */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = outputSize;
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

export class AdaptiveAvgPool1d extends AdaptiveAvgPool2d {
  override forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool1d(x, this.outputSize);
  }
}

/** Average pooling of [N, C, D, H, W] (or [C, D, H, W]) to a fixed output size (null keeps that input dim). */
export class AdaptiveAvgPool3d extends AdaptiveAvgPool2d {
  override forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool3d(x, this.outputSize);
  }
}

/** Max pooling to a fixed output size; with returnIndices: true, forward returns [values, indices]. */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  readonly outputSize: AdaptiveSize;
  readonly returnIndices: R;
  constructor(outputSize: AdaptiveSize, options: { returnIndices?: R } = {}) {
    super();
    this.outputSize = outputSize;
    this.returnIndices = (options.returnIndices ?? false) as R;
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize, { returnIndices: this.returnIndices }) as R extends true ? [Tensor, Tensor] : Tensor;
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

/** Power-average pooling over [N, C, L]: (Σ x^p)^(1/p) over each window. */
export class LPPool1d extends LPPool2d {
  override forward(x: Tensor): Tensor {
    return F.lpPool1d(x, this.normType, this.kernelSize, { stride: this.stride, ceilMode: this.ceilMode });
  }
}

/** Max pooling over [N, C, L] to a fixed output length; with returnIndices: true, forward returns [values, indices]. */
export class AdaptiveMaxPool1d<R extends boolean = false> extends AdaptiveMaxPool2d<R> {
  override forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.adaptiveMaxPool1d(x, this.outputSize, { returnIndices: this.returnIndices }) as R extends true ? [Tensor, Tensor] : Tensor;
  }
}

/** Max pooling of [N, C, D, H, W] (or [C, D, H, W]) to a fixed output size; with returnIndices: true, forward returns [values, indices]. */
export class AdaptiveMaxPool3d<R extends boolean = false> extends AdaptiveMaxPool2d<R> {
  override forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    return F.adaptiveMaxPool3d(x, this.outputSize, { returnIndices: this.returnIndices }) as R extends true ? [Tensor, Tensor] : Tensor;
  }
}

/** The partial inverse of MaxPool2d: scatter values to their argmax indices in a zero image. */
export class MaxUnpool2d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  constructor(kernelSize: Size, options: { stride?: Size | null; padding?: Size } = {}) {
    super();
    const n = new.target === MaxUnpool1d ? 1 : 2;
    const name = new.target.name;
    this.kernelSize = ntuple(kernelSize, n, 'kernelSize', name);
    this.stride = ntuple(options.stride ?? kernelSize, n, 'stride', name);
    this.padding = ntuple(options.padding ?? 0, n, 'padding', name);
  }

  /** outputSize: the size to restore (e.g. the pooled input's shape; only its last dims are used). */
  forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** The partial inverse of MaxPool1d over [N, C, L]. */
export class MaxUnpool1d extends MaxUnpool2d {
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return F.maxUnpool1d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
