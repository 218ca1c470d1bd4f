import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import type { Module } from '../../src/nn/module.js';
import { SGD, Adam, lrScheduler } from '../../src/optim/index.js';
import {
  fit, Trainer, CSVLogger, JSONLLogger, EarlyStopping, ModelCheckpoint, LambdaCallback, NonFiniteLossError, ProgressBar,
  parseCsvLine, loadCheckpoint, resolveMetrics,
} from '../../src/train/index.js';
import { MNIST_SKIP, loader, mnistSlice, sameBits, sink, tempDir, tinyNet, tinyConvNet } from './helpers.js';

const quiet = { progress: false as const };

test('fit on a slice of MNIST: the loss falls and the accuracy rises', { skip: MNIST_SKIP }, async () => {
  const model = tinyNet(1);
  const train = loader(mnistSlice(512), { shuffle: true, seed: 1 });
  const val = loader(mnistSlice(256, { train: false }), { batchSize: 128 });
  const history = await fit(model, {
    ...quiet, train, val, epochs: 3,
    optimizer: new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }),
    metrics: ['accuracy', 'top5', 'error'],
  });
  const loss = history.get('loss') as number[];
  const valAcc = history.get('valAccuracy') as number[];
  assert.equal(history.epochs.length, 3);
  assert.ok(loss[2] < loss[0] * 0.6, `training loss should fall: ${loss}`);
  assert.ok(valAcc[2] > valAcc[0] || valAcc[0] > 0.85, `val accuracy should rise: ${valAcc}`);
  assert.ok(valAcc[2] > 0.75, `val accuracy after 3 epochs: ${valAcc[2]}`);
  const last = history.last!;
  for (const key of ['epoch', 'lr', 'loss', 'accuracy', 'top5Accuracy', 'error', 'valLoss', 'valAccuracy', 'valTop5Accuracy', 'valError', 'time', 'imagesPerSec']) {
    assert.ok(key in last, `logs have ${key}`);
  }
  assert.ok((last.valTop5Accuracy as number) >= (last.valAccuracy as number));
  assert.ok(Math.abs((last.valError as number) - (1 - (last.valAccuracy as number))) < 1e-12);
  assert.deepEqual(Object.keys(history.history).slice(0, 3), ['epoch', 'lr', 'loss']);
});

test('validation metrics: confusion matrix, per-class precision/recall, mean IoU', async () => {
  const model = tinyNet(2);
  const ds = mnistSlice(128, { train: false });
  const history = await fit(model, {
    ...quiet, train: loader(mnistSlice(128)), val: loader(ds), epochs: 1,
    optimizer: new SGD(model.parameters(), { lr: 0.05 }),
    valMetrics: ['confusionMatrix', 'precision', 'recall', 'f1', 'meanIoU'],
  });
  const logs = history.last!;
  const cm = logs.valConfusionMatrix as number[][];
  assert.equal(cm.length, 10);
  assert.equal(cm.flat().reduce((a, b) => a + b, 0), 128);
  const diag = cm.reduce((s, row, i) => s + row[i], 0);
  assert.ok(Math.abs(diag / 128 - (logs.valAccuracy as number)) < 1e-12, 'confusion diagonal = accuracy');
  assert.equal((logs.valPrecision as number[]).length, 10);
  assert.equal((logs.valRecall as number[]).length, 10);
  assert.equal(typeof logs.valMeanIoU, 'number');
  assert.equal(typeof logs.valMacroRecall, 'number');
  assert.ok(!('confusionMatrix' in logs), 'training logs only carry the training metrics');
});

const metricCases: [string, string[], RegExp | null][] = [
  ['accuracy aliases', ['acc', 'top1', 'accuracy'], null],
  ['top-k and errors', ['top3', 'top5Error', 'error'], null],
  ['unknown name', ['precison'], /unknown metric 'precison'; known: accuracy/],
];
for (const [name, specs, error] of metricCases) {
  test(`metric names: ${name}`, () => {
    if (error) assert.throws(() => resolveMetrics(specs), error);
    else assert.doesNotThrow(() => resolveMetrics(specs));
  });
}

test('CSV and JSONL logs hold one row per epoch with the logged values', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const model = tinyNet(3);
    const csv = join(dir, 'log.csv');
    const jsonl = join(dir, 'log.jsonl');
    const history = await fit(model, {
      ...quiet, train: loader(mnistSlice(128)), val: loader(mnistSlice(64, { train: false })), epochs: 2,
      optimizer: new SGD(model.parameters(), { lr: 0.05 }),
      valMetrics: ['confusionMatrix'],
      callbacks: [new CSVLogger(csv), new JSONLLogger(jsonl)],
    });
    const rows = readFileSync(csv, 'utf8').trim().split('\n').map(parseCsvLine);
    assert.equal(rows.length, 3);
    const header = rows[0];
    assert.deepEqual(header.slice(0, 5), ['epoch', 'lr', 'loss', 'accuracy', 'valLoss']);
    assert.ok(!header.includes('valConfusionMatrix'), 'matrices are not CSV columns');
    for (let e = 0; e < 2; e++) {
      for (const col of ['epoch', 'loss', 'valAccuracy']) {
        assert.equal(Number(rows[e + 1][header.indexOf(col)]), history.epochs[e][col], `${col} of epoch ${e + 1}`);
      }
    }
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1].valConfusionMatrix, history.epochs[1].valConfusionMatrix);
    assert.equal(lines[0].loss, history.epochs[0].loss);
  } finally {
    cleanup();
  }
});

test('a NaN loss stops training with a message naming the epoch and step, before the step', async () => {
  const model = tinyNet(4);
  const before = new Map([...model.stateDict()].map(([k, t]) => [k, t.clone()]));
  let calls = 0;
  const loss = (out: st.Tensor, target: st.Tensor) => {
    calls++;
    const l = F.crossEntropy(out, target);
    return calls === 7 ? l.mul(NaN) : l.mul(0); // zero loss: weights unchanged until the NaN
  };
  await assert.rejects(
    fit(model, { ...quiet, train: loader(mnistSlice(256), { batchSize: 64 }), epochs: 3, loss, optimizer: new SGD(model.parameters(), { lr: 0.1 }) }),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.match(e.message, /^loss is NaN at epoch 2, step 3\/4 \(global step 7\)/);
      assert.equal(e.history.epochs.length, 1);
      return true;
    },
  );
  assert.equal(sameBits(before, model.stateDict()), null, 'weights untouched by the NaN step');
});

test('an infinite loss is caught too; stopOnNonFinite: false lets it through', async () => {
  const model = tinyNet(4);
  const inf = (out: st.Tensor, target: st.Tensor) => F.crossEntropy(out, target).mul(0).add(Infinity);
  await assert.rejects(
    fit(model, { ...quiet, train: loader(mnistSlice(64)), epochs: 1, loss: inf, optimizer: new SGD(model.parameters(), { lr: 0 }) }),
    /loss is Infinity at epoch 1, step 1\/1/,
  );
  const h = await fit(model, { ...quiet, train: loader(mnistSlice(64)), epochs: 1, loss: inf, stopOnNonFinite: false, optimizer: new SGD(model.parameters(), { lr: 0 }) });
  assert.equal(h.last!.loss, Infinity);
});

test('early stopping stops after `patience` epochs without improvement and can restore the best weights', async () => {
  const model = tinyNet(5);
  const values = [0.5, 0.4, 0.45, 0.41, 0.42, 0.3];
  let epoch = 0;
  // Feed a scripted monitored value through a custom metric.
  const scripted = { name: 'score', fn: () => values[epoch] };
  const es = new EarlyStopping({ monitor: 'valScore', mode: 'min', patience: 2, restoreBestWeights: true });
  let bestWeights: Map<string, st.Tensor> | null = null;
  const history = await fit(model, {
    ...quiet, train: loader(mnistSlice(64)), val: loader(mnistSlice(32, { train: false })), epochs: 6,
    optimizer: new SGD(model.parameters(), { lr: 0.05 }), metrics: ['accuracy', scripted],
    callbacks: [
      new LambdaCallback({ onEpochEnd: (e) => { epoch = e; if (e === 2) bestWeights = new Map([...model.stateDict()].map(([k, t]) => [k, t.clone()])); } }),
      es,
    ],
  });
  assert.deepEqual(history.get('valScore'), [0.5, 0.4, 0.45, 0.41, 0.42].slice(0, history.epochs.length).map((_, i) => values[i]));
  assert.equal(history.epochs.length, 5, 'epochs 3, 4, 5 do not improve on 0.4: stop after epoch 5 (patience 2)');
  assert.match(history.stopReason!, /early stopping: valScore has not improved for 3 epochs .*at epoch 2/);
  assert.equal(es.bestEpoch, 2);
  assert.equal(sameBits(bestWeights!, model.stateDict()), null, 'best weights restored');
});

test('monitored metric missing from the logs: a clear error', async () => {
  const model = tinyNet(6);
  await assert.rejects(
    fit(model, { ...quiet, train: loader(mnistSlice(32)), epochs: 1, optimizer: new SGD(model.parameters(), { lr: 0.01 }), callbacks: [new EarlyStopping({ monitor: 'valAccuracy' })] }),
    /EarlyStopping: monitored metric 'valAccuracy' is not in the epoch's logs \(available: lr, loss, accuracy/,
  );
});

const schedulerCases: [string, (opt: SGD, steps: number) => any, (lrs: number[], steps: number) => void][] = [
  ['OneCycleLR steps per batch', (opt, steps) => new lrScheduler.OneCycleLR(opt, 0.1, { epochs: 2, stepsPerEpoch: steps }), (lrs) => {
    assert.ok(Math.abs(lrs[0] - 0.004) < 1e-9, `starts at maxLr/25: ${lrs[0]}`);
    assert.ok(lrs[1] > lrs[0], 'rises within the first epoch');
  }],
  ['StepLR steps per epoch', (opt) => new lrScheduler.StepLR(opt, 1, { gamma: 0.5 }), (lrs) => assert.deepEqual(lrs, [0.1, 0.05])],
  ['ReduceLROnPlateau on the val metric', (opt) => new lrScheduler.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, mode: 'max' }), (lrs) => assert.equal(lrs[0], 0.1)],
];
for (const [name, make, check] of schedulerCases) {
  test(`scheduler: ${name}`, async () => {
    const model = tinyNet(7);
    const train = loader(mnistSlice(128), { batchSize: 32 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const batchLrs: number[] = [];
    const history = await fit(model, {
      ...quiet, train, val: loader(mnistSlice(32, { train: false })), epochs: 2, optimizer, scheduler: (opt) => make(opt as SGD, train.length),
      callbacks: [new LambdaCallback({ onBatchEnd: (logs) => { batchLrs.push(logs.lr); } })],
    });
    assert.equal(batchLrs.length, 8);
    check(name.startsWith('OneCycle') ? batchLrs : (history.get('lr') as number[]), train.length);
    if (name.startsWith('OneCycle')) {
      assert.ok(Math.max(...batchLrs) > 0.08, `rises towards maxLr: ${batchLrs}`);
      assert.ok(batchLrs[7] < 1e-6, `the last step runs at maxLr/25/1e4: ${batchLrs[7]}`);
    }
  });
}

test('progress: one line per epoch when not a TTY; a bar with steps/s, img/s, ETA and loss on a TTY', async () => {
  const out = sink(false);
  const model = tinyNet(8);
  await fit(model, { train: loader(mnistSlice(64), { batchSize: 32 }), epochs: 2, optimizer: new SGD(model.parameters(), { lr: 0.01 }), progress: { out, bar: out } });
  const lines = out.text.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^epoch 1\/2 {2}lr 0\.0100 {2}loss \d\.\d{4} {2}accuracy \d+\.\d\d% {2}\d+\.\ds {2}\d+ img\/s$/);
  const tty = sink(true);
  const bar = new ProgressBar({ out: tty, bar: tty, interval: 0 });
  assert.equal(bar.mode, process.env.CI ? 'lines' : 'bar');
  const forced = new ProgressBar({ out: tty, bar: tty, mode: 'bar' });
  forced.onEpochBegin();
  const text = forced.render({ step: 5, steps: 10, globalStep: 5, loss: 0.5, runningLoss: 0.61234, batchSize: 32, lr: 0.1 }, { epoch: 0, epochs: 3 } as never, performance.now() + 1000);
  assert.match(text, /^epoch 1\/3 \[=+> *\] 5\/10 {2}[\d.]+ step\/s {2}\d+ img\/s {2}ETA \d+:\d\d {2}loss 0\.6123$/);
});

test('the PyTorch-style manual loop stays usable beside fit', async () => {
  const model = tinyNet(9);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  for (const [x, y] of loader(mnistSlice(64))) {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
  }
  const h = await fit(model, { ...quiet, train: loader(mnistSlice(64)), epochs: 1, optimizer: opt });
  assert.equal(h.epochs.length, 1);
});

// ---- checkpoints and resumption ------------------------------------------------------------------

interface Run {
  model: Module;
  trainer: Trainer;
}

/** The same run set up from scratch: shuffled loader with its own generator, dropout, SGD momentum, OneCycle. */
function setup(seed: number, dir: string, options: { resume?: string; interruptAfter?: number; loaderSeed?: number } = {}): Run {
  st.manualSeed(seed);
  const model = tinyConvNet(seed);
  const train = loader(mnistSlice(320), { shuffle: true, seed: options.loaderSeed ?? 11, batchSize: 64 });
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const callbacks = [new ModelCheckpoint(dir), new EarlyStopping({ patience: 10 }), new CSVLogger(join(dir, 'log.csv'))];
  if (options.interruptAfter) {
    const stopAt = options.interruptAfter;
    callbacks.push(new LambdaCallback({ order: 1000, onEpochEnd: (e) => { if (e === stopAt) throw new Error('interrupted'); } }) as never);
  }
  const trainer = new Trainer(model, {
    ...quiet, train, val: loader(mnistSlice(64, { train: false })), epochs: 4, optimizer,
    scheduler: (opt) => new lrScheduler.OneCycleLR(opt, 0.1, { epochs: 4, stepsPerEpoch: train.length }),
    callbacks, resume: options.resume,
  });
  return { model, trainer };
}

test('resume from a checkpoint ends bit-identical to an uninterrupted run (shuffle, dropout, OneCycle)', async () => {
  const a = tempDir();
  const b = tempDir();
  try {
    const full = setup(42, a.dir);
    const fullHistory = await full.trainer.fit();
    assert.equal(fullHistory.epochs.length, 4);

    const first = setup(42, b.dir, { interruptAfter: 2 });
    await assert.rejects(first.trainer.fit(), /interrupted/);
    const ckpt = loadCheckpoint(join(b.dir, 'last'));
    assert.equal(ckpt.data!.epoch, 2);

    // Consume random numbers and use different seeds: everything must come from the checkpoint.
    st.manualSeed(999);
    st.randn([100]);
    const resumed = setup(7, b.dir, { resume: join(b.dir, 'last.safetensors'), loaderSeed: 12345 });
    const resumedHistory = await resumed.trainer.fit();
    assert.equal(resumedHistory.epochs.length, 4);
    assert.equal(sameBits(full.model.stateDict(), resumed.model.stateDict()), null);
    assert.deepEqual(resumedHistory.get('loss'), fullHistory.get('loss'));
    assert.deepEqual(resumedHistory.get('valLoss'), fullHistory.get('valLoss'));
    assert.deepEqual(resumedHistory.get('lr'), fullHistory.get('lr'));
    // The CSV log of the interrupted + resumed run has each epoch once.
    const rows = readFileSync(join(b.dir, 'log.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]), ['1', '2', '3', '4']);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('checkpoint files: PyTorch state-dict names in safetensors, sidecar with optimiser, scheduler, RNG, config and metrics', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = setup(3, dir);
    (run.trainer.config as Record<string, unknown>).model = 'tiny';
    await run.trainer.fit();
    const files = readdirSync(dir).sort();
    assert.ok(files.includes('last.safetensors') && files.includes('last.json') && files.includes('best.safetensors') && files.includes('best.json'));
    assert.ok(!files.some((f) => f.endsWith('.tmp')), `no temp files left: ${files}`);
    const ckpt = loadCheckpoint(dir);
    assert.deepEqual([...ckpt.stateDict.keys()].sort(), ['0.bias', '0.weight', '5.bias', '5.weight']);
    const d = ckpt.data!;
    assert.equal(d.epoch, 4);
    assert.equal(d.globalStep, 20);
    assert.equal(d.optimizer!.class, 'SGD');
    assert.equal(d.scheduler!.class, 'OneCycleLR');
    assert.equal(d.rng.default.mt.length, 624);
    assert.ok((d.rng.loader as { generator: unknown }).generator, 'loader state saved');
    assert.equal(d.rng.loaderGenerator!.mt.length, 624, 'loader shuffle generator saved');
    assert.equal(d.config.model, 'tiny');
    assert.equal(d.metrics!.epoch, 4);
    assert.equal(d.history.length, 4);
    assert.ok('modelCheckpoint' in d.callbacks && 'earlyStopping' in d.callbacks);
    const best = loadCheckpoint(join(dir, 'best.json'));
    const bestEpoch = (d.callbacks.modelCheckpoint as { bestEpoch: number }).bestEpoch;
    assert.equal(best.data!.epoch, bestEpoch);
  } finally {
    cleanup();
  }
});

test('resume checks: optimiser class, missing sidecar, mismatched pair', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const run = setup(3, dir);
    await run.trainer.fit();
    const model = tinyConvNet(0);
    const t = new Trainer(model, { ...quiet, train: loader(mnistSlice(64)), epochs: 5, optimizer: new Adam(model.parameters()), resume: dir });
    await assert.rejects(t.fit(), /was saved with optimiser SGD, this run uses Adam/);
    assert.throws(() => loadCheckpoint(join(dir, 'nothing')), /no weights file .*nothing\.safetensors/);
    const { copyFileSync } = await import('node:fs');
    copyFileSync(join(dir, 'best.json'), join(dir, 'mixed.json'));
    copyFileSync(join(dir, 'last.safetensors'), join(dir, 'mixed.safetensors'));
    if (loadCheckpoint(join(dir, 'best')).data!.id !== loadCheckpoint(dir).data!.id) {
      assert.throws(() => loadCheckpoint(join(dir, 'mixed')), /do not belong together/);
    }
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'mixed.json'));
    assert.throws(() => loadCheckpoint(join(dir, 'mixed'), { requireSidecar: true }), /mixed\.json is missing/);
  } finally {
    cleanup();
  }
});
