/** Upsample and padding layers. */
import type { Tensor } from '../../tensor/tensor.js';
import * as F from '../functional.js';
import type { InterpolateMode } from '../functional.js';
import { Module } from '../module.js';
import { pyFloat, pySize, pyTuple } from './format.js';

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  /** 'nearest' (default), 'bilinear', 'bicubic', 'linear', 'trilinear', 'nearest-exact', 'area'. */
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  /** Resample with the scale implied by the output size instead of scaleFactor (PyTorch's recompute_scale_factor). */
  recomputeScaleFactor?: boolean | null;
}

/** Resize [N, C, L], [N, C, H, W] or [N, C, D, H, W] by size or scaleFactor (F.interpolate). */
export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: UpsampleOptions = {}) {
    super();
    this.size = options.size ?? null;
    this.scaleFactor = options.scaleFactor ?? null;
    if ((this.size === null) === (this.scaleFactor === null)) throw new Error('Upsample: give exactly one of size and scaleFactor');
    this.mode = options.mode ?? 'nearest';
    this.alignCorners = options.alignCorners ?? null;
    this.recomputeScaleFactor = options.recomputeScaleFactor ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.interpolate(x, {
      size: this.size, scaleFactor: this.scaleFactor, mode: this.mode, alignCorners: this.alignCorners, recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const sf = this.scaleFactor;
    // A list of factors prints as PyTorch's tuple of floats: (2.0,) for one.
    const factors = (f: number[]) => (f.length === 1 ? `(${pyFloat(f[0])},)` : `(${f.map(pyFloat).join(', ')})`);
    const info = sf !== null ? `scale_factor=${typeof sf === 'number' ? pyFloat(sf) : factors(sf)}` : `size=${pySize(this.size)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/** Upsample with mode 'nearest'. */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: { size?: number | number[] | null; scaleFactor?: number | number[] | null } = {}) {
    super({ ...options, mode: 'nearest' });
  }
}

/** Upsample with mode 'bilinear' and alignCorners true (as PyTorch's). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: { size?: number | number[] | null; scaleFactor?: number | number[] | null } = {}) {
    super({ ...options, mode: 'bilinear', alignCorners: true });
  }
}

/** Padding amounts of a layer padding the last `n` dims: one number for every side, or 2·n amounts (last dim first). */
function paddingN(p: number | number[], n: number, layer: string): number[] {
  if (typeof p === 'number') return Array(2 * n).fill(p);
  if (p.length !== 2 * n) throw new Error(`${layer}: padding must be a number or ${2 * n} amounts (left, right${n > 1 ? ', top, bottom' : ''}${n > 2 ? ', front, back' : ''}), got [${p.join(', ')}]`);
  return [...p];
}

/** A layer padding the last `dims` dims (PyTorch's _ConstantPadNd, _ReflectionPadNd, _ReplicationPadNd). */
abstract class PadNd extends Module {
  readonly padding: number[];
  constructor(padding: number | number[], dims: number) {
    super();
    this.padding = paddingN(padding, dims, new.target.name);
  }
  protected abstract padOptions(): F.PadOptions;
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, this.padOptions());
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

abstract class ConstantPadNd extends PadNd {
  readonly value: number;
  constructor(padding: number | number[], value: number, dims: number) {
    super(padding, dims);
    if (typeof value !== 'number') throw new Error(`${new.target.name}: value is required, got ${String(value)}`);
    this.value = value;
  }
  protected padOptions(): F.PadOptions {
    return { mode: 'constant', value: this.value };
  }
  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}`;
  }
}

abstract class ReflectionPadNd extends PadNd {
  protected padOptions(): F.PadOptions {
    return { mode: 'reflect' };
  }
}

abstract class ReplicationPadNd extends PadNd {
  protected padOptions(): F.PadOptions {
    return { mode: 'replicate' };
  }
}

/** Pad the last two dims with zeros: a number or [left, right, top, bottom]. */
export class ZeroPad2d extends PadNd {
  constructor(padding: number | number[]) {
    super(padding, 2);
  }
  protected padOptions(): F.PadOptions {
    return { mode: 'constant', value: 0 };
  }
}

/** Pad the last dim with a constant value: a number or [left, right]. */
export class ConstantPad1d extends ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(padding, value, 1);
  }
}

/** Pad the last two dims with a constant value: a number or [left, right, top, bottom]. */
export class ConstantPad2d extends ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(padding, value, 2);
  }
}

/** Pad the last three dims with a constant value: a number or [left, right, top, bottom, front, back]. */
export class ConstantPad3d extends ConstantPadNd {
  constructor(padding: number | number[], value: number) {
    super(padding, value, 3);
  }
}

/** Pad the last dim of [N, C, L] or [C, L] by reflecting the border: a number or [left, right]. */
export class ReflectionPad1d extends ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(padding, 1);
  }
}

/** Pad the last two dims by reflecting the border. */
export class ReflectionPad2d extends ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(padding, 2);
  }
}

/** Pad the last three dims of [N, C, D, H, W] or [C, D, H, W] by reflecting the border. */
export class ReflectionPad3d extends ReflectionPadNd {
  constructor(padding: number | number[]) {
    super(padding, 3);
  }
}

/** Pad the last dim of [N, C, L] or [C, L] by repeating the border: a number or [left, right]. */
export class ReplicationPad1d extends ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(padding, 1);
  }
}

/** Pad the last two dims by repeating the border. */
export class ReplicationPad2d extends ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(padding, 2);
  }
}

/** Pad the last three dims of [N, C, D, H, W] or [C, D, H, W] by repeating the border. */
export class ReplicationPad3d extends ReplicationPadNd {
  constructor(padding: number | number[]) {
    super(padding, 3);
  }
}
