import type { View } from '../interface.js';

/**
 * Walks the rows (innermost dimension) of several views that share one shape,
 * calling `row` with each view's offset of the row's first element. Adjacent
 * dimensions that are contiguous in every view are merged first, so a plain
 * contiguous array is visited as one long row.
 */
export function forEachRow(
  shape: readonly number[],
  views: readonly { strides: readonly number[]; offset: number }[],
  row: (offsets: number[], length: number, innerStrides: number[]) => void,
): void {
  const { dims, strides } = collapse(shape, views.map((v) => v.strides));
  const rank = dims.length;
  const offsets = views.map((v) => v.offset);
  if (dims.some((d) => d === 0)) return;
  if (rank === 0) {
    // One element (every dim is 1): a row of length 1. Its inner stride must not be 0, or a
    // loop bounded by `offset + length·stride` (as in reduce) would visit nothing.
    row(offsets, 1, views.map(() => 1));
    return;
  }
  const length = dims[rank - 1];
  const inner = strides.map((s) => s[rank - 1]);
  const outerRank = rank - 1;
  const counter = new Array<number>(outerRank).fill(0);
  const cur = offsets.slice();
  for (;;) {
    row(cur, length, inner);
    // Increment the multi-index over the outer dimensions, odometer style.
    let d = outerRank - 1;
    for (; d >= 0; d--) {
      counter[d]++;
      for (let v = 0; v < cur.length; v++) cur[v] += strides[v][d];
      if (counter[d] < dims[d]) break;
      for (let v = 0; v < cur.length; v++) cur[v] -= strides[v][d] * dims[d];
      counter[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Merge dimension pairs (d, d+1) that are contiguous in every stride list; drop size-1 dims. */
function collapse(shape: readonly number[], stridesList: readonly (readonly number[])[]) {
  const dims: number[] = [];
  const strides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && stridesList.every((s, v) => strides[v][last] === s[d] * shape[d])) {
      dims[last] *= shape[d];
      stridesList.forEach((s, v) => (strides[v][last] = s[d]));
    } else {
      dims.push(shape[d]);
      stridesList.forEach((s, v) => strides[v].push(s[d]));
    }
  }
  return { dims, strides };
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous array of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** A view of a whole contiguous array. */
export function contiguousView(data: View['data'], shape: readonly number[]): View {
  return { data, shape, strides: contiguousStrides(shape), offset: 0 };
}
