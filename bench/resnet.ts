/**
 * CIFAR ResNet-18 throughput (batch 32, 3×32×32 inputs, 10 classes), in one run: Strata's native backend,
 * PyTorch (the same architecture, 1 and 2 threads), onnxruntime-node (PyTorch's model exported to ONNX,
 * forward) and TensorFlow.js (cpu and wasm backends, forward; the cpu backend is slow, so few iterations).
 *
 *   npm run bench -- resnet [--quick] [--threads 1,2] [--iters N] [--tfjs-iters N] [--tfjs-batch N]
 *                           [--peers torch,ort,tfjs-cpu,tfjs-wasm|none]
 *
 * The architecture is the widely used CIFAR ResNet-18 of kuangliu/pytorch-cifar: BasicBlock [2, 2, 2, 2],
 * 64-128-256-512 channels, a 3×3 stride-1 stem without max pooling, 4×4 average pooling, a linear classifier.
 * (The zoo's `resnet18` is torchvision's ImageNet network: 7×7 stride-2 stem and max pooling.)
 * Forward: eval mode under noGrad. Training step: cross-entropy, backward, SGD lr 0.01 momentum 0.9.
 * Reported: images/s of the median batch time (--iters timed batches after warm-up, default 5; 3 with --quick),
 * effective GFLOP/s (convolution and linear FLOP; a training step counted as 3× the forward FLOP) as % of the
 * FMA peak, and ratios to the best PyTorch thread count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as st from '../src/index.js';
import { setNativeThreads } from '../src/backend/native/index.js';
import { printMachine, requireNative } from './kernels.js';
import { loadOrt, loadTfjs, ortSession, runPython, torchVersion, type Tf } from './peers.js';
import { CifarResNet18, forwardFlopsPerImage } from './cifar-resnet.js';
import { arg, flag, gf, grid, numberList, pct, peerList, ratio, timeIt, type Peak, type Timing, type TimingOptions } from './util.js';

const { F } = st;
const BATCH = 32;
const quick = flag('quick');
const threads = numberList('threads', [1, 2]);
const iters = Number(arg('iters') ?? (quick ? 3 : 5));
const tfjsIters = Number(arg('tfjs-iters') ?? 1);
const tfjsBatch = Number(arg('tfjs-batch') ?? (quick ? 8 : BATCH));
const peers: string[] = peerList(['torch', 'ort', 'tfjs-cpu', 'tfjs-wasm'] as const);
/** `warmup` untimed calls (default 1), then `n` timed calls of one batch each. */
const perCall = (n: number, warmup = 1): TimingOptions => ({ rounds: n, roundSeconds: 0, budgetSeconds: Infinity, warmup });

// ---- Strata -------------------------------------------------------------------------------------

interface Row {
  name: string;
  threads: number | string;
  forward: Timing | string;
  train?: Timing | string;
  /** The batch size it ran with, when not BATCH. */
  batch?: number;
}

async function strata(t: number): Promise<Row> {
  setNativeThreads(t);
  st.manualSeed(0);
  const model = new CifarResNet18();
  const x = st.randn([BATCH, 3, 32, 32]);
  const y = st.randint(0, 10, [BATCH]);
  model.eval();
  const forward = await timeIt(() => st.noGrad(() => model.forward(x)), perCall(iters));
  model.train();
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = () => {
    opt.zeroGrad();
    F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
  step(); // second warm-up step (the first creates the momentum buffers)
  const train = await timeIt(step, perCall(iters));
  return { name: 'Strata native', threads: t, forward, train };
}

// ---- peers ----------------------------------------------------------------------------------------

interface TorchResult {
  torch: string;
  results: Record<string, { forward: Timing; train: Timing }>;
  onnx: string | null;
}

async function ortRows(onnxFile: string | null, onnxError: string): Promise<Row[]> {
  const ort = loadOrt();
  if (typeof ort === 'string') return [{ name: 'onnxruntime-node', threads: '', forward: ort }];
  if (!onnxFile) return [{ name: 'onnxruntime-node', threads: '', forward: onnxError }];
  const x = new ort.Tensor('float32', st.randn([BATCH, 3, 32, 32]).data() as Float32Array, [BATCH, 3, 32, 32]);
  const rows: Row[] = [];
  for (const t of threads) {
    try {
      const session = await ortSession(ort, onnxFile, t);
      const feeds = { [session.inputNames[0]]: x };
      rows.push({ name: `onnxruntime-node ${ort.env.versions.node ?? ''}`, threads: t, forward: await timeIt(() => session.run(feeds), perCall(iters)) });
      await session.release();
    } catch (e) {
      rows.push({ name: 'onnxruntime-node', threads: t, forward: `failed: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return rows;
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

const rows: Row[] = [];
for (const t of threads) rows.push(await strata(t));
setNativeThreads(poolSize);

let onnxFile: string | null = null;
let onnxError = 'not exported';
const tmp = mkdtempSync(path.join(tmpdir(), 'strata-bench-'));
try {
  const torchRows: Row[] = [];
  if (peers.includes('torch') || peers.includes('ort')) {
    const want = peers.includes('ort') ? path.join(tmp, 'resnet18.onnx') : null;
    const r = runPython<TorchResult>('torch_resnet.py', [JSON.stringify({ batch: BATCH, threads, iters, onnx: want, time: peers.includes('torch') })]);
    if (typeof r === 'string') {
      torchRows.push({ name: 'PyTorch', threads: '', forward: r });
      onnxError = `no ONNX model: PyTorch exports it (${r})`;
    } else {
      for (const t of threads) {
        const res = r.results[String(t)];
        if (res) torchRows.push({ name: `PyTorch ${torchVersion()}`, threads: t, forward: res.forward, train: res.train });
      }
      if (r.onnx) onnxError = `torch.onnx.export failed: ${r.onnx}`;
      else onnxFile = want;
    }
    if (peers.includes('torch')) rows.push(...torchRows);
  }
  if (peers.includes('ort')) rows.push(...(await ortRows(onnxFile, onnxError)));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
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
