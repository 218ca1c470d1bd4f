/**
 * LeNet-5 (modern variant) on Strata: conv5×5(6, pad 2)–ReLU–maxpool2 –
 * conv5×5(16)–ReLU–maxpool2 – fc120–ReLU – fc84–ReLU – fc10, written with
 * Strata's functional API, its initialisers (PyTorch's defaults) and
 * optimisers. Also the analyses the lab shows: feature maps, the images that
 * excite a channel most, confusion matrix. DOM-free (runs in a Web Worker
 * and in Node tests).
 */
import { Generator, fromTypedArray, noGrad, zeros, type Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { kaimingUniform_, uniform_ } from '../../src/nn/init.js';
import { Adam, SGD, type Optimizer } from '../../src/optim/index.js';
import type { MnistSet } from './mnist.js';

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export type LayerName = 'conv1' | 'pool1' | 'conv2' | 'pool2';
export const CONV_LAYERS = ['conv1', 'conv2'] as const;
export type ConvLayer = (typeof CONV_LAYERS)[number];

export interface Activations {
  conv1: Tensor; // [n, 6, 28, 28] after ReLU
  pool1: Tensor; // [n, 6, 14, 14]
  conv2: Tensor; // [n, 16, 10, 10] after ReLU
  pool2: Tensor; // [n, 16, 5, 5]
  logits: Tensor; // [n, 10]
}

interface Param {
  name: string;
  tensor: Tensor;
}

/** PyTorch's default init of a conv/linear layer: kaiming-uniform(a=√5) weights, U(±1/√fanIn) biases. */
function layer(shape: number[], fanIn: number, generator: Generator): { w: Tensor; b: Tensor } {
  const w = zeros(shape);
  kaimingUniform_(w, { a: Math.sqrt(5), generator });
  const b = zeros([shape[0]]);
  const bound = 1 / Math.sqrt(fanIn);
  uniform_(b, { a: -bound, b: bound, generator });
  return { w: w.requiresGrad_(), b: b.requiresGrad_() };
}

export class LeNet5 {
  readonly conv1: { w: Tensor; b: Tensor };
  readonly conv2: { w: Tensor; b: Tensor };
  readonly fc1: { w: Tensor; b: Tensor };
  readonly fc2: { w: Tensor; b: Tensor };
  readonly fc3: { w: Tensor; b: Tensor };

  constructor(seed = 0) {
    const g = new Generator(seed);
    this.conv1 = layer([6, 1, 5, 5], 25, g);
    this.conv2 = layer([16, 6, 5, 5], 150, g);
    this.fc1 = layer([120, 400], 400, g);
    this.fc2 = layer([84, 120], 120, g);
    this.fc3 = layer([10, 84], 84, g);
  }

  namedParameters(): Param[] {
    return (['conv1', 'conv2', 'fc1', 'fc2', 'fc3'] as const).flatMap((n) => [
      { name: `${n}.weight`, tensor: this[n].w },
      { name: `${n}.bias`, tensor: this[n].b },
    ]);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map((p) => p.tensor);
  }

  /** All intermediate activations for input [n, 1, 28, 28] (normalised). */
  activations(x: Tensor): Activations {
    const conv1 = F.relu(F.conv2d(x, this.conv1.w, this.conv1.b, { padding: 2 }));
    const pool1 = F.maxPool2d(conv1, 2);
    const conv2 = F.relu(F.conv2d(pool1, this.conv2.w, this.conv2.b));
    const pool2 = F.maxPool2d(conv2, 2);
    const h1 = F.relu(F.linear(pool2.flatten(1), this.fc1.w, this.fc1.b));
    const h2 = F.relu(F.linear(h1, this.fc2.w, this.fc2.b));
    const logits = F.linear(h2, this.fc3.w, this.fc3.b);
    return { conv1, pool1, conv2, pool2, logits };
  }

  forward(x: Tensor): Tensor {
    return this.activations(x).logits;
  }
}

/** Images [start, start+n) of a set as a normalised [n, 1, 28, 28] tensor, and their labels (int32). */
export function batchOf(set: MnistSet, indices: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const px = set.rows * set.cols;
  const n = indices.length;
  const x = new Float32Array(n * px);
  const y = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    const base = i * px;
    for (let p = 0; p < px; p++) x[k * px + p] = (set.images[base + p] / 255 - MNIST_MEAN) / MNIST_STD;
    y[k] = set.labels[i];
  }
  return { x: fromTypedArray(x, [n, 1, set.rows, set.cols]), y: fromTypedArray(y, [n]) };
}

/** A 28×28 image in [0, 1] (e.g. a drawn digit) as a normalised [1, 1, 28, 28] tensor. */
export function imageTensor(pixels: ArrayLike<number>): Tensor {
  return fromTypedArray(Float32Array.from(pixels, (v) => (v - MNIST_MEAN) / MNIST_STD), [1, 1, 28, 28]);
}

export type OptimizerName = 'sgd' | 'adam';

export function makeOptimizer(model: LeNet5, name: OptimizerName, lr: number): Optimizer<{ lr: number }> {
  return name === 'adam' ? new Adam(model.parameters(), { lr }) : new SGD(model.parameters(), { lr, momentum: 0.9 });
}

/** One step of minibatch training; returns the loss and the number of correct predictions. */
export function trainStep(model: LeNet5, opt: Optimizer<{ lr: number }>, x: Tensor, y: Tensor): { loss: number; correct: number } {
  opt.zeroGrad();
  const logits = model.forward(x);
  const loss = F.crossEntropy(logits, y);
  loss.backward();
  opt.step();
  return { loss: loss.item(), correct: countCorrect(logits, y) };
}

function countCorrect(logits: Tensor, y: Tensor): number {
  const pred = logits.argmax(1).data();
  const t = y.data();
  let c = 0;
  for (let i = 0; i < t.length; i++) if (pred[i] === t[i]) c++;
  return c;
}

export interface Evaluation {
  accuracy: number;
  loss: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** Misclassified test indices with their labels and predictions. */
  mistakes: { index: number; label: number; predicted: number; confidence: number }[];
}

/** Accuracy, loss and confusion matrix over `indices` of a set (no gradients). */
export function evaluate(model: LeNet5, set: MnistSet, indices: ArrayLike<number>, batchSize = 250): Evaluation {
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const mistakes: Evaluation['mistakes'] = [];
  let lossSum = 0;
  let correct = 0;
  noGrad(() => {
    for (let s = 0; s < indices.length; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, indices.length - s) }, (_, k) => indices[s + k]);
      const { x, y } = batchOf(set, idx);
      const logits = model.forward(x);
      lossSum += F.crossEntropy(logits, y, { reduction: 'sum' }).item();
      const probs = logits.softmax(1).data();
      const labels = y.data();
      for (let k = 0; k < idx.length; k++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (probs[k * 10 + c] > probs[k * 10 + best]) best = c;
        confusion[labels[k]][best]++;
        if (best === labels[k]) correct++;
        else mistakes.push({ index: idx[k], label: labels[k], predicted: best, confidence: probs[k * 10 + best] });
      }
    }
  });
  const n = Math.max(1, indices.length);
  return { accuracy: correct / n, loss: lossSum / n, confusion, mistakes };
}

/** Class probabilities for one image in [0, 1] (28×28). */
export function predict(model: LeNet5, pixels: ArrayLike<number>): number[] {
  return noGrad(() => Array.from(model.forward(imageTensor(pixels)).softmax(1).data()));
}

/** Every layer's activations for one test image, as plain arrays: maps[layer] = [channels][h·w]. */
export function featureMaps(model: LeNet5, set: MnistSet, index: number): Record<LayerName, { shape: [number, number, number]; data: Float32Array }> {
  return noGrad(() => {
    const acts = model.activations(batchOf(set, [index]).x);
    const pick = (t: Tensor) => ({ shape: [t.shape[1], t.shape[2], t.shape[3]] as [number, number, number], data: Float32Array.from(t.data()) });
    return { conv1: pick(acts.conv1), pool1: pick(acts.pool1), conv2: pick(acts.conv2), pool2: pick(acts.pool2) };
  });
}

/** Receptive field in the 28×28 input of unit (row, col) of a conv layer: [top, left, size] (may extend past the border). */
export function receptiveField(layer: ConvLayer, row: number, col: number): [number, number, number] {
  // conv1: 5×5, padding 2. conv2: 5×5 on pool1 (2×2, stride 2) → 14×14 in the input.
  return layer === 'conv1' ? [row - 2, col - 2, 5] : [2 * row - 2, 2 * col - 2, 14];
}

export interface TopActivation {
  index: number;
  label: number;
  value: number;
  /** Position of the strongest unit of the channel in that image. */
  row: number;
  col: number;
  /** Its receptive field in the input: top, left, size. */
  field: [number, number, number];
}

/** The images among `indices` whose channel `channel` of `layer` fires most (max over positions), best first. */
export function topActivations(model: LeNet5, set: MnistSet, indices: ArrayLike<number>, layer: ConvLayer, channel: number, k = 9, batchSize = 250): TopActivation[] {
  const found: TopActivation[] = [];
  noGrad(() => {
    for (let s = 0; s < indices.length; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, indices.length - s) }, (_, j) => indices[s + j]);
      const acts = model.activations(batchOf(set, idx).x)[layer];
      const [, C, H, W] = acts.shape;
      if (channel < 0 || channel >= C) throw new Error(`topActivations: ${layer} has ${C} channels, got channel ${channel}`);
      const data = acts.contiguous().data();
      for (let j = 0; j < idx.length; j++) {
        const base = (j * C + channel) * H * W;
        let best = 0;
        for (let p = 1; p < H * W; p++) if (data[base + p] > data[base + best]) best = p;
        const row = Math.floor(best / W);
        const col = best % W;
        found.push({ index: idx[j], label: set.labels[idx[j]], value: data[base + best], row, col, field: receptiveField(layer, row, col) });
      }
      found.sort((a, b) => b.value - a.value);
      found.length = Math.min(found.length, k);
    }
  });
  return found;
}

/** conv1's filters as [6][25] and conv2's as [16][6][25]. */
export function filters(model: LeNet5): { conv1: number[][]; conv2: number[][][] } {
  const w1 = model.conv1.w.data();
  const w2 = model.conv2.w.data();
  return {
    conv1: Array.from({ length: 6 }, (_, o) => Array.from(w1.subarray(o * 25, o * 25 + 25))),
    conv2: Array.from({ length: 16 }, (_, o) => Array.from({ length: 6 }, (_, i) => Array.from(w2.subarray((o * 6 + i) * 25, (o * 6 + i) * 25 + 25)))),
  };
}
