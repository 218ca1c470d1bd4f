import type { Conv2dGeometry, ConvPost, FloatArray, View } from '../interface.js';
import { scalar, unary } from './elementwise.js';

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

export function conv2d(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, out: FloatArray, post?: ConvPost): void {
  convolve(x, w, bias, g, out);
  if (post) applyConvPost(out, g, post);
}

/**
 * out ← act(out·scale + shift) per output channel: the affine step rounded to the output's type as
 * batchNormForward rounds it (x·scale + shift in double, rounded once), then the activation by the
 * elementwise kernels themselves, in place.
 */
export function applyConvPost(out: FloatArray, g: Conv2dGeometry, post: ConvPost): void {
  const P = g.outH * g.outW;
  if (post.scale || post.shift) {
    for (let b = 0; b < g.n; b++) {
      for (let c = 0; c < g.outC; c++) {
        const base = (b * g.outC + c) * P;
        const scale = post.scale ? post.scale[c] : 1;
        const shift = post.shift ? post.shift[c] : 0;
        for (let i = base; i < base + P; i++) out[i] = out[i] * scale + shift;
      }
    }
  }
  const all: View = { data: out, shape: [out.length], strides: [1], offset: 0 };
  if (post.act === 'relu6') scalar('hardtanh', all, 0, 6, out);
  else if (post.act !== 'none') unary(post.act, all, out);
}

function convolve(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, out: FloatArray): void {
  const s = shapes(g);
  const { cinG, coutG, K, P, inPlane } = s;
  const wRows = Float64Array.from(w); // float64 copy: the A operand of every GEMM
  const col = s.pointwise ? null : new Float64Array(K * P); // zeroed once: see im2col
  const init = new Float64Array(g.outC);
  if (bias) init.set(bias);
  const acc = new Float64Array(4 * P);
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
  const acc = new Float64Array(4 * P);
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
  const col = s.pointwise ? null : new Float64Array(K * P); // zeroed once: see im2col
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
  // A 1×1 stride-1 unpadded conv reads x in place, but only when the output plane is the whole input plane.
  const pointwise = g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0 &&
    g.inH === g.outH && g.inW === g.outW;
  return {
    cinG,
    coutG,
    K: cinG * g.kH * g.kW,
    P: g.outH * g.outW,
    inPlane: g.inH * g.inW,
    pointwise,
    tables: { ohLo: h.lo, ohHi: h.hi, owLo: v.lo, owHi: v.hi } satisfies TapTables,
  };
}

/**
 * Fill col (K × outH·outW) from `channels` input planes starting at xOff.
 * Only in-image entries are written: which entries fall in the padding depends
 * on the geometry alone, so a zero-initialized buffer can be reused for every
 * image and group without clearing it again.
 */
function im2col(x: FloatArray, xOff: number, channels: number, g: Conv2dGeometry, t: TapTables, col: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const P = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, row += P) {
        const owLo = t.owLo[kw];
        const owHi = t.owHi[kw];
        for (let oh = t.ohLo[kh]; oh < t.ohHi[kh]; oh++) {
          const dst = row + oh * outW;
          const src = plane + (oh * strideH + kh * dilationH - padH) * inW + kw * dilationW - padW;
          if (strideW === 1) for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow];
          else for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow * strideW];
        }
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
 * i-k-j order: the inner loop streams contiguous rows of B into float64
 * accumulator rows, stored into C once. Rows of A go four at a time and k
 * four at a time, so each loaded B value feeds four rows and each accumulator
 * load/store carries four products (about 4× faster than one row at a time).
 */
function gemm(
  a: Float64Array, aOff: number,
  b: FloatArray, bOff: number,
  c: FloatArray, cOff: number,
  m: number, k: number, n: number,
  rowInit: Float64Array, initOff: number,
  acc: Float64Array, // scratch of at least 4·n
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    for (let r = 0; r < 4; r++) acc.fill(rowInit[initOff + i + r], r * n, (r + 1) * n);
    gemmRows4(a, aOff + i * k, b, bOff, k, n, acc);
    const cRow = cOff + i * n;
    for (let j = 0; j < 4 * n; j++) c[cRow + j] = acc[j];
  }
  for (; i < m; i++) {
    acc.fill(rowInit[initOff + i], 0, n);
    gemmRow1(a, aOff + i * k, b, bOff, k, n, acc);
    const cRow = cOff + i * n;
    for (let j = 0; j < n; j++) c[cRow + j] = acc[j];
  }
}

/** acc[r·n + j] += Σ_q A[r, q]·B[q, j] for the four A rows starting at aRow. */
function gemmRows4(a: Float64Array, aRow: number, b: FloatArray, bOff: number, k: number, n: number, acc: Float64Array): void {
  const r0 = aRow, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
  const n2 = 2 * n, n3 = 3 * n;
  let q = 0;
  for (; q + 4 <= k; q += 4) {
    const a00 = a[r0 + q], a01 = a[r0 + q + 1], a02 = a[r0 + q + 2], a03 = a[r0 + q + 3];
    const a10 = a[r1 + q], a11 = a[r1 + q + 1], a12 = a[r1 + q + 2], a13 = a[r1 + q + 3];
    const a20 = a[r2 + q], a21 = a[r2 + q + 1], a22 = a[r2 + q + 2], a23 = a[r2 + q + 3];
    const a30 = a[r3 + q], a31 = a[r3 + q + 1], a32 = a[r3 + q + 2], a33 = a[r3 + q + 3];
    const b0 = bOff + q * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = 0; j < n; j++) {
      const v0 = b[b0 + j], v1 = b[b1 + j], v2 = b[b2 + j], v3 = b[b3 + j];
      acc[j] += a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
      acc[n + j] += a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
      acc[n2 + j] += a20 * v0 + a21 * v1 + a22 * v2 + a23 * v3;
      acc[n3 + j] += a30 * v0 + a31 * v1 + a32 * v2 + a33 * v3;
    }
  }
  for (; q < k; q++) {
    const a0 = a[r0 + q], a1 = a[r1 + q], a2 = a[r2 + q], a3 = a[r3 + q];
    const bRow = bOff + q * n;
    for (let j = 0; j < n; j++) {
      const v = b[bRow + j];
      acc[j] += a0 * v;
      acc[n + j] += a1 * v;
      acc[n2 + j] += a2 * v;
      acc[n3 + j] += a3 * v;
    }
  }
}

/** acc[j] += Σ_q A[q]·B[q, j] for the single A row at aRow (leftover rows; depthwise groups). */
function gemmRow1(a: Float64Array, aRow: number, b: FloatArray, bOff: number, k: number, n: number, acc: Float64Array): void {
  let q = 0;
  for (; q + 4 <= k; q += 4) {
    const a0 = a[aRow + q], a1 = a[aRow + q + 1], a2 = a[aRow + q + 2], a3 = a[aRow + q + 3];
    const b0 = bOff + q * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let j = 0; j < n; j++) acc[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
  }
  for (; q < k; q++) {
    const av = a[aRow + q];
    const bRow = bOff + q * n;
    for (let j = 0; j < n; j++) acc[j] += av * b[bRow + j];
  }
}

/**
 * C (m×k, float64 at cOff) += A (m×n at aOff) · B (k×n at bOff)ᵀ: dot products
 * of contiguous rows, in 4×2 blocks (8 running sums) so each loaded value is
 * used several times; leftover rows/columns fall back to single dot products.
 */
function gemmNT(
  a: FloatArray, aOff: number,
  b: FloatArray, bOff: number,
  c: Float64Array, cOff: number,
  m: number, k: number, n: number,
): void {
  const m4 = m - (m % 4);
  const k2 = k - (k % 2);
  for (let i = 0; i < m4; i += 4) {
    const r0 = aOff + i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    for (let q = 0; q < k2; q += 2) {
      const b0 = bOff + q * n, b1 = b0 + n;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let j = 0; j < n; j++) {
        const v0 = b[b0 + j], v1 = b[b1 + j];
        const x0 = a[r0 + j], x1 = a[r1 + j], x2 = a[r2 + j], x3 = a[r3 + j];
        s00 += x0 * v0; s01 += x0 * v1;
        s10 += x1 * v0; s11 += x1 * v1;
        s20 += x2 * v0; s21 += x2 * v1;
        s30 += x3 * v0; s31 += x3 * v1;
      }
      const o = cOff + i * k + q;
      c[o] += s00; c[o + 1] += s01;
      c[o + k] += s10; c[o + k + 1] += s11;
      c[o + 2 * k] += s20; c[o + 2 * k + 1] += s21;
      c[o + 3 * k] += s30; c[o + 3 * k + 1] += s31;
    }
  }
  for (let i = 0; i < m; i++) {
    // Rows below m4 only miss their last odd column; rows from m4 on need every column.
    for (let q = i < m4 ? k2 : 0; q < k; q++) {
      const aRow = aOff + i * n;
      const bRow = bOff + q * n;
      let sum = 0;
      for (let j = 0; j < n; j++) sum += a[aRow + j] * b[bRow + j];
      c[cOff + i * k + q] += sum;
    }
  }
}
