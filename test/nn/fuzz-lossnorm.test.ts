/**
 * PyTorch 1.13 parity of losses, normalisation and activations where differential fuzzing found Strata
 * differing (tools/fixtures/fuzz_lossnorm.py writes test/fixtures/fuzz_lossnorm.json): celu with a negative
 * alpha, threshold's NaN and integer inputs, prelu's weight gradient at +inf, integer inputs torch promotes or
 * rejects, softmax's dtype option, groupNorm's one-value check, and loss shape checks. F calls in float64 and
 * float32 with outputs and input gradients; where torch raises, Strata must throw. Runs once per backend.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { runFunctionalCase as run, type FunctionalCase as Case } from './functional-helpers.js';

const fixture: { torch: string; cases: Case[] } = JSON.parse(
  readFileSync(new URL('../fixtures/fuzz_lossnorm.json', import.meta.url), 'utf8'),
);

const groups = new Map<string, Case[]>();
for (const c of fixture.cases) groups.set(c.op, [...(groups.get(c.op) ?? []), c]);

for (const [op, cases] of groups) {
  test(`fuzz: F.${op} matches PyTorch ${fixture.torch} (${cases.map((c) => c.name).join('; ')})`, () => {
    for (const c of cases) {
      run(c, 'float64');
      if (!c.f64only && c.error === undefined) run(c, 'float32');
    }
  });
}
