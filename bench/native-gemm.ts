/**
 * Quick SGEMM / convolution throughput of the native backend, with the FMA
 * peak measured on the spot.
 *
 *   node --import tsx bench/native-gemm.ts [--threads 1,2] [--level avx2] [--quick]
 *
 * Reports wall-clock GFLOP/s and, because shared machines are often busy,
 * also GFLOP per CPU-second (process CPU time: all threads, spinning included),
 * each as a percentage of the FMA-loop peak measured the same way.
 */
import { nativeBackend, nativeInfo, setNativeCpuLevel, setNativeThreads, type CpuLevel } from '../src/backend/native/index.js';
import type { Conv2dGeometry, MatmulArgs } from '../src/backend/interface.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const threadList = opt('threads', '1,2').split(',').map(Number);
const info = nativeInfo();
if (!info.loaded || !nativeBackend) {
  console.error(`native backend not loaded: ${info.error}`);
  process.exit(1);
}
if (argv.includes('--level')) setNativeCpuLevel(opt('level', 'avx2') as CpuLevel);
const nb = nativeBackend;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = createRequire(import.meta.url)(path.join(root, 'build', 'Release', 'strata_native.node')) as {
  fmaPeak(seconds: number, threads: number): number;
};

interface Rate { wall: number; cpu: number }

/** Runs fn until ~minSeconds elapsed (best of 3 rounds); returns GFLOP/s by wall clock and per CPU-second. */
function measure(flops: number, fn: () => void, minSeconds = quick ? 0.2 : 0.6): Rate {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = (performance.now() - t0) / 1000;
    if (dt > minSeconds / 4) break;
    reps *= 2;
  }
  let best: Rate = { wall: 0, cpu: 0 };
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    best = { wall: Math.max(best.wall, (flops * reps) / wall / 1e9), cpu: Math.max(best.cpu, (flops * reps) / cpu / 1e9) };
  }
  return best;
}

function peak(threads: number): Rate {
  let wall = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) wall = Math.max(wall, addon.fmaPeak(0.15, threads));
  const el = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  // CPU-normalized: flops per CPU-second ≈ per-core rate × threads busy.
  const cpuSec = (c.user + c.system) / 1e6;
  return { wall, cpu: (wall * el) / Math.max(cpuSec, 1e-9) * threads };
}

const rnd = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
};

function gemmCase(m: number, n: number, k: number, transA = false, transB = false) {
  const A = rnd(m * k);
  const B = rnd(k * n);
  const C = new Float32Array(m * n);
  const args: MatmulArgs = { batch: 1, m, n, k, transA, transB, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 };
  return { name: `gemm ${m}x${n}x${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`, flops: 2 * m * n * k, run: () => nb.matmul(A, B, C, args) };
}

function convCase(name: string, n: number, inC: number, hw: number, outC: number, k: number, s: number, p: number, groups = 1) {
  const outHW = Math.floor((hw + 2 * p - k) / s) + 1;
  const g: Conv2dGeometry = { n, inC, inH: hw, inW: hw, outC, outH: outHW, outW: outHW, kH: k, kW: k, strideH: s, strideW: s, padH: p, padW: p, dilationH: 1, dilationW: 1, groups };
  const x = rnd(n * inC * hw * hw);
  const w = rnd((outC * inC * k * k) / groups);
  const y = new Float32Array(n * outC * outHW * outHW);
  const gy = rnd(y.length);
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(w.length);
  const flops = (2 * n * outC * outHW * outHW * (inC / groups) * k * k);
  return [
    { name: `${name} fwd`, flops, run: () => nb.conv2d(x, w, null, g, y) },
    { name: `${name} bwd-in`, flops, run: () => nb.conv2dBackwardInput(gy, w, g, gx) },
    { name: `${name} bwd-w`, flops, run: () => nb.conv2dBackwardWeight(gy, x, g, gw) },
  ];
}

const cases = [
  gemmCase(256, 256, 256), gemmCase(512, 512, 512), gemmCase(1024, 1024, 1024), gemmCase(64, 4096, 800),
  ...(quick ? [] : [gemmCase(1024, 1024, 1024, true, false), gemmCase(1024, 1024, 1024, false, true), gemmCase(128, 1000, 2048, false, true)]),
  ...convCase('conv 3→64 224² k7 s2 (n=1)', 1, 3, 224, 64, 7, 2, 3),
  ...convCase('conv 64→64 56² k3 (n=4)', 4, 64, 56, 64, 3, 1, 1),
  ...convCase('conv 128→128 28² k3 (n=8)', 8, 128, 28, 128, 3, 1, 1),
  ...convCase('conv 256→512 14² k3 s2 (n=8)', 8, 256, 14, 512, 3, 2, 1),
  ...convCase('conv 256→64 56² k1 (n=4)', 4, 256, 56, 64, 1, 1, 0),
  ...(quick ? [] : convCase('dwconv 96 56² k3 (n=8)', 8, 96, 56, 96, 3, 1, 1, 96)),
];

console.log(`native ${info.level} (${info.gemm?.mr}x${info.gemm?.nr} micro-kernel), pool ${info.threads} threads`);
for (const t of threadList) {
  setNativeThreads(t);
  const pk = peak(t);
  console.log(`\n== ${t} thread(s): FMA peak ${pk.wall.toFixed(1)} GFLOP/s wall, ${pk.cpu.toFixed(1)} per CPU-s basis`);
  console.log('case'.padEnd(44) + 'GFLOP/s'.padStart(9) + '  %peak' + '   GF/cpu-s' + '  %peak(cpu)');
  for (const c of cases) {
    const r = measure(c.flops, c.run);
    const pw = (100 * r.wall) / pk.wall;
    const pc = (100 * r.cpu * t) / pk.cpu;
    console.log(c.name.padEnd(44) + r.wall.toFixed(1).padStart(9) + pw.toFixed(0).padStart(7) + '%' + r.cpu.toFixed(1).padStart(10) + pc.toFixed(0).padStart(10) + '%');
  }
}
setNativeThreads(info.threads);
