/**
 * PyTorch parity for the ops added in one batch (pointwise: floorDivide … signbit and torch's aliases;
 * statistics: stdMean … mode; shaping: indexAdd … ravel; products: mv … renorm): every output's values
 * and dtype, input gradients and gradFn names from test/fixtures/ops_more.json, written by
 * tools/fixtures/ops_more.py; a case with `error` must throw an error naming the op, one with
 * `gradError` must throw in backward. Each case also runs through the Tensor method where torch has one.
 * Below the table: float64 gradchecks, the random *Like creators, and regressions (in-place ops on empty
 * tensors, view of an empty transposed tensor, zero gradients of rounding ops for inf/NaN upstream).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, fixtureCaseTests, forEachBackend, rnd, readOpFixture, type OpFixtureCase } from './helpers.js';
import { runOpFixtureCase, type OpFixtureEntry } from './op-fixture.js';

type Case = OpFixtureCase;

const fixture = { cases: readOpFixture('ops_more.json') };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type A = Record<string, any>;

const first = (t: Tensor[], a: A) => (a.t ? t[0].mT : t[0]);
const other = (t: Tensor[], a: A) => (t.length > 1 ? t[1] : a.other);
const scaled = (a: A) => ({ beta: a.beta, alpha: a.alpha });
const varOpts = (a: A) => ({ correction: a.correction, keepdim: a.keepdim });
const quantOpts = (a: A) => ({ dim: a.dim, keepdim: a.keepdim, interpolation: a.interpolation });
const uniqOpts = (a: A) => ({ returnInverse: a.returnInverse, returnCounts: a.returnCounts, dim: a.dim });
const q = (t: Tensor[], a: A) => (t.length > 1 ? t[1] : a.q);
const diffOpts = (t: Tensor[], a: A) => ({ n: a.n, dim: a.dim, prepend: a.prepend ? t[1] : null, append: a.append ? t[t.length - 1] : null });
const covOpts = (t: Tensor[], a: A) => ({ correction: a.correction, fweights: a.fweights ? t[1] : null, aweights: a.aweights ? t[t.length - 1] : null });

/**
 * The Strata call for each op key of tools/fixtures/ops_more.py, the Tensor method form, the name errors
 * must start with (default: the key), and whether the gradFn name is torch's (false for composites whose
 * last node differs from torch's).
 */
const OPS: Record<string, OpFixtureEntry> = {
  floorDivide: { call: (t, a) => st.floorDivide(first(t, a), other(t, a)), method: (t, a) => first(t, a).floorDivide(other(t, a)) },
  fmax: { call: (t, a) => st.fmax(first(t, a), t[1]), method: (t, a) => first(t, a).fmax(t[1]) },
  fmin: { call: (t, a) => st.fmin(first(t, a), t[1]), method: (t, a) => first(t, a).fmin(t[1]) },
  bitwiseAnd: { call: (t, a) => st.bitwiseAnd(t[0], other(t, a)), method: (t, a) => t[0].bitwiseAnd(other(t, a)) },
  bitwiseOr: { call: (t, a) => st.bitwiseOr(t[0], other(t, a)), method: (t, a) => t[0].bitwiseOr(other(t, a)) },
  bitwiseXor: { call: (t, a) => st.bitwiseXor(t[0], other(t, a)), method: (t, a) => t[0].bitwiseXor(other(t, a)) },
  bitwiseNot: { call: (t) => st.bitwiseNot(t[0]), method: (t) => t[0].bitwiseNot() },
  frac: { call: (t, a) => st.frac(first(t, a)), method: (t, a) => first(t, a).frac() },
  sgn: { call: (t, a) => st.sgn(first(t, a)), method: (t, a) => first(t, a).sgn() },
  logaddexp: { call: (t, a) => st.logaddexp(first(t, a), t[1]), method: (t, a) => first(t, a).logaddexp(t[1]) },
  logaddexp2: { call: (t, a) => st.logaddexp2(first(t, a), t[1]), method: (t, a) => first(t, a).logaddexp2(t[1]) },
  hypot: { call: (t, a) => st.hypot(first(t, a), t[1]), method: (t, a) => first(t, a).hypot(t[1]) },
  copysign: { call: (t, a) => st.copysign(first(t, a), other(t, a)), method: (t, a) => first(t, a).copysign(other(t, a)) },
  xlogy: { call: (t, a) => ('self' in a ? st.xlogy(a.self, t[0]) : st.xlogy(first(t, a), other(t, a))) },
  heaviside: { call: (t) => st.heaviside(t[0], t[1]), method: (t) => t[0].heaviside(t[1]) },
  exp2: { call: (t, a) => st.exp2(first(t, a)), method: (t, a) => first(t, a).exp2() },
  erfc: { call: (t, a) => st.erfc(first(t, a)), method: (t, a) => first(t, a).erfc() },
  erfinv: { call: (t, a) => st.erfinv(first(t, a)), method: (t, a) => first(t, a).erfinv() },
  lgamma: { call: (t, a) => st.lgamma(first(t, a)), method: (t, a) => first(t, a).lgamma() },
  digamma: { call: (t, a) => st.digamma(first(t, a)), method: (t, a) => first(t, a).digamma() },
  logit: { call: (t, a) => st.logit(first(t, a), a.eps ?? null), method: (t, a) => first(t, a).logit(a.eps ?? null) },
  sinc: { call: (t, a) => st.sinc(first(t, a)), method: (t, a) => first(t, a).sinc() },
  deg2rad: { call: (t, a) => st.deg2rad(first(t, a)), method: (t, a) => first(t, a).deg2rad() },
  rad2deg: { call: (t, a) => st.rad2deg(first(t, a)), method: (t, a) => first(t, a).rad2deg() },
  signbit: { call: (t, a) => st.signbit(first(t, a)), method: (t, a) => first(t, a).signbit() },
  multiply: { call: (t) => st.multiply(t[0], t[1]), method: (t) => t[0].multiply(t[1]), names: 'mul' },
  subtract: { call: (t, a) => st.subtract(t[0], t[1], { alpha: a.alpha }), method: (t, a) => t[0].subtract(t[1], { alpha: a.alpha }), names: 'sub' },
  trueDivide: { call: (t) => st.trueDivide(t[0], t[1]), method: (t) => t[0].trueDivide(t[1]), names: 'div' },
  negative: { call: (t) => st.negative(t[0]), method: (t) => t[0].negative(), names: 'neg' },
  absolute: { call: (t) => st.absolute(t[0]), method: (t) => t[0].absolute(), names: 'abs' },
  clip: { call: (t, a) => st.clip(t[0], a.min, a.max), method: (t, a) => t[0].clip(a.min, a.max), names: 'clamp' },
  positive: { call: (t) => st.positive(t[0]), method: (t) => t[0].positive() },
  // ---- statistics
  stdMean: { call: (t, a) => st.stdMean(first(t, a), a.dim, varOpts(a)), names: 'std' },
  varMean: { call: (t, a) => st.varMean(first(t, a), a.dim, varOpts(a)), names: 'var' },
  countNonzero: { call: (t, a) => st.countNonzero(first(t, a), a.dim), method: (t, a) => first(t, a).countNonzero(a.dim) },
  nansum: { call: (t, a) => st.nansum(first(t, a), a.dim, a.keepdim), method: (t, a) => first(t, a).nansum(a.dim, a.keepdim) },
  nanmean: { call: (t, a) => st.nanmean(first(t, a), a.dim, a.keepdim), method: (t, a) => first(t, a).nanmean(a.dim, a.keepdim), gradFn: false },
  aminmax: { call: (t, a) => st.aminmax(first(t, a), { dim: a.dim, keepdim: a.keepdim }), method: (t, a) => first(t, a).aminmax({ dim: a.dim, keepdim: a.keepdim }) },
  diff: { call: (t, a) => st.diff(first(t, a), diffOpts(t, a)), method: (t, a) => first(t, a).diff(diffOpts(t, a)) },
  isclose: { call: (t, a) => st.isclose(t[0], t[1], { rtol: a.rtol, atol: a.atol, equalNan: a.equalNan }), method: (t, a) => t[0].isclose(t[1], a) },
  equal: { call: (t) => st.equal(t[0], t[1]), method: (t) => t[0].equal(t[1]) },
  isin: { call: (t, a) => st.isin(t[0], t.length > 1 ? t[1] : a.test, { invert: a.invert }) },
  searchsorted: { call: (t, a) => st.searchsorted(t[0], t.length > 1 ? t[1] : a.value, { right: a.right, side: a.side, sorter: t[2] ?? null }) },
  bucketize: { call: (t, a) => st.bucketize(t[0], t[1], { right: a.right }) },
  bincount: { call: (t, a) => st.bincount(t[0], { weights: t[1] ?? null, minlength: a.minlength }), method: (t, a) => t[0].bincount({ weights: t[1] ?? null, minlength: a.minlength }) },
  histc: { call: (t, a) => st.histc(t[0], { bins: a.bins, min: a.min, max: a.max }), method: (t, a) => t[0].histc(a) },
  unique: { call: (t, a) => st.unique(first(t, a), uniqOpts(a)), method: (t, a) => first(t, a).unique(uniqOpts(a)) },
  uniqueConsecutive: { call: (t, a) => st.uniqueConsecutive(first(t, a), uniqOpts(a)), method: (t, a) => first(t, a).uniqueConsecutive(uniqOpts(a)) },
  msort: { call: (t, a) => st.msort(first(t, a)), method: (t, a) => first(t, a).msort() },
  quantile: { call: (t, a) => st.quantile(first(t, a), q(t, a), quantOpts(a)), method: (t, a) => first(t, a).quantile(q(t, a), quantOpts(a)), gradFn: false },
  nanquantile: {
    call: (t, a) => st.nanquantile(first(t, a), q(t, a), quantOpts(a)),
    method: (t, a) => first(t, a).nanquantile(q(t, a), quantOpts(a)),
    gradFn: false,
  },
  mode: { call: (t, a) => st.mode(first(t, a), a.dim, a.keepdim), method: (t, a) => first(t, a).mode(a.dim, a.keepdim) },
  // ---- shaping
  indexAdd: { call: (t, a) => st.indexAdd(first(t, a), a.dim, t[1], t[2], { alpha: a.alpha }), method: (t, a) => first(t, a).indexAdd(a.dim, t[1], t[2], { alpha: a.alpha }) },
  indexCopy: { call: (t, a) => st.indexCopy(first(t, a), a.dim, t[1], t[2]), method: (t, a) => first(t, a).indexCopy(a.dim, t[1], t[2]) },
  indexFill: { call: (t, a) => st.indexFill(first(t, a), a.dim, t[1], a.value), method: (t, a) => first(t, a).indexFill(a.dim, t[1], a.value) },
  maskedScatter: { call: (t, a) => st.maskedScatter(first(t, a), t[1], t[2]), method: (t, a) => first(t, a).maskedScatter(t[1], t[2]) },
  takeAlongDim: { call: (t, a) => st.takeAlongDim(first(t, a), t[1], a.dim ?? null), method: (t, a) => first(t, a).takeAlongDim(t[1], a.dim ?? null) },
  scatterReduce: {
    call: (t, a) => st.scatterReduce(first(t, a), a.dim, t[1], t[2], a.reduce, { includeSelf: a.includeSelf }),
    method: (t, a) => first(t, a).scatterReduce(a.dim, t[1], t[2], a.reduce, { includeSelf: a.includeSelf }),
  },
  tensorSplit: { call: (t, a) => st.tensorSplit(first(t, a), a.spec, a.dim), method: (t, a) => first(t, a).tensorSplit(a.spec, a.dim) },
  hsplit: { call: (t, a) => st.hsplit(first(t, a), a.spec), method: (t, a) => first(t, a).hsplit(a.spec) },
  vsplit: { call: (t, a) => st.vsplit(first(t, a), a.spec), method: (t, a) => first(t, a).vsplit(a.spec) },
  dsplit: { call: (t, a) => st.dsplit(first(t, a), a.spec), method: (t, a) => first(t, a).dsplit(a.spec) },
  repeatInterleave: {
    call: (t, a) => st.repeatInterleave(first(t, a), t.length > 1 ? t[1] : a.repeats, a.dim ?? null),
    method: (t, a) => first(t, a).repeatInterleave(t.length > 1 ? t[1] : a.repeats, a.dim ?? null),
  },
  rot90: { call: (t, a) => st.rot90(first(t, a), a.k, a.dims), method: (t, a) => first(t, a).rot90(a.k, a.dims) },
  flipud: { call: (t, a) => st.flipud(first(t, a)), method: (t, a) => first(t, a).flipud() },
  fliplr: { call: (t, a) => st.fliplr(first(t, a)), method: (t, a) => first(t, a).fliplr() },
  meshgrid: { call: (t, a) => st.meshgrid(t, { indexing: a.indexing }), gradFn: false },
  broadcastTensors: { call: (t) => st.broadcastTensors(...t), names: 'broadcastTensors' },
  broadcastTo: { call: (t, a) => st.broadcastTo(first(t, a), a.shape), method: (t, a) => first(t, a).broadcastTo(a.shape), names: 'expand' },
  atleast1d: { call: (t) => st.atleast1d(t[0]), gradFn: false },
  atleast2d: { call: (t) => st.atleast2d(t[0]), gradFn: false },
  atleast3d: { call: (t) => st.atleast3d(t[0]), gradFn: false },
  hstack: { call: (t) => st.hstack(t) },
  vstack: { call: (t) => st.vstack(t) },
  dstack: { call: (t) => st.dstack(t) },
  columnStack: { call: (t) => st.columnStack(t) },
  rowStack: { call: (t) => st.rowStack(t) },
  blockDiag: { call: (t) => st.blockDiag(...t) },
  cartesianProd: { call: (t) => st.cartesianProd(...t) },
  combinations: { call: (t, a) => st.combinations(t[0], a.r, a.withReplacement) },
  triuIndices: { call: (_t, a) => st.triuIndices(a.row, a.col, a.offset) },
  trilIndices: { call: (_t, a) => st.trilIndices(a.row, a.col, a.offset) },
  diagflat: { call: (t, a) => st.diagflat(first(t, a), a.offset), method: (t, a) => first(t, a).diagflat(a.offset) },
  ravel: { call: (t, a) => st.ravel(first(t, a)), method: (t, a) => first(t, a).ravel() },
  t: { call: (t) => st.t(t[0]), method: (t) => t[0].t() },
  // ---- products
  mv: { call: (t, a) => st.mv(first(t, a), t[1]), method: (t, a) => first(t, a).mv(t[1]) },
  addmm: { call: (t, a) => st.addmm(t[0], t[1], t[2], scaled(a)), method: (t, a) => t[0].addmm(t[1], t[2], scaled(a)) },
  baddbmm: { call: (t, a) => st.baddbmm(t[0], t[1], t[2], scaled(a)), method: (t, a) => t[0].baddbmm(t[1], t[2], scaled(a)) },
  addbmm: { call: (t, a) => st.addbmm(t[0], t[1], t[2], scaled(a)), method: (t, a) => t[0].addbmm(t[1], t[2], scaled(a)) },
  addmv: { call: (t, a) => st.addmv(t[0], t[1], t[2], scaled(a)), method: (t, a) => t[0].addmv(t[1], t[2], scaled(a)) },
  addr: { call: (t, a) => st.addr(t[0], t[1], t[2], scaled(a)), method: (t, a) => t[0].addr(t[1], t[2], scaled(a)) },
  vdot: { call: (t) => st.vdot(t[0], t[1]), method: (t) => t[0].vdot(t[1]) },
  inner: { call: (t, a) => st.inner(first(t, a), t[1]), method: (t, a) => first(t, a).inner(t[1]), gradFn: false },
  tensordot: { call: (t, a) => st.tensordot(t[0], t[1], a.dims), gradFn: false },
  chainMatmul: { call: (t) => st.chainMatmul(...t), gradFn: false },
  cov: { call: (t, a) => st.cov(first(t, a), covOpts(t, a)), method: (t, a) => first(t, a).cov(covOpts(t, a)), gradFn: false },
  corrcoef: { call: (t, a) => st.corrcoef(first(t, a)), method: (t, a) => first(t, a).corrcoef(), gradFn: false },
  trapezoid: { call: (t, a) => st.trapezoid(first(t, a), { x: t[1] ?? null, dx: a.dx, dim: a.dim }), gradFn: false },
  renorm: { call: (t, a) => st.renorm(first(t, a), a.p, a.dim, a.maxnorm), method: (t, a) => first(t, a).renorm(a.p, a.dim, a.maxnorm) },
};



fixtureCaseTests(fixture.cases, OPS, (c) => runOpFixtureCase(c, OPS[c.op]), 'the ops-more table');

// ---- beyond the fixture table ------------------------------------------------------------------------
let seed = 900;
const r = (shape: number[], lo = -2, hi = 2) => rnd(shape, { seed: seed++, lo, hi });
const plain = (shape: number[], lo = -2, hi = 2) => rnd(shape, { seed: seed++, lo, hi, requiresGrad: false });
const idx = (values: number[]) => st.tensor(values, { dtype: 'int32' });

/** First derivatives, float64 against finite differences. */
const GRADCHECK: [string, (...t: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['fmax', (a, b) => st.fmax(a, b), () => [r([3]), r([2, 3])]],
  ['fmin', (a, b) => st.fmin(a, b), () => [r([3]), r([3])]],
  ['frac', (x) => st.frac(x), () => [r([4], 0.1, 0.9)]],
  ['logaddexp', (a, b) => st.logaddexp(a, b), () => [r([3]), r([2, 3])]],
  ['logaddexp2', (a, b) => st.logaddexp2(a, b), () => [r([3]), r([3])]],
  ['hypot', (a, b) => st.hypot(a, b), () => [r([3], 0.5, 2), r([3], -2, -0.5)]],
  ['copysign', (a, b) => st.copysign(a, b), () => [r([3], 0.5, 2), r([3])]],
  ['xlogy', (a, b) => st.xlogy(a, b), () => [r([3]), r([3], 0.5, 2)]],
  ['exp2', (x) => st.exp2(x), () => [r([3])]],
  ['erfc', (x) => st.erfc(x), () => [r([4], -3, 3)]],
  ['erfinv', (x) => st.erfinv(x), () => [r([4], -0.9, 0.9)]],
  ['lgamma', (x) => st.lgamma(x), () => [r([4], 0.2, 5)]],
  ['digamma', (x) => st.digamma(x), () => [r([4], 0.2, 5)]],
  ['logit', (x) => st.logit(x), () => [r([4], 0.1, 0.9)]],
  ['logit eps', (x) => st.logit(x, 0.2), () => [r([4], 0.25, 0.75)]],
  ['sinc', (x) => st.sinc(x), () => [r([4])]],
  ['deg2rad', (x) => st.deg2rad(x), () => [r([3])]],
  ['rad2deg', (x) => st.rad2deg(x), () => [r([3])]],
  ['stdMean', (x) => { const [s, m] = st.stdMean(x, 1); return s.add(m.mul(2)); }, () => [r([2, 4])]],
  ['varMean', (x) => { const [v, m] = st.varMean(x, 0, { correction: 0 }); return v.add(m.mul(2)); }, () => [r([3, 2])]],
  ['nansum', (x) => st.nansum(x, 1), () => [r([2, 3])]],
  ['nanmean', (x) => st.nanmean(x, 0), () => [r([2, 3])]],
  ['diff', (x, p) => st.diff(x, { n: 2, prepend: p }), () => [r([2, 4]), r([2, 1])]],
  ['quantile', (x) => st.quantile(x, 0.3, { dim: 1 }), () => [r([2, 5])]],
  ['nanquantile midpoint', (x) => st.nanquantile(x, 0.6, { interpolation: 'midpoint' }), () => [r([7])]],
  ['indexAdd', (x, s) => st.indexAdd(x, 0, idx([1, 1]), s, { alpha: 2 }), () => [r([3, 2]), r([2, 2])]],
  ['indexCopy', (x, s) => st.indexCopy(x, 1, idx([2, 0]), s), () => [r([2, 3]), r([2, 2])]],
  ['indexFill', (x) => st.indexFill(x, 0, idx([0]), 3), () => [r([2, 3])]],
  ['maskedScatter', (x, s) => st.maskedScatter(x, st.tensor([true, false, true]), s), () => [r([2, 3]), r([5])]],
  ['takeAlongDim', (x) => st.takeAlongDim(x, idx([2, 0, 0]).reshape([1, 3]), 0), () => [r([3, 3])]],
  ['scatterReduce sum', (x, s) => st.scatterReduce(x, 0, idx([0, 2, 0]), s, 'sum', { includeSelf: false }), () => [r([3]), r([3])]],
  ['scatterReduce mean', (x, s) => st.scatterReduce(x, 0, idx([0, 2, 0]), s, 'mean'), () => [r([3]), r([3])]],
  ['scatterReduce prod', (x, s) => st.scatterReduce(x, 0, idx([0, 2, 0]), s, 'prod'), () => [r([3], 0.5, 2), r([3], 0.5, 2)]],
  ['scatterReduce amax', (x, s) => st.scatterReduce(x, 0, idx([0, 2, 0]), s, 'amax'), () => [r([3]), r([3])]],
  ['repeatInterleave', (x) => st.repeatInterleave(x, idx([2, 0, 1]), 0), () => [r([3, 2])]],
  ['rot90', (x) => st.rot90(x, 3, [1, 0]), () => [r([2, 3])]],
  ['blockDiag', (a, b) => st.blockDiag(a, b), () => [r([2, 2]), r([3])]],
  ['cartesianProd', (a, b) => st.cartesianProd(a, b), () => [r([2]), r([3])]],
  ['combinations', (x) => st.combinations(x, 2, true), () => [r([3])]],
  ['baddbmm', (i, a, b) => st.baddbmm(i, a, b, { beta: 0.5, alpha: 2 }), () => [r([2, 3]), r([2, 2, 4]), r([2, 4, 3])]],
  ['addbmm', (i, a, b) => st.addbmm(i, a, b, { beta: 2, alpha: -1 }), () => [r([3]), r([2, 2, 4]), r([2, 4, 3])]],
  ['addmv', (i, m, v) => st.addmv(i, m, v, { beta: 0.5, alpha: 3 }), () => [r([3]), r([3, 2]), r([2])]],
  ['addr', (i, a, b) => st.addr(i, a, b, { beta: -1, alpha: 2 }), () => [r([2, 3]), r([2]), r([3])]],
  ['vdot', (a, b) => st.vdot(a, b), () => [r([4]), r([4])]],
  ['tensordot', (a, b) => st.tensordot(a, b, [[0, 2], [1, 0]]), () => [r([2, 3, 2]), r([2, 2, 3])]],
  ['cov aweights', (x, w) => st.cov(x, { aweights: w }), () => [r([2, 4]), r([4], 0.5, 2)]],
  ['corrcoef', (x) => st.corrcoef(x), () => [r([3, 5])]],
  ['trapezoid x', (y, x) => st.trapezoid(y, { x }), () => [r([2, 4]), r([4])]],
  ['renorm', (x) => st.renorm(x, 2, 0, 1), () => [r([3, 4])]],
];

forEachBackend(() => {
  for (const [name, fn, inputs] of GRADCHECK) {
    test(`gradcheck ${name}`, () => assert.equal(st.gradcheck(fn, inputs()), true));
  }

  test('randLike, randnLike, randintLike and emptyLike follow the shape and dtype', () => {
    const x = plain([2, 3]);
    st.manualSeed(5);
    const a = st.randLike(x);
    st.manualSeed(5);
    assertClose(a, st.rand([2, 3], { dtype: 'float64' }), { rtol: 0, atol: 0 });
    assert.equal(st.randnLike(x, { dtype: 'float32' }).dtype, 'float32');
    const ints = st.randintLike(idx([1, 2, 3, 4]), 2, 5);
    assert.deepEqual([...ints.shape], [4]);
    assert.equal(ints.dtype, 'int32');
    assert.ok(Array.from(ints.data() as Int32Array).every((v) => v >= 2 && v < 5));
    assert.ok(Array.from(st.randintLike(x, 3).data() as Float64Array).every((v) => Number.isInteger(v) && v >= 0 && v < 3));
    const e = st.emptyLike(x, { dtype: 'int32' });
    assert.deepEqual([...e.shape], [2, 3]);
    assert.equal(e.dtype, 'int32');
  });

  test('split helpers are views; atleast*d of several tensors gives a list', () => {
    const x = plain([4, 6]);
    for (const part of [...st.tensorSplit(x, 3, 1), ...st.hsplit(x, [2]), ...st.vsplit(x, 2)]) assert.equal(part.storage, x.storage);
    const many = st.atleast2d(plain([3]), plain([])) as Tensor[];
    assert.deepEqual(many.map((t) => [...t.shape]), [[1, 3], [1, 1]]);
    assert.deepEqual(st.repeatInterleave(idx([2, 0, 1])).toArray(), [0, 0, 2]);
    assert.deepEqual(x.broadcastTo([2, 4, 6]).shape, [2, 4, 6]);
  });

  test('regressions: in-place ops on empty tensors, view of an empty transposed tensor, zero gradients of rounding ops', () => {
    const z = st.zeros([2, 0]);
    assert.equal(z.mul_(2), z);
    st.zeros([0, 3]).expand([2, 0, 3]).add_(1);
    const t = st.zeros([0, 2]).t();
    assert.deepEqual([...t.view([-1]).shape], [0]);
    assert.deepEqual([...t.view([2, 0]).strides], [...t.strides]);
    for (const f of [st.sign, st.floor, st.ceil, st.trunc, st.round, st.sgn]) {
      const x = st.tensor([1.5, -2.5, 3], { dtype: 'float64' }).requiresGrad_();
      f(x).backward(st.tensor([Infinity, NaN, 1], { dtype: 'float64' }));
      assert.deepEqual(x.grad?.toArray(), [0, 0, 0]);
    }
  });
});
