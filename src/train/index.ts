/**
 * st.train: fit()/Trainer (Keras-style training over the PyTorch-style loop), callbacks,
 * resumable checkpoints, evaluate() and metrics.
 */
export { fit, Trainer, History, NonFiniteLossError } from './trainer.js';
export type { FitOptions } from './trainer.js';
export {
  CSVLogger, JSONLLogger, ModelCheckpoint, EarlyStopping, LRSchedulerCallback, LambdaCallback, modeFor, monitoredValue, defaultInterval, parseCsvLine,
} from './callbacks.js';
export type { LoggerOptions, ModelCheckpointOptions, EarlyStoppingOptions, SchedulerCallbackOptions, AnyScheduler } from './callbacks.js';
export { ProgressBar, isInteractive } from './progress.js';
export type { ProgressBarOptions, Writable } from './progress.js';
export { saveCheckpoint, loadCheckpoint, checkpointPaths, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint.js';
export type { CheckpointData, CheckpointPaths, LoadedCheckpoint, SaveCheckpointInput } from './checkpoint.js';
export { evaluate, formatMisclassified } from './evaluate.js';
export type { Evaluation, EvaluateOptions, Misclassified } from './evaluate.js';
export { resolveMetrics, MetricAccumulator } from './epoch-metrics.js';
export type { MetricSpec, CustomMetric, ResolvedMetrics } from './epoch-metrics.js';
export { formatEpochLine, formatValue, formatDuration } from './format.js';
export { topkCorrect, accuracy, ConfusionMatrix } from './metrics.js';
export type { Callback, TrainerLike, EpochLogs, BatchLogs, BatchSource, LossFn, LogValue } from './types.js';
export { saveErrorGrid, captionedTile } from './error-grid.js';
export type { ErrorGridOptions, ImageSource } from './error-grid.js';
