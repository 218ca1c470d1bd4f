/**
 * Metric names accepted by fit() / evaluate() and their accumulation over an epoch.
 *
 * | name                         | logged as                          |
 * |------------------------------|------------------------------------|
 * | 'accuracy' ('acc', 'top1')   | accuracy (top-1, a fraction)       |
 * | 'error'                      | error (1 − top-1 accuracy)         |
 * | 'top5' ('top5Accuracy')      | top5Accuracy (any k ≥ 1)           |
 * | 'top5Error'                  | top5Error                          |
 * | 'confusionMatrix' ('confusion') | confusionMatrix (rows = true class) |
 * | 'precision', 'recall', 'f1'  | per-class arrays + macroPrecision / macroRecall / macroF1 |
 * | 'meanIoU' ('miou')           | meanIoU, plus per-class iou        |
 * | {name, fn}                   | name: mean of fn(output, target) weighted by batch size |
 *
 * Validation values get a `val` prefix: valLoss, valAccuracy, valConfusionMatrix, ...
 */
import type { Tensor } from '../tensor/tensor.js';
import { ConfusionMatrix, topkCorrect } from './metrics.js';

/** A custom metric: per batch fn(output, target) → a number, averaged over samples. */
export interface CustomMetric {
  name: string;
  fn: (output: Tensor, target: Tensor) => number;
}

export type MetricSpec = string | CustomMetric;

export interface ResolvedMetrics {
  /** Top-k accuracies to compute (k values). */
  topk: number[];
  /** Report top-k errors for these k. */
  errors: number[];
  /** Report accuracies for these k (top-1 for 'accuracy'). */
  accuracies: number[];
  confusion: boolean;
  precision: boolean;
  recall: boolean;
  f1: boolean;
  iou: boolean;
  custom: CustomMetric[];
}

const KNOWN = "accuracy, error, top<k> (e.g. top5), top<k>Error, confusionMatrix, precision, recall, f1, meanIoU, or {name, fn}";

/** Parse metric names (throws on unknown ones, listing the accepted names). */
export function resolveMetrics(specs: readonly MetricSpec[]): ResolvedMetrics {
  const r: ResolvedMetrics = { topk: [], errors: [], accuracies: [], confusion: false, precision: false, recall: false, f1: false, iou: false, custom: [] };
  const addK = (list: number[], k: number) => {
    if (!list.includes(k)) list.push(k);
    if (!r.topk.includes(k)) r.topk.push(k);
  };
  for (const spec of specs) {
    if (typeof spec === 'object' && spec !== null && typeof spec.fn === 'function' && typeof spec.name === 'string') {
      r.custom.push(spec);
      continue;
    }
    if (typeof spec !== 'string') throw new Error(`metrics: expected a metric name or {name, fn}, got ${JSON.stringify(spec)}; known: ${KNOWN}`);
    const s = spec.trim();
    const lower = s.toLowerCase();
    let m: RegExpMatchArray | null;
    if (['accuracy', 'acc', 'top1', 'top1accuracy'].includes(lower)) addK(r.accuracies, 1);
    else if (['error', 'top1error', 'err'].includes(lower)) addK(r.errors, 1);
    else if ((m = lower.match(/^top-?(\d+)(accuracy|acc)?$/))) addK(r.accuracies, Number(m[1]));
    else if ((m = lower.match(/^top-?(\d+)(error|err)$/))) addK(r.errors, Number(m[1]));
    else if (['confusion', 'confusionmatrix'].includes(lower)) r.confusion = true;
    else if (lower === 'precision') r.precision = true;
    else if (lower === 'recall') r.recall = true;
    else if (lower === 'f1') r.f1 = true;
    else if (['meaniou', 'miou', 'iou'].includes(lower)) r.iou = true;
    else if (lower === 'loss') continue; // always reported
    else throw new Error(`metrics: unknown metric '${s}'; known: ${KNOWN}`);
  }
  for (const k of r.topk) if (!Number.isInteger(k) || k < 1) throw new Error(`metrics: top-k needs k ≥ 1, got ${k}`);
  return r;
}

function needsConfusion(r: ResolvedMetrics): boolean {
  return r.confusion || r.precision || r.recall || r.f1 || r.iou;
}

const mean = (xs: number[]): number | null => {
  const v = xs.filter((x) => !Number.isNaN(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};
const nanToNull = (xs: number[]): number[] => xs.map((x) => (Number.isNaN(x) ? (null as unknown as number) : x));

/** Running sums of one epoch (training or validation). */
export class MetricAccumulator {
  lossSum = 0;
  /** Samples seen (for losses and per-sample metrics). */
  count = 0;
  /** Predictions counted for accuracies (pixels for segmentation outputs). */
  predictions = 0;
  readonly correct = new Map<number, number>();
  readonly customSums = new Map<string, number>();
  confusion: ConfusionMatrix | null = null;

  constructor(readonly metrics: ResolvedMetrics, private numClasses: number | null = null) {
    for (const k of metrics.topk) this.correct.set(k, 0);
    for (const c of metrics.custom) this.customSums.set(c.name, 0);
  }

  /** Add a batch: output logits [N, C, ...], target int32 [N, ...], the batch's mean loss. */
  update(output: Tensor, target: Tensor, loss: number, batchSize: number): void {
    this.lossSum += loss * batchSize;
    this.count += batchSize;
    const m = this.metrics;
    if (m.topk.length) {
      if (output.ndim === 2) {
        for (const k of m.topk) this.correct.set(k, this.correct.get(k)! + topkCorrect(output, target, Math.min(k, output.shape[1])));
        this.predictions += output.shape[0];
      } else {
        // Dense predictions (segmentation): top-1 over every position.
        const pred = output.argmax(1).contiguous().data();
        const t = target.contiguous().data();
        let ok = 0;
        for (let i = 0; i < t.length; i++) if (pred[i] === t[i]) ok++;
        for (const k of m.topk) this.correct.set(k, this.correct.get(k)! + ok);
        this.predictions += t.length;
      }
    }
    if (needsConfusion(m)) {
      if (!this.confusion) this.confusion = new ConfusionMatrix(this.numClasses ?? output.shape[1]);
      this.confusion.update(output, target);
    }
    for (const c of m.custom) this.customSums.set(c.name, this.customSums.get(c.name)! + c.fn(output, target) * batchSize);
  }

  get meanLoss(): number {
    return this.count ? this.lossSum / this.count : NaN;
  }

  /** The epoch's values, keys prefixed with `prefix` ('' or 'val'). */
  result(prefix = ''): Record<string, number | number[] | number[][] | null> {
    const key = (name: string) => (prefix ? prefix + name[0].toUpperCase() + name.slice(1) : name);
    const out: Record<string, number | number[] | number[][] | null> = {};
    out[key('loss')] = this.meanLoss;
    const m = this.metrics;
    const acc = (k: number) => (this.predictions ? this.correct.get(k)! / this.predictions : 0);
    for (const k of m.accuracies) out[key(k === 1 ? 'accuracy' : `top${k}Accuracy`)] = acc(k);
    for (const k of m.errors) out[key(k === 1 ? 'error' : `top${k}Error`)] = 1 - acc(k);
    const cm = this.confusion;
    if (cm) {
      if (m.confusion) out[key('confusionMatrix')] = cm.toArray();
      if (m.precision) {
        const p = cm.precision();
        out[key('precision')] = nanToNull(p);
        out[key('macroPrecision')] = mean(p);
      }
      if (m.recall) {
        const r = cm.recall();
        out[key('recall')] = nanToNull(r);
        out[key('macroRecall')] = mean(r);
      }
      if (m.f1) {
        const f = cm.f1();
        out[key('f1')] = nanToNull(f);
        out[key('macroF1')] = mean(f);
      }
      if (m.iou) {
        out[key('iou')] = nanToNull(cm.iou());
        out[key('meanIoU')] = cm.meanIoU();
      }
    }
    for (const c of m.custom) out[key(c.name)] = this.count ? this.customSums.get(c.name)! / this.count : NaN;
    return out;
  }
}
