/**
 * Image datasets held in memory as one block of bytes (MNIST, CIFAR): samples
 * are made lazily, and the DataLoader's fast path copies byte slices straight
 * into the batch.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Tensor } from '../core.js';
import { checkIndex, type Dataset } from './dataset.js';
import { Uint8Image } from './image.js';
import { applyTransform, isPointwise, type TransformLike } from './transforms.js';

export interface ImageDatasetOptions {
  /** Applied to each image (a Uint8Image), e.g. `new Compose([new ToTensor(), new Normalize(...)])`. */
  transform?: TransformLike | null;
  /** Applied to each label (a number). */
  targetTransform?: TransformLike | null;
}

/**
 * Images stored channel-first one after another in `data` (N × C × H × W bytes)
 * with integer labels in `targets`. Sample i is `[transform(image i), targetTransform(label i)]`.
 */
export class ImageArrayDataset implements Dataset<[any, any]> {
  transform: TransformLike | null;
  targetTransform: TransformLike | null;
  private lut: { transform: TransformLike; table: Float32Array } | null = null;

  constructor(
    /** All images' bytes, N × C × H × W. */
    public readonly data: Uint8Array,
    /** Labels, one per image. */
    readonly targets: Int32Array,
    /** [C, H, W] of every image. */
    readonly imageShape: readonly [number, number, number],
    readonly classes: readonly string[],
    options: ImageDatasetOptions = {},
    /** Name used in messages. */
    readonly name = 'ImageArrayDataset',
  ) {
    const size = imageShape[0] * imageShape[1] * imageShape[2];
    // a plain Uint8Array view (a Node Buffer subclass makes the hot loops polymorphic)
    if (data.constructor !== Uint8Array) this.data = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (data.length !== targets.length * size) {
      throw new Error(`${name}: ${targets.length} labels need ${targets.length * size} image bytes, got ${data.length}`);
    }
    this.transform = options.transform ?? null;
    this.targetTransform = options.targetTransform ?? null;
  }

  get length(): number {
    return this.targets.length;
  }

  /** {className: index}. */
  get classToIdx(): Record<string, number> {
    return Object.fromEntries(this.classes.map((c, k) => [c, k]));
  }

  /** Image i as a Uint8Image (a copy), before any transform. */
  image(index: number): Uint8Image {
    const i = checkIndex(index, this.length, this.name);
    const [c, h, w] = this.imageShape;
    const size = c * h * w;
    return new Uint8Image(this.data.slice(i * size, (i + 1) * size), c, h, w);
  }

  get(index: number): [any, any] {
    const img = this.image(index);
    const target = this.targets[checkIndex(index, this.length, this.name)];
    return [
      this.transform ? applyTransform(this.transform, img) : img,
      this.targetTransform ? applyTransform(this.targetTransform, target) : target,
    ];
  }

  /**
   * Per channel, the transform's output for each byte value 0..255, when the
   * transform is pointwise and yields a float32 [C, 1, 256] tensor for a probe image.
   */
  private lookupTable(): Float32Array | null {
    const t = this.transform;
    if (!t || !isPointwise(t)) return null;
    if (this.lut && this.lut.transform === t) return this.lut.table;
    const c = this.imageShape[0];
    const probe = new Uint8Array(c * 256);
    for (let k = 0; k < c; k++) for (let v = 0; v < 256; v++) probe[k * 256 + v] = v;
    const out = applyTransform(t, new Uint8Image(probe, c, 1, 256));
    if (!(out instanceof Tensor) || out.dtype !== 'float32' || out.shape.join() !== [c, 1, 256].join()) return null;
    this.lut = { transform: t, table: Float32Array.from(out.data()) };
    return this.lut.table;
  }

  /**
   * The batch for `indices` as the default collate would build it — [x float32
   * N×C×H×W, y int32 N] — copied straight from the stored bytes (raw 0..255 with
   * no transform, through the lookup table with a pointwise one). Null when
   * a transform is random or a target transform is set.
   */
  getBatch(indices: ArrayLike<number>): [Tensor, Tensor] | null {
    if (this.targetTransform) return null;
    const lut = this.lookupTable();
    if (this.transform && !lut) return null;
    const [c, h, w] = this.imageShape;
    const plane = h * w;
    const size = c * plane;
    const n = indices.length;
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    const { data } = this;
    for (let k = 0; k < n; k++) {
      const i = checkIndex(indices[k], this.length, this.name);
      y[k] = this.targets[i];
      const src = i * size;
      const dst = k * size;
      if (!lut) {
        x.set(data.subarray(src, src + size), dst);
        continue;
      }
      for (let ch = 0; ch < c; ch++) lookup(data, src + ch * plane, x, dst + ch * plane, plane, lut, ch * 256);
    }
    return [new Tensor(x, [n, c, h, w]), new Tensor(y, [n])];
  }
}

/** out[dst + p] = table[offset + src[from + p]] for p < n. */
function lookup(src: Uint8Array, from: number, out: Float32Array, dst: number, n: number, table: Float32Array, offset: number): void {
  for (let p = 0; p < n; p++) out[dst + p] = table[offset + src[from + p]];
}

// ---- reading dataset files ----------------------------------------------------------------------

/** Read a file, gunzipping it when it is gzip-compressed (by name or magic bytes), with errors that name it. */
export function readMaybeGzip(path: string, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
  const gz = path.endsWith('.gz') || (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);
  if (!gz) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /unexpected end/.test(msg) ? 'the file is truncated' : 'not a valid gzip file';
    throw new Error(`${what}: cannot decompress ${path}: ${hint} (${msg})`);
  }
}

/** Decoded files kept while someone still holds them (several datasets over the same files share one copy). */
const fileCache = new Map<string, { key: string; data: WeakRef<Uint8Array> }>();

export function readCached(path: string, what: string): Uint8Array {
  let key = '';
  try {
    const s = statSync(path);
    key = `${s.size}:${s.mtimeMs}`;
  } catch {
    // readMaybeGzip reports it
  }
  const hit = fileCache.get(path);
  const data = hit && hit.key === key ? hit.data.deref() : undefined;
  if (data) return data;
  const fresh = readMaybeGzip(path, what);
  fileCache.set(path, { key, data: new WeakRef(fresh) });
  return fresh;
}

/** The first of `candidates` that exists, or an error listing them all. */
export function findFile(candidates: readonly string[], what: string, hint: string): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`${what}: cannot find ${candidates.join(' or ')}; ${hint}`);
}
