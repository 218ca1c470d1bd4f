/**
 * The Playground page: wires the state (mirrored in the URL hash), the data,
 * the Strata network and the views, and runs training one epoch per
 * animation frame while playing.
 */
import '../common/style.css';
import './playground.css';
import { mountNav } from '../common/nav.js';
import { $ } from '../common/dom.js';
import { LineChart } from '../common/line-chart.js';
import { freshSeed } from '../common/rng.js';
import { generate, split, type Point } from './datasets.js';
import { PlaygroundNet, toTensors, type GridOutputs } from './network.js';
import { activeFeatures, parseState, serializeState, MAX_HIDDEN_LAYERS, MAX_NEURONS, type PlaygroundState } from './state.js';
import { Controls } from './ui/controls.js';
import { NetworkView } from './ui/network-view.js';
import { OutputView } from './ui/output-view.js';
import type { Tensor } from '../../src/core.js';

const DENSITY = 64;

class Playground {
  private state: PlaygroundState;
  private train: Point[] = [];
  private test: Point[] = [];
  private trainT!: { x: Tensor; y: Tensor };
  private testT!: { x: Tensor; y: Tensor };
  private net!: PlaygroundNet;
  private resets = 0;
  private playing = false;
  private frame = 0;
  private lossTrain: number[] = [];
  private lossTest: number[] = [];
  private lastGrid: GridOutputs | null = null;
  private writtenHash = '';

  private readonly controls: Controls;
  private readonly networkView: NetworkView;
  private readonly output: OutputView;
  private readonly lossChart: LineChart;
  private readonly gradChart: LineChart;

  constructor() {
    this.state = parseState(location.hash);
    this.controls = new Controls($('#top-bar'), $('#data-column'), $('#output-options'), this.state, {
      playPause: () => this.setPlaying(!this.playing),
      step: () => {
        this.setPlaying(false);
        this.oneEpoch();
        this.render();
      },
      reset: () => this.reset(),
      regenerate: () => {
        this.state.seed = freshSeed();
        this.regenerate();
      },
      changed: (key) => this.changed(key),
    });
    this.networkView = new NetworkView($('#network-column'), {
      toggleFeature: (id) => {
        this.state.features[id] = !this.state.features[id];
        this.changed('features');
      },
      addLayer: () => {
        if (this.state.networkShape.length < MAX_HIDDEN_LAYERS) this.state.networkShape.push(2);
        this.changed('networkShape');
      },
      removeLayer: () => {
        this.state.networkShape.pop();
        this.changed('networkShape');
      },
      addNeuron: (l) => {
        this.state.networkShape[l] = Math.min(MAX_NEURONS, this.state.networkShape[l] + 1);
        this.changed('networkShape');
      },
      removeNeuron: (l) => {
        this.state.networkShape[l] = Math.max(1, this.state.networkShape[l] - 1);
        this.changed('networkShape');
      },
      editWeight: (l, i, j, v) => {
        this.net.setWeight(l, i, j, v);
        this.render();
      },
    });
    this.output = new OutputView($('#output-heatmap'));
    this.lossChart = new LineChart($('#loss-chart'), { height: 70, legend: false, axes: false });
    this.gradChart = new LineChart($('#grad-chart'), { height: 150, logY: true, xLabel: 'epoch', emptyText: 'Train (▶ or step) to see the gradient norms of every layer.' });
    window.addEventListener('hashchange', () => {
      if (location.hash.replace(/^#/, '') === this.writtenHash) return;
      this.setPlaying(false);
      this.state = Object.assign(this.state, parseState(location.hash));
      this.controls.sync();
      this.regenerate();
    });
    this.regenerate();
  }

  /** The state changed through a control. */
  private changed(key: keyof PlaygroundState | 'features'): void {
    switch (key) {
      case 'learningRate':
        this.net.setLearningRate(this.state.learningRate);
        break;
      case 'regularization':
      case 'regularizationRate':
        this.net.setRegularization(this.state.regularization, this.state.regularizationRate);
        break;
      case 'batchSize':
        this.net.setBatchSize(this.state.batchSize);
        break;
      case 'showTestData':
        this.output.setData(this.train, this.test, this.state.showTestData);
        break;
      case 'discretize':
        this.render();
        break;
      case 'problem':
        this.controls.renderDatasets();
        this.regenerate();
        return;
      case 'dataset':
      case 'regDataset':
      case 'noise':
      case 'percTrainData':
        this.regenerate();
        return;
      default:
        this.reset();
        return;
    }
    this.writeHash();
  }

  private writeHash(): void {
    this.writtenHash = serializeState(this.state);
    history.replaceState(null, '', `#${this.writtenHash}`);
  }

  /** New points from the dataset, noise and seed; then a fresh network. */
  private regenerate(): void {
    const s = this.state;
    const name = s.problem === 'classification' ? s.dataset : s.regDataset;
    const points = generate(name, s.noise / 100, s.seed);
    ({ train: this.train, test: this.test } = split(points, s.percTrainData));
    document.body.dataset.dataset = name;
    this.output.setData(this.train, this.test, s.showTestData);
    this.reset();
  }

  /** A fresh network for the current state. */
  private reset(): void {
    const s = this.state;
    const features = activeFeatures(s);
    this.trainT = toTensors(this.train, features);
    this.testT = toTensors(this.test, features);
    this.net = new PlaygroundNet({
      features,
      hidden: s.networkShape,
      activation: s.activation,
      problem: s.problem,
      learningRate: s.learningRate,
      optimizer: s.optimizer,
      regularization: s.regularization,
      regularizationRate: s.regularizationRate,
      batchNorm: s.batchNorm,
      dropout: s.dropout,
      batchSize: s.batchSize,
      seed: this.resets === 0 ? s.seed : `${s.seed}/${this.resets}`,
    });
    this.resets++;
    this.lossTrain = [this.net.loss(this.trainT)];
    this.lossTest = [this.net.loss(this.testT)];
    this.networkView.setArchitecture(features, s.networkShape);
    this.writeHash();
    this.render();
  }

  private oneEpoch(): void {
    if (this.trainT.x.shape[1] === 0) return; // no input feature selected
    this.net.trainEpoch(this.trainT);
    this.lossTrain.push(this.net.loss(this.trainT));
    this.lossTest.push(this.net.loss(this.testT));
  }

  private setPlaying(on: boolean): void {
    this.playing = on;
    this.controls.setPlaying(on);
    if (on && !this.frame) this.frame = requestAnimationFrame(() => this.tick());
  }

  private tick(): void {
    this.frame = 0;
    if (!this.playing) return;
    this.oneEpoch();
    this.render();
    this.frame = requestAnimationFrame(() => this.tick());
  }

  private render(): void {
    const grid = this.net.grid(DENSITY);
    this.lastGrid = grid;
    const out = grid.layers[grid.layers.length - 1][0];
    this.output.paint(out, DENSITY, this.state.discretize && this.state.problem === 'classification');
    this.networkView.update(grid, this.net.weights(), this.net.biases());
    this.controls.setEpoch(this.net.epoch);
    const train = this.lossTrain[this.lossTrain.length - 1];
    const test = this.lossTest[this.lossTest.length - 1];
    setLoss('#loss-train', train);
    setLoss('#loss-test', test);
    this.lossChart.update([
      { name: 'test', color: '#222', values: this.lossTest },
      { name: 'training', color: '#999', values: this.lossTrain },
    ]);
    const layers = this.net.layers.length;
    const hist = this.net.gradHistory;
    this.gradChart.update(
      Array.from({ length: layers }, (_, l) => ({
        name: l === layers - 1 ? 'output layer' : `layer ${l + 1}`,
        color: gradColor(l, layers),
        values: hist.map((h) => h[l]),
        xs: hist.map((_, e) => e + 1),
      })),
    );
  }
}

function setLoss(selector: string, v: number): void {
  const e = $(selector);
  e.textContent = Number.isFinite(v) ? v.toFixed(3) : String(v);
  e.dataset.value = String(v);
}

/** Layer colours for the gradient-flow chart: early layers dark, late ones light. */
function gradColor(l: number, n: number): string {
  const palette = ['#3b0f70', '#6a1c81', '#982d80', '#c83e73', '#ee5b5e', '#fb8861', '#febb81'];
  return n <= 1 ? palette[0] : palette[Math.round((l / (n - 1)) * (palette.length - 1))];
}

mountNav('playground');
new Playground();
