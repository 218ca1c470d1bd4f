/** The input features of the Playground: functions of the point (x, y). DOM-free. */

export type FeatureId = 'x' | 'y' | 'xSquared' | 'ySquared' | 'xTimesY' | 'sinX' | 'sinY';

export interface Feature {
  id: FeatureId;
  /** Label as shown on the input node. */
  label: string;
  f: (x: number, y: number) => number;
}

export const FEATURES: readonly Feature[] = [
  { id: 'x', label: 'X₁', f: (x) => x },
  { id: 'y', label: 'X₂', f: (_x, y) => y },
  { id: 'xSquared', label: 'X₁²', f: (x) => x * x },
  { id: 'ySquared', label: 'X₂²', f: (_x, y) => y * y },
  { id: 'xTimesY', label: 'X₁X₂', f: (x, y) => x * y },
  { id: 'sinX', label: 'sin(X₁)', f: (x) => Math.sin(x) },
  { id: 'sinY', label: 'sin(X₂)', f: (_x, y) => Math.sin(y) },
];

export const FEATURE_IDS: readonly FeatureId[] = FEATURES.map((f) => f.id);

export function featureById(id: FeatureId): Feature {
  const f = FEATURES.find((x) => x.id === id);
  if (!f) throw new Error(`unknown feature ${id}`);
  return f;
}

/** Rows of feature values for the given points: a flat row-major [n, features.length] array. */
export function featureMatrix(points: readonly { x: number; y: number }[], features: readonly FeatureId[]): Float32Array {
  const fs = features.map(featureById);
  const out = new Float32Array(points.length * fs.length);
  points.forEach((p, i) => fs.forEach((ft, j) => (out[i * fs.length + j] = ft.f(p.x, p.y))));
  return out;
}
