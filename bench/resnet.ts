/**
 * CIFAR ResNet-18 throughput (batch 32, 3×32×32 inputs, 10 classes), in one run: Strata's native backend,
 * PyTorch (the same architecture, 1 and 2 threads), onnxruntime-node (PyTorch's model exported to ONNX,
 * forward) and TensorFlow.js (cpu and wasm backends, forward; the cpu backend is slow, so few iterations).
 *
 *   npm run bench -- resnet [--quick] [--threads 1,2] [--rounds R] [--iters N] [--tfjs-iters N] [--tfjs-batch N]
 *                           [--peers torch,ort,tfjs-cpu,tfjs-wasm|none]
 *
 * The architecture is the widely used CIFAR ResNet-18 of kuangliu/pytorch-cifar: BasicBlock [2, 2, 2, 2],
 * 64-128-256-512 channels, a 3×3 stride-1 stem without max pooling, 4×4 average pooling, a linear classifier.
 * (The zoo's `resnet18` is torchvision's ImageNet network: 7×7 stride-2 stem and max pooling.)
 * Forward: eval mode under noGrad. Training step: cross-entropy, backward, SGD lr 0.01 momentum 0.9.
 * Strata, PyTorch (kept running, bench/torch_serve.py) and onnxruntime take turns: R rounds (default 3; 2 with
 * --quick) in which, for each thread count and mode, each runs a warm-up batch and N timed ones (default 3;
 * 2 with --quick), so that all of them sample the same spells of a noisy machine.
 * Reported: images/s of the median of each one's R × N timed batches,
 * effective GFLOP/s (convolution and linear FLOP; a training step counted as 3× the forward FLOP) as % of the
 * FMA peak, and ratios to the best PyTorch thread count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as st from '../src/index.js';
import { setNativeThreads } from '../src/backend/native/index.js';
import { printMachine, requireNative } from './kernels.js';
import { loadOrt, loadTfjs, ortSession, PythonPeer, type Ort, type Tf } from './peers.js';
import { CifarResNet18, forwardFlopsPerImage } from './cifar-resnet.js';
import { arg, flag, gf, grid, numberList, pct, peerList, ratio, timedCalls, timeIt, timingOf, type Peak, type Timing, type TimingOptions } from './util.js';

const { F } = st;
const BATCH = 32;
const quick = flag('quick');
const threads = numberList('threads', [1, 2]);
const rounds = Number(arg('rounds') ?? (quick ? 2 : 3));
const iters = Number(arg('iters') ?? (quick ? 2 : 3));
const tfjsIters = Number(arg('tfjs-iters') ?? 1);
const tfjsBatch = Number(arg('tfjs-batch') ?? (quick ? 8 : BATCH));
const peers: string[] = peerList(['torch', 'ort', 'tfjs-cpu', 'tfjs-wasm'] as const);
/** `warmup` untimed calls (default 1), then `n` timed calls of one batch each. */
const perCall = (n: number, warmup = 1): TimingOptions => ({ rounds: n, roundSeconds: 0, budgetSeconds: Infinity, warmup });

// ---- the contenders ------------------------------------------------------------------------------

type Mode = 'forward' | 'train';

interface Row {
  name: string;
  threads: number | string;
  forward: Timing | string;
  train?: Timing | string;
  /** The batch size it ran with, when not BATCH. */
  batch?: number;
}

/**
 * One framework in the interleaved rounds: `measure` runs `warmup` untimed and `count` timed batches of a mode at
 * a thread count and returns their seconds (or throws why it cannot).
 */
interface Contender {
  name: string;
  modes: Mode[];
  measure(mode: Mode, threads: number, warmup: number, count: number): Promise<number[]>;
}

function strataContender(): Contender {
  st.manualSeed(0);
  const model = new CifarResNet18();
  const x = st.randn([BATCH, 3, 32, 32]);
  const y = st.randint(0, 10, [BATCH]);
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const forward = () => st.noGrad(() => model.forward(x));
  const step = () => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
  return {
    name: 'Strata native',
    modes: ['forward', 'train'],
    async measure(mode, threads, warmup, count) {
      setNativeThreads(threads);
      model.train(mode === 'train');
      return timedCalls(mode === 'train' ? step : forward, warmup, count);
    },
  };
}

function torchContender(peer: PythonPeer<{ torch: string }>): Contender {
  return {
    name: `PyTorch ${peer.hello.torch}`,
    modes: ['forward', 'train'],
    async measure(mode, threads, warmup, count) {
      return (await peer.request<{ times: number[] }>({ op: mode, threads, warmup, count })).times;
    },
  };
}

/** Has the peer export its eval-mode model to `file`; null, or why that failed. */
async function exportOnnx(peer: PythonPeer, file: string): Promise<string | null> {
  const { onnx } = await peer.request<{ onnx: string | null }>({ op: 'onnx', path: file });
  return onnx && `torch.onnx.export failed: ${onnx}`;
}

function ortContender(ort: Ort, onnxFile: string): Contender {
  const x = new ort.Tensor('float32', st.randn([BATCH, 3, 32, 32]).data() as Float32Array, [BATCH, 3, 32, 32]);
  const sessions = new Map<number, Promise<import('onnxruntime-node').InferenceSession>>();
  return {
    name: `onnxruntime-node ${ort.env.versions.node ?? ''}`,
    modes: ['forward'],
    async measure(_mode, threads, warmup, count) {
      if (!sessions.has(threads)) sessions.set(threads, ortSession(ort, onnxFile, threads));
      const session = await sessions.get(threads)!;
      const feeds = { [session.inputNames[0]]: x };
      return timedCalls(() => session.run(feeds), warmup, count);
    },
  };
}

/**
 * `rounds` rounds; in each, for each thread count and mode, every contender in turn runs a warm-up batch and
 * `iters` timed ones. Returns each contender's rows: the median over all its timed batches (or why it failed).
 */
async function interleaved(contenders: Contender[]): Promise<Row[]> {
  const samples = new Map<string, number[] | string>();
  const key = (c: Contender, t: number, mode: Mode) => `${c.name}|${t}|${mode}`;
  for (let r = 0; r < rounds; r++)
    for (const t of threads)
      for (const mode of ['forward', 'train'] as const)
        for (const c of contenders) {
          const k = key(c, t, mode);
          const soFar = samples.get(k) ?? [];
          if (!c.modes.includes(mode) || typeof soFar === 'string') continue;
          try {
            // The first training round warms up twice (the first step creates the momentum buffers).
            samples.set(k, [...soFar, ...(await c.measure(mode, t, r === 0 && mode === 'train' ? 2 : 1, iters))]);
          } catch (e) {
            samples.set(k, `failed: ${(e as Error).message.split('\n')[0]}`);
          }
        }
  const result = (c: Contender, t: number, mode: Mode) => {
    const s = samples.get(key(c, t, mode));
    return typeof s === 'string' ? s : timingOf(s!);
  };
  return contenders.flatMap((c) =>
    threads.map((t) => ({ name: c.name, threads: t, forward: result(c, t, 'forward'), train: c.modes.includes('train') ? result(c, t, 'train') : undefined })),
  );
}

/** The same network in TensorFlow.js layers (NHWC; 'same' padding pads stride-2 convolutions bottom-right). */
function tfjsResNet18(tf: Tf): import('@tensorflow/tfjs').LayersModel {
  const L = tf.layers;
  type T = import('@tensorflow/tfjs').SymbolicTensor;
  const conv = (x: T, filters: number, kernelSize: number, strides: number) =>
    L.conv2d({ filters, kernelSize, strides, padding: kernelSize === 1 ? 'valid' : 'same', useBias: false }).apply(x) as T;
  const bn = (x: T) => L.batchNormalization({ axis: -1 }).apply(x) as T;
  const relu = (x: T) => L.reLU().apply(x) as T;
  const block = (x: T, inPlanes: number, planes: number, stride: number) => {
    const out = bn(conv(relu(bn(conv(x, planes, 3, stride))), planes, 3, 1));
    const shortcut = stride !== 1 || inPlanes !== planes ? bn(conv(x, planes, 1, stride)) : x;
    return relu(L.add().apply([out, shortcut]) as T);
  };
  const input = tf.input({ shape: [32, 32, 3] });
  let x = relu(bn(conv(input, 64, 3, 1)));
  let inPlanes = 64;
  for (const [planes, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    x = block(block(x, inPlanes, planes, stride), planes, planes, 1);
    inPlanes = planes;
  }
  const logits = L.dense({ units: 10 }).apply(L.globalAveragePooling2d({}).apply(x)) as T;
  return tf.model({ inputs: input, outputs: logits });
}

async function tfjsRow(backend: 'cpu' | 'wasm'): Promise<Row> {
  const name = `TensorFlow.js ${backend}`;
  const tf = await loadTfjs(backend);
  if (typeof tf === 'string') return { name, threads: '', forward: tf };
  const batch = backend === 'cpu' ? tfjsBatch : BATCH;
  try {
    const model = tfjsResNet18(tf);
    const x = tf.randomNormal([batch, 32, 32, 3]);
    const n = backend === 'cpu' ? tfjsIters : Math.min(iters, 3);
    const forward = await timeIt(() => {
      const out = model.predict(x) as import('@tensorflow/tfjs').Tensor;
      out.dataSync();
      out.dispose();
    }, perCall(n, backend === 'cpu' ? 0 : 1)); // tfjs cpu: no warm-up (a batch takes up to a minute)
    tf.dispose(x);
    model.dispose();
    return { name: `${name} ${tf.version.tfjs}`, threads: 1, forward, batch: batch === BATCH ? undefined : batch };
  } catch (e) {
    return { name, threads: 1, forward: `failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

// ---- run ------------------------------------------------------------------------------------------

requireNative();
const poolSize = st.nativeInfo().threads;
const started = performance.now();
console.log(`CIFAR ResNet-18 (kuangliu), batch ${BATCH}, float32${quick ? ' (--quick)' : ''}`);
const peaks: Map<number, Peak> = printMachine(threads, quick);
const flopsPerImage = forwardFlopsPerImage();
console.log(`forward: ${(flopsPerImage / 1e9).toFixed(3)} GFLOP per image (convolutions + linear); training step ≈ 3× that`);

const contenders: Contender[] = [strataContender()];
const failed: Row[] = [];
let rows: Row[] = [];
let peer: PythonPeer<{ torch: string }> | string = 'not started';
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-bench-'));
try {
  if (peers.includes('torch') || peers.includes('ort')) peer = await PythonPeer.start<{ torch: string }>('torch_resnet.py', [String(BATCH)]);
  if (peers.includes('torch')) {
    if (typeof peer === 'string') failed.push({ name: 'PyTorch', threads: '', forward: peer });
    else contenders.push(torchContender(peer));
  }
  if (peers.includes('ort')) {
    // onnxruntime runs PyTorch's model, exported to ONNX.
    const ort = loadOrt();
    const onnxFile = path.join(tmp, 'resnet18.onnx');
    const exportError = typeof peer === 'string' ? `no ONNX model: PyTorch exports it (${peer})` : await exportOnnx(peer, onnxFile);
    if (typeof ort === 'string') failed.push({ name: 'onnxruntime-node', threads: '', forward: ort });
    else if (exportError) failed.push({ name: 'onnxruntime-node', threads: '', forward: exportError });
    else contenders.push(ortContender(ort, onnxFile));
  }
  rows = [...(await interleaved(contenders)), ...failed];
} finally {
  if (typeof peer !== 'string') peer.close();
  rmSync(tmp, { recursive: true, force: true });
}
setNativeThreads(poolSize);
for (const backend of ['cpu', 'wasm'] as const) if (peers.includes(`tfjs-${backend}`)) rows.push(await tfjsRow(backend));

// ---- table ----------------------------------------------------------------------------------------

const imagesPerSecond = (r: Timing | string | undefined, batch = BATCH) => (r && typeof r !== 'string' ? batch / r.median : undefined);
const bestTorch = (key: 'forward' | 'train') =>
  Math.max(0, ...rows.filter((r) => r.name.startsWith('PyTorch')).map((r) => imagesPerSecond(r[key]) ?? 0)) || undefined;
const best = { forward: bestTorch('forward'), train: bestTorch('train') };
const header = ['', 'thr', 'fwd img/s', '÷PyTorch', 'fwd GF/s', '%peak', 'train img/s', '÷PyTorch', 'train GF/s', '%peak'];
const out: string[][] = [];
const notes: string[] = [];
for (const r of rows) {
  const cells = [r.name, String(r.threads)];
  for (const key of ['forward', 'train'] as const) {
    const v = imagesPerSecond(r[key], r.batch);
    const gflops = v === undefined ? undefined : (v * flopsPerImage * (key === 'train' ? 3 : 1)) / 1e9;
    const peak = typeof r.threads === 'number' ? peaks.get(r.threads)?.gflops : undefined;
    const few = typeof r[key] === 'object' && (r[key] as Timing).rounds < 3 ? '*' : '';
    cells.push(v === undefined ? (r[key] === undefined ? '' : 'n/a') : `${v.toFixed(1)}${few}`, ratio(v, best[key]), gf(gflops).replace('—', ''), v === undefined ? '' : pct(gflops, peak));
    if (typeof r[key] === 'string') notes.push(`${r.name} ${key}: ${r[key]}`);
  }
  if (r.batch) cells[0] += ` (batch ${r.batch})`;
  out.push(cells);
}
console.log(`\nimages/s of the median batch time; ÷PyTorch = ratio to the best PyTorch thread count (${best.forward?.toFixed(1) ?? '—'} fwd, ${best.train?.toFixed(1) ?? '—'} train img/s)`);
console.log(grid(header, out, 1));
if (out.some((c) => c.some((v) => v.endsWith('*')))) console.log('* fewer than 3 timed batches (--tfjs-iters; TensorFlow.js cpu takes about a minute per batch of 32)');
for (const n of new Set(notes)) console.log(n);
console.log('TensorFlow.js runs on one thread in Node (cpu: pure JS; wasm: XNNPACK, thread count not configurable in Node).');
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
process.exit(0);
