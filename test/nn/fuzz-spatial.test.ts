/**
 * PyTorch 1.13 parity of spatial ops where differential fuzzing found Strata differing
 * (tools/fixtures/fuzz_spatial.py writes test/fixtures/fuzz_spatial.json): convolution gradients with padding
 * beyond the kernel's reach, unfold/fold with NaN and inf, empty dims and empty outputs of pooling,
 * integer average pooling, maxUnpool's outputSize, nearest interpolation's forward indices, reflect /
 * replicate / constant padding size checks, and pixelUnshuffle of an empty input. F calls in float64 and
 * float32 with outputs and input gradients; where torch raises, Strata must throw. Runs once per backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as F from '../../src/nn/functional.js';
import { functionalCaseTests, readFunctionalFixture } from './functional-helpers.js';

functionalCaseTests(readFunctionalFixture('fuzz_spatial.json'), (op, cases) => `fuzz: F.${op} matches PyTorch 1.13 (${cases.map((c) => c.name).join('; ')})`);

test('fuzz: F.lpPool1d of an integer input is float32 even for p = 1 (torch: pow(1.0 / p))', () => {
  const x = st.tensor(Int32Array.from([3, 4, 5, 6, 7, 1, 2]), { shape: [1, 1, 7] });
  const y = F.lpPool1d(x, 1, 2);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(Array.from(y.data()), [6, 10, 8]); // each mean truncated first, as torch's integer avg_pool
});
