/**
 * What `strata train` builds from its flags: datasets with their preprocessing and augmentation,
 * optimisers and lr schedules, and the default hyper-parameters per dataset.
 */
import { Generator } from '../tensor/random.js';
import * as data from '../data/index.js';
import type { Dataset, TransformLike } from '../data/index.js';
import * as optim from '../optim/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { AnyScheduler } from '../train/callbacks.js';
import { CliError } from './common.js';

// ---- datasets -----------------------------------------------------------------------------------

export type AugmentLevel = 'none' | 'light' | 'standard';
export const AUGMENT_LEVELS: readonly AugmentLevel[] = ['none', 'light', 'standard'];

export interface DatasetSpec {
  name: string;
  /** [channels, height, width] of the stored images. */
  shape: [number, number, number];
  mean: number[];
  std: number[];
  /** Build the split with a per-image transform (applied to Uint8Images). */
  load(root: string, train: boolean, transform: TransformLike): Dataset<[unknown, number]> & { classes: readonly string[] };
  /** Random transforms of the training images (before ToTensor) for an augmentation level. */
  augment(level: AugmentLevel): TransformLike[];
}

const digits = (level: AugmentLevel): TransformLike[] => {
  // Small rotations and shifts: handwriting varies in slant and position, never in mirror image.
  if (level === 'none') return [];
  if (level === 'light') return [new data.RandomCrop(28, { padding: 2 })];
  return [new data.RandomRotation(10, { interpolation: 'bilinear' }), new data.RandomCrop(28, { padding: 2 })];
};

const objects = (level: AugmentLevel): TransformLike[] => {
  if (level === 'none') return [];
  if (level === 'light') return [new data.RandomHorizontalFlip()];
  return [new data.RandomCrop(32, { padding: 4 }), new data.RandomHorizontalFlip()];
};

export const DATASETS: Record<string, DatasetSpec> = {
  mnist: {
    name: 'mnist', shape: [1, 28, 28], mean: [0.1307], std: [0.3081],
    load: (root, train, transform) => new data.MNIST(root, { train, transform }),
    augment: digits,
  },
  'fashion-mnist': {
    name: 'fashion-mnist', shape: [1, 28, 28], mean: [0.286], std: [0.353],
    load: (root, train, transform) => new data.FashionMNIST(root, { train, transform }),
    augment: (level) => (level === 'none' ? [] : level === 'light' ? [new data.RandomHorizontalFlip()] : [new data.RandomCrop(28, { padding: 2 }), new data.RandomHorizontalFlip()]),
  },
  cifar10: {
    name: 'cifar10', shape: [3, 32, 32], mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616],
    load: (root, train, transform) => new data.CIFAR10(root, { train, transform }),
    augment: objects,
  },
  cifar100: {
    name: 'cifar100', shape: [3, 32, 32], mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762],
    load: (root, train, transform) => new data.CIFAR100(root, { train, transform }),
    augment: objects,
  },
};

export function datasetSpec(name: string): DatasetSpec {
  const spec = DATASETS[name];
  if (!spec) throw new CliError(`unknown dataset '${name}' (expected one of: ${Object.keys(DATASETS).join(', ')})`);
  return spec;
}

/**
 * How images of the dataset become the model's input: `pad` (e.g. MNIST 28×28 → LeNet-5 classic's
 * 32×32, as in the paper) or `resize`, then ToTensor and Normalize(mean, std).
 */
export interface Preprocessing {
  /** [channels, height, width] the model takes. */
  inputShape: [number, number, number];
  mean: number[];
  std: number[];
  /** Pixels of zero padding on each side (before ToTensor), or 0. */
  pad: number;
  /** Resize to inputShape's height × width when the sizes differ by other than padding. */
  resize: boolean;
}

export function preprocessingFor(spec: DatasetSpec, modelInput: [number, number, number]): Preprocessing {
  const [, h, w] = spec.shape;
  const [, mh, mw] = modelInput;
  const inputShape: [number, number, number] = [spec.shape[0], mh, mw];
  if (mh === h && mw === w) return { inputShape, mean: spec.mean, std: spec.std, pad: 0, resize: false };
  const pad = (mh - h) / 2;
  if (mh === mw && h === w && pad > 0 && Number.isInteger(pad)) return { inputShape, mean: spec.mean, std: spec.std, pad, resize: false };
  return { inputShape, mean: spec.mean, std: spec.std, pad: 0, resize: true };
}

/** The per-image transform: augmentation (training only), padding/resizing, ToTensor, Normalize. */
export function buildTransform(pre: Preprocessing, augment: TransformLike[] = []): TransformLike {
  const steps: TransformLike[] = [...augment];
  if (pre.pad) steps.push(new data.Pad(pre.pad));
  if (pre.resize) steps.push(new data.Resize([pre.inputShape[1], pre.inputShape[2]]));
  steps.push(new data.ToTensor(), new data.Normalize(pre.mean, pre.std));
  return new data.Compose(steps);
}

/** The first `limit` samples of a dataset (all when limit is null). */
export function limited<T>(ds: Dataset<T>, limit: number | null | undefined): Dataset<T> {
  if (!limit || limit >= ds.length) return ds;
  return new data.Subset(ds, Int32Array.from({ length: limit }, (_, i) => i));
}

// ---- hyper-parameters ---------------------------------------------------------------------------

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: string;
  momentum: number;
  weightDecay: number;
  scheduler: string;
  augment: AugmentLevel;
  labelSmoothing: number;
}

/**
 * Defaults per dataset. MNIST + LeNet-5: SGD with Nesterov momentum 0.9, OneCycle up to lr 0.1 over
 * 12 epochs of batch 128, weight decay 5e-4, ±10° rotations and ±2 px shifts. Measured (seed 0,
 * native backend): 99.47% test accuracy (53 errors) after 12 epochs; 8 epochs gave 99.33%.
 */
export function defaultSettings(dataset: string): TrainSettings {
  switch (dataset) {
    case 'cifar10':
    case 'cifar100':
      return { epochs: 30, batchSize: 128, lr: 0.1, optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, scheduler: 'onecycle', augment: 'standard', labelSmoothing: 0 };
    default:
      return { epochs: 12, batchSize: 128, lr: 0.1, optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, scheduler: 'onecycle', augment: 'standard', labelSmoothing: 0 };
  }
}

export const OPTIMIZERS = ['sgd', 'nesterov', 'adam', 'adamw', 'nadam', 'radam', 'rmsprop', 'adagrad', 'adadelta'] as const;
export const SCHEDULERS = ['onecycle', 'step', 'multistep', 'cosine', 'exponential', 'plateau', 'none'] as const;

export function buildOptimizer(name: string, params: Iterable<import('../tensor/tensor.js').Tensor>, s: TrainSettings): Optimizer<any> {
  const { lr, momentum, weightDecay } = s;
  switch (name) {
    case 'sgd':
      return new optim.SGD(params, { lr, momentum, weightDecay, nesterov: momentum > 0 });
    case 'nesterov':
      return new optim.SGD(params, { lr, momentum: momentum || 0.9, weightDecay, nesterov: true });
    case 'adam':
      return new optim.Adam(params, { lr, weightDecay });
    case 'adamw':
      return new optim.AdamW(params, { lr, weightDecay });
    case 'nadam':
      return new optim.NAdam(params, { lr, weightDecay });
    case 'radam':
      return new optim.RAdam(params, { lr, weightDecay });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr, momentum, weightDecay });
    case 'adagrad':
      return new optim.Adagrad(params, { lr, weightDecay });
    case 'adadelta':
      return new optim.Adadelta(params, { lr, weightDecay });
    default:
      throw new CliError(`unknown optimizer '${name}' (expected one of: ${OPTIMIZERS.join(', ')})`);
  }
}

/** The lr schedule over `epochs` epochs of `steps` batches; null for 'none'. */
export function buildScheduler(name: string, optimizer: Optimizer<any>, s: TrainSettings, steps: number): AnyScheduler | null {
  const S = optim.lrScheduler;
  const E = s.epochs;
  switch (name) {
    case 'none':
      return null;
    case 'onecycle': {
      // The warm-up phase must span more than one step (very short runs: --limit with few batches).
      const total = E * Math.max(1, steps);
      if (total < 3) return null;
      // Cycling momentum only applies to optimisers with momentum (or Adam's beta1).
      return new S.OneCycleLR(optimizer, s.lr, {
        epochs: E, stepsPerEpoch: Math.max(1, steps), pctStart: Math.max(0.25, 1.5 / total),
        cycleMomentum: 'momentum' in optimizer.defaults ? s.momentum > 0 : 'betas' in optimizer.defaults,
      });
    }
    case 'step':
      return new S.StepLR(optimizer, Math.max(1, Math.round(E / 3)), { gamma: 0.1 });
    case 'multistep':
      return new S.MultiStepLR(optimizer, [Math.round(E * 0.5), Math.round(E * 0.75)], { gamma: 0.1 });
    case 'cosine':
      return new S.CosineAnnealingLR(optimizer, Math.max(1, E));
    case 'exponential':
      return new S.ExponentialLR(optimizer, 0.9);
    case 'plateau':
      return new S.ReduceLROnPlateau(optimizer, { mode: 'min', factor: 0.1, patience: 2 });
    default:
      throw new CliError(`unknown scheduler '${name}' (expected one of: ${SCHEDULERS.join(', ')})`);
  }
}

/** The loader's shuffle generator, seeded from the run's seed. */
export function shuffleGenerator(seed: number): Generator {
  return new Generator(seed + 1);
}
