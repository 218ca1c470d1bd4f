/**
 * Recycled output arrays (native backend): blocks come back uninitialised, so every op that takes one
 * must write all of it. Each case first poisons the pool with NaN-filled blocks of the output's size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import * as st from '../../src/index.js';
import { kernels } from '../../src/backend/registry.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Return NaN-filled blocks of `size` floats to the pool (when the backend recycles them). */
function poison(size: number): void {
  for (let i = 0; i < 4; i++) {
    const a = kernels().uninitializedArray?.('float32', size);
    if (a) a.fill(NaN);
  }
  gc();
}

const cases: [string, () => st.Tensor, number[]][] = [
  ['matmul with an empty inner dimension', () => st.matmul(st.zeros([300, 0]), st.zeros([0, 300])), [0]],
  ['cat', () => st.cat([st.ones([100, 200]), st.full([100, 200], 2)]), [1, 2]],
  ['where', () => st.where(st.rand([300, 300]).gt(0.5), st.ones([300, 300]), st.zeros([300, 300])), [0, 1]],
  ['relu', () => st.randn([300, 300]).relu().clamp(0, 0), [0]],
  ['maxPool2d (ceil mode, padding)', () => st.F.maxPool2d(st.ones([8, 16, 33, 33]), 3, { stride: 2, padding: 1, ceilMode: true }), [1]],
  ['conv2d (implicit GEMM)', () => st.F.conv2d(st.zeros([8, 3, 40, 40]), st.zeros([40, 3, 3, 3]), null, { padding: 1 }), [0]],
  ['conv2d (direct, few output channels)', () => st.F.conv2d(st.zeros([8, 3, 40, 40]), st.zeros([6, 3, 5, 5]), st.ones([6]), { padding: 2 }), [1]],
  ['conv2d (strided)', () => st.F.conv2d(st.zeros([8, 3, 40, 40]), st.zeros([40, 3, 3, 3]), null, { stride: 2 }), [0]],
  ['batchNorm', () => st.F.batchNorm(st.ones([8, 16, 32, 32]), st.zeros([16]), st.ones([16]), null, null, { eps: 0 }), [1]],
];

describe(`recycled output arrays are fully written (${st.getBackend()} backend)`, () => {
  for (const [name, make, allowed] of cases) {
    it(name, () => {
      const size = make().size;
      poison(size);
      const out = make();
      const values = new Set(out.contiguous().data());
      for (const v of values) assert.ok(allowed.includes(v), `${name}: unexpected value ${v}`);
    });
  }

  it('gradients (conv, batch norm, relu, pooling) of a training step are finite after poisoning', () => {
    st.manualSeed(0);
    const model = st.models.create('lenet5');
    const x = st.randn([64, 1, 28, 28]);
    for (const size of [301056, 75264, 102400, 25600, 50176, 7680]) poison(size);
    st.F.crossEntropy(model.forward(x), st.randint(0, 10, [64])).backward();
    for (const [name, p] of model.namedParameters()) {
      assert.ok(p.grad, `${name} has a gradient`);
      assert.ok(p.grad.isfinite().all().item(), `${name}: gradient not finite`);
    }
  });

  it('a recycled array never moves to another thread: transfer lists copy it or refuse it, it stays intact', async () => {
    // Its block returns to the pool when its buffer is collected, so the buffer must not be detached.
    const array = kernels().uninitializedArray?.('float32', 100_000);
    if (!array) return; // this backend hands out ordinary arrays
    array.set(Array.from({ length: array.length }, (_, i) => i));
    const buffer = array.buffer as ArrayBuffer;
    const attempts: [string, () => Promise<ArrayBufferLike>][] = [
      ['structuredClone', async () => structuredClone(buffer, { transfer: [buffer] })],
      ['postMessage', async () => {
        const { port1, port2 } = new MessageChannel();
        const received = once(port2, 'message');
        port1.postMessage(buffer, [buffer]);
        const [value] = (await received) as [ArrayBuffer];
        port1.close();
        return value;
      }],
    ];
    for (const [how, attempt] of attempts) {
      try {
        const copy = new Float32Array(await attempt());
        assert.equal(copy[99_999], 99_999, `${how}: the copy holds the data`);
      } catch (e) {
        assert.equal((e as Error).name, 'DataCloneError', `${how}: ${e}`); // Node 21 and later refuse
      }
      assert.equal(array.length, 100_000, `${how}: not detached`);
      assert.equal(array[12_345], 12_345, `${how}: intact`);
    }
  });
});
