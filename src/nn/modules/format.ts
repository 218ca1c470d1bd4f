/** Helpers for PyTorch-style extraRepr strings and size arguments of layers. */
import { shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A float as Python's repr prints it: 1.0, 0.1, 1e-05, 1e+20. */
export function pyFloat(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'None';
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 16) {
    const [mant, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/** A number as a Python int or float literal (integers without ".0", as a user-given int prints). */
export function pyNum(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'None';
  return Number.isInteger(x) ? String(x) : pyFloat(x);
}

/** A tuple as Python prints it: (5, 5), (10,). */
export function pyTuple(values: readonly (number | null)[]): string {
  const items = values.map((v) => (v === null ? 'None' : pyNum(v)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** A size argument as given (a number, or a tuple). */
export function pySize(v: number | readonly (number | null)[] | null | undefined): string {
  if (v === null || v === undefined) return 'None';
  return typeof v === 'number' ? pyNum(v) : pyTuple(v);
}

export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** A size given as a number or a list, expanded to n entries (PyTorch's _pair for n = 2). */
export function ntuple(v: number | readonly number[], n: number, what: string, layer: string): number[] {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`${layer}: ${what} must be an integer or a list of ${n} integers, got ${v}`);
    return Array(n).fill(v);
  }
  if (!Array.isArray(v) || v.length !== n || !v.every(Number.isInteger)) {
    throw new Error(`${layer}: ${what} must be an integer or a list of ${n} integers, got ${JSON.stringify(v)}`);
  }
  return [...v];
}

/** Throw `${layer}: expected input ${expected}, got [shape]`. */
export function inputError(layer: string, expected: string, x: Tensor): Error {
  return new Error(`${layer}: expected input ${expected}, got ${shapeStr(x.shape)}`);
}
