/**
 * The Playground's toy data sets on the plane [-6, 6]²: four classification
 * sets (labels ±1) and two regression sets (labels in [-1, 1]). `noise` is a
 * fraction in [0, 0.5]. DOM-free.
 */
import { Rng } from '../common/rng.js';

export interface Point {
  x: number;
  y: number;
  /** ±1 for classification, a value in [-1, 1] for regression. */
  label: number;
}

export type ClassDataset = 'circle' | 'xor' | 'gauss' | 'spiral';
export type RegDataset = 'reg-plane' | 'reg-gauss';
export type DatasetName = ClassDataset | RegDataset;

export const CLASS_DATASETS: readonly ClassDataset[] = ['circle', 'xor', 'gauss', 'spiral'];
export const REG_DATASETS: readonly RegDataset[] = ['reg-plane', 'reg-gauss'];
export const DATASET_TITLES: Record<DatasetName, string> = {
  circle: 'Circle',
  xor: 'Exclusive or',
  gauss: 'Two Gaussians',
  spiral: 'Spiral',
  'reg-plane': 'Plane',
  'reg-gauss': 'Multi-Gaussian',
};

/** Points per data set, as in the original Playground. */
export const NUM_SAMPLES_CLASSIFY = 500;
export const NUM_SAMPLES_REGRESS = 1200;
/** Half-width of the plane shown. */
export const DOMAIN = 6;

type Generator = (n: number, noise: number, rng: Rng) => Point[];

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Inner disc (radius 2.5) labelled +1, ring 3.5..5 labelled -1; noise jitters the point used for labelling. */
const circle: Generator = (n, noise, rng) => {
  const radius = 5;
  const out: Point[] = [];
  const make = (rMin: number, rMax: number) => {
    const r = rng.uniform(rMin, rMax);
    const angle = rng.uniform(0, 2 * Math.PI);
    const x = r * Math.sin(angle);
    const y = r * Math.cos(angle);
    const nx = x + rng.uniform(-radius, radius) * noise;
    const ny = y + rng.uniform(-radius, radius) * noise;
    out.push({ x, y, label: Math.hypot(nx, ny) < radius / 2 ? 1 : -1 });
  };
  for (let i = 0; i < n / 2; i++) make(0, radius / 2);
  for (let i = 0; i < n / 2; i++) make(radius * 0.7, radius);
  return out;
};

/** Quadrants: +1 where x·y ≥ 0, with a small gap along the axes. */
const xor: Generator = (n, noise, rng) => {
  const gap = 0.3;
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    let x = rng.uniform(-5, 5);
    let y = rng.uniform(-5, 5);
    x += x > 0 ? gap : -gap;
    y += y > 0 ? gap : -gap;
    const nx = x + rng.uniform(-5, 5) * noise;
    const ny = y + rng.uniform(-5, 5) * noise;
    out.push({ x, y, label: nx * ny >= 0 ? 1 : -1 });
  }
  return out;
};

/** Two blobs at (2, 2) (+1) and (-2, -2) (-1); noise widens them (variance 0.5..4). */
const gauss: Generator = (n, noise, rng) => {
  const variance = 0.5 + (3.5 * noise) / 0.5;
  const out: Point[] = [];
  for (const [c, label] of [[2, 1], [-2, -1]] as const) {
    for (let i = 0; i < n / 2; i++) out.push({ x: rng.normal(c, variance), y: rng.normal(c, variance), label });
  }
  return out;
};

/** Two interleaved arms, 1.75 turns each. */
const spiral: Generator = (n, noise, rng) => {
  const half = n / 2;
  const out: Point[] = [];
  for (const [phase, label] of [[0, 1], [Math.PI, -1]] as const) {
    for (let i = 0; i < half; i++) {
      const r = (i / half) * 5;
      const t = ((1.75 * i) / half) * 2 * Math.PI + phase;
      out.push({ x: r * Math.sin(t) + rng.uniform(-1, 1) * noise, y: r * Math.cos(t) + rng.uniform(-1, 1) * noise, label });
    }
  }
  return out;
};

/** label = (x + y) / 10, evaluated at a jittered point. */
const regPlane: Generator = (n, noise, rng) => {
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-DOMAIN, DOMAIN);
    const y = rng.uniform(-DOMAIN, DOMAIN);
    const nx = x + rng.uniform(-DOMAIN, DOMAIN) * noise;
    const ny = y + rng.uniform(-DOMAIN, DOMAIN) * noise;
    out.push({ x, y, label: clamp((nx + ny) / 10, -1, 1) });
  }
  return out;
};

/** Six signed bumps on a 3×2 grid; the label is the strongest bump's value (falls to 0 at distance 2). */
const BUMPS: readonly (readonly [number, number, number])[] = [
  [-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
  [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1],
];
export function multiGaussLabel(x: number, y: number): number {
  let best = 0;
  for (const [cx, cy, sign] of BUMPS) {
    const v = sign * clamp(1 - Math.hypot(x - cx, y - cy) / 2, 0, 1);
    if (Math.abs(v) > Math.abs(best)) best = v;
  }
  return best;
}
const regGauss: Generator = (n, noise, rng) => {
  const out: Point[] = [];
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-DOMAIN, DOMAIN);
    const y = rng.uniform(-DOMAIN, DOMAIN);
    const nx = x + rng.uniform(-DOMAIN, DOMAIN) * noise;
    const ny = y + rng.uniform(-DOMAIN, DOMAIN) * noise;
    out.push({ x, y, label: multiGaussLabel(nx, ny) });
  }
  return out;
};

const GENERATORS: Record<DatasetName, Generator> = {
  circle, xor, gauss, spiral, 'reg-plane': regPlane, 'reg-gauss': regGauss,
};

export function isRegression(name: DatasetName): name is RegDataset {
  return (REG_DATASETS as readonly string[]).includes(name);
}

/** Generate a data set, shuffled (seeded), with `noise` in [0, 0.5]. */
export function generate(name: DatasetName, noise: number, seed: string, numSamples?: number): Point[] {
  const rng = new Rng(seed);
  const n = numSamples ?? (isRegression(name) ? NUM_SAMPLES_REGRESS : NUM_SAMPLES_CLASSIFY);
  return rng.shuffle(GENERATORS[name](n, noise, rng));
}

/** Split into train and test parts; `percTrain` in (0, 100). */
export function split(points: readonly Point[], percTrain: number): { train: Point[]; test: Point[] } {
  const k = Math.floor((points.length * percTrain) / 100);
  return { train: points.slice(0, k), test: points.slice(k) };
}
