/** CIFAR-10 and CIFAR-100 from their binary versions. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataRoot } from './root.js';
import { ImageArrayDataset, findFile, readCached, type ImageDatasetOptions } from './array-dataset.js';

const PIXELS = 3 * 32 * 32;

export const CIFAR10_CLASSES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const CIFAR100_FINE_CLASSES: readonly string[] = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

export const CIFAR100_COARSE_CLASSES: readonly string[] = [
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables', 'household_electrical_devices',
  'household_furniture', 'insects', 'large_carnivores', 'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
  'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
  'trees', 'vehicles_1', 'vehicles_2',
];

/**
 * Split CIFAR binary records (`labelBytes` label bytes then 3072 pixel bytes,
 * R, G, B planes of 32×32) into pixels and labels, checking the file's size
 * and the labels' ranges.
 */
export function parseCifarRecords(
  bytes: Uint8Array,
  path: string,
  labelBytes: number,
  numClasses: readonly number[],
  what: string,
): { images: Uint8Array; labels: Int32Array[] } {
  const record = labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new Error(
      `${what}: ${path} has ${bytes.length} bytes, not a whole number of ${record}-byte records ` +
        `(${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 3072 pixels); the file is truncated or not a CIFAR binary batch`,
    );
  }
  const n = bytes.length / record;
  const images = new Uint8Array(n * PIXELS);
  const labels = Array.from({ length: labelBytes }, () => new Int32Array(n));
  for (let i = 0; i < n; i++) {
    const at = i * record;
    for (let k = 0; k < labelBytes; k++) {
      const label = bytes[at + k];
      if (label >= numClasses[k]) {
        throw new Error(`${what}: ${path} record ${i} has label ${label}, expected 0..${numClasses[k] - 1}; the file is corrupt or not a CIFAR binary batch`);
      }
      labels[k][i] = label;
    }
    images.set(bytes.subarray(at + labelBytes, at + record), i * PIXELS);
  }
  return { images, labels };
}

/** Class names from a text file (one per line), or the built-in list when there is no file. */
function classNames(path: string, fallback: readonly string[], what: string): readonly string[] {
  if (!existsSync(path)) return fallback;
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== fallback.length) throw new Error(`${what}: ${path} lists ${names.length} class names, expected ${fallback.length}`);
  return names;
}

function cifarFolder(root: string | null | undefined, names: string[]): string {
  const base = defaultDataRoot(root);
  const found = names.map((n) => join(base, n)).find((p) => existsSync(p));
  return found ?? join(base, names[0]);
}

export interface CIFAROptions extends ImageDatasetOptions {
  /** Training set (50,000 images) or test set (10,000); default true. */
  train?: boolean;
}

/**
 * CIFAR-10 (torchvision.datasets.CIFAR10) from the binary batches in
 * `root/cifar-10` (or `root/cifar-10-batches-bin`): data_batch_1..5.bin for
 * training, test_batch.bin for test; class names from batches.meta.txt.
 * Samples are `[3×32×32 Uint8Image (or transform(image)), label 0..9]`.
 */
export class CIFAR10 extends ImageArrayDataset {
  readonly train: boolean;
  readonly folder: string;

  constructor(root?: string | null, options: CIFAROptions = {}) {
    const train = options.train ?? true;
    const folder = cifarFolder(root, ['cifar-10', 'cifar-10-batches-bin']);
    const hint = 'download it with downloadCIFAR10(root) or pass the right data root';
    const files = train ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ['test_batch.bin'];
    const parts = files.map((f) => {
      const path = findFile([join(folder, f)], 'CIFAR10', hint);
      return parseCifarRecords(readCached(path, 'CIFAR10'), path, 1, [10], 'CIFAR10');
    });
    const total = parts.reduce((n, p) => n + p.labels[0].length, 0);
    const images = parts.length === 1 ? parts[0].images : new Uint8Array(total * PIXELS);
    const targets = parts.length === 1 ? parts[0].labels[0] : new Int32Array(total);
    if (parts.length > 1) {
      let at = 0;
      for (const p of parts) {
        images.set(p.images, at * PIXELS);
        targets.set(p.labels[0], at);
        at += p.labels[0].length;
      }
    }
    const classes = classNames(join(folder, 'batches.meta.txt'), CIFAR10_CLASSES, 'CIFAR10');
    super(images, targets, [3, 32, 32], classes, options, 'CIFAR10');
    this.train = train;
    this.folder = folder;
  }
}

export interface CIFAR100Options extends CIFAROptions {
  /** Which labels `targets` and `classes` hold: the 100 fine classes (default) or the 20 superclasses. */
  labelType?: 'fine' | 'coarse';
}

/**
 * CIFAR-100 (torchvision.datasets.CIFAR100) from the binary version in
 * `root/cifar-100` (or `root/cifar-100-binary`): train.bin / test.bin, records
 * of coarse label, fine label, 3072 pixels. Class names from
 * fine_label_names.txt / coarse_label_names.txt when present.
 */
export class CIFAR100 extends ImageArrayDataset {
  readonly train: boolean;
  readonly folder: string;
  readonly labelType: 'fine' | 'coarse';
  readonly fineTargets: Int32Array;
  readonly coarseTargets: Int32Array;
  readonly fineClasses: readonly string[];
  readonly coarseClasses: readonly string[];

  constructor(root?: string | null, options: CIFAR100Options = {}) {
    const train = options.train ?? true;
    const labelType = options.labelType ?? 'fine';
    if (labelType !== 'fine' && labelType !== 'coarse') throw new Error(`CIFAR100: labelType must be 'fine' or 'coarse', got '${labelType}'`);
    const folder = cifarFolder(root, ['cifar-100', 'cifar-100-binary']);
    const path = findFile([join(folder, train ? 'train.bin' : 'test.bin')], 'CIFAR100', 'download it with downloadCIFAR100(root) or pass the right data root');
    const { images, labels } = parseCifarRecords(readCached(path, 'CIFAR100'), path, 2, [20, 100], 'CIFAR100');
    const fineClasses = classNames(join(folder, 'fine_label_names.txt'), CIFAR100_FINE_CLASSES, 'CIFAR100');
    const coarseClasses = classNames(join(folder, 'coarse_label_names.txt'), CIFAR100_COARSE_CLASSES, 'CIFAR100');
    const fine = labelType === 'fine';
    super(images, fine ? labels[1] : labels[0], [3, 32, 32], fine ? fineClasses : coarseClasses, options, 'CIFAR100');
    this.train = train;
    this.folder = folder;
    this.labelType = labelType;
    this.coarseTargets = labels[0];
    this.fineTargets = labels[1];
    this.fineClasses = fineClasses;
    this.coarseClasses = coarseClasses;
  }
}
