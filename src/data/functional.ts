/**
 * Image operations behind the transforms (torchvision.transforms.functional),
 * written as plain loops over channel-first pixel planes.
 *
 * Every function takes a `Uint8Image` or a tensor shaped [..., H, W] (usually
 * CHW float32 in [0, 1]; leading dims are treated as independent planes) and
 * returns a new image of the same kind: uint8 results are rounded and clamped.
 */
import { Tensor } from '../core.js';
import { Uint8Image } from './image.js';

export type ImageInput = Tensor | Uint8Image;
type PixelArray = Uint8Array | Float32Array | Float64Array | Int32Array;

/** A stack of H×W planes: plane k is data[k·h·w ..]; `lead` is the shape before H, W. */
interface Planes {
  data: PixelArray;
  lead: number[];
  h: number;
  w: number;
}

/** `size` as [h, w] (a number means a square). */
export function pair(size: number | readonly number[], what: string): [number, number] {
  const s = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0], size[0]] : size;
  if (s.length !== 2 || !s.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${what}: size must be a positive integer or a pair [h, w] of them, got ${JSON.stringify(size)}`);
  }
  return [s[0], s[1]];
}

function planesOf(img: ImageInput, op: string): Planes {
  if (img instanceof Uint8Image) return { data: img.data, lead: [img.channels], h: img.height, w: img.width };
  if (!(img instanceof Tensor)) throw new Error(`${op}: expected a Uint8Image or a tensor, got ${describe(img)}`);
  if (img.ndim < 2) throw new Error(`${op}: expected a tensor with at least 2 dimensions [..., H, W], got shape [${img.shape}]`);
  if (img.dtype === 'bool') throw new Error(`${op}: bool tensors are not images; convert with .float()`);
  return { data: img.contiguous().data() as PixelArray, lead: img.shape.slice(0, -2), h: img.shape[img.ndim - 2], w: img.shape[img.ndim - 1] };
}

function rebuild(like: ImageInput, p: Planes): ImageInput {
  if (like instanceof Uint8Image) return new Uint8Image(p.data as Uint8Array, p.lead[0], p.h, p.w);
  return new Tensor(p.data, [...p.lead, p.h, p.w], undefined, 0, like.dtype);
}

export function describe(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} tensor of shape [${x.shape}]`;
  if (x instanceof Uint8Image) return `a Uint8Image of shape [${x.shape}]`;
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? `an object (${x.constructor?.name ?? 'Object'})` : `${typeof x} ${String(x)}`;
}

/** [C, H, W] (C = 1 for a plain H×W tensor). */
export function imageSize(img: ImageInput): { channels: number; height: number; width: number } {
  if (img instanceof Uint8Image) return { channels: img.channels, height: img.height, width: img.width };
  if (!(img instanceof Tensor) || img.ndim < 2) throw new Error(`imageSize: expected a Uint8Image or a [..., H, W] tensor, got ${describe(img)}`);
  return { channels: img.ndim >= 3 ? img.shape[img.ndim - 3] : 1, height: img.shape[img.ndim - 2], width: img.shape[img.ndim - 1] };
}

function alloc(like: PixelArray, n: number): PixelArray {
  return new (like.constructor as new (n: number) => PixelArray)(n);
}

const isInteger = (a: PixelArray) => a instanceof Uint8Array || a instanceof Int32Array;

/** Rounding to the precision torch computes in (Math.fround for float32). */
type Round = (x: number) => number;
const exact: Round = (x) => x;

/** a·b + c rounded once to float32 (a, b, c float32), as a fused multiply-add. */
function fmaf(a: number, b: number, c: number): number {
  const prod = a * b; // exact: 24 × 24 bits
  const s = prod + c;
  const r = Math.fround(s);
  if (r === s) return r;
  // s may be a float32 midpoint that the double sum's rounding error e (TwoSum) should decide
  const bb = s - prod;
  const e = prod - (s - bb) + (c - bb);
  const other = 2 * s - r;
  if (e === 0 || Math.fround(other) !== other) return r;
  return e > 0 === other > r ? other : r;
}

/** a·b + c in double with the product's and the sum's rounding errors carried (Dekker / TwoSum), as a fused multiply-add. */
function fma64(a: number, b: number, c: number): number {
  const split = (v: number) => {
    const t = 134217729 * v;
    const hi = t - (t - v);
    return [hi, v - hi];
  };
  const prod = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const prodErr = ah * bh - prod + ah * bl + al * bh + al * bl;
  const s = prod + c;
  const bb = s - prod;
  const sumErr = prod - (s - bb) + (c - bb);
  return s + (prodErr + sumErr);
}

/** An interpolated value stored into an integer image: torch.round (half to even), clamped to 0..255 for bytes only. */
function roundPixel(v: number, like: PixelArray): number {
  const r = pyRound(v);
  return like instanceof Uint8Array ? Math.min(Math.max(r, 0), 255) : r;
}

/** Per-plane fill values: a number, or one per channel (the last leading dim). */
function fillValues(fill: number | readonly number[], p: Planes, op: string): (plane: number) => number {
  if (typeof fill === 'number') return () => fill;
  const channels = p.lead.length ? p.lead[p.lead.length - 1] : 1;
  if (fill.length === 1) return () => fill[0];
  if (fill.length !== channels) throw new Error(`${op}: fill has ${fill.length} values but the image has ${channels} channels`);
  return (plane) => fill[plane % channels];
}

function planeCount(p: Planes): number {
  return p.lead.reduce((a, b) => a * b, 1);
}

// ---- geometry ---------------------------------------------------------------------------------

/**
 * Cut the box (top, left, height, width); parts of the box outside the image
 * are filled with `fill` (torchvision's crop pads the same way).
 */
export function crop<T extends ImageInput>(img: T, top: number, left: number, height: number, width: number, fill: number | readonly number[] = 0): T {
  const p = planesOf(img, 'crop');
  if (![top, left, height, width].every(Number.isInteger) || height < 0 || width < 0) {
    throw new Error(`crop: expected integer top, left and non-negative height, width; got ${top}, ${left}, ${height}, ${width}`);
  }
  const n = planeCount(p);
  const fillOf = fillValues(fill, p, 'crop');
  const out = alloc(p.data, n * height * width);
  for (let k = 0; k < n; k++) {
    const src = k * p.h * p.w;
    const dst = k * height * width;
    const f = fillOf(k);
    for (let y = 0; y < height; y++) {
      const sy = top + y;
      const row = dst + y * width;
      if (sy < 0 || sy >= p.h) {
        out.fill(f, row, row + width);
        continue;
      }
      const x0 = Math.max(0, -left);
      const x1 = Math.min(width, p.w - left);
      if (x0 > 0) out.fill(f, row, row + Math.min(x0, width));
      const from = src + sy * p.w + left;
      for (let x = x0; x < x1; x++) out[row + x] = p.data[from + x];
      if (x1 < width) out.fill(f, row + Math.max(x1, 0), row + width);
    }
  }
  return rebuild(img, { data: out, lead: p.lead, h: height, w: width }) as T;
}

/** Rounding as Python's round() (half to even), which torchvision's crop offsets use. */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The central height×width box, zero-padded first when the image is smaller (torchvision's center_crop). */
export function centerCrop<T extends ImageInput>(img: T, size: number | readonly number[]): T {
  const [th, tw] = pair(size, 'centerCrop');
  const { height, width } = imageSize(img);
  const top = height >= th ? pyRound((height - th) / 2) : -Math.floor((th - height) / 2);
  const left = width >= tw ? pyRound((width - tw) / 2) : -Math.floor((tw - width) / 2);
  return crop(img, top, left, th, tw);
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/**
 * Padding as [left, top, right, bottom] from a number, [leftRight, topBottom] or [left, top, right, bottom].
 * Negative values crop that side, as torchvision's tensor pad allows.
 */
export function paddingLTRB(padding: number | readonly number[], op: string): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : [...padding];
  const full = p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p.length === 4 ? p : null;
  if (!full || !full.every((v) => Number.isInteger(v))) {
    throw new Error(`${op}: padding must be an integer or a list of 1, 2 or 4 integers, got ${JSON.stringify(padding)}`);
  }
  return full as [number, number, number, number];
}

/** Map an out-of-range coordinate back into 0..n−1 for a padding mode. */
function padIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    let m = ((i % period) + period) % period;
    if (m >= n) m = period - m;
    return m;
  }
  // symmetric: the edge pixel is repeated
  const period = 2 * n;
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - 1 - m;
  return m;
}

/** Pad the borders (torchvision's pad): `padding` as in paddingLTRB. */
export function pad<T extends ImageInput>(
  img: T,
  padding: number | readonly number[],
  options: { fill?: number | readonly number[]; paddingMode?: PaddingMode } = {},
): T {
  const { fill = 0, paddingMode = 'constant' } = options;
  if (!['constant', 'edge', 'reflect', 'symmetric'].includes(paddingMode)) {
    throw new Error(`pad: paddingMode must be constant, edge, reflect or symmetric, got '${paddingMode}'`);
  }
  const [l, t, r, b] = paddingLTRB(padding, 'pad');
  const p = planesOf(img, 'pad');
  if (p.h + t + b < 0 || p.w + l + r < 0) {
    throw new Error(`pad: padding [${[l, t, r, b]}] crops more than the ${p.h}x${p.w} image holds`);
  }
  if (paddingMode === 'constant') return crop(img, -t, -l, p.h + t + b, p.w + l + r, fill);
  if (paddingMode === 'symmetric' && Math.min(l, t, r, b) < 0) {
    // torchvision's _pad_symmetric crops the negative sides first, then pads the others
    const [cl, ct, cr, cb] = [l, t, r, b].map((v) => Math.max(-v, 0));
    const cropped = crop(img, ct, cl, p.h - ct - cb, p.w - cl - cr);
    return pad(cropped, [l, t, r, b].map((v) => Math.max(v, 0)), options);
  }
  if (paddingMode === 'reflect' && (Math.max(l, r) >= p.w || Math.max(t, b) >= p.h)) {
    throw new Error(`pad: reflect padding (${[l, t, r, b]}) must be smaller than the image size ${p.h}x${p.w}`);
  }
  if (paddingMode === 'symmetric' && (Math.max(l, r) > p.w || Math.max(t, b) > p.h)) {
    // torchvision's _pad_symmetric mirrors each side once (larger padding indexes out of range)
    throw new Error(`pad: symmetric padding (${[l, t, r, b]}) must not exceed the image size ${p.h}x${p.w}`);
  }
  const oh = p.h + t + b;
  const ow = p.w + l + r;
  const n = planeCount(p);
  const out = alloc(p.data, n * oh * ow);
  const xs = Int32Array.from({ length: ow }, (_, x) => padIndex(x - l, p.w, paddingMode));
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < oh; y++) {
      const src = (k * p.h + padIndex(y - t, p.h, paddingMode)) * p.w;
      const dst = (k * oh + y) * ow;
      for (let x = 0; x < ow; x++) out[dst + x] = p.data[src + xs[x]];
    }
  }
  return rebuild(img, { data: out, lead: p.lead, h: oh, w: ow }) as T;
}

/** Mirror left–right. */
export function hflip<T extends ImageInput>(img: T): T {
  const p = planesOf(img, 'hflip');
  const out = alloc(p.data, p.data.length);
  const rows = planeCount(p) * p.h;
  for (let row = 0; row < rows; row++) {
    const base = row * p.w;
    for (let x = 0; x < p.w; x++) out[base + x] = p.data[base + p.w - 1 - x];
  }
  return rebuild(img, { ...p, data: out }) as T;
}

/** Mirror top–bottom. */
export function vflip<T extends ImageInput>(img: T): T {
  const p = planesOf(img, 'vflip');
  const out = alloc(p.data, p.data.length);
  const n = planeCount(p);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < p.h; y++) {
      const src = (k * p.h + p.h - 1 - y) * p.w;
      out.set(p.data.subarray(src, src + p.w), (k * p.h + y) * p.w);
    }
  }
  return rebuild(img, { ...p, data: out }) as T;
}

export type Interpolation = 'bilinear' | 'nearest' | 'bicubic';

/** torch's antialiasing filters: a triangle (bilinear) and the a = −0.5 cubic (bicubic, as PIL). */
function triangleFilter(x: number): number {
  x = Math.abs(x);
  return x < 1 ? 1 - x : 0;
}
function cubicFilter(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * Taps and weights of 1-D resampling from `inSize` to `outSize` samples
 * (pixel centres aligned, align_corners = false): output i reads inputs
 * start[i] .. start[i] + count[i] − 1.
 *
 * - bilinear, and bicubic with antialias: torch's separable filter (the
 *   triangle or the a = −0.5 cubic), widened by the scale factor when
 *   antialiasing a downscale, weights normalised to sum 1. Without antialias
 *   the triangle is plain bilinear.
 * - bicubic without antialias: torch's upsample_bicubic2d, the a = −0.75 cubic
 *   convolution of the 4 inputs around scale·(i + 0.5) − 0.5, indices clamped
 *   to the image (weights of clamped taps add up on the edge pixel).
 */
function resampleTaps(inSize: number, outSize: number, interpolation: 'bilinear' | 'bicubic', antialias: boolean) {
  const scale = inSize / outSize;
  const cubicConvolution = interpolation === 'bicubic' && !antialias;
  const filterScale = antialias && scale > 1 ? scale : 1;
  const support = (interpolation === 'bicubic' ? 2 : 1) * filterScale;
  const maxTaps = cubicConvolution ? 4 : Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    if (cubicConvolution) {
      const A = -0.75;
      const real = scale * (i + 0.5) - 0.5;
      const x0 = Math.floor(real);
      const t = real - x0;
      const cc1 = (d: number) => ((A + 2) * d - (A + 3)) * d * d + 1; // |d| ≤ 1
      const cc2 = (d: number) => ((A * d - 5 * A) * d + 8 * A) * d - 4 * A; // 1 < |d| < 2
      const w = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
      const lo = Math.min(Math.max(x0 - 1, 0), inSize - 1);
      const hi = Math.min(Math.max(x0 + 2, 0), inSize - 1);
      for (let k = 0; k < 4; k++) {
        const x = Math.min(Math.max(x0 - 1 + k, 0), inSize - 1);
        weights[i * maxTaps + x - lo] += w[k];
      }
      start[i] = lo;
      count[i] = hi - lo + 1;
      continue;
    }
    const filter = interpolation === 'bicubic' ? cubicFilter : triangleFilter;
    const center = (i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let x = xmin; x < xmax; x++) {
      const w = filter((x - center + 0.5) / filterScale);
      weights[i * maxTaps + x - xmin] = w;
      total += w;
    }
    for (let x = xmin; x < xmax; x++) weights[i * maxTaps + x - xmin] /= total || 1;
    start[i] = xmin;
    count[i] = xmax - xmin;
  }
  return { start, count, weights, maxTaps };
}

/** Resize every plane to height×width. */
export function resizeTo<T extends ImageInput>(
  img: T,
  height: number,
  width: number,
  options: { interpolation?: Interpolation; antialias?: boolean } = {},
): T {
  // torchvision 0.14: PIL images (Uint8Image here) are always low-pass filtered when shrunk, tensors only
  // with antialias: true (its tensor default became true in 0.17).
  const { interpolation = 'bilinear', antialias = img instanceof Uint8Image } = options;
  if (options.antialias && interpolation === 'nearest' && img instanceof Tensor) {
    throw new Error(`resize: antialias is supported for the bilinear and bicubic interpolations only, got 'nearest'`);
  }
  const p = planesOf(img, 'resize');
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`resize: output size must be positive integers, got ${height}x${width}`);
  }
  if (p.h === 0 || p.w === 0) throw new Error(`resize: cannot resize an empty ${p.h}x${p.w} image`);
  const n = planeCount(p);
  const out = alloc(p.data, n * height * width);
  if (interpolation === 'nearest') {
    // torch's 'nearest': source index floor(dst · in/out), the product in float32 as its kernel
    const index = (i: number, inSize: number, outSize: number) => Math.min(Math.floor(Math.fround(i * Math.fround(inSize / outSize))), inSize - 1);
    const sy = Int32Array.from({ length: height }, (_, y) => index(y, p.h, height));
    const sx = Int32Array.from({ length: width }, (_, x) => index(x, p.w, width));
    for (let k = 0; k < n; k++) {
      for (let y = 0; y < height; y++) {
        const src = (k * p.h + sy[y]) * p.w;
        const dst = (k * height + y) * width;
        for (let x = 0; x < width; x++) out[dst + x] = p.data[src + sx[x]];
      }
    }
    return rebuild(img, { data: out, lead: p.lead, h: height, w: width }) as T;
  }
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw new Error(`resize: interpolation must be 'bilinear', 'bicubic' or 'nearest', got '${interpolation}'`);
  }
  const hx = resampleTaps(p.w, width, interpolation, antialias);
  const hy = resampleTaps(p.h, height, interpolation, antialias);
  const round = isInteger(p.data);
  const tmp = new Float64Array(p.h * width);
  for (let k = 0; k < n; k++) {
    const base = k * p.h * p.w;
    for (let y = 0; y < p.h; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        const s = base + y * p.w + hx.start[x];
        for (let j = 0; j < hx.count[x]; j++) acc += p.data[s + j] * hx.weights[x * hx.maxTaps + j];
        tmp[y * width + x] = acc;
      }
    }
    const dst = k * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let j = 0; j < hy.count[y]; j++) acc += tmp[(hy.start[y] + j) * width + x] * hy.weights[y * hy.maxTaps + j];
        out[dst + y * width + x] = round ? roundPixel(acc, p.data) : acc;
      }
    }
  }
  return rebuild(img, { data: out, lead: p.lead, h: height, w: width }) as T;
}

/**
 * Output size of torchvision's resize: a number matches the shorter side
 * (keeping the aspect ratio, optionally capping the longer side at maxSize);
 * a pair is [h, w].
 */
export function resizedSize(height: number, width: number, size: number | readonly number[], maxSize?: number | null): [number, number] {
  if (typeof size !== 'number' && size.length !== 1 && size.length !== 2) {
    throw new Error(`resize: size must be a number or a list of 1 or 2 numbers, got ${JSON.stringify(size)}`);
  }
  if (typeof size !== 'number' && size.length === 2) {
    if (maxSize != null) {
      throw new Error(`resize: maxSize only applies when size is the smaller edge (a number or [s]), got size ${JSON.stringify(size)} and maxSize ${maxSize}`);
    }
    return pair(size, 'resize');
  }
  const s = typeof size === 'number' ? size : size[0];
  if (!Number.isInteger(s) || s < 1) throw new Error(`resize: size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = s;
  let newLong = Math.trunc((s * long) / short);
  if (maxSize != null) {
    if (maxSize <= s) throw new Error(`resize: maxSize = ${maxSize} must be strictly greater than the requested size ${s}`);
    if (newLong > maxSize) [newShort, newLong] = [Math.trunc((maxSize * newShort) / newLong), maxSize];
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/**
 * Resize (torchvision's resize): int size = shorter side, [h, w] = exact; bilinear. Antialiased by default
 * for Uint8Image (as PIL images), not for tensors unless antialias: true (torchvision 0.14's defaults).
 */
export function resize<T extends ImageInput>(
  img: T,
  size: number | readonly number[],
  options: { interpolation?: Interpolation; antialias?: boolean; maxSize?: number | null } = {},
): T {
  const { height, width } = imageSize(img);
  const [h, w] = resizedSize(height, width, size, options.maxSize);
  // torchvision resamples (into a new image) even when the size is unchanged: its same-size check compares a tuple with a list
  return resizeTo(img, h, w, options);
}

/** Crop the box then resize it to `size` (torchvision's resized_crop; `size` as in resize: a number is the smaller edge). */
export function resizedCrop<T extends ImageInput>(
  img: T,
  top: number,
  left: number,
  height: number,
  width: number,
  size: number | readonly number[],
  options: { interpolation?: Interpolation; antialias?: boolean } = {},
): T {
  return resize(crop(img, top, left, height, width), size, options);
}

/**
 * Source pixel coordinates of rotate's output pixels, computed as torchvision does: the inverse matrix of
 * _get_inverse_affine_matrix (in double), then _gen_affine_grid and grid_sample's unnormalisation in the
 * image's compute precision `f`. The rounding matters: at multiples of 90° the coordinates land exactly
 * on .5 there, which nearest sampling rounds half to even. torch's bmm sums the three grid terms plainly
 * for small grids (oh·ow·6 < 400) and with a fused multiply-add (MKL) otherwise; grid_sample
 * unnormalises with a fused (g + 1)·size/2 − 0.5.
 */
function rotateGrid(matrix: number[], h: number, w: number, oh: number, ow: number, f: Round): { sx: Float64Array; sy: Float64Array } {
  const t = matrix.map(f);
  const [hw, hh] = [f(0.5 * w), f(0.5 * h)];
  const [r00, r10, r20, r01, r11, r21] = [f(t[0] / hw), f(t[1] / hw), f(t[2] / hw), f(t[3] / hh), f(t[4] / hh), f(t[5] / hh)];
  const fma = f === exact ? fma64 : fmaf;
  const fused = oh * ow * 6 >= 400;
  const term = (x: number, y: number, a: number, b: number, c: number) => f((fused ? fma(y, b, f(x * a)) : f(f(x * a) + f(y * b))) + c);
  const sx = new Float64Array(oh * ow);
  const sy = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const yb = y - oh * 0.5 + 0.5;
    for (let x = 0; x < ow; x++) {
      const xb = x - ow * 0.5 + 0.5;
      sx[y * ow + x] = fma(f(term(xb, yb, r00, r10, r20) + 1), f(w / 2), -0.5);
      sy[y * ow + x] = fma(f(term(xb, yb, r01, r11, r21) + 1), f(h / 2), -0.5);
    }
  }
  return { sx, sy };
}

/** The [ow, oh] that holds the whole rotated image (torchvision's _compute_affine_output_size, in float32). */
function expandedSize(matrix: number[], w: number, h: number): [number, number] {
  const f = Math.fround;
  const t = matrix.map(f);
  const tol = f(1e-4);
  const size = [0, 1].map((r) => {
    const c = [t[3 * r], t[3 * r + 1], t[3 * r + 2]];
    const vals = [[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h], [0.5 * w, -0.5 * h]].map(([px, py]) => f(f(f(px * c[0]) + f(py * c[1])) + c[2]));
    const shift = f(r === 0 ? w * 0.5 : h * 0.5);
    const max = f(Math.max(...vals) + shift);
    const min = f(Math.min(...vals) + shift);
    // truncate to 1e-4 so that ceil(x − 1e-15) does not add a pixel
    return Math.ceil(f(Math.trunc(f(max / tol)) * tol)) - Math.floor(f(Math.trunc(f(min / tol)) * tol));
  });
  return [size[0], size[1]];
}

/**
 * grid_sample (zeros padding, align_corners false) of every plane at the source pixel coordinates
 * (sx[i], sy[i]) of the oh×ow output pixels, with torchvision's fill (_apply_grid_transform): without a
 * fill samples outside the image count as 0; with one, a mask of ones is resampled too, nearest puts the
 * fill where the mask is below 0.5, bilinear gives v·mask + (1 − mask)·fill. Integer images are sampled
 * in float32 and rounded (half to even).
 */
function sampleGrid(
  p: Planes, sx: ArrayLike<number>, sy: ArrayLike<number>, oh: number, ow: number, interpolation: 'nearest' | 'bilinear',
  fill: number | readonly number[] | null, fillOf: (plane: number) => number, f: Round,
): PixelArray {
  const { h, w } = p;
  const n = planeCount(p);
  const out = alloc(p.data, n * oh * ow);
  const round = isInteger(p.data);
  const at = (base: number, x: number, y: number) => (x >= 0 && x < w && y >= 0 && y < h ? p.data[base + y * w + x] : 0);
  const inside = (x: number, y: number) => (x >= 0 && x < w && y >= 0 && y < h ? 1 : 0);
  for (let i = 0; i < oh * ow; i++) {
    if (interpolation === 'nearest') {
      const ix = pyRound(sx[i]); // grid_sample's nearbyint: half to even
      const iy = pyRound(sy[i]);
      for (let k = 0; k < n; k++) {
        // a fill lands in integer images rounded, as torchvision samples them in float then rounds
        const v = inside(ix, iy) ? p.data[k * h * w + iy * w + ix] : round ? roundPixel(fillOf(k), p.data) : fillOf(k);
        out[k * oh * ow + i] = v;
      }
      continue;
    }
    // grid_sample's bilinear weights and sum order, in the compute precision
    const x0 = Math.floor(sx[i]);
    const y0 = Math.floor(sy[i]);
    const we = f(sx[i] - x0);
    const ea = f(1 - we);
    const no = f(sy[i] - y0);
    const so = f(1 - no);
    const [nw, ne, sw, se] = [f(so * ea), f(so * we), f(no * ea), f(no * we)];
    const blend4 = (a: number, b: number, c: number, d: number) => f(f(f(f(a * nw) + f(b * ne)) + f(c * sw)) + f(d * se));
    const mask = blend4(inside(x0, y0), inside(x0 + 1, y0), inside(x0, y0 + 1), inside(x0 + 1, y0 + 1));
    for (let k = 0; k < n; k++) {
      const base = k * h * w;
      let v = blend4(at(base, x0, y0), at(base, x0 + 1, y0), at(base, x0, y0 + 1), at(base, x0 + 1, y0 + 1));
      if (fill !== null) v = f(f(v * mask) + f(f(1 - mask) * f(fillOf(k))));
      out[k * oh * ow + i] = round ? roundPixel(v, p.data) : v;
    }
  }
  return out;
}

/**
 * Rotate by `angle` degrees counter-clockwise about the centre (or `center`,
 * [x, y] in pixels). The output keeps the size, or with `expand` grows to hold
 * the whole rotated image. Without `fill` (torchvision's fill=None) samples
 * outside the image count as 0. With a fill, torchvision also resamples a mask
 * of ones: nearest puts the fill where the mask is below 0.5; bilinear gives
 * v·mask + (1 − mask)·fill, where v (already the zero-padded sample) is scaled
 * by the mask once more. Integer images are sampled in float32 and rounded.
 */
export function rotate<T extends ImageInput>(
  img: T,
  angle: number,
  options: { interpolation?: Interpolation; expand?: boolean; center?: readonly [number, number] | null; fill?: number | readonly number[] | null } = {},
): T {
  const { interpolation = 'nearest', expand = false, center = null } = options;
  const fill = options.fill ?? null;
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    throw new Error(`rotate: interpolation must be 'nearest' or 'bilinear', got '${interpolation}'`);
  }
  const p = planesOf(img, 'rotate');
  const { h, w } = p;
  const fillOf = fillValues(fill ?? 0, p, 'rotate');
  // torchvision's _get_inverse_affine_matrix(center − size/2, −angle, no translate / scale / shear)
  const rot = -angle * (Math.PI / 180);
  const [cos, sin] = [Math.cos(rot), Math.sin(rot)];
  const cx = center ? center[0] - w * 0.5 : 0;
  const cy = center ? center[1] - h * 0.5 : 0;
  const matrix = [cos, sin, 0, -sin, cos, 0];
  matrix[2] = matrix[0] * -cx + matrix[1] * -cy + cx;
  matrix[5] = matrix[3] * -cx + matrix[4] * -cy + cy;
  const [ow, oh] = expand ? expandedSize(matrix, w, h) : [w, h];
  const f = p.data instanceof Float64Array ? exact : Math.fround;
  const { sx, sy } = rotateGrid(matrix, h, w, oh, ow, f);
  const out = sampleGrid(p, sx, sy, oh, ow, interpolation, fill, fillOf, f);
  return rebuild(img, { ...p, data: out, h: oh, w: ow }) as T;
}

// ---- colour -----------------------------------------------------------------------------------

/**
 * Colour ops work on float values in [0, bound]: a float tensor as is
 * (bound 1), a Uint8Image as 0..255 (bound 255) converted back with
 * truncation, as torchvision does for uint8 tensors. `f` rounds to the
 * precision torch computes in: float64 for float64 tensors, else float32.
 */
function colorPlanes(img: ImageInput, op: string): { p: Planes; values: Float32Array | Float64Array; bound: number; channels: number; f: Round } {
  const p = planesOf(img, op);
  if (p.data instanceof Int32Array) throw new Error(`${op}: expected a float tensor or a Uint8Image, got an int32 tensor`);
  const channels = p.lead.length ? p.lead[p.lead.length - 1] : 1;
  if (channels !== 1 && channels !== 3) throw new Error(`${op}: expected an image with 1 or 3 channels, got ${channels}`);
  if (p.data instanceof Float64Array) return { p, values: p.data.slice(), bound: 1, channels, f: exact };
  const values = p.data instanceof Float32Array ? p.data.slice() : Float32Array.from(p.data);
  return { p, values, bound: p.data instanceof Uint8Array ? 255 : 1, channels, f: Math.fround };
}

function colorResult<T extends ImageInput>(img: T, p: Planes, values: Float32Array | Float64Array): T {
  let data: PixelArray = values;
  if (p.data instanceof Uint8Array) data = Uint8Array.from(values, (v) => (v >= 255 ? 255 : v > 0 ? v : 0));
  return rebuild(img, { ...p, data }) as T;
}

/** torchvision's rgb_to_grayscale weights, per pixel of one RGB image at `base`, rounded by `f`. */
function gray(values: Float32Array | Float64Array, base: number, plane: number, i: number, f: Round): number {
  return f(f(f(0.2989 * values[base + i]) + f(0.587 * values[base + plane + i])) + f(0.114 * values[base + 2 * plane + i]));
}

/** ratio·a + (1 − ratio)·b clamped to [0, bound] (torchvision's _blend), rounded by `f`. */
function blend(a: number, b: number, ratio: number, bound: number, f: Round): number {
  const v = f(f(f(ratio) * a) + f(f(1 - ratio) * b));
  return v < 0 ? 0 : v > bound ? bound : v;
}

/** Multiply by `factor` (0 black, 1 unchanged). */
export function adjustBrightness<T extends ImageInput>(img: T, factor: number): T {
  if (!(factor >= 0)) throw new Error(`adjustBrightness: factor must be non-negative, got ${factor}`);
  const { p, values, bound, f } = colorPlanes(img, 'adjustBrightness');
  for (let i = 0; i < values.length; i++) values[i] = blend(values[i], 0, factor, bound, f);
  return colorResult(img, p, values);
}

/** Blend with the mean gray level (0 flat gray, 1 unchanged). */
export function adjustContrast<T extends ImageInput>(img: T, factor: number): T {
  if (!(factor >= 0)) throw new Error(`adjustContrast: factor must be non-negative, got ${factor}`);
  const { p, values, bound, channels, f } = colorPlanes(img, 'adjustContrast');
  const plane = p.h * p.w;
  const images = values.length / (channels * plane);
  const truncate = p.data instanceof Uint8Array;
  for (let m = 0; m < images; m++) {
    const base = m * channels * plane;
    let sum = 0;
    const count = channels === 3 ? plane : plane * channels;
    for (let i = 0; i < count; i++) {
      const g = channels === 3 ? gray(values, base, plane, i, f) : values[base + i];
      sum += truncate ? Math.trunc(g) : g;
    }
    const mean = f(sum / count);
    for (let i = base; i < base + channels * plane; i++) values[i] = blend(values[i], mean, factor, bound, f);
  }
  return colorResult(img, p, values);
}

/** Blend with the grayscale image (0 gray, 1 unchanged, 2 doubly saturated); 1-channel images are returned as is. */
export function adjustSaturation<T extends ImageInput>(img: T, factor: number): T {
  if (!(factor >= 0)) throw new Error(`adjustSaturation: factor must be non-negative, got ${factor}`);
  const { p, values, bound, channels, f } = colorPlanes(img, 'adjustSaturation');
  if (channels === 1) return img;
  const plane = p.h * p.w;
  const truncate = p.data instanceof Uint8Array;
  for (let base = 0; base < values.length; base += 3 * plane) {
    for (let i = 0; i < plane; i++) {
      const g0 = gray(values, base, plane, i, f);
      const g = truncate ? Math.trunc(g0) : g0;
      for (let c = 0; c < 3; c++) values[base + c * plane + i] = blend(values[base + c * plane + i], g, factor, bound, f);
    }
  }
  return colorResult(img, p, values);
}

/** Shift the hue by `factor` turns (in [−0.5, 0.5]) through HSV; 1-channel images are returned as is. */
export function adjustHue<T extends ImageInput>(img: T, factor: number): T {
  if (!(factor >= -0.5 && factor <= 0.5)) throw new Error(`adjustHue: factor must be in [-0.5, 0.5], got ${factor}`);
  const { p, values, bound, channels, f } = colorPlanes(img, 'adjustHue');
  if (channels === 1) return img;
  const plane = p.h * p.w;
  for (let base = 0; base < values.length; base += 3 * plane) {
    for (let i = 0; i < plane; i++) {
      const r = bound === 1 ? values[base + i] : f(values[base + i] / 255);
      const g = bound === 1 ? values[base + plane + i] : f(values[base + plane + i] / 255);
      const b = bound === 1 ? values[base + 2 * plane + i] : f(values[base + 2 * plane + i] / 255);
      // rgb → hsv (torchvision's _rgb2hsv)
      const maxc = Math.max(r, g, b);
      const minc = Math.min(r, g, b);
      const cr = f(maxc - minc);
      const eq = maxc === minc;
      const s = f(cr / (eq ? 1 : maxc));
      const div = eq ? 1 : cr;
      const rc = f(f(maxc - r) / div);
      const gc = f(f(maxc - g) / div);
      const bc = f(f(maxc - b) / div);
      let h: number;
      if (maxc === r) h = f(bc - gc);
      else if (maxc === g) h = f(f(2 + rc) - bc);
      else h = f(f(4 + gc) - rc);
      h = f(f(h / 6) + 1) % 1;
      // shift, then hsv → rgb (torchvision's _hsv2rgb)
      h = f(f(h + factor) % 1);
      if (h < 0) h = f(h + 1);
      const v = maxc;
      const h6 = f(h * 6);
      const sector = Math.floor(h6);
      const frac = f(h6 - sector);
      const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
      const pp = clamp01(f(v * f(1 - s)));
      const q = clamp01(f(v * f(1 - f(s * frac))));
      const t = clamp01(f(v * f(1 - f(s * f(1 - frac)))));
      const rgb = [[v, t, pp], [q, v, pp], [pp, v, t], [pp, q, v], [t, pp, v], [v, pp, q]][((sector % 6) + 6) % 6];
      for (let c = 0; c < 3; c++) values[base + c * plane + i] = bound === 1 ? rgb[c] : f(rgb[c] * 255);
    }
  }
  return colorResult(img, p, values);
}

/**
 * Luminance image (torchvision's rgb_to_grayscale): `numOutputChannels` 1 or 3. A 1-channel tensor stays
 * 1-channel (torchvision expands to the input's shape); a 1-channel Uint8Image gets 3 channels, as PIL.
 */
export function rgbToGrayscale<T extends ImageInput>(img: T, numOutputChannels: 1 | 3 = 1): T {
  if (numOutputChannels !== 1 && numOutputChannels !== 3) {
    throw new Error(`rgbToGrayscale: numOutputChannels must be 1 or 3, got ${numOutputChannels}`);
  }
  if (img instanceof Tensor && img.ndim < 3) {
    throw new Error(`rgbToGrayscale: expected a tensor with at least 3 dimensions [..., C, H, W], got shape [${img.shape}]`);
  }
  const { p, values, channels, f } = colorPlanes(img, 'rgbToGrayscale');
  if (img instanceof Tensor && channels === 1) numOutputChannels = 1;
  const plane = p.h * p.w;
  const images = values.length / (channels * plane);
  const out = new (values.constructor as typeof Float32Array | typeof Float64Array)(images * numOutputChannels * plane);
  const truncate = p.data instanceof Uint8Array;
  for (let m = 0; m < images; m++) {
    for (let i = 0; i < plane; i++) {
      const g0 = channels === 3 ? gray(values, m * 3 * plane, plane, i, f) : values[m * plane + i];
      const g = truncate ? Math.trunc(g0) : g0;
      for (let c = 0; c < numOutputChannels; c++) out[(m * numOutputChannels + c) * plane + i] = g;
    }
  }
  const lead = [...p.lead];
  lead[lead.length - 1] = numOutputChannels;
  return colorResult(img, { ...p, lead }, out);
}

/** (x − mean) / std per channel (dim −3) of a float tensor (torchvision's normalize, in the tensor's precision). */
export function normalize(t: Tensor, mean: readonly number[], std: readonly number[], options: { inplace?: boolean } = {}): Tensor {
  if (!(t instanceof Tensor)) {
    throw new Error(`normalize: expected a float tensor, got ${describe(t)}; put ToTensor() before Normalize in the pipeline`);
  }
  if (!t.isFloatingPoint()) throw new Error(`normalize: expected a float tensor, got ${t.dtype}`);
  if (t.ndim < 3) throw new Error(`normalize: expected a tensor image of shape [..., C, H, W], got shape [${t.shape}]`);
  const channels = t.shape[t.ndim - 3];
  const expand = (v: readonly number[], name: string) => {
    if (v.length !== 1 && v.length !== channels) throw new Error(`normalize: ${name} has ${v.length} values but the image has ${channels} channels`);
    return Array.from({ length: channels }, (_, c) => (v.length === 1 ? v[0] : v[c]));
  };
  const f = t.dtype === 'float32' ? Math.fround : (x: number) => x;
  const m = expand(mean, 'mean').map(f);
  const s = expand(std, 'std').map(f);
  if (s.some((v) => v === 0)) throw new Error(`normalize: std evaluated to zero after conversion to ${t.dtype}, leading to division by zero`);
  const src = t.contiguous().data();
  const out = options.inplace && t.isContiguous() && t.offset === 0 && t.storage.length === t.size ? src : alloc(src as PixelArray, src.length);
  const plane = t.shape[t.ndim - 2] * t.shape[t.ndim - 1];
  for (let start = 0, c = 0; start < src.length; start += plane, c = (c + 1) % channels) {
    const mc = m[c];
    const sc = s[c];
    const end = start + plane;
    if (t.dtype === 'float32') for (let i = start; i < end; i++) out[i] = Math.fround(Math.fround(src[i] - mc) / sc);
    else for (let i = start; i < end; i++) out[i] = (src[i] - mc) / sc;
  }
  if (out === src) return t;
  const result = new Tensor(out, t.shape, undefined, 0, t.dtype);
  // torchvision's inplace normalize (sub_, div_) also writes through a strided view
  return options.inplace ? t.copy_(result) : result;
}

// ---- affine, perspective, elastic -------------------------------------------------------------

/** torchvision's _get_inverse_affine_matrix (inverted = true): angle and shear in degrees, in double. */
export function inverseAffineMatrix(
  center: readonly [number, number], angle: number, translate: readonly [number, number], scale: number, shear: readonly [number, number],
): number[] {
  const rad = Math.PI / 180;
  const rot = angle * rad;
  const sx = shear[0] * rad;
  const sy = shear[1] * rad;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

function gridInterpolation(interpolation: Interpolation, op: string): 'nearest' | 'bilinear' {
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    throw new Error(`${op}: interpolation must be 'nearest' or 'bilinear' for tensors, got '${interpolation}'`);
  }
  return interpolation;
}

export interface AffineOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: Interpolation;
  /** Value for the area outside the image (default null: zeros without the mask blend, as torchvision's fill=None). */
  fill?: number | readonly number[] | null;
  /** Centre [x, y] in pixels (default the image centre). */
  center?: readonly [number, number] | null;
}

/**
 * Affine transformation keeping the image centre (torchvision's affine, tensor path): rotation by `angle`
 * degrees (clockwise in image coordinates, as torchvision), then `translate` [dx, dy] pixels, `scale`, and
 * `shear` degrees (a number shears along x; [sx, sy] both). Sampled as rotate does (same grid arithmetic).
 */
export function affine<T extends ImageInput>(
  img: T,
  angle: number,
  translate: readonly number[],
  scale: number,
  shear: number | readonly number[],
  options: AffineOptions = {},
): T {
  const { interpolation = 'nearest', center = null } = options;
  const fill = options.fill ?? null;
  if (typeof angle !== 'number') throw new Error(`affine: angle should be a number, got ${describe(angle)}`);
  if (!Array.isArray(translate) || translate.length !== 2) throw new Error(`affine: translate should be a sequence of length 2, got ${JSON.stringify(translate)}`);
  if (!(scale > 0)) throw new Error(`affine: scale should be positive, got ${scale}`);
  const sh = typeof shear === 'number' ? [shear, 0] : shear.length === 1 ? [shear[0], shear[0]] : [...shear];
  if (sh.length !== 2) throw new Error(`affine: shear should be a number or a sequence of two values, got ${JSON.stringify(shear)}`);
  const mode = gridInterpolation(interpolation, 'affine');
  const p = planesOf(img, 'affine');
  const fillOf = fillValues(fill ?? 0, p, 'affine');
  const { h, w } = p;
  const c: [number, number] = center ? [center[0] - w * 0.5, center[1] - h * 0.5] : [0, 0];
  const matrix = inverseAffineMatrix(c, angle, [translate[0], translate[1]], scale, [sh[0], sh[1]]);
  const f = p.data instanceof Float64Array ? exact : Math.fround;
  const { sx, sy } = rotateGrid(matrix, h, w, h, w, f);
  return rebuild(img, { ...p, data: sampleGrid(p, sx, sy, h, w, mode, fill, fillOf, f) }) as T;
}

/**
 * The 8 coefficients mapping output to input pixels for `perspective` (torchvision's _get_perspective_coeffs).
 * torchvision solves the float32 system with LAPACK's gels; here it is solved in double and rounded to
 * float32, which can differ from torch in the last bits.
 */
export function perspectiveCoeffs(startpoints: readonly (readonly number[])[], endpoints: readonly (readonly number[])[]): number[] {
  if (startpoints.length !== 4 || endpoints.length !== 4 || ![...startpoints, ...endpoints].every((q) => q.length === 2)) {
    throw new Error('perspective: startpoints and endpoints must be 4 points [x, y] each');
  }
  const f = Math.fround;
  const a: number[][] = [];
  const bv: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [p1, p2] = [endpoints[i], startpoints[i]];
    a.push([p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]].map(f));
    a.push([0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]].map(f));
    bv.push(f(p2[0]), f(p2[1]));
  }
  // Gaussian elimination with partial pivoting
  for (let col = 0; col < 8; col++) {
    let piv = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (a[piv][col] === 0) throw new Error('perspective: the points do not determine a perspective transform (singular system)');
    [a[col], a[piv]] = [a[piv], a[col]];
    [bv[col], bv[piv]] = [bv[piv], bv[col]];
    for (let r = col + 1; r < 8; r++) {
      const m = a[r][col] / a[col][col];
      for (let k = col; k < 8; k++) a[r][k] -= m * a[col][k];
      bv[r] -= m * bv[col];
    }
  }
  const x = new Array<number>(8).fill(0);
  for (let r = 7; r >= 0; r--) {
    let s = bv[r];
    for (let k = r + 1; k < 8; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x.map(f);
}

/**
 * Perspective transform taking the 4 `startpoints` [x, y] (top-left, top-right, bottom-right, bottom-left)
 * to `endpoints` (torchvision's perspective, tensor path; bilinear by default).
 */
export function perspective<T extends ImageInput>(
  img: T,
  startpoints: readonly (readonly number[])[],
  endpoints: readonly (readonly number[])[],
  options: { interpolation?: Interpolation; fill?: number | readonly number[] | null } = {},
): T {
  const { interpolation = 'bilinear' } = options;
  const fill = options.fill ?? null;
  const coeffs = perspectiveCoeffs(startpoints, endpoints);
  const mode = gridInterpolation(interpolation, 'perspective');
  const p = planesOf(img, 'perspective');
  const fillOf = fillValues(fill ?? 0, p, 'perspective');
  const { h, w } = p;
  const f = p.data instanceof Float64Array ? exact : Math.fround;
  // _perspective_grid: (base · theta1 / [w/2, h/2]) / (base · theta2) − 1, base = [x + 0.5, y + 0.5, 1]
  const c = coeffs.map(f);
  const [hw, hh] = [f(0.5 * w), f(0.5 * h)];
  const t1 = [f(c[0] / hw), f(c[1] / hw), f(c[2] / hw), f(c[3] / hh), f(c[4] / hh), f(c[5] / hh)];
  const fma = f === exact ? fma64 : fmaf;
  const fused = h * w * 6 >= 400;
  const term = (x: number, y: number, a: number, b: number, k: number) => f((fused ? fma(y, b, f(x * a)) : f(f(x * a) + f(y * b))) + k);
  const sx = new Float64Array(h * w);
  const sy = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const yb = y + 0.5;
    for (let x = 0; x < w; x++) {
      const xb = x + 0.5;
      const den = term(xb, yb, c[6], c[7], 1);
      const gx = f(f(term(xb, yb, t1[0], t1[1], t1[2]) / den) - 1);
      const gy = f(f(term(xb, yb, t1[3], t1[4], t1[5]) / den) - 1);
      sx[y * w + x] = fma(f(gx + 1), f(w / 2), -0.5);
      sy[y * w + x] = fma(f(gy + 1), f(h / 2), -0.5);
    }
  }
  return rebuild(img, { ...p, data: sampleGrid(p, sx, sy, h, w, mode, fill, fillOf, f) }) as T;
}

/**
 * torch.linspace(start, end, steps) in float32 as its CPU kernel computes it: start + step·i up to half-way,
 * end − step·(steps − 1 − i) after, each a fused multiply-add; in blocks of 16 (two AVX2 vectors of 8) each
 * vector of 8 continues from its first element by + step·k, rounded twice (the magnitudes of AutoAugment's
 * tables depend on these last bits).
 */
export function linspace32(start: number, end: number, steps: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(steps);
  if (steps === 1) out[0] = start;
  if (steps <= 1) return out;
  const [a, b] = [f(start), f(end)];
  const step = f(f(b - a) / (steps - 1));
  const half = Math.floor(steps / 2);
  const at = (i: number) => (i < half ? fmaf(step, i, a) : fmaf(-step, steps - 1 - i, b));
  let i = 0;
  for (; i + 16 <= steps; i += 8) {
    const base = at(i);
    for (let k = 0; k < 8; k++) out[i + k] = f(base + f(k * step));
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

/**
 * Move every pixel by `displacement`, a [1, H, W, 2] tensor of (dx, dy) offsets in grid_sample's normalised
 * [−1, 1] coordinates (torchvision's elastic_transform; ElasticTransform draws one). The image is sampled in
 * the displacement's precision, as torchvision casts it to the grid's dtype.
 */
export function elasticTransform<T extends ImageInput>(
  img: T,
  displacement: Tensor,
  options: { interpolation?: Interpolation; fill?: number | readonly number[] | null } = {},
): T {
  const { interpolation = 'bilinear' } = options;
  const fill = options.fill ?? null;
  if (!(displacement instanceof Tensor) || !displacement.isFloatingPoint()) throw new Error(`elasticTransform: displacement should be a float tensor, got ${describe(displacement)}`);
  const mode = gridInterpolation(interpolation, 'elasticTransform');
  const p = planesOf(img, 'elasticTransform');
  const { h, w } = p;
  if (displacement.ndim !== 4 || displacement.shape[0] !== 1 || displacement.shape[1] !== h || displacement.shape[2] !== w || displacement.shape[3] !== 2) {
    throw new Error(`elasticTransform: displacement shape should be [1, ${h}, ${w}, 2], got [${displacement.shape}]`);
  }
  const fillOf = fillValues(fill ?? 0, p, 'elasticTransform');
  const f = displacement.dtype === 'float64' ? exact : Math.fround;
  const fma = f === exact ? fma64 : fmaf;
  const d = displacement.contiguous().data();
  const ix = linspace32((-w + 1) / w, (w - 1) / w, w);
  const iy = linspace32((-h + 1) / h, (h - 1) / h, h);
  const sx = new Float64Array(h * w);
  const sy = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      sx[k] = fma(f(f(ix[x] + d[2 * k]) + 1), f(w / 2), -0.5);
      sy[k] = fma(f(f(iy[y] + d[2 * k + 1]) + 1), f(h / 2), -0.5);
    }
  }
  // the image is cast to the grid's dtype (float32 for a float32 displacement, even for float64 images)
  const cast = f === Math.fround && p.data instanceof Float64Array;
  const src = cast ? { ...p, data: Float32Array.from(p.data) } : p;
  const out = sampleGrid(src, sx, sy, h, w, mode, fill, fillOf, f);
  return rebuild(img, { ...p, data: cast ? Float64Array.from(out) : out }) as T;
}

// ---- filters and point operations (torchvision's tensor semantics) ---------------------------

/**
 * Planes of an image whose channel count (dim −3, 1 for an H×W tensor) is 1 or 3 (torchvision's
 * _assert_channels); `bound` is 255 for integer images, else 1; `f` rounds to the compute precision
 * (float64 for float64 tensors, else float32).
 */
function channelPlanes(img: ImageInput, op: string, minDims = 2): { p: Planes; channels: number; bound: number; f: Round } {
  const p = planesOf(img, op);
  if (img instanceof Tensor && img.ndim < minDims) {
    throw new Error(`${op}: expected a tensor with at least ${minDims} dimensions [..., C, H, W], got shape [${img.shape}]`);
  }
  const channels = p.lead.length ? p.lead[p.lead.length - 1] : 1;
  if (channels !== 1 && channels !== 3) throw new Error(`${op}: expected an image with 1 or 3 channels, got ${channels}`);
  return { p, channels, bound: isInteger(p.data) ? 255 : 1, f: p.data instanceof Float64Array ? exact : Math.fround };
}

/** bound − x (255 − x for integer images, 1 − x for float ones). */
export function invert<T extends ImageInput>(img: T): T {
  const { p, bound } = channelPlanes(img, 'invert', 3);
  const out = alloc(p.data, p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = bound - p.data[i];
  return rebuild(img, { ...p, data: out }) as T;
}

/** Keep the top `bits` bits of each byte (torchvision supports uint8 images only: Uint8Image here). */
export function posterize<T extends ImageInput>(img: T, bits: number): T {
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 8)) throw new Error(`posterize: the number of bits should be an integer between 0 and 8, got ${bits}`);
  if (!(img instanceof Uint8Image)) throw new Error(`posterize: only uint8 images (Uint8Image) are supported, got ${describe(img)}`);
  const { p } = channelPlanes(img, 'posterize', 3);
  const mask = -(2 ** (8 - bits)) & 0xff;
  const out = p.data.map((v) => v & mask);
  return rebuild(img, { ...p, data: out }) as T;
}

/** Invert the pixels at or above `threshold` (which may not exceed the bound, 1 or 255). */
export function solarize<T extends ImageInput>(img: T, threshold: number): T {
  const { p, bound } = channelPlanes(img, 'solarize', 3);
  if (threshold > bound) throw new Error(`solarize: threshold should be less than bound of img (${bound}), got ${threshold}`);
  // the comparison is in float32 except for float64 images (the Python float joins as a float32 scalar)
  const t = p.data instanceof Float64Array ? threshold : Math.fround(threshold);
  const out = alloc(p.data, p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i] >= t ? bound - p.data[i] : p.data[i];
  return rebuild(img, { ...p, data: out }) as T;
}

/** Stretch each channel to the full range [0, bound] by its min and max (integer results truncated). */
export function autocontrast<T extends ImageInput>(img: T): T {
  const { p, bound, f } = channelPlanes(img, 'autocontrast', 3);
  const plane = p.h * p.w;
  const out = alloc(p.data, p.data.length);
  for (let base = 0; base < out.length; base += plane) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = base; i < base + plane; i++) {
      const v = p.data[i];
      if (v !== v) [lo, hi] = [NaN, NaN];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let scale = f(bound / f(hi - lo));
    if (!Number.isFinite(scale)) [lo, scale] = [0, 1];
    for (let i = base; i < base + plane; i++) {
      const v = f(f(p.data[i] - lo) * scale);
      const c = v < 0 ? 0 : v > bound ? bound : v;
      out[i] = bound === 255 ? Math.trunc(c) : c;
    }
  }
  return rebuild(img, { ...p, data: out }) as T;
}

/** Histogram equalisation per channel (torchvision's tensor equalize; uint8 images only: Uint8Image here). */
export function equalize<T extends ImageInput>(img: T): T {
  if (!(img instanceof Uint8Image)) throw new Error(`equalize: only uint8 images (Uint8Image) are supported, got ${describe(img)}`);
  const { p } = channelPlanes(img, 'equalize', 3);
  const plane = p.h * p.w;
  const out = new Uint8Array(p.data.length);
  for (let base = 0; base < out.length; base += plane) {
    const hist = new Float64Array(256);
    for (let i = base; i < base + plane; i++) hist[p.data[i]]++;
    // step = (sum of the non-zero bins but the last) // 255
    let last = 255;
    while (last > 0 && hist[last] === 0) last--;
    let sum = 0;
    for (let v = 0; v < last; v++) sum += hist[v];
    const step = Math.floor(sum / 255);
    if (step === 0) {
      out.set(p.data.subarray(base, base + plane), base);
      continue;
    }
    const lut = new Uint8Array(256);
    let cum = 0;
    for (let v = 0; v < 255; v++) {
      cum += hist[v];
      lut[v + 1] = Math.min(Math.floor((cum + Math.floor(step / 2)) / step), 255);
    }
    for (let i = base; i < base + plane; i++) out[i] = lut[p.data[i]];
  }
  return rebuild(img, { ...p, data: out }) as T;
}

/**
 * Correlate every h×w plane with `kernel` (kh×kw) over the image extended by `pad` [left, right, top,
 * bottom] in reflect mode (no padding: a 'valid' result), in the compute precision `f`. Integer images are
 * computed in float32 and rounded half to even.
 */
function filterPlanes(p: Planes, kernel: ArrayLike<number>, kh: number, kw: number, pad: [number, number, number, number], f: Round): { data: PixelArray; h: number; w: number } {
  const [l, r, t, b] = pad;
  const oh = p.h + t + b - kh + 1;
  const ow = p.w + l + r - kw + 1;
  const n = planeCount(p);
  const out = alloc(p.data, n * oh * ow);
  const round = isInteger(p.data);
  const ys = Int32Array.from({ length: p.h + t + b }, (_, y) => padIndex(y - t, p.h, 'reflect'));
  const xs = Int32Array.from({ length: p.w + l + r }, (_, x) => padIndex(x - l, p.w, 'reflect'));
  for (let k = 0; k < n; k++) {
    const base = k * p.h * p.w;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        for (let a = 0; a < kh; a++) {
          const row = base + ys[y + a] * p.w;
          for (let c = 0; c < kw; c++) acc += kernel[a * kw + c] * p.data[row + xs[x + c]];
        }
        const v = f(acc);
        out[(k * oh + y) * ow + x] = round ? roundPixel(v, p.data) : v;
      }
    }
  }
  return { data: out, h: oh, w: ow };
}

/** torchvision's _get_gaussian_kernel1d, in float32. */
function gaussianKernel1d(size: number, sigma: number): Float32Array {
  const f = Math.fround;
  const half = (size - 1) * 0.5;
  const pdf = new Float32Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = f(f(-half + i) / f(sigma));
    pdf[i] = Math.exp(f(-0.5 * f(x * x)));
    sum = f(sum + pdf[i]);
  }
  return pdf.map((v) => v / sum);
}

/**
 * Gaussian blur (torchvision's gaussian_blur, tensor path): `kernelSize` [kx, ky] odd positive (a number
 * for both), `sigma` [sx, sy] (default ksize·0.15 + 0.35); borders reflected. The float32 kernel is used
 * in the image's precision; integer images are blurred in float32 and rounded.
 */
export function gaussianBlur<T extends ImageInput>(img: T, kernelSize: number | readonly number[], sigma: number | readonly number[] | null = null): T {
  const ks = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [...kernelSize];
  if (ks.length !== 2) throw new Error(`gaussianBlur: if kernelSize is a sequence its length should be 2, got ${ks.length}`);
  if (!ks.every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new Error(`gaussianBlur: kernelSize should have odd and positive integers, got ${JSON.stringify(kernelSize)}`);
  const sg = sigma === null ? ks.map((k) => k * 0.15 + 0.35) : typeof sigma === 'number' ? [sigma, sigma] : sigma.length === 1 ? [sigma[0], sigma[0]] : [...sigma];
  if (sg.length !== 2) throw new Error(`gaussianBlur: if sigma is a sequence, its length should be 2, got ${sg.length}`);
  if (!sg.every((s) => s > 0)) throw new Error(`gaussianBlur: sigma should have positive values, got ${JSON.stringify(sigma)}`);
  const p = planesOf(img, 'gaussianBlur');
  const [px, py] = [(ks[0] - 1) / 2, (ks[1] - 1) / 2];
  if (px >= p.w || py >= p.h) {
    throw new Error(`gaussianBlur: reflect padding (${px}, ${py}) should be less than the image size ${p.h}x${p.w} (kernel size ${ks})`);
  }
  const f = p.data instanceof Float64Array ? exact : Math.fround;
  const kx = gaussianKernel1d(ks[0], sg[0]);
  const ky = gaussianKernel1d(ks[1], sg[1]);
  const kernel = new Float64Array(ks[0] * ks[1]);
  for (let a = 0; a < ks[1]; a++) for (let c = 0; c < ks[0]; c++) kernel[a * ks[0] + c] = f(ky[a] * kx[c]);
  const r = filterPlanes(p, kernel, ks[1], ks[0], [px, px, py, py], f);
  return rebuild(img, { ...p, data: r.data }) as T;
}

/**
 * Sharpen (factor > 1) or blur (< 1) against the image smoothed by the 3×3 kernel [1 1 1; 1 5 1; 1 1 1]/13
 * in the interior (torchvision's adjust_sharpness); images of height or width ≤ 2 are returned as is.
 */
export function adjustSharpness<T extends ImageInput>(img: T, factor: number): T {
  if (!(factor >= 0)) throw new Error(`adjustSharpness: sharpnessFactor (${factor}) is not non-negative`);
  const { p, bound, f } = channelPlanes(img, 'adjustSharpness');
  if (p.h <= 2 || p.w <= 2) return img;
  const [edge, mid] = [f(1 / 13), f(5 / 13)];
  const kernel = [edge, edge, edge, edge, mid, edge, edge, edge, edge];
  const blurred = filterPlanes(p, kernel, 3, 3, [0, 0, 0, 0], f);
  const out = alloc(p.data, p.data.length);
  const plane = p.h * p.w;
  const truncate = bound === 255;
  for (let k = 0; k < planeCount(p); k++) {
    for (let y = 0; y < p.h; y++) {
      for (let x = 0; x < p.w; x++) {
        const i = k * plane + y * p.w + x;
        const inner = y > 0 && y < p.h - 1 && x > 0 && x < p.w - 1;
        const deg = inner ? blurred.data[(k * (p.h - 2) + y - 1) * (p.w - 2) + x - 1] : p.data[i];
        const v = blend(p.data[i], deg, factor, bound, f);
        out[i] = truncate ? Math.trunc(v) : v;
      }
    }
  }
  return rebuild(img, { ...p, data: out }) as T;
}

/** x^gamma per exponent as torch's pow(tensor, scalar), with its special cases, rounded by `f`. */
function powScalar(x: number, e: number, f: Round): number {
  if (e === 2) return f(x * x);
  if (e === 3) return f(f(x * x) * x);
  if (e === 0.5) return f(Math.sqrt(x));
  if (e === -0.5) return f(1 / f(Math.sqrt(x)));
  if (e === -1) return f(1 / x);
  if (e === -2) return f(1 / f(x * x));
  return f(Math.pow(x, e));
}

/**
 * gain · x^gamma clamped to [0, 1] (torchvision's adjust_gamma, tensor path): bytes go through
 * convertImageDtype to float32 and back; int32 (torch int64) images are refused, as the float32 → int64
 * conversion is (torchvision raises there).
 */
export function adjustGamma<T extends ImageInput>(img: T, gamma: number, gain = 1): T {
  const { p, f } = channelPlanes(img, 'adjustGamma');
  if (!(gamma >= 0)) throw new Error(`adjustGamma: gamma should be a non-negative real number, got ${gamma}`);
  if (p.data instanceof Int32Array) throw new Error('adjustGamma: the cast from float32 to int64 (Strata int32) cannot be performed safely (torchvision raises); convert the image to float first');
  const g = f(gain);
  const bytes = p.data instanceof Uint8Array;
  const out = alloc(p.data, p.data.length);
  const scale = Math.fround(255.999);
  for (let i = 0; i < out.length; i++) {
    const x = bytes ? Math.fround(p.data[i] / 255) : p.data[i];
    let v = f(g * powScalar(x, gamma, f));
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    out[i] = bytes ? Math.trunc(Math.fround(v * scale)) : v;
  }
  return rebuild(img, { ...p, data: out }) as T;
}

// ---- erase, five / ten crops, dtype conversion ------------------------------------------------

/** Python slice bounds [start, start + length) clamped into 0..n (negative values count from the end). */
function sliceRange(start: number, length: number, n: number): [number, number] {
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  return [norm(start), norm(start + length)];
}

/** Cast a value stored into an image of this kind (torch's copy: float → integer truncates, bytes wrap). */
function castInto(v: number, like: PixelArray): number {
  if (like instanceof Uint8Array) return Number.isFinite(v) ? Math.trunc(v) & 0xff : 0;
  if (like instanceof Int32Array) return Number.isFinite(v) ? Math.trunc(v) : 0;
  return v;
}

/**
 * Overwrite the box rows i..i+h−1, columns j..j+w−1 of every plane with `v` (torchvision's erase: a number
 * or a tensor broadcastable to [..., C, h, w], e.g. [C, 1, 1] or [C, h, w]; slice bounds as Python's).
 * With `inplace` the input tensor (or Uint8Image) itself is written and returned.
 */
export function erase<T extends ImageInput>(img: T, i: number, j: number, h: number, w: number, v: Tensor | number, options: { inplace?: boolean } = {}): T {
  if (![i, j, h, w].every(Number.isInteger)) throw new Error(`erase: i, j, h, w must be integers, got ${i}, ${j}, ${h}, ${w}`);
  const p = planesOf(img, 'erase');
  const [y0, y1] = sliceRange(i, h, p.h);
  const [x0, x1] = sliceRange(j, w, p.w);
  const [bh, bw] = [Math.max(y1 - y0, 0), Math.max(x1 - x0, 0)];
  let values: ArrayLike<number>;
  if (typeof v === 'number') values = { length: 1, 0: v } as ArrayLike<number>;
  else if (v instanceof Tensor) {
    const shape = [...p.lead, bh, bw];
    if (v.ndim > shape.length) throw new Error(`erase: value of shape [${v.shape}] cannot be broadcast to the box [${shape}]`);
    try {
      values = v.expand(shape).contiguous().data();
    } catch {
      throw new Error(`erase: value of shape [${v.shape}] cannot be broadcast to the box [${shape}]`);
    }
  } else throw new Error(`erase: v should be a number or a tensor, got ${describe(v)}`);
  const inplace = options.inplace ?? false;
  const writeThrough = inplace && (img instanceof Uint8Image || ((img as Tensor).isContiguous() && (img as Tensor).offset === 0 && (img as Tensor).storage.length === (img as Tensor).size));
  const out = writeThrough ? p.data : p.data.slice();
  const n = planeCount(p);
  let q = 0;
  for (let k = 0; k < n; k++) {
    for (let y = y0; y < y0 + bh; y++) {
      const row = (k * p.h + y) * p.w;
      for (let x = x0; x < x0 + bw; x++, q++) out[row + x] = castInto(values.length === 1 ? values[0] : values[q], p.data);
    }
  }
  if (writeThrough) return img;
  const result = rebuild(img, { ...p, data: out });
  // an inplace erase of a strided tensor view writes through it, as torch's index assignment
  if (inplace) return (img as Tensor).copy_(result as Tensor) as T;
  return result as T;
}

/** The four corners and the centre crop of `size`: [topLeft, topRight, bottomLeft, bottomRight, center] (torchvision's five_crop). */
export function fiveCrop<T extends ImageInput>(img: T, size: number | readonly number[]): [T, T, T, T, T] {
  if (typeof size !== 'number' && size.length !== 1 && size.length !== 2) throw new Error('fiveCrop: please provide only two dimensions (h, w) for size');
  const [ch, cw] = pair(size, 'fiveCrop');
  const { height, width } = imageSize(img);
  if (cw > width || ch > height) throw new Error(`fiveCrop: requested crop size [${ch}, ${cw}] is bigger than input size [${height}, ${width}]`);
  return [
    crop(img, 0, 0, ch, cw),
    crop(img, 0, width - cw, ch, cw),
    crop(img, height - ch, 0, ch, cw),
    crop(img, height - ch, width - cw, ch, cw),
    centerCrop(img, [ch, cw]),
  ];
}

/** fiveCrop of the image and of its mirror (left–right, or top–bottom with verticalFlip) (torchvision's ten_crop). */
export function tenCrop<T extends ImageInput>(img: T, size: number | readonly number[], verticalFlip = false): T[] {
  const first = fiveCrop(img, size);
  return [...first, ...fiveCrop(verticalFlip ? vflip(img) : hflip(img), size)];
}

export type ImageDtype = 'float32' | 'float64' | 'int32' | 'uint8';

/**
 * Convert between image dtypes with torchvision's value scaling (convert_image_dtype): float ↔ float is a
 * cast; bytes (a Uint8Image; 'uint8' gives one) ↔ float divide / multiply by 255 (float → byte as
 * trunc(x · 255.999)); int32 stands for torch's int64 (max 2⁶³ − 1), so int32 → float divides by 2⁶³ and
 * float → int32 is refused as torchvision refuses float → int64. Bytes → int32 would overflow and is refused.
 */
export function convertImageDtype(img: ImageInput, dtype: ImageDtype = 'float32'): ImageInput {
  if (!['float32', 'float64', 'int32', 'uint8'].includes(dtype)) throw new Error(`convertImageDtype: dtype must be float32, float64, int32 or uint8, got '${dtype}'`);
  const p = planesOf(img, 'convertImageDtype');
  const from = img instanceof Uint8Image ? 'uint8' : (img as Tensor).dtype;
  if (from === dtype) return img;
  const toBytes = (values: ArrayLike<number>): Uint8Image => {
    if (p.lead.length !== 1) throw new Error(`convertImageDtype: a uint8 result is a Uint8Image, which holds [C, H, W] images; got [${[...p.lead, p.h, p.w]}]`);
    return new Uint8Image(Uint8Array.from(values), p.lead[0], p.h, p.w);
  };
  const shape = [...p.lead, p.h, p.w];
  if (from === 'float32' || from === 'float64') {
    if (dtype === 'float32' || dtype === 'float64') return (img as Tensor).to(dtype as 'float32' | 'float64');
    if (dtype === 'int32') throw new Error(`convertImageDtype: the cast from ${from} to int64 (Strata int32) cannot be performed safely (torchvision raises)`);
    const scale = from === 'float32' ? Math.fround(255.999) : 255.999;
    const f = from === 'float32' ? Math.fround : exact;
    return toBytes(Array.from(p.data, (v) => castInto(f(v * scale), new Uint8Array(0))));
  }
  if (from === 'uint8') {
    if (dtype === 'int32') throw new Error('convertImageDtype: uint8 → int64 (Strata int32) scales by 2^55, which int32 cannot hold');
    const data = dtype === 'float32' ? Float32Array.from(p.data, (v) => v / 255) : Float64Array.from(p.data, (v) => v / 255);
    return new Tensor(data, shape, undefined, 0, dtype as 'float32' | 'float64');
  }
  // int32 (torch int64, max 2^63 − 1; as a float 2^63)
  if (dtype === 'uint8') return toBytes(Array.from(p.data, (v) => Math.floor(v / 2 ** 55) & 0xff));
  const data = dtype === 'float32' ? Float32Array.from(p.data, (v) => v / 2 ** 63) : Float64Array.from(p.data, (v) => v / 2 ** 63);
  return new Tensor(data, shape, undefined, 0, dtype);
}
