/** Helpers of the model-zoo tests: fixtures, state-dict comparison, deterministic inputs, gradients. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as nn from '../../src/nn/index.js';
import type { Module } from '../../src/nn/index.js';

export interface TvModel {
  params: number;
  /** Conv + linear multiply-adds per image at size×size, measured by hooks in PyTorch. */
  macs: number;
  size: number;
  keys: [string, number[]][];
}

let tv: Record<string, TvModel> | null = null;

/** torchvision 0.14's state-dict keys/shapes, parameter counts and MACs (tools/fixtures/models.py). */
export function torchvisionModel(name: string): TvModel {
  tv ??= JSON.parse(readFileSync(new URL('../fixtures/models.json', import.meta.url), 'utf8')).models as Record<string, TvModel>;
  const m = tv[name];
  assert.ok(m, `no torchvision entry for ${name} in test/fixtures/models.json`);
  return m;
}

/** The model's state dict as [key, shape] pairs, in order. */
export function stateKeys(model: Module): [string, number[]][] {
  return [...model.stateDict()].map(([k, t]) => [k, [...t.shape]]);
}

/** Same keys, same order, same shapes as torchvision; the message names the first differences. */
export function assertSameState(model: Module, name: string): void {
  const ours = stateKeys(model);
  const theirs = torchvisionModel(name).keys;
  const oursMap = new Map(ours.map(([k, s]) => [k, s.join('x')]));
  const theirsMap = new Map(theirs.map(([k, s]) => [k, s.join('x')]));
  const missing = theirs.filter(([k]) => !oursMap.has(k)).map(([k]) => k);
  const extra = ours.filter(([k]) => !theirsMap.has(k)).map(([k]) => k);
  const shapes = theirs.filter(([k, s]) => oursMap.has(k) && oursMap.get(k) !== s.join('x')).map(([k, s]) => `${k}: ours ${oursMap.get(k)}, torchvision ${s.join('x')}`);
  const show = (a: string[]) => (a.length > 8 ? `${a.slice(0, 8).join(', ')}, … (${a.length})` : a.join(', '));
  assert.ok(missing.length === 0 && extra.length === 0 && shapes.length === 0,
    `${name}: state dict differs from torchvision's\n  missing: ${show(missing)}\n  unexpected: ${show(extra)}\n  shapes: ${show(shapes)}`);
  assert.deepEqual(ours.map(([k]) => k), theirs.map(([k]) => k), `${name}: key order`);
}

/** Deterministic input in [-1, 1]: sin(0.731·i + phase). */
export function detInput(shape: number[], phase = 0.3): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.731 + phase);
  return st.tensor(data, { shape });
}

/**
 * Forward in training mode, backward of a weighted sum, and check that every parameter received a finite,
 * not-all-zero gradient. Exception: a BatchNorm bias may get an exactly zero gradient — when its output only
 * reaches training-mode batch norms through 1×1 convolutions (MobileNetV2/EfficientNet projections at 1×1
 * resolution), the per-channel shift is cancelled by the next normalisation, in PyTorch as well.
 */
export function assertAllGrads(model: Module, x: Tensor, pick: (out: any) => Tensor = (o) => o as Tensor): void {
  const bnBias = new Set(model.namedModules().filter(([, m]) => m instanceof nn.BatchNorm2d).map(([n]) => (n ? `${n}.bias` : 'bias')));
  const allowZero = (name: string) => bnBias.has(name);
  model.train();
  model.zeroGrad();
  const out = pick(model.forward(x));
  const w = detInput([...out.shape], 1.1);
  out.mul(w).sum().backward();
  const none: string[] = [];
  const zero: string[] = [];
  const bad: string[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (!p.grad) {
      none.push(name);
      continue;
    }
    const g = p.grad.data();
    let nz = false;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        bad.push(name);
        break;
      }
      if (g[i] !== 0) nz = true;
    }
    if (!nz && !allowZero(name)) zero.push(name);
  }
  assert.deepEqual(none, [], 'parameters without a gradient');
  assert.deepEqual(bad, [], 'parameters with non-finite gradients');
  assert.deepEqual(zero, [], 'parameters with all-zero gradients');
}

export function numParams(model: Module): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

/** Decode a little-endian float32 base64 string. */
export function decodeF32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/**
 * Run fn with the default generator's draws replaced by a cheap linear congruential generator (same ranges,
 * uniform "normals" with the right mean and standard deviation), so that building a big model for a test
 * (keys, shapes, parameter counts, MACs, gradients at a tiny resolution) does not pay for torch-compatible
 * draws of all its initial weights (VGG-16: 138M). Not torch's stream; only for structure tests.
 */
export function fastInit<T>(fn: () => T): T {
  const g = st.defaultGenerator as unknown as Record<string, unknown>;
  const keys = ['uniformFloat', 'uniformDouble', 'normalDouble', 'fillNormal'];
  const own = keys.filter((k) => Object.prototype.hasOwnProperty.call(g, k)).map((k) => [k, g[k]] as const);
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) / 16777216;
  };
  g.uniformFloat = (from = 0, to = 1) => from + (to - from) * next();
  g.uniformDouble = next;
  g.normalDouble = () => (next() - 0.5) * 3.4641016151377544;
  g.fillNormal = (out: Float32Array | Float64Array, mean: number, std: number) => {
    const k = std * 3.4641016151377544;
    for (let i = 0; i < out.length; i++) out[i] = mean + k * (next() - 0.5);
  };
  try {
    return fn();
  } finally {
    for (const k of keys) delete g[k];
    for (const [k, v] of own) g[k] = v;
  }
}
