/** Shape arithmetic shared by the ops: broadcasting, dim normalisation, strides. */

export { contiguousStrides, sizeOf } from '../backend/js/strided.js';

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of two shapes; throws naming `op` when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together ` +
          `(dimension ${i - rank} is ${da} vs ${db}; each must be equal or 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A dim in [-rank, rank) turned non-negative; throws naming `op` otherwise. */
export function normalizeDim(dim: number, rank: number, op: string): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new Error(`${op}: dimension ${dim} is out of range for a tensor of rank ${rank} (expected ${-r} to ${r - 1})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** Normalised, sorted, de-duplicated dims; `undefined`/null or [] means all dims. */
export function normalizeDims(dims: number | readonly number[] | null | undefined, rank: number, op: string): number[] {
  if (dims === undefined || dims === null) return [...Array(rank).keys()];
  const list = typeof dims === 'number' ? [dims] : dims;
  if (list.length === 0) return [...Array(rank).keys()];
  const out = list.map((d) => normalizeDim(d, rank, op));
  if (new Set(out).size !== out.length) throw new Error(`${op}: dim ${JSON.stringify(list)} repeats a dimension`);
  return out.sort((x, y) => x - y);
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(shape: readonly number[], op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** Resolve a single -1 in a target shape against a number of elements. */
export function inferShape(shape: readonly number[], size: number, op: string): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.indexOf(-1, free + 1) !== -1 && free !== -1) throw new Error(`${op}: only one dimension can be -1, got ${shapeStr(shape)}`);
  if (out.some((d, i) => i !== free && (!Number.isInteger(d) || d < 0))) {
    throw new Error(`${op}: invalid shape ${shapeStr(shape)}`);
  }
  const known = out.reduce((p, d, i) => (i === free ? p : p * d), 1);
  if (free !== -1) {
    if (known === 0 || size % known !== 0) {
      throw new Error(`${op}: shape ${shapeStr(shape)} is invalid for input of size ${size}`);
    }
    out[free] = size / known;
  } else if (known !== size) {
    throw new Error(`${op}: shape ${shapeStr(shape)} is invalid for input of size ${size}`);
  }
  return out;
}

/** A size given as n or [h, w] turned into a pair (PyTorch's _pair). */
export function pair(v: number | readonly number[], name: string, op: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  if (Array.isArray(v) && v.length === 1) return [v[0], v[0]];
  throw new Error(`${op}: ${name} must be a number or a pair [h, w], got ${JSON.stringify(v)}`);
}
