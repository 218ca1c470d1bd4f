/** Upsample and padding layers. */
import type { Tensor } from '../../tensor/tensor.js';
import * as F from '../functional.js';
import type { InterpolateMode } from '../functional.js';
import { Module } from '../module.js';
import { pyFloat, pySize, pyTuple } from './format.js';

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  /** 'nearest' (default), 'bilinear', 'bicubic', 'linear', 'nearest-exact', 'area'. */
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  /** Resample with the scale implied by the output size instead of scaleFactor (PyTorch's recompute_scale_factor). */
  recomputeScaleFactor?: boolean | null;
}

/** Resize [N, C, H, W] by size or scaleFactor (F.interpolate). */
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
    const info = sf !== null ? `scale_factor=${typeof sf === 'number' ? pyFloat(sf) : `(${sf.map(pyFloat).join(', ')})`}` : `size=${pySize(this.size)}`;
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

function padding4(p: number | number[], layer: string): number[] {
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length !== 4) throw new Error(`${layer}: padding must be a number or [left, right, top, bottom], got [${p.join(', ')}]`);
  return [...p];
}

abstract class Pad2d extends Module {
  readonly padding: number[];
  constructor(padding: number | number[]) {
    super();
    this.padding = padding4(padding, new.target.name);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** Pad the last two dims with zeros: a number or [left, right, top, bottom]. */
export class ZeroPad2d extends Pad2d {
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, { mode: 'constant', value: 0 });
  }
}

/** Pad the last two dims with a constant value. */
export class ConstantPad2d extends Pad2d {
  readonly value: number;
  constructor(padding: number | number[], value: number) {
    super(padding);
    this.value = value;
  }
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, { mode: 'constant', value: this.value });
  }
  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}`;
  }
}

/** Pad the last two dims by reflecting the border. */
export class ReflectionPad2d extends Pad2d {
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, { mode: 'reflect' });
  }
}

/** Pad the last two dims by repeating the border. */
export class ReplicationPad2d extends Pad2d {
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, { mode: 'replicate' });
  }
}
