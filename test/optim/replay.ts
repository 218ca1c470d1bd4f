/**
 * Replays of the optimiser fixture cases written by tools/fixtures/audit_optim.py (run_optim) and
 * optim_more.py: parameters and gradients built from dyadic values (exact in float32 and float64),
 * a gradient g = p·c + d in the parameter's dtype (one rounding per op) at every step, optional lr
 * changes, zeroGrad, gradients only for some parameters, and parameter groups added on the way.
 */
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as optim from '../../src/optim/index.js';

export type DType = 'float32' | 'float64';
export interface ParamSpec {
  shape: number[];
  phase: number;
}
export interface Step {
  grads?: number[];
  setLr?: Record<string, number>;
  zero?: 'zeros';
  addGroup?: { params: number[]; options?: Record<string, unknown> };
}
export interface ReplayCase {
  optimizer: string;
  options: Record<string, unknown>;
  dtype: DType;
  params: ParamSpec[];
  groups?: { params: number[]; options?: Record<string, unknown> }[] | null;
  steps: Step[];
}

/** k/128 values, as the fixture scripts' dyadic(): exact in float32 and float64. */
export function dyadic(shape: number[], phase: number): number[] {
  const k = Math.round(phase * 100);
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => (((i * 37 + k) % 201) - 100) / 128);
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) assert.fail(`${what}[${i}]: got ${actual[i]}, want ${expected[i]}`);
  }
}

/** Run a case's steps; returns the parameters after each step and the optimiser. */
export function replay(c: ReplayCase): { trajectory: number[][][]; opt: optim.Optimizer<any> } {
  const round = c.dtype === 'float32' ? Math.fround : (x: number) => x;
  const params = c.params.map((p) => st.tensor(dyadic(p.shape, p.phase), { dtype: c.dtype, shape: p.shape }).requiresGrad_());
  const coefs = c.params.map((p, i) => dyadic(p.shape, 0.7 + i).map((v) => round(v * 0.5 + 1)));
  const Ctor = (optim as unknown as Record<string, new (p: unknown, o: unknown) => optim.Optimizer<any>>)[c.optimizer];
  const addsGroup = c.steps.some((s) => s.addGroup);
  const opt = c.groups
    ? new Ctor(c.groups.map((g) => ({ params: g.params.map((i) => params[i]), ...g.options })), c.options)
    : new Ctor(addsGroup ? params.slice(0, 2) : params, c.options);
  const trajectory: number[][][] = [];
  c.steps.forEach((s, k) => {
    for (const [gi, lr] of Object.entries(s.setLr ?? {})) opt.paramGroups[Number(gi)].lr = lr;
    if (s.addGroup) opt.addParamGroup({ params: s.addGroup.params.map((i) => params[i]), ...s.addGroup.options });
    if (s.zero === 'zeros') opt.zeroGrad({ setToNone: false });
    else for (const p of params) p.grad = null;
    for (const i of s.grads ?? params.map((_, j) => j)) {
      const p = params[i];
      const d = dyadic(c.params[i].shape, 0.3 * k + i);
      const g = Array.from(p.data(), (v, j) => round(round(v * coefs[i][j]) + d[j]));
      const old = p.grad?.data();
      p.grad = st.tensor(old ? g.map((v, j) => round(old[j] + v)) : g, { dtype: c.dtype, shape: c.params[i].shape });
    }
    opt.step();
    trajectory.push(params.map((p) => Array.from(p.data())));
  });
  return { trajectory, opt };
}
