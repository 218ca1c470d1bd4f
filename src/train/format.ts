/** Formatting of logs for terminals. */
import type { EpochLogs, LogValue } from './types.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

const PERCENT = /(accuracy|error|precision|recall|f1|iou)$/i;

/** One value as shown in a terminal: fractions that are accuracies/errors as percentages. */
export function formatValue(key: string, v: LogValue): string {
  if (typeof v !== 'number') return String(v);
  if (PERCENT.test(key)) return `${(v * 100).toFixed(2)}%`;
  if (key === 'lr' || key.endsWith('Lr')) return v.toPrecision(3);
  if (key === 'time') return `${v.toFixed(1)}s`;
  if (key === 'imagesPerSec') return `${Math.round(v)} img/s`;
  return Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

/** `epoch 3/10  loss 0.0412  accuracy 98.71%  valLoss 0.0301 ...  lr 0.01  42.1s  1423 img/s` (scalars only). */
export function formatEpochLine(logs: EpochLogs, epochs: number): string {
  const parts = [`epoch ${logs.epoch}/${epochs}`];
  for (const [k, v] of Object.entries(logs)) {
    if (k === 'epoch' || typeof v !== 'number') continue;
    if (k === 'time' || k === 'imagesPerSec') parts.push(formatValue(k, v));
    else parts.push(`${k} ${formatValue(k, v)}`);
  }
  return parts.join('  ');
}
