/**
 * SGEMM throughput: Strata's native kernel (nativeBackend.matmul, called directly) against PyTorch,
 * onnxruntime-node (a MatMul model) and TensorFlow.js (tf.matMul on its cpu and wasm backends), at 1 and 2
 * threads, with GFLOP/s as % of the FMA peak measured in the same run.
 *
 *   npm run bench -- gemm [--quick] [--threads 1,2] [--peers torch,ort,tfjs-cpu,tfjs-wasm|none] [--only TEXT] [--level avx2]
 *
 * Cases: square 256, 512, 1024 and the convolution-like M=64 K=800 N=4096 (C[M×N] = A[M×K]·B[K×N], row-major,
 * both operands passed anew on every call: no pre-packed weights on either side).
 */
import type { MatmulArgs } from '../src/backend/interface.js';
import { requireNative, rnd, runKernelBench, type KernelCase } from './kernels.js';
import { onnxModel } from './peers.js';

const nb = requireNative();

function gemmCase(name: string, m: number, k: number, n: number): KernelCase {
  const A = rnd(m * k);
  const B = rnd(k * n);
  const C = new Float32Array(m * n);
  const args: MatmulArgs = { batch: 1, m, n, k, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 };
  return {
    name,
    pass: '',
    flops: 2 * m * n * k,
    strata: () => nb.matmul(A, B, C, args),
    torch: { kind: 'gemm', m, n, k },
    ort: {
      model: () => onnxMatMul(m, k, n),
      inputs: () => ({ A: { data: A, dims: [m, k] }, B: { data: B, dims: [k, n] } }),
    },
    tfjs: (tf) => {
      const a = tf.tensor2d(A, [m, k]);
      const b = tf.tensor2d(B, [k, n]);
      return {
        run: () => {
          const c = tf.matMul(a, b);
          c.dataSync();
          c.dispose();
        },
        dispose: () => tf.dispose([a, b]),
      };
    },
  };
}

function onnxMatMul(m: number, k: number, n: number): Uint8Array {
  return onnxModel({
    inputs: { A: [m, k], B: [k, n] },
    outputs: { C: [m, n] },
    nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
  });
}

await runKernelBench({
  title: 'SGEMM, float32, row-major C = A·B',
  cases: () => [
    gemmCase('sgemm 256³', 256, 256, 256),
    gemmCase('sgemm 512³', 512, 512, 512),
    gemmCase('sgemm 1024³', 1024, 1024, 1024),
    gemmCase('sgemm M=64 K=800 N=4096', 64, 800, 4096),
  ],
  notes: ['ORT: both MatMul operands are graph inputs (no constant-weight pre-packing); times include copying C out to JS.'],
});
process.exit(0);
