/** MNIST and Fashion-MNIST from their IDX files (gzipped or not). */
import { join } from 'node:path';
import { defaultDataRoot } from './root.js';
import { ImageArrayDataset, findFile, readCached, type ImageDatasetOptions } from './array-dataset.js';

const IDX_TYPES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

export interface IdxArray {
  /** Sizes of the dimensions, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The values (a view into the file's bytes). */
  data: Uint8Array;
}

/**
 * Parse an IDX file of unsigned bytes (MNIST's format): magic 0x0000 08 NDIM,
 * NDIM big-endian sizes, then the values. `expectedDims` checks the rank;
 * the file must hold exactly the bytes its header announces.
 */
export function parseIdx(bytes: Uint8Array, path: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4) throw new Error(`IDX: ${path} is too short (${bytes.length} bytes) to hold an IDX header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0);
  const type = bytes[2];
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in IDX_TYPES)) {
    throw new Error(`IDX: ${path} has a wrong magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x000008NN for an IDX file of unsigned bytes)`);
  }
  if (type !== 0x08) throw new Error(`IDX: ${path} holds ${IDX_TYPES[type]} values; only unsigned bytes (type 0x08) are supported`);
  if (expectedDims !== undefined && ndim !== expectedDims) {
    throw new Error(`IDX: ${path} has ${ndim} dimensions (magic ${2048 + ndim}), expected ${expectedDims} (magic ${2048 + expectedDims})`);
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new Error(`IDX: ${path} is truncated: its header needs ${header} bytes, the file has ${bytes.length}`);
  const shape = Array.from({ length: ndim }, (_, k) => dv.getUint32(4 + 4 * k));
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length < header + count) {
    throw new Error(`IDX: ${path} is truncated: shape [${shape}] needs ${header + count} bytes, the file has ${bytes.length}`);
  }
  if (bytes.length > header + count) {
    throw new Error(`IDX: ${path} has ${bytes.length - header - count} unexpected bytes after the ${count} values of shape [${shape}]`);
  }
  return { shape, data: bytes.subarray(header, header + count) };
}

export interface MNISTOptions extends ImageDatasetOptions {
  /** Training set (60,000 images) or test set (10,000); default true. */
  train?: boolean;
}

const MNIST_CLASSES = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/**
 * The MNIST handwritten digits (torchvision.datasets.MNIST) from
 * `root/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`. Samples are
 * `[image, label]` with a 1×28×28 Uint8Image (or what `transform` makes of it)
 * and a label 0..9. `root` defaults to defaultDataRoot().
 */
export class MNIST extends ImageArrayDataset {
  static readonly folder: string = 'mnist';
  static readonly classNames: readonly string[] = MNIST_CLASSES;
  readonly train: boolean;
  /** The folder the files were read from. */
  readonly folder: string;

  constructor(root?: string | null, options: MNISTOptions = {}) {
    const ctor = new.target as typeof MNIST;
    const name = ctor.name;
    const train = options.train ?? true;
    const folder = join(defaultDataRoot(root), ctor.folder);
    const prefix = train ? 'train' : 't10k';
    const hint = `download the files with download${name}(root) or pass the right data root`;
    const find = (base: string) => findFile([join(folder, base), join(folder, `${base}.gz`)], name, hint);
    const imagesPath = find(`${prefix}-images-idx3-ubyte`);
    const labelsPath = find(`${prefix}-labels-idx1-ubyte`);
    const images = parseIdx(readCached(imagesPath, name), imagesPath, 3);
    const labels = parseIdx(readCached(labelsPath, name), labelsPath, 1);
    if (images.shape[0] !== labels.shape[0]) {
      throw new Error(`${name}: ${imagesPath} holds ${images.shape[0]} images but ${labelsPath} holds ${labels.shape[0]} labels`);
    }
    const classes = ctor.classNames;
    const targets = Int32Array.from(labels.data);
    const bad = targets.findIndex((t) => t >= classes.length);
    if (bad >= 0) throw new Error(`${name}: ${labelsPath} has label ${targets[bad]} at index ${bad}, expected 0..${classes.length - 1}`);
    super(images.data, targets, [1, images.shape[1], images.shape[2]], classes, options, name);
    this.train = train;
    this.folder = folder;
  }
}

/** Fashion-MNIST (torchvision.datasets.FashionMNIST): same files and format as MNIST, in `root/fashion-mnist`. */
export class FashionMNIST extends MNIST {
  static override readonly folder: string = 'fashion-mnist';
  static override readonly classNames: readonly string[] = FASHION_CLASSES;
}
