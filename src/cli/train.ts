/** `strata train`: train a zoo model on a dataset with checkpoints, logs and a final test evaluation. */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { manualSeed } from '../tensor/random.js';
import { crossEntropy } from '../ops/loss.js';
import * as models from '../models/index.js';
import type { Module } from '../nn/module.js';
import { DataLoader } from '../data/index.js';
import { writeFileAtomic } from '../io/files.js';
import { Trainer } from '../train/trainer.js';
import { CSVLogger, EarlyStopping, JSONLLogger, ModelCheckpoint } from '../train/callbacks.js';
import { evaluate } from '../train/evaluate.js';
import { loadCheckpoint, type CheckpointPaths } from '../train/checkpoint.js';
import { CliError, dataRoot, percent, selectBackend } from './common.js';
import {
  buildOptimizer, buildScheduler, buildTransform, datasetSpec, defaultSettings, limited, preprocessingFor, shuffleGenerator,
  type AugmentLevel, type Preprocessing, type TrainSettings,
} from './recipes.js';

export interface TrainArgs {
  model: string;
  dataset: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: string;
  momentum?: number;
  weightDecay?: number;
  scheduler?: string;
  augment?: AugmentLevel | boolean;
  labelSmoothing?: number;
  backend?: string;
  seed?: number;
  data?: string;
  out?: string;
  resume?: string;
  limit?: number;
  testLimit?: number;
  val?: boolean;
  patience?: number;
}

/** The run's configuration as saved in every checkpoint (and read back by eval, predict and --resume). */
export interface RunConfig extends TrainSettings {
  model: string;
  modelOptions: Record<string, unknown>;
  dataset: string;
  classes: string[];
  preprocessing: Preprocessing;
  seed: number;
  limit: number | null;
  testLimit: number | null;
  backend: string;
}

/** Build a zoo model for a dataset: numClasses/inChannels set when the model accepts them. */
export function buildModel(name: string, numClasses: number, channels: number): { model: Module; options: Record<string, unknown>; inputSize: [number, number, number] } {
  let info;
  try {
    info = models.info(name);
  } catch (e) {
    throw new CliError((e as Error).message.replace(/^models\.info: /, ''));
  }
  const options: Record<string, unknown> = {};
  if (info.options.includes('numClasses')) options.numClasses = numClasses;
  if (info.options.includes('inChannels') && channels !== info.inputSize[0]) options.inChannels = channels;
  const inputSize: [number, number, number] = [channels, info.inputSize[1], info.inputSize[2]];
  if (!info.options.includes('inChannels') && channels !== info.inputSize[0]) {
    throw new CliError(`model '${name}' takes ${info.inputSize[0]}-channel images; the dataset has ${channels} channels`);
  }
  return { model: models.create(name, options), options, inputSize };
}

/** Run `strata train`; resolves to the final test accuracy. `explicit` names the flags given on the command line. */
export async function runTrain(args: TrainArgs, explicit: ReadonlySet<string> = new Set()): Promise<number> {
  // On --resume, every setting not given on the command line comes from the checkpoint.
  let saved: RunConfig | null = null;
  let resumePaths: CheckpointPaths | null = null;
  if (args.resume) {
    let ckpt;
    try {
      ckpt = loadCheckpoint(args.resume, { requireSidecar: true });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    resumePaths = ckpt.paths;
    saved = ckpt.data!.config as unknown as RunConfig;
    if (!saved || typeof saved.model !== 'string') throw new CliError(`${ckpt.paths.sidecar} has no run configuration (was it written by strata train?)`);
    saved = { ...saved, testLimit: saved.testLimit ?? null };
    for (const key of ['model', 'dataset'] as const) {
      if (explicit.has(key) && args[key] !== saved[key]) throw new CliError(`--resume: the checkpoint is for --${key} ${saved[key]}, not ${args[key]}`);
    }
  }
  const pick = <K extends keyof TrainSettings>(key: K, cli: TrainSettings[K] | undefined, def: TrainSettings[K]): TrainSettings[K] =>
    explicit.has(key) && cli !== undefined ? cli : saved ? saved[key] : cli ?? def;

  const modelName = saved && !explicit.has('model') ? saved.model : args.model;
  const datasetName = saved && !explicit.has('dataset') ? saved.dataset : args.dataset;
  const spec = datasetSpec(datasetName);
  const defaults = defaultSettings(datasetName);
  const augment: AugmentLevel = args.augment === false ? 'none' : args.augment === true ? 'standard' : (args.augment as AugmentLevel | undefined) ?? defaults.augment;
  const settings: TrainSettings = {
    epochs: pick('epochs', args.epochs, defaults.epochs),
    batchSize: pick('batchSize', args.batchSize, defaults.batchSize),
    lr: pick('lr', args.lr, defaults.lr),
    optimizer: pick('optimizer', args.optimizer, defaults.optimizer),
    momentum: pick('momentum', args.momentum, defaults.momentum),
    weightDecay: pick('weightDecay', args.weightDecay, defaults.weightDecay),
    scheduler: pick('scheduler', args.scheduler, defaults.scheduler),
    augment: pick('augment', explicit.has('augment') ? augment : undefined, augment),
    labelSmoothing: pick('labelSmoothing', args.labelSmoothing, defaults.labelSmoothing),
  };
  const seed = saved && !explicit.has('seed') ? saved.seed : args.seed ?? 0;
  const limit = saved && !explicit.has('limit') ? saved.limit : args.limit ?? null;
  const backend = selectBackend(args.backend);
  const root = dataRoot(args.data);
  const testLimit = saved && !explicit.has('testLimit') ? saved.testLimit : args.testLimit ?? null;
  // A resumed run keeps writing beside its checkpoint.
  const out = resolve(args.out ?? (resumePaths ? dirname(resumePaths.weights) : join('runs', `${modelName}-${datasetName}`)));

  manualSeed(seed);
  const load = (train: boolean, pre: Preprocessing | null, augmentSteps = false) => {
    try {
      return spec.load(root, train, pre ? buildTransform(pre, augmentSteps ? spec.augment(settings.augment) : []) : (x: unknown) => x);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  };
  const classes = [...load(false, null).classes];
  const { model, options: modelOptions, inputSize } = buildModel(modelName, classes.length, spec.shape[0]);
  const pre = preprocessingFor(spec, inputSize);
  const trainFull = load(true, pre, true);
  const testFull = load(false, pre);
  const trainSet = limited(trainFull, limit);
  const testSet = limited(testFull, testLimit);
  const trainLoader = new DataLoader(trainSet, { batchSize: settings.batchSize, shuffle: true, generator: shuffleGenerator(seed) });
  const testLoader = new DataLoader(testSet, { batchSize: Math.max(settings.batchSize, 256) });

  const optimizer = buildOptimizer(settings.optimizer, model.parameters(), settings);
  const config: RunConfig = { model: modelName, modelOptions, dataset: datasetName, classes, preprocessing: pre, seed, limit, testLimit, backend, ...settings };
  mkdirSync(out, { recursive: true });
  const callbacks = [new ModelCheckpoint(out), new CSVLogger(join(out, 'log.csv')), new JSONLLogger(join(out, 'log.jsonl'))];
  if (args.patience !== undefined) callbacks.push(new EarlyStopping({ patience: args.patience }) as never);
  const loss = settings.labelSmoothing > 0 ? (o: any, t: any) => crossEntropy(o, t, { labelSmoothing: settings.labelSmoothing }) : undefined;
  const trainer = new Trainer(model, {
    train: trainLoader,
    val: args.val === false ? null : testLoader,
    optimizer,
    scheduler: (opt) => buildScheduler(settings.scheduler, opt, settings, trainLoader.length) as never,
    loss,
    epochs: settings.epochs,
    metrics: ['accuracy'],
    callbacks,
    config: config as unknown as Record<string, unknown>,
    resume: args.resume ?? null,
  });

  const s = settings;
  console.log(
    `strata train: ${modelName} on ${datasetName} (${trainSet.length} training images, ${testSet.length} test), ${s.epochs} epochs, batch ${s.batchSize}, ` +
      `${s.optimizer} lr ${s.lr}${s.optimizer === 'sgd' || s.optimizer === 'rmsprop' ? ` momentum ${s.momentum}` : ''} weight decay ${s.weightDecay}, ` +
      `${s.scheduler} schedule, augment ${s.augment}${s.labelSmoothing ? `, label smoothing ${s.labelSmoothing}` : ''}, backend ${backend}, seed ${seed}`,
  );
  console.log(`checkpoints and logs: ${out}${args.resume ? ` (resuming from ${args.resume})` : ''}`);
  const onSigint = () => {
    process.stderr.write(`\nstrata: interrupted; continue with: strata train --resume ${join(out, 'last.json')}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  const started = performance.now();
  let history;
  try {
    history = await trainer.fit();
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (history.stopReason) console.log(history.stopReason);
  const minutes = (performance.now() - started) / 60000;

  const result = await evaluate(model, testLoader, { numClasses: classes.length });
  writeFileAtomic(
    join(out, 'test.json'),
    JSON.stringify({
      accuracy: result.accuracy, loss: result.loss, count: result.count, epochs: history.epochs.length, minutes,
      confusionMatrix: result.confusion.toArray(),
      misclassified: result.misclassified,
    }, null, 1),
  );
  console.log(`trained ${history.epochs.length} epochs in ${minutes.toFixed(1)} min; test loss ${result.loss.toFixed(4)}, ${result.misclassified.length} of ${result.count} test images misclassified`);
  console.log(`test accuracy: ${percent(result.accuracy)}`);
  return result.accuracy;
}
