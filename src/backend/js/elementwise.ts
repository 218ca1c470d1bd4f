import type { BinaryOp, ScalarOp, TypedArray, UnaryOp, View } from '../interface.js';
import { erf, floorDivide, pow, remainder, roundHalfEven, sigmoid, softplus } from './math.js';
import { contiguousStrides, forEachRow } from './strided.js';

/** Visit every row of a view together with the matching run of the contiguous output. */
function rowsWithOutput(x: View, out: TypedArray, fn: (xo: number, xs: number, oo: number, len: number) => void) {
  const outView = { strides: contiguousStrides(x.shape), offset: 0 };
  forEachRow(x.shape, [x, outView], (o, len, s) => fn(o[0], s[0], o[1], len));
}

export function copy(x: View, out: TypedArray): void {
  const d = x.data;
  rowsWithOutput(x, out, (xo, xs, oo, len) => {
    for (let i = 0; i < len; i++) out[oo + i] = d[xo + i * xs];
  });
}

const SQRT_HALF = Math.SQRT1_2;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

export function unary(op: UnaryOp, x: View, out: TypedArray): void {
  const d = x.data;
  rowsWithOutput(x, out, (xo, xs, oo, len) => {
    let j = xo;
    const end = oo + len;
    let o = oo;
    switch (op) {
      case 'neg': for (; o < end; o++, j += xs) out[o] = -d[j]; break;
      case 'abs': for (; o < end; o++, j += xs) out[o] = Math.abs(d[j]); break;
      case 'sign': for (; o < end; o++, j += xs) out[o] = d[j] > 0 ? 1 : d[j] < 0 ? -1 : 0; break; // sign(NaN) = 0, as torch.sign
      case 'exp': for (; o < end; o++, j += xs) out[o] = Math.exp(d[j]); break;
      case 'log': for (; o < end; o++, j += xs) out[o] = Math.log(d[j]); break;
      case 'sqrt': for (; o < end; o++, j += xs) out[o] = Math.sqrt(d[j]); break;
      case 'rsqrt': for (; o < end; o++, j += xs) out[o] = 1 / Math.sqrt(d[j]); break;
      case 'square': for (; o < end; o++, j += xs) out[o] = d[j] * d[j]; break;
      case 'reciprocal': for (; o < end; o++, j += xs) out[o] = 1 / d[j]; break;
      case 'sin': for (; o < end; o++, j += xs) out[o] = Math.sin(d[j]); break;
      case 'cos': for (; o < end; o++, j += xs) out[o] = Math.cos(d[j]); break;
      case 'tanh': for (; o < end; o++, j += xs) out[o] = Math.tanh(d[j]); break;
      case 'sigmoid': for (; o < end; o++, j += xs) out[o] = sigmoid(d[j]); break;
      case 'relu': for (; o < end; o++, j += xs) out[o] = d[j] > 0 ? d[j] : d[j] !== d[j] ? d[j] : 0; break;
      case 'floor': for (; o < end; o++, j += xs) out[o] = Math.floor(d[j]); break;
      case 'ceil': for (; o < end; o++, j += xs) out[o] = Math.ceil(d[j]); break;
      case 'round': for (; o < end; o++, j += xs) out[o] = roundHalfEven(d[j]); break;
      case 'trunc': for (; o < end; o++, j += xs) out[o] = Math.trunc(d[j]); break;
      case 'log1p': for (; o < end; o++, j += xs) out[o] = Math.log1p(d[j]); break;
      case 'expm1': for (; o < end; o++, j += xs) out[o] = Math.expm1(d[j]); break;
      case 'erf': for (; o < end; o++, j += xs) out[o] = erf(d[j]); break;
      case 'logicalNot': for (; o < end; o++, j += xs) out[o] = d[j] === 0 ? 1 : 0; break; // NaN counts as true
      case 'isnan': for (; o < end; o++, j += xs) out[o] = d[j] !== d[j] ? 1 : 0; break;
      case 'isinf': for (; o < end; o++, j += xs) out[o] = d[j] === Infinity || d[j] === -Infinity ? 1 : 0; break;
      case 'softplus': for (; o < end; o++, j += xs) out[o] = softplus(d[j]); break;
      case 'silu': for (; o < end; o++, j += xs) out[o] = d[j] * sigmoid(d[j]); break;
      case 'gelu': for (; o < end; o++, j += xs) out[o] = 0.5 * d[j] * (1 + erf(d[j] * SQRT_HALF)); break;
      case 'geluTanh':
        for (; o < end; o++, j += xs) {
          const v = d[j];
          out[o] = 0.5 * v * (1 + Math.tanh(GELU_TANH_C * (v + 0.044715 * v * v * v)));
        }
        break;
      case 'hardswish':
        for (; o < end; o++, j += xs) out[o] = (d[j] * Math.min(Math.max(d[j] + 3, 0), 6)) / 6;
        break;
      case 'hardsigmoid': for (; o < end; o++, j += xs) out[o] = Math.min(Math.max(d[j] + 3, 0), 6) / 6; break;
      case 'mish': for (; o < end; o++, j += xs) out[o] = d[j] * Math.tanh(softplus(d[j])); break;
      default: throw new Error(`js backend: unknown unary op '${op satisfies never}'`);
    }
  });
}

export function scalar(op: ScalarOp, x: View, a: number, b: number, out: TypedArray): void {
  const d = x.data;
  rowsWithOutput(x, out, (xo, xs, oo, len) => {
    let j = xo;
    const end = oo + len;
    let o = oo;
    switch (op) {
      case 'clamp': {
        const lo = Number.isNaN(a) ? -Infinity : a;
        const hi = Number.isNaN(b) ? Infinity : b;
        // NaN inputs stay NaN; min(max(x, lo), hi), so hi wins when lo > hi, as in PyTorch.
        for (; o < end; o++, j += xs) { const v = d[j]; out[o] = v !== v ? v : Math.min(Math.max(v, lo), hi); }
        break;
      }
      case 'hardtanh':
        for (; o < end; o++, j += xs) { const v = d[j]; out[o] = v < a ? a : v > b ? b : v; }
        break;
      case 'powScalar':
        if (a === 2) for (; o < end; o++, j += xs) out[o] = d[j] * d[j];
        else for (; o < end; o++, j += xs) out[o] = pow(d[j], a);
        break;
      case 'rpowScalar': for (; o < end; o++, j += xs) out[o] = pow(a, d[j]); break;
      case 'leakyRelu': for (; o < end; o++, j += xs) out[o] = d[j] > 0 ? d[j] : a * d[j]; break;
      case 'elu': for (; o < end; o++, j += xs) out[o] = d[j] > 0 ? d[j] : a * Math.expm1(d[j]); break;
      case 'softplusBeta':
        for (; o < end; o++, j += xs) { const v = d[j] * a; out[o] = v > b ? d[j] : Math.log1p(Math.exp(v)) / a; }
        break;
      case 'threshold': for (; o < end; o++, j += xs) out[o] = d[j] <= a ? b : d[j]; break; // NaN stays NaN, as PyTorch
      default: throw new Error(`js backend: unknown scalar op '${op satisfies never}'`);
    }
  });
}

export function binary(op: BinaryOp, a: View, b: View, out: TypedArray): void {
  const ad = a.data;
  const bd = b.data;
  const outView = { strides: contiguousStrides(a.shape), offset: 0 };
  forEachRow(a.shape, [a, b, outView], (offs, len, st) => {
    let i = offs[0];
    let j = offs[1];
    let o = offs[2];
    const as = st[0];
    const bs = st[1];
    const end = o + len;
    switch (op) {
      case 'add': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] + bd[j]; break;
      case 'sub': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] - bd[j]; break;
      case 'mul': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] * bd[j]; break;
      case 'div': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] / bd[j]; break;
      case 'pow': for (; o < end; o++, i += as, j += bs) out[o] = pow(ad[i], bd[j]); break;
      case 'maximum':
        for (; o < end; o++, i += as, j += bs) { const x = ad[i], y = bd[j]; out[o] = x !== x || y !== y ? NaN : x > y ? x : y; }
        break;
      case 'minimum':
        for (; o < end; o++, i += as, j += bs) { const x = ad[i], y = bd[j]; out[o] = x !== x || y !== y ? NaN : x < y ? x : y; }
        break;
      case 'atan2': for (; o < end; o++, i += as, j += bs) out[o] = Math.atan2(ad[i], bd[j]); break;
      case 'fmod': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] % bd[j]; break;
      case 'remainder':
        // Python-style modulo: the result takes the divisor's sign.
        for (; o < end; o++, i += as, j += bs) out[o] = remainder(ad[i], bd[j]);
        break;
      case 'floorDiv': for (; o < end; o++, i += as, j += bs) out[o] = floorDivide(ad[i], bd[j]); break;
      case 'eq': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] === bd[j] ? 1 : 0; break;
      case 'ne': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] !== bd[j] ? 1 : 0; break;
      case 'lt': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] < bd[j] ? 1 : 0; break;
      case 'le': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] <= bd[j] ? 1 : 0; break;
      case 'gt': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] > bd[j] ? 1 : 0; break;
      case 'ge': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] >= bd[j] ? 1 : 0; break;
      // Truthiness is `!== 0` (NaN is true, as in PyTorch), not JS truthiness.
      case 'logicalAnd': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] !== 0 && bd[j] !== 0 ? 1 : 0; break;
      case 'logicalOr': for (; o < end; o++, i += as, j += bs) out[o] = ad[i] !== 0 || bd[j] !== 0 ? 1 : 0; break;
      case 'logicalXor': for (; o < end; o++, i += as, j += bs) out[o] = (ad[i] !== 0) !== (bd[j] !== 0) ? 1 : 0; break;
      case 'reluBackward': for (; o < end; o++, i += as, j += bs) out[o] = bd[j] <= 0 ? 0 : ad[i]; break;
      default: throw new Error(`js backend: unknown binary op '${op satisfies never}'`);
    }
  });
}

export function where(cond: View, a: View, b: View, out: TypedArray): void {
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  const outView = { strides: contiguousStrides(a.shape), offset: 0 };
  forEachRow(a.shape, [cond, a, b, outView], (offs, len, st) => {
    let c = offs[0], i = offs[1], j = offs[2], o = offs[3];
    const end = o + len;
    for (; o < end; o++, c += st[0], i += st[1], j += st[2]) out[o] = cd[c] ? ad[i] : bd[j];
  });
}
