/** Types shared by the Trainer, its callbacks and checkpoints. */
import type { Tensor } from '../tensor/tensor.js';

/** A value in an epoch's logs: scalars for CSV, arrays (per class, confusion matrix) for JSONL. */
export type LogValue = number | string | null | number[] | number[][];

/**
 * What one epoch produced, keyed like Keras's logs in camelCase: `epoch` (1-based), `lr`, `loss`,
 * the training metrics (`accuracy`, `top5Accuracy`, `error`, ...), the same with a `val` prefix
 * (`valLoss`, `valAccuracy`, `valConfusionMatrix`, ...), `time` (seconds) and `imagesPerSec`.
 */
export interface EpochLogs {
  epoch: number;
  [key: string]: LogValue;
}

/** What onBatchEnd receives. */
export interface BatchLogs {
  /** 1-based step within the epoch. */
  step: number;
  /** Steps in the epoch (null when the loader has no length). */
  steps: number | null;
  /** 1-based step over the whole run. */
  globalStep: number;
  /** This batch's loss. */
  loss: number;
  /** Mean loss of the epoch so far. */
  runningLoss: number;
  /** Samples in this batch. */
  batchSize: number;
  /** Learning rate of the first parameter group used for this step. */
  lr: number;
}

/** Something that yields batches, e.g. a DataLoader: sync or async iterable, optionally with a length. */
export type BatchSource<B = unknown> = (Iterable<B> | AsyncIterable<B>) & {
  readonly length?: number;
  stateDict?(): unknown;
  loadStateDict?(state: any): void;
};

/** A loss function over the model's output and the target (default F.crossEntropy). */
export type LossFn = (output: any, target: any) => Tensor;

/**
 * A hook into the training loop (Keras's callbacks, camelCase). All methods are optional.
 * `order` sorts callbacks (lower first, default 0); checkpoint writers use 100 so they save
 * the state of every other callback of the same epoch. Callbacks with a `key` and
 * stateDict/loadStateDict have their state saved in checkpoints and restored on resume.
 */
export interface Callback {
  readonly order?: number;
  readonly key?: string;
  onTrainBegin?(trainer: TrainerLike): void | Promise<void>;
  onEpochBegin?(epoch: number, trainer: TrainerLike): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, trainer: TrainerLike): void | Promise<void>;
  onValidationBegin?(epoch: number, trainer: TrainerLike): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, trainer: TrainerLike): void | Promise<void>;
  onTrainEnd?(trainer: TrainerLike): void | Promise<void>;
  stateDict?(): unknown;
  loadStateDict?(state: any): void;
}

/** The part of the Trainer that callbacks see (avoids an import cycle; Trainer implements it). */
export interface TrainerLike {
  readonly model: import('../nn/module.js').Module;
  readonly optimizer: import('../optim/optimizer.js').Optimizer<any>;
  /** Total epochs of the run. */
  readonly epochs: number;
  /** Epochs completed (after resuming: including those before the checkpoint). */
  readonly epoch: number;
  /** The epoch the current fit() started from (0, or the checkpoint's epoch when resuming). */
  readonly initialEpoch: number;
  readonly globalStep: number;
  /** Steps per epoch of the training source (null when unknown). */
  readonly stepsPerEpoch: number | null;
  /** The metric that checkpoints, early stopping and ReduceLROnPlateau watch by default. */
  readonly monitor: string;
  /** Logs of every completed epoch. */
  readonly history: { epochs: EpochLogs[] };
  readonly stopTraining: boolean;
  /** Ask the loop to stop after the current epoch (reason is reported in the history). */
  stop(reason: string): void;
  /** Save a resumable checkpoint (weights + sidecar) at `path` (without extension). */
  saveCheckpoint(path: string, extra?: { metrics?: EpochLogs | null }): { weights: string; sidecar: string };
  /** The current lr of the first parameter group. */
  lr(): number;
}
