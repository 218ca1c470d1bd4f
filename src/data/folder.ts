/** ImageFolder: one sub-folder of image files per class (torchvision.datasets.ImageFolder). */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { checkIndex, type Dataset } from './dataset.js';
import { readImage, readImageAsync, type ImageReadMode } from './image-io.js';
import type { Uint8Image } from './image.js';
import { applyTransform, type TransformLike } from './transforms.js';

/** Extensions sharp decodes (torchvision's list without .bmp/.ppm/.pgm, which libvips' prebuilt sharp lacks). */
export const IMG_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif'];

export interface ImageFolderOptions {
  transform?: TransformLike | null;
  targetTransform?: TransformLike | null;
  /** File extensions to take, case-insensitive (default IMG_EXTENSIONS). */
  extensions?: readonly string[];
  /** Instead of extensions: decide per file path. */
  isValidFile?: (path: string) => boolean;
  /** Channels of the decoded images (default 'rgb', as torchvision's default loader). */
  mode?: ImageReadMode;
  /** Replace decoding: path → sample before transform (e.g. a cache). */
  loader?: (path: string) => unknown;
}

/** Code-point order, as Python's sorted(). */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Images in `root/<class>/**` (torchvision.datasets.ImageFolder): classes are
 * the sub-folder names in sorted order, indexed 0..; `samples` lists
 * [path, classIndex] by class then path. Images are decoded on access;
 * samples are `[transform(Uint8Image CHW), classIndex]`.
 */
export class ImageFolder implements Dataset<[any, any]> {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  readonly samples: [string, number][];
  readonly targets: number[];
  transform: TransformLike | null;
  targetTransform: TransformLike | null;
  readonly mode: ImageReadMode;
  private readonly customLoader: ((path: string) => unknown) | null;

  constructor(root: string, options: ImageFolderOptions = {}) {
    this.root = resolve(root);
    this.transform = options.transform ?? null;
    this.targetTransform = options.targetTransform ?? null;
    this.mode = options.mode ?? 'rgb';
    this.customLoader = options.loader ?? null;
    if (options.extensions && options.isValidFile) throw new Error('ImageFolder: pass either extensions or isValidFile, not both');
    const extensions = (options.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    const isValid = options.isValidFile ?? ((p: string) => extensions.includes(extname(p).toLowerCase()));

    let entries: string[];
    try {
      entries = readdirSync(this.root);
    } catch (e) {
      throw new Error(`ImageFolder: cannot read the folder ${this.root}: ${(e as Error).message}`);
    }
    this.classes = entries.filter((name) => isDir(join(this.root, name))).sort(byCodePoint);
    if (this.classes.length === 0) throw new Error(`ImageFolder: couldn't find any class folder in ${this.root}`);
    this.classToIdx = Object.fromEntries(this.classes.map((c, k) => [c, k]));
    this.samples = [];
    const empty: string[] = [];
    this.classes.forEach((cls, k) => {
      const files = walk(join(this.root, cls)).filter(isValid);
      if (files.length === 0) empty.push(cls);
      for (const f of files) this.samples.push([f, k]);
    });
    if (empty.length > 0) {
      const what = options.isValidFile ? 'valid files' : `files with extensions ${extensions.join(', ')}`;
      throw new Error(`ImageFolder: found no ${what} for the classes ${empty.join(', ')} in ${this.root}`);
    }
    this.targets = this.samples.map((s) => s[1]);
  }

  get length(): number {
    return this.samples.length;
  }

  /** The decoded image at index i, before the transform. */
  loadImage(index: number): unknown {
    const [path] = this.samples[checkIndex(index, this.length, 'ImageFolder')];
    if (this.customLoader) return this.customLoader(path);
    return readImage(path, { mode: this.mode });
  }

  get(index: number): [any, any] {
    return this.getLoaded(index, this.loadImage(index));
  }

  /** Decode asynchronously (the DataLoader's `for await` decodes a batch's images in parallel). */
  async load(index: number): Promise<unknown> {
    const [path] = this.samples[checkIndex(index, this.length, 'ImageFolder')];
    if (this.customLoader) return this.customLoader(path);
    return readImageAsync(path, { mode: this.mode });
  }

  getLoaded(index: number, loaded: unknown): [any, any] {
    const target = this.samples[checkIndex(index, this.length, 'ImageFolder')][1];
    return [
      this.transform ? applyTransform(this.transform, loaded as Uint8Image) : loaded,
      this.targetTransform ? applyTransform(this.targetTransform, target) : target,
    ];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Files under a folder, recursively (following links), in torchvision's order: folders by path, then file names sorted. */
function walk(top: string): string[] {
  const folders: [string, string[]][] = [];
  const visit = (dir: string) => {
    const files: string[] = [];
    folders.push([dir, files]);
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      let s;
      try {
        s = statSync(path);
      } catch {
        continue; // a dangling link
      }
      if (s.isDirectory()) visit(path);
      else if (s.isFile()) files.push(name);
    }
  };
  visit(top);
  folders.sort((a, b) => byCodePoint(a[0], b[0]));
  return folders.flatMap(([dir, files]) => files.sort(byCodePoint).map((f) => join(dir, f)));
}
