/**
 * evaluate(model, loader): test loss, accuracy, top-k, the confusion matrix with per-class
 * precision/recall, mean IoU, and the misclassified samples (index, true → predicted).
 */
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { crossEntropy } from '../ops/loss.js';
import { ConfusionMatrix } from './metrics.js';
import { MetricAccumulator, resolveMetrics, type MetricSpec } from './epoch-metrics.js';
import { batchesOf, batchSizeOf, defaultPrepareBatch, logitsOf } from './loop.js';
import type { BatchSource, LossFn } from './types.js';

export interface Misclassified {
  /** Position of the sample in the (unshuffled) loader's dataset. */
  index: number;
  /** True class. */
  target: number;
  /** Predicted class (argmax). */
  predicted: number;
  /** Softmax probability of the predicted class. */
  confidence: number;
}

export interface EvaluateOptions {
  /** Default F.crossEntropy. */
  loss?: LossFn;
  /** Extra metrics (see fit); accuracy, top-5 and the confusion matrix are always computed. */
  metrics?: MetricSpec[];
  /** Number of classes (default: the output's size along dim 1). */
  numClasses?: number;
  /** Collect the misclassified samples (default true; classification outputs [N, C] only). */
  misclassified?: boolean;
  /** Split a batch into [input, target] (default: [x, y] arrays). */
  prepareBatch?: (batch: any) => [any, Tensor];
  /** Called after each batch with (batches done, batches total or null). */
  onBatch?: (done: number, total: number | null) => void;
}

export interface Evaluation {
  loss: number;
  /** Top-1 accuracy (fraction). */
  accuracy: number;
  /** 1 − accuracy. */
  error: number;
  /** Top-5 accuracy (top-C when there are fewer than 5 classes). */
  top5Accuracy: number;
  /** Samples evaluated. */
  count: number;
  confusion: ConfusionMatrix;
  /** Per class (NaN where undefined). */
  precision: number[];
  recall: number[];
  meanIoU: number;
  misclassified: Misclassified[];
  /** Every value as fit() logs it (valLoss, valAccuracy, ... without the prefix). */
  logs: Record<string, unknown>;
}

/**
 * Run the model in evaluation mode without gradients over every batch of `loader` (which must not
 * shuffle when misclassified indices are wanted) and summarise. The model's training mode is restored.
 */
export async function evaluate(model: Module, loader: BatchSource, options: EvaluateOptions = {}): Promise<Evaluation> {
  const collect = options.misclassified ?? true;
  if (collect && (loader as { shuffle?: unknown }).shuffle === true) {
    throw new Error('evaluate: the loader shuffles, so the misclassified indices would not be dataset indices; use shuffle: false (or misclassified: false)');
  }
  const metrics = resolveMetrics(['accuracy', 'error', 'top5', 'confusionMatrix', 'precision', 'recall', 'meanIoU', ...(options.metrics ?? [])]);
  const acc = await runEvaluation(model, loader, {
    loss: options.loss ?? crossEntropy,
    metrics: new MetricAccumulator(metrics, options.numClasses ?? null),
    prepareBatch: options.prepareBatch,
    collect,
    onBatch: options.onBatch,
  });
  const logs = acc.metrics.result();
  const cm = acc.metrics.confusion ?? new ConfusionMatrix(options.numClasses ?? 1);
  return {
    loss: acc.metrics.meanLoss,
    accuracy: logs.accuracy as number,
    error: logs.error as number,
    top5Accuracy: logs.top5Accuracy as number,
    count: acc.metrics.count,
    confusion: cm,
    precision: cm.precision(),
    recall: cm.recall(),
    meanIoU: cm.meanIoU(),
    misclassified: acc.misclassified,
    logs,
  };
}

export interface RunEvaluationOptions {
  loss: LossFn;
  metrics: MetricAccumulator;
  prepareBatch?: (batch: any) => [any, Tensor];
  collect?: boolean;
  onBatch?: (done: number, total: number | null) => void;
}

/** The evaluation loop (also fit()'s validation). @internal */
export async function runEvaluation(
  model: Module,
  loader: BatchSource,
  options: RunEvaluationOptions,
): Promise<{ metrics: MetricAccumulator; misclassified: Misclassified[] }> {
  const wasTraining = model.training;
  model.eval();
  const prepare = options.prepareBatch ?? defaultPrepareBatch;
  const misclassified: Misclassified[] = [];
  const total = typeof loader.length === 'number' ? loader.length : null;
  let seen = 0;
  let done = 0;
  try {
    for await (const batch of batchesOf(loader)) {
      const [input, target] = prepare(batch);
      noGrad(() => {
        const output = model.forward(input);
        const loss = options.loss(output, target).item();
        const logits = logitsOf(output);
        const n = batchSizeOf(input, target);
        options.metrics.update(logits, target, loss, n);
        if (options.collect && logits.ndim === 2) {
          const probs = logits.softmax(1).contiguous().data();
          const pred = logits.argmax(1).data();
          const t = target.contiguous().data();
          const c = logits.shape[1];
          for (let i = 0; i < n; i++) {
            if (pred[i] !== t[i]) misclassified.push({ index: seen + i, target: t[i], predicted: pred[i], confidence: probs[i * c + pred[i]] });
          }
        }
        seen += n;
      });
      options.onBatch?.(++done, total);
    }
  } finally {
    model.train(wasTraining);
  }
  return { metrics: options.metrics, misclassified };
}

/** `index: true → predicted (confidence)` lines, as in the LeNet-5 paper's figure of errors. */
export function formatMisclassified(list: readonly Misclassified[], classNames?: readonly string[]): string {
  const name = (c: number) => (classNames?.[c] !== undefined ? classNames[c] : String(c));
  return list.map((m) => `${String(m.index).padStart(6)}: ${name(m.target)} → ${name(m.predicted)} (${(m.confidence * 100).toFixed(1)}%)`).join('\n');
}
