/**
 * Every differentiable core op against finite differences (st.gradcheck, float64): several
 * shapes, broadcasting, and non-contiguous operands (transposed, sliced with steps, expanded,
 * permuted views built inside the checked function, and non-contiguous leaves).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import * as act from '../../src/ops/activation.js';
import { forEachBackend, rnd } from './helpers.js';

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];
interface Check {
  name: string;
  fn: Fn;
  inputs: () => Tensor[];
  options?: st.GradcheckOptions;
}

/** Input domains: where each op is smooth. */
interface Domain {
  lo?: number;
  hi?: number;
  away?: number;
}
const REAL: Domain = { lo: -2, hi: 2 };
const POSITIVE: Domain = { lo: 0.3, hi: 2 };
const AWAY: Domain = { lo: -2, hi: 2, away: 0.1 };
const UNIT: Domain = { lo: -0.9, hi: 0.9 };

let seed = 1;
const r = (shape: number[], d: Domain = REAL) => rnd(shape, { seed: seed++, ...d });

/** The layouts every elementwise op is checked in: each builds its operand inside fn from a leaf. */
const LAYOUTS: { name: string; shape: number[]; view: (x: Tensor) => Tensor }[] = [
  { name: '[2,3]', shape: [2, 3], view: (x) => x },
  { name: '0-d', shape: [], view: (x) => x },
  { name: '[4]', shape: [4], view: (x) => x },
  { name: 'transposed [3,2]ᵀ', shape: [3, 2], view: (x) => x.transpose(0, 1) },
  { name: 'sliced step 2', shape: [2, 6], view: (x) => x.slice(1, 1, null, 2) },
  { name: 'expanded [3,1]→[3,4]', shape: [3, 1], view: (x) => x.expand(3, 4) },
  { name: 'permuted [2,3,2]', shape: [2, 3, 2], view: (x) => x.permute(2, 0, 1) },
];

const checks: Check[] = [];
const add = (name: string, fn: Fn, inputs: () => Tensor[], options?: st.GradcheckOptions) => checks.push({ name, fn, inputs, options });

// ---- unary elementwise ----------------------------------------------------------------------
const UNARY: [string, (x: Tensor) => Tensor, Domain][] = [
  ['neg', st.neg, REAL],
  ['abs', st.abs, AWAY],
  ['exp', st.exp, REAL],
  ['log', st.log, POSITIVE],
  ['log2', st.log2, POSITIVE],
  ['log10', st.log10, POSITIVE],
  ['log1p', st.log1p, { lo: -0.7, hi: 2 }],
  ['expm1', st.expm1, REAL],
  ['sqrt', st.sqrt, POSITIVE],
  ['rsqrt', st.rsqrt, POSITIVE],
  ['square', st.square, REAL],
  ['reciprocal', st.reciprocal, { lo: 0.3, hi: 2 }],
  ['reciprocal (negative)', st.reciprocal, { lo: -2, hi: -0.3 }],
  ['sin', st.sin, REAL],
  ['cos', st.cos, REAL],
  ['tanh', st.tanh, REAL],
  ['sigmoid', st.sigmoid, { lo: -6, hi: 6 }],
  ['relu', st.relu, AWAY],
  ['erf', st.erf, REAL],
  ['pow(x, 2)', (x) => st.pow(x, 2), REAL],
  ['pow(x, 3)', (x) => st.pow(x, 3), REAL],
  ['pow(x, 0)', (x) => st.pow(x, 0), REAL],
  ['pow(x, -1.5)', (x) => st.pow(x, -1.5), POSITIVE],
  ['pow(x, 0.5)', (x) => st.pow(x, 0.5), POSITIVE],
  ['pow(2, x)', (x) => st.pow(2, x), REAL],
  ['pow(0.5, x)', (x) => st.pow(0.5, x), REAL],
  ['add number', (x) => st.add(x, 2.5), REAL],
  ['sub number', (x) => st.sub(x, 1.5), REAL],
  ['rsub number', (x) => st.rsub(x, 1.5), REAL],
  ['number - x', (x) => st.sub(1.5, x), REAL],
  ['mul number', (x) => st.mul(x, -3), REAL],
  ['div number', (x) => st.div(x, 4), REAL],
  ['number / x', (x) => st.div(3, x), POSITIVE],
  ['remainder number', (x) => st.remainder(x, 0.7), REAL],
  ['fmod number', (x) => st.fmod(x, 0.7), REAL],
  ['clamp(min, max)', (x) => st.clamp(x, -0.5, 0.8), REAL],
  ['clamp(min)', (x) => st.clamp(x, 0.1), REAL],
  ['clamp(null, max)', (x) => st.clamp(x, null, -0.2), REAL],
  ['floor (zero grad)', st.floor, AWAY],
  ['round (zero grad)', st.round, AWAY],
  ['sign (zero grad)', st.sign, AWAY],
];
for (const [name, f, domain] of UNARY) {
  for (const layout of LAYOUTS) {
    add(`${name} ${layout.name}`, (x) => f(layout.view(x)), () => [r(layout.shape, domain)]);
  }
}
add('exp on a non-contiguous leaf', st.exp, () => [r([3, 2]).detach().transpose(0, 1).requiresGrad_()]);
add('sin on a sliced leaf', st.sin, () => [r([4, 6]).detach().slice(1, 1, 5, 2).requiresGrad_()]);

// ---- binary elementwise ---------------------------------------------------------------------
const BINARY: [string, (a: Tensor, b: Tensor) => Tensor, Domain, Domain][] = [
  ['add', (a, b) => st.add(a, b), REAL, REAL],
  ['add alpha', (a, b) => st.add(a, b, { alpha: 2.5 }), REAL, REAL],
  ['sub', (a, b) => st.sub(a, b), REAL, REAL],
  ['sub alpha', (a, b) => st.sub(a, b, { alpha: -0.5 }), REAL, REAL],
  ['mul', st.mul, REAL, REAL],
  ['div', (a, b) => st.div(a, b), REAL, POSITIVE],
  ['pow tensor^tensor', st.pow, POSITIVE, REAL],
  ['maximum', st.maximum, REAL, REAL],
  ['minimum', st.minimum, REAL, REAL],
  ['remainder', st.remainder, REAL, { lo: 0.5, hi: 1.5 }],
  ['remainder (negative divisor)', st.remainder, REAL, { lo: -1.5, hi: -0.5 }],
  ['fmod', st.fmod, REAL, { lo: 0.5, hi: 1.5 }],
  ['fmod (negative divisor)', st.fmod, REAL, { lo: -1.5, hi: -0.5 }],
  ['atan2', st.atan2, REAL, AWAY],
];
const PAIRS: { name: string; a: number[]; b: number[]; va?: (x: Tensor) => Tensor; vb?: (x: Tensor) => Tensor }[] = [
  { name: 'same shape', a: [2, 3], b: [2, 3] },
  { name: 'broadcast [2,3]·[3]', a: [2, 3], b: [3] },
  { name: 'broadcast [3,1]·[1,4]', a: [3, 1], b: [1, 4] },
  { name: 'broadcast [2]·[3,1,1]', a: [2], b: [3, 1, 1] },
  { name: 'scalar tensor', a: [2, 3], b: [] },
  { name: 'transposed lhs', a: [3, 2], b: [2, 3], va: (x) => x.transpose(0, 1) },
  { name: 'sliced rhs', a: [2, 3], b: [2, 6], vb: (x) => x.slice(1, 0, null, 2) },
  { name: 'expanded lhs', a: [1, 3], b: [2, 3], va: (x) => x.expand(2, 3) },
];
for (const [name, f, da, db] of BINARY) {
  for (const p of PAIRS) {
    add(`${name} ${p.name}`, (a, b) => f(p.va ? p.va(a) : a, p.vb ? p.vb(b) : b), () => [r(p.a, da), r(p.b, db)]);
  }
}
add('mul with itself (fan-out)', (a) => st.mul(a, a), () => [r([2, 3])]);
add('div number^tensor via pow(3, x)·x', (a) => st.mul(st.pow(3, a), a), () => [r([2, 3])]);

// ---- clamp with tensors, where, maskedFill ---------------------------------------------------------
add('clamp tensor bounds', (x, lo, hi) => st.clamp(x, lo, hi), () => [r([3, 4]), r([3, 4], { lo: -1.5, hi: -0.2 }), r([4], { lo: 0.2, hi: 1.5 })]);
add('clamp tensor min broadcast', (x, lo) => st.clamp(x, lo), () => [r([3, 4]), r([3, 1])]);
add('clamp tensor max only', (x, hi) => st.clamp(x, null, hi), () => [r([3, 4]), r([3, 4])]);
add('clamp tensor min, number max', (x, lo) => st.clamp(x, lo, 0.9), () => [r([3, 4]), r([4], { lo: -1.5, hi: 0 })]);
add('clamp transposed input', (x, lo) => st.clamp(x.transpose(0, 1), lo), () => [r([4, 3]), r([3, 4])]);
const cond = st.tensor([[true, false, true], [false, false, true]]);
add('where', (a, b) => st.where(cond, a, b), () => [r([2, 3]), r([2, 3])]);
add('where broadcast operands', (a, b) => st.where(cond, a, b), () => [r([3]), r([2, 1])]);
add('where broadcast cond', (a, b) => st.where(st.tensor([[true], [false]]), a, b), () => [r([2, 3]), r([3])]);
add('where number operand', (a) => st.where(cond, a, 0.5), () => [r([2, 3])]);
add('where transposed', (a, b) => st.where(cond, a.transpose(0, 1), b), () => [r([3, 2]), r([2, 3])]);
add('maskedFill', (a) => st.maskedFill(a, cond, -1.5), () => [r([2, 3])]);
add('maskedFill broadcast mask', (a) => st.maskedFill(a, st.tensor([true, false, true]), 0.25), () => [r([4, 3])]);
add('maskedFill expanded input', (a) => st.maskedFill(a.expand(2, 3), cond, 2), () => [r([1, 3])]);

// ---- reductions ----------------------------------------------------------------------------
const R3 = () => [r([2, 3, 4])];
for (const [name, f] of [
  ['sum', st.sum],
  ['mean', st.mean],
] as [string, (x: Tensor, dim?: number | number[] | null, keepdim?: boolean) => Tensor][]) {
  add(`${name} all`, (x) => f(x), R3);
  add(`${name} dim 1`, (x) => f(x, 1), R3);
  add(`${name} dim -1 keepdim`, (x) => f(x, -1, true), R3);
  add(`${name} dims [0,2]`, (x) => f(x, [0, 2]), R3);
  add(`${name} dims [0,2] keepdim`, (x) => f(x, [0, 2], true), R3);
  add(`${name} 0-d`, (x) => f(x), () => [r([])]);
  add(`${name} transposed`, (x) => f(x.transpose(0, 1), 1), () => [r([4, 3])]);
  add(`${name} expanded`, (x) => f(x.expand(3, 4), 0), () => [r([1, 4])]);
}
add('prod all', (x) => st.prod(x), () => [r([2, 3], { lo: 0.5, hi: 1.5 })]);
add('prod dim 1', (x) => st.prod(x, 1), () => [r([2, 3, 2])]);
add('prod dim 0 keepdim', (x) => st.prod(x, 0, true), () => [r([3, 2])]);
add('prod with one zero', (x) => st.prod(x, 1), () => [st.tensor([[1.5, 0, 2], [0.5, -1, 3]], { dtype: 'float64', requiresGrad: true })]);
add('prod with two zeros', (x) => st.prod(x, 1), () => [st.tensor([[0, 0, 2], [0.5, 0, 3]], { dtype: 'float64', requiresGrad: true })]);
add('prod all with a zero', (x) => st.prod(x), () => [st.tensor([1.5, 0, 2, -3], { dtype: 'float64', requiresGrad: true })]);
add('prod transposed', (x) => st.prod(x.transpose(0, 1), 1), () => [r([3, 2])]);
for (const [name, f] of [
  ['amax', st.amax],
  ['amin', st.amin],
] as [string, (x: Tensor, dim?: number | number[] | null, keepdim?: boolean) => Tensor][]) {
  add(`${name} all`, (x) => f(x), R3);
  add(`${name} dim 1`, (x) => f(x, 1), R3);
  add(`${name} dims [0,2] keepdim`, (x) => f(x, [0, 2], true), R3);
  add(`${name} transposed`, (x) => f(x.transpose(0, 1), 1), () => [r([4, 3])]);
}
add('max()', (x) => x.max(), () => [r([2, 3])]);
add('min()', (x) => x.min(), () => [r([2, 3])]);
for (const [name, f] of [
  ['max(dim)', st.max],
  ['min(dim)', st.min],
] as [string, typeof st.max][]) {
  add(`${name} values dim 1`, (x) => f(x, 1).values, R3);
  add(`${name} values dim 0 keepdim`, (x) => f(x, 0, true).values, R3);
  add(`${name} values transposed`, (x) => f(x.transpose(0, 1), -1)[0], () => [r([4, 3])]);
}
for (const [name, f] of [
  ['var', st.var],
  ['std', st.std],
] as [string, typeof st.var][]) {
  add(`${name} all`, (x) => f(x), () => [r([3, 4])]);
  add(`${name} dim 1`, (x) => f(x, 1), () => [r([3, 4])]);
  add(`${name} dim 0 correction 0 keepdim`, (x) => f(x, 0, { correction: 0, keepdim: true }), () => [r([3, 4])]);
  add(`${name} dim 1 correction 2`, (x) => f(x, 1, { correction: 2 }), () => [r([3, 4])]);
  add(`${name} unbiased false`, (x) => f(x, [0, 1], { unbiased: false }), () => [r([3, 4])]);
  add(`${name} boolean option`, (x) => f(x, 1, false), () => [r([3, 4])]);
  add(`${name} transposed`, (x) => f(x.transpose(0, 1), 1), () => [r([4, 3])]);
}
add('logsumexp dim 1', (x) => st.logsumexp(x, 1), () => [r([3, 4])]);
add('logsumexp dim 0 keepdim', (x) => st.logsumexp(x, 0, true), () => [r([3, 4])]);
add('logsumexp dims [0,1]', (x) => st.logsumexp(x, [0, 1]), () => [r([3, 4])]);
add('logsumexp large values', (x) => st.logsumexp(x.add(500), 1), () => [r([2, 3])]);
add('logSumExp (alias)', (x) => st.logSumExp(x, -1), () => [r([2, 3])]);
add('logsumexp transposed', (x) => st.logsumexp(x.transpose(0, 1), 1), () => [r([4, 3])]);
for (const p of [1, 2, 3, 0.5, Infinity, -Infinity, 'fro' as const]) {
  const dom = p === 1 || p === 0.5 || p === Infinity || p === -Infinity ? AWAY : REAL;
  add(`norm p=${p}`, (x) => st.norm(x, p), () => [r([3, 4], dom)]);
  add(`norm p=${p} dim 1`, (x) => st.norm(x, p, 1), () => [r([3, 4], dom)]);
  add(`norm p=${p} dim 0 keepdim transposed`, (x) => st.norm(x.transpose(0, 1), p, 0, true), () => [r([4, 3], dom)]);
}
for (const p of [1, 2, 3, Infinity]) {
  add(`norm p=${p} at zero`, (x) => st.norm(x, p, 1), () => [st.tensor([[0, 0, 0], [1, -2, 2]], { dtype: 'float64', requiresGrad: true })]);
}
for (const [name, f] of [
  ['softmax', st.softmax],
  ['logSoftmax', st.logSoftmax],
] as [string, (x: Tensor, dim: number) => Tensor][]) {
  for (const d of [0, 1, 2, -1]) add(`${name} dim ${d}`, (x) => f(x, d), R3);
  add(`${name} 1-D`, (x) => f(x, 0), () => [r([5])]);
  add(`${name} transposed`, (x) => f(x.transpose(0, 1), 1), () => [r([4, 3])]);
  add(`${name} large logits`, (x) => f(x.mul(50), 1), () => [r([2, 3])]);
}

// ---- matmul ------------------------------------------------------------------------------
const MM: [string, number[], number[], ((x: Tensor) => Tensor)?, ((x: Tensor) => Tensor)?][] = [
  ['1-D·1-D', [4], [4]],
  ['1-D·2-D', [3], [3, 4]],
  ['2-D·1-D', [2, 3], [3]],
  ['2-D·2-D', [2, 3], [3, 4]],
  ['batched', [2, 2, 3], [2, 3, 4]],
  ['broadcast batch', [2, 1, 2, 3], [3, 3, 2]],
  ['3-D·2-D', [2, 2, 3], [3, 4]],
  ['2-D·3-D', [2, 3], [2, 3, 4]],
  ['1-D·3-D', [3], [2, 3, 4]],
  ['3-D·1-D', [2, 4, 3], [3]],
  ['transposed lhs', [3, 2], [3, 4], (x) => x.transpose(0, 1)],
  ['transposed rhs', [2, 3], [4, 3], undefined, (x) => x.transpose(0, 1)],
  ['both transposed batched', [2, 3, 2], [2, 4, 3], (x) => x.transpose(1, 2), (x) => x.transpose(1, 2)],
  ['sliced lhs', [2, 6], [3, 2], (x) => x.slice(1, 0, null, 2)],
  ['expanded batch', [1, 2, 3], [3, 3, 2], (x) => x.expand(3, 2, 3)],
  ['permuted batch', [2, 3, 4], [4, 2], (x) => x.permute(1, 0, 2)],
  ['mT of batch', [2, 3, 2], [2, 3, 2], (x) => x.mT],
];
for (const [name, sa, sb, va, vb] of MM) {
  add(`matmul ${name}`, (a, b) => st.matmul(va ? va(a) : a, vb ? vb(b) : b), () => [r(sa), r(sb)]);
}
add('mm', (a, b) => st.mm(a, b), () => [r([3, 4]), r([4, 2])]);
add('mm transposed', (a, b) => st.mm(a.t(), b), () => [r([4, 3]), r([4, 2])]);
add('bmm', (a, b) => st.bmm(a, b), () => [r([2, 3, 4]), r([2, 4, 2])]);
add('bmm transposed rhs', (a, b) => st.bmm(a, b.transpose(1, 2)), () => [r([2, 3, 4]), r([2, 2, 4])]);
add('dot', (a, b) => st.dot(a, b), () => [r([5]), r([5])]);
add('dot sliced', (a, b) => st.dot(a.slice(0, 0, null, 2), b), () => [r([6]), r([3])]);
add('matmul one operand constant', (a) => st.matmul(a, st.ones([3, 2], { dtype: 'float64' })), () => [r([2, 3])]);

// ---- views -----------------------------------------------------------------------------------
const V = () => [r([2, 3, 4])];
const T43 = () => [r([4, 3])];
const VIEWS: [string, Fn, () => Tensor[]][] = [
  ['reshape', (x) => x.reshape(4, 6), V],
  ['reshape -1', (x) => x.reshape([-1, 4]), V],
  ['reshape of transposed (copy)', (x) => x.transpose(0, 1).reshape(12), T43],
  ['view', (x) => x.view(6, 4), V],
  ['view splitting a transposed dim', (x) => x.transpose(0, 1).view(2, 3, 4), () => [r([4, 6])]],
  ['viewAs / reshapeAs', (x) => x.viewAs(st.zeros([6, 4])).reshapeAs(st.zeros([4, 6])), V],
  ['flatten', (x) => x.flatten(), V],
  ['flatten 1..2', (x) => x.flatten(1, 2), V],
  ['flatten of transposed', (x) => x.transpose(0, 2).flatten(0, 1), V],
  ['unflatten', (x) => x.unflatten(2, [2, -1]), V],
  ['permute', (x) => x.permute(2, 0, 1), V],
  ['transpose', (x) => x.transpose(0, 2), V],
  ['t', (x) => x.t(), T43],
  ['squeeze all', (x) => x.squeeze(), () => [r([2, 1, 3, 1])]],
  ['squeeze dim', (x) => x.squeeze(1), () => [r([2, 1, 3, 1])]],
  ['squeeze dims', (x) => x.squeeze([1, 3]), () => [r([2, 1, 3, 1])]],
  ['unsqueeze', (x) => x.unsqueeze(1), V],
  ['unsqueeze -1', (x) => x.unsqueeze(-1), V],
  ['expand', (x) => x.expand(2, 3, 4), () => [r([3, 1])]],
  ['expand -1', (x) => x.expand(-1, 5), () => [r([3, 1])]],
  ['expandAs', (x) => x.expandAs(st.zeros([2, 3, 4])), () => [r([1, 4])]],
  ['slice step 2', (x) => x.slice(2, 0, 4, 2), V],
  ['slice step 3 negative start', (x) => x.slice(1, -7, null, 3), () => [r([2, 8])]],
  ['slice of slice', (x) => x.slice(1, 1, null, 2).slice(1, 1), () => [r([2, 8])]],
  ['slice of transposed', (x) => x.transpose(0, 1).slice(1, 1, 4, 2), T43],
  ['narrow', (x) => x.narrow(1, 1, 2), V],
  ['narrow negative start', (x) => x.narrow(2, -3, 2), V],
  ['select', (x) => x.select(1, 2), V],
  ['select negative', (x) => x.select(-1, -1), V],
  ['unbind', (x) => x.unbind(1), V],
  ['unbind, one piece used', (x) => x.unbind(0)[1], V],
  ['split size', (x) => x.split(2, 0), () => [r([5, 2])]],
  ['split sections', (x) => x.split([1, 3, 2], 1), () => [r([2, 6])]],
  ['chunk', (x) => x.chunk(3, 0), () => [r([5, 2])]],
  ['chunk uneven', (x) => x.chunk(4, 1), () => [r([2, 6])]],
  ['flip', (x) => x.flip([0, 2]), V],
  ['flip transposed', (x) => x.transpose(0, 1).flip(1), T43],
  ['repeat', (x) => x.repeat(2, 1, 3), () => [r([2, 3])]],
  ['repeat same rank', (x) => x.repeat(3, 2), () => [r([2, 3])]],
  ['repeat of transposed', (x) => x.t().repeat(2, 2), () => [r([2, 3])]],
  ['clone', (x) => x.clone(), V],
  ['clone transposed', (x) => x.transpose(0, 1).clone(), T43],
  ['contiguous transposed', (x) => x.transpose(0, 1).contiguous(), T43],
  ['cast float64 → float64 (no-op)', (x) => x.to('float64'), V],
];
for (const [name, fn, inputs] of VIEWS) add(name, fn, inputs);
add('cast float64 → float32 → float64', (x) => x.float().double(), V, { eps: 1e-3, atol: 1e-3, rtol: 1e-3 });
add('cat dim 0', (a, b, c) => st.cat([a, b, c], 0), () => [r([2, 3]), r([1, 3]), r([3, 3])]);
add('cat dim 1', (a, b) => st.cat([a, b], 1), () => [r([2, 3]), r([2, 1])]);
add('cat dim -1 transposed', (a, b) => st.cat([a.transpose(0, 1), b], -1), () => [r([3, 2]), r([2, 2])]);
add('cat with a constant', (a) => st.cat([a, st.zeros([1, 3], { dtype: 'float64' })], 0), () => [r([2, 3])]);
add('cat same tensor twice', (a) => st.cat([a, a], 0), () => [r([2, 3])]);
add('stack dim 0', (a, b) => st.stack([a, b], 0), () => [r([2, 3]), r([2, 3])]);
add('stack dim 1', (a, b, c) => st.stack([a, b, c], 1), () => [r([2, 3]), r([2, 3]), r([2, 3])]);
add('stack dim -1 sliced', (a, b) => st.stack([a.slice(1, 0, null, 2), b], -1), () => [r([2, 6]), r([2, 3])]);

// ---- indexing and pad --------------------------------------------------------------------------
const I = (values: number[][] | number[]) => st.tensor(values, { dtype: 'int32' });
add('gather dim 1', (x) => st.gather(x, 1, I([[0, 3, 3], [1, 0, 2], [2, 2, 2]])), () => [r([3, 4])]);
add('gather dim 0', (x) => st.gather(x, 0, I([[2, 0, 1, 1], [0, 0, 2, 1]])), () => [r([3, 4])]);
add('gather smaller index', (x) => st.gather(x, 1, I([[1], [3]])), () => [r([3, 4])]);
add('gather transposed', (x) => st.gather(x.transpose(0, 1), 1, I([[0, 3], [1, 1], [2, 0]])), () => [r([4, 3])]);
add('scatterAdd dim 1', (x, s) => st.scatterAdd(x, 1, I([[0, 3, 3], [1, 0, 2], [2, 2, 2]]), s), () => [r([3, 4]), r([3, 3])]);
add('scatterAdd dim 0 duplicates', (x, s) => st.scatterAdd(x, 0, I([[2, 0, 1, 1], [2, 0, 2, 1]]), s), () => [r([3, 4]), r([2, 4])]);
add('scatterAdd src larger than index', (x, s) => st.scatterAdd(x, 1, I([[1], [3]]), s), () => [r([3, 4]), r([3, 2])]);
add('scatterAdd transposed src', (x, s) => st.scatterAdd(x, 0, I([[2, 0, 1, 1], [0, 1, 2, 0]]), s.t()), () => [r([3, 4]), r([4, 2])]);
add('indexSelect dim 0', (x) => st.indexSelect(x, 0, I([2, 0, 2])), () => [r([3, 4])]);
add('indexSelect dim 1 repeats', (x) => st.indexSelect(x, 1, I([3, 1, 1, 0, 2])), () => [r([3, 4])]);
add('indexSelect number list', (x) => st.indexSelect(x, 1, [1, 1, 0]), () => [r([2, 3])]);
add('indexSelect transposed', (x) => st.indexSelect(x.transpose(0, 1), 1, I([1, 0])), () => [r([4, 3])]);
const P = () => [r([1, 2, 3, 4])];
add('pad constant', (x) => st.pad(x, [1, 2]), P);
add('pad constant value 2-D', (x) => st.pad(x, [1, 0, 2, 1], { value: -1.5 }), P);
add('pad constant negative (crop)', (x) => st.pad(x, [-1, 2, 1, -1]), P);
add('pad constant crop only', (x) => st.pad(x, [-1, -1, 0, -2]), P);
add('pad constant 3 dims', (x) => st.pad(x, [0, 1, 1, 0, 1, 1]), P);
for (const mode of ['reflect', 'replicate', 'circular'] as const) {
  add(`pad ${mode} 1-D`, (x) => st.pad(x, [2, 3], { mode }), () => [r([1, 2, 5])]);
  add(`pad ${mode} 2-D`, (x) => st.pad(x, [1, 2, 2, 1], { mode }), P);
  add(`pad ${mode} transposed`, (x) => st.pad(x.transpose(2, 3), [1, 1, 1, 1], { mode }), () => [r([1, 1, 4, 3])]);
}
add('pad replicate large', (x) => st.pad(x, [3, 1, 0, 4], { mode: 'replicate' }), () => [r([1, 1, 2, 2])]);
add('pad circular full width', (x) => st.pad(x, [3, 3], { mode: 'circular' }), () => [r([1, 2, 3])]);

// ---- activations (src/ops/activation.ts) ---------------------------------------------------------
const ACT: [string, (x: Tensor) => Tensor, Domain][] = [
  ['leakyRelu', (x) => act.leakyRelu(x), AWAY],
  ['leakyRelu slope 0.2', (x) => act.leakyRelu(x, 0.2), AWAY],
  ['elu', (x) => act.elu(x), AWAY],
  ['elu alpha 0.5', (x) => act.elu(x, 0.5), AWAY],
  ['selu', act.selu, AWAY],
  ['gelu', (x) => act.gelu(x), REAL],
  ['gelu tanh', (x) => act.gelu(x, { approximate: 'tanh' }), REAL],
  ['silu', act.silu, REAL],
  ['mish', act.mish, REAL],
  ['softplus', (x) => act.softplus(x), REAL],
  ['softplus beta 2 threshold 3', (x) => act.softplus(x, { beta: 2, threshold: 3 }), { lo: -3, hi: 3 }],
  ['hardswish', act.hardswish, { lo: -2.9, hi: 2.9 }],
  ['hardswish outside', act.hardswish, { lo: 3.2, hi: 5 }],
  ['hardsigmoid', act.hardsigmoid, { lo: -2.9, hi: 2.9 }],
  ['hardtanh', (x) => act.hardtanh(x), UNIT],
  ['hardtanh bounds', (x) => act.hardtanh(x, -2.5, 3), { lo: -2.4, hi: 2.9 }],
  ['relu6', act.relu6, { lo: 0.1, hi: 5.9 }],
  ['threshold', (x) => act.threshold(x, 0.5, -9), { lo: 0.6, hi: 2 }],
  ['threshold below', (x) => act.threshold(x, 0.5, -9), { lo: -2, hi: 0.4 }],
  ['logSigmoid', act.logSigmoid, { lo: -5, hi: 5 }],
  ['softsign', act.softsign, AWAY],
  ['tanhshrink', act.tanhshrink, REAL],
];
for (const [name, f, domain] of ACT) {
  add(`${name}`, f, () => [r([3, 5], domain)]);
  add(`${name} transposed`, (x) => f(x.transpose(0, 1)), () => [r([4, 3], domain)]);
}
add('prelu per channel', (x, w) => act.prelu(x, w), () => [r([2, 3, 2], AWAY), r([3])]);
add('prelu shared', (x, w) => act.prelu(x, w), () => [r([2, 3], AWAY), r([1])]);

// ---- compositions -----------------------------------------------------------------------------------
add('mlp-like chain', (x, w, b) => st.matmul(x, w).add(b).tanh().sum(1).mean(), () => [r([4, 3]), r([3, 5]), r([5])]);
add('softmax cross-entropy-like', (x) => st.logSoftmax(x, 1).mul(st.tensor([[1, 0, 0], [0, 0, 1]], { dtype: 'float64' })).sum().neg(), () => [r([2, 3])]);
add('multiple outputs', (x) => [x.exp(), x.sin().sum()], () => [r([2, 2])]);

// ---- sorting, selection, scans (src/ops/sort.ts, scan.ts, select.ts) -----------------------------------
const I32 = (values: number[] | number[][], shape?: number[]) => st.tensor(values as number[], { dtype: 'int32', shape });
const F64 = (values: number[][]) => st.tensor(values, { dtype: 'float64' }).requiresGrad_();
add('sort last dim', (x) => st.sort(x).values, () => [r([3, 4])]);
add('sort dim 0 descending transposed', (x) => st.sort(x.t(), 0, { descending: true }).values, () => [r([4, 3])]);
add('sort stable 0-d', (x) => st.sort(x, 0, { stable: true }).values, () => [r([])]);
add('topk largest', (x) => st.topk(x, 2).values, () => [r([3, 5])]);
add('topk smallest unsorted dim 0', (x) => st.topk(x, 3, 0, { largest: false, sorted: false }).values, () => [r([5, 2])]);
add('kthvalue', (x) => st.kthvalue(x, 2, 1).values, () => [r([3, 4])]);
add('kthvalue keepdim dim 0', (x) => st.kthvalue(x, 3, 0, true).values, () => [r([4, 2])]);
add('median all', (x) => st.median(x), () => [r([2, 3])]);
add('median dim', (x) => st.median(x, 1).values, () => [r([3, 4])]);
add('median dim keepdim permuted', (x) => st.median(x.permute(2, 0, 1), 0, { keepdim: true }).values, () => [r([2, 3, 5])]);
add('nanmedian all with NaN', (x) => st.nanmedian(x.maskedFill(st.tensor([false, true, false, false, false], { dtype: 'bool' }), NaN)), () => [r([5])]);
add('nanmedian dim', (x) => st.nanmedian(x, 0).values, () => [r([5, 2])]);
add('cumsum', (x) => st.cumsum(x, 1), () => [r([3, 4])]);
add('cumsum dim 0 transposed', (x) => st.cumsum(x.t(), 0), () => [r([3, 4])]);
add('cumsum 0-d', (x) => st.cumsum(x, 0), () => [r([])]);
add('cumprod', (x) => st.cumprod(x, 1), () => [r([3, 4])]);
add('cumprod with zeros', (x) => st.cumprod(x, 1), () => [F64([[2, 0, 3, 0.5], [0, 1.5, 0, 2], [1, 2, -1, 0], [0.5, 0, 0, 3]])]);
add('cumprod with zeros dim 0', (x) => st.cumprod(x, 0), () => [F64([[2, 0, 3], [0, 1.5, 0.5], [1, 2, 0]])]);
add('cummax', (x) => st.cummax(x, 1).values, () => [r([3, 5])]);
add('cummin dim 0', (x) => st.cummin(x, 0).values, () => [r([5, 3])]);
add('logcumsumexp', (x) => st.logcumsumexp(x, 1), () => [r([3, 4])]);
add('logcumsumexp dim 0 large', (x) => st.logcumsumexp(x.mul(300), 0), () => [r([4, 2])]);
add('maskedSelect', (x) => st.maskedSelect(x, st.tensor([[true, false, true], [false, true, true]], { dtype: 'bool' })), () => [r([2, 3])]);
add('maskedSelect broadcast input', (x) => st.maskedSelect(x, st.tensor([[true, false, true], [true, true, false]], { dtype: 'bool' })), () => [r([2, 1])]);
add('scatter src', (x, s) => st.scatter(x, 0, I32([[0, 1, 2], [2, 0, 1]]), s), () => [r([3, 3]), r([2, 3])]);
add('scatter value dim 1', (x) => st.scatter(x, 1, I32([[2], [0]]), 1.5), () => [r([2, 3])]);
add('scatter_ src into a clone', (x, s) => x.clone().scatter_(1, I32([[1, 0]]), s), () => [r([2, 2]), r([1, 2])]);
add('take', (x) => st.take(x, I32([[0, 5], [3, -1]])), () => [r([2, 3])]);
add('take repeated indices', (x) => st.take(x.t(), I32([1, 1, 2, 1])), () => [r([2, 2])]);

// ---- triangular, diagonal, shape helpers, blends (src/ops/triangular.ts, blend.ts, rearrange.ts, products.ts, einsum.ts, distance.ts)
add('tril', (x) => st.tril(x), () => [r([3, 4])]);
add('tril diagonal -1 batched transposed', (x) => st.tril(x.transpose(1, 2), -1), () => [r([2, 4, 3])]);
add('triu diagonal 1', (x) => st.triu(x, 1), () => [r([4, 3])]);
add('diagonal', (x) => st.diagonal(x), () => [r([3, 4])]);
add('diagonal offset -1 dims 2, 0', (x) => st.diagonal(x, { offset: -1, dim1: 2, dim2: 0 }), () => [r([3, 2, 4])]);
add('diag vector offset 1', (x) => st.diag(x, 1), () => [r([3])]);
add('diag matrix offset -1', (x) => st.diag(x, -1), () => [r([3, 4])]);
add('diagEmbed', (x) => st.diagEmbed(x), () => [r([2, 3])]);
add('diagEmbed offset 1 dims 0, 2', (x) => st.diagEmbed(x, { offset: 1, dim1: 0, dim2: 2 }), () => [r([2, 3])]);
add('trace', (x) => st.trace(x), () => [r([3, 4])]);
add('trace transposed', (x) => st.trace(x.t()), () => [r([4, 3])]);
add('lerp number weight', (a, b) => st.lerp(a, b, 0.3), () => [r([2, 3]), r([3])]);
add('lerp number weight ≥ 0.5', (a, b) => st.lerp(a, b, 0.8), () => [r([2, 3]), r([2, 3])]);
add('lerp tensor weight broadcast', (a, b, w) => st.lerp(a, b, w), () => [r([3, 1]), r([4]), r([2, 1, 4], { lo: -0.5, hi: 1.5 })]);
add('addcmul broadcast', (x, a, b) => st.addcmul(x, a, b, { value: -0.5 }), () => [r([3]), r([2, 1]), r([2, 3])]);
add('addcdiv broadcast', (x, a, b) => st.addcdiv(x, a, b, { value: 2 }), () => [r([2, 3]), r([3]), r([2, 1], POSITIVE)]);
add('nanToNum', (x) => st.nanToNum(x), () => [r([2, 3])]);
add('movedim', (x) => st.movedim(x, [0, 2], [1, 0]), () => [r([2, 3, 4])]);
add('moveaxis', (x) => st.moveaxis(x, -1, 0), () => [r([2, 3, 4])]);
add('swapaxes', (x) => st.swapaxes(x, 0, -1), () => [r([2, 3, 4])]);
add('swapdims', (x) => st.swapdims(x, 1, 2), () => [r([2, 3, 4])]);
add('tile fewer dims', (x) => st.tile(x, [2]), () => [r([2, 3])]);
add('tile more dims', (x) => st.tile(x.t(), [2, 1, 2]), () => [r([3, 2])]);
add('roll two dims', (x) => st.roll(x, [1, -2], [0, 1]), () => [r([3, 4])]);
add('roll flattened transposed', (x) => st.roll(x.t(), 5), () => [r([3, 4])]);
add('outer', (a, b) => st.outer(a, b), () => [r([3]), r([4])]);
add('kron', (a, b) => st.kron(a, b), () => [r([2, 3]), r([2, 2])]);
add('kron ranks differ', (a, b) => st.kron(a, b), () => [r([2, 1, 2]), r([3])]);
add('cross dim 1 broadcast', (a, b) => st.cross(a, b, 1), () => [r([4, 3]), r([1, 3])]);
add('cross dim 0', (a, b) => st.cross(a, b, 0), () => [r([3, 2]), r([3, 2])]);
add('einsum matmul', (a, b) => st.einsum('ij,jk->ik', a, b), () => [r([2, 3]), r([3, 4])]);
add('einsum batched ellipsis broadcast', (a, b) => st.einsum('...ij,...jk->...ik', a, b), () => [r([2, 1, 2, 3]), r([3, 3, 2])]);
add('einsum trace and diagonal', (a) => [st.einsum('ii', a), st.einsum('ii->i', a)], () => [r([3, 3])]);
add('einsum outer and sum', (a, b) => [st.einsum('i,j->ij', a, b), st.einsum('ij->j', b.unsqueeze(0))], () => [r([3]), r([2])]);
add('einsum three operands', (a, w, b) => st.einsum('bn,anm,bm->ba', a, w, b), () => [r([2, 3]), r([4, 3, 2]), r([2, 2])]);
add('einsum size-1 label broadcast', (a, b) => st.einsum('ij,ij->j', a, b), () => [r([3, 4]), r([1, 4])]);
add('cdist p 2', (a, b) => st.cdist(a, b), () => [r([3, 4]), r([2, 4])]);
add('cdist p 2 mm path batched', (a, b) => st.cdist(a, b, { computeMode: 'use_mm_for_euclid_dist' }), () => [r([2, 3, 4]), r([1, 2, 4])]);
add('cdist p 1', (a, b) => st.cdist(a, b, 1), () => [r([3, 2]), r([2, 2])]);
add('cdist p 3 batch broadcast', (a, b) => st.cdist(a, b, 3), () => [r([2, 1, 3, 2]), r([2, 2, 2])]);
add('cdist p 0.5', (a, b) => st.cdist(a, b, 0.5), () => [r([2, 2]), r([3, 2])]);
add('cdist p inf', (a, b) => st.cdist(a, b, Infinity), () => [r([2, 3]), r([3, 3])]);

forEachBackend(() => {
  for (const c of checks) {
    test(c.name, () => {
      assert.equal(st.gradcheck(c.fn, c.inputs(), c.options), true);
    });
  }
});

test('gradcheck catches a wrong gradient and rejects bad inputs', () => {
  const wrong = (x: Tensor) => st.noGrad(() => x.exp()).add(x.mul(0)); // gradient 0 instead of exp(x)
  assert.throws(() => st.gradcheck(wrong, [rnd([3])]), /gradcheck: Jacobian mismatch/);
  assert.equal(st.gradcheck(wrong, [rnd([3])], { raiseException: false }), false);
  assert.throws(() => st.gradcheck(st.exp, [rnd([3], { dtype: 'float32' })]), /float64/);
  assert.throws(() => st.gradcheck(st.exp, [rnd([3], { requiresGrad: false })]), /no input has requiresGrad/);
  assert.throws(() => st.gradcheck(st.exp, [rnd([3]).mul(2)]), /leaves/);
  assert.throws(() => st.gradcheck(st.exp, [rnd([1], { requiresGrad: false }).expand(3).requiresGrad_()]), /expanded/);
});
