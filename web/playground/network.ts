/**
 * The Playground's network, on Strata tensors and autograd: a fully
 * connected net (features → hidden layers → one output), trained by
 * minibatch descent on ½·(output − label)². Optional batch norm (before the
 * activation) and dropout (after it); L1/L2 penalties on the weights; SGD,
 * momentum or Adam. Records per-layer gradient norms for the gradient-flow
 * view. DOM-free, so it is unit-tested in Node.
 */
import { fromTypedArray, noGrad, ones, zeros, type Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { Adam, SGD, type Optimizer } from '../../src/optim/index.js';
import { Rng } from '../common/rng.js';
import { DOMAIN, type Point } from './datasets.js';
import { featureById, featureMatrix, type FeatureId } from './features.js';
import type { Activation, OptimizerName, Problem, Regularization } from './state.js';

export interface NetConfig {
  features: FeatureId[];
  /** Neurons per hidden layer. */
  hidden: number[];
  activation: Activation;
  problem: Problem;
  learningRate: number;
  optimizer: OptimizerName;
  regularization: Regularization;
  regularizationRate: number;
  batchNorm: boolean;
  dropout: number;
  batchSize: number;
  /** Seeds the initial weights. */
  seed: string;
}

interface Layer {
  /** [in, out], so a layer computes x·W + b. */
  weight: Tensor;
  bias: Tensor;
  /** Batch-norm scale and shift (hidden layers, when batch norm is on). */
  gamma?: Tensor;
  beta?: Tensor;
  runningMean?: Tensor;
  runningVar?: Tensor;
}


function activate(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'relu': return x.relu();
    case 'tanh': return x.tanh();
    case 'sigmoid': return x.sigmoid();
    case 'linear': return x;
  }
}

/** Feature rows and labels of a set of points as tensors [n, F] and [n, 1]. */
export function toTensors(points: readonly Point[], features: readonly FeatureId[]): { x: Tensor; y: Tensor } {
  const x = fromTypedArray(featureMatrix(points, features), [points.length, features.length]);
  const y = fromTypedArray(Float32Array.from(points, (p) => p.label), [points.length, 1]);
  return { x, y };
}

export interface GridOutputs {
  density: number;
  /** Per layer (inputs, hidden..., output), per neuron: density² values, row 0 at the top (y = +DOMAIN). */
  layers: Float32Array[][];
}

export class PlaygroundNet {
  readonly layers: Layer[] = [];
  readonly config: NetConfig;
  private optimizer: Optimizer<{ lr: number }>;
  /** Mean gradient norm of each layer's weights, per epoch (history for the gradient-flow view). */
  readonly gradHistory: number[][] = [];
  private gradSums: number[];
  private gradCount = 0;
  epoch = 0;

  constructor(config: NetConfig) {
    this.config = { ...config, hidden: [...config.hidden], features: [...config.features] };
    const rng = new Rng(`${config.seed}/weights`);
    const sizes = [config.features.length, ...config.hidden, 1];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [nIn, nOut] = [sizes[l], sizes[l + 1]];
      // As the original Playground: weights uniform in [-0.5, 0.5), biases 0.1.
      const w = Float32Array.from({ length: nIn * nOut }, () => rng.random() - 0.5);
      const layer: Layer = {
        weight: fromTypedArray(w, [nIn, nOut]).requiresGrad_(),
        bias: zeros([nOut]).add(0.1).requiresGrad_(),
      };
      if (config.batchNorm && l + 2 < sizes.length) {
        layer.gamma = ones([nOut]).requiresGrad_();
        layer.beta = zeros([nOut]).requiresGrad_();
        layer.runningMean = zeros([nOut]);
        layer.runningVar = ones([nOut]);
      }
      this.layers.push(layer);
    }
    this.optimizer = this.makeOptimizer();
    this.gradSums = this.layers.map(() => 0);
  }

  private makeOptimizer(): Optimizer<{ lr: number }> {
    const params = this.parameters();
    const lr = this.config.learningRate;
    switch (this.config.optimizer) {
      case 'sgd': return new SGD(params, { lr });
      case 'momentum': return new SGD(params, { lr, momentum: 0.9 });
      case 'adam': return new Adam(params, { lr });
    }
  }

  parameters(): Tensor[] {
    return this.layers.flatMap((l) => [l.weight, l.bias, ...(l.gamma && l.beta ? [l.gamma, l.beta] : [])]);
  }

  /** Change the learning rate without resetting the optimiser's state. */
  setLearningRate(lr: number): void {
    this.config.learningRate = lr;
    for (const g of this.optimizer.paramGroups) g.lr = lr;
  }
  setRegularization(kind: Regularization, rate: number): void {
    this.config.regularization = kind;
    this.config.regularizationRate = rate;
  }
  setBatchSize(n: number): void {
    this.config.batchSize = n;
  }

  /**
   * Forward pass. Returns the output [n, 1] and each hidden layer's
   * activations [n, H] (before dropout). `training` uses batch statistics
   * and dropout; otherwise running statistics and no dropout.
   */
  forward(x: Tensor, training: boolean): { output: Tensor; hidden: Tensor[] } {
    const hidden: Tensor[] = [];
    let h = x;
    this.layers.forEach((layer, l) => {
      let z = h.matmul(layer.weight).add(layer.bias);
      if (l === this.layers.length - 1) {
        h = this.config.problem === 'classification' ? z.tanh() : z;
        return;
      }
      if (layer.gamma && layer.beta && layer.runningMean && layer.runningVar) {
        // Batch statistics while training (running ones for a batch of one, where they are undefined).
        z = F.batchNorm(z, layer.runningMean, layer.runningVar, layer.gamma, layer.beta, { training: training && z.shape[0] > 1 });
      }
      h = activate(z, this.config.activation);
      hidden.push(h);
      if (training && this.config.dropout > 0) h = F.dropout(h, { p: this.config.dropout, training: true });
    });
    return { output: h, hidden };
  }

  /** Mean of ½·(output − label)² over a set (no gradients, no dropout). */
  loss(data: { x: Tensor; y: Tensor }): number {
    if (data.x.shape[0] === 0) return 0;
    return noGrad(() => this.forward(data.x, false).output.sub(data.y).square().mean().mul(0.5).item());
  }

  /** One optimiser step on one minibatch; returns its loss. */
  trainBatch(x: Tensor, y: Tensor): number {
    this.optimizer.zeroGrad();
    const loss = this.forward(x, true).output.sub(y).square().mean().mul(0.5);
    loss.backward();
    const { regularization, regularizationRate } = this.config;
    noGrad(() => {
      this.layers.forEach((layer, l) => {
        const g = layer.weight.grad;
        if (!g) return;
        this.gradSums[l] += g.norm().item();
        if (regularization !== 'none' && regularizationRate > 0) {
          const penalty = regularization === 'L1' ? layer.weight.sign() : layer.weight;
          g.add_(penalty.mul(regularizationRate));
        }
      });
    });
    this.gradCount++;
    this.optimizer.step();
    return loss.item();
  }

  /** One pass over the training set in minibatches of config.batchSize (in order, as the original). */
  trainEpoch(train: { x: Tensor; y: Tensor }): void {
    const n = train.x.shape[0];
    const b = Math.max(1, this.config.batchSize);
    for (let i = 0; i < n; i += b) {
      const len = Math.min(b, n - i);
      this.trainBatch(train.x.narrow(0, i, len), train.y.narrow(0, i, len));
    }
    this.epoch++;
    this.gradHistory.push(this.gradSums.map((s) => (this.gradCount ? s / this.gradCount : 0)));
    this.gradSums = this.layers.map(() => 0);
    this.gradCount = 0;
  }

  /** Output for single points (eval mode). */
  predict(points: readonly { x: number; y: number }[]): Float32Array {
    const x = fromTypedArray(featureMatrix(points, this.config.features), [points.length, this.config.features.length]);
    return noGrad(() => this.forward(x, false).output.data() as Float32Array);
  }

  /**
   * Every neuron's value on a density × density grid over [-DOMAIN, DOMAIN]²
   * (row 0 at the top), for the heat maps.
   */
  grid(density: number): GridOutputs {
    const points: { x: number; y: number }[] = [];
    for (let r = 0; r < density; r++) {
      const y = DOMAIN - ((r + 0.5) / density) * 2 * DOMAIN;
      for (let c = 0; c < density; c++) points.push({ x: -DOMAIN + ((c + 0.5) / density) * 2 * DOMAIN, y });
    }
    const feats = this.config.features;
    const x = fromTypedArray(featureMatrix(points, feats), [points.length, feats.length]);
    const inputs = feats.map((id) => Float32Array.from(points, (p) => featureById(id).f(p.x, p.y)));
    const { output, hidden } = noGrad(() => this.forward(x, false));
    const columns = (t: Tensor): Float32Array[] => {
      const data = t.contiguous().data() as Float32Array;
      const [n, k] = t.shape;
      return Array.from({ length: k }, (_, j) => {
        const col = new Float32Array(n);
        for (let i = 0; i < n; i++) col[i] = data[i * k + j];
        return col;
      });
    };
    return { density, layers: [inputs, ...hidden.map(columns), columns(output)] };
  }

  /** weights()[l][i][j]: the link from neuron i of layer l to neuron j of layer l+1 (layer 0 = inputs). */
  weights(): number[][][] {
    return this.layers.map((layer) => {
      const [nIn, nOut] = layer.weight.shape;
      const d = layer.weight.data();
      return Array.from({ length: nIn }, (_, i) => Array.from({ length: nOut }, (_, j) => d[i * nOut + j]));
    });
  }
  biases(): number[][] {
    return this.layers.map((layer) => Array.from(layer.bias.data()));
  }
  /** Set one weight (the link from neuron i of layer l to neuron j of layer l+1). */
  setWeight(l: number, i: number, j: number, value: number): void {
    const w = this.layers[l]?.weight;
    if (!w || i < 0 || j < 0 || i >= w.shape[0] || j >= w.shape[1] || !Number.isFinite(value)) {
      throw new Error(`setWeight: no link ${l}:${i}→${j} or bad value ${value}`);
    }
    noGrad(() => w.select(0, i).select(0, j).fill_(value));
  }
}
