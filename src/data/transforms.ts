/**
 * Composable per-sample transforms (torchvision.transforms). Each is an object
 * with `forward(img)`; plain functions are accepted wherever a transform is.
 * Geometric transforms take a Uint8Image or a [..., H, W] tensor and return the
 * same kind; colour transforms need 1 or 3 channels. Random transforms draw
 * from `options.generator` or, by default, the global generator (st.manualSeed),
 * in the same order and with the same calls as torchvision, so a seed gives
 * torchvision's choices.
 */
import { Tensor, defaultGenerator, randperm, type Generator } from '../core.js';
import { Uint8Image, imageToTensor } from './image.js';
import * as F from './functional.js';
import type { ImageInput, Interpolation, PaddingMode } from './functional.js';

export type { ImageInput, Interpolation, PaddingMode } from './functional.js';

/** A per-sample transform. */
export interface Transform<I = any, O = any> {
  forward(x: I): O;
  /**
   * True when the transform maps each input byte value to an output value that
   * depends only on the value and its channel, and draws no random numbers
   * (ToTensor, Normalize, Compose of such). The DataLoader then builds batches
   * from a lookup table instead of calling the transform per sample.
   */
  readonly pointwise?: boolean;
}

/** A transform object or a plain function. */
export type TransformLike<I = any, O = any> = Transform<I, O> | ((x: I) => O);

export function applyTransform<I, O>(t: TransformLike<I, O>, x: I): O {
  if (typeof t === 'function') return t(x);
  if (t && typeof t.forward === 'function') return t.forward(x);
  throw new Error(`applyTransform: expected a transform (an object with forward(x)) or a function, got ${F.describe(t)}`);
}

export function isPointwise(t: TransformLike | null | undefined): boolean {
  return !!t && typeof t !== 'function' && t.pointwise === true;
}

function gen(g: Generator | undefined): Generator {
  return g ?? defaultGenerator;
}

/** torch.rand(1).item() */
function rand1(g: Generator): number {
  return g.uniformFloat();
}

/** torch.empty(1).uniform_(a, b).item() */
function uniform1(g: Generator, a: number, b: number): number {
  return g.uniformFloat(a, b);
}

/** Apply transforms one after another (transforms.Compose). */
export class Compose implements Transform {
  readonly transforms: TransformLike[];
  constructor(transforms: readonly TransformLike[]) {
    if (!Array.isArray(transforms)) throw new Error('Compose: expected a list of transforms');
    transforms.forEach((t, k) => {
      if (typeof t !== 'function' && !(t && typeof t.forward === 'function')) {
        throw new Error(`Compose: transforms[${k}] is not a transform (an object with forward(x)) or a function, got ${F.describe(t)}`);
      }
    });
    this.transforms = [...transforms];
  }
  get pointwise(): boolean {
    return this.transforms.every(isPointwise);
  }
  forward(x: any): any {
    for (const t of this.transforms) x = applyTransform(t, x);
    return x;
  }
}

/** Wrap a function as a transform (transforms.Lambda). */
export class Lambda<I = any, O = any> implements Transform<I, O> {
  constructor(readonly lambd: (x: I) => O) {
    if (typeof lambd !== 'function') throw new Error(`Lambda: expected a function, got ${F.describe(lambd)}`);
  }
  forward(x: I): O {
    return this.lambd(x);
  }
}

/** Uint8Image (0..255) → float32 CHW tensor in [0, 1] (transforms.ToTensor); float tensors pass through. */
export class ToTensor implements Transform<ImageInput, Tensor> {
  readonly pointwise = true;
  forward(img: ImageInput): Tensor {
    if (img instanceof Uint8Image) return imageToTensor(img);
    if (img instanceof Tensor && img.isFloatingPoint()) return img;
    throw new Error(`ToTensor: expected a Uint8Image (or a float tensor), got ${F.describe(img)}`);
  }
}

/** (x − mean[c]) / std[c] per channel of a float tensor (transforms.Normalize). */
export class Normalize implements Transform<Tensor, Tensor> {
  readonly pointwise = true;
  readonly mean: number[];
  readonly std: number[];
  readonly inplace: boolean;
  constructor(mean: readonly number[] | number, std: readonly number[] | number, options: { inplace?: boolean } = {}) {
    this.mean = typeof mean === 'number' ? [mean] : [...mean];
    this.std = typeof std === 'number' ? [std] : [...std];
    if (this.mean.length === 0 || this.mean.length !== this.std.length && this.std.length !== 1 && this.mean.length !== 1) {
      throw new Error(`Normalize: mean (${this.mean.length} values) and std (${this.std.length} values) must have one value per channel`);
    }
    this.inplace = options.inplace ?? false;
  }
  forward(t: Tensor): Tensor {
    return F.normalize(t, this.mean, this.std, { inplace: this.inplace });
  }
}

export interface RandomCropOptions {
  /** Border padding applied first: a number, [leftRight, topBottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[] | null;
  /** Pad images smaller than the crop (both sides by the shortfall, as torchvision). */
  padIfNeeded?: boolean;
  fill?: number | readonly number[];
  paddingMode?: PaddingMode;
  generator?: Generator;
}

/** A random size-[h, w] window, after optional padding (transforms.RandomCrop). */
export class RandomCrop implements Transform {
  readonly size: [number, number];
  readonly padding: number | readonly number[] | null;
  readonly padIfNeeded: boolean;
  readonly fill: number | readonly number[];
  readonly paddingMode: PaddingMode;
  generator?: Generator;

  constructor(size: number | readonly number[], options: RandomCropOptions = {}) {
    this.size = F.pair(size, 'RandomCrop');
    this.padding = options.padding ?? null;
    if (this.padding !== null) F.paddingLTRB(this.padding, 'RandomCrop');
    this.padIfNeeded = options.padIfNeeded ?? false;
    this.fill = options.fill ?? 0;
    this.paddingMode = options.paddingMode ?? 'constant';
    this.generator = options.generator;
  }

  /** [top, left, h, w] of a random crop of `size` in an image of height×width (RandomCrop.get_params). */
  static getParams(height: number, width: number, size: [number, number], generator?: Generator): [number, number, number, number] {
    const [th, tw] = size;
    if (height < th || width < tw) {
      throw new Error(`RandomCrop: required crop size [${th}, ${tw}] is larger than the input image size [${height}, ${width}]`);
    }
    if (height === th && width === tw) return [0, 0, height, width];
    const g = gen(generator);
    const i = g.randint(0, height - th + 1);
    const j = g.randint(0, width - tw + 1);
    return [i, j, th, tw];
  }

  forward<T extends ImageInput>(img: T): T {
    const opts = { fill: this.fill, paddingMode: this.paddingMode };
    if (this.padding !== null && this.paddingMode === 'constant' && !this.padIfNeeded) {
      // constant padding then a crop is one crop reaching past the borders
      const [l, t, r, b] = F.paddingLTRB(this.padding, 'RandomCrop');
      const { height, width } = F.imageSize(img);
      const [i, j, h, w] = RandomCrop.getParams(height + t + b, width + l + r, this.size, this.generator);
      return F.crop(img, i - t, j - l, h, w, this.fill);
    }
    if (this.padding !== null) img = F.pad(img, this.padding, opts);
    const { height, width } = F.imageSize(img);
    if (this.padIfNeeded && width < this.size[1]) img = F.pad(img, [this.size[1] - width, 0], opts);
    if (this.padIfNeeded && height < this.size[0]) img = F.pad(img, [0, this.size[0] - F.imageSize(img).height], opts);
    const after = F.imageSize(img);
    const [i, j, h, w] = RandomCrop.getParams(after.height, after.width, this.size, this.generator);
    return F.crop(img, i, j, h, w);
  }
}

/** Mirror left–right with probability p (transforms.RandomHorizontalFlip). */
export class RandomHorizontalFlip implements Transform {
  readonly p: number;
  generator?: Generator;
  constructor(options: { p?: number; generator?: Generator } = {}) {
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new Error(`RandomHorizontalFlip: p must be in [0, 1], got ${this.p}`);
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    return rand1(gen(this.generator)) < this.p ? F.hflip(img) : img;
  }
}

/** Mirror top–bottom with probability p (transforms.RandomVerticalFlip). */
export class RandomVerticalFlip implements Transform {
  readonly p: number;
  generator?: Generator;
  constructor(options: { p?: number; generator?: Generator } = {}) {
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new Error(`RandomVerticalFlip: p must be in [0, 1], got ${this.p}`);
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    return rand1(gen(this.generator)) < this.p ? F.vflip(img) : img;
  }
}

/** The central window of `size`, zero-padded if the image is smaller (transforms.CenterCrop). */
export class CenterCrop implements Transform {
  readonly size: [number, number];
  constructor(size: number | readonly number[]) {
    this.size = F.pair(size, 'CenterCrop');
  }
  forward<T extends ImageInput>(img: T): T {
    return F.centerCrop(img, this.size);
  }
}

/** Pad the borders (transforms.Pad). */
export class Pad implements Transform {
  constructor(
    readonly padding: number | readonly number[],
    readonly options: { fill?: number | readonly number[]; paddingMode?: PaddingMode } = {},
  ) {
    F.paddingLTRB(padding, 'Pad');
  }
  forward<T extends ImageInput>(img: T): T {
    return F.pad(img, this.padding, this.options);
  }
}

export interface ResizeOptions {
  interpolation?: Interpolation;
  /** Cap on the longer side when size is a number. */
  maxSize?: number | null;
  /** Low-pass filter when shrinking (default: true for Uint8Image as PIL images, false for tensors, as torchvision 0.14). */
  antialias?: boolean;
}

/**
 * Resize (transforms.Resize): a number matches the shorter side keeping the
 * aspect ratio, [h, w] is exact. Bilinear by default.
 */
export class Resize implements Transform {
  readonly size: number | [number, number];
  constructor(size: number | readonly number[], readonly options: ResizeOptions = {}) {
    if (typeof size === 'number' || size.length === 1) {
      const s = typeof size === 'number' ? size : size[0];
      if (!Number.isInteger(s) || s < 1) throw new Error(`Resize: size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
      this.size = s;
    } else {
      this.size = F.pair(size, 'Resize');
    }
  }
  forward<T extends ImageInput>(img: T): T {
    return F.resize(img, this.size, this.options);
  }
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio w/h (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  interpolation?: Interpolation;
  antialias?: boolean;
  generator?: Generator;
}

/** A random area and aspect ratio crop, resized to `size` (transforms.RandomResizedCrop). */
export class RandomResizedCrop implements Transform {
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  generator?: Generator;

  constructor(size: number | readonly number[], readonly options: RandomResizedCropOptions = {}) {
    this.size = F.pair(size, 'RandomResizedCrop');
    this.scale = options.scale ?? [0.08, 1];
    this.ratio = options.ratio ?? [3 / 4, 4 / 3];
    if (this.scale[0] > this.scale[1] || this.ratio[0] > this.ratio[1]) {
      throw new Error(`RandomResizedCrop: scale and ratio must be ranges [min, max], got scale [${this.scale}], ratio [${this.ratio}]`);
    }
    this.generator = options.generator;
  }

  /** [top, left, h, w] (RandomResizedCrop.get_params: 10 tries, then a central crop). */
  static getParams(
    height: number,
    width: number,
    scale: readonly [number, number],
    ratio: readonly [number, number],
    generator?: Generator,
  ): [number, number, number, number] {
    const g = gen(generator);
    const area = height * width;
    const logRatio = [Math.fround(Math.log(ratio[0])), Math.fround(Math.log(ratio[1]))];
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * uniform1(g, scale[0], scale[1]);
      const aspect = Math.fround(Math.exp(uniform1(g, logRatio[0], logRatio[1])));
      const w = F.pyRound(Math.sqrt(targetArea * aspect));
      const h = F.pyRound(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const i = g.randint(0, height - h + 1);
        const j = g.randint(0, width - w + 1);
        return [i, j, h, w];
      }
    }
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = F.pyRound(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = F.pyRound(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  forward<T extends ImageInput>(img: T): T {
    const { height, width } = F.imageSize(img);
    const [i, j, h, w] = RandomResizedCrop.getParams(height, width, this.scale, this.ratio, this.generator);
    return F.resizedCrop(img, i, j, h, w, this.size, this.options);
  }
}

type Range = [number, number] | null;

function jitterRange(value: number | readonly [number, number] | null | undefined, name: string, center: number, bound: [number, number], clipAtZero: boolean): Range {
  if (value === undefined || value === null) return null;
  let range: [number, number];
  if (typeof value === 'number') {
    if (value < 0) throw new Error(`ColorJitter: if ${name} is a single number, it must be non-negative, got ${value}`);
    range = [center - value, center + value];
    if (clipAtZero) range[0] = Math.max(range[0], 0);
  } else if (Array.isArray(value) && value.length === 2) {
    range = [value[0], value[1]];
  } else {
    throw new Error(`ColorJitter: ${name} should be a single number or a pair [min, max], got ${JSON.stringify(value)}`);
  }
  if (!(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) {
    throw new Error(`ColorJitter: ${name} values should be between [${bound}], got [${range}]`);
  }
  return range[0] === center && range[1] === center ? null : range;
}

export interface ColorJitterOptions {
  /** Factor range [max(0, 1 − b), 1 + b] for a number b, or [min, max]. */
  brightness?: number | readonly [number, number] | null;
  contrast?: number | readonly [number, number] | null;
  saturation?: number | readonly [number, number] | null;
  /** Shift range [−h, h] for a number h ≤ 0.5, or [min, max] within [−0.5, 0.5]. */
  hue?: number | readonly [number, number] | null;
  generator?: Generator;
}

/** Random brightness, contrast, saturation and hue changes, in random order (transforms.ColorJitter). */
export class ColorJitter implements Transform {
  readonly brightness: Range;
  readonly contrast: Range;
  readonly saturation: Range;
  readonly hue: Range;
  generator?: Generator;

  constructor(options: ColorJitterOptions = {}) {
    this.brightness = jitterRange(options.brightness, 'brightness', 1, [0, Infinity], true);
    this.contrast = jitterRange(options.contrast, 'contrast', 1, [0, Infinity], true);
    this.saturation = jitterRange(options.saturation, 'saturation', 1, [0, Infinity], true);
    this.hue = jitterRange(options.hue, 'hue', 0, [-0.5, 0.5], false);
    this.generator = options.generator;
  }

  /** The order (a permutation of brightness, contrast, saturation, hue) and factors (null = skipped). */
  getParams(): { order: number[]; factors: (number | null)[] } {
    const g = gen(this.generator);
    const order = Array.from(randperm(4, { generator: g }).data());
    const factors = [this.brightness, this.contrast, this.saturation, this.hue].map((r) => (r ? uniform1(g, r[0], r[1]) : null));
    return { order, factors };
  }

  forward<T extends ImageInput>(img: T): T {
    const { order, factors } = this.getParams();
    const ops = [F.adjustBrightness, F.adjustContrast, F.adjustSaturation, F.adjustHue];
    for (const k of order) if (factors[k] !== null) img = ops[k](img, factors[k]!);
    return img;
  }
}

export interface RandomRotationOptions {
  interpolation?: Interpolation;
  /** Grow the output to hold the whole rotated image (default false: keep the input size). */
  expand?: boolean;
  /** Centre of rotation [x, y] in pixels (default the image centre). */
  center?: readonly [number, number] | null;
  fill?: number | readonly number[];
  generator?: Generator;
}

/** Rotate by a random angle in [−d, d] or [min, max] degrees (transforms.RandomRotation). */
export class RandomRotation implements Transform {
  readonly degrees: [number, number];
  generator?: Generator;
  constructor(degrees: number | readonly [number, number], readonly options: RandomRotationOptions = {}) {
    if (typeof degrees === 'number') {
      if (degrees < 0) throw new Error(`RandomRotation: if degrees is a single number, it must be non-negative, got ${degrees}`);
      this.degrees = [-degrees, degrees];
    } else if (Array.isArray(degrees) && degrees.length === 2 && degrees[0] <= degrees[1]) {
      this.degrees = [degrees[0], degrees[1]];
    } else {
      throw new Error(`RandomRotation: degrees must be a non-negative number or a range [min, max], got ${JSON.stringify(degrees)}`);
    }
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    const angle = uniform1(gen(this.generator), this.degrees[0], this.degrees[1]);
    // torchvision's RandomRotation always passes its fill (default 0) on, so the mask blend applies
    return F.rotate(img, angle, { ...this.options, fill: this.options.fill ?? 0 });
  }
}

/** Convert to 1 or 3 gray channels (transforms.Grayscale). */
export class Grayscale implements Transform {
  readonly numOutputChannels: 1 | 3;
  constructor(options: { numOutputChannels?: 1 | 3 } = {}) {
    this.numOutputChannels = options.numOutputChannels ?? 1;
    if (this.numOutputChannels !== 1 && this.numOutputChannels !== 3) {
      throw new Error(`Grayscale: numOutputChannels must be 1 or 3, got ${this.numOutputChannels}`);
    }
  }
  forward<T extends ImageInput>(img: T): T {
    return F.rgbToGrayscale(img, this.numOutputChannels);
  }
}
