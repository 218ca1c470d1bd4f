/** Turning a list of samples into a batch (torch.utils.data.default_collate). */
import { Tensor } from '../core.js';
import { Uint8Image } from './image.js';
import { describe } from './functional.js';

type Ctor = new (n: number) => Float32Array | Float64Array | Int32Array | Uint8Array;

function stackTensors(samples: Tensor[], path: string): Tensor {
  const first = samples[0];
  const shape = first.shape;
  const row = first.size;
  const out = new (first.storage.constructor as Ctor)(samples.length * row);
  samples.forEach((t, k) => {
    if (!(t instanceof Tensor)) throw new Error(`defaultCollate: sample ${k}${path} is ${describe(t)}, but sample 0 is a tensor`);
    if (t.dtype !== first.dtype) throw new Error(`defaultCollate: sample ${k}${path} is ${t.dtype}, but sample 0 is ${first.dtype}`);
    if (t.ndim !== shape.length || t.shape.some((s, d) => s !== shape[d])) {
      throw new Error(
        `defaultCollate: sample ${k}${path} has shape [${t.shape}] but sample 0 has [${shape}]; make samples one size ` +
          '(e.g. with Resize or CenterCrop) or pass a collateFn',
      );
    }
    out.set(t.contiguous().data(), k * row);
  });
  return new Tensor(out, [samples.length, ...shape], undefined, 0, first.dtype);
}

function stackImages(samples: Uint8Image[], path: string): Tensor {
  const [c, h, w] = samples[0].shape;
  const row = c * h * w;
  const out = new Float32Array(samples.length * row);
  samples.forEach((im, k) => {
    if (!(im instanceof Uint8Image)) throw new Error(`defaultCollate: sample ${k}${path} is ${describe(im)}, but sample 0 is a Uint8Image`);
    if (im.channels !== c || im.height !== h || im.width !== w) {
      throw new Error(
        `defaultCollate: sample ${k}${path} has shape [${im.shape}] but sample 0 has [${c},${h},${w}]; make samples one size ` +
          '(e.g. with Resize or CenterCrop) or pass a collateFn',
      );
    }
    out.set(im.data, k * row);
  });
  return new Tensor(out, [samples.length, c, h, w]);
}

function collateAt(samples: unknown[], path: string): unknown {
  const first = samples[0];
  if (first instanceof Tensor) return stackTensors(samples as Tensor[], path);
  if (first instanceof Uint8Image) return stackImages(samples as Uint8Image[], path);
  if (typeof first === 'number') {
    samples.forEach((v, k) => {
      if (typeof v !== 'number') throw new Error(`defaultCollate: sample ${k}${path} is ${describe(v)}, but sample 0 is a number`);
    });
    // As default_collate: a float first sample makes float64 (torch.tensor(batch, dtype=float64)); an int
    // first sample makes int64 (int32 here) when all are ints, else torch.tensor's default float32.
    const nums = samples as number[];
    const isInt = (v: number) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    if (!isInt(nums[0])) return new Tensor(Float64Array.from(nums), [nums.length], undefined, 0, 'float64');
    return new Tensor(nums.every(isInt) ? Int32Array.from(nums) : Float32Array.from(nums), [nums.length]);
  }
  if (typeof first === 'boolean') {
    return new Tensor(Uint8Array.from(samples as boolean[], (b) => (b ? 1 : 0)), [samples.length], undefined, 0, 'bool');
  }
  if (typeof first === 'string') return samples;
  if (Array.isArray(first)) {
    samples.forEach((s, k) => {
      if (!Array.isArray(s) || s.length !== first.length) {
        throw new Error(`defaultCollate: sample ${k}${path} is ${Array.isArray(s) ? `a list of ${s.length}` : describe(s)}, but sample 0 is a list of ${first.length}; every sample must have the same structure`);
      }
    });
    return first.map((_, j) => collateAt(samples.map((s) => (s as unknown[])[j]), `${path}[${j}]`));
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    return Object.fromEntries(
      Object.keys(first).map((key) => {
        const column = samples.map((s, k) => {
          if (s === null || typeof s !== 'object' || !(key in s)) throw new Error(`defaultCollate: sample ${k}${path} has no key '${key}' (sample 0 has)`);
          return (s as Record<string, unknown>)[key];
        });
        return [key, collateAt(column, `${path}.${key}`)];
      }),
    );
  }
  throw new Error(`defaultCollate: cannot batch ${describe(first)}${path ? ` at ${path}` : ''}; expected tensors, Uint8Images, numbers, booleans, strings, or lists/objects of them`);
}

/**
 * Batch samples as PyTorch's default_collate: tensors are stacked (new first
 * dim), Uint8Images become one float32 N×C×H×W tensor of their 0..255 values,
 * numbers a float64 tensor when the first is not an integer, else int32 when all are integers
 * (PyTorch's int64), else float32 (as torch.tensor of mixed Python numbers), booleans bool,
 * strings stay a list; lists/tuples and plain objects are collated per position/key.
 */
export function defaultCollate(samples: readonly unknown[]): any {
  if (!Array.isArray(samples) || samples.length === 0) throw new Error('defaultCollate: expected a non-empty list of samples');
  return collateAt(samples as unknown[], '');
}
