/**
 * Memory and process lifetime with the default backend (native when the addon loads: zero-copy
 * Float32Arrays owned by JS, outputs from the addon's recycled-array pool, nothing disposed).
 *
 * Each check runs in a child process: forced GC needs --expose-gc, and exiting is the behaviour
 * under test. The children are test/backend/fixtures/{train-memory,train-conv-memory,garbage-tensors,worker-tensors,pool-exit}.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeInfo } from '../../src/backend/native/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const expectedBackend = nativeInfo().loaded ? 'native' : 'js';
const MB = 1024 * 1024;

function runChild(args: string[], timeout: number): { json: Record<string, unknown>; endedAt: number } {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout });
  const endedAt = Date.now();
  assert.equal(r.error, undefined, `child failed to run or was killed: ${r.error}\n${r.stderr}`);
  assert.equal(r.signal, null, `child killed by ${r.signal}\n${r.stderr}`);
  assert.equal(r.status, 0, `child exited with ${r.status}\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() as string;
  return { json: JSON.parse(last) as Record<string, unknown>, endedAt };
}

test('hundreds of LeNet-5 training steps do not grow memory (RSS, JS heap, array buffers)', () => {
  // Native: 50 warm-up steps, then 300. The JS backend is ~40× slower: 4 + 16 steps keep it short.
  const [warmup, steps] = expectedBackend === 'native' ? [50, 300] : [4, 16];
  const { json } = runChild(['--expose-gc', '--import', 'tsx', fixture('train-memory.ts'), String(warmup), String(steps)], 180_000);
  type Usage = NodeJS.MemoryUsage;
  const { backend, lastLoss, start, middle, end } = json as { backend: string; lastLoss: number; start: Usage; middle: Usage; end: Usage };
  assert.equal(backend, expectedBackend);
  assert.ok(Number.isFinite(lastLoss), `loss ${lastLoss}`);
  const report = (key: keyof Usage) =>
    `${key}: start ${(start[key] / MB).toFixed(1)} MB, middle ${(middle[key] / MB).toFixed(1)} MB, end ${(end[key] / MB).toFixed(1)} MB`;
  const growth = (key: keyof Usage, total: number, secondHalf: number) => {
    // Over all the steps a one-off increase (pool filling, JIT code) is allowed; over the second half a
    // steady leak would grow about as much as over the first, so the bound there is tighter.
    assert.ok(end[key] - start[key] < total * MB, `${report(key)}: grew ${((end[key] - start[key]) / MB).toFixed(1)} MB (bound ${total} MB)`);
    assert.ok(end[key] - middle[key] < secondHalf * MB, `${report(key)}: grew ${((end[key] - middle[key]) / MB).toFixed(1)} MB over the second half (bound ${secondHalf} MB)`);
  };
  growth('rss', 64, 32);
  growth('heapUsed', 8, 4);
  growth('external', 8, 4);
  growth('arrayBuffers', 8, 4);
});

test('a convolutional network trains without forced GC and without growing memory (RSS)', () => {
  // Native: each step keeps ~150 MB of activations that only full collections free (pooled_arrays.cpp has
  // V8 run one after each backward pass); 15 steps would pile up over 2 GB. The JS backend: a short run.
  const [batch, steps] = expectedBackend === 'native' ? [32, 15] : [4, 3];
  const { json } = runChild(['--import', 'tsx', fixture('train-conv-memory.ts'), String(batch), String(steps)], 120_000);
  const { backend, lastLoss, before, peak } = json as { backend: string; lastLoss: number; before: number; peak: number };
  assert.equal(backend, expectedBackend);
  assert.ok(Number.isFinite(lastLoss), `loss ${lastLoss}`);
  assert.ok(peak - before < 512 * MB, `RSS grew ${((peak - before) / MB).toFixed(0)} MB after the first 2 steps (bound 512 MB)`);
});

test('large garbage tensors are collected without forced GC: RSS stays within 1 GB of the start', () => {
  // 150 tensors of 32 MB (4.8 GB in all), each unreachable after its iteration. The native pool reports
  // its arrays to V8 only once they have piled up (pooled_arrays.cpp); this is the bound on what may pile
  // up. Measured: ~0.5–0.65 GB above the start.
  const { json } = runChild(['--import', 'tsx', fixture('garbage-tensors.ts'), '150', '32'], 120_000);
  const { backend, before, peak, checksum } = json as { backend: string; before: number; peak: number; checksum: number };
  assert.equal(backend, expectedBackend);
  assert.equal(checksum, (149 * 150) / 2);
  assert.ok(peak - before < 1024 * MB, `RSS grew ${((peak - before) / MB).toFixed(0)} MB (bound 1024 MB)`);
});

test('Strata in worker threads and the main thread at once: right results, workers torn down cleanly', () => {
  // Three isolates share the native thread pool and block pool; each tracks its own arrays and what it
  // reported of them to V8 (pooled_arrays.cpp), and a worker's arrays return to the pool when it ends.
  const { json } = runChild(['--import', 'tsx', fixture('worker-tensors.ts')], 120_000);
  const { backend, main, workers, after, grew } = json as { backend: string; main: number; workers: number[]; after: number; grew: number };
  assert.equal(backend, expectedBackend);
  const expected = (seed: number) => 2 * 1024 * 1024 * (1770 + 60 * seed); // Σ over 60 tensors of 2M × (i + seed)
  assert.deepEqual([main, ...workers, after], [expected(0), expected(1), expected(2), expected(3)]);
  assert.ok(grew < 1024 * MB, `RSS grew ${(grew / MB).toFixed(0)} MB`);
});

test('the native thread pool does not keep the process alive after main returns', () => {
  const { json, endedAt } = runChild(['--import', 'tsx', fixture('pool-exit.ts')], 60_000);
  assert.equal(json.backend, expectedBackend);
  assert.equal(json.ok, true);
  if (expectedBackend === 'native') assert.equal(json.threads, 4);
  // The process ended by itself (no timeout kill above), and promptly after main returned.
  const exitDelay = endedAt - (json.mainEndedAt as number);
  assert.ok(exitDelay < 5000, `exited ${exitDelay} ms after main returned`);
});
