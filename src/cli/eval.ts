/** `strata eval CHECKPOINT`: test loss, accuracy, confusion matrix, per-class precision/recall and the misclassified images. */
import { resolve } from 'node:path';
import type { Module } from '../nn/module.js';
import * as models from '../models/index.js';
import { DataLoader } from '../data/index.js';
import { loadCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.js';
import { evaluate, formatMisclassified } from '../train/evaluate.js';
import { saveErrorGrid } from '../train/error-grid.js';
import { CliError, dataRoot, percent, selectBackend } from './common.js';
import { buildTransform, datasetSpec, limited, preprocessingFor, type Preprocessing } from './recipes.js';
import { buildModel, type RunConfig } from './train.js';

export interface EvalArgs {
  dataset?: string;
  model?: string;
  data?: string;
  batchSize?: number;
  limit?: number;
  grid?: string;
  errors?: number;
  backend?: string;
}

export interface LoadedModel {
  model: Module;
  config: RunConfig | null;
  modelName: string;
  datasetName: string | null;
  classes: string[] | null;
  preprocessing: Preprocessing | null;
  checkpoint: LoadedCheckpoint;
}

/**
 * A model from a checkpoint: its sidecar's config names the zoo model, its options and the preprocessing;
 * a bare safetensors file needs `model` (and `dataset` for the preprocessing).
 */
export function loadModel(path: string, overrides: { model?: string; dataset?: string } = {}): LoadedModel {
  let checkpoint: LoadedCheckpoint;
  try {
    checkpoint = loadCheckpoint(path);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const config = (checkpoint.data?.config as unknown as RunConfig | undefined) ?? null;
  const modelName = overrides.model ?? config?.model;
  if (!modelName) throw new CliError(`${checkpoint.paths.weights} has no sidecar with the run configuration; pass --model NAME (and --dataset)`);
  const datasetName = config?.dataset ?? overrides.dataset ?? null;
  let model: Module;
  const classes = config?.classes ?? null;
  let preprocessing = config?.preprocessing ?? null;
  if (config && modelName === config.model) {
    model = models.create(modelName, config.modelOptions ?? {});
  } else {
    const spec = datasetSpec(overrides.dataset ?? datasetName ?? 'mnist');
    const classCount = classes?.length ?? inferClasses(checkpoint);
    const built = buildModel(modelName, classCount, spec.shape[0]);
    model = built.model;
    preprocessing ??= preprocessingFor(spec, built.inputSize);
  }
  try {
    model.loadStateDict(checkpoint.stateDict);
  } catch (e) {
    throw new CliError(`${checkpoint.paths.weights} does not fit model '${modelName}': ${(e as Error).message.split('\n').slice(1).join(' ').trim()}`);
  }
  model.eval();
  return { model, config, modelName, datasetName, classes, preprocessing, checkpoint };
}

/** Number of outputs of the last 2-D weight in a state dict (the classifier), default 10. */
function inferClasses(ckpt: LoadedCheckpoint): number {
  const weights = [...ckpt.stateDict.entries()].filter(([k, t]) => k.endsWith('weight') && t.ndim === 2);
  return weights.length ? weights[weights.length - 1][1].shape[0] : 10;
}


export async function runEval(path: string, args: EvalArgs): Promise<number> {
  const backend = selectBackend(args.backend);
  const loaded = loadModel(path, { model: args.model, dataset: args.dataset });
  const datasetName = args.dataset ?? loaded.datasetName;
  if (!datasetName) throw new CliError('pass --dataset (the checkpoint does not say which dataset it was trained on)');
  const spec = datasetSpec(datasetName);
  const pre = loaded.preprocessing ?? preprocessingFor(spec, [spec.shape[0], spec.shape[1], spec.shape[2]]);
  const root = dataRoot(args.data);
  let full;
  try {
    full = spec.load(root, false, buildTransform(pre));
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const classes = [...full.classes];
  const test = limited(full, args.limit);
  const epoch = loaded.checkpoint.data?.epoch;
  console.log(
    `strata eval: ${loaded.modelName}${epoch !== undefined ? ` after ${epoch} epochs` : ''} (${loaded.checkpoint.paths.weights}) on the ${datasetName} test set ` +
      `(${test.length} images), backend ${backend}`,
  );
  const loader = new DataLoader(test, { batchSize: args.batchSize ?? 256 });
  const r = await evaluate(loaded.model, loader, { numClasses: classes.length });
  const labels = classes.map((c) => c.split(' ')[0]);
  console.log(`test loss: ${r.loss.toFixed(4)}   top-5 accuracy: ${percent(r.top5Accuracy)}`);
  console.log('confusion matrix (rows: true class, columns: predicted):');
  console.log(r.confusion.format(labels));
  console.log('per class:   precision   recall');
  classes.forEach((c, i) => {
    const f = (x: number) => (Number.isNaN(x) ? '     n/a' : percent(x).padStart(8));
    console.log(`${c.slice(0, 12).padEnd(12)} ${f(r.precision[i])}  ${f(r.recall[i])}`);
  });
  const show = args.errors ?? 20;
  console.log(`misclassified: ${r.misclassified.length} of ${r.count} (index: true → predicted (confidence))`);
  if (show > 0 && r.misclassified.length) {
    console.log(formatMisclassified(r.misclassified.slice(0, show), labels));
    if (r.misclassified.length > show) console.log(`  ... ${r.misclassified.length - show} more (--errors N shows more)`);
  }
  if (args.grid) {
    if (r.misclassified.length === 0) console.log('no misclassified images: no grid written');
    else {
      // Indices of the first `limit` test images are those of the full set: draw from the raw images.
      const raw = spec.load(root, false, (x: unknown) => x) as unknown as { image(i: number): never };
      const n = saveErrorGrid(resolve(args.grid), raw, r.misclassified, { nrow: 10 });
      console.log(`grid of ${n} misclassified images (true>predicted): ${resolve(args.grid)}`);
    }
  }
  console.log(`test accuracy: ${percent(r.accuracy)}`);
  return r.accuracy;
}
