import type { FloatArray, Pool2dGeometry } from '../interface.js';

/**
 * 2-D max and average pooling on contiguous planes, matching PyTorch's CPU
 * kernels: padding is implicit (−∞ for max, 0 for avg), and with ceil mode the
 * caller's outH/outW may give a last window that starts in the right/bottom
 * padding; such windows are clipped exactly as PyTorch clips them.
 */

export function maxPool2d(x: FloatArray, g: Pool2dGeometry, out: FloatArray, indices: Int32Array): void {
  const { planes, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const h = maxTaps(kH, outH, inH, strideH, padH, dilationH);
  const v = maxTaps(kW, outW, inW, strideW, padW, dilationW);
  const inPlane = inH * inW;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = h.start[oh];
      const ih1 = h.end[oh];
      for (let ow = 0; ow < outW; ow++, o++) {
        const iw0 = v.start[ow];
        const iw1 = v.end[ow];
        if (ih0 >= ih1 || iw0 >= iw1) {
          // Only possible with dilation: every tap falls in the padding.
          out[o] = -Infinity;
          indices[o] = -1;
          continue;
        }
        // As PyTorch: a tie keeps the first index, a NaN always takes over (so the last NaN wins).
        let best = -Infinity;
        let bestIdx = ih0 * inW + iw0;
        for (let ih = ih0; ih < ih1; ih += dilationH) {
          for (let iw = iw0; iw < iw1; iw += dilationW) {
            const idx = ih * inW + iw;
            const val = x[base + idx];
            if (val > best || val !== val) {
              best = val;
              bestIdx = idx;
            }
          }
        }
        out[o] = best;
        indices[o] = bestIdx;
      }
    }
  }
}

export function maxPool2dBackward(gradOut: FloatArray, indices: Int32Array, g: Pool2dGeometry, gradIn: FloatArray): void {
  const { planes, inH, inW, outH, outW } = g;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const acc = new Float64Array(inPlane); // overlapping windows add up in float64
  for (let p = 0; p < planes; p++) {
    acc.fill(0);
    const oBase = p * outPlane;
    for (let o = 0; o < outPlane; o++) {
      const idx = indices[oBase + o];
      if (idx >= 0) acc[idx] += gradOut[oBase + o];
    }
    const iBase = p * inPlane;
    for (let i = 0; i < inPlane; i++) gradIn[iBase + i] = acc[i];
  }
}

/** Average pooling (dilation is always 1 and is ignored here). */
export function avgPool2d(x: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, out: FloatArray): void {
  const { planes, inH, inW, outH, outW } = g;
  const h = avgWindows(outH, inH, g.kH, g.strideH, g.padH);
  const v = avgWindows(outW, inW, g.kW, g.strideW, g.padW);
  const scale = avgScales(h, v, outH, outW, countIncludePad, divisorOverride);
  const inPlane = inH * inW;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = h.start[oh];
      const ih1 = h.end[oh];
      for (let ow = 0; ow < outW; ow++, o++) {
        const iw0 = v.start[ow];
        const iw1 = v.end[ow];
        let sum = 0;
        for (let ih = ih0; ih < ih1; ih++) {
          const row = base + ih * inW;
          for (let iw = iw0; iw < iw1; iw++) sum += x[row + iw];
        }
        // An empty window (start in the padding, clipped away) gives 0, as PyTorch.
        out[o] = ih0 < ih1 && iw0 < iw1 ? sum / scale[oh * outW + ow] : 0;
      }
    }
  }
}

export function avgPool2dBackward(
  gradOut: FloatArray, g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number, gradIn: FloatArray,
): void {
  const { planes, inH, inW, outH, outW } = g;
  const h = avgWindows(outH, inH, g.kH, g.strideH, g.padH);
  const v = avgWindows(outW, inW, g.kW, g.strideW, g.padW);
  const scale = avgScales(h, v, outH, outW, countIncludePad, divisorOverride);
  const inPlane = inH * inW;
  const acc = new Float64Array(inPlane);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    acc.fill(0);
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = h.start[oh];
      const ih1 = h.end[oh];
      for (let ow = 0; ow < outW; ow++, o++) {
        const iw0 = v.start[ow];
        const iw1 = v.end[ow];
        const gv = gradOut[o] / scale[oh * outW + ow];
        for (let ih = ih0; ih < ih1; ih++) {
          const row = ih * inW;
          for (let iw = iw0; iw < iw1; iw++) acc[row + iw] += gv;
        }
      }
    }
    const iBase = p * inPlane;
    for (let i = 0; i < inPlane; i++) gradIn[iBase + i] = acc[i];
  }
}

// ---- window tables (computed once per call, per axis) ------------------------

/**
 * Max pooling: for each output position, the first in-image tap and the end of
 * the window, as PyTorch: end = min(start + (k−1)·d + 1, in), start stepped by d
 * until it is ≥ 0. start ≥ end means the window holds no in-image tap.
 */
function maxTaps(k: number, outSize: number, inSize: number, stride: number, pad: number, dilation: number) {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let s = o * stride - pad;
    const e = Math.min(s + (k - 1) * dilation + 1, inSize);
    if (s < 0) s += Math.ceil(-s / dilation) * dilation;
    start[o] = s;
    end[o] = e;
  }
  return { start, end };
}

/**
 * Average pooling: each window clipped to the image ([start, end)), plus its
 * size when clipped only to the padded input (start + k ≤ in + pad), which is
 * PyTorch's divisor for countIncludePad.
 */
function avgWindows(outSize: number, inSize: number, k: number, stride: number, pad: number) {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = o * stride - pad;
    const e = Math.min(s + k, inSize + pad);
    padded[o] = e - s;
    start[o] = Math.max(s, 0);
    end[o] = Math.max(start[o], Math.min(e, inSize));
  }
  return { start, end, padded };
}

type AvgWindows = ReturnType<typeof avgWindows>;

/** The divisor of every output position of a plane (the same for all planes). */
function avgScales(h: AvgWindows, v: AvgWindows, outH: number, outW: number, countIncludePad: boolean, divisorOverride: number) {
  const scale = new Float64Array(outH * outW);
  for (let oh = 0; oh < outH; oh++) {
    for (let ow = 0; ow < outW; ow++) {
      scale[oh * outW + ow] =
        divisorOverride > 0 ? divisorOverride
        : countIncludePad ? h.padded[oh] * v.padded[ow]
        : (h.end[oh] - h.start[oh]) * (v.end[ow] - v.start[ow]);
    }
  }
  return scale;
}
