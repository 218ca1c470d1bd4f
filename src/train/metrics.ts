/** Classification and segmentation metrics over logits and int32 labels. */
import type { Tensor } from '../tensor/tensor.js';
import { shapeStr } from '../tensor/shape.js';

function checkPair(logits: Tensor, target: Tensor, op: string): void {
  if (target.dtype !== 'int32') throw new Error(`${op}: target must be int32 class indices, got ${target.dtype}`);
  if (logits.ndim !== target.ndim + 1 || logits.shape[0] !== target.shape[0]) {
    throw new Error(`${op}: expected logits [N, C, ...] and target [N, ...], got ${shapeStr(logits.shape)} and ${shapeStr(target.shape)}`);
  }
}

/** Number of samples whose target is among the k highest logits (ties broken by lower index, as torch.topk). */
export function topkCorrect(logits: Tensor, target: Tensor, k = 1): number {
  checkPair(logits, target, 'topkCorrect');
  const [n, c] = logits.shape;
  if (k < 1 || k > c) throw new Error(`topkCorrect: k must be in [1, ${c}], got ${k}`);
  const scores = logits.contiguous().data();
  const labels = target.data();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = scores[i * c + labels[i]];
    // The target is in the top k when fewer than k classes beat it.
    let better = 0;
    for (let j = 0; j < c && better < k; j++) {
      const v = scores[i * c + j];
      if (v > t || (v === t && j < labels[i])) better++;
    }
    if (better < k) correct++;
  }
  return correct;
}

/** Fraction of samples whose top-k predictions contain the target. */
export function accuracy(logits: Tensor, target: Tensor, k = 1): number {
  return logits.shape[0] === 0 ? 0 : topkCorrect(logits, target, k) / logits.shape[0];
}

/** A numClasses × numClasses matrix of counts: rows are true classes, columns predictions. */
export class ConfusionMatrix {
  readonly counts: Int32Array;

  constructor(readonly numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ConfusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
    this.counts = new Int32Array(numClasses * numClasses);
  }

  /** Add a batch: predictions as logits [N, C, ...] or int32 class indices [N, ...]. */
  update(predicted: Tensor, target: Tensor): this {
    const classes = predicted.dtype === 'int32' ? predicted : predicted.argmax(1);
    if (classes.size !== target.size) {
      throw new Error(`ConfusionMatrix.update: ${classes.size} predictions for ${target.size} targets`);
    }
    const p = classes.contiguous().data();
    const t = target.contiguous().data();
    for (let i = 0; i < p.length; i++) {
      if (t[i] < 0 || t[i] >= this.numClasses) continue; // ignored labels (e.g. 255 or -100 in segmentation)
      this.counts[t[i] * this.numClasses + p[i]]++;
    }
    return this;
  }

  get total(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  accuracy(): number {
    let diag = 0;
    for (let i = 0; i < this.numClasses; i++) diag += this.counts[i * this.numClasses + i];
    return this.total ? diag / this.total : 0;
  }

  /** Per class: of the samples predicted as c, the fraction that are c (NaN if none predicted). */
  precision(): number[] {
    return this.perClass((c, tp) => tp / this.column(c));
  }

  /** Per class: of the samples of class c, the fraction predicted as c (NaN if none present). */
  recall(): number[] {
    return this.perClass((c, tp) => tp / this.row(c));
  }

  f1(): number[] {
    const p = this.precision();
    const r = this.recall();
    return p.map((pi, i) => (2 * pi * r[i]) / (pi + r[i]));
  }

  /** Per-class intersection over union TP / (TP + FP + FN); NaN for classes absent from both. */
  iou(): number[] {
    return this.perClass((c, tp) => tp / (this.row(c) + this.column(c) - tp));
  }

  /** Mean IoU over classes that occur (NaNs skipped), the usual segmentation score. */
  meanIoU(): number {
    const values = this.iou().filter((v) => !Number.isNaN(v));
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  }

  toArray(): number[][] {
    return Array.from({ length: this.numClasses }, (_, i) => Array.from(this.counts.subarray(i * this.numClasses, (i + 1) * this.numClasses)));
  }

  /** A fixed-width table for terminals, rows = true class. */
  format(labels: readonly string[] = [...Array(this.numClasses).keys()].map(String)): string {
    const width = Math.max(5, ...labels.map((l) => l.length), ...Array.from(this.counts, (v) => String(v).length)) + 1;
    const pad = (s: string) => s.padStart(width);
    const head = pad('true\\pred') + labels.map(pad).join('');
    const rows = this.toArray().map((row, i) => pad(labels[i]) + row.map((v) => pad(String(v))).join(''));
    return [head, ...rows].join('\n');
  }

  private row(c: number): number {
    let s = 0;
    for (let j = 0; j < this.numClasses; j++) s += this.counts[c * this.numClasses + j];
    return s;
  }

  private column(c: number): number {
    let s = 0;
    for (let i = 0; i < this.numClasses; i++) s += this.counts[i * this.numClasses + c];
    return s;
  }

  private perClass(fn: (c: number, truePositives: number) => number): number[] {
    return Array.from({ length: this.numClasses }, (_, c) => fn(c, this.counts[c * this.numClasses + c]));
  }
}
