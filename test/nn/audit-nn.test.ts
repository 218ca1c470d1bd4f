/**
 * PyTorch 1.13 parity of nn edge cases found by the nn audit (tools/fixtures/audit_nn.py writes
 * test/fixtures/audit_nn.json): F calls in float64 and float32 with outputs, input gradients and, where
 * torch raises, the requirement that Strata throws too; and module scenarios (running statistics, layer
 * options, printing) rebuilt by the MODULES table below. Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import { assertClose, decode, det, functionalCaseTests, readFunctionalFixture, type FunctionalCase as Case, type Value } from './functional-helpers.js';

type Scenario = Record<string, Value[] | number | string | string[] | boolean>;

const fixture = readFunctionalFixture<{ torch: string; cases: Case[]; modules: Record<string, Scenario> }>('audit_nn.json');
functionalCaseTests(fixture, (op, cases) => `audit: F.${op} edge cases match PyTorch ${fixture.torch} (${cases.length} case${cases.length > 1 ? 's' : ''})`);

// ---- module scenarios ------------------------------------------------------------------------------

/** Weights and bias set to det(shape, 0.4) and det(shape, 0.5), as set_weights in the fixture script. */
function setWeights<M extends nn.Module & { weight: Tensor; bias: Tensor | null }>(m: M): M {
  st.noGrad(() => {
    m.weight.copy_(det([...m.weight.shape], 0.4));
    m.bias?.copy_(det([...m.bias.shape], 0.5));
  });
  return m;
}

/** Backward of y with the upstream gradient det(y.shape, 0.7), as the fixture script. */
function backward(y: Tensor): void {
  y.backward(det([...y.shape], 0.7));
}

const keys = (m: nn.Module) => [...m.stateDict().keys()];

/** Each scenario returns the same named results as its namesake in audit_nn.py (tensors compared as values). */
const MODULES: Record<string, () => Record<string, unknown>> = {
  'BatchNorm1d momentum null: cumulative average over 3 batches, then eval': () => {
    const bn = new nn.BatchNorm1d(3, { momentum: null, dtype: 'float64' });
    for (let i = 0; i < 3; i++) bn.forward(det([4, 3, 2], 0.3 * i, 1 + i));
    const r = { running_mean: bn.runningMean, running_var: bn.runningVar, num_batches_tracked: bn.numBatchesTracked!.item() };
    return { ...r, eval: bn.eval().forward(det([2, 3, 2], 5.0)) };
  },
  'BatchNorm2d without running stats uses batch statistics in eval': () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false, dtype: 'float64' }).eval();
    return { out: bn.forward(det([2, 2, 2, 2], 1.0)), keys: keys(bn) };
  },
  'InstanceNorm2d affine + running stats: 2 training batches, then eval': () => {
    const m = setWeights(new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true, momentum: 0.3, dtype: 'float64' }) as nn.InstanceNorm2d & { weight: Tensor });
    const x = det([2, 3, 3, 2], 0.1, 2.0).requiresGrad_();
    const y = m.forward(x);
    backward(y);
    m.forward(det([1, 3, 2, 2], 0.9));
    const r = { train: y, grad: x.grad, running_mean: m.runningMean, running_var: m.runningVar, keys: keys(m), repr: m.toString() };
    return { ...r, eval: m.eval().forward(det([2, 3, 2, 2], 1.3)) };
  },
  'InstanceNorm1d unbatched, no affine': () => {
    const m = new nn.InstanceNorm1d(2, { dtype: 'float64' });
    return { out: m.forward(det([2, 5], 0.2, 3.0)), keys: keys(m), repr: m.toString() };
  },
  'Upsample bilinear scaleFactor 1.3 recomputeScaleFactor': () => ({
    out: new nn.Upsample({ scaleFactor: 1.3, mode: 'bilinear', recomputeScaleFactor: true }).forward(det([1, 1, 4, 5], 0.2)),
  }),
  'MaxPool1d returnIndices': () => {
    const [out, indices] = new nn.MaxPool1d(3, { stride: 2, padding: 1, returnIndices: true }).forward(det([1, 2, 7], 0.1));
    return { out, indices };
  },
  'AvgPool1d repr': () => ({ repr: new nn.AvgPool1d(3, { stride: 2, padding: 1 }).toString() }),
  'ConvTranspose2d forward with outputSize': () => {
    const m = setWeights(new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' }));
    const x = det([1, 2, 3, 4], 0.9);
    return { hw: m.forward(x, [6, 8]), nchw_shape: m.forward(x, [1, 3, 5, 8]).shape };
  },
  'ConvTranspose2d outputSize out of range': () => {
    setWeights(new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, dtype: 'float64' })).forward(det([1, 2, 3, 4], 0.9), [7, 8]);
    return {};
  },
  'ConvTranspose1d groups 2 dilation 2, outputSize': () => {
    const m = setWeights(new nn.ConvTranspose1d(4, 6, 3, { stride: 3, padding: 1, groups: 2, dilation: 2, dtype: 'float64' }));
    const x = det([2, 4, 3], 1.1).requiresGrad_();
    const y = m.forward(x, [10]);
    backward(y);
    return { out: y, grad: x.grad, weight_grad: m.weight.grad, repr: m.toString() };
  },
  'Conv1d circular padding on unbatched input': () => {
    setWeights(new nn.Conv1d(2, 2, 3, { padding: 1, paddingMode: 'circular', dtype: 'float64' })).forward(det([2, 5], 0.3));
    return {};
  },
  'Conv2d reflect padding same, dilation 2': () => {
    const m = setWeights(new nn.Conv2d(2, 3, [3, 2], { padding: 'same', paddingMode: 'reflect', dilation: 2, dtype: 'float64' }));
    const x = det([1, 2, 5, 6], 0.6).requiresGrad_();
    const y = m.forward(x);
    backward(y);
    return { out: y, grad: x.grad, weight_grad: m.weight.grad };
  },
  'zeroGrad default zeroes the gradients in place': () => {
    const lin = new nn.Linear(2, 2, { dtype: 'float64' });
    lin.forward(det([1, 2])).sum().backward();
    lin.zeroGrad();
    const weightGrad = lin.weight.grad;
    lin.zeroGrad({ setToNone: true });
    return { weight_grad: weightGrad, after_set_to_none: lin.weight.grad === null };
  },
  'dropout float32 p 0.3 after manualSeed(7)': () => {
    st.manualSeed(7);
    return { out: F.dropout(det([3, 4, 5], 0.1, 1, 'float32'), { p: 0.3 }) };
  },
  'dropout2d / dropout1d / Dropout module float32 after manualSeed(8)': () => {
    st.manualSeed(8);
    const dropout2d = F.dropout2d(det([2, 5, 2, 3], 0.2, 1, 'float32'), { p: 0.5 });
    const dropout1d = F.dropout1d(det([3, 4, 2], 0.3, 1, 'float32'), { p: 0.4 });
    return { dropout2d, dropout1d, module: new nn.Dropout(0.25).forward(det([4, 6], 0.4, 1, 'float32')) };
  },
  'dropout2d of 3-D input reads [N, C, L]; dropout3d of 3-D and 4-D input is unbatched, after manualSeed(10)': () => {
    st.manualSeed(10);
    return {
      dropout2d_3d: F.dropout2d(det([3, 6, 4], 0.2, 1, 'float32'), { p: 0.5 }),
      dropout2d_5d: F.dropout2d(det([2, 3, 2, 2, 2], 0.3, 1, 'float32'), { p: 0.5 }),
      dropout3d_4d: F.dropout3d(det([5, 2, 2, 3], 0.4, 1, 'float32'), { p: 0.5 }),
      dropout3d_3d: F.dropout3d(det([6, 2, 3], 0.5, 1, 'float32'), { p: 0.5 }),
      module2d_3d: new nn.Dropout2d(0.5).forward(det([2, 8, 3], 0.6, 1, 'float32')),
    };
  },
  'alphaDropout and featureAlphaDropout training after manualSeed(9)': () => {
    st.manualSeed(9);
    const alpha = F.alphaDropout(det([3, 5], 0.5), { p: 0.2, training: true });
    return { alpha, feature: F.featureAlphaDropout(det([2, 4, 3], 0.6), { p: 0.3, training: true }) };
  },
  'rrelu training and gumbelSoftmax after manualSeed(3)': () => {
    st.manualSeed(3);
    const rrelu = F.rrelu(det([3, 10], 0.7, 2.0), { lower: 0.1, upper: 0.4, training: true });
    const gumbel = F.gumbelSoftmax(det([3, 10], 0.8, 2.0), { tau: 0.7 });
    return { rrelu, gumbel, gumbel_hard: F.gumbelSoftmax(det([3, 10], 0.9, 2.0), { tau: 0.5, hard: true }) };
  },
};

test('audit: every module scenario of the fixture has a MODULES entry and vice versa', () => {
  assert.deepEqual(Object.keys(MODULES).sort(), Object.keys(fixture.modules).sort());
});

for (const [name, expected] of Object.entries(fixture.modules)) {
  test(`audit: ${name} (PyTorch ${fixture.torch})`, () => {
    const scenario = MODULES[name];
    assert.ok(scenario, `no MODULES entry for '${name}'`);
    if (typeof expected.error === 'string') {
      assert.throws(scenario, Error, `torch raised "${expected.error}", Strata returned`);
      return;
    }
    const got = scenario();
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort(), `${name}: result names`);
    for (const [key, want] of Object.entries(expected)) {
      const value = got[key];
      if (value instanceof st.Tensor) assertClose(value, decode(want as Value[]), `${name}: ${key}`);
      else if (value === null || value === undefined) assert.fail(`${name}: ${key} is ${value}, expected ${JSON.stringify(want)}`);
      else assert.deepEqual(value, want, `${name}: ${key}`);
    }
  });
}
