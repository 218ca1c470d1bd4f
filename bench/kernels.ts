/**
 * The driver behind bench/gemm.ts and bench/conv.ts: times each kernel case with Strata's native backend
 * at every thread count, then with each peer, and prints one table (GFLOP/s, % of the measured FMA peak,
 * Strata/peer ratios). All timings are medians of short samples (bench/util.ts timeIt).
 *
 * Common options:
 *   --threads 1,2        thread counts (Strata's pool, torch.set_num_threads, ORT intra-op threads)
 *   --quick              0.3 s of samples per measurement (default 1.5 s) and fewer cases
 *   --peers LIST         torch,ort,tfjs-cpu,tfjs-wasm (default: all) or none
 *   --only TEXT          cases whose name contains TEXT
 *   --level LEVEL        native CPU level (avx2, avx512, scalar)
 */
import { nativeBackend, nativeInfo, setNativeCpuLevel, setNativeThreads, type CpuLevel } from '../src/backend/native/index.js';
import type { Backend } from '../src/backend/interface.js';
import { loadOrt, loadTfjs, ortSession, runPython, torchVersion, type Ort, type Tf } from './peers.js';
import {
  arg, cpuDescription, describePeak, flag, gf, grid, measurePeaks, numberList, pct, oneThreadPeakNow, peerList, ratio, timeIt, timingOptions,
  type Peak, type Timing, type TimingOptions,
} from './util.js';

export interface KernelCase {
  /** Shape description, e.g. 'sgemm 512³' or 'conv 64→64 56² k3 (n=4)'. */
  name: string;
  /** 'fwd', 'bwd-in', 'bwd-w' ('' for GEMM). */
  pass: string;
  flops: number;
  /** One call of Strata's kernel. */
  strata: () => void;
  /** The case for bench/torch_gemm.py (its "kind" and shape fields), or why PyTorch does not run it. */
  torch: Record<string, unknown> | string;
  /** An ONNX model and its inputs, or why onnxruntime does not run this case. */
  ort: { model: () => Uint8Array; inputs: () => Record<string, { data: Float32Array; dims: number[] }> } | string;
  /** Given TensorFlow.js on some backend: a function doing one call (and a cleanup), or why not. */
  tfjs: ((tf: Tf) => { run: () => void; dispose: () => void }) | string;
}

export interface KernelBenchOptions {
  title: string;
  cases: (quick: boolean) => KernelCase[];
  /** Lines printed under the table. */
  notes?: string[];
}

const PEERS = ['torch', 'ort', 'tfjs-cpu', 'tfjs-wasm'] as const;
type PeerName = (typeof PEERS)[number];
const PEER_LABEL: Record<PeerName, string> = { torch: 'PyTorch', ort: 'ORT', 'tfjs-cpu': 'tfjs-cpu', 'tfjs-wasm': 'tfjs-wasm' };

/** The native backend, or exit with why it is missing. */
export function requireNative(): Backend {
  const info = nativeInfo();
  if (!info.loaded || !nativeBackend) {
    console.error(`native backend not loaded: ${info.error}`);
    process.exit(1);
  }
  if (arg('level')) setNativeCpuLevel(arg('level') as CpuLevel);
  return nativeBackend;
}

/** Random floats in [-0.5, 0.5). */
export function rnd(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

/** Header lines: CPU, native level, and the measured FMA peak per thread count. */
export function printMachine(threads: number[], quick: boolean): Map<number, Peak> {
  const info = nativeInfo();
  console.log(`CPU: ${cpuDescription()}`);
  console.log(`Strata native: level ${info.level} (${info.gemm?.mr}×${info.gemm?.nr} SGEMM micro-kernel), pool of ${info.threads} threads`);
  const peaks = measurePeaks(threads, quick ? 0.1 : 0.2);
  setNativeThreads(info.threads);
  if (!peaks.size) console.log('FMA peak: unknown (the addon has no fmaPeak)');
  for (const p of peaks.values()) console.log(`FMA peak, ${describePeak(p)}`);
  return peaks;
}

type Results = Map<string, Timing | string>; // key: `${caseIndex}/${threads}` (tfjs: threads 1)

export async function runKernelBench(o: KernelBenchOptions): Promise<void> {
  requireNative();
  const quick = flag('quick');
  const threads = numberList('threads', [1, 2]);
  const timing = timingOptions(quick);
  const only = arg('only');
  const peers = peerList(PEERS);
  const cases = o.cases(quick).filter((c) => !only || c.name.includes(only));
  const poolSize = nativeInfo().threads;

  console.log(`${o.title}${quick ? ' (--quick)' : ''}`);
  const peaks = printMachine(threads, quick);
  const started = performance.now();

  // Strata, with the FMA peak probed between measurements: a case's % of peak is against the higher of the
  // probes just before and just after it (the clock of a virtual machine drifts by several % in minutes).
  const strata: Results = new Map();
  const localPeak = new Map<string, number>(); // key as in Results: one-thread peak × threads
  let before = oneThreadPeakNow();
  const probedOne = before === undefined ? [] : [before];
  for (const t of threads) {
    setNativeThreads(t);
    for (const [i, c] of cases.entries()) {
      strata.set(`${i}/${t}`, await timeIt(c.strata, timing));
      const after = oneThreadPeakNow();
      if (after !== undefined) probedOne.push(after);
      if (before !== undefined && after !== undefined) localPeak.set(`${i}/${t}`, t * Math.max(before, after));
      before = after;
    }
  }
  setNativeThreads(poolSize);

  const peerResults = new Map<PeerName, Results | string>();
  const versions: string[] = [];
  if (peers.includes('torch')) {
    const r = torchPeer(cases, threads, timing);
    peerResults.set('torch', r);
    if (typeof r !== 'string') versions.push(`PyTorch ${torchVersion()} (OPENBLAS_NUM_THREADS=1, torch.set_num_threads)`);
  }
  if (peers.includes('ort')) {
    const ort = loadOrt();
    peerResults.set('ort', typeof ort === 'string' ? ort : await ortPeer(ort, cases, threads, timing));
    if (typeof ort !== 'string') versions.push(`onnxruntime-node ${ort.env.versions.node ?? ''} (intra-op threads)`);
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    const name: PeerName = `tfjs-${backend}`;
    if (!peers.includes(name)) continue;
    const tf = await loadTfjs(backend);
    peerResults.set(name, typeof tf === 'string' ? tf : await tfjsPeer(tf, cases, timing));
    if (typeof tf !== 'string' && backend === 'cpu') versions.push(`TensorFlow.js ${tf.version.tfjs} (cpu: pure JS; wasm: XNNPACK, 1 thread in Node)`);
  }

  // Table
  const header = ['case', 'pass', 'thr', 'Strata GF/s', '%peak'];
  for (const p of peers) header.push(`${PEER_LABEL[p]} GF/s`, `S/${PEER_LABEL[p]}`);
  const fewRounds = { seen: false };
  const value = (c: KernelCase, r: Timing | string | undefined): [string, number | undefined] => {
    if (r === undefined) return ['', undefined];
    if (typeof r === 'string') return ['n/a', undefined];
    const g = c.flops / r.median / 1e9;
    if (r.rounds < 3) fewRounds.seen = true;
    return [`${gf(g)}${r.rounds < 3 ? '*' : ''}`, g];
  };
  const rows: string[][] = [];
  for (const [i, c] of cases.entries()) {
    for (const t of threads) {
      const [s, sv] = value(c, strata.get(`${i}/${t}`));
      const row = [c.name, c.pass, String(t), s, pct(sv, localPeak.get(`${i}/${t}`) ?? peaks.get(t)?.gflops)];
      for (const p of peers) {
        const pr = peerResults.get(p);
        // TensorFlow.js runs on one thread in Node: shown on the first thread count's rows.
        const key = p.startsWith('tfjs') ? (t === threads[0] ? `${i}/1` : '') : `${i}/${t}`;
        const [v, pv] = typeof pr === 'string' || pr === undefined ? ['', undefined] : value(c, pr.get(key));
        row.push(v, ratio(sv, pv));
      }
      rows.push(row);
    }
  }
  if (probedOne.length) {
    const lo = Math.min(...probedOne), hi = Math.max(...probedOne);
    console.log(`\nFMA peak probed between the measurements: ${lo.toFixed(1)}–${hi.toFixed(1)} GFLOP/s on one thread`);
  }
  console.log(`\nGFLOP/s = useful FLOP / median time per call; %peak of the FMA peak at that thread count, probed just before and after that measurement (the higher); S/X = Strata ÷ X.`);
  console.log(grid(header, rows, 2));
  if (fewRounds.seen) console.log('* fewer than 3 timed samples (one call is slower than the time budget allows)');
  for (const v of versions) console.log(`peer: ${v}`);
  for (const p of peers) {
    const pr = peerResults.get(p);
    if (typeof pr === 'string') console.log(`${PEER_LABEL[p]}: skipped, ${pr}`);
    else if (pr) {
      // One line per reason, naming the cases it applies to ("bwd-in" alone when it is every bwd-in case).
      const reasons = new Map<string, Set<number>>();
      for (const [key, v] of pr) {
        if (typeof v !== 'string') continue;
        if (!reasons.has(v)) reasons.set(v, new Set());
        reasons.get(v)!.add(Number(key.split('/')[0]));
      }
      for (const [why, which] of reasons) {
        const names: string[] = [];
        const passes = [...new Set(cases.map((c) => c.pass))];
        const whole = passes.filter((ps) => ps && cases.every((c, i) => c.pass !== ps || which.has(i)));
        for (const ps of whole) names.push(`all ${ps}`);
        for (const i of which) if (!whole.includes(cases[i].pass)) names.push(`${cases[i].name}${cases[i].pass ? ` ${cases[i].pass}` : ''}`);
        console.log(`${PEER_LABEL[p]} n/a (${names.join(', ')}): ${why}`);
      }
    }
  }
  for (const n of o.notes ?? []) console.log(n);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

function torchPeer(cases: KernelCase[], threads: number[], timing: TimingOptions): Results | string {
  const spec = {
    threads,
    timing,
    cases: cases.flatMap((c, i) => (typeof c.torch === 'string' ? [] : [{ ...c.torch, name: String(i) }])),
  };
  const r = runPython<{ results: Record<string, Record<string, Timing>> }>('torch_gemm.py', [JSON.stringify(spec)]);
  if (typeof r === 'string') return r;
  const out: Results = new Map();
  for (const [i, c] of cases.entries()) {
    for (const t of threads) out.set(`${i}/${t}`, typeof c.torch === 'string' ? c.torch : r.results[String(i)]?.[String(t)] ?? 'no result');
  }
  return out;
}

async function ortPeer(ort: Ort, cases: KernelCase[], threads: number[], timing: TimingOptions): Promise<Results> {
  const out: Results = new Map();
  for (const [i, c] of cases.entries()) {
    if (typeof c.ort === 'string') {
      for (const t of threads) out.set(`${i}/${t}`, c.ort);
      continue;
    }
    let model: Uint8Array;
    let feeds: Record<string, InstanceType<Ort['Tensor']>>;
    try {
      model = c.ort.model();
      feeds = Object.fromEntries(Object.entries(c.ort.inputs()).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
    } catch (e) {
      for (const t of threads) out.set(`${i}/${t}`, (e as Error).message);
      continue;
    }
    for (const t of threads) {
      try {
        const session = await ortSession(ort, model, t);
        out.set(`${i}/${t}`, await timeIt(() => session.run(feeds), timing));
        await session.release();
      } catch (e) {
        out.set(`${i}/${t}`, `failed: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  return out;
}

async function tfjsPeer(tf: Tf, cases: KernelCase[], timing: TimingOptions): Promise<Results> {
  const out: Results = new Map();
  for (const [i, c] of cases.entries()) {
    if (typeof c.tfjs === 'string') {
      out.set(`${i}/1`, c.tfjs);
      continue;
    }
    try {
      const k = c.tfjs(tf);
      out.set(`${i}/1`, await timeIt(k.run, timing));
      k.dispose();
    } catch (e) {
      out.set(`${i}/1`, `failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}
