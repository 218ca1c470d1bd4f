/**
 * A PNG grid of misclassified images, each captioned `true>predicted` (class indices, true in green,
 * predicted in red) in a 3×5 pixel font, like the figure of LeNet-5's errors in the 1998 paper.
 */
import { Tensor } from '../tensor/tensor.js';
import { Uint8Image, saveImagePng } from '../data/image.js';
import type { Misclassified } from './evaluate.js';

const GLYPHS: Record<string, string[]> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '011', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '010', '010', '010'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
  '>': ['100', '010', '001', '010', '100'],
  '?': ['111', '001', '011', '000', '010'],
};

/** Something that can give the raw image of sample i. */
export type ImageSource =
  | { image(index: number): Uint8Image }
  | { get(index: number): unknown }
  | ((index: number) => Uint8Image | Tensor);

function toBytes(t: Tensor): Uint8Image {
  const x = t.ndim === 2 ? t.unsqueeze(0) : t;
  if (x.ndim !== 3) throw new Error(`error grid: expected CHW images, got shape [${x.shape}]`);
  const data = x.contiguous().data();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const span = hi - lo || 1;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(((data[i] - lo) / span) * 255);
  return new Uint8Image(out, x.shape[0], x.shape[1], x.shape[2]);
}

function imageOf(source: ImageSource, index: number): Uint8Image {
  let img: unknown;
  if (typeof source === 'function') img = source(index);
  else if ('image' in source && typeof source.image === 'function') img = source.image(index);
  else img = (source as { get(i: number): unknown }).get(index);
  if (Array.isArray(img)) img = img[0];
  if (img instanceof Uint8Image) return img;
  if (img instanceof Tensor) return toBytes(img);
  throw new Error(`error grid: sample ${index} is not an image (expected a Uint8Image or a tensor)`);
}

/** Draw text (digits, '>') into an RGB image at (x, y) with per-character colours. */
function drawText(img: Uint8Array, width: number, height: number, x0: number, y0: number, text: string, colors: [number, number, number][]): void {
  const plane = width * height;
  [...text].forEach((ch, k) => {
    const glyph = GLYPHS[ch] ?? GLYPHS['?'];
    const color = colors[k];
    for (let gy = 0; gy < 5; gy++) {
      for (let gx = 0; gx < 3; gx++) {
        if (glyph[gy][gx] !== '1') continue;
        const x = x0 + k * 4 + gx;
        const y = y0 + gy;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        for (let c = 0; c < 3; c++) img[c * plane + y * width + x] = color[c];
      }
    }
  });
}

/** One tile: the image (as RGB) above a 7-pixel caption `t>p`. */
export function captionedTile(image: Uint8Image, target: number, predicted: number): Uint8Image {
  const { height: h, width: w } = image;
  const H = h + 7;
  const out = new Uint8Array(3 * H * w);
  const src = image.data;
  const plane = h * w;
  for (let c = 0; c < 3; c++) {
    const from = image.channels === 1 ? 0 : Math.min(c, image.channels - 1);
    for (let p = 0; p < plane; p++) out[c * H * w + p] = src[from * plane + p];
  }
  const text = `${target}>${predicted}`;
  const colors: [number, number, number][] = [
    ...[...String(target)].map(() => [80, 220, 80] as [number, number, number]),
    [200, 200, 200],
    ...[...String(predicted)].map(() => [255, 80, 80] as [number, number, number]),
  ];
  const x0 = Math.max(0, Math.floor((w - (text.length * 4 - 1)) / 2));
  drawText(out, w, H, x0, h + 1, text, colors);
  return new Uint8Image(out, 3, H, w);
}

export interface ErrorGridOptions {
  /** Tiles per row (default 10). */
  nrow?: number;
  /** At most this many errors (default all). */
  max?: number;
}

/** Write the misclassified samples of `source` (a dataset with image(i) or get(i)) as a captioned PNG grid. */
export function saveErrorGrid(path: string, source: ImageSource, errors: readonly Misclassified[], options: ErrorGridOptions = {}): number {
  const list = errors.slice(0, options.max ?? errors.length);
  if (list.length === 0) throw new Error('saveErrorGrid: there are no misclassified images to draw');
  const tiles = list.map((m) => captionedTile(imageOf(source, m.index), m.target, m.predicted));
  saveImagePng(path, tiles, { nrow: options.nrow ?? 10, padding: 2, padValue: 0.25 });
  return tiles.length;
}
