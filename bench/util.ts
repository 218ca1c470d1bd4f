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

/** `--peers a,b` (each one of `known`), `--peers none`, or all of `known` when absent; exits on an unknown name. */
export function peerList<P extends string>(known: readonly P[]): P[] {
  const given = arg('peers');
  const peers = (given === undefined ? [...known] : given === 'none' ? [] : given.split(',')) as P[];
  for (const p of peers) {
    if (!known.includes(p)) {
      console.error(`unknown peer '${p}'; peers: ${known.join(', ')} or none`);
      process.exit(2);
    }
  }
  return peers;
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
  /** Timed rounds: the calls are timed for rounds × roundSeconds in all, in short samples. */
  rounds: number;
  /** Target length of one round, seconds. */
  roundSeconds: number;
  /** Slow functions (one call longer than a round) run one call per sample, as many as fit here (≥ 1, ≤ rounds). */
  budgetSeconds: number;
  /** Untimed calls first (default 1; the first also calibrates). */
  warmup?: number;
}

/** `--quick`: 3 short rounds; default: 5 rounds of 0.3 s. */
export function timingOptions(quick: boolean): TimingOptions {
  return quick ? { rounds: 3, roundSeconds: 0.1, budgetSeconds: 2 } : { rounds: 5, roundSeconds: 0.3, budgetSeconds: 6 };
}

/** Seconds per call: median and best over the samples, and how many samples there were. */
export interface Timing {
  median: number;
  best: number;
  rounds: number;
}

/** A timed sample of fast calls lasts about this long (slower calls are timed one by one). */
export const SAMPLE_SECONDS = 0.002;

/**
 * Times `fn` (sync or async) after a warm-up call: median and best seconds per call over short samples, each
 * one call or as many calls as fill SAMPLE_SECONDS, for rounds × roundSeconds in all. Without warm-up
 * (warmup: 0) it times `rounds` single calls.
 * Machines are noisy (shared cores, turbo, other jobs): the median of short samples leaves out the moments a
 * core was taken away, which a long timed round would average in; compare ratios measured in the same run.
 * bench/torch_gemm.py times PyTorch the same way.
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
  let samples = o.rounds;
  if (warmup === 0) {
    // single-call samples, as many as asked
  } else if (first >= o.roundSeconds) {
    samples = Math.max(1, Math.min(o.rounds, Math.floor(o.budgetSeconds / first)));
  } else {
    // Calibrate on a second, warm measurement.
    const n = Math.max(1, Math.floor(o.roundSeconds / 4 / Math.max(first, 1e-6)));
    const t = Math.max((await run(n)) / n, 1e-7);
    reps = Math.max(1, Math.round(SAMPLE_SECONDS / t));
    samples = Math.max(o.rounds, Math.round((o.rounds * o.roundSeconds) / (reps * t)));
  }
  const perCall: number[] = [];
  for (let r = 0; r < samples; r++) perCall.push((await run(reps)) / reps);
  return { median: median(perCall), best: Math.min(...perCall), rounds: samples };
}

/** Seconds taken by each of `count` calls of `fn` (sync or async), after `warmup` untimed calls. */
export async function timedCalls(fn: () => unknown, warmup: number, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r; // (a synchronous fn is timed without a microtask in between)
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  return times;
}

/** The Timing of per-call samples (seconds). */
export function timingOf(samples: number[]): Timing {
  return { median: median(samples), best: Math.min(...samples), rounds: samples.length };
}

// ---- the measured FMA peak ----------------------------------------------------------------

export interface Peak {
  threads: number;
  /**
   * The peak "% of peak" refers to: threads × what the FMA probe measured on one thread (best of 5), i.e.
   * FLOP/cycle × threads × clock (the probe on all threads at once is printed too, but another process on a
   * shared core drags it down).
   */
  gflops: number;
  /** fp32 FLOP per cycle per core: the one-thread probe ÷ the measured clock, to the nearest power of two (32 on Zen 4, 64 on Zen 5); 0 when the clock is unknown. */
  flopPerCycle: number;
  /** The core clock the addon's chain of dependent adds measured, GHz (0 when unknown). */
  ghz: number;
  /** What the FMA probe measured on `threads` threads at once (best of 3). */
  probed: number;
}

interface Probes {
  fmaPeak: (seconds: number, threads: number) => number;
  clockProbe?: (seconds: number) => number;
}

let probes: Probes | null | undefined;

/** The native addon's `fmaPeak(seconds, threads)` and `clockProbe(seconds)`, or null when the addon is missing. */
function nativeProbes(): Probes | null {
  if (probes !== undefined) return probes;
  try {
    // The addon the native backend loaded (require caches it: same module, same thread pool).
    const file = nativeInfo().path ?? fileURLToPath(new URL('../build/Release/strata_native.node', import.meta.url));
    const addon = createRequire(import.meta.url)(file) as Partial<Probes>;
    probes = typeof addon.fmaPeak === 'function' ? (addon as Probes) : null;
  } catch {
    probes = null;
  }
  return probes;
}

/** The native addon's `fmaPeak(seconds, threads)`, or null when the addon is missing. */
export function fmaProbe(): ((seconds: number, threads: number) => number) | null {
  return nativeProbes()?.fmaPeak ?? null;
}

/** The best of `count` FMA probes of `seconds` on `threads` threads at once, GFLOP/s. */
function bestProbe(native: Probes, threads: number, seconds: number, count: number): number {
  return Math.max(...Array.from({ length: count }, () => native.fmaPeak(seconds, threads)));
}

/**
 * The one-thread FMA peak right now (the best of three 30 ms probes), or undefined without the native addon.
 * A virtual machine's clock drifts (4.29–4.51 GHz within minutes on the development VM), so a kernel's % of
 * peak is taken against probes made next to its measurement.
 */
export function oneThreadPeakNow(): number | undefined {
  const native = nativeProbes();
  return native ? bestProbe(native, 1, 0.03, 3) : undefined;
}

/**
 * The FMA peak for each thread count (empty without the native addon): the one-thread probe (best of 5
 * probes of `seconds`) times the thread count; each thread count is probed too (best of 3). The clock
 * probe splits the one-thread figure into FLOP/cycle × GHz.
 */
export function measurePeaks(threads: number[], seconds = 0.15): Map<number, Peak> {
  const native = nativeProbes();
  const peaks = new Map<number, Peak>();
  if (!native) return peaks;
  const one = bestProbe(native, 1, seconds, 5);
  const ghz = native.clockProbe?.(seconds) ?? 0;
  const flopPerCycle = ghz > 0 ? 2 ** Math.round(Math.log2(one / ghz)) : 0;
  for (const t of threads) {
    peaks.set(t, { threads: t, gflops: one * t, flopPerCycle, ghz, probed: t === 1 ? one : bestProbe(native, t, seconds, 3) });
  }
  return peaks;
}

/** "2 threads: 548.0 GFLOP/s (= 2 × 274.0 probed on one; 64 FLOP/cycle × 4.28 GHz; probed on 2 threads at once: 540.1)" */
export function describePeak(p: Peak): string {
  const s = p.threads > 1 ? 's' : '';
  const one = p.gflops / p.threads;
  const split = p.ghz > 0 ? `; ${p.flopPerCycle} FLOP/cycle × ${p.ghz.toFixed(2)} GHz` : '';
  let line = `${p.threads} thread${s}: ${p.gflops.toFixed(1)} GFLOP/s (= ${p.threads > 1 ? `${p.threads} × ` : ''}${one.toFixed(1)} probed on one thread${split}`;
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
