/**
 * Numeric forward parity with PyTorch: tools/fixtures/models.py builds LeNet-5 and the CIFAR ResNet-20 in
 * torch, stores their weights and outputs for a fixed input (evaluation and training mode); here the weights
 * are loaded with loadStateDict and the outputs compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as models from '../../src/models/index.js';
import { decodeF32 } from './helpers.js';

interface StateEntry {
  key: string;
  shape: number[];
  dtype: 'float32' | 'int64';
  data: string | number[];
}
interface Case {
  name: string;
  state: StateEntry[];
  input: { shape: number[]; data: string };
  evalOutput: string;
  trainOutput: string;
  outputShape: number[];
}

const fixture: { torch: string; cases: Case[] } = JSON.parse(readFileSync(new URL('../fixtures/models_parity.json', import.meta.url), 'utf8'));

function close(actual: Tensor, expected: Float32Array, what: string, rtol = 1e-4, atol = 1e-4): void {
  const a = actual.data();
  assert.equal(a.length, expected.length, `${what}: size`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - expected[i]) / (atol + rtol * Math.abs(expected[i])));
  assert.ok(worst <= 1, `${what}: max scaled error ${worst.toFixed(3)} (> 1)`);
}

for (const c of fixture.cases) {
  test(`${c.name}: forward matches PyTorch ${fixture.torch} after loadStateDict`, () => {
    const model = models.create(c.name);
    const state = new Map<string, Tensor>();
    for (const e of c.state) {
      state.set(e.key, e.dtype === 'int64'
        ? st.tensor(Int32Array.from(e.data as number[]), { shape: e.shape })
        : st.tensor(decodeF32(e.data as string), { shape: e.shape }));
    }
    const result = model.loadStateDict(state);
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    const x = st.tensor(decodeF32(c.input.data), { shape: c.input.shape });
    const yEval = st.noGrad(() => model.eval().forward(x));
    assert.deepEqual(yEval.shape, c.outputShape);
    close(yEval, decodeF32(c.evalOutput), `${c.name} eval output`);
    const yTrain = st.noGrad(() => model.train().forward(x));
    close(yTrain, decodeF32(c.trainOutput), `${c.name} train output`);
  });
}
