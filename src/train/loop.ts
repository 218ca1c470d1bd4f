/** Iteration helpers shared by the Trainer and evaluate(). */
import { Tensor } from '../tensor/tensor.js';
import type { BatchSource } from './types.js';

/** Batches of a source: its sync iterator when it has one (deterministic, no event-loop turns), else its async one. */
export async function* batchesOf<B>(source: BatchSource<B>): AsyncGenerator<B> {
  if (source && typeof (source as Iterable<B>)[Symbol.iterator] === 'function') {
    let last = performance.now();
    for (const b of source as Iterable<B>) {
      yield b;
      // Let timers and I/O (signals, servers, log flushes) run now and then.
      if (performance.now() - last > 200) {
        await new Promise((r) => setImmediate(r));
        last = performance.now();
      }
    }
    return;
  }
  if (source && typeof (source as AsyncIterable<B>)[Symbol.asyncIterator] === 'function') {
    for await (const b of source as AsyncIterable<B>) yield b;
    return;
  }
  throw new Error(`fit: expected a batch source (a DataLoader or an iterable of [input, target]), got ${source === null ? 'null' : typeof source}`);
}

/** Number of batches of a source, when it knows. */
export function lengthOf(source: unknown): number | null {
  const n = (source as { length?: unknown })?.length;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** Split a batch into [input, target]: an [x, y] array or {input, target} / {x, y} object. */
export function defaultPrepareBatch(batch: unknown): [any, Tensor] {
  if (Array.isArray(batch) && batch.length >= 2) return [batch[0], batch[1] as Tensor];
  if (batch && typeof batch === 'object') {
    const b = batch as Record<string, unknown>;
    if ('input' in b && 'target' in b) return [b.input, b.target as Tensor];
    if ('x' in b && 'y' in b) return [b.x, b.y as Tensor];
  }
  throw new Error('fit: a batch must be [input, target] (as the DataLoader yields) or {input, target}; pass prepareBatch for other layouts');
}

/** The logits of a model output (the first element when a model returns several, e.g. auxiliary heads). */
export function logitsOf(output: unknown): Tensor {
  if (output instanceof Tensor) return output;
  if (Array.isArray(output) && output[0] instanceof Tensor) return output[0];
  if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    for (const k of ['logits', 'out']) if (o[k] instanceof Tensor) return o[k] as Tensor;
  }
  throw new Error('fit: cannot find the logits in the model output (expected a Tensor, [Tensor, ...] or {logits})');
}

export function batchSizeOf(input: unknown, target: Tensor): number {
  if (input instanceof Tensor && input.ndim > 0) return input.shape[0];
  if (target instanceof Tensor && target.ndim > 0) return target.shape[0];
  return 1;
}
