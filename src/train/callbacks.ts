/**
 * Callbacks for fit(): CSV and JSONL logs of every epoch, checkpoints (every epoch and on the best
 * monitored value), early stopping, lr-scheduler stepping and a lambda callback.
 * The progress bar is in progress.ts.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { LRScheduler, OneCycleLR, CyclicLR, ReduceLROnPlateau, ChainedScheduler } from '../optim/lr-scheduler.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { BatchLogs, Callback, EpochLogs, LogValue, TrainerLike } from './types.js';

// ---- monitored values ------------------------------------------------------------------------

/** 'max' for accuracies, IoU, precision, recall, F1; 'min' otherwise (losses, errors). */
export function modeFor(monitor: string): 'min' | 'max' {
  return /(accuracy|iou|precision|recall|f1)$/i.test(monitor) ? 'max' : 'min';
}

/** The monitored value of an epoch's logs; throws naming the available keys when it is missing. */
export function monitoredValue(logs: EpochLogs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    const keys = Object.keys(logs).filter((k) => typeof logs[k] === 'number' && k !== 'epoch');
    throw new Error(`${who}: monitored metric '${monitor}' is not in the epoch's logs (available: ${keys.join(', ')})`);
  }
  return v;
}

function isImprovement(value: number, best: number | null, mode: 'min' | 'max', minDelta = 0): boolean {
  if (Number.isNaN(value)) return false;
  if (best === null) return true;
  return mode === 'min' ? value < best - minDelta : value > best + minDelta;
}

// ---- logs --------------------------------------------------------------------------------------

function csvCell(v: LogValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : String(v);
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Parse one CSV line written by csvCell (quoted cells with doubled quotes). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          s += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else s += line[i++];
      }
      out.push(s);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return out;
}

/** Keep the lines of a log whose epoch is ≤ keepEpochs (on resume, epochs after the checkpoint are redone). */
function truncateLog(path: string, keepEpochs: number, epochOf: (line: string) => number | null, header: boolean): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  const kept = lines.filter((l, i) => (header && i === 0) || (epochOf(l) ?? Infinity) <= keepEpochs);
  if (kept.length !== lines.length) writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

export interface LoggerOptions {
  /** Keep an existing file and add to it (default: only when resuming; a new run starts the file afresh). */
  append?: boolean;
}

/**
 * One CSV row per epoch: `epoch`, then the scalar logs (`lr`, `loss`, `accuracy`, `valLoss`, ...)
 * in the order of the first epoch. Per-class arrays and matrices go to the JSONL log only.
 */
export class CSVLogger implements Callback {
  private columns: string[] | null = null;

  constructor(readonly path: string, private options: LoggerOptions = {}) {}

  onTrainBegin(trainer: TrainerLike): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.columns = null;
    const append = this.options.append ?? trainer.initialEpoch > 0;
    if (append && existsSync(this.path)) {
      const first = readFileSync(this.path, 'utf8').split('\n')[0];
      if (first) {
        this.columns = parseCsvLine(first);
        const at = this.columns.indexOf('epoch');
        truncateLog(this.path, trainer.initialEpoch, (l) => Number(parseCsvLine(l)[at]), true);
      }
    } else {
      writeFileAtomic(this.path, '');
    }
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    if (!this.columns) {
      this.columns = Object.keys(logs).filter((k) => typeof logs[k] === 'number' || typeof logs[k] === 'string' || logs[k] === null);
      appendFileSync(this.path, `${this.columns.map((c) => csvCell(c)).join(',')}\n`);
    }
    appendFileSync(this.path, `${this.columns.map((c) => csvCell(logs[c])).join(',')}\n`);
  }
}

/** One JSON object per line and epoch, with every log value (confusion matrices and per-class arrays included). */
export class JSONLLogger implements Callback {
  constructor(readonly path: string, private options: LoggerOptions = {}) {}

  onTrainBegin(trainer: TrainerLike): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const append = this.options.append ?? trainer.initialEpoch > 0;
    if (append && existsSync(this.path)) {
      truncateLog(this.path, trainer.initialEpoch, (l) => {
        try {
          return Number(JSON.parse(l).epoch);
        } catch {
          return null;
        }
      }, false);
    } else {
      writeFileAtomic(this.path, '');
    }
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    const line = JSON.stringify(logs, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    appendFileSync(this.path, `${line}\n`);
  }
}

// ---- checkpoints -------------------------------------------------------------------------------

export interface ModelCheckpointOptions {
  /** Metric deciding the best checkpoint (default: the trainer's monitor, e.g. valAccuracy). */
  monitor?: string;
  /** 'auto' (default) picks 'max' for accuracies and IoU, 'min' for losses and errors. */
  mode?: 'auto' | 'min' | 'max';
  /** Write `last` after every epoch (default true). */
  saveLast?: boolean;
  /** Write `best` when the monitored value improves (default true). */
  saveBest?: boolean;
  /** Also keep `epoch-001`, `epoch-002`, ... (default false). */
  everyEpoch?: boolean;
}

/**
 * Save resumable checkpoints in `dir`: `last.{safetensors,json}` after every epoch and
 * `best.{safetensors,json}` whenever the monitored metric improves. Runs after the other
 * callbacks (order 100) so their state of the same epoch is saved.
 */
export class ModelCheckpoint implements Callback {
  readonly order = 100;
  readonly key = 'modelCheckpoint';
  best: number | null = null;
  bestEpoch: number | null = null;
  /** Paths written by the last epoch. */
  lastSaved: string[] = [];

  constructor(readonly dir: string, private options: ModelCheckpointOptions = {}) {}

  onEpochEnd(epoch: number, logs: EpochLogs, trainer: TrainerLike): void {
    const o = this.options;
    const monitor = o.monitor ?? trainer.monitor;
    const mode = !o.mode || o.mode === 'auto' ? modeFor(monitor) : o.mode;
    const value = monitoredValue(logs, monitor, 'ModelCheckpoint');
    const improved = isImprovement(value, this.best, mode);
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
    }
    this.lastSaved = [];
    const save = (name: string) => this.lastSaved.push(trainer.saveCheckpoint(join(this.dir, name), { metrics: logs }).weights);
    if (o.saveLast ?? true) save('last');
    if ((o.saveBest ?? true) && improved) save('best');
    if (o.everyEpoch) save(`epoch-${String(epoch).padStart(3, '0')}`);
  }

  stateDict(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch };
  }

  loadStateDict(state: { best: number | null; bestEpoch: number | null }): void {
    this.best = state?.best ?? null;
    this.bestEpoch = state?.bestEpoch ?? null;
  }
}

// ---- early stopping ---------------------------------------------------------------------------

export interface EarlyStoppingOptions {
  monitor?: string;
  mode?: 'auto' | 'min' | 'max';
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** When stopping, put back the weights of the best epoch (kept in memory; default false). */
  restoreBestWeights?: boolean;
}

/** Stop when the monitored metric has not improved for `patience` epochs (Keras's EarlyStopping). */
export class EarlyStopping implements Callback {
  readonly key = 'earlyStopping';
  best: number | null = null;
  bestEpoch: number | null = null;
  wait = 0;
  stoppedEpoch: number | null = null;
  private bestWeights: Map<string, Tensor> | null = null;

  constructor(private options: EarlyStoppingOptions = {}) {
    const p = options.patience ?? 5;
    if (!Number.isInteger(p) || p < 0) throw new Error(`EarlyStopping: patience must be a non-negative integer, got ${p}`);
  }

  onEpochEnd(epoch: number, logs: EpochLogs, trainer: TrainerLike): void {
    const o = this.options;
    const monitor = o.monitor ?? trainer.monitor;
    const mode = !o.mode || o.mode === 'auto' ? modeFor(monitor) : o.mode;
    const value = monitoredValue(logs, monitor, 'EarlyStopping');
    if (isImprovement(value, this.best, mode, o.minDelta ?? 0)) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (o.restoreBestWeights) this.bestWeights = new Map([...trainer.model.stateDict()].map(([k, t]) => [k, t.clone()]));
      return;
    }
    this.wait++;
    if (this.wait > (o.patience ?? 5)) {
      this.stoppedEpoch = epoch;
      if (this.bestWeights) {
        const weights = this.bestWeights;
        noGrad(() => trainer.model.loadStateDict(weights));
      }
      trainer.stop(
        `early stopping: ${monitor} has not improved for ${this.wait} epochs (best ${value === value ? this.best : 'n/a'} at epoch ${this.bestEpoch})` +
          (this.bestWeights ? '; restored the best weights' : ''),
      );
    }
  }

  stateDict(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  loadStateDict(state: { best: number | null; bestEpoch: number | null; wait: number }): void {
    this.best = state?.best ?? null;
    this.bestEpoch = state?.bestEpoch ?? null;
    this.wait = state?.wait ?? 0;
  }
}

// ---- lr schedulers -----------------------------------------------------------------------------

export type AnyScheduler = LRScheduler | ReduceLROnPlateau | ChainedScheduler;

export interface SchedulerCallbackOptions {
  /** 'batch' for OneCycleLR and CyclicLR, 'epoch' otherwise (default: chosen by the scheduler's class). */
  interval?: 'epoch' | 'batch';
  /** ReduceLROnPlateau's metric (default valLoss, or loss without validation; an accuracy for mode 'max'). */
  monitor?: string;
}

/** The interval a scheduler is stepped at by default. */
export function defaultInterval(scheduler: AnyScheduler): 'epoch' | 'batch' {
  return scheduler instanceof OneCycleLR || scheduler instanceof CyclicLR ? 'batch' : 'epoch';
}

/**
 * Steps an lr scheduler: after every optimiser step for per-batch schedules (OneCycleLR, CyclicLR),
 * after every epoch otherwise; ReduceLROnPlateau gets the monitored metric of the epoch.
 * fit() adds one for its `scheduler` option.
 */
export class LRSchedulerCallback implements Callback {
  readonly order = 50;
  readonly interval: 'epoch' | 'batch';

  constructor(readonly scheduler: AnyScheduler, private options: SchedulerCallbackOptions = {}) {
    this.interval = options.interval ?? defaultInterval(scheduler);
    if (scheduler instanceof ReduceLROnPlateau && this.interval === 'batch') {
      throw new Error('LRSchedulerCallback: ReduceLROnPlateau is stepped per epoch with a metric; interval "batch" is not possible');
    }
  }

  onBatchEnd(_logs: BatchLogs): void {
    if (this.interval === 'batch') (this.scheduler as LRScheduler).step();
  }

  onEpochEnd(_epoch: number, logs: EpochLogs, trainer: TrainerLike): void {
    if (this.interval !== 'epoch') return;
    const s = this.scheduler;
    if (s instanceof ReduceLROnPlateau) {
      const hasVal = typeof logs.valLoss === 'number';
      const monitor =
        this.options.monitor ??
        (s.mode === 'min' ? (hasVal ? 'valLoss' : 'loss') : modeFor(trainer.monitor) === 'max' ? trainer.monitor : hasVal ? 'valAccuracy' : 'accuracy');
      s.step(monitoredValue(logs, monitor, 'ReduceLROnPlateau'));
    } else {
      s.step();
    }
  }
}

// ---- lambda --------------------------------------------------------------------------------------

/** A callback from plain functions: `new LambdaCallback({onEpochEnd: (epoch, logs) => ...})`. */
export class LambdaCallback implements Callback {
  readonly order: number;
  onTrainBegin?: Callback['onTrainBegin'];
  onEpochBegin?: Callback['onEpochBegin'];
  onBatchEnd?: Callback['onBatchEnd'];
  onValidationBegin?: Callback['onValidationBegin'];
  onEpochEnd?: Callback['onEpochEnd'];
  onTrainEnd?: Callback['onTrainEnd'];

  constructor(hooks: Omit<Callback, 'key' | 'stateDict' | 'loadStateDict'>) {
    this.order = hooks.order ?? 0;
    Object.assign(this, { ...hooks, order: this.order });
  }
}
