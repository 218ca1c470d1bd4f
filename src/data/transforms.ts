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
export { AutoAugment, RandAugment, TrivialAugmentWide } from './autoaugment.js';
export type { AutoAugmentPolicy } from './autoaugment.js';

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

// ---- more torchvision transforms --------------------------------------------------------------

type Fill = number | readonly number[];

function checkP(p: number, name: string): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`${name}: p must be in [0, 1], got ${p}`);
  return p;
}

/** Apply the list of transforms with probability p (transforms.RandomApply: skipped when p < torch.rand(1)). */
export class RandomApply implements Transform {
  readonly transforms: TransformLike[];
  readonly p: number;
  generator?: Generator;
  constructor(transforms: readonly TransformLike[], options: { p?: number; generator?: Generator } = {}) {
    this.transforms = new Compose(transforms).transforms;
    this.p = options.p ?? 0.5;
    this.generator = options.generator;
  }
  forward(x: any): any {
    if (this.p < rand1(gen(this.generator))) return x;
    for (const t of this.transforms) x = applyTransform(t, x);
    return x;
  }
}

/**
 * Apply the transforms in a random order (transforms.RandomOrder). torchvision shuffles with Python's
 * `random`; here the order is randperm(n) from the generator.
 */
export class RandomOrder implements Transform {
  readonly transforms: TransformLike[];
  generator?: Generator;
  constructor(transforms: readonly TransformLike[], options: { generator?: Generator } = {}) {
    this.transforms = new Compose(transforms).transforms;
    this.generator = options.generator;
  }
  forward(x: any): any {
    const order = randperm(this.transforms.length, { generator: gen(this.generator) }).data();
    for (const k of order) x = applyTransform(this.transforms[k], x);
    return x;
  }
}

/**
 * Apply one transform picked at random, with optional weights `p` (transforms.RandomChoice). torchvision
 * picks with Python's `random.choices`; here with one torch.rand(1) draw from the generator.
 */
export class RandomChoice implements Transform {
  readonly transforms: TransformLike[];
  readonly p: number[] | null;
  generator?: Generator;
  constructor(transforms: readonly TransformLike[], options: { p?: readonly number[] | null; generator?: Generator } = {}) {
    this.transforms = new Compose(transforms).transforms;
    if (this.transforms.length === 0) throw new Error('RandomChoice: expected at least one transform');
    this.p = options.p ? [...options.p] : null;
    if (this.p && (this.p.length !== this.transforms.length || !this.p.every((w) => w >= 0) || !(this.p.reduce((a, b) => a + b, 0) > 0))) {
      throw new Error(`RandomChoice: p must hold one non-negative weight per transform with a positive sum, got ${JSON.stringify(options.p)}`);
    }
    this.generator = options.generator;
  }
  forward(x: any): any {
    const w = this.p ?? this.transforms.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    const u = rand1(gen(this.generator)) * total;
    let k = 0;
    for (let acc = w[0]; k < w.length - 1 && u >= acc; acc += w[++k]);
    return applyTransform(this.transforms[k], x);
  }
}

/** Convert to grayscale with probability p, keeping the channel count (transforms.RandomGrayscale). */
export class RandomGrayscale implements Transform {
  readonly p: number;
  generator?: Generator;
  constructor(options: { p?: number; generator?: Generator } = {}) {
    this.p = checkP(options.p ?? 0.1, 'RandomGrayscale');
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    const { channels } = F.imageSize(img);
    return rand1(gen(this.generator)) < this.p ? F.rgbToGrayscale(img, channels as 1 | 3) : img;
  }
}

/** [−x, x] for a non-negative number, else a [min, max] (or `sizes`-long) list (torchvision's _setup_angle). */
function angleRange(x: number | readonly number[], name: string, owner: string, sizes: number[] = [2]): number[] {
  if (typeof x === 'number') {
    if (x < 0) throw new Error(`${owner}: if ${name} is a single number, it must be positive, got ${x}`);
    return [-x, x];
  }
  if (!Array.isArray(x) || !sizes.includes(x.length)) throw new Error(`${owner}: ${name} should be a sequence of length ${sizes.join(' or ')}, got ${JSON.stringify(x)}`);
  return [...x];
}

export interface RandomAffineOptions {
  /** Maximum fractions [a, b] of the width and height to translate by (dx in [−a·W, a·W], dy likewise). */
  translate?: readonly [number, number] | null;
  /** Scale factor range [min, max]. */
  scale?: readonly [number, number] | null;
  /** Shear in degrees: a number s gives an x shear in [−s, s]; [min, max] an x shear; [xmin, xmax, ymin, ymax] both. */
  shear?: number | readonly number[] | null;
  interpolation?: Interpolation;
  fill?: Fill;
  center?: readonly [number, number] | null;
  generator?: Generator;
}

/** A random affine transformation (transforms.RandomAffine): angle from `degrees`, and the optional ranges. */
export class RandomAffine implements Transform {
  readonly degrees: number[];
  readonly translate: readonly [number, number] | null;
  readonly scale: readonly [number, number] | null;
  readonly shear: number[] | null;
  readonly interpolation: Interpolation;
  readonly fill: Fill;
  readonly center: readonly [number, number] | null;
  generator?: Generator;
  constructor(degrees: number | readonly [number, number], options: RandomAffineOptions = {}) {
    this.degrees = angleRange(degrees, 'degrees', 'RandomAffine');
    this.translate = options.translate ?? null;
    if (this.translate) {
      if (this.translate.length !== 2) throw new Error(`RandomAffine: translate should be a sequence of length 2, got ${JSON.stringify(this.translate)}`);
      if (!this.translate.every((t) => t >= 0 && t <= 1)) throw new Error(`RandomAffine: translation values should be between 0 and 1, got ${JSON.stringify(this.translate)}`);
    }
    this.scale = options.scale ?? null;
    if (this.scale) {
      if (this.scale.length !== 2) throw new Error(`RandomAffine: scale should be a sequence of length 2, got ${JSON.stringify(this.scale)}`);
      if (!this.scale.every((s) => s > 0)) throw new Error(`RandomAffine: scale values should be positive, got ${JSON.stringify(this.scale)}`);
    }
    this.shear = options.shear == null ? null : angleRange(options.shear, 'shear', 'RandomAffine', [2, 4]);
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? 0;
    this.center = options.center ?? null;
    if (this.center && this.center.length !== 2) throw new Error(`RandomAffine: center should be a sequence of length 2, got ${JSON.stringify(this.center)}`);
    this.generator = options.generator;
  }

  /** [angle, [tx, ty], scale, [shearX, shearY]] for an image of imgSize = [width, height] (RandomAffine.get_params). */
  static getParams(
    degrees: readonly number[], translate: readonly number[] | null, scaleRanges: readonly number[] | null, shears: readonly number[] | null,
    imgSize: readonly [number, number], generator?: Generator,
  ): [number, [number, number], number, [number, number]] {
    const g = gen(generator);
    const angle = uniform1(g, degrees[0], degrees[1]);
    let translations: [number, number] = [0, 0];
    if (translate) {
      const maxDx = translate[0] * imgSize[0];
      const maxDy = translate[1] * imgSize[1];
      const tx = F.pyRound(uniform1(g, -maxDx, maxDx));
      translations = [tx, F.pyRound(uniform1(g, -maxDy, maxDy))];
    }
    const scale = scaleRanges ? uniform1(g, scaleRanges[0], scaleRanges[1]) : 1;
    let shear: [number, number] = [0, 0];
    if (shears) {
      const sx = uniform1(g, shears[0], shears[1]);
      shear = [sx, shears.length === 4 ? uniform1(g, shears[2], shears[3]) : 0];
    }
    return [angle, translations, scale, shear];
  }

  forward<T extends ImageInput>(img: T): T {
    const { width, height } = F.imageSize(img);
    const [angle, translate, scale, shear] = RandomAffine.getParams(this.degrees, this.translate, this.scale, this.shear, [width, height], this.generator);
    return F.affine(img, angle, translate, scale, shear, { interpolation: this.interpolation, fill: this.fill, center: this.center });
  }
}

/** A random perspective distortion with probability p (transforms.RandomPerspective). */
export class RandomPerspective implements Transform {
  readonly distortionScale: number;
  readonly p: number;
  readonly interpolation: Interpolation;
  readonly fill: Fill;
  generator?: Generator;
  constructor(options: { distortionScale?: number; p?: number; interpolation?: Interpolation; fill?: Fill; generator?: Generator } = {}) {
    this.distortionScale = options.distortionScale ?? 0.5;
    this.p = checkP(options.p ?? 0.5, 'RandomPerspective');
    this.interpolation = options.interpolation ?? 'bilinear';
    this.fill = options.fill ?? 0;
    this.generator = options.generator;
  }

  /** [startpoints, endpoints]: the corners and random points near them (RandomPerspective.get_params). */
  static getParams(width: number, height: number, distortionScale: number, generator?: Generator): [number[][], number[][]] {
    const g = gen(generator);
    const dw = Math.trunc(distortionScale * Math.floor(width / 2));
    const dh = Math.trunc(distortionScale * Math.floor(height / 2));
    const topleft = [g.randint(0, dw + 1), g.randint(0, dh + 1)];
    const topright = [g.randint(width - dw - 1, width), g.randint(0, dh + 1)];
    const botright = [g.randint(width - dw - 1, width), g.randint(height - dh - 1, height)];
    const botleft = [g.randint(0, dw + 1), g.randint(height - dh - 1, height)];
    return [[[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], [topleft, topright, botright, botleft]];
  }

  forward<T extends ImageInput>(img: T): T {
    const { width, height } = F.imageSize(img);
    const g = gen(this.generator);
    if (!(rand1(g) < this.p)) return img;
    const [start, end] = RandomPerspective.getParams(width, height, this.distortionScale, g);
    return F.perspective(img, start, end, { interpolation: this.interpolation, fill: this.fill });
  }
}

/** Gaussian blur with sigma drawn from [min, max] (transforms.GaussianBlur). */
export class GaussianBlur implements Transform {
  readonly kernelSize: [number, number];
  readonly sigma: [number, number];
  generator?: Generator;
  constructor(kernelSize: number | readonly number[], options: { sigma?: number | readonly [number, number]; generator?: Generator } = {}) {
    const ks = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize.length === 1 ? [kernelSize[0], kernelSize[0]] : [...kernelSize];
    if (ks.length !== 2) throw new Error('GaussianBlur: kernel size should be a number or a list of two integers');
    if (!ks.every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new Error(`GaussianBlur: kernel size value should be an odd and positive number, got ${JSON.stringify(kernelSize)}`);
    this.kernelSize = [ks[0], ks[1]];
    const sigma = options.sigma ?? [0.1, 2.0];
    if (typeof sigma === 'number') {
      if (!(sigma > 0)) throw new Error(`GaussianBlur: if sigma is a single number, it must be positive, got ${sigma}`);
      this.sigma = [sigma, sigma];
    } else if (Array.isArray(sigma) && sigma.length === 2) {
      if (!(sigma[0] > 0 && sigma[0] <= sigma[1])) throw new Error(`GaussianBlur: sigma values should be positive and of the form [min, max], got ${JSON.stringify(sigma)}`);
      this.sigma = [sigma[0], sigma[1]];
    } else throw new Error(`GaussianBlur: sigma should be a single number or a list of two, got ${JSON.stringify(sigma)}`);
    this.generator = options.generator;
  }
  /** The sigma for one call (GaussianBlur.get_params: torch.empty(1).uniform_(min, max)). */
  static getParams(sigmaMin: number, sigmaMax: number, generator?: Generator): number {
    return uniform1(gen(generator), sigmaMin, sigmaMax);
  }
  forward<T extends ImageInput>(img: T): T {
    const s = GaussianBlur.getParams(this.sigma[0], this.sigma[1], this.generator);
    return F.gaussianBlur(img, this.kernelSize, [s, s]);
  }
}

/** A fixed image operation applied with probability p (torch.rand(1).item() < p), as torchvision's Random* point transforms. */
abstract class RandomPointTransform implements Transform {
  readonly p: number;
  generator?: Generator;
  constructor(options: { p?: number; generator?: Generator }, name: string) {
    this.p = checkP(options.p ?? 0.5, name);
    this.generator = options.generator;
  }
  protected abstract apply<T extends ImageInput>(img: T): T;
  forward<T extends ImageInput>(img: T): T {
    return rand1(gen(this.generator)) < this.p ? this.apply(img) : img;
  }
}

/** Invert colours with probability p (transforms.RandomInvert). */
export class RandomInvert extends RandomPointTransform {
  constructor(options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomInvert');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.invert(img);
  }
}

/** Keep `bits` bits per channel with probability p (transforms.RandomPosterize; Uint8Image only). */
export class RandomPosterize extends RandomPointTransform {
  constructor(readonly bits: number, options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomPosterize');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.posterize(img, this.bits);
  }
}

/** Invert the pixels at or above `threshold` with probability p (transforms.RandomSolarize). */
export class RandomSolarize extends RandomPointTransform {
  constructor(readonly threshold: number, options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomSolarize');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.solarize(img, this.threshold);
  }
}

/** adjustSharpness(sharpnessFactor) with probability p (transforms.RandomAdjustSharpness). */
export class RandomAdjustSharpness extends RandomPointTransform {
  constructor(readonly sharpnessFactor: number, options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomAdjustSharpness');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.adjustSharpness(img, this.sharpnessFactor);
  }
}

/** autocontrast with probability p (transforms.RandomAutocontrast). */
export class RandomAutocontrast extends RandomPointTransform {
  constructor(options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomAutocontrast');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.autocontrast(img);
  }
}

/** equalize with probability p (transforms.RandomEqualize; Uint8Image only). */
export class RandomEqualize extends RandomPointTransform {
  constructor(options: { p?: number; generator?: Generator } = {}) {
    super(options, 'RandomEqualize');
  }
  protected apply<T extends ImageInput>(img: T): T {
    return F.equalize(img);
  }
}

export interface RandomErasingOptions {
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the box's aspect ratio (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /** Value: a number, one per channel, or 'random' (standard normal float32 values per pixel). */
  value?: number | readonly number[] | 'random';
  inplace?: boolean;
  generator?: Generator;
}

/** Erase a random box with probability p (transforms.RandomErasing), on tensors and Uint8Images. */
export class RandomErasing implements Transform {
  readonly p: number;
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  readonly value: number | readonly number[] | 'random';
  readonly inplace: boolean;
  generator?: Generator;
  constructor(options: RandomErasingOptions = {}) {
    this.value = options.value ?? 0;
    if (typeof this.value === 'string' && this.value !== 'random') throw new Error(`RandomErasing: if value is a string, it should be 'random', got '${this.value}'`);
    if (typeof this.value !== 'number' && typeof this.value !== 'string' && !Array.isArray(this.value)) {
      throw new Error(`RandomErasing: value should be a number, a list of numbers or 'random', got ${F.describe(this.value)}`);
    }
    this.scale = options.scale ?? [0.02, 0.33];
    this.ratio = options.ratio ?? [0.3, 3.3];
    if (this.scale.length !== 2 || this.ratio.length !== 2) throw new Error('RandomErasing: scale and ratio should be sequences [min, max]');
    if (this.scale[0] < 0 || this.scale[1] > 1) throw new Error(`RandomErasing: scale should be between 0 and 1, got [${this.scale}]`);
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new Error(`RandomErasing: random erasing probability should be between 0 and 1, got ${this.p}`);
    this.inplace = options.inplace ?? false;
    this.generator = options.generator;
  }

  /**
   * [i, j, h, w, v] of the box and its value (a float32 tensor, [C, 1, 1] or [C, h, w] of normal values
   * when `value` is null), as RandomErasing.get_params; after 10 misses the whole image, v = null (unchanged).
   */
  static getParams(
    img: ImageInput, scale: readonly [number, number], ratio: readonly [number, number], value: readonly number[] | null, generator?: Generator,
  ): [number, number, number, number, Tensor | null] {
    const g = gen(generator);
    const { channels, height, width } = F.imageSize(img);
    const area = height * width;
    const logRatio = [Math.fround(Math.log(Math.fround(ratio[0]))), Math.fround(Math.log(Math.fround(ratio[1])))];
    for (let attempt = 0; attempt < 10; attempt++) {
      const eraseArea = area * uniform1(g, scale[0], scale[1]);
      const aspect = Math.fround(Math.exp(uniform1(g, logRatio[0], logRatio[1])));
      const h = F.pyRound(Math.sqrt(eraseArea * aspect));
      const w = F.pyRound(Math.sqrt(eraseArea / aspect));
      if (!(h < height && w < width)) continue;
      let v: Tensor;
      if (value === null) {
        const data = new Float32Array(channels * h * w);
        g.fillNormal(data, 0, 1);
        v = new Tensor(data, [channels, h, w]);
      } else {
        v = new Tensor(Float32Array.from(value), [value.length, 1, 1]);
      }
      const i = g.randint(0, height - h + 1);
      const j = g.randint(0, width - w + 1);
      return [i, j, h, w, v];
    }
    return [0, 0, height, width, null];
  }

  forward<T extends ImageInput>(img: T): T {
    const g = gen(this.generator);
    if (!(rand1(g) < this.p)) return img;
    const value = this.value === 'random' ? null : typeof this.value === 'number' ? [this.value] : [...this.value];
    const { channels } = F.imageSize(img);
    if (value && value.length !== 1 && value.length !== channels) {
      throw new Error(`RandomErasing: if value is a sequence, it should have either a single value or ${channels} (number of input channels)`);
    }
    const [i, j, h, w, v] = RandomErasing.getParams(img, this.scale, this.ratio, value, g);
    if (v === null) return this.inplace ? img : (img instanceof Uint8Image ? img.clone() : (img as Tensor).clone()) as T;
    return F.erase(img, i, j, h, w, v, { inplace: this.inplace });
  }
}

/** The four corners and the centre crop (transforms.FiveCrop): returns a list of 5 images. */
export class FiveCrop implements Transform {
  readonly size: [number, number];
  constructor(size: number | readonly number[]) {
    this.size = F.pair(size, 'FiveCrop');
  }
  forward<T extends ImageInput>(img: T): T[] {
    return F.fiveCrop(img, this.size);
  }
}

/** FiveCrop of the image and of its flipped version (transforms.TenCrop): returns a list of 10 images. */
export class TenCrop implements Transform {
  readonly size: [number, number];
  readonly verticalFlip: boolean;
  constructor(size: number | readonly number[], options: { verticalFlip?: boolean } = {}) {
    this.size = F.pair(size, 'TenCrop');
    this.verticalFlip = options.verticalFlip ?? false;
  }
  forward<T extends ImageInput>(img: T): T[] {
    return F.tenCrop(img, this.size, this.verticalFlip);
  }
}

/** Convert the dtype with torchvision's value scaling (transforms.ConvertImageDtype; 'uint8' gives a Uint8Image). */
export class ConvertImageDtype implements Transform {
  constructor(readonly dtype: F.ImageDtype) {
    if (!['float32', 'float64', 'int32', 'uint8'].includes(dtype)) throw new Error(`ConvertImageDtype: dtype must be float32, float64, int32 or uint8, got '${dtype}'`);
  }
  forward(img: ImageInput): ImageInput {
    return F.convertImageDtype(img, this.dtype);
  }
}

export interface ElasticTransformOptions {
  /** Displacement strength [ax, ay] (a number for both; default 50). */
  alpha?: number | readonly number[];
  /** Smoothness (Gaussian sigma) [sx, sy] (a number for both; default 5). */
  sigma?: number | readonly number[];
  interpolation?: Interpolation;
  fill?: number;
  generator?: Generator;
}

/** Random elastic deformation (transforms.ElasticTransform): blurred uniform noise displacements. */
export class ElasticTransform implements Transform {
  readonly alpha: [number, number];
  readonly sigma: [number, number];
  readonly interpolation: Interpolation;
  readonly fill: number;
  generator?: Generator;
  constructor(options: ElasticTransformOptions = {}) {
    const two = (v: number | readonly number[], name: string): [number, number] => {
      const a = typeof v === 'number' ? [v, v] : v.length === 1 ? [v[0], v[0]] : [...v];
      if (a.length !== 2) throw new Error(`ElasticTransform: if ${name} is a sequence its length should be 2, got ${a.length}`);
      return [a[0], a[1]];
    };
    this.alpha = two(options.alpha ?? 50, 'alpha');
    this.sigma = two(options.sigma ?? 5, 'sigma');
    this.interpolation = options.interpolation ?? 'bilinear';
    this.fill = options.fill ?? 0;
    if (typeof this.fill !== 'number') throw new Error(`ElasticTransform: fill should be a number, got ${F.describe(this.fill)}`);
    this.generator = options.generator;
  }

  /** The [1, H, W, 2] displacement for size [H, W] (ElasticTransform.get_params). */
  static getParams(alpha: readonly number[], sigma: readonly number[], size: readonly [number, number], generator?: Generator): Tensor {
    const g = gen(generator);
    const f = Math.fround;
    const field = (k: 0 | 1): Float32Array => {
      let d = new Tensor(Float32Array.from({ length: size[0] * size[1] }, () => f(f(g.uniformFloat() * 2) - 1)), [1, 1, size[0], size[1]]);
      if (sigma[k] > 0) {
        let ks = Math.trunc(8 * sigma[k] + 1);
        if (ks % 2 === 0) ks += 1;
        d = F.gaussianBlur(d, [ks, ks], sigma);
      }
      return (d.data() as Float32Array).map((v) => f(f(v * alpha[k]) / size[k]));
    };
    const dx = field(0);
    const dy = field(1);
    const out = new Float32Array(2 * dx.length);
    for (let i = 0; i < dx.length; i++) [out[2 * i], out[2 * i + 1]] = [dx[i], dy[i]];
    return new Tensor(out, [1, size[0], size[1], 2]);
  }

  forward<T extends ImageInput>(img: T): T {
    const { height, width } = F.imageSize(img);
    const displacement = ElasticTransform.getParams(this.alpha, this.sigma, [height, width], this.generator);
    return F.elasticTransform(img, displacement, { interpolation: this.interpolation, fill: this.fill });
  }
}
