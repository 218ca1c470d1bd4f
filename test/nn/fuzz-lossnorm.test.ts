/**
 * PyTorch 1.13 parity of losses, normalisation and activations where differential fuzzing found Strata
 * differing (tools/fixtures/fuzz_lossnorm.py writes test/fixtures/fuzz_lossnorm.json): celu with a negative
 * alpha, threshold's NaN and integer inputs, prelu's weight gradient at +inf, integer inputs torch promotes or
 * rejects, softmax's dtype option, groupNorm's one-value check, and loss shape checks. F calls in float64 and
 * float32 with outputs and input gradients; where torch raises, Strata must throw. Runs once per backend.
 */
import { functionalCaseTests, readFunctionalFixture } from './functional-helpers.js';

functionalCaseTests(readFunctionalFixture('fuzz_lossnorm.json'), (op, cases) => `fuzz: F.${op} matches PyTorch 1.13 (${cases.map((c) => c.name).join('; ')})`);
