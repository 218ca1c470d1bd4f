/** Small helpers shared by the benchmarks: command line, timing in rounds, the measured FMA peak, tables. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nativeInfo } from '../src/backend/native/index.js';

/** Value of `--name VALUE` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rows of (name, images/s or a reason), with the ratio to `reference`. */
export function table(rows: [string, number | string][], reference: number, referenceName: string): string {
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows
    .map(([name, v]) => {
      if (typeof v !== 'number') return `${name.padEnd(width)}  ${v}`;
      const ratio = Number.isFinite(reference) && reference > 0 ? `  ${(v / reference).toFixed(2)}× ${referenceName}` : '';
      return `${name.padEnd(width)}  ${v.toFixed(0).padStart(8)} img/s${ratio}`;
    })
    .join('\n');
}

// ---- command line -----------------------------------------------------------------------

/** Whether `--name` is on the command line. */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** `--name 1,2` as numbers (default `dflt`). */
export function numberList(name: string, dflt: number[]): number[] {
  const v = arg(name);
  return v ? v.split(',').map(Number).filter((x) => Number.isFinite(x) && x > 0) : dflt;
}

// ---- timing -------------------------------------------------------------------------------

export interface TimingOptions {
  /** Timed rounds (each the same number of calls); the result is their median and best. */
  rounds: number;
  /** Target length of one round, seconds (the calls per round are calibrated to it). */
  roundSeconds: number;
  /** Slow functions (one call longer than a round) run one call per round, as many rounds as fit here (≥ 1). */
  budgetSeconds: number;
  /** Untimed calls first (default 1; the first also calibrates). */
  warmup?: number;
}

/** `--quick`: 3 short rounds; default: 5 rounds of 0.3 s. */
export function timingOptions(quick: boolean): TimingOptions {
  return quick ? { rounds: 3, roundSeconds: 0.1, budgetSeconds: 2 } : { rounds: 5, roundSeconds: 0.3, budgetSeconds: 6 };
}

/** Seconds per call: median and best over the rounds, and how many rounds there were. */
export interface Timing {
  median: number;
  best: number;
  rounds: number;
}

/**
 * Times `fn` (sync or async) in rounds after a warm-up call: median and best seconds per call.
 * Without warm-up (warmup: 0) it runs single-call rounds.
 * Machines are noisy (shared cores, turbo, other jobs): use the median, and ratios measured in the same run.
 */
export async function timeIt(fn: () => unknown, o: TimingOptions): Promise<Timing> {
  const run = async (reps: number) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
    return (performance.now() - t0) / 1000;
  };
  const warmup = o.warmup ?? 1;
  let first = Infinity;
  for (let i = 0; i < warmup; i++) first = Math.min(first, await run(1));
  let reps = 1;
  let rounds = o.rounds;
  if (warmup === 0) {
    // single-call rounds, as many as asked
  } else if (first >= o.roundSeconds) {
    rounds = Math.max(1, Math.min(o.rounds, Math.floor(o.budgetSeconds / first)));
  } else {
    // Calibrate on a second, warm measurement.
    const n = Math.max(1, Math.floor(o.roundSeconds / 4 / Math.max(first, 1e-6)));
    const t = (await run(n)) / n;
    reps = Math.max(1, Math.round(o.roundSeconds / Math.max(t, 1e-7)));
  }
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) perCall.push((await run(reps)) / reps);
  return { median: median(perCall), best: Math.min(...perCall), rounds };
}

// ---- the measured FMA peak ----------------------------------------------------------------

/** fp32 FLOP per cycle per core of the FMA probe's vectors on Zen 3/4 and recent Intel (2 FMA pipes × 8 lanes × 2). */
export const FLOP_PER_CYCLE = 32;

export interface Peak {
  threads: number;
  /**
   * The peak "% of peak" refers to: FLOP_PER_CYCLE × threads × the clock the one-thread FMA probe measured
   * (the probe on all threads at once is printed too, but another process on a shared core drags it down).
   */
  gflops: number;
  /** Clock implied by the one-thread probe at FLOP_PER_CYCLE, GHz. */
  ghz: number;
  /** What the FMA probe measured on `threads` threads at once (best of 3). */
  probed: number;
}

let fmaPeakFn: ((seconds: number, threads: number) => number) | null | undefined;

/** The native addon's `fmaPeak(seconds, threads)`, or null when the addon is missing. */
export function fmaProbe(): ((seconds: number, threads: number) => number) | null {
  if (fmaPeakFn !== undefined) return fmaPeakFn;
  try {
    // The addon the native backend loaded (require caches it: same module, same thread pool).
    const file = nativeInfo().path ?? fileURLToPath(new URL('../build/Release/strata_native.node', import.meta.url));
    const addon = createRequire(import.meta.url)(file) as { fmaPeak?: (seconds: number, threads: number) => number };
    fmaPeakFn = typeof addon.fmaPeak === 'function' ? addon.fmaPeak : null;
  } catch {
    fmaPeakFn = null;
  }
  return fmaPeakFn;
}

/**
 * The FMA peak for each thread count (empty without the native addon): the one-thread probe (best of 5
 * probes of `seconds`) gives the clock; each thread count is probed too (best of 3).
 */
export function measurePeaks(threads: number[], seconds = 0.15): Map<number, Peak> {
  const probe = fmaProbe();
  const peaks = new Map<number, Peak>();
  if (!probe) return peaks;
  const best = (t: number, n: number) => Math.max(...Array.from({ length: n }, () => probe(seconds, t)));
  const one = best(1, 5);
  const ghz = one / FLOP_PER_CYCLE;
  for (const t of threads) peaks.set(t, { threads: t, gflops: one * t, ghz, probed: t === 1 ? one : best(t, 3) });
  return peaks;
}

/** "2 threads: 190.0 GFLOP/s (= 32 FLOP/cycle × 2 cores × 2.97 GHz; probed on 2 threads at once: 180.1)" */
export function describePeak(p: Peak): string {
  const s = p.threads > 1 ? 's' : '';
  let line = `${p.threads} thread${s}: ${p.gflops.toFixed(1)} GFLOP/s (= ${FLOP_PER_CYCLE} FLOP/cycle × ${p.threads} core${s} × ${p.ghz.toFixed(2)} GHz`;
  if (p.threads > 1) {
    line += `; probed on ${p.threads} threads at once: ${p.probed.toFixed(1)}`;
    if (p.probed < 0.85 * p.gflops) line += `, ${((100 * p.probed) / p.gflops).toFixed(0)}%: other processes are using the cores, ${p.threads}-thread numbers are noisy`;
  }
  return `${line})`;
}

/** The CPU's model name and nominal clock as /proc/cpuinfo states them ('' elsewhere). */
export function cpuDescription(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? '?';
    const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(info)?.[1];
    return `${model}${mhz ? `, ${(Number(mhz) / 1000).toFixed(2)} GHz nominal` : ''}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}`;
  } catch {
    return '';
  }
}

// ---- formatting ---------------------------------------------------------------------------

/** GFLOP/s with one decimal ('—' for a missing value). */
export function gf(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** "0.85×" */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '';
  const r = a / b;
  return `${r.toFixed(r >= 100 ? 0 : r >= 10 ? 1 : 2)}×`;
}

/** "43%" of the peak. */
export function pct(v: number | undefined, peak: number | undefined): string {
  return v === undefined || !peak ? '—' : `${((100 * v) / peak).toFixed(0)}%`;
}

/** A text table: the first `left` columns left-aligned, the rest right-aligned. */
export function grid(header: string[], rows: string[][], left = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i < left ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
