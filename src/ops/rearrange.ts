/**
 * Rearranging elements, as PyTorch 1.13: movedim/moveaxis (a permute view), swapaxes/swapdims (a transpose
 * view), tile (repeat with torch.tile's padding of dims), roll (a copy, one RollBackward0 node).
 */
import { record } from '../autograd/node.js';
import { noGrad } from '../autograd/grad-mode.js';
import { normalizeDim, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cat } from './join.js';
import { checkTensor, copyAs } from './util.js';
import { permute, repeat, transpose } from './view.js';

const list = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v] : [...v]);

/** Move the dims `source` to the positions `destination`, the others keeping their order (a view). */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const op = 'movedim';
  checkTensor(x, op);
  const src = list(source);
  const dst = list(destination);
  if (src.length !== dst.length) {
    throw new Error(
      `${op}: Invalid source or destination dims: source (${shapeStr(src)} dims) should contain the same number of dims ` +
        `as destination (${shapeStr(dst)} dims)`,
    );
  }
  const s = src.map((d) => normalizeDim(d, x.ndim, op));
  const t = dst.map((d) => normalizeDim(d, x.ndim, op));
  if (new Set(s).size !== s.length) throw new Error(`${op}: repeated dim in \`source\` (${shapeStr(src)})`);
  if (new Set(t).size !== t.length) throw new Error(`${op}: repeated dim in \`destination\` (${shapeStr(dst)})`);
  if (x.ndim === 0) return permute(x, []);
  const order = new Array<number>(x.ndim).fill(-1);
  s.forEach((d, i) => (order[t[i]] = d));
  const rest = [...Array(x.ndim).keys()].filter((d) => !s.includes(d));
  for (let i = 0, k = 0; i < x.ndim; i++) if (order[i] === -1) order[i] = rest[k++];
  return permute(x, order);
}

/** NumPy's name for movedim. */
export function moveaxis(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  return movedim(x, source, destination);
}

/** NumPy's name for transpose (a view). */
export function swapaxes(x: Tensor, axis0: number, axis1: number): Tensor {
  checkTensor(x, 'swapaxes');
  return transpose(x, normalizeDim(axis0, x.ndim, 'swapaxes'), normalizeDim(axis1, x.ndim, 'swapaxes'));
}

/** Another name for transpose (a view). */
export function swapdims(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor(x, 'swapdims');
  return transpose(x, normalizeDim(dim0, x.ndim, 'swapdims'), normalizeDim(dim1, x.ndim, 'swapdims'));
}

/** Repeat x dims[i] times along dim i; fewer dims than x's rank are padded with leading 1s (torch.tile). */
export function tile(x: Tensor, dims: number | readonly number[]): Tensor {
  checkTensor(x, 'tile');
  const reps = list(dims);
  for (const r of reps) if (!Number.isInteger(r) || r < 0) throw new Error(`tile: repetitions must be non-negative integers, got ${shapeStr(reps)}`);
  const padded = reps.length < x.ndim ? [...new Array<number>(x.ndim - reps.length).fill(1), ...reps] : reps;
  return repeat(x, padded);
}

/**
 * Shift elements along dims by `shifts` (elements pushed past the end come back at the start); without
 * dims the tensor is rolled as if flattened. A copy, one RollBackward0 node (its gradient rolls back).
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  const op = 'roll';
  checkTensor(x, op);
  const sh = list(shifts);
  const ds = dims === undefined || dims === null ? [] : list(dims);
  for (const s of sh) if (!Number.isInteger(s)) throw new Error(`${op}: shifts must be integers, got ${shapeStr(sh)}`);
  if (ds.length === 0 && sh.length !== 1) {
    throw new Error(`${op}: shifts and dimensions must align. shifts: ${sh.length}, dims: 0 (without dims, give one shift)`);
  }
  if (ds.length > 0 && sh.length !== ds.length) {
    throw new Error(`${op}: shifts and dimensions must align. shifts: ${sh.length}, dims: ${ds.length}`);
  }
  if (ds.length > 0 && x.ndim === 0) {
    throw new Error(`${op}: dimension ${ds[0]} is out of range: the tensor has no dimensions (0-d)`);
  }
  const nd = ds.map((d) => normalizeDim(d, x.ndim, op));
  const out = noGrad(() => {
    if (x.size === 0) return copyAs(x, x.dtype);
    if (nd.length === 0) {
      const flat = rollDims(x.reshape([-1]), sh, [0]);
      return new Tensor(flat.storage, x.shape, undefined, flat.offset, x.dtype);
    }
    return rollDims(x, sh, nd);
  });
  const back = sh.map((s) => -s);
  return record(out, 'RollBackward0', [x], (g) => [roll(g, back, nd.length === 0 ? null : nd)]);
}

function rollDims(x: Tensor, shifts: readonly number[], dims: readonly number[]): Tensor {
  let y = x;
  dims.forEach((d, i) => {
    const n = y.shape[d];
    const s = ((shifts[i] % n) + n) % n;
    if (s !== 0) y = cat([y.narrow(d, n - s, s), y.narrow(d, 0, n - s)], d);
  });
  return y === x ? copyAs(x, x.dtype) : y;
}
