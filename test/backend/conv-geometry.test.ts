// Conformance: every backend's conv kernels on geometries that special-case paths can get wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import { kernels } from '../../src/backend/registry.js';
import type { Conv2dGeometry } from '../../src/backend/interface.js';

const base = { n: 1, inC: 1, outC: 1, strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1 };
const cases: [string, Conv2dGeometry, number[], number[], number[], number][] = [
  // 1×1 stride-1 unpadded kernel whose output plane is smaller than the input (transposed conv with outputPadding).
  ['1x1 kernel, 3x3 input, 2x2 output', { ...base, inH: 3, inW: 3, outH: 2, outW: 2, kH: 1, kW: 1 }, [1, 2, 4, 5], [1, 2, 0, 3, 4, 0, 0, 0, 0], [37], 1],
];

for (const backend of st.listBackends()) {
  for (const [name, g, forward, gradIn, gradW, w] of cases) {
    test(`${backend}: ${name}`, () => {
      st.withBackend(backend, () => {
        const x = Float32Array.from({ length: g.inH * g.inW }, (_, i) => i + 1);
        const gy = Float32Array.from({ length: g.outH * g.outW }, (_, i) => i + 1);
        const out = new Float32Array(g.outH * g.outW).fill(NaN);
        kernels().conv2d(x, Float32Array.of(w), null, g, out);
        assert.deepEqual(Array.from(out), forward);
        const gi = new Float32Array(x.length).fill(NaN);
        kernels().conv2dBackwardInput(gy, Float32Array.of(w), g, gi);
        assert.deepEqual(Array.from(gi), gradIn);
        const gw = new Float32Array(1).fill(NaN);
        kernels().conv2dBackwardWeight(gy, x, g, gw);
        assert.deepEqual(Array.from(gw), gradW);
      });
    });
  }
}
