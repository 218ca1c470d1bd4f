import type { Conv2dGeometry, FloatArray } from '../interface.js';

/**
 * 2-D convolution (cross-correlation, as PyTorch) on contiguous NCHW input and
 * OIHW weights with C/groups input channels per output channel.
 *
 * Every kernel works per image and per group on a "column" matrix: row
 * (c, kh, kw) of im2col(x) holds, for every output pixel, the input pixel that
 * kernel tap meets (0 in the padding). The weights of a group are then a
 * coutG × K matrix (K = cinG·kH·kW, already row-major in OIHW) and
 *   forward:        y  = W · col(x)            (+ bias)
 *   backward input: dx = col2im(Wᵀ · dy)
 *   backward weight: dW = Σ_images dy · col(x)ᵀ
 * A 1×1, stride-1, unpadded convolution's column matrix is the input itself,
 * so that case skips im2col/col2im.
 */

export function conv2d(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, out: FloatArray): void {
  const s = shapes(g);
  const { cinG, coutG, K, P, inPlane } = s;
  const wRows = Float64Array.from(w); // float64 copy: the A operand of every GEMM
  const col = s.pointwise ? null : new Float64Array(K * P);
  const init = new Float64Array(g.outC);
  if (bias) init.set(bias);
  const acc = new Float64Array(P);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * cinG) * inPlane;
      const yOff = (b * g.outC + gi * coutG) * P;
      if (col) {
        im2col(x, xOff, cinG, g, s.tables, col);
        gemm(wRows, gi * coutG * K, col, 0, out, yOff, coutG, K, P, init, gi * coutG, acc);
      } else {
        gemm(wRows, gi * coutG * K, x, xOff, out, yOff, coutG, K, P, init, gi * coutG, acc);
      }
    }
  }
}

export function conv2dBackwardInput(gradOut: FloatArray, w: FloatArray, g: Conv2dGeometry, gradIn: FloatArray): void {
  const s = shapes(g);
  const { cinG, coutG, K, P, inPlane } = s;
  // Per group, Wᵀ (K × coutG) as a row-major float64 matrix.
  const wT = new Float64Array(w.length);
  for (let gi = 0; gi < g.groups; gi++) {
    const base = gi * coutG * K;
    for (let o = 0; o < coutG; o++) {
      for (let q = 0; q < K; q++) wT[base + q * coutG + o] = w[base + o * K + q];
    }
  }
  const zeros = new Float64Array(K);
  const acc = new Float64Array(P);
  const dcol = s.pointwise ? null : new Float64Array(K * P);
  const dxGroup = s.pointwise ? null : new Float64Array(cinG * inPlane);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * cinG) * inPlane;
      const yOff = (b * g.outC + gi * coutG) * P;
      if (dcol && dxGroup) {
        gemm(wT, gi * coutG * K, gradOut, yOff, dcol, 0, K, coutG, P, zeros, 0, acc);
        // Sum the taps in float64, then store the group's slice of gradIn once.
        dxGroup.fill(0);
        col2im(dcol, cinG, g, s.tables, dxGroup);
        for (let i = 0; i < dxGroup.length; i++) gradIn[xOff + i] = dxGroup[i];
      } else {
        gemm(wT, gi * coutG * K, gradOut, yOff, gradIn, xOff, K, coutG, P, zeros, 0, acc);
      }
    }
  }
}

export function conv2dBackwardWeight(gradOut: FloatArray, x: FloatArray, g: Conv2dGeometry, gradW: FloatArray): void {
  const s = shapes(g);
  const { cinG, coutG, K, P, inPlane } = s;
  const dw = new Float64Array(g.outC * K); // summed over the batch in float64
  const col = s.pointwise ? null : new Float64Array(K * P);
  for (let b = 0; b < g.n; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * cinG) * inPlane;
      const yOff = (b * g.outC + gi * coutG) * P;
      if (col) {
        im2col(x, xOff, cinG, g, s.tables, col);
        gemmNT(gradOut, yOff, col, 0, dw, gi * coutG * K, coutG, K, P);
      } else {
        gemmNT(gradOut, yOff, x, xOff, dw, gi * coutG * K, coutG, K, P);
      }
    }
  }
  for (let i = 0; i < dw.length; i++) gradW[i] = dw[i];
}

// ---- helpers ----------------------------------------------------------------

/**
 * For each kernel tap along one axis, the range [lo, hi) of output positions
 * whose input position o·stride + tap·dilation − pad lies inside the image,
 * so the im2col loops need no per-element bounds test.
 */
interface TapTables {
  ohLo: Int32Array;
  ohHi: Int32Array;
  owLo: Int32Array;
  owHi: Int32Array;
}

function tapRanges(k: number, outSize: number, inSize: number, stride: number, pad: number, dilation: number) {
  const lo = new Int32Array(k);
  const hi = new Int32Array(k);
  for (let t = 0; t < k; t++) {
    const shift = t * dilation - pad; // input position of output 0
    lo[t] = Math.min(outSize, Math.max(0, Math.ceil(-shift / stride)));
    hi[t] = Math.max(lo[t], Math.min(outSize, Math.floor((inSize - 1 - shift) / stride) + 1));
  }
  return { lo, hi };
}

function shapes(g: Conv2dGeometry) {
  const cinG = g.inC / g.groups;
  const coutG = g.outC / g.groups;
  const h = tapRanges(g.kH, g.outH, g.inH, g.strideH, g.padH, g.dilationH);
  const v = tapRanges(g.kW, g.outW, g.inW, g.strideW, g.padW, g.dilationW);
  const pointwise = g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
  return {
    cinG,
    coutG,
    K: cinG * g.kH * g.kW,
    P: g.outH * g.outW,
    inPlane: g.inH * g.inW,
    pointwise,
    tables: { ohLo: h.lo, ohHi: h.hi, owLo: v.lo, owHi: v.hi } as TapTables,
  };
}

/** Fill col (K × outH·outW) from `channels` input planes starting at xOff. */
function im2col(x: FloatArray, xOff: number, channels: number, g: Conv2dGeometry, t: TapTables, col: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const P = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      const ohLo = t.ohLo[kh];
      const ohHi = t.ohHi[kh];
      for (let kw = 0; kw < kW; kw++, row += P) {
        const owLo = t.owLo[kw];
        const owHi = t.owHi[kw];
        col.fill(0, row, row + ohLo * outW);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const dst = row + oh * outW;
          const src = plane + (oh * strideH + kh * dilationH - padH) * inW + kw * dilationW - padW;
          col.fill(0, dst, dst + owLo);
          for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow * strideW];
          col.fill(0, dst + owHi, dst + outW);
        }
        col.fill(0, row + ohHi * outW, row + P);
      }
    }
  }
}

/** The adjoint of im2col: add every column entry back onto its input pixel (padding taps are dropped). */
function col2im(col: Float64Array, channels: number, g: Conv2dGeometry, t: TapTables, dx: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const P = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, row += P) {
        const owLo = t.owLo[kw];
        const owHi = t.owHi[kw];
        for (let oh = t.ohLo[kh]; oh < t.ohHi[kh]; oh++) {
          const src = row + oh * outW;
          const dst = plane + (oh * strideH + kh * dilationH - padH) * inW + kw * dilationW - padW;
          for (let ow = owLo; ow < owHi; ow++) dx[dst + ow * strideW] += col[src + ow];
        }
      }
    }
  }
}

/**
 * C (m×n, at cOff) = A (m×k, float64 at aOff) · B (k×n, at bOff) + rowInit[i].
 * i-k-j order: the inner loop streams a contiguous row of B into a float64
 * accumulator row, which is stored into C once.
 */
function gemm(
  a: Float64Array, aOff: number,
  b: FloatArray, bOff: number,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number,
  rowInit: Float64Array, initOff: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    acc.fill(rowInit[initOff + i]);
    const aRow = aOff + i * k;
    for (let q = 0; q < k; q++) {
      const av = a[aRow + q];
      const bRow = bOff + q * n;
      for (let j = 0; j < n; j++) acc[j] += av * b[bRow + j];
    }
    const cRow = cOff + i * n;
    for (let j = 0; j < n; j++) c[cRow + j] = acc[j];
  }
}

/** C (m×k, float64 at cOff) += A (m×n at aOff) · B (k×n at bOff)ᵀ: dot products of contiguous rows. */
function gemmNT(
  a: FloatArray, aOff: number,
  b: FloatArray, bOff: number,
  c: Float64Array, cOff: number,
  m: number, k: number, n: number,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = aOff + i * n;
    for (let q = 0; q < k; q++) {
      const bRow = bOff + q * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += a[aRow + j] * b[bRow + j];
      c[cOff + i * k + q] += sum;
    }
  }
}
