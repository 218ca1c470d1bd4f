/**
 * The selection and sorting algorithms PyTorch 1.13's CPU kernels use, written here with the same
 * steps (pivot choice, partition scheme, thresholds) so that the order of tied elements (which index
 * topk, kthvalue or an unstable sort returns) is the same: introsort (std::sort), introselect
 * (std::nth_element), heap select (std::partial_sort) and quickselect (ATen's kthvalue).
 *
 * Every routine works on one row held as two parallel arrays, `v` (values, as float64) and `ix`
 * (original positions), moved together like the (value, index) pairs torch sorts, over [first, last).
 * The comparison is chosen by a mode number (no closures in the loops).
 */

/** a < b with NaN largest (torch's KeyValueCompAsc; topk smallest). */
export const ASC = 0;
/** a > b with NaN first (KeyValueCompDesc; topk largest). */
export const DESC = 1;
/** ASC with ties broken by position: a stable sort's order. */
export const ASC_STABLE = 2;
/** DESC with ties broken by position. */
export const DESC_STABLE = 3;
/** median(dim): ip[i] < ip[j] || (ip[i] == ip[j] && i < j) (no NaN present). */
export const MEDIAN = 4;
/** nanmedian(dim): as MEDIAN with NaN after every number (NaNs among themselves unordered). */
export const NANMEDIAN = 5;

function less(mode: number, a: number, ia: number, b: number, ib: number): boolean {
  switch (mode) {
    case ASC:
      return a < b || (a === a && b !== b);
    case DESC:
      return a > b || (a !== a && b === b);
    case ASC_STABLE:
      if (a < b || (a === a && b !== b)) return true;
      if (b < a || (b === b && a !== a)) return false;
      return ia < ib;
    case DESC_STABLE:
      if (a > b || (a !== a && b === b)) return true;
      if (b > a || (b !== b && a === a)) return false;
      return ia < ib;
    case MEDIAN:
      return a < b || (a === b && ia < ib);
    default:
      return a < b || (a === b && ia < ib) || (b !== b && a === a);
  }
}

function swap(v: Float64Array, ix: Int32Array, i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
  const u = ix[i];
  ix[i] = ix[j];
  ix[j] = u;
}

/** floor(log2 n) for n ≥ 1 (std::__lg). */
function lg(n: number): number {
  return 31 - Math.clz32(n);
}

function unguardedLinearInsert(v: Float64Array, ix: Int32Array, last: number, mode: number): void {
  const val = v[last];
  const vi = ix[last];
  let next = last - 1;
  while (less(mode, val, vi, v[next], ix[next])) {
    v[last] = v[next];
    ix[last] = ix[next];
    last = next;
    next--;
  }
  v[last] = val;
  ix[last] = vi;
}

function insertionSort(v: Float64Array, ix: Int32Array, first: number, last: number, mode: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (less(mode, v[i], ix[i], v[first], ix[first])) {
      const val = v[i];
      const vi = ix[i];
      v.copyWithin(first + 1, first, i);
      ix.copyWithin(first + 1, first, i);
      v[first] = val;
      ix[first] = vi;
    } else {
      unguardedLinearInsert(v, ix, i, mode);
    }
  }
}

const THRESHOLD = 16;

function finalInsertionSort(v: Float64Array, ix: Int32Array, first: number, last: number, mode: number): void {
  if (last - first > THRESHOLD) {
    insertionSort(v, ix, first, first + THRESHOLD, mode);
    for (let i = first + THRESHOLD; i < last; i++) unguardedLinearInsert(v, ix, i, mode);
  } else {
    insertionSort(v, ix, first, last, mode);
  }
}

function moveMedianToFirst(v: Float64Array, ix: Int32Array, result: number, a: number, b: number, c: number, mode: number): void {
  if (less(mode, v[a], ix[a], v[b], ix[b])) {
    if (less(mode, v[b], ix[b], v[c], ix[c])) swap(v, ix, result, b);
    else if (less(mode, v[a], ix[a], v[c], ix[c])) swap(v, ix, result, c);
    else swap(v, ix, result, a);
  } else if (less(mode, v[a], ix[a], v[c], ix[c])) swap(v, ix, result, a);
  else if (less(mode, v[b], ix[b], v[c], ix[c])) swap(v, ix, result, c);
  else swap(v, ix, result, b);
}

function unguardedPartitionPivot(v: Float64Array, ix: Int32Array, first: number, last: number, mode: number): number {
  const mid = first + ((last - first) >> 1);
  moveMedianToFirst(v, ix, first, first + 1, mid, last - 1, mode);
  const pivot = first;
  let lo = first + 1;
  let hi = last;
  for (;;) {
    while (less(mode, v[lo], ix[lo], v[pivot], ix[pivot])) lo++;
    hi--;
    while (less(mode, v[pivot], ix[pivot], v[hi], ix[hi])) hi--;
    if (!(lo < hi)) return lo;
    swap(v, ix, lo, hi);
    lo++;
  }
}

function pushHeap(v: Float64Array, ix: Int32Array, first: number, hole: number, top: number, val: number, vi: number, mode: number): void {
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && less(mode, v[first + parent], ix[first + parent], val, vi)) {
    v[first + hole] = v[first + parent];
    ix[first + hole] = ix[first + parent];
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  v[first + hole] = val;
  ix[first + hole] = vi;
}

function adjustHeap(v: Float64Array, ix: Int32Array, first: number, hole: number, len: number, val: number, vi: number, mode: number): void {
  const top = hole;
  let second = hole;
  while (second < Math.trunc((len - 1) / 2)) {
    second = 2 * (second + 1);
    if (less(mode, v[first + second], ix[first + second], v[first + second - 1], ix[first + second - 1])) second--;
    v[first + hole] = v[first + second];
    ix[first + hole] = ix[first + second];
    hole = second;
  }
  if ((len & 1) === 0 && second === Math.trunc((len - 2) / 2)) {
    second = 2 * (second + 1);
    v[first + hole] = v[first + second - 1];
    ix[first + hole] = ix[first + second - 1];
    hole = second - 1;
  }
  pushHeap(v, ix, first, hole, top, val, vi, mode);
}

function makeHeap(v: Float64Array, ix: Int32Array, first: number, last: number, mode: number): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = (len - 2) >> 1; ; parent--) {
    adjustHeap(v, ix, first, parent, len, v[first + parent], ix[first + parent], mode);
    if (parent === 0) return;
  }
}

function popHeap(v: Float64Array, ix: Int32Array, first: number, last: number, result: number, mode: number): void {
  const val = v[result];
  const vi = ix[result];
  v[result] = v[first];
  ix[result] = ix[first];
  adjustHeap(v, ix, first, 0, last - first, val, vi, mode);
}

function heapSelect(v: Float64Array, ix: Int32Array, first: number, middle: number, last: number, mode: number): void {
  makeHeap(v, ix, first, middle, mode);
  for (let i = middle; i < last; i++) {
    if (less(mode, v[i], ix[i], v[first], ix[first])) popHeap(v, ix, first, middle, i, mode);
  }
}

/** std::partial_sort: the smallest `middle − first` elements (by mode) sorted into place. */
export function partialSort(v: Float64Array, ix: Int32Array, first: number, middle: number, last: number, mode: number): void {
  heapSelect(v, ix, first, middle, last, mode);
  for (let end = middle; end - first > 1; ) {
    end--;
    popHeap(v, ix, first, end, end, mode);
  }
}

function introsortLoop(v: Float64Array, ix: Int32Array, first: number, last: number, depth: number, mode: number): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      partialSort(v, ix, first, last, last, mode);
      return;
    }
    depth--;
    const cut = unguardedPartitionPivot(v, ix, first, last, mode);
    introsortLoop(v, ix, cut, last, depth, mode);
    last = cut;
  }
}

/** std::sort over [first, last). */
export function introsort(v: Float64Array, ix: Int32Array, first: number, last: number, mode: number): void {
  if (first === last) return;
  introsortLoop(v, ix, first, last, lg(last - first) * 2, mode);
  finalInsertionSort(v, ix, first, last, mode);
}

/** std::nth_element: position `nth` gets the element a full sort would put there. */
export function nthElement(v: Float64Array, ix: Int32Array, first: number, nth: number, last: number, mode: number): void {
  if (first === last || nth === last) return;
  let depth = lg(last - first) * 2;
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(v, ix, first, nth + 1, last, mode);
      swap(v, ix, first, nth);
      return;
    }
    depth--;
    const cut = unguardedPartitionPivot(v, ix, first, last, mode);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(v, ix, first, last, mode);
}

/** gt_or_nan of ATen's kthvalue: x > y, NaN above every number. */
function gtOrNan(x: number, y: number): boolean {
  return (x !== x && y === y) || x > y;
}

/** ATen's quick_select_template (Sedgewick's partition), as kthvalue runs it: position k (0-based) ends up right. */
export function quickSelect(v: Float64Array, ix: Int32Array, n: number, k: number): void {
  let L = 0;
  let R = n - 1;
  for (;;) {
    if (R <= L) return;
    if (R === L + 1) {
      if (gtOrNan(v[L], v[R])) swap(v, ix, L, R);
      return;
    }
    const P = (L + R) >> 1;
    swap(v, ix, P, L + 1);
    if (gtOrNan(v[L + 1], v[R])) swap(v, ix, L + 1, R);
    if (gtOrNan(v[L], v[R])) swap(v, ix, L, R);
    if (gtOrNan(v[L + 1], v[L])) swap(v, ix, L + 1, L);
    let i = L + 1;
    let j = R;
    const piv = v[L];
    for (;;) {
      do i++;
      while (gtOrNan(piv, v[i]));
      do j--;
      while (gtOrNan(v[j], piv));
      if (j < i) break;
      swap(v, ix, i, j);
    }
    swap(v, ix, L, j);
    if (j <= k) L = i;
    if (j >= k) R = j - 1;
  }
}
