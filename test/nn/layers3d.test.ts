/**
 * PyTorch 1.13 parity of the 3-D layers (tools/fixtures/layers3d.py writes test/fixtures/layers3d.json):
 * F.conv3d / convTranspose3d / maxPool3d / avgPool3d / adaptiveAvgPool3d / adaptiveMaxPool3d and 5-D
 * interpolate in float64 and float32 (outputs, indices, input gradients, errors); the nn layers (printing,
 * state-dict keys, seeded default initialisation, float64 forward and gradients); and gradcheck of each op.
 * Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import {
  assertClose, check, decode, det, leaf, runFunctionalCase as run, type FunctionalCase as Case, type FunctionalSpec, type Value,
} from './functional-helpers.js';

interface ModuleCase {
  name: string;
  cls: string;
  args: unknown[];
  options: Record<string, unknown>;
  repr: string;
  keys: string[];
  seed?: number;
  init?: [string, { shape: number[]; data: number[] }][];
  train: boolean;
  inputs?: { tensor?: FunctionalSpec; value?: unknown }[];
  error?: string;
  outputs?: FunctionalSpec[];
  gradIn?: Value[] | null;
  paramGrads?: Record<string, Value[]>;
  buffers?: Record<string, Value[]>;
}

const fixture: { torch: string; cases: Case[]; modules: ModuleCase[] } = JSON.parse(
  readFileSync(new URL('../fixtures/layers3d.json', import.meta.url), 'utf8'),
);

// ---- F calls ----------------------------------------------------------------------------------------

const groups = new Map<string, Case[]>();
for (const c of fixture.cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);

for (const [op, cases] of groups) {
  test(`3-D: F.${op} matches PyTorch ${fixture.torch} (${cases.length} cases)`, () => {
    for (const c of cases) {
      run(c, 'float64');
      if (!c.f64only && c.error === undefined) run(c, 'float32');
    }
  });
}

// ---- layers -----------------------------------------------------------------------------------------

const layer = (c: ModuleCase, dtype?: 'float64'): nn.Module => {
  const Ctor = (nn as unknown as Record<string, new (...a: unknown[]) => nn.Module>)[c.cls];
  const options = dtype && !['Upsample'].includes(c.cls) && !c.cls.includes('Pool') ? { ...c.options, dtype } : c.options;
  return c.args.length === 0 ? new Ctor(options) : new Ctor(...c.args, options);
};

const buildInput = (s: FunctionalSpec) => st.tensor(Float64Array.from(decode(s.data)), { shape: s.shape }).requiresGrad_();

for (const c of fixture.modules) {
  test(`3-D layer: ${c.name} matches PyTorch`, () => {
    if (c.init) {
      st.manualSeed(c.seed!);
      const sd = layer(c).stateDict();
      for (const [k, v] of c.init) {
        assert.deepEqual([...sd.get(k)!.shape], v.shape, `${k} shape`);
        assert.deepEqual(Array.from(sd.get(k)!.data()), v.data, `${k} drawn after manualSeed(${c.seed})`);
      }
    }
    const m = layer(c, 'float64');
    assert.equal(m.toString(), c.repr, 'printing');
    assert.deepEqual([...m.stateDict().keys()], c.keys, 'state-dict keys');
    st.noGrad(() => {
      for (const [name, p] of m.namedParameters()) p.copy_(det([...p.shape], name === 'weight' ? 0.4 : 0.5));
    });
    m.train(c.train);
    if (!c.inputs) return;
    const inputs = c.inputs.map((a) => (a.tensor ? buildInput(a.tensor) : a.value));
    const forward = () => (m as unknown as { forward: (...a: unknown[]) => Tensor | Tensor[] }).forward(...inputs);
    if (c.error !== undefined) {
      assert.throws(forward, Error, `torch raised "${c.error}"`);
      return;
    }
    const result = forward();
    const outs = Array.isArray(result) ? result : [result];
    assert.equal(outs.length, c.outputs!.length, 'number of outputs');
    outs.forEach((o, i) => {
      const e = c.outputs![i];
      assert.deepEqual(o.shape, e.shape, `output ${i} shape`);
      if (e.dtype === 'int32') assert.deepEqual(Array.from(o.data()), decode(e.data), `output ${i} (indices)`);
      else assertClose(o, decode(e.data), `output ${i}`);
    });
    outs[0].backward(det([...outs[0].shape], 0.7));
    if (c.gradIn) assertClose((inputs[0] as Tensor).grad!, decode(c.gradIn), 'input gradient');
    const params = new Map(m.namedParameters());
    for (const [k, g] of Object.entries(c.paramGrads ?? {})) assertClose(params.get(k)!.grad!, decode(g), `gradient of ${k}`);
    const buffers = new Map(m.namedBuffers());
    for (const [k, b] of Object.entries(c.buffers ?? {})) assertClose(buffers.get(k)!, decode(b), `buffer ${k} afterwards`);
  });
}

// ---- gradcheck ----------------------------------------------------------------------------------------

/** Each op's float64 gradient against finite differences, in the shapes and options that exercise its parts. */
const GRADCHECKS: [string, (...t: Tensor[]) => Tensor | Tensor[], Tensor[]][] = [
  ['conv3d stride, padding, dilation, groups', (x, w, b) => F.conv3d(x, w, b, { stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 2, 1], groups: 2 }),
    [leaf([1, 2, 4, 4, 3], 0.1), leaf([2, 1, 2, 2, 2], 0.2), leaf([2], 0.3)]],
  ['conv3d padding same unbatched', (x, w) => F.conv3d(x, w, null, { padding: 'same' }), [leaf([2, 3, 3, 2], 0.4), leaf([1, 2, 2, 2, 1], 0.5)]],
  ['convTranspose3d', (x, w, b) => F.convTranspose3d(x, w, b, { stride: [2, 1, 2], padding: [1, 0, 0], outputPadding: [1, 0, 1], groups: 2 }),
    [leaf([1, 2, 2, 3, 2], 0.6), leaf([2, 1, 3, 2, 2], 0.7), leaf([2], 0.8)]],
  ['maxPool3d', (x) => F.maxPool3d(x, 2, { stride: 1, padding: 1, ceilMode: true }), [leaf([1, 2, 3, 4, 3], 0.9)]],
  ['maxPool3d dilation', (x) => F.maxPool3d(x, [2, 2, 1], { stride: 2, dilation: [2, 1, 1] }), [leaf([2, 5, 4, 3], 1.0)]],
  ['avgPool3d', (x) => F.avgPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [leaf([1, 2, 4, 5, 4], 1.1)]],
  ['avgPool3d divisorOverride', (x) => F.avgPool3d(x, [2, 1, 2], { divisorOverride: 3 }), [leaf([2, 4, 3, 4], 1.2)]],
  ['adaptiveAvgPool3d', (x) => F.adaptiveAvgPool3d(x, [2, 3, 2]), [leaf([1, 2, 3, 4, 5], 1.3)]],
  ['adaptiveMaxPool3d', (x) => F.adaptiveMaxPool3d(x, [2, 3, 2]), [leaf([1, 2, 3, 4, 5], 1.4)]],
  ['interpolate trilinear', (x) => F.interpolate(x, { scaleFactor: [1.5, 2, 0.5], mode: 'trilinear' }), [leaf([1, 2, 2, 3, 4], 1.5)]],
];

test('3-D ops pass gradcheck (float64)', () => {
  for (const [name, fn, inputs] of GRADCHECKS) check(name, fn, inputs);
});

test('3-D ops: gradients of gradients (gradgradcheck) and PyTorch node names', () => {
  const x = leaf([1, 2, 3, 3, 3], 0.2);
  const w = leaf([2, 2, 2, 1, 2], 0.3);
  assert.ok(st.gradgradcheck((a, b) => F.conv3d(a, b, null, { padding: 1 }), [x, w]), 'conv3d');
  assert.ok(st.gradgradcheck((a, b) => F.convTranspose3d(a, b, null, { stride: 2 }), [x, w]), 'convTranspose3d');
  assert.ok(st.gradgradcheck((a) => F.avgPool3d(a, 2, { stride: 1 }), [x]), 'avgPool3d');
  assert.ok(st.gradgradcheck((a) => F.maxPool3d(a, 2, { stride: 1 }), [x]), 'maxPool3d');
  const names: [Tensor, string][] = [
    [F.conv3d(x, w), 'ConvolutionBackward0'],
    [F.conv3d(x.squeeze(0), w), 'SqueezeBackward1'],
    [F.convTranspose3d(x, w), 'ConvolutionBackward0'],
    [F.maxPool3d(x, 2), 'MaxPool3DWithIndicesBackward0'],
    [F.maxPool3d(x.squeeze(0), 2), 'MaxPool3DWithIndicesBackward0'],
    [F.avgPool3d(x, 2), 'AvgPool3DBackward0'],
    [F.adaptiveAvgPool3d(x, 2), 'AdaptiveAvgPool3DBackward0'],
    [F.adaptiveAvgPool3d(x, 1), 'MeanBackward1'],
    [F.adaptiveMaxPool3d(x, 2), 'AdaptiveMaxPool3DBackward0'],
    [F.interpolate(x, { scaleFactor: 2, mode: 'trilinear' }), 'UpsampleTrilinear3DBackward1'],
    [F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }), 'UpsampleNearest3DBackward1'],
  ];
  for (const [y, name] of names) assert.equal(y.gradFn?.name, name);
});
