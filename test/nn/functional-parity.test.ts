/**
 * PyTorch parity of every F function: test/fixtures/functional.json holds torch 1.13's outputs and
 * input gradients (tools/fixtures/functional.py). Each case runs in float64 (tight tolerance) and in
 * float32 (rtol 1e-4), with the same upstream gradient as torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/core.js';
import type { Tensor } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';
import { runFunctionalCase as run, type FunctionalCase as Case } from './functional-helpers.js';

const fixture: { torch: string; cases: Case[] } = JSON.parse(readFileSync(new URL('../fixtures/functional.json', import.meta.url), 'utf8'));

const groups = new Map<string, Case[]>();
for (const c of fixture.cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);

for (const [op, cases] of groups) {
  test(`F.${op} matches PyTorch ${fixture.torch} (${cases.length} case${cases.length > 1 ? 's' : ''}, float64 and float32)`, () => {
    for (const c of cases) {
      run(c, 'float64');
      if (!c.f64only) run(c, 'float32');
    }
  });
}
