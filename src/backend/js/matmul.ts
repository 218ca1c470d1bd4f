import type { FloatArray, MatmulArgs } from '../interface.js';

/**
 * Batched GEMM in plain loops. Operands are first brought to row-major A (m×k)
 * and B (k×n) so the inner loop runs over contiguous rows of B and C (i-k-j
 * order), which the JIT turns into a tight loop; the accumulator row is float64.
 */
export function matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB, aOffset, bOffset, aBatchStride, bBatchStride } = args;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  const aRows = new Float64Array(m * k);
  const bRows = new Float64Array(k * n);
  const accRow = new Float64Array(n);
  let lastB = -1;
  for (let p = 0; p < batch; p++) {
    const aBase = aOffset + p * aBatchStride;
    const bBase = bOffset + p * bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let q = 0; q < k; q++) aRows[i * k + q] = transA ? a[aBase + q * m + i] : a[aBase + i * k + q];
    }
    if (bBase !== lastB) {
      // A broadcast B (batch stride 0) is laid out once for the whole batch.
      for (let q = 0; q < k; q++) {
        for (let j = 0; j < n; j++) bRows[q * n + j] = transB ? b[bBase + j * k + q] : b[bBase + q * n + j];
      }
      lastB = bBase;
    }
    const cBase = p * m * n;
    for (let i = 0; i < m; i++) {
      accRow.fill(0);
      for (let q = 0; q < k; q++) {
        const av = aRows[i * k + q];
        const bRow = q * n;
        for (let j = 0; j < n; j++) accRow[j] += av * bRows[bRow + j];
      }
      const cRow = cBase + i * n;
      if (beta === 0) for (let j = 0; j < n; j++) out[cRow + j] = alpha * accRow[j];
      else for (let j = 0; j < n; j++) out[cRow + j] = alpha * accRow[j] + beta * out[cRow + j];
    }
  }
}
