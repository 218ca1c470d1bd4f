/**
 * The filter bench's image filters, computed with Strata: every linear
 * filter is a depthwise `F.conv2d` (edge pixels replicated with `F.pad`),
 * the Gaussian and the box filter as two separable 1-D passes. DOM-free.
 */
import { fromTypedArray, noGrad, type Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';

/** A kernel of kh × kw weights, row-major. */
export interface Kernel {
  kh: number;
  kw: number;
  data: Float32Array;
}

export function kernel(rows: readonly (readonly number[])[]): Kernel {
  const kh = rows.length;
  const kw = rows[0]?.length ?? 0;
  if (kh === 0 || kw === 0 || rows.some((r) => r.length !== kw)) throw new Error('kernel: rows must be non-empty and of equal length');
  return { kh, kw, data: Float32Array.from(rows.flat()) };
}

export function boxKernel1d(size: number): Kernel {
  return { kh: 1, kw: size, data: new Float32Array(size).fill(1 / size) };
}

/** Radius of a Gaussian kernel: ⌈3σ⌉ (99.7 % of the mass). */
export function gaussianRadius(sigma: number): number {
  return Math.max(1, Math.ceil(3 * sigma));
}

/** The sampled, normalised 1-D Gaussian as a 1 × (2r+1) kernel. */
export function gaussianKernel1d(sigma: number): Kernel {
  const r = gaussianRadius(sigma);
  const data = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = data.reduce((a, b) => a + b, 0);
  return { kh: 1, kw: 2 * r + 1, data: data.map((v) => v / sum) };
}

/** The 2-D Gaussian (outer product of the 1-D one). */
export function gaussianKernel2d(sigma: number): Kernel {
  const g = gaussianKernel1d(sigma).data;
  const n = g.length;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = g[i] * g[j];
  return { kh: n, kw: n, data };
}

/** Identity + amount · (identity − 3×3 box): unsharp masking in one kernel. */
export function sharpenKernel(amount: number): Kernel {
  const data = new Float32Array(9).fill(-amount / 9);
  data[4] = 1 + amount - amount / 9;
  return { kh: 3, kw: 3, data };
}

export const SOBEL_X = kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]);
export const SOBEL_Y = kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]);

export interface GaborParams {
  /** Orientation of the stripes' normal, radians. */
  theta: number;
  /** Wavelength in pixels. */
  lambda: number;
  /** Envelope width; default 0.56·λ (one octave bandwidth). */
  sigma?: number;
  /** Aspect ratio of the envelope; default 0.5. */
  gamma?: number;
  /** Phase offset; default 0 (even, cosine). */
  psi?: number;
}

/** A zero-mean Gabor kernel (cosine carrier × Gaussian envelope), size 2⌈2.5σ⌉+1, normalised to unit L1 norm. */
export function gaborKernel(p: GaborParams): Kernel {
  const sigma = p.sigma ?? 0.56 * p.lambda;
  const gamma = p.gamma ?? 0.5;
  const psi = p.psi ?? 0;
  const r = Math.max(1, Math.ceil(2.5 * sigma));
  const n = 2 * r + 1;
  const data = new Float32Array(n * n);
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const xr = x * c + y * s;
      const yr = -x * s + y * c;
      data[(y + r) * n + x + r] = Math.exp(-(xr * xr + gamma * gamma * yr * yr) / (2 * sigma * sigma)) * Math.cos((2 * Math.PI * xr) / p.lambda + psi);
    }
  }
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  let l1 = 0;
  for (let i = 0; i < data.length; i++) l1 += Math.abs((data[i] -= mean));
  for (let i = 0; i < data.length; i++) data[i] /= l1 || 1;
  return { kh: n, kw: n, data };
}

/** Parse a hand-typed 3×3 or 5×5 kernel (numbers separated by spaces, commas or new lines; fractions like 1/9 allowed). */
export function parseKernel(text: string): Kernel {
  const rows = text.trim().split(/\n+/).map((line) => line.trim()).filter(Boolean);
  const values = rows.map((line) => line.split(/[\s,;]+/).filter(Boolean).map(parseNumber));
  const flat = values.flat();
  if (flat.some((v) => !Number.isFinite(v))) throw new Error('kernel: every entry must be a number (fractions like 1/9 are fine)');
  const n = Math.round(Math.sqrt(flat.length));
  if ((flat.length !== 9 && flat.length !== 25) || n * n !== flat.length) {
    throw new Error(`kernel: expected 9 (3×3) or 25 (5×5) numbers, got ${flat.length}`);
  }
  if (values.length > 1 && values.some((r) => r.length !== n)) throw new Error(`kernel: expected ${n} numbers on each of ${n} rows`);
  return { kh: n, kw: n, data: Float32Array.from(flat) };
}

function parseNumber(s: string): number {
  const m = /^([-+]?[\d.]+(?:e[-+]?\d+)?)\/([\d.]+(?:e[-+]?\d+)?)$/i.exec(s);
  if (m) return Number(m[1]) / Number(m[2]);
  return s.trim() === '' ? NaN : Number(s);
}

/** RGBA bytes → a [1, 3, h, w] float tensor with values 0..255. */
export function rgbaToTensor(rgba: ArrayLike<number>, width: number, height: number): Tensor {
  const n = width * height;
  const out = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    out[p] = rgba[p * 4];
    out[n + p] = rgba[p * 4 + 1];
    out[2 * n + p] = rgba[p * 4 + 2];
  }
  return fromTypedArray(out, [1, 3, height, width]);
}

/** A [1, C, h, w] tensor (C = 1 or 3) → RGBA bytes, rounded and clamped to 0..255. */
export function tensorToRgba(t: Tensor): Uint8ClampedArray {
  const [, c, h, w] = t.shape;
  const d = t.contiguous().data();
  const n = h * w;
  const out = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.round(d[(c === 1 ? 0 : k) * n + p]);
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Luma (BT.601) of a [1, 3, h, w] tensor as [1, 1, h, w]. */
export function toGray(t: Tensor): Tensor {
  const [r, g, b] = t.unbind(1);
  return r.mul(0.299).add(g.mul(0.587)).add(b.mul(0.114)).unsqueeze(1);
}

/**
 * Convolve every channel of x [1, C, h, w] with one kernel (cross-correlation,
 * as conv2d), padding by replicating the edge: output has x's size.
 */
export function convolve(x: Tensor, k: Kernel): Tensor {
  return noGrad(() => {
    const C = x.shape[1];
    const top = Math.floor((k.kh - 1) / 2);
    const left = Math.floor((k.kw - 1) / 2);
    const padded = F.pad(x, [left, k.kw - 1 - left, top, k.kh - 1 - top], { mode: 'replicate' });
    const w = fromTypedArray(new Float32Array(C * k.kh * k.kw).map((_, i) => k.data[i % (k.kh * k.kw)]), [C, 1, k.kh, k.kw]);
    return F.conv2d(padded, w, null, { groups: C });
  });
}

/** Transpose a 1 × n kernel into n × 1. */
function vertical(k: Kernel): Kernel {
  return { kh: k.kw, kw: k.kh, data: k.data };
}

export function boxBlur(x: Tensor, size: number): Tensor {
  const k = boxKernel1d(size);
  return convolve(convolve(x, k), vertical(k));
}

/** Gaussian blur with standard deviation σ (separable: a row pass, then a column pass). */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  const k = gaussianKernel1d(sigma);
  return convolve(convolve(x, k), vertical(k));
}

export function sharpen(x: Tensor, amount: number): Tensor {
  return convolve(x, sharpenKernel(amount));
}

/** Sobel gradient magnitude of the luma, and the two derivatives. */
export function sobel(x: Tensor): { magnitude: Tensor; gx: Tensor; gy: Tensor } {
  return noGrad(() => {
    const gray = toGray(x);
    const gx = convolve(gray, SOBEL_X);
    const gy = convolve(gray, SOBEL_Y);
    return { magnitude: gx.square().add(gy.square()).sqrt(), gx, gy };
  });
}

export interface GaborResponse {
  theta: number;
  lambda: number;
  kernel: Kernel;
  /** |response| of the luma, [1, 1, h, w]. */
  response: Tensor;
}

/**
 * A bank of Gabor filters: `orientations` angles in [0, π) × wavelengths
 * `lambdas`, on the luma. The orientations of one wavelength share a kernel
 * size, so each wavelength is one conv2d with `orientations` output channels.
 */
export function gaborBank(x: Tensor, orientations: number, lambdas: readonly number[]): GaborResponse[] {
  return noGrad(() => {
    const gray = toGray(x);
    const out: GaborResponse[] = [];
    for (const lambda of lambdas) {
      const thetas = Array.from({ length: orientations }, (_, o) => (o * Math.PI) / orientations);
      const ks = thetas.map((theta) => gaborKernel({ theta, lambda }));
      const { kh, kw } = ks[0];
      const r = (kh - 1) / 2;
      const padded = F.pad(gray, [r, r, r, r], { mode: 'replicate' });
      const w = new Float32Array(orientations * kh * kw);
      ks.forEach((k, o) => w.set(k.data, o * kh * kw));
      const responses = F.conv2d(padded, fromTypedArray(w, [orientations, 1, kh, kw])).abs();
      thetas.forEach((theta, o) => out.push({ theta, lambda, kernel: ks[o], response: responses.narrow(1, o, 1) }));
    }
    return out;
  });
}

/** Scale a tensor's values linearly so its maximum becomes 255 (for showing responses). */
export function normalizeForDisplay(t: Tensor, max?: number): Tensor {
  const m = max ?? t.amax().item();
  return m > 0 ? t.mul(255 / m) : t;
}

/**
 * Histogram equalisation of the luma (colours kept: each pixel's RGB is
 * scaled by newLuma / oldLuma). Pure JS over the RGBA bytes.
 */
export function equalizeHistogram(rgba: Uint8ClampedArray): Uint8ClampedArray {
  const n = rgba.length / 4;
  const luma = new Uint8Array(n);
  const hist = new Uint32Array(256);
  for (let p = 0; p < n; p++) {
    const y = Math.round(0.299 * rgba[p * 4] + 0.587 * rgba[p * 4 + 1] + 0.114 * rgba[p * 4 + 2]);
    luma[p] = y;
    hist[y]++;
  }
  const cdf = new Uint32Array(256);
  let acc = 0;
  for (let v = 0; v < 256; v++) cdf[v] = acc += hist[v];
  let cdfMin = 0;
  for (let v = 0; v < 256; v++) if (cdf[v] > 0) { cdfMin = cdf[v]; break; }
  const denom = Math.max(1, n - cdfMin);
  const map = Float32Array.from(cdf, (c) => Math.max(0, Math.round(((c - cdfMin) / denom) * 255)));
  const out = new Uint8ClampedArray(rgba.length);
  for (let p = 0; p < n; p++) {
    const y = luma[p];
    const target = map[y];
    if (y === 0) {
      out[p * 4] = out[p * 4 + 1] = out[p * 4 + 2] = target;
    } else {
      const s = target / y;
      for (let k = 0; k < 3; k++) out[p * 4 + k] = rgba[p * 4 + k] * s;
    }
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Histogram of the luma (256 bins) of RGBA bytes. */
export function lumaHistogram(rgba: ArrayLike<number>): number[] {
  const hist = new Array<number>(256).fill(0);
  for (let p = 0; p < rgba.length / 4; p++) hist[Math.round(0.299 * rgba[p * 4] + 0.587 * rgba[p * 4 + 1] + 0.114 * rgba[p * 4 + 2])]++;
  return hist;
}
