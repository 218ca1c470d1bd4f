/**
 * Parsing and basic (view) part of torch's `x[spec]` (torch/csrc/autograd/python_variable_indexing.cpp,
 * PyTorch 1.13): ints select, slices slice, None / true unsqueeze, '...' skips dims; the index tensors
 * left over (the "advanced" part) are returned per dim of the resulting view for advanced-index.ts.
 */
import { tensor } from '../tensor/creation.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { describe } from './util.js';
import { select, slice, unsqueeze } from './view.js';

/** One entry of an index: int, slice string ('1:5:2'), '...', null (None), boolean, index tensor or (nested) array. */
export type IndexEntry = number | string | null | boolean | Tensor | NestedArray[];
/** torch's `x[spec]`: one entry, or an array of entries (Python's tuple). */
export type IndexSpec = IndexEntry | readonly IndexEntry[];

/** Python's "no stop given" (PY_SSIZE_T_MAX): never equal to a size, so ':' is never optimised away (as torch). */
const NO_STOP = Number.MAX_SAFE_INTEGER;

type Item =
  | { kind: 'int'; value: number }
  | { kind: 'slice'; start: number; stop: number; step: number }
  | { kind: 'ellipsis' | 'none' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'tensor'; t: Tensor };

/** The basic indexing done, and the index tensors per dim of `sliced` (null: the whole dim). */
export interface AppliedSpec {
  sliced: Tensor;
  indices: (Tensor | null)[];
}

/** torch's IndexError text, prefixed with the op name as Strata's errors are. */
export function indexError(message: string): Error {
  return new Error(`index: ${message}`);
}

export function outOfBounds(index: number, dim: number, size: number): Error {
  return indexError(`index ${index} is out of bounds for dimension ${dim} with size ${size}`);
}

/** A nested array index as torch's indexing_tensor_from_data: bool when all booleans, else int64 (here int32). */
function arrayIndex(values: NestedArray[]): Tensor {
  const t = tensor(values);
  return t.dtype === 'bool' ? t : tensor(values, { dtype: 'int32' });
}

function parseSlice(text: string): Item {
  const m = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d*)\s*)?$/.exec(text);
  if (!m) throw indexError(`cannot parse ${JSON.stringify(text)} as a slice ('start:stop:step', each part optional) or '...'`);
  const step = m[3] ? Number(m[3]) : 1;
  if (step === 0) throw indexError('slice step cannot be zero');
  if (step < 0) throw indexError('step must be greater than zero');
  return { kind: 'slice', start: m[1] ? Number(m[1]) : 0, stop: m[2] ? Number(m[2]) : NO_STOP, step };
}

function parseEntry(e: IndexEntry): Item {
  if (e === null) return { kind: 'none' };
  if (typeof e === 'boolean') return { kind: 'bool', value: e };
  if (typeof e === 'number') {
    if (!Number.isInteger(e)) throw indexError(`only integers, slices (\`:\`), ellipsis (\`...\`), None and long or byte Variables are valid indices (got ${e})`);
    return { kind: 'int', value: e };
  }
  if (typeof e === 'string') return e.trim() === '...' ? { kind: 'ellipsis' } : parseSlice(e);
  if (e instanceof Tensor) return { kind: 'tensor', t: e };
  if (Array.isArray(e)) return { kind: 'tensor', t: arrayIndex(e) };
  throw indexError(`only integers, slices, '...', null, booleans, index tensors and arrays are valid indices (got ${describe(e)})`);
}

/** applySelect: bounds checked against the dim's size, `realDim` (the entry's position) named in the error. */
function applySelect(x: Tensor, dim: number, index: number, realDim: number): Tensor {
  if (x.ndim === 0) {
    throw indexError('invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number');
  }
  const size = x.shape[dim] ?? 0;
  if (index < -size || index >= size) throw outOfBounds(index, realDim, size);
  return select(x, dim, index);
}

/** applySlice: a slice over the whole dim in a multi-entry index is no new view (`optimise`, as torch). */
function applySlice(x: Tensor, dim: number, s: { start: number; stop: number; step: number }, optimise: boolean): Tensor {
  if (x.ndim === 0) throw indexError('slice() cannot be applied to a 0-dim tensor.');
  if (optimise && s.start === 0 && s.stop === x.shape[dim] && s.step === 1) return x;
  return slice(x, dim, s.start, s.stop, s.step);
}

/** true → the index [0] into a new size-1 dim, false → an empty index (boolToIndexingTensor). */
const boolIndex = (value: boolean) => tensor(value ? [0] : [], { dtype: 'int32' });

/**
 * The basic part of x[spec]: views for ints, slices, None, '...' and booleans; index tensors recorded per
 * dim of the result. `getitem` picks torch's single-entry fast paths of __getitem__ (a lone slice is always
 * a new view) over those of __setitem__ (a lone whole-dim slice is x itself).
 */
export function applySpec(x: Tensor, spec: IndexSpec, getitem: boolean): AppliedSpec {
  if (!Array.isArray(spec)) {
    const item = parseEntry(spec as IndexEntry);
    // Single-entry fast paths: no dim counting (x0d[0] is torch's 0-dim error, not "too many indices").
    if (item.kind === 'int') return { sliced: applySelect(x, 0, item.value, 0), indices: [] };
    if (item.kind === 'slice') return { sliced: applySlice(x, 0, item, !getitem), indices: [] };
  }
  const items = (Array.isArray(spec) ? (spec as readonly IndexEntry[]) : [spec as IndexEntry]).map(parseEntry);
  const counted = items.reduce((n, it) => {
    if (it.kind === 'int' || it.kind === 'slice') return n + 1;
    if (it.kind === 'tensor') return n + (it.t.dtype === 'bool' ? it.t.ndim : 1);
    return n;
  }, 0);
  if (counted > x.ndim) throw indexError(`too many indices for tensor of dimension ${x.ndim}`);
  let result = x;
  let dim = 0;
  const indices: (Tensor | null)[] = [];
  const recordIndex = (t: Tensor) => {
    while (indices.length < dim) indices.push(null);
    indices[dim++] = t;
  };
  items.forEach((it, realDim) => {
    switch (it.kind) {
      case 'int':
        result = applySelect(result, dim, it.value, realDim);
        break;
      case 'slice':
        result = applySlice(result, dim++, it, true);
        break;
      // torch moves past the dims '...' stands for; a second '...' moves again (torch 1.13 does not refuse it).
      case 'ellipsis':
        dim += x.ndim - counted;
        break;
      case 'none':
        result = unsqueeze(result, dim++);
        break;
      case 'bool':
        result = unsqueeze(result, dim);
        recordIndex(boolIndex(it.value));
        break;
      case 'tensor':
        // A 0-d integer tensor selects (a view), a 0-d bool one acts as a boolean.
        if (it.t.ndim === 0 && it.t.dtype === 'int32') result = applySelect(result, dim, it.t.item(), realDim);
        else if (it.t.ndim === 0 && it.t.dtype === 'bool') {
          result = unsqueeze(result, dim);
          recordIndex(boolIndex(it.t.item() !== 0));
        } else recordIndex(it.t);
        break;
    }
  });
  return { sliced: result, indices };
}
