/**
 * The Playground's whole configuration, and its round trip through the URL
 * hash (`#activation=tanh&networkShape=4,2&...`), so a set-up can be shared.
 * Unknown or malformed values fall back to the defaults. DOM-free.
 */
import { CLASS_DATASETS, REG_DATASETS, type ClassDataset, type RegDataset } from './datasets.js';
import { FEATURE_IDS, type FeatureId } from './features.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';
export type Regularization = 'none' | 'L1' | 'L2';
export type Problem = 'classification' | 'regression';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];
export const REGULARIZATIONS: readonly Regularization[] = ['none', 'L1', 'L2'];
export const PROBLEMS: readonly Problem[] = ['classification', 'regression'];
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];
export const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10] as const;
export const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10] as const;
export const DROPOUT_RATES = [0, 0.1, 0.2, 0.3, 0.5] as const;
export const MAX_HIDDEN_LAYERS = 6;
export const MAX_NEURONS = 8;

export interface PlaygroundState {
  problem: Problem;
  dataset: ClassDataset;
  regDataset: RegDataset;
  /** Percent of the points used for training (10..90). */
  percTrainData: number;
  /** Noise in percent (0..50). */
  noise: number;
  batchSize: number;
  /** Seed string of the data (and initial weights). */
  seed: string;
  features: Record<FeatureId, boolean>;
  /** Neurons per hidden layer (0..6 layers of 1..8). */
  networkShape: number[];
  learningRate: number;
  activation: Activation;
  regularization: Regularization;
  regularizationRate: number;
  optimizer: OptimizerName;
  batchNorm: boolean;
  /** Dropout probability after each hidden layer (0 = off). */
  dropout: number;
  showTestData: boolean;
  discretize: boolean;
}

export function defaultState(): PlaygroundState {
  return {
    problem: 'classification',
    dataset: 'circle',
    regDataset: 'reg-plane',
    percTrainData: 50,
    noise: 0,
    batchSize: 10,
    seed: '0.12345',
    features: { x: true, y: true, xSquared: false, ySquared: false, xTimesY: false, sinX: false, sinY: false },
    networkShape: [4, 2],
    learningRate: 0.03,
    activation: 'tanh',
    regularization: 'none',
    regularizationRate: 0,
    optimizer: 'sgd',
    batchNorm: false,
    dropout: 0,
    showTestData: false,
    discretize: false,
  };
}

/** The selected features in display order. */
export function activeFeatures(state: PlaygroundState): FeatureId[] {
  return FEATURE_IDS.filter((id) => state.features[id]);
}

type Scalars = Exclude<keyof PlaygroundState, 'features' | 'networkShape'>;
const KEYS: readonly Scalars[] = [
  'activation', 'regularization', 'batchSize', 'dataset', 'regDataset', 'learningRate', 'regularizationRate',
  'noise', 'seed', 'showTestData', 'discretize', 'percTrainData', 'problem', 'optimizer', 'batchNorm', 'dropout',
];

/** `state` as a URL hash body (without '#'). */
export function serializeState(state: PlaygroundState): string {
  const parts: string[] = [];
  for (const key of KEYS) parts.push(`${key}=${encodeURIComponent(String(state[key]))}`);
  parts.push(`networkShape=${state.networkShape.join(',')}`);
  for (const id of FEATURE_IDS) parts.push(`${id}=${state.features[id]}`);
  return parts.join('&');
}

function oneOf<T extends string>(values: readonly T[], v: string | undefined, fallback: T): T {
  return v !== undefined && (values as readonly string[]).includes(v) ? (v as T) : fallback;
}
function num(v: string | undefined, fallback: number, lo: number, hi: number, integer = false): number {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n))) return fallback;
  return n;
}
function bool(v: string | undefined, fallback: boolean): boolean {
  return v === undefined ? fallback : v !== 'false' && v !== '0';
}

/** Parse a URL hash (with or without '#'); anything missing or invalid keeps its default. */
export function parseState(hash: string): PlaygroundState {
  const map = new Map<string, string>();
  for (const kv of hash.replace(/^#/, '').split('&')) {
    if (!kv) continue;
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    let v = i < 0 ? '' : kv.slice(i + 1);
    try {
      v = decodeURIComponent(v);
    } catch {
      /* keep raw */
    }
    map.set(k, v);
  }
  const d = defaultState();
  const get = (k: string) => map.get(k);
  const shapeText = get('networkShape');
  let networkShape = d.networkShape;
  if (shapeText !== undefined) {
    const parts = shapeText.trim() === '' ? [] : shapeText.split(',').map(Number);
    if (parts.length <= MAX_HIDDEN_LAYERS && parts.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_NEURONS)) networkShape = parts;
  }
  const features = { ...d.features };
  for (const id of FEATURE_IDS) features[id] = bool(get(id), d.features[id]);
  const seed = get('seed');
  return {
    problem: oneOf(['classification', 'regression'], get('problem'), d.problem),
    dataset: oneOf(CLASS_DATASETS, get('dataset'), d.dataset),
    regDataset: oneOf(REG_DATASETS, get('regDataset'), d.regDataset),
    percTrainData: num(get('percTrainData'), d.percTrainData, 10, 90, true),
    noise: num(get('noise'), d.noise, 0, 50),
    batchSize: num(get('batchSize'), d.batchSize, 1, 30, true),
    seed: seed && /^[\w.-]{1,32}$/.test(seed) ? seed : d.seed,
    features,
    networkShape,
    learningRate: num(get('learningRate'), d.learningRate, 1e-6, 100),
    activation: oneOf(ACTIVATIONS, get('activation'), d.activation),
    regularization: oneOf(REGULARIZATIONS, get('regularization'), d.regularization),
    regularizationRate: num(get('regularizationRate'), d.regularizationRate, 0, 100),
    optimizer: oneOf(OPTIMIZERS, get('optimizer'), d.optimizer),
    batchNorm: bool(get('batchNorm'), d.batchNorm),
    dropout: num(get('dropout'), d.dropout, 0, 0.9),
    showTestData: bool(get('showTestData'), d.showTestData),
    discretize: bool(get('discretize'), d.discretize),
  };
}
