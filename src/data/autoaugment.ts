/**
 * Automatic augmentation policies (torchvision.transforms.autoaugment): AutoAugment (ImageNet, CIFAR10,
 * SVHN policies), RandAugment and TrivialAugmentWide. They draw from `options.generator` (default the
 * global generator) with torchvision's calls in its order, so a seed gives torchvision's choices. Most ops
 * (posterize, equalize, solarize's 0..255 thresholds) need 8-bit images: use them on Uint8Images.
 */
import { defaultGenerator, type Generator } from '../core.js';
import * as F from './functional.js';
import type { ImageInput, Interpolation } from './functional.js';
import type { Transform } from './transforms.js';

type Fill = number | readonly number[] | null;
/** An op's magnitudes (null: the op takes none) and whether a random sign applies. */
type OpMeta = [Float32Array | Int32Array | null, boolean];

/** torchvision's _apply_op on the tensor path. */
function applyOp<T extends ImageInput>(img: T, op: string, magnitude: number, interpolation: Interpolation, fill: Fill): T {
  const degrees = (x: number) => x / (Math.PI / 180); // Python's math.degrees
  switch (op) {
    case 'ShearX': return F.affine(img, 0, [0, 0], 1, [degrees(Math.atan(magnitude)), 0], { interpolation, fill, center: [0, 0] });
    case 'ShearY': return F.affine(img, 0, [0, 0], 1, [0, degrees(Math.atan(magnitude))], { interpolation, fill, center: [0, 0] });
    case 'TranslateX': return F.affine(img, 0, [Math.trunc(magnitude), 0], 1, [0, 0], { interpolation, fill });
    case 'TranslateY': return F.affine(img, 0, [0, Math.trunc(magnitude)], 1, [0, 0], { interpolation, fill });
    case 'Rotate': return F.rotate(img, magnitude, { interpolation, fill });
    case 'Brightness': return F.adjustBrightness(img, 1 + magnitude);
    case 'Color': return F.adjustSaturation(img, 1 + magnitude);
    case 'Contrast': return F.adjustContrast(img, 1 + magnitude);
    case 'Sharpness': return F.adjustSharpness(img, 1 + magnitude);
    case 'Posterize': return F.posterize(img, Math.trunc(magnitude));
    case 'Solarize': return F.solarize(img, magnitude);
    case 'AutoContrast': return F.autocontrast(img);
    case 'Equalize': return F.equalize(img);
    case 'Invert': return F.invert(img);
    case 'Identity': return img;
  }
  throw new Error(`autoaugment: the provided operator ${op} is not recognized`);
}

/** 8 − round(arange(n) / ((n − 1) / levels)) as torch computes it (float32 division, round half to even). */
function posterizeBits(n: number, top: number, levels: number): Int32Array {
  const d = Math.fround((n - 1) / levels);
  return Int32Array.from({ length: n }, (_, k) => top - F.pyRound(Math.fround(k / d)));
}

/** The magnitude tables of torchvision's _augmentation_space, in its key order. */
function augmentationSpace(n: number, height: number, width: number, kind: 'auto' | 'rand' | 'wide'): [string, OpMeta][] {
  const lin = (end: number): OpMeta => [F.linspace32(0, end, n), true];
  const none: OpMeta = [null, false];
  const wide = kind === 'wide';
  const ops: [string, OpMeta][] = [
    ['ShearX', lin(wide ? 0.99 : 0.3)],
    ['ShearY', lin(wide ? 0.99 : 0.3)],
    ['TranslateX', lin(wide ? 32 : (150 / 331) * width)],
    ['TranslateY', lin(wide ? 32 : (150 / 331) * height)],
    ['Rotate', lin(wide ? 135 : 30)],
    ['Brightness', lin(wide ? 0.99 : 0.9)],
    ['Color', lin(wide ? 0.99 : 0.9)],
    ['Contrast', lin(wide ? 0.99 : 0.9)],
    ['Sharpness', lin(wide ? 0.99 : 0.9)],
    ['Posterize', [posterizeBits(n, 8, wide ? 6 : 4), false]],
    ['Solarize', [F.linspace32(255, 0, n), false]],
    ['AutoContrast', none],
    ['Equalize', none],
  ];
  if (kind === 'auto') ops.push(['Invert', none]);
  else ops.unshift(['Identity', none]);
  return ops;
}

export type AutoAugmentPolicy = 'imagenet' | 'cifar10' | 'svhn';
type SubPolicy = [[string, number, number | null], [string, number, number | null]];

const POLICIES: Record<AutoAugmentPolicy, SubPolicy[]> = {
  imagenet: [
    [['Posterize', 0.4, 8], ['Rotate', 0.6, 9]], [['Solarize', 0.6, 5], ['AutoContrast', 0.6, null]],
    [['Equalize', 0.8, null], ['Equalize', 0.6, null]], [['Posterize', 0.6, 7], ['Posterize', 0.6, 6]],
    [['Equalize', 0.4, null], ['Solarize', 0.2, 4]], [['Equalize', 0.4, null], ['Rotate', 0.8, 8]],
    [['Solarize', 0.6, 3], ['Equalize', 0.6, null]], [['Posterize', 0.8, 5], ['Equalize', 1.0, null]],
    [['Rotate', 0.2, 3], ['Solarize', 0.6, 8]], [['Equalize', 0.6, null], ['Posterize', 0.4, 6]],
    [['Rotate', 0.8, 8], ['Color', 0.4, 0]], [['Rotate', 0.4, 9], ['Equalize', 0.6, null]],
    [['Equalize', 0.0, null], ['Equalize', 0.8, null]], [['Invert', 0.6, null], ['Equalize', 1.0, null]],
    [['Color', 0.6, 4], ['Contrast', 1.0, 8]], [['Rotate', 0.8, 8], ['Color', 1.0, 2]],
    [['Color', 0.8, 8], ['Solarize', 0.8, 7]], [['Sharpness', 0.4, 7], ['Invert', 0.6, null]],
    [['ShearX', 0.6, 5], ['Equalize', 1.0, null]], [['Color', 0.4, 0], ['Equalize', 0.6, null]],
    [['Equalize', 0.4, null], ['Solarize', 0.2, 4]], [['Solarize', 0.6, 5], ['AutoContrast', 0.6, null]],
    [['Invert', 0.6, null], ['Equalize', 1.0, null]], [['Color', 0.6, 4], ['Contrast', 1.0, 8]],
    [['Equalize', 0.8, null], ['Equalize', 0.6, null]],
  ],
  cifar10: [
    [['Invert', 0.1, null], ['Contrast', 0.2, 6]], [['Rotate', 0.7, 2], ['TranslateX', 0.3, 9]],
    [['Sharpness', 0.8, 1], ['Sharpness', 0.9, 3]], [['ShearY', 0.5, 8], ['TranslateY', 0.7, 9]],
    [['AutoContrast', 0.5, null], ['Equalize', 0.9, null]], [['ShearY', 0.2, 7], ['Posterize', 0.3, 7]],
    [['Color', 0.4, 3], ['Brightness', 0.6, 7]], [['Sharpness', 0.3, 9], ['Brightness', 0.7, 9]],
    [['Equalize', 0.6, null], ['Equalize', 0.5, null]], [['Contrast', 0.6, 7], ['Sharpness', 0.6, 5]],
    [['Color', 0.7, 7], ['TranslateX', 0.5, 8]], [['Equalize', 0.3, null], ['AutoContrast', 0.4, null]],
    [['TranslateY', 0.4, 3], ['Sharpness', 0.2, 6]], [['Brightness', 0.9, 6], ['Color', 0.2, 8]],
    [['Solarize', 0.5, 2], ['Invert', 0.0, null]], [['Equalize', 0.2, null], ['AutoContrast', 0.6, null]],
    [['Equalize', 0.2, null], ['Equalize', 0.6, null]], [['Color', 0.9, 9], ['Equalize', 0.6, null]],
    [['AutoContrast', 0.8, null], ['Solarize', 0.2, 8]], [['Brightness', 0.1, 3], ['Color', 0.7, 0]],
    [['Solarize', 0.4, 5], ['AutoContrast', 0.9, null]], [['TranslateY', 0.9, 9], ['TranslateY', 0.7, 9]],
    [['AutoContrast', 0.9, null], ['Solarize', 0.8, 3]], [['Equalize', 0.8, null], ['Invert', 0.1, null]],
    [['TranslateY', 0.7, 9], ['AutoContrast', 0.9, null]],
  ],
  svhn: [
    [['ShearX', 0.9, 4], ['Invert', 0.2, null]], [['ShearY', 0.9, 8], ['Invert', 0.7, null]],
    [['Equalize', 0.6, null], ['Solarize', 0.6, 6]], [['Invert', 0.9, null], ['Equalize', 0.6, null]],
    [['Equalize', 0.6, null], ['Rotate', 0.9, 3]], [['ShearX', 0.9, 4], ['AutoContrast', 0.8, null]],
    [['ShearY', 0.9, 8], ['Invert', 0.4, null]], [['ShearY', 0.9, 5], ['Solarize', 0.2, 6]],
    [['Invert', 0.9, null], ['AutoContrast', 0.8, null]], [['Equalize', 0.6, null], ['Rotate', 0.9, 3]],
    [['ShearX', 0.9, 4], ['Solarize', 0.3, 3]], [['ShearY', 0.8, 8], ['Invert', 0.7, null]],
    [['Equalize', 0.9, null], ['TranslateY', 0.6, 6]], [['Invert', 0.9, null], ['Equalize', 0.6, null]],
    [['Contrast', 0.3, 3], ['Rotate', 0.8, 4]], [['Invert', 0.8, null], ['TranslateY', 0.0, 2]],
    [['ShearY', 0.7, 6], ['Solarize', 0.4, 8]], [['Invert', 0.6, null], ['Rotate', 0.8, 4]],
    [['ShearY', 0.3, 7], ['TranslateX', 0.9, 3]], [['ShearX', 0.1, 6], ['Invert', 0.6, null]],
    [['Solarize', 0.7, 2], ['TranslateY', 0.6, 7]], [['ShearY', 0.8, 4], ['Invert', 0.8, null]],
    [['ShearX', 0.7, 9], ['TranslateY', 0.8, 3]], [['ShearY', 0.8, 5], ['AutoContrast', 0.7, null]],
    [['ShearX', 0.7, 2], ['Invert', 0.1, null]],
  ],
};

interface AugmentOptions {
  interpolation?: Interpolation;
  /** Fill for the geometric ops (default null: zeros, as torchvision's fill=None). */
  fill?: Fill;
  generator?: Generator;
}

/** AutoAugment's learned policies (transforms.AutoAugment): one random sub-policy of two ops per call. */
export class AutoAugment implements Transform {
  readonly policy: AutoAugmentPolicy;
  readonly policies: SubPolicy[];
  readonly interpolation: Interpolation;
  readonly fill: Fill;
  generator?: Generator;
  constructor(options: AugmentOptions & { policy?: AutoAugmentPolicy } = {}) {
    this.policy = options.policy ?? 'imagenet';
    if (!(this.policy in POLICIES)) throw new Error(`AutoAugment: the provided policy ${this.policy} is not recognized (imagenet, cifar10 or svhn)`);
    this.policies = POLICIES[this.policy];
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? null;
    this.generator = options.generator;
  }
  /** [policy index, probs (2 float32 draws), signs (2 draws of 0 / 1)] (AutoAugment.get_params). */
  static getParams(transformNum: number, generator?: Generator): [number, [number, number], [number, number]] {
    const g = generator ?? defaultGenerator;
    const id = g.randint(0, transformNum);
    const probs: [number, number] = [g.uniformFloat(), g.uniformFloat()];
    const signs: [number, number] = [g.randint(0, 2), g.randint(0, 2)];
    return [id, probs, signs];
  }
  forward<T extends ImageInput>(img: T): T {
    const { height, width } = F.imageSize(img);
    const [id, probs, signs] = AutoAugment.getParams(this.policies.length, this.generator);
    const space = new Map(augmentationSpace(10, height, width, 'auto'));
    this.policies[id].forEach(([op, p, magnitudeId], i) => {
      if (!(probs[i] <= Math.fround(p))) return;
      const [magnitudes, signed] = space.get(op)!;
      let magnitude = magnitudeId !== null && magnitudes ? magnitudes[magnitudeId] : 0;
      if (signed && signs[i] === 0) magnitude *= -1;
      img = applyOp(img, op, magnitude, this.interpolation, this.fill);
    });
    return img;
  }
}

/** RandAugment (transforms.RandAugment): numOps random ops at a fixed magnitude bin. */
export class RandAugment implements Transform {
  readonly numOps: number;
  readonly magnitude: number;
  readonly numMagnitudeBins: number;
  readonly interpolation: Interpolation;
  readonly fill: Fill;
  generator?: Generator;
  constructor(options: AugmentOptions & { numOps?: number; magnitude?: number; numMagnitudeBins?: number } = {}) {
    this.numOps = options.numOps ?? 2;
    this.magnitude = options.magnitude ?? 9;
    this.numMagnitudeBins = options.numMagnitudeBins ?? 31;
    if (!(Number.isInteger(this.magnitude) && this.magnitude >= 0 && this.magnitude < this.numMagnitudeBins)) {
      throw new Error(`RandAugment: magnitude must be an integer bin in [0, ${this.numMagnitudeBins - 1}], got ${this.magnitude}`);
    }
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? null;
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    const g = this.generator ?? defaultGenerator;
    const { height, width } = F.imageSize(img);
    const space = augmentationSpace(this.numMagnitudeBins, height, width, 'rand');
    for (let k = 0; k < this.numOps; k++) {
      const [op, [magnitudes, signed]] = space[g.randint(0, space.length)];
      let magnitude = magnitudes ? magnitudes[this.magnitude] : 0;
      if (signed && g.randint(0, 2)) magnitude *= -1;
      img = applyOp(img, op, magnitude, this.interpolation, this.fill);
    }
    return img;
  }
}

/** TrivialAugmentWide (transforms.TrivialAugmentWide): one random op at a random magnitude. */
export class TrivialAugmentWide implements Transform {
  readonly numMagnitudeBins: number;
  readonly interpolation: Interpolation;
  readonly fill: Fill;
  generator?: Generator;
  constructor(options: AugmentOptions & { numMagnitudeBins?: number } = {}) {
    this.numMagnitudeBins = options.numMagnitudeBins ?? 31;
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? null;
    this.generator = options.generator;
  }
  forward<T extends ImageInput>(img: T): T {
    const g = this.generator ?? defaultGenerator;
    const space = augmentationSpace(this.numMagnitudeBins, 0, 0, 'wide');
    const [op, [magnitudes, signed]] = space[g.randint(0, space.length)];
    let magnitude = magnitudes ? magnitudes[g.randint(0, magnitudes.length)] : 0;
    if (signed && g.randint(0, 2)) magnitude *= -1;
    return applyOp(img, op, magnitude, this.interpolation, this.fill);
  }
}
