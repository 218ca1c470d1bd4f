/**
 * fit() and the Trainer: Keras-style training on top of the PyTorch-style loop.
 *
 * ```ts
 * const history = await st.train.fit(model, {
 *   train: trainLoader, val: testLoader, epochs: 10,
 *   optimizer: new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
 *   scheduler: (opt) => new optim.lrScheduler.OneCycleLR(opt, 0.1, { epochs: 10, stepsPerEpoch: trainLoader.length }),
 *   metrics: ['accuracy', 'top5', 'confusionMatrix'],
 *   callbacks: [new ModelCheckpoint('runs/lenet'), new CSVLogger('runs/lenet/log.csv'), new EarlyStopping({ patience: 3 })],
 * });
 * history.get('valAccuracy');   // one value per epoch
 * ```
 *
 * Each step is exactly the manual loop: `optimizer.zeroGrad(); loss = lossFn(model.forward(x), y);
 * loss.backward(); optimizer.step()`, then per-batch scheduler steps; each epoch ends with validation
 * (model.eval(), no gradients), the epoch's scheduler step (ReduceLROnPlateau with the monitored
 * metric), and the callbacks (logs, checkpoints, early stopping). A non-finite loss stops training
 * before the step that would corrupt the weights, with a NonFiniteLossError naming epoch and step.
 */
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { crossEntropy } from '../ops/loss.js';
import { Generator, getRngState, setRngState } from '../tensor/random.js';
import { MetricAccumulator, resolveMetrics, type MetricSpec, type ResolvedMetrics } from './epoch-metrics.js';
import { batchesOf, batchSizeOf, defaultPrepareBatch, lengthOf, logitsOf } from './loop.js';
import { runEvaluation } from './evaluate.js';
import { LRSchedulerCallback, type AnyScheduler, type SchedulerCallbackOptions } from './callbacks.js';
import { ProgressBar, type ProgressBarOptions } from './progress.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointData, type LoadedCheckpoint } from './checkpoint.js';
import type { BatchLogs, BatchSource, Callback, EpochLogs, LogValue, LossFn, TrainerLike } from './types.js';

export interface FitOptions {
  /** Training batches: a DataLoader (or any iterable of [input, target]). */
  train: BatchSource;
  /** Validation batches, evaluated after every epoch (keys prefixed with `val`). */
  val?: BatchSource | null;
  optimizer: Optimizer<any>;
  /** An lr scheduler, or a function making one from the optimiser (called once, after resuming's checks). */
  scheduler?: AnyScheduler | ((optimizer: Optimizer<any>) => AnyScheduler) | null;
  /** When to step the scheduler (default: per batch for OneCycleLR/CyclicLR, per epoch otherwise) and ReduceLROnPlateau's metric. */
  schedulerOptions?: SchedulerCallbackOptions;
  /** loss(output, target) → scalar tensor; default F.crossEntropy. */
  loss?: LossFn;
  /** Total epochs (default 1); a resumed run continues up to this number. */
  epochs?: number;
  /** Metric names (see epoch-metrics.ts): default ['accuracy']; the loss is always logged. */
  metrics?: MetricSpec[];
  /** Validation-only metrics added to `metrics` (e.g. ['confusionMatrix', 'precision', 'recall']). */
  valMetrics?: MetricSpec[];
  /** The metric checkpoints and early stopping watch by default (default valAccuracy with validation and an accuracy metric, else valLoss / loss). */
  monitor?: string;
  callbacks?: Callback[];
  /** Progress display: true/'auto' (default) a bar on TTYs, one line per epoch elsewhere; false for none; or options. */
  progress?: boolean | 'auto' | ProgressBarOptions;
  /** Continue from a checkpoint (base path, either file, or a run directory with `last`). */
  resume?: string | null;
  /** Saved in checkpoints (model name, dataset, preprocessing, hyper-parameters...). */
  config?: Record<string, unknown>;
  /** Split a batch into [input, target] (default: [x, y] as the DataLoader yields, or {input, target}). */
  prepareBatch?: (batch: any) => [any, Tensor];
  /** Number of classes for confusion matrices (default: the output's dim 1). */
  numClasses?: number;
  /** Throw NonFiniteLossError when a loss is NaN or ±Infinity (default true). */
  stopOnNonFinite?: boolean;
}

/** Thrown when a training loss is NaN or infinite; `history` holds the epochs completed before. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly value: number,
    readonly epoch: number,
    readonly step: number,
    readonly steps: number | null,
    readonly globalStep: number,
    readonly history: History,
    lastFinite: number | null,
  ) {
    super(
      `loss is ${value} at epoch ${epoch}, step ${step}${steps ? `/${steps}` : ''} (global step ${globalStep}); stopped before the optimiser step. ` +
        (lastFinite === null ? 'No finite loss was seen before. ' : `The previous loss was ${lastFinite.toPrecision(4)}. `) +
        'Lower the learning rate, check the inputs for NaNs, or clip gradients.',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** The result of fit(): every epoch's logs and Keras's key → values view. */
export class History {
  readonly epochs: EpochLogs[] = [];
  /** Why training ended before `epochs` (early stopping, a callback), else null. */
  stopReason: string | null = null;

  /** Values of `key` for every epoch (undefined where an epoch has none). */
  get(key: string): LogValue[] {
    return this.epochs.map((e) => e[key]);
  }

  /** Keras's history.history: key → values per epoch. */
  get history(): Record<string, LogValue[]> {
    const keys = new Set(this.epochs.flatMap((e) => Object.keys(e)));
    return Object.fromEntries([...keys].map((k) => [k, this.get(k)]));
  }

  get last(): EpochLogs | null {
    return this.epochs.at(-1) ?? null;
  }
}

function capitalised(prefix: string, key: string): string {
  return prefix + key[0].toUpperCase() + key.slice(1);
}

export class Trainer implements TrainerLike {
  readonly optimizer: Optimizer<any>;
  readonly scheduler: AnyScheduler | null;
  readonly epochs: number;
  readonly callbacks: Callback[];
  readonly monitor: string;
  readonly history = new History();
  readonly config: Record<string, unknown>;
  epoch = 0;
  initialEpoch = 0;
  globalStep = 0;
  stopTraining = false;
  private readonly lossFn: LossFn;
  private readonly trainMetrics: ResolvedMetrics;
  private readonly valMetrics: ResolvedMetrics;
  private resumeFrom: LoadedCheckpoint | null = null;

  constructor(readonly model: Module, readonly options: FitOptions) {
    if (!options || typeof options !== 'object') throw new Error('fit: expected options {train, optimizer, ...}');
    if (!options.train) throw new Error('fit: options.train (a DataLoader of training batches) is required');
    if (!options.optimizer || typeof options.optimizer.step !== 'function') throw new Error('fit: options.optimizer is required (e.g. new optim.SGD(model.parameters(), {lr: 0.01}))');
    this.optimizer = options.optimizer;
    const epochs = options.epochs ?? 1;
    if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
    this.epochs = epochs;
    this.lossFn = options.loss ?? ((out, target) => crossEntropy(out, target));
    const metricSpecs = options.metrics ?? ['accuracy'];
    this.trainMetrics = resolveMetrics(metricSpecs);
    this.valMetrics = resolveMetrics([...metricSpecs, ...(options.valMetrics ?? [])]);
    const hasAcc = this.valMetrics.accuracies.includes(1);
    this.monitor = options.monitor ?? (options.val ? (hasAcc ? 'valAccuracy' : 'valLoss') : 'loss');
    this.config = options.config ?? {};
    const s = options.scheduler;
    this.scheduler = typeof s === 'function' ? s(this.optimizer) : s ?? null;

    const callbacks = [...(options.callbacks ?? [])];
    if (this.scheduler) callbacks.push(new LRSchedulerCallback(this.scheduler, options.schedulerOptions));
    const progress = options.progress ?? 'auto';
    if (progress !== false && !callbacks.some((c) => c instanceof ProgressBar)) {
      callbacks.push(new ProgressBar(typeof progress === 'object' ? progress : {}));
    }
    // Stable sort by order: progress first, user callbacks, the scheduler, then checkpoint writers.
    this.callbacks = callbacks.map((c, i) => [c, i] as const).sort((a, b) => (a[0].order ?? 0) - (b[0].order ?? 0) || a[1] - b[1]).map(([c]) => c);
    const keys = this.callbacks.filter((c) => c.key).map((c) => c.key!);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw new Error(`fit: two callbacks share the key '${dup}' (their checkpoint state would collide)`);
    if (options.resume) this.resumeFrom = loadCheckpoint(options.resume, { requireSidecar: true });
  }

  get stepsPerEpoch(): number | null {
    return lengthOf(this.options.train);
  }

  lr(): number {
    return (this.optimizer.paramGroups[0] as { lr?: number })?.lr ?? NaN;
  }

  stop(reason: string): void {
    this.stopTraining = true;
    this.history.stopReason = reason;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /** Everything a checkpoint's sidecar holds, for the current moment. */
  checkpointData(metrics: EpochLogs | null = this.history.last): SaveData {
    const s = this.scheduler;
    const loader = this.options.train;
    const callbacks: Record<string, unknown> = {};
    for (const c of this.callbacks) if (c.key && c.stateDict) callbacks[c.key] = c.stateDict();
    return {
      epoch: this.epoch,
      globalStep: this.globalStep,
      config: this.config,
      metrics,
      history: this.history.epochs,
      optimizer: { class: this.optimizer.constructor.name, state: this.optimizer.stateDict() },
      scheduler: s ? { class: s.constructor.name, state: s.stateDict() } : null,
      rng: {
        default: getRngState(),
        loader: typeof loader.stateDict === 'function' ? loader.stateDict() : null,
        loaderGenerator: generatorOf(loader)?.getState() ?? null,
      },
      callbacks,
    };
  }

  saveCheckpoint(path: string, extra: { metrics?: EpochLogs | null } = {}): { weights: string; sidecar: string } {
    return saveCheckpoint(path, { stateDict: this.model.stateDict(), data: this.checkpointData(extra.metrics ?? this.history.last) });
  }

  /** Restore weights, optimiser, scheduler, RNG, loader and callback state from a loaded checkpoint. */
  private restore(ckpt: LoadedCheckpoint): void {
    const data = ckpt.data as CheckpointData;
    const where = ckpt.paths.sidecar;
    this.model.loadStateDict(ckpt.stateDict);
    if (data.optimizer) {
      if (data.optimizer.class !== this.optimizer.constructor.name) {
        throw new Error(`resume: ${where} was saved with optimiser ${data.optimizer.class}, this run uses ${this.optimizer.constructor.name}`);
      }
      this.optimizer.loadStateDict(data.optimizer.state);
    }
    if (data.scheduler && this.scheduler) {
      if (data.scheduler.class !== this.scheduler.constructor.name) {
        throw new Error(`resume: ${where} was saved with scheduler ${data.scheduler.class}, this run uses ${this.scheduler.constructor.name}`);
      }
      this.scheduler.loadStateDict(data.scheduler.state);
    } else if (!!data.scheduler !== !!this.scheduler) {
      throw new Error(`resume: ${where} was saved ${data.scheduler ? `with scheduler ${data.scheduler.class}` : 'without a scheduler'}, this run ${this.scheduler ? `uses ${this.scheduler.constructor.name}` : 'has none'}`);
    }
    const loader = this.options.train;
    // The loader's state carries a snapshot of the default generator from its last batch; the
    // checkpoint's own snapshot (taken after the epoch's dropout and validation) is restored after it.
    if (data.rng.loader && typeof loader.loadStateDict === 'function') loader.loadStateDict(data.rng.loader);
    // The live shuffle generator (between epochs it is ahead of the loader's own snapshot by the sampler's end-of-epoch draws).
    const g = generatorOf(loader);
    if (g && data.rng.loaderGenerator) g.setState(data.rng.loaderGenerator);
    setRngState(data.rng.default);
    for (const c of this.callbacks) if (c.key && c.loadStateDict && data.callbacks?.[c.key] !== undefined) c.loadStateDict(data.callbacks[c.key]);
    this.epoch = data.epoch;
    this.globalStep = data.globalStep;
    this.history.epochs.length = 0;
    this.history.epochs.push(...data.history);
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private async emit<K extends keyof Callback>(event: K, ...args: any[]): Promise<void> {
    for (const c of this.callbacks) {
      const fn = c[event] as ((...a: any[]) => unknown) | undefined;
      if (typeof fn === 'function') await fn.apply(c, args);
    }
  }

  /** Train for the remaining epochs; resolves to the history (also when stopped early). */
  async fit(): Promise<History> {
    if (this.resumeFrom) {
      this.restore(this.resumeFrom);
      this.resumeFrom = null;
    }
    this.initialEpoch = this.epoch;
    this.stopTraining = false;
    await this.emit('onTrainBegin', this);
    try {
      while (this.epoch < this.epochs && !this.stopTraining) {
        const logs = await this.runEpoch(this.epoch + 1);
        this.epoch++;
        this.history.epochs.push(logs);
        await this.emit('onEpochEnd', this.epoch, logs, this);
      }
    } finally {
      await this.emit('onTrainEnd', this);
    }
    return this.history;
  }

  private async runEpoch(epoch: number): Promise<EpochLogs> {
    const o = this.options;
    const prepare = o.prepareBatch ?? defaultPrepareBatch;
    const stopOnNonFinite = o.stopOnNonFinite ?? true;
    const metrics = new MetricAccumulator(this.trainMetrics, o.numClasses ?? null);
    const steps = this.stepsPerEpoch;
    const lrAtStart = this.lr();
    await this.emit('onEpochBegin', epoch, this);
    const start = performance.now();
    this.model.train();
    let step = 0;
    let lastFinite: number | null = null;
    for await (const batch of batchesOf(o.train)) {
      step++;
      const [input, target] = prepare(batch);
      const lr = this.lr();
      this.optimizer.zeroGrad();
      const output = this.model.forward(input);
      const loss = this.lossFn(output, target);
      const value = loss.item();
      if (stopOnNonFinite && !Number.isFinite(value)) {
        throw new NonFiniteLossError(value, epoch, step, steps, this.globalStep + 1, this.history, lastFinite);
      }
      lastFinite = value;
      loss.backward();
      this.optimizer.step();
      this.globalStep++;
      const n = batchSizeOf(input, target);
      noGrad(() => metrics.update(logitsOf(output).detach(), target, value, n));
      const batchLogs: BatchLogs = { step, steps, globalStep: this.globalStep, loss: value, runningLoss: metrics.meanLoss, batchSize: n, lr };
      await this.emit('onBatchEnd', batchLogs, this);
    }
    const trainSeconds = (performance.now() - start) / 1000;
    const logs: EpochLogs = { epoch, lr: lrAtStart, ...metrics.result() };
    if (o.val) {
      await this.emit('onValidationBegin', epoch, this);
      const val = await runEvaluation(this.model, o.val, {
        loss: this.lossFn,
        metrics: new MetricAccumulator(this.valMetrics, o.numClasses ?? null),
        prepareBatch: o.prepareBatch,
      });
      for (const [k, v] of Object.entries(val.metrics.result())) logs[capitalised('val', k)] = v;
    }
    logs.time = (performance.now() - start) / 1000;
    logs.imagesPerSec = trainSeconds > 0 ? metrics.count / trainSeconds : 0;
    return logs;
  }
}

/** A loader's own shuffle generator (DataLoader.generator), if it has one. */
function generatorOf(loader: unknown): Generator | null {
  const g = (loader as { generator?: unknown })?.generator;
  return g instanceof Generator ? g : null;
}

type SaveData = Parameters<typeof saveCheckpoint>[1]['data'];

/** Train `model` (see FitOptions); resolves to the History. */
export async function fit(model: Module, options: FitOptions): Promise<History> {
  return new Trainer(model, options).fit();
}
