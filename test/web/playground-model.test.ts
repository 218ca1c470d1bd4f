// Unit tests of the Playground's DOM-free parts: data sets, features, URL state, network on Strata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_DATASETS, REG_DATASETS, generate, split, multiGaussLabel } from '../../web/playground/datasets.js';
import { FEATURES, featureMatrix } from '../../web/playground/features.js';
import { activeFeatures, defaultState, parseState, serializeState, type PlaygroundState } from '../../web/playground/state.js';
import { PlaygroundNet, toTensors, type NetConfig } from '../../web/playground/network.js';

function config(over: Partial<NetConfig> = {}): NetConfig {
  return {
    features: ['x', 'y'], hidden: [4, 2], activation: 'tanh', problem: 'classification', learningRate: 0.03,
    optimizer: 'sgd', regularization: 'none', regularizationRate: 0, batchNorm: false, dropout: 0, batchSize: 10,
    seed: 'unit', ...over,
  };
}

test('data sets: sizes, label ranges, seeded and shuffled', () => {
  for (const name of CLASS_DATASETS) {
    const pts = generate(name, 0.1, 's');
    assert.equal(pts.length, 500, name);
    assert.ok(pts.every((p) => p.label === 1 || p.label === -1), name);
    assert.ok(pts.some((p) => p.label === 1) && pts.some((p) => p.label === -1), name);
    assert.deepEqual(generate(name, 0.1, 's'), pts, `${name} is reproducible from its seed`);
    assert.notDeepEqual(generate(name, 0.1, 't'), pts, `${name} changes with the seed`);
  }
  for (const name of REG_DATASETS) {
    const pts = generate(name, 0, 's');
    assert.equal(pts.length, 1200, name);
    assert.ok(pts.every((p) => p.label >= -1 && p.label <= 1 && Math.abs(p.x) <= 6 && Math.abs(p.y) <= 6), name);
  }
});

test('data sets: noise-free labels follow the rule of each set', () => {
  const cases: [string, (p: { x: number; y: number; label: number }) => boolean][] = [
    ['circle', (p) => (Math.hypot(p.x, p.y) < 2.5 ? 1 : -1) === p.label],
    ['xor', (p) => (p.x * p.y >= 0 ? 1 : -1) === p.label],
    ['reg-plane', (p) => Math.abs(p.label - Math.max(-1, Math.min(1, (p.x + p.y) / 10))) < 1e-12],
    ['reg-gauss', (p) => p.label === multiGaussLabel(p.x, p.y)],
  ];
  for (const [name, rule] of cases) assert.ok(generate(name as never, 0, 'r').every(rule), name);
});

test('split: train/test ratio', () => {
  const pts = generate('circle', 0, 'a');
  for (const [perc, nTrain] of [[50, 250], [10, 50], [90, 450]] as const) {
    const { train, test: held } = split(pts, perc);
    assert.equal(train.length, nTrain);
    assert.equal(train.length + held.length, 500);
  }
});

test('features: values of every feature at one point', () => {
  const row = featureMatrix([{ x: 2, y: -3 }], FEATURES.map((f) => f.id));
  const expected = [2, -3, 4, 9, -6, Math.sin(2), Math.sin(-3)];
  expected.forEach((v, i) => assert.ok(Math.abs(row[i] - v) < 1e-6, FEATURES[i].id));
});

test('URL state: defaults, round trip, invalid values fall back', () => {
  assert.deepEqual(parseState(''), defaultState());
  assert.deepEqual(parseState(serializeState(defaultState())), defaultState());
  const s: PlaygroundState = {
    ...defaultState(),
    problem: 'regression', regDataset: 'reg-gauss', dataset: 'spiral', percTrainData: 70, noise: 25, batchSize: 3,
    seed: '0.98765', networkShape: [8, 1, 3], learningRate: 0.3, activation: 'relu', regularization: 'L1',
    regularizationRate: 0.003, optimizer: 'adam', batchNorm: true, dropout: 0.2, showTestData: true, discretize: true,
    features: { x: false, y: true, xSquared: true, ySquared: false, xTimesY: true, sinX: false, sinY: true },
  };
  assert.deepEqual(parseState('#' + serializeState(s)), s);
  assert.deepEqual(parseState('networkShape=').networkShape, [], 'no hidden layers');
  const bad = parseState('activation=swish&networkShape=9,2&batchSize=-1&learningRate=abc&dataset=moons&seed=<x>');
  const d = defaultState();
  assert.equal(bad.activation, d.activation);
  assert.deepEqual(bad.networkShape, d.networkShape);
  assert.equal(bad.batchSize, d.batchSize);
  assert.equal(bad.learningRate, d.learningRate);
  assert.equal(bad.dataset, d.dataset);
  assert.equal(bad.seed, d.seed);
  assert.deepEqual(activeFeatures(s), ['y', 'xSquared', 'xTimesY', 'sinY']);
});

test('network: shapes of weights and grid outputs follow the configuration', () => {
  const net = new PlaygroundNet(config({ features: ['x', 'y', 'xTimesY'], hidden: [5, 3] }));
  assert.deepEqual(net.weights().map((w) => [w.length, w[0].length]), [[3, 5], [5, 3], [3, 1]]);
  const g = net.grid(10);
  assert.deepEqual(g.layers.map((l) => l.length), [3, 5, 3, 1]);
  assert.ok(g.layers.every((l) => l.every((v) => v.length === 100)));
  assert.ok(g.layers[0][0][0] < 0 && g.layers[0][1][0] > 0, 'row 0 is the top-left corner (x < 0, y > 0)');
  const flat = new PlaygroundNet(config({ hidden: [] }));
  assert.deepEqual(flat.weights().map((w) => [w.length, w[0].length]), [[2, 1]]);
});

test('network: default settings learn the circle set (test loss < 0.1)', () => {
  const s = defaultState();
  const { train, test: held } = split(generate('circle', 0, s.seed), s.percTrainData);
  const feats = activeFeatures(s);
  const tr = toTensors(train, feats);
  const te = toTensors(held, feats);
  const net = new PlaygroundNet(config({ seed: s.seed }));
  const before = net.loss(te);
  for (let e = 0; e < 200 && net.loss(te) >= 0.05; e++) net.trainEpoch(tr);
  assert.ok(net.loss(te) < 0.1, `test loss ${net.loss(te)} (from ${before})`);
  assert.equal(net.gradHistory.length, net.epoch);
});

test('network: every optimiser, batch norm and dropout train XOR with X1·X2', () => {
  const { train } = split(generate('xor', 0, 'x'), 50);
  for (const over of [
    { optimizer: 'momentum' }, { optimizer: 'adam' }, { batchNorm: true }, { dropout: 0.1, optimizer: 'adam' },
    { activation: 'relu' }, { activation: 'sigmoid', optimizer: 'adam' }, { regularization: 'L2', regularizationRate: 0.001 },
  ] as Partial<NetConfig>[]) {
    const net = new PlaygroundNet(config({ features: ['x', 'y', 'xTimesY'], ...over }));
    const tr = toTensors(train, net.config.features);
    const before = net.loss(tr);
    for (let e = 0; e < 30; e++) net.trainEpoch(tr);
    assert.ok(net.loss(tr) < before * 0.7, `${JSON.stringify(over)}: ${before} → ${net.loss(tr)}`);
  }
});

test('network: L1 shrinks weights compared with no penalty', () => {
  const { train } = split(generate('gauss', 0, 'g'), 50);
  const norm = (n: PlaygroundNet) => n.weights().flat(2).reduce((s, w) => s + Math.abs(w), 0);
  const run = (over: Partial<NetConfig>) => {
    const net = new PlaygroundNet(config(over));
    const tr = toTensors(train, net.config.features);
    for (let e = 0; e < 30; e++) net.trainEpoch(tr);
    return norm(net);
  };
  assert.ok(run({ regularization: 'L1', regularizationRate: 0.03 }) < run({}));
});

test('network: gradient norms vanish in deep sigmoid nets', () => {
  const { train } = split(generate('circle', 0, 'v'), 50);
  const net = new PlaygroundNet(config({ hidden: [8, 8, 8, 8, 8, 8], activation: 'sigmoid' }));
  net.trainEpoch(toTensors(train, net.config.features));
  const g = net.gradHistory[0];
  assert.equal(g.length, 7);
  assert.ok(g[0] < g[6] / 20, `first layer ${g[0]} vs last ${g[6]}`);
});

test('network: setWeight changes one link and the output', () => {
  const net = new PlaygroundNet(config());
  const before = net.predict([{ x: 1, y: 1 }])[0];
  net.setWeight(0, 1, 2, 2.5);
  assert.equal(net.weights()[0][1][2], 2.5);
  assert.notEqual(net.predict([{ x: 1, y: 1 }])[0], before);
  assert.throws(() => net.setWeight(0, 5, 0, 1), /setWeight/);
});
