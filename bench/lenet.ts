/**
 * LeNet-5 training throughput on MNIST (batch 64, SGD momentum 0.9, cross-entropy), in one run:
 * Strata (native and js backends), PyTorch (Debian's python3-torch, 1 and 2 threads, OPENBLAS_NUM_THREADS=1)
 * and TensorFlow.js (cpu backend; its wasm backend is tried and reported).
 *
 *   npm run bench -- lenet [--steps N] [--rounds R] [--tfjs-steps N] [--data DIR] [--peers torch,tfjs|none]
 *
 * Strata native and PyTorch (1 and 2 threads; kept running, bench/torch_serve.py) take turns: R rounds
 * (default 5) in which each runs 10 warm-up steps (300 in the first round) and --steps / R timed ones
 * (--steps default: one epoch, 938), so that all sample the same spells of a noisy machine. Each batch is
 * indexed out of the training set normalised once (data loading is not timed, on either side). Strata's
 * reference backend trains 50 steps on its own; TensorFlow.js trains --tfjs-steps (default 10) because it is
 * about 1000× slower.
 */
import * as st from '../src/index.js';
import { PythonPeer } from './peers.js';
import { arg, median, peerList, table, timedCalls } from './util.js';

const BATCH = 64;
const root = st.data.defaultDataRoot(arg('data'));
const steps = Number(arg('steps') ?? 938);
const rounds = Math.max(1, Math.min(steps, Number(arg('rounds') ?? 5)));
/** Untimed steps before each turn; the first turn warms up longer (Strata's JavaScript is still being compiled by
    V8 over its first few hundred steps: their median was 1.74 ms where later steps took 1.35). */
const WARMUP = 10;
const FIRST_WARMUP = 300;
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

/** Strata's LeNet-5 training on `backend`: a function running `warmup` untimed and `count` timed steps (seconds each). */
function strata(backend: string): (warmup: number, count: number) => Promise<number[]> {
  st.setBackend(backend);
  st.manualSeed(0);
  const model = st.models.create('lenet5');
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  let done = 0;
  const step = () => {
    const idx = order.narrow(0, (done++ * BATCH) % (train.length - BATCH), BATCH);
    opt.zeroGrad();
    st.F.crossEntropy(model.forward(xAll.indexSelect(0, idx)), yAll.indexSelect(0, idx)).backward();
    opt.step();
  };
  return (warmup, count) => {
    st.setBackend(backend);
    return timedCalls(step, warmup, count);
  };
}

/** Images per second of the median of per-step seconds (or the reason there are none). */
const imagesPerSecond = (times: number[] | string) => (typeof times === 'string' ? times : BATCH / median(times));

/**
 * Strata native and PyTorch at 1 and 2 threads in turns (see the header): images/s of each one's median step.
 */
async function interleaved(): Promise<[string, number | string][]> {
  const native = strata('native');
  const peer = peers.includes('torch') ? await PythonPeer.start<{ torch: string }>('torch_lenet.py', [root, String(BATCH)]) : null;
  const torchThreads = [1, 2];
  const nativeTimes: number[] = [];
  const torchTimes: (number[] | string)[] = torchThreads.map(() => (typeof peer === 'string' ? peer : []));
  try {
    for (let r = 0; r < rounds; r++) {
      const count = Math.floor(((r + 1) * steps) / rounds) - Math.floor((r * steps) / rounds);
      const warmup = r === 0 ? FIRST_WARMUP : WARMUP;
      nativeTimes.push(...(await native(warmup, count)));
      for (const [i, threads] of torchThreads.entries()) {
        const times = torchTimes[i];
        if (!peer || typeof peer === 'string' || typeof times === 'string') continue;
        try {
          times.push(...(await peer.request<{ times: number[] }>({ op: 'train', threads, warmup, count })).times);
        } catch (e) {
          torchTimes[i] = `failed: ${(e as Error).message.split('\n')[0]}`;
        }
      }
    }
  } finally {
    if (peer && typeof peer !== 'string') peer.close();
  }
  const rows: [string, number | string][] = [['Strata native', imagesPerSecond(nativeTimes)]];
  if (peer) torchThreads.forEach((t, i) => rows.push([`PyTorch, ${t} thread${t > 1 ? 's' : ''}`, imagesPerSecond(torchTimes[i])]));
  return rows;
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

const rows = await interleaved();
rows.splice(1, 0, ['Strata js (reference)', imagesPerSecond(await strata('js')(WARMUP, Math.min(steps, 50)))]);
st.setBackend('native');
if (peers.includes('tfjs')) rows.push(['TensorFlow.js cpu', await tfjs('cpu')], ['TensorFlow.js wasm', await tfjs('wasm')]);
console.log(`LeNet-5 training on MNIST, batch ${BATCH}, SGD momentum 0.9 (images/s of the median step; ${steps} steps each, in ${rounds} interleaved rounds; batches indexed out of the normalised training set)`);
const best = Math.max(...rows.filter(([n, v]) => n.startsWith('PyTorch') && typeof v === 'number').map(([, v]) => v as number));
console.log(table(rows, best, 'best PyTorch'));
process.exit(0);
