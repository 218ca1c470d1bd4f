/**
 * Raw 8-bit images (what a PIL image is to torchvision) and their conversion
 * to tensors, plus makeGrid and PNG writing.
 *
 * Strata's tensors have no uint8 dtype, so decoded images and dataset samples
 * without a transform are `Uint8Image`s: channel-first (CHW) bytes. `ToTensor`
 * (or `img.toTensor()`) turns them into float32 tensors in [0, 1].
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { Tensor } from '../core.js';

/** An 8-bit image stored channel-first: byte (c, y, x) is data[(c·height + y)·width + x]. */
export class Uint8Image {
  constructor(
    readonly data: Uint8Array,
    readonly channels: number,
    readonly height: number,
    readonly width: number,
  ) {
    for (const [name, v] of [['channels', channels], ['height', height], ['width', width]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`Uint8Image: ${name} must be a non-negative integer, got ${v}`);
    }
    if (data.length !== channels * height * width) {
      throw new Error(`Uint8Image: ${channels}x${height}x${width} needs ${channels * height * width} bytes, got ${data.length}`);
    }
  }

  /** [C, H, W]. */
  get shape(): [number, number, number] {
    return [this.channels, this.height, this.width];
  }

  /** From interleaved (HWC) bytes, as decoders produce them. */
  static fromHWC(hwc: Uint8Array, height: number, width: number, channels: number): Uint8Image {
    const plane = height * width;
    if (hwc.length !== plane * channels) {
      throw new Error(`Uint8Image.fromHWC: ${height}x${width}x${channels} needs ${plane * channels} bytes, got ${hwc.length}`);
    }
    const out = new Uint8Array(hwc.length);
    for (let c = 0; c < channels; c++) {
      const base = c * plane;
      for (let p = 0, q = c; p < plane; p++, q += channels) out[base + p] = hwc[q];
    }
    return new Uint8Image(out, channels, height, width);
  }

  /** Interleaved (HWC) bytes. */
  toHWC(): Uint8Array {
    const { channels, data } = this;
    const plane = this.height * this.width;
    const out = new Uint8Array(data.length);
    for (let c = 0; c < channels; c++) {
      const base = c * plane;
      for (let p = 0, q = c; p < plane; p++, q += channels) out[q] = data[base + p];
    }
    return out;
  }

  /** Float32 CHW tensor in [0, 1] (torchvision's ToTensor). */
  toTensor(): Tensor {
    return imageToTensor(this);
  }

  clone(): Uint8Image {
    return new Uint8Image(this.data.slice(), this.channels, this.height, this.width);
  }
}

/** 1/255 steps as float32: table[v] = float32(v / 255), the values torch's `x.float().div(255)` gives. */
export const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Uint8Image → float32 CHW tensor in [0, 1]; with `scale: false` the values stay 0..255. */
export function imageToTensor(img: Uint8Image, options: { scale?: boolean } = {}): Tensor {
  const out = new Float32Array(img.data.length);
  if (options.scale === false) out.set(img.data);
  else for (let i = 0; i < out.length; i++) out[i] = BYTE_TO_UNIT[img.data[i]];
  return new Tensor(out, img.shape);
}

/**
 * Tensor → Uint8Image. A float tensor is taken as values in [0, 1] and becomes
 * round-half-up of x·255 clamped to 0..255 (torchvision's save_image rule);
 * an int32 tensor is taken as 0..255 and clamped. Accepts CHW or HW.
 */
export function tensorToImage(t: Tensor): Uint8Image {
  if (!(t instanceof Tensor)) throw new Error('tensorToImage: expected a tensor');
  if (t.ndim !== 2 && t.ndim !== 3) throw new Error(`tensorToImage: expected a CHW or HW tensor, got shape [${t.shape}]`);
  const [c, h, w] = t.ndim === 3 ? t.shape : [1, ...t.shape];
  const src = t.contiguous().data();
  const out = new Uint8Array(src.length);
  const float = t.isFloatingPoint();
  for (let i = 0; i < src.length; i++) {
    const v = float ? src[i] * 255 + 0.5 : src[i];
    out[i] = v >= 255 ? 255 : v > 0 ? v : 0; // Uint8Array truncates; NaN → 0
  }
  return new Uint8Image(out, c, h, w);
}

export interface MakeGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around images (default 2). */
  padding?: number;
  /** Shift each image (or the whole batch) to [0, 1] by its min and max, or by valueRange. */
  normalize?: boolean;
  valueRange?: [number, number] | null;
  /** With normalize, scale each image by its own range (default false: one range for all). */
  scaleEach?: boolean;
  /** Value of the padding (default 0). */
  padValue?: number;
}

/**
 * Tile a batch of images into one CHW image (torchvision.utils.make_grid):
 * `images` is an NCHW tensor or a list of CHW tensors / Uint8Images of one size.
 * One-channel images become three-channel; a single image is returned as is.
 */
export function makeGrid(images: Tensor | readonly (Tensor | Uint8Image)[], options: MakeGridOptions = {}): Tensor {
  const { nrow = 8, padding = 2, normalize = false, valueRange = null, scaleEach = false, padValue = 0 } = options;
  if (!Number.isInteger(nrow) || nrow < 1) throw new Error(`makeGrid: nrow must be a positive integer, got ${nrow}`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`makeGrid: padding must be a non-negative integer, got ${padding}`);
  let list: Tensor[];
  if (images instanceof Tensor) {
    if (images.ndim === 2) list = [images.unsqueeze(0)];
    else if (images.ndim === 3) list = [images];
    else if (images.ndim === 4) list = images.unbind(0);
    else throw new Error(`makeGrid: expected an NCHW, CHW or HW tensor, got shape [${images.shape}]`);
  } else {
    if (!Array.isArray(images) || images.length === 0) throw new Error('makeGrid: expected a non-empty list of images');
    list = images.map((im) => (im instanceof Uint8Image ? im.toTensor() : im.ndim === 2 ? im.unsqueeze(0) : im));
  }
  const [c0, h, w] = list[0].shape;
  list.forEach((t, k) => {
    if (t.ndim !== 3 || t.shape[1] !== h || t.shape[2] !== w || (t.shape[0] !== c0)) {
      throw new Error(`makeGrid: all images must have the shape of image 0 [${list[0].shape}], image ${k} has [${t.shape}]`);
    }
  });
  let planes = list.map((t) => Float32Array.from(t.contiguous().data()));
  if (normalize) {
    const rescale = (arrays: Float32Array[]) => {
      let [lo, hi] = valueRange ?? [Infinity, -Infinity];
      if (!valueRange) for (const a of arrays) for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
      const span = Math.max(hi - lo, 1e-5);
      for (const a of arrays) for (let i = 0; i < a.length; i++) a[i] = Math.min(Math.max(a[i], lo), hi) - lo, (a[i] /= span);
    };
    if (scaleEach) planes.forEach((p) => rescale([p]));
    else rescale(planes);
  }
  if (c0 === 1) planes = planes.map((p) => { const q = new Float32Array(p.length * 3); q.set(p, 0); q.set(p, p.length); q.set(p, 2 * p.length); return q; });
  const channels = c0 === 1 ? 3 : c0;
  if (planes.length === 1) return new Tensor(planes[0], [channels, h, w]);
  const cols = Math.min(nrow, planes.length);
  const rows = Math.ceil(planes.length / cols);
  const cellH = h + padding;
  const cellW = w + padding;
  const gh = rows * cellH + padding;
  const gw = cols * cellW + padding;
  const grid = new Float32Array(channels * gh * gw).fill(padValue);
  planes.forEach((p, k) => {
    const top = Math.floor(k / cols) * cellH + padding;
    const left = (k % cols) * cellW + padding;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < h; y++) grid.set(p.subarray((c * h + y) * w, (c * h + y + 1) * w), (c * gh + top + y) * gw + left);
    }
  });
  return new Tensor(grid, [channels, gh, gw]);
}

// ---- PNG writing ---------------------------------------------------------------------------

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** PNG bytes of an 8-bit image with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels. */
export function encodePng(img: Uint8Image): Uint8Array {
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as Record<number, number>)[img.channels];
  if (colorType === undefined) throw new Error(`encodePng: expected 1, 2, 3 or 4 channels, got ${img.channels}`);
  if (img.width === 0 || img.height === 0) throw new Error(`encodePng: cannot encode an empty ${img.width}x${img.height} image`);
  const hwc = img.toHWC();
  const stride = img.width * img.channels;
  const raw = new Uint8Array((stride + 1) * img.height); // filter byte 0 (None) before each row
  for (let y = 0; y < img.height; y++) raw.set(hwc.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, img.width);
  dv.setUint32(4, img.height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

/**
 * Write a PNG (torchvision.utils.save_image): a CHW/HW tensor in [0, 1], a
 * Uint8Image, or a batch (NCHW tensor or list) tiled with makeGrid (`options`).
 */
export function saveImagePng(path: string, image: Tensor | Uint8Image | readonly (Tensor | Uint8Image)[], options: MakeGridOptions = {}): void {
  let img: Uint8Image;
  if (image instanceof Uint8Image) img = image;
  else if (image instanceof Tensor && image.ndim !== 4 && !options.normalize) img = tensorToImage(image);
  else img = tensorToImage(makeGrid(image, options));
  try {
    writeFileSync(path, encodePng(img));
  } catch (e) {
    throw new Error(`saveImagePng: cannot write ${path}: ${(e as Error).message}`);
  }
}
