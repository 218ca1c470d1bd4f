/**
 * PyTorch parity of every F function: test/fixtures/functional.json holds torch 1.13's outputs and
 * input gradients (tools/fixtures/functional.py). Each case runs in float64 (tight tolerance) and in
 * float32 (rtol 1e-4), with the same upstream gradient as torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { functionalCaseTests, readFunctionalFixture } from './functional-helpers.js';

const fixture = readFunctionalFixture('functional.json');
functionalCaseTests(fixture, (op, cases) => `F.${op} matches PyTorch ${fixture.torch} (${cases.length} case${cases.length > 1 ? 's' : ''}, float64 and float32)`);
