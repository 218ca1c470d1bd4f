import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Conv2dGeometry, FloatArray, Pool2dGeometry } from '../../src/backend/interface.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../../src/backend/js/conv.js';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from '../../src/backend/js/pool.js';

// ---- helpers -----------------------------------------------------------------

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
function rand(size: number, seed: number, Ctor: new (n: number) => FloatArray = Float64Array): FloatArray {
  const out = new Ctor(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Elementwise |a − e| ≤ tol·(1 + |e|); NaN must match NaN and infinities must match exactly. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}]: got ${a}, want ${e}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: got ${a}, want ${e}`);
  }
}

const outSize = (inSize: number, k: number, s: number, p: number, d: number) =>
  Math.floor((inSize + 2 * p - d * (k - 1) - 1) / s) + 1;

// ---- naive convolution (direct loops, float64) ---------------------------------

interface ConvCase {
  name: string;
  n: number; inC: number; inH: number; inW: number; outC: number;
  k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number];
  groups: number; bias: boolean;
}

function geometry(c: ConvCase): Conv2dGeometry {
  return {
    n: c.n, inC: c.inC, inH: c.inH, inW: c.inW, outC: c.outC,
    outH: outSize(c.inH, c.k[0], c.s[0], c.p[0], c.d[0]),
    outW: outSize(c.inW, c.k[1], c.s[1], c.p[1], c.d[1]),
    kH: c.k[0], kW: c.k[1], strideH: c.s[0], strideW: c.s[1], padH: c.p[0], padW: c.p[1],
    dilationH: c.d[0], dilationW: c.d[1], groups: c.groups,
  };
}

/**
 * Visit every (output, input, weight) index triple of the convolution that
 * touches the image: the 7 nested loops of the definition, shared by the naive
 * forward and both naive backward passes.
 */
function forEachTap(g: Conv2dGeometry, visit: (yi: number, xi: number, wi: number) => void): void {
  const cinG = g.inC / g.groups;
  const coutG = g.outC / g.groups;
  for (let b = 0; b < g.n; b++)
    for (let oc = 0; oc < g.outC; oc++) {
      const grp = Math.floor(oc / coutG);
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++)
          for (let icg = 0; icg < cinG; icg++)
            for (let kh = 0; kh < g.kH; kh++)
              for (let kw = 0; kw < g.kW; kw++) {
                const ih = oh * g.strideH - g.padH + kh * g.dilationH;
                const iw = ow * g.strideW - g.padW + kw * g.dilationW;
                if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
                const ic = grp * cinG + icg;
                visit(
                  ((b * g.outC + oc) * g.outH + oh) * g.outW + ow,
                  ((b * g.inC + ic) * g.inH + ih) * g.inW + iw,
                  ((oc * cinG + icg) * g.kH + kh) * g.kW + kw,
                );
              }
    }
}

function naiveConv(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry): Float64Array {
  const y = new Float64Array(g.n * g.outC * g.outH * g.outW);
  const plane = g.outH * g.outW;
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / plane) % g.outC];
  forEachTap(g, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function naiveConvBackwardInput(gy: FloatArray, w: FloatArray, g: Conv2dGeometry): Float64Array {
  const gx = new Float64Array(g.n * g.inC * g.inH * g.inW);
  forEachTap(g, (yi, xi, wi) => (gx[xi] += gy[yi] * w[wi]));
  return gx;
}

function naiveConvBackwardWeight(gy: FloatArray, x: FloatArray, g: Conv2dGeometry): Float64Array {
  const gw = new Float64Array((g.outC * g.inC * g.kH * g.kW) / g.groups);
  forEachTap(g, (yi, xi, wi) => (gw[wi] += gy[yi] * x[xi]));
  return gw;
}

// ---- conv cases ------------------------------------------------------------------

const C = (
  name: string, n: number, inC: number, inH: number, inW: number, outC: number,
  k: number | [number, number], s: number | [number, number] = 1, p: number | [number, number] = 0,
  d: number | [number, number] = 1, groups = 1, bias = true,
): ConvCase => {
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  return { name, n, inC, inH, inW, outC, k: pair(k), s: pair(s), p: pair(p), d: pair(d), groups, bias };
};

const convCases: ConvCase[] = [
  //  name                         n  inC inH inW outC k       s       p       d       groups bias
  C('1x1 pointwise',              1, 3,  4,  5,  2,   1),
  C('1x1 pointwise batch 3',      3, 4,  3,  3,  5,   1,      1,      0,      1,      1,     false),
  C('1x1 stride 2',               2, 3,  5,  6,  2,   1,      2),
  C('1x1 padding 1',              1, 2,  3,  4,  3,   1,      1,      1),
  C('1x1 groups 2',               2, 4,  3,  5,  6,   1,      1,      0,      1,      2),
  C('3x3 valid',                  1, 1,  5,  5,  1,   3),
  C('3x3 same',                   3, 3,  7,  6,  4,   3,      1,      1),
  C('3x3 stride 2 pad 1',         2, 3,  9,  7,  5,   3,      2,      1),
  C('3x3 stride 3 pad 2',         1, 2,  11, 8,  3,   3,      3,      2),
  C('3x3 dilation 2',             2, 2,  9,  10, 3,   3,      1,      0,      2),
  C('3x3 dilation 2 pad 2',       1, 3,  7,  7,  2,   3,      1,      2,      2),
  C('3x3 d2 s2 p1',               3, 2,  10, 9,  4,   3,      2,      1,      2),
  C('5x5 lenet conv1',            3, 1,  12, 12, 6,   5),
  C('5x5 lenet conv2',            2, 6,  7,  7,  16,  5),
  C('5x5 pad 2 stride 2',         1, 2,  9,  11, 3,   5,      2,      2),
  C('5x5 stride 3 pad 1 odd',     2, 3,  13, 10, 2,   5,      3,      1),
  C('5x5 kernel = input',         1, 2,  5,  5,  3,   5),
  C('kernel larger than input, padded', 1, 1, 2, 3, 2, 5,   1,      2),
  C('groups 2',                   2, 4,  6,  5,  6,   3,      1,      1,      1,      2),
  C('groups 2 stride 2 d2',       3, 6,  9,  8,  4,   3,      2,      2,      2,      2),
  C('depthwise',                  2, 3,  6,  7,  3,   3,      1,      1,      1,      3),
  C('depthwise multiplier 2',     1, 4,  7,  5,  8,   3,      2,      1,      1,      4),
  C('depthwise 5x5 no bias',      3, 5,  8,  8,  5,   5,      1,      2,      1,      5,     false),
  C('non-square kernel 3x1',      2, 2,  6,  5,  3,   [3, 1], 1,      [1, 0]),
  C('non-square 1x5 stride 2x1',  1, 3,  4,  9,  2,   [1, 5], [2, 1], [0, 2]),
  C('non-square all',             2, 2,  9,  7,  4,   [5, 3], [3, 2], [2, 1], [1, 2], 2),
  C('one output pixel',           1, 3,  3,  3,  2,   3,      2),
  C('stride larger than kernel',  2, 2,  10, 10, 2,   [2, 3], [3, 4], [1, 0]),
];

// A sweep over kernel × stride × padding × dilation × groups on small odd shapes.
for (const k of [1, 3, 5])
  for (const s of [1, 2, 3])
    for (const p of [0, 1, 2])
      for (const d of [1, 2])
        for (const [inC, outC, groups] of [[2, 3, 1], [4, 2, 2], [3, 3, 3]]) {
          const inH = 7 + s;
          const inW = 6 + k;
          if (outSize(inH, k, s, p, d) < 1 || outSize(inW, k, s, p, d) < 1) continue;
          convCases.push(C(`sweep k${k} s${s} p${p} d${d} g${groups}`, 1 + ((k + s + p) % 3), inC, inH, inW, outC, k, s, p, d, groups));
        }

function checkConv(c: ConvCase, Ctor: new (n: number) => FloatArray, tol: number): void {
  const g = geometry(c);
  const seed = c.name.length * 7919 + c.inH * 31 + c.inW;
  const x = rand(g.n * g.inC * g.inH * g.inW, seed, Ctor);
  const w = rand((g.outC * g.inC * g.kH * g.kW) / g.groups, seed + 1, Ctor);
  const bias = c.bias ? rand(g.outC, seed + 2, Ctor) : null;
  const gy = rand(g.n * g.outC * g.outH * g.outW, seed + 3, Ctor);

  const y = new Ctor(gy.length).fill(NaN); // NaN prefill: every element must be written
  conv2d(x, w, bias, g, y);
  assertClose(y, naiveConv(x, w, bias, g), tol, `${c.name} forward`);

  const gx = new Ctor(x.length).fill(NaN);
  conv2dBackwardInput(gy, w, g, gx);
  assertClose(gx, naiveConvBackwardInput(gy, w, g), tol, `${c.name} backward input`);

  const gw = new Ctor(w.length).fill(NaN);
  conv2dBackwardWeight(gy, x, g, gw);
  assertClose(gw, naiveConvBackwardWeight(gy, x, g), tol, `${c.name} backward weight`);

  // Adjoint identity (bias-free part of the forward): <conv(x, w), gy> = <x, dx> = <w, dw>.
  const yNoBias = new Ctor(gy.length);
  conv2d(x, w, null, g, yNoBias);
  const lhs = dot(yNoBias, gy);
  const scale = 1 + Math.abs(lhs) + Math.sqrt(gy.length);
  assert.ok(Math.abs(lhs - dot(x, gx)) <= tol * scale, `${c.name} adjoint <y,gy> vs <x,gx>`);
  assert.ok(Math.abs(lhs - dot(w, gw)) <= tol * scale, `${c.name} adjoint <y,gy> vs <w,gw>`);
}

test('conv2d forward/backward match the direct definition (float64)', () => {
  assert.ok(convCases.length > 100);
  for (const c of convCases) checkConv(c, Float64Array, 1e-12);
});

test('conv2d forward/backward match the direct definition (float32)', () => {
  for (const c of convCases.filter((_, i) => i % 4 === 0)) checkConv(c, Float32Array, 2e-5);
});

test('conv2d backward kernels overwrite their output', () => {
  const c = C('overwrite', 2, 4, 6, 5, 4, 3, 2, 1, 1, 2);
  const g = geometry(c);
  const x = rand(g.n * g.inC * g.inH * g.inW, 1);
  const w = rand((g.outC * g.inC * g.kH * g.kW) / g.groups, 2);
  const gy = rand(g.n * g.outC * g.outH * g.outW, 3);
  const gx1 = new Float64Array(x.length);
  const gx2 = new Float64Array(x.length).fill(123);
  conv2dBackwardInput(gy, w, g, gx1);
  conv2dBackwardInput(gy, w, g, gx2);
  assert.deepEqual(gx2, gx1);
  const gw1 = new Float64Array(w.length);
  const gw2 = new Float64Array(w.length).fill(-7);
  conv2dBackwardWeight(gy, x, g, gw1);
  conv2dBackwardWeight(gy, x, g, gw2);
  assert.deepEqual(gw2, gw1);
});

// ---- naive pooling ------------------------------------------------------------------

interface PoolCase {
  name: string;
  planes: number; inH: number; inW: number;
  k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number];
  ceil: boolean;
}

/** PyTorch's pooling output size, including the ceil-mode rule that the last window must start before in + pad. */
function poolOut(inSize: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = inSize + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= inSize + p) o--;
  return o;
}

function poolGeometry(c: PoolCase, dilation = true): Pool2dGeometry {
  const d = dilation ? c.d : ([1, 1] as [number, number]);
  return {
    planes: c.planes, inH: c.inH, inW: c.inW,
    outH: poolOut(c.inH, c.k[0], c.s[0], c.p[0], d[0], c.ceil),
    outW: poolOut(c.inW, c.k[1], c.s[1], c.p[1], d[1], c.ceil),
    kH: c.k[0], kW: c.k[1], strideH: c.s[0], strideW: c.s[1], padH: c.p[0], padW: c.p[1],
    dilationH: d[0], dilationW: d[1],
  };
}

/** Max over every tap of the window in row-major order; out-of-image taps are skipped (−∞). */
function naiveMaxPool(x: FloatArray, g: Pool2dGeometry) {
  const out: number[] = [];
  const idx: number[] = [];
  for (let pl = 0; pl < g.planes; pl++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        let best = -Infinity;
        let at = -1;
        for (let kh = 0; kh < g.kH; kh++)
          for (let kw = 0; kw < g.kW; kw++) {
            const ih = oh * g.strideH - g.padH + kh * g.dilationH;
            const iw = ow * g.strideW - g.padW + kw * g.dilationW;
            if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
            const v = x[(pl * g.inH + ih) * g.inW + iw];
            if (at < 0) at = ih * g.inW + iw; // the first tap seeds the index (all −∞ window)
            // Strictly greater replaces (ties keep the first); any NaN replaces (PyTorch).
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = ih * g.inW + iw;
            }
          }
        out.push(best);
        idx.push(at);
      }
  return { out, idx };
}

/** Average with PyTorch's divisors, counted tap by tap over the window's padded coordinates. */
function naiveAvgPool(x: FloatArray, g: Pool2dGeometry, includePad: boolean, override: number): number[] {
  const out: number[] = [];
  for (let pl = 0; pl < g.planes; pl++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        let sum = 0;
        let inImage = 0;
        let inPadded = 0;
        for (let kh = 0; kh < g.kH; kh++)
          for (let kw = 0; kw < g.kW; kw++) {
            const ih = oh * g.strideH - g.padH + kh;
            const iw = ow * g.strideW - g.padW + kw;
            // Taps past the padded input (ceil mode) are not part of the window at all.
            const hInPadded = ih < g.inH + g.padH;
            const wInPadded = iw < g.inW + g.padW;
            if (hInPadded && wInPadded) inPadded++;
            if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
            inImage++;
            sum += x[(pl * g.inH + ih) * g.inW + iw];
          }
        const div = override > 0 ? override : includePad ? inPadded : inImage;
        out.push(inImage === 0 ? 0 : sum / div);
      }
  return out;
}

/** The adjoint of naiveAvgPool, by perturbation-free linearity: gx = Σ_o gy[o]·∂avg_o/∂x. */
function naiveAvgPoolBackward(gy: FloatArray, g: Pool2dGeometry, includePad: boolean, override: number): Float64Array {
  const size = g.planes * g.inH * g.inW;
  const gx = new Float64Array(size);
  const e = new Float64Array(size);
  // Column j of the (linear) pooling matrix is avg(e_j); sum gy against it.
  for (let j = 0; j < size; j++) {
    e[j] = 1;
    gx[j] = dot(naiveAvgPool(e, g, includePad, override), gy);
    e[j] = 0;
  }
  return gx;
}

const P = (
  name: string, planes: number, inH: number, inW: number, k: number | [number, number],
  s: number | [number, number], p: number | [number, number] = 0, d: number | [number, number] = 1, ceil = false,
): PoolCase => {
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
  return { name, planes, inH, inW, k: pair(k), s: pair(s), p: pair(p), d: pair(d), ceil };
};

const poolCases: PoolCase[] = [
  //  name                               planes inH inW k       s       p       d       ceil
  P('2x2 s2',                            3,     8,  8,  2,      2),
  P('2x2 s2 odd',                        2,     7,  9,  2,      2),
  P('2x2 s2 odd ceil',                   2,     7,  9,  2,      2,      0,      1,      true),
  P('3x3 s1 p1',                         2,     5,  6,  3,      1,      1),
  P('3x3 s2 p1',                         1,     9,  8,  3,      2,      1),
  P('3x3 s2 p1 ceil (clipped last)',     2,     6,  8,  3,      2,      1,      1,      true),
  P('3x3 s2 p0 ceil (past the input)',   2,     6,  8,  3,      2,      0,      1,      true),
  P('3x3 s3 p1 ceil',                    1,     10, 7,  3,      3,      1,      1,      true),
  P('5x5 s3 p2 ceil',                    1,     9,  11, 5,      3,      2,      1,      true),
  P('4x4 s3 p2 ceil',                    2,     6,  6,  4,      3,      2,      1,      true),
  P('non-square 3x2 s3x2 p1x1 ceil',     1,     8,  5,  [3, 2], [3, 2], [1, 1], 1,      true),
  P('non-square 2x3 s1x2',               3,     5,  7,  [2, 3], [1, 2], [0, 1]),
  P('dilation 2',                        2,     9,  8,  3,      2,      1,      2),
  P('dilation 2x3 ceil',                 1,     11, 12, 3,      [2, 3], 1,      [2, 3], true),
  P('stride > kernel',                   2,     9,  9,  2,      3,      1),
  P('kernel = input',                    2,     4,  3,  [4, 3], 1),
  P('1x1',                               2,     3,  4,  1,      1),
];

test('maxPool2d and backward match the direct definition', () => {
  for (const c of poolCases) {
    const g = poolGeometry(c);
    const x = rand(g.planes * g.inH * g.inW, c.name.length * 17 + 5);
    const out = new Float64Array(g.planes * g.outH * g.outW).fill(NaN);
    const idx = new Int32Array(out.length).fill(-99);
    maxPool2d(x, g, out, idx);
    const ref = naiveMaxPool(x, g);
    assertClose(out, ref.out, 0, `${c.name} max`);
    assert.deepEqual([...idx], ref.idx, `${c.name} indices`);

    const gy = rand(out.length, 77);
    const gx = new Float64Array(x.length).fill(NaN);
    maxPool2dBackward(gy, idx, g, gx);
    const want = new Float64Array(x.length);
    for (let o = 0; o < gy.length; o++) {
      const plane = Math.floor(o / (g.outH * g.outW));
      want[plane * g.inH * g.inW + ref.idx[o]] += gy[o];
    }
    assertClose(gx, want, 1e-15, `${c.name} max backward`);
  }
});

test('avgPool2d and backward match the direct definition (countIncludePad both ways, divisorOverride)', () => {
  for (const c of poolCases) {
    const g = poolGeometry(c, false);
    for (const [includePad, override] of [[true, 0], [false, 0], [true, 5], [false, 3]] as const) {
      const what = `${c.name} avg include=${includePad} override=${override}`;
      for (const [Ctor, tol] of [[Float64Array, 1e-14], [Float32Array, 1e-6]] as const) {
        const x = rand(g.planes * g.inH * g.inW, c.name.length * 13 + 1, Ctor);
        const out = new Ctor(g.planes * g.outH * g.outW).fill(NaN);
        avgPool2d(x, g, includePad, override, out);
        assertClose(out, naiveAvgPool(x, g, includePad, override), tol, what);

        const gy = rand(out.length, 99, Ctor);
        const gx = new Ctor(x.length).fill(NaN);
        avgPool2dBackward(gy, g, includePad, override, gx);
        assertClose(gx, naiveAvgPoolBackward(gy, g, includePad, override), tol, `${what} backward`);
        // Adjoint identity of the linear pooling map.
        const lhs = dot(out, gy);
        assert.ok(Math.abs(lhs - dot(x, gx)) <= tol * (1 + Math.abs(lhs) + out.length), `${what} adjoint`);
      }
    }
  }
});

test('maxPool2d ties keep the first index; NaN wins (last NaN, as PyTorch); −∞ windows', () => {
  const N = NaN;
  const I = -Infinity;
  const g: Pool2dGeometry = {
    planes: 1, inH: 4, inW: 4, outH: 3, outW: 3, kH: 2, kW: 2,
    strideH: 1, strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1,
  };
  const cases: { name: string; x: number[]; out: number[]; idx: number[] }[] = [
    {
      name: 'ties',
      x: [1, 1, 0, 2, 1, 0, 2, 2, 0, 0, 0, 0, 3, 3, 3, 3],
      out: [1, 2, 2, 1, 2, 2, 3, 3, 3],
      idx: [0, 6, 3, 4, 6, 6, 12, 13, 14],
    },
    {
      name: 'NaN',
      x: [N, 1, 5, N, 2, N, N, 0, 0, 7, 1, 1, N, 0, 9, N],
      out: [N, N, N, N, N, N, N, 9, N],
      idx: [5, 6, 6, 5, 6, 6, 12, 14, 15],
    },
    {
      name: 'all −∞ keeps the first tap',
      x: [I, I, I, I, I, I, I, I, I, I, I, I, I, I, I, I],
      out: [I, I, I, I, I, I, I, I, I],
      idx: [0, 1, 2, 4, 5, 6, 8, 9, 10],
    },
  ];
  for (const c of cases) {
    for (const Ctor of [Float64Array, Float32Array]) {
      const out = new Ctor(9);
      const idx = new Int32Array(9);
      maxPool2d(Ctor.from(c.x), g, out, idx);
      assertClose(out, c.out, 0, c.name);
      assert.deepEqual([...idx], c.idx, c.name);
    }
  }
});

test('maxPool2d window with no in-image tap (dilation) gives −∞ and index −1', () => {
  // k=2, dilation 5, pad 1 on a 3-wide input: taps at −1 and 4, both outside.
  const g: Pool2dGeometry = {
    planes: 1, inH: 1, inW: 3, outH: 1, outW: 1, kH: 1, kW: 2,
    strideH: 1, strideW: 1, padH: 0, padW: 1, dilationH: 1, dilationW: 5,
  };
  const out = new Float64Array(1);
  const idx = new Int32Array(1);
  maxPool2d(Float64Array.of(1, 2, 3), g, out, idx);
  assert.equal(out[0], -Infinity);
  assert.equal(idx[0], -1);
  const gx = new Float64Array(3).fill(NaN);
  maxPool2dBackward(Float64Array.of(1), idx, g, gx);
  assert.deepEqual([...gx], [0, 0, 0]);
});

// ---- PyTorch fixtures (tools/fixtures/conv_pool.py) ------------------------------------

interface Fixture {
  conv: (Conv2dGeometry & { name: string; x: number[]; w: number[]; bias: number[] | null; y: number[]; gy: number[]; gx: number[]; gw: number[] })[];
  pool: (Pool2dGeometry & {
    name: string; kind: 'max' | 'avg'; countIncludePad: boolean; divisorOverride: number;
    x: (number | string)[]; y: (number | string)[]; indices: number[] | null; gy: number[]; gx: (number | string)[];
  })[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/conv_pool.json', import.meta.url), 'utf8')) as Fixture;
/** The fixture writes non-finite values as the strings 'nan', 'inf', '-inf'. */
const decode = (a: (number | string)[]) => Float64Array.from(a, (v) => (typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity'))));

test('conv2d matches PyTorch fixtures', () => {
  assert.ok(fixture.conv.length > 0);
  for (const f of fixture.conv) {
    const x = Float64Array.from(f.x);
    const w = Float64Array.from(f.w);
    const gy = Float64Array.from(f.gy);
    const y = new Float64Array(f.y.length);
    conv2d(x, w, f.bias ? Float64Array.from(f.bias) : null, f, y);
    assertClose(y, f.y, 1e-12, `${f.name} forward`);
    const gx = new Float64Array(x.length);
    conv2dBackwardInput(gy, w, f, gx);
    assertClose(gx, f.gx, 1e-12, `${f.name} grad input`);
    const gw = new Float64Array(w.length);
    conv2dBackwardWeight(gy, x, f, gw);
    assertClose(gw, f.gw, 1e-12, `${f.name} grad weight`);
  }
});

test('pooling matches PyTorch fixtures', () => {
  assert.ok(fixture.pool.length > 0);
  for (const f of fixture.pool) {
    const x = decode(f.x);
    const gy = Float64Array.from(f.gy);
    const y = new Float64Array(f.y.length);
    const gx = new Float64Array(x.length);
    if (f.kind === 'max') {
      const idx = new Int32Array(y.length);
      maxPool2d(x, f, y, idx);
      assert.deepEqual([...idx], f.indices, `${f.name} indices`);
      maxPool2dBackward(gy, idx, f, gx);
    } else {
      avgPool2d(x, f, f.countIncludePad, f.divisorOverride, y);
      avgPool2dBackward(gy, f, f.countIncludePad, f.divisorOverride, gx);
    }
    assertClose(y, decode(f.y), 1e-13, `${f.name} forward`);
    assertClose(gx, decode(f.gx), 1e-13, `${f.name} backward`);
  }
});
