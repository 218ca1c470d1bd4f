/**
 * LeNet-5 training throughput on MNIST (batch 64, SGD momentum 0.9, cross-entropy), in one run:
 * Strata (native and js backends), PyTorch (Debian's python3-torch, 1 and 2 threads, OPENBLAS_NUM_THREADS=1)
 * and TensorFlow.js (cpu backend; its wasm backend is tried and reported).
 *
 *   npm run bench -- lenet [--steps N] [--tfjs-steps N] [--data DIR] [--peers torch,tfjs|none]
 *
 * Strata and PyTorch train --steps batches (default: one epoch, 938) after 10 warm-up steps, each batch
 * indexed out of the training set normalised once (so data loading is not timed, on either side);
 * TensorFlow.js trains --tfjs-steps (default 10) because it is about 1000× slower.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as st from '../src/index.js';
import { arg, median, peerList, table } from './util.js';

const BATCH = 64;
const root = st.data.defaultDataRoot(arg('data'));
const steps = Number(arg('steps') ?? 938);
const tfjsSteps = Number(arg('tfjs-steps') ?? 10);
const peers = peerList(['torch', 'tfjs'] as const);

const train = new st.data.MNIST(root, {
  train: true,
  transform: new st.data.Compose([new st.data.ToTensor(), new st.data.Normalize([0.1307], [0.3081])]),
});

// The whole training set, normalised once, and a fixed shuffle: each step indexes its batch out of it,
// as bench/torch_lenet.py does (x_all[idx]), so both sides time the training step, not data loading.
const [xAll, yAll] = train.getBatch!(Int32Array.from({ length: train.length }, (_, i) => i)) as [st.Tensor, st.Tensor];
const order = st.randperm(train.length, { generator: new st.Generator(0) });

/** Images per second of the median of `count` training steps of Strata's LeNet-5 on `backend`. */
function strata(backend: string, count: number): number {
  st.setBackend(backend);
  st.manualSeed(0);
  const model = st.models.create('lenet5');
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = (i: number) => {
    const start = (i * BATCH) % (train.length - BATCH);
    const idx = order.narrow(0, start, BATCH);
    opt.zeroGrad();
    st.F.crossEntropy(model.forward(xAll.indexSelect(0, idx)), yAll.indexSelect(0, idx)).backward();
    opt.step();
  };
  for (let i = 0; i < 10; i++) step(i);
  const perStep: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    step(i);
    perStep.push(performance.now() - t0);
  }
  // Median per-step time (as the peer reports): robust to a noisy machine.
  return (BATCH * 1000) / median(perStep);
}

function pytorch(threads: number): number | string {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return 'no /usr/bin/python3';
  const script = fileURLToPath(new URL('./torch_lenet.py', import.meta.url));
  const r = spawnSync(python, [script, root, String(steps), String(BATCH), String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) return `failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!).imagesPerSecond;
}

async function tfjs(backend: 'cpu' | 'wasm'): Promise<number | string> {
  let tf: typeof import('@tensorflow/tfjs');
  try {
    tf = await import('@tensorflow/tfjs');
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    return 'not installed';
  }
  if (!(await tf.setBackend(backend))) return `backend '${backend}' did not initialise`;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const optimizer = tf.train.momentum(0.01, 0.9);
  const [x, y] = train.getBatch!(Int32Array.from({ length: BATCH }, (_, i) => i)) as [st.Tensor, st.Tensor];
  const xs = tf.tensor4d(x.permute([0, 2, 3, 1]).contiguous().data() as Float32Array, [BATCH, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(y.data()), 'int32'), 10);
  const step = () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.predict(xs) as import('@tensorflow/tfjs').Tensor) as import('@tensorflow/tfjs').Scalar, true);
    loss?.dataSync();
    loss?.dispose();
  };
  try {
    step();
  } catch (e) {
    return `cannot train a CNN: ${(e as Error).message.split('\n')[0]}`;
  }
  const times: number[] = [];
  for (let i = 0; i < tfjsSteps; i++) {
    const t = performance.now();
    step();
    times.push(performance.now() - t);
  }
  return (BATCH * 1000) / median(times);
}

const rows: [string, number | string][] = [];
rows.push(['Strata native', strata('native', steps)]);
rows.push(['Strata js (reference)', strata('js', Math.min(steps, 50))]);
if (peers.includes('torch')) rows.push(['PyTorch, 1 thread', pytorch(1)], ['PyTorch, 2 threads', pytorch(2)]);
if (peers.includes('tfjs')) rows.push(['TensorFlow.js cpu', await tfjs('cpu')], ['TensorFlow.js wasm', await tfjs('wasm')]);
console.log(`LeNet-5 training on MNIST, batch ${BATCH}, SGD momentum 0.9 (images/s of the median step; ${steps} steps, batches indexed out of the normalised training set)`);
const best = Math.max(...rows.filter(([n, v]) => n.startsWith('PyTorch') && typeof v === 'number').map(([, v]) => v as number));
console.log(table(rows, best, 'best PyTorch'));
process.exit(0);
