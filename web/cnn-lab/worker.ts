/**
 * The CNN lab's Web Worker: holds MNIST and a LeNet-5 on Strata, trains it
 * in small steps (yielding between batches so pause and analysis requests
 * are answered mid-training), and reports progress to the page.
 */
import { fetchIdx, maybeGunzip, mnistFrom, MNIST_FILES, type MnistSet } from './mnist.js';
import {
  LeNet5, batchOf, evaluate, featureMaps, filters, makeOptimizer, predict, topActivations, trainStep,
} from './lenet.js';
import type { FromWorker, ToWorker, TrainConfig } from './protocol.js';
import { Generator, noGrad } from '../../src/core.js';
import type { Optimizer } from '../../src/optim/index.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer?: Transferable[]) => scope.postMessage(m, transfer);

let train: MnistSet | null = null;
let test: MnistSet | null = null;
let model = new LeNet5(0);
let optimizer: Optimizer<{ lr: number }> | null = null;
let optimizerKey = '';
let config: TrainConfig | null = null;
let running = false;
let epoch = 0;
let cursor = 0;
let seen = 0;
let order: Int32Array = new Int32Array(0);
let shuffler = new Generator(1);

/** Yield to the event loop without setTimeout's 4 ms clamp. */
const channel = new MessageChannel();
const pending: (() => void)[] = [];
channel.port1.onmessage = () => pending.shift()?.();
const yieldNow = () => new Promise<void>((resolve) => {
  pending.push(resolve);
  channel.port2.postMessage(0);
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function reshuffle(n: number): void {
  order = Int32Array.from(range(n));
  for (let i = n - 1; i > 0; i--) {
    const j = shuffler.randint(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
}

function sendFilters(): void {
  post({ type: 'filters', ...filters(model) });
}

function runEval(): void {
  if (!test || !config) return;
  const result = evaluate(model, test, range(Math.min(config.testSize, test.count)));
  result.mistakes = result.mistakes.slice(0, 120);
  post({ type: 'eval', seen, epoch, result });
}

async function trainLoop(): Promise<void> {
  if (!train || !config || running) return;
  const cfg = config;
  running = true;
  post({ type: 'state', running: true, done: false, seen });
  const n = Math.min(cfg.trainSize, train.count);
  const stepsPerEpoch = Math.ceil(n / cfg.batchSize);
  const evalEvery = Math.max(1, Math.floor(stepsPerEpoch / (cfg.evalsPerEpoch + 1)));
  let windowStart = performance.now();
  let windowImages = 0;
  try {
    while (running && epoch < cfg.epochs) {
      if (cursor === 0 || order.length !== n) reshuffle(n);
      const idx = order.subarray(cursor, Math.min(n, cursor + cfg.batchSize));
      const { x, y } = batchOf(train, idx);
      const { loss, correct } = trainStep(model, optimizer!, x, y);
      cursor += idx.length;
      seen += idx.length;
      windowImages += idx.length;
      const step = Math.ceil(cursor / cfg.batchSize);
      const now = performance.now();
      const ips = (windowImages * 1000) / Math.max(1, now - windowStart);
      if (now - windowStart > 3000) {
        windowStart = now;
        windowImages = 0;
      }
      post({ type: 'progress', epoch, epochs: cfg.epochs, step, stepsPerEpoch, seen, loss, accuracy: correct / idx.length, imagesPerSecond: ips });
      if (step % 5 === 0) sendFilters();
      if (cursor >= n) {
        cursor = 0;
        epoch++;
        sendFilters();
        runEval();
      } else if (step % evalEvery === 0) {
        runEval();
      }
      await yieldNow();
    }
  } catch (e) {
    post({ type: 'error', message: `training failed: ${(e as Error).message}` });
  }
  running = false;
  post({ type: 'state', running: false, done: epoch >= cfg.epochs, seen });
}

function reset(seed: number): void {
  running = false;
  model = new LeNet5(seed);
  optimizer = null;
  optimizerKey = '';
  epoch = 0;
  cursor = 0;
  seen = 0;
  shuffler = new Generator(seed + 1);
  sendFilters();
  post({ type: 'state', running: false, done: false, seen });
}

function loaded(): void {
  if (!train || !test) return;
  const testImages = test.images.slice();
  const testLabels = test.labels.slice();
  post({ type: 'loaded', trainCount: train.count, testCount: test.count, testImages, testLabels }, [testImages.buffer, testLabels.buffer]);
  sendFilters();
}

sendFilters(); // the initial (random) filters, before any data arrives

scope.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case 'load': {
        post({ type: 'loading', message: 'Downloading MNIST from the lab server…' });
        const [ti, tl, si, sl] = await Promise.all([
          fetchIdx(msg.base, MNIST_FILES.trainImages), fetchIdx(msg.base, MNIST_FILES.trainLabels),
          fetchIdx(msg.base, MNIST_FILES.testImages), fetchIdx(msg.base, MNIST_FILES.testLabels),
        ]);
        train = mnistFrom(ti, tl);
        test = mnistFrom(si, sl);
        loaded();
        break;
      }
      case 'loadFiles': {
        post({ type: 'loading', message: 'Reading the MNIST files…' });
        const f = msg.files;
        const [ti, tl, si, sl] = await Promise.all(
          [f.trainImages, f.trainLabels, f.testImages, f.testLabels].map((b) => maybeGunzip(new Uint8Array(b))),
        );
        train = mnistFrom(ti, tl);
        test = mnistFrom(si, sl);
        loaded();
        break;
      }
      case 'train': {
        const key = `${msg.config.optimizer}`;
        config = msg.config;
        if (!optimizer || key !== optimizerKey) {
          optimizer = makeOptimizer(model, msg.config.optimizer, msg.config.lr);
          optimizerKey = key;
        }
        for (const g of optimizer.paramGroups) g.lr = msg.config.lr;
        if (epoch >= msg.config.epochs) break;
        void trainLoop();
        break;
      }
      case 'pause':
        running = false;
        break;
      case 'reset':
        reset(msg.seed);
        break;
      case 'featureMaps': {
        if (!test) break;
        const probs = noGrad(() => Array.from(model.forward(batchOf(test!, [msg.index]).x).softmax(1).data()));
        post({ type: 'featureMaps', index: msg.index, maps: featureMaps(model, test, msg.index), probs });
        break;
      }
      case 'top': {
        if (!test) break;
        const items = topActivations(model, test, range(Math.min(msg.testSize, test.count)), msg.layer, msg.channel, 12);
        post({ type: 'top', layer: msg.layer, channel: msg.channel, items });
        break;
      }
      case 'predict':
        post({ type: 'prediction', probs: predict(model, msg.pixels) });
        break;
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
};
