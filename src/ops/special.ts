/**
 * Scalar special functions for the pointwise ops of pointwise.ts (erfc, erfinv, lgamma, digamma, trigamma),
 * computed in double precision with torch 1.13's conventions at poles and domain edges.
 */
import { erf } from '../backend/js/math.js';

const ONE_OVER_SQRT_PI = 0.5641895835477563;
const LOG_SQRT_2PI = 0.9189385332046728;

/** erfc(x) = 1 − erf(x) without cancellation for large x (continued fraction above 3). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 3) return x < -3 ? 2 - erfc(-x) : 1 - erf(x);
  if (x > 27) return 0;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The inverse of erf on [−1, 1] (±inf at ±1, NaN outside): Giles' approximation refined by Newton steps. */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
  }
  let x = p * y;
  const a = Math.abs(y);
  for (let k = 0; k < 3; k++) {
    const ax = Math.abs(x);
    // erf(|x|) − |y| as (1 − |y|) − erfc(|x|) near 1, where it is exact.
    const err = a > 0.5 ? 1 - a - erfc(ax) : erf(ax) - a;
    const step = err / (2 * ONE_OVER_SQRT_PI * Math.exp(-ax * ax));
    if (!Number.isFinite(step)) break;
    x = Math.sign(y) * (ax - step);
  }
  return x;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log |Γ(x)| (inf at the poles 0, −1, −2, …). */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x === 1 || x === 2) return 0;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < 9; i++) s += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** ψ(x) = Γ'(x)/Γ(x), as torch: ∓inf at ±0, NaN at the negative integers. */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (Number.isInteger(x)) return NaN;
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let acc = 0;
  let v = x;
  while (v < 10) {
    acc -= 1 / v;
    v += 1;
  }
  const v2 = 1 / (v * v);
  const series = v2 * (1 / 12 - v2 * (1 / 120 - v2 * (1 / 252 - v2 * (1 / 240 - v2 * (1 / 132 - v2 * (691 / 32760 - v2 / 12))))));
  return acc + Math.log(v) - 0.5 / v - series;
}

/** ψ′(x), the trigamma function (torch.polygamma(1, x)). */
export function trigamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return 0;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    const s = Math.sin(Math.PI * x);
    return -trigamma(1 - x) + (Math.PI * Math.PI) / (s * s);
  }
  let acc = 0;
  let v = x;
  while (v < 10) {
    acc += 1 / (v * v);
    v += 1;
  }
  const v2 = 1 / (v * v);
  const series = (1 / v) * (1 + (1 / v) * (0.5 + (1 / v) * (1 / 6 - v2 * (1 / 30 - v2 * (1 / 42 - v2 * (1 / 30 - (v2 * 5) / 66))))));
  return acc + series;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The IEEE sign bit (true for −0 and negative NaNs). */
export function signbit(x: number): boolean {
  F64[0] = x;
  return (U32[HIGH] >>> 31) === 1;
}
