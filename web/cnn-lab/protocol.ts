/** Messages between the CNN lab page and its training worker. */
import type { ConvLayer, Evaluation, LayerName, OptimizerName, TopActivation } from './lenet.js';

export interface TrainConfig {
  /** Training images used (the first n of the 60 000, reshuffled every epoch). */
  trainSize: number;
  /** Test images evaluated (the first n of the 10 000). */
  testSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** Evaluations per epoch (besides the one at its end). */
  evalsPerEpoch: number;
}

export type ToWorker =
  | { type: 'load'; base: string }
  | { type: 'loadFiles'; files: { trainImages: ArrayBuffer; trainLabels: ArrayBuffer; testImages: ArrayBuffer; testLabels: ArrayBuffer } }
  | { type: 'train'; config: TrainConfig }
  | { type: 'pause' }
  | { type: 'reset'; seed: number }
  | { type: 'featureMaps'; index: number }
  | { type: 'top'; layer: ConvLayer; channel: number; testSize: number }
  | { type: 'predict'; pixels: Float32Array };

export type FeatureMaps = Record<LayerName, { shape: [number, number, number]; data: Float32Array }>;

export type FromWorker =
  | { type: 'loading'; message: string }
  | { type: 'loaded'; trainCount: number; testCount: number; testImages: Uint8Array; testLabels: Uint8Array }
  | { type: 'progress'; epoch: number; epochs: number; step: number; stepsPerEpoch: number; seen: number; loss: number; accuracy: number; imagesPerSecond: number }
  | { type: 'eval'; seen: number; epoch: number; result: Evaluation }
  | { type: 'filters'; conv1: number[][]; conv2: number[][][] }
  | { type: 'state'; running: boolean; done: boolean; seen: number }
  | { type: 'featureMaps'; index: number; maps: FeatureMaps; probs: number[] }
  | { type: 'top'; layer: ConvLayer; channel: number; items: TopActivation[] }
  | { type: 'prediction'; probs: number[] }
  | { type: 'error'; message: string };
