/**
 * The terminal progress bar: steps/s, images/s, ETA and running loss, redrawn in place at most
 * ten times a second on a TTY. When the output is not a TTY or CI is set, it stays quiet during
 * the epoch and prints one line per epoch instead.
 */
import { formatDuration, formatEpochLine } from './format.js';
import type { BatchLogs, Callback, EpochLogs, TrainerLike } from './types.js';

export interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** 'auto' (default): 'bar' on a TTY outside CI, else 'lines'; 'silent' prints nothing. */
  mode?: 'auto' | 'bar' | 'lines' | 'silent';
  /** Where epoch lines go (default process.stdout). */
  out?: Writable;
  /** Where the bar is drawn (default process.stderr). */
  bar?: Writable;
  /** Minimum milliseconds between redraws (default 100). */
  interval?: number;
}

function nodeStream(name: 'stdout' | 'stderr'): Writable {
  const p = (globalThis as unknown as { process?: Record<string, unknown> }).process;
  const s = p?.[name] as Writable | undefined;
  return s ?? { write: (x: string) => console.log(x.replace(/\n$/, '')) };
}

/** True on an interactive terminal outside CI. */
export function isInteractive(stream: Writable): boolean {
  const env = (globalThis as unknown as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  return !!stream.isTTY && !env.CI && env.TERM !== 'dumb';
}

export class ProgressBar implements Callback {
  readonly order = -10;
  readonly mode: 'bar' | 'lines' | 'silent';
  private out: Writable;
  private bar: Writable;
  private interval: number;
  private epochStart = 0;
  private lastDraw = 0;
  private images = 0;
  private drawn = false;

  constructor(options: ProgressBarOptions = {}) {
    this.out = options.out ?? nodeStream('stdout');
    this.bar = options.bar ?? nodeStream('stderr');
    this.interval = options.interval ?? 100;
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (isInteractive(this.bar) ? 'bar' : 'lines') : mode;
  }

  onEpochBegin(): void {
    this.epochStart = performance.now();
    this.lastDraw = 0;
    this.images = 0;
  }

  onBatchEnd(logs: BatchLogs, trainer: TrainerLike): void {
    this.images += logs.batchSize;
    if (this.mode !== 'bar') return;
    const now = performance.now();
    if (now - this.lastDraw < this.interval && logs.step !== logs.steps) return;
    this.lastDraw = now;
    this.draw(this.render(logs, trainer, now));
  }

  onValidationBegin(epoch: number, trainer: TrainerLike): void {
    if (this.mode === 'bar') this.draw(`epoch ${epoch}/${trainer.epochs}  validating...`);
  }

  onEpochEnd(_epoch: number, logs: EpochLogs, trainer: TrainerLike): void {
    if (this.mode === 'silent') return;
    this.clear();
    this.out.write(`${formatEpochLine(logs, trainer.epochs)}\n`);
  }

  onTrainEnd(): void {
    this.clear();
  }

  /** The bar's text for a batch (exposed for tests). */
  render(logs: BatchLogs, trainer: TrainerLike, now = performance.now()): string {
    const elapsed = (now - this.epochStart) / 1000;
    const stepsPerSec = elapsed > 0 ? logs.step / elapsed : 0;
    const imagesPerSec = elapsed > 0 ? this.images / elapsed : 0;
    const steps = logs.steps;
    const eta = steps && stepsPerSec > 0 ? (steps - logs.step) / stepsPerSec : NaN;
    const head = `epoch ${trainer.epoch + 1}/${trainer.epochs}`;
    const tail =
      `${logs.step}/${steps ?? '?'}  ${stepsPerSec.toFixed(1)} step/s  ${Math.round(imagesPerSec)} img/s  ` +
      `ETA ${formatDuration(eta)}  loss ${logs.runningLoss.toFixed(4)}`;
    const columns = this.bar.columns ?? 100;
    const width = Math.max(10, Math.min(30, columns - head.length - tail.length - 6));
    const frac = steps ? Math.min(1, logs.step / steps) : 0;
    const filled = Math.round(frac * width);
    const bar = steps ? `[${'='.repeat(Math.max(0, filled - 1))}${filled ? (filled === width ? '=' : '>') : ''}${' '.repeat(width - filled)}]` : '';
    return `${head} ${bar} ${tail}`;
  }

  private draw(text: string): void {
    const columns = this.bar.columns ?? 0;
    const line = columns > 0 && text.length >= columns ? text.slice(0, columns - 1) : text;
    this.bar.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.drawn) this.bar.write('\r\x1b[2K');
    this.drawn = false;
  }
}
