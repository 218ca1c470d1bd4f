/**
 * `strata predict CHECKPOINT image ...`: the top-5 classes with probabilities for each image.
 *
 * Images are brought to the training data's form. For digit models (one channel, MNIST-like) that is
 * MNIST's own preprocessing: grayscale, inverted when the background is light (MNIST is white ink on
 * black), the ink's bounding box scaled to fit 20×20 keeping its aspect ratio and placed in a 28×28
 * field with its centre of mass at the centre. Colour models get a resize of the shorter side and a
 * centre crop. Then the training normalisation (mean/std from the checkpoint).
 */
import { resolve } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { stack } from '../ops/join.js';
import type { Tensor } from '../tensor/tensor.js';
import { Uint8Image, readImage, applyTransform } from '../data/index.js';
import * as dataF from '../data/functional.js';
import { CliError, selectBackend } from './common.js';
import { buildTransform, datasetSpec, preprocessingFor } from './recipes.js';
import { loadModel } from './eval.js';

export interface PredictArgs {
  top?: number;
  invert?: 'auto' | 'yes' | 'no';
  fit?: 'auto' | 'center' | 'resize' | 'none';
  json?: boolean;
  backend?: string;
  model?: string;
  dataset?: string;
}

export interface Prediction {
  image: string;
  top: { index: number; label: string; probability: number }[];
}

/** RGBA (or any) image → gray bytes, compositing transparency over white, PIL's L weights. */
export function toGray(img: Uint8Image): Uint8Image {
  const { channels: c, height: h, width: w, data } = img;
  const plane = h * w;
  const out = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    const hasAlpha = c === 2 || c === 4;
    const alpha = hasAlpha ? data[(c - 1) * plane + p] / 255 : 1;
    const v = c >= 3 ? (data[p] * 299 + data[plane + p] * 587 + data[2 * plane + p] * 114) / 1000 : data[p];
    out[p] = Math.round(v * alpha + 255 * (1 - alpha));
  }
  return new Uint8Image(out, 1, h, w);
}

/** RGBA/gray → RGB, compositing transparency over white. */
export function toRgb(img: Uint8Image): Uint8Image {
  const { channels: c, height: h, width: w, data } = img;
  const plane = h * w;
  const out = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    const alpha = c === 2 || c === 4 ? data[(c - 1) * plane + p] / 255 : 1;
    for (let k = 0; k < 3; k++) {
      const v = c >= 3 ? data[k * plane + p] : data[p];
      out[k * plane + p] = Math.round(v * alpha + 255 * (1 - alpha));
    }
  }
  return new Uint8Image(out, 3, h, w);
}

/** Median of the border pixels of a gray image. */
function borderMedian(img: Uint8Image): number {
  const { height: h, width: w, data } = img;
  const values: number[] = [];
  for (let x = 0; x < w; x++) values.push(data[x], data[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) values.push(data[y * w], data[y * w + w - 1]);
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/**
 * MNIST's normalisation of a digit: ink bounding box scaled to fit `box`×`box` (20), pasted in a
 * size×size (28) field so that its centre of mass lands on the centre. Input: gray, white ink on black.
 */
export function centerDigit(img: Uint8Image, size = 28, box = 20): Uint8Image {
  const { height: h, width: w, data } = img;
  let max = 0;
  for (const v of data) max = Math.max(max, v);
  const threshold = Math.max(1, max * 0.25);
  let top = h;
  let left = w;
  let bottom = -1;
  let right = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x] >= threshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return dataF.resizeTo(img, size, size); // blank image
  const cropped = dataF.crop(img, top, left, bottom - top + 1, right - left + 1);
  const scale = box / Math.max(cropped.height, cropped.width);
  const nh = Math.max(1, Math.round(cropped.height * scale));
  const nw = Math.max(1, Math.round(cropped.width * scale));
  const digit = dataF.resizeTo(cropped, nh, nw, { antialias: true });
  // Centre of mass of the scaled digit.
  let mass = 0;
  let my = 0;
  let mx = 0;
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      const v = digit.data[y * nw + x];
      mass += v;
      my += v * y;
      mx += v * x;
    }
  }
  const cy = mass ? my / mass : (nh - 1) / 2;
  const cx = mass ? mx / mass : (nw - 1) / 2;
  const oy = Math.round((size - 1) / 2 - cy);
  const ox = Math.round((size - 1) / 2 - cx);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < nh; y++) {
    const ty = y + oy;
    if (ty < 0 || ty >= size) continue;
    for (let x = 0; x < nw; x++) {
      const tx = x + ox;
      if (tx >= 0 && tx < size) out[ty * size + tx] = digit.data[y * nw + x];
    }
  }
  return new Uint8Image(out, 1, size, size);
}

/** An image file as the model's raw input image (before ToTensor/Normalize), per the options. */
export function prepareImage(path: string, shape: [number, number, number], args: PredictArgs): Uint8Image {
  let img: Uint8Image;
  try {
    img = readImage(path, { mode: 'unchanged' });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const [c, h, w] = shape;
  const fit = args.fit ?? 'auto';
  if (c === 1) {
    let gray = toGray(img);
    const invert = args.invert ?? 'auto';
    if (invert === 'yes' || (invert === 'auto' && borderMedian(gray) > 127)) gray = new Uint8Image(gray.data.map((v) => 255 - v), 1, gray.height, gray.width);
    if (fit === 'none') return gray;
    if (fit === 'center' || (fit === 'auto' && (gray.height !== h || gray.width !== w))) return centerDigit(gray, Math.min(h, w), Math.round((Math.min(h, w) * 20) / 28));
    if (gray.height !== h || gray.width !== w) return dataF.resizeTo(gray, h, w);
    return gray;
  }
  const rgb = toRgb(img);
  if (fit === 'none' || (rgb.height === h && rgb.width === w)) return rgb;
  if (fit === 'resize') return dataF.resizeTo(rgb, h, w);
  return dataF.centerCrop(dataF.resize(rgb, Math.min(h, w)), [h, w]);
}

export async function runPredict(checkpoint: string, images: string[], args: PredictArgs): Promise<Prediction[]> {
  if (images.length === 0) throw new CliError('predict: give at least one image file');
  selectBackend(args.backend);
  const loaded = loadModel(checkpoint, { model: args.model, dataset: args.dataset });
  const datasetName = loaded.datasetName ?? args.dataset ?? 'mnist';
  const spec = datasetSpec(datasetName);
  const pre = loaded.preprocessing ?? preprocessingFor(spec, spec.shape);
  const classes = loaded.classes ?? Array.from({ length: 10 }, (_, i) => String(i));
  // Images are brought to the dataset's stored size; the training preprocessing (padding, resizing, normalisation) follows.
  const transform = buildTransform(pre);
  const inputs = images.map((p) => applyTransform(transform, prepareImage(p, spec.shape, args)) as Tensor);
  const k = Math.min(args.top ?? 5, classes.length);
  const probs = noGrad(() => (loaded.model.forward(stack(inputs, 0)) as Tensor).softmax(1));
  const n = classes.length;
  const data = probs.contiguous().data();
  const results: Prediction[] = images.map((image, i) => {
    const row = Array.from(data.subarray(i * n, (i + 1) * n));
    const order = row.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k);
    return { image, top: order.map(([p, c]) => ({ index: c, label: classes[c], probability: p })) };
  });
  if (args.json) {
    console.log(JSON.stringify(results, null, 1));
    return results;
  }
  for (const r of results) {
    const best = r.top[0];
    console.log(`${resolve(r.image)}: ${best.label} (${(best.probability * 100).toFixed(2)}%)`);
    r.top.forEach((t, j) => console.log(`  ${j + 1}. ${t.label.padEnd(14)} ${(t.probability * 100).toFixed(2).padStart(6)}%`));
  }
  return results;
}
