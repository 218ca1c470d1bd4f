/**
 * The native backend against the reference kernels, for every kernel, over
 * tables of shapes and layouts, at every CPU level this machine runs
 * (scalar, avx2, avx512 and avx512sim — the AVX-512 source built for AVX2).
 *
 * Skips (does not fail) when the addon was not built, so CI on a machine
 * without a C++ toolchain still passes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type {
  AdamStepOptions, Backend, BinaryOp, Conv2dGeometry, ConvPostAct, MatmulArgs, Pool2dGeometry, ReduceOp, ScalarOp, SgdStepOptions,
  UnaryOp, View,
} from '../../src/backend/interface.js';
import { jsFused } from '../../src/backend/js/fused.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { CpuLevel, holdNativeWorkers, nativeBackend, nativeInfo, setNativeCpuLevel, setNativeThreads } from '../../src/backend/native/index.js';
import { getBackend } from '../../src/backend/registry.js';
import * as st from '../../src/index.js';
import {
  abs, assertClose, assertEqualArrays, contiguousStrides, LAYOUTS, makeView, poolOut, randInt, rng, sizeOf, spicy,
  uniform,
} from './native-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const info = nativeInfo();
const notBuilt = info.loaded ? false : `native addon not available (${info.error}) — native tests skipped`;
const ref: Backend = jsBackend;
// Non-null inside the suites: they are skipped when the addon did not load.
const nat = (): Backend => nativeBackend as Backend;

/** A contiguous 1-D view of a whole array. */
const flat = (a: Float32Array): View => ({ data: a, shape: [a.length], strides: [1], offset: 0 });

type ConvPass = 'forward' | 'backward input' | 'backward weight';
const convPassRunners: Record<ConvPass, (k: Backend, a: Float32Array, b: Float32Array, bias: Float32Array | null, g: Conv2dGeometry, out: Float32Array) => void> = {
  forward: (k, x, w, bias, g, out) => k.conv2d(x, w, bias, g, out),
  'backward input': (k, gy, w, _bias, g, out) => k.conv2dBackwardInput(gy, w, g, out),
  'backward weight': (k, gy, x, _bias, g, out) => k.conv2dBackwardWeight(gy, x, g, out),
};

/**
 * One convolution pass on the native backend (output pre-filled with NaN, so every element must be
 * written) against the reference, with tolerances scaled by the pass over |inputs|. Returns the
 * reference result.
 */
function checkConvPass(pass: ConvPass, g: Conv2dGeometry, a: Float32Array, b: Float32Array, bias: Float32Array | null, length: number, label: string): Float32Array {
  const run = convPassRunners[pass];
  const got = new Float32Array(length).fill(NaN);
  const want = new Float32Array(length);
  const scale = new Float32Array(length);
  run(nat(), a, b, bias, g, got);
  run(ref, a, b, bias, g, want);
  run(ref, abs(a), abs(b), bias ? abs(bias) : null, g, scale);
  assertClose(got, want, { label: `${label} ${pass}`, rtol: 1e-5, atol: 1e-6, scale });
  return want;
}

const LEVELS: CpuLevel[] = ['scalar', 'avx2', 'avx512', 'avx512sim'];

/**
 * Thread settings multi-thread kernels are checked under: the pool; the pool with its workers held, so the
 * caller runs every task one after another (a kernel must not tie a task to a thread, e.g. through
 * thread-local scratch); one thread; and more threads than cores.
 */
interface ThreadMode { threads: number; held: boolean; label: string }
const threadModes = (extra: number[] = []): ThreadMode[] => [
  { threads: info.threads, held: false, label: `threads ${info.threads}` },
  { threads: Math.max(2, info.threads), held: true, label: `threads ${Math.max(2, info.threads)}, workers held` },
  ...[1, ...extra].map((threads) => ({ threads, held: false, label: `threads ${threads}` })),
];
function useThreadMode(mode: ThreadMode): void {
  setNativeThreads(mode.threads);
  holdNativeWorkers(mode.held);
}
function resetThreads(): void {
  holdNativeWorkers(false);
  setNativeThreads(info.threads);
}

const UNARY_OPS: UnaryOp[] = [
  'neg', 'abs', 'sign', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid',
  'relu', 'floor', 'ceil', 'round', 'trunc', 'log1p', 'expm1', 'erf', 'logicalNot', 'isnan', 'isinf', 'softplus',
  'silu', 'gelu', 'geluTanh', 'hardswish', 'hardsigmoid', 'mish',
];
const SCALAR_CASES: [ScalarOp, number, number][] = [
  ['clamp', -0.5, 0.75], ['clamp', 0.75, -0.5], ['clamp', NaN, 0.2], ['clamp', -0.1, NaN], ['powScalar', 2, 0], ['powScalar', 3, 0],
  ['powScalar', 0.5, 0], ['powScalar', -1.5, 0], ['rpowScalar', 2, 0], ['rpowScalar', 0.3, 0], ['leakyRelu', 0.01, 0],
  ['elu', 1.3, 0], ['softplusBeta', 2, 20], ['softplusBeta', 0.5, 5], ['threshold', 0.1, -7], ['hardtanh', -1, 1],
];
const BINARY_OPS: BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'fmod', 'remainder', 'floorDiv', 'eq', 'ne', 'lt',
  'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'reluBackward',
];
const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']);
const SHAPES: number[][] = [[], [1], [7], [64], [13, 17], [3, 1, 5], [2, 3, 4, 5], [37, 129], [5, 4099], [300, 301]];

function outFor(v: View): Float32Array {
  return new Float32Array(sizeOf(v.shape));
}

// ---- loader / environment ------------------------------------------------------------------

describe('native backend: loading', { skip: notBuilt }, () => {
  it('is registered as the default backend', () => {
    assert.equal(getBackend(), 'native');
    assert.ok(info.threads >= 1);
    assert.ok(info.supportedLevels.includes('scalar'));
  });

  it('STRATA_CPU forces the CPU level, and an unsupported level warns and falls back', () => {
    const addon = path.join(root, 'build', 'Release', 'strata_native.node');
    for (const level of ['scalar', 'avx2', 'avx512', 'nonsense']) {
      const r = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); console.log(JSON.stringify({ level: a.info().level, warning: a.levelWarning }))`], {
        env: { ...process.env, STRATA_CPU: level },
        encoding: 'utf8',
        timeout: 30000,
      });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { level: string; warning: string };
      if (info.supportedLevels.includes(level as CpuLevel)) {
        assert.equal(out.level, level);
        assert.equal(out.warning, '');
      } else {
        assert.equal(out.level, info.bestLevel);
        assert.match(out.warning, /STRATA_CPU/);
      }
    }
  });

  it('STRATA_NUM_THREADS sizes the pool', () => {
    const addon = path.join(root, 'build', 'Release', 'strata_native.node');
    const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addon)}).info().threads)`], {
      env: { ...process.env, STRATA_NUM_THREADS: '3' },
      encoding: 'utf8',
    });
    assert.equal(r.stdout.trim(), '3');
  });

  it('st.setNumThreads / st.getNumThreads resize the pool as torch.set_num_threads / get_num_threads', () => {
    const before = st.getNumThreads();
    assert.equal(before, info.threads);
    try {
      for (const n of [1, 3, 2]) {
        st.setNumThreads(n);
        assert.equal(st.getNumThreads(), n);
        const a = st.rand([64, 48]);
        assert.ok(st.matmul(a, a.t()).sub(st.withBackend('js', () => st.matmul(a, a.t()))).abs().max().item() < 1e-4);
      }
      for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => st.setNumThreads(bad), /setNumThreads: expected a positive integer/);
    } finally {
      st.setNumThreads(before);
    }
  });

  it('a process with a busy thread pool exits promptly (also through process.exit)', () => {
    const addon = path.join(root, 'build', 'Release', 'strata_native.node');
    const script = (exit: string) => `
      const a = require(${JSON.stringify(addon)});
      a.setNumThreads(4);
      const n = 300, A = new Float32Array(n * n).fill(1), C = new Float32Array(n * n);
      for (let i = 0; i < 5; i++) a.matmul(A, A, C, new Float64Array([1, n, n, n, 0, 0, 0, 0, 0, 0, 1, 0]));
      if (C[0] !== n) throw new Error('bad result');
      ${exit}`;
    for (const exit of ['', 'process.exit(0)', 'setTimeout(() => {}, 10)']) {
      const started = Date.now();
      const r = spawnSync(process.execPath, ['-e', script(exit)], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 0, `exit '${exit}': ${r.stderr} ${r.error ?? ''}`);
      assert.ok(Date.now() - started < 10000, 'took too long to exit');
    }
  });

  it('falls back to the JavaScript backend with one warning when the addon cannot load', () => {
    const entry = path.join(root, 'src', 'backend', 'native', 'index.ts');
    const registry = path.join(root, 'src', 'backend', 'registry.ts');
    const code = `
      const n = await import(${JSON.stringify(entry)});
      const r = await import(${JSON.stringify(registry)});
      await import(${JSON.stringify(entry)} + '?again');
      console.log(JSON.stringify({ loaded: n.nativeInfo().loaded, backend: r.getBackend() }));`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      env: { ...process.env, STRATA_NATIVE_ADDON: path.join(root, 'build', 'nope.node') },
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout.trim().split('\n').pop() as string), { loaded: false, backend: 'js' });
    const warnings = res.stderr.split('\n').filter((l) => l.includes('Strata native backend unavailable'));
    assert.equal(warnings.length, 1, res.stderr);
  });

  it('the ISA objects share no inline symbols (which the linker could resolve to the wrong ISA)', (t) => {
    const objDir = path.join(root, 'build', 'Release', 'obj.target');
    const nm = spawnSync('nm', ['--version'], { encoding: 'utf8' });
    if (!existsSync(objDir) || nm.status !== 0) {
      t.skip('no build objects or no nm');
      return;
    }
    const objects: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/isa_.*\.o$/.test(e.name)) objects.push(p);
      }
    };
    walk(objDir);
    assert.ok(objects.length >= 2);
    for (const o of objects) {
      const r = spawnSync('nm', ['-C', o], { encoding: 'utf8' });
      const weak = r.stdout.split('\n').filter((l) => / [WVu] /.test(l) && !l.includes('DW.ref.__gxx_personality'));
      assert.deepEqual(weak, [], `${path.basename(o)} defines shared inline symbols`);
    }
  });

  it('rejects arrays too small for the described views instead of reading out of bounds', () => {
    const x: View = { data: new Float32Array(10), shape: [4, 4], strides: [4, 1], offset: 0 };
    assert.throws(() => nat().unary('exp', x, new Float32Array(16)), RangeError);
    const args: MatmulArgs = { batch: 1, m: 4, n: 4, k: 4, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0 };
    assert.throws(() => nat().matmul(new Float32Array(15), new Float32Array(16), new Float32Array(16), args), RangeError);
    assert.throws(() => nat().matmul(new Float32Array(16), new Float32Array(16), new Float32Array(15), args), RangeError);
  });

  it('delegates float64 / int32 / bool arrays to the reference kernels', () => {
    const r = rng(5);
    const data = Float64Array.from(uniform(r, 12));
    const v: View = { data, shape: [3, 4], strides: [4, 1], offset: 0 };
    const o1 = new Float64Array(12);
    const o2 = new Float64Array(12);
    nat().unary('tanh', v, o1);
    ref.unary('tanh', v, o2);
    assertEqualArrays(o1, o2, 'float64 tanh');
    const iv: View = { data: Int32Array.from([1, -2, 3, 4]), shape: [4], strides: [1], offset: 0 };
    const i1 = new Int32Array(4);
    nat().unary('neg', iv, i1);
    assertEqualArrays(i1, [-1, 2, -3, -4], 'int32 neg');
  });
});

// ---- every kernel at every CPU level -------------------------------------------------------------

for (const level of LEVELS) {
  const unsupported = info.loaded && !info.supportedLevels.includes(level)
    ? `this CPU does not support ${level} (supported: ${info.supportedLevels.join(', ')})`
    : false;
  describe(`native kernels @ ${level}`, { skip: notBuilt || unsupported }, () => {
    before(() => {
      assert.equal(setNativeCpuLevel(level), level);
      assert.equal(nativeInfo().level, level);
    });
    after(() => {
      setNativeCpuLevel(info.level as CpuLevel);
      resetThreads();
    });

    it('copy: every layout, float32 and int32', () => {
      const r = rng(1);
      for (const shape of SHAPES) {
        for (const layout of LAYOUTS) {
          const v = makeView(shape, layout, (n) => uniform(r, n));
          const a = outFor(v);
          const b = outFor(v);
          nat().copy(v, a);
          ref.copy(v, b);
          assertEqualArrays(a, b, `copy ${layout} [${shape}]`);
          const iv = makeView(shape, layout, (n) => Int32Array.from(uniform(r, n, 1000)));
          const ia = new Int32Array(sizeOf(shape));
          const ib = new Int32Array(sizeOf(shape));
          nat().copy(iv, ia);
          ref.copy(iv, ib);
          assertEqualArrays(ia, ib, `copy int32 ${layout} [${shape}]`);
        }
      }
      // Batched transposes (the tiled path): [B, R, C] read from [B, C, R] storage, with an offset.
      for (const [B, R, C] of [[1, 16, 16], [3, 40, 50], [2, 33, 100], [4, 70, 17]]) {
        const tv: View = { data: uniform(r, B * R * C + 5), shape: [B, R, C], strides: [R * C, 1, R], offset: 5 };
        const a = new Float32Array(B * R * C);
        const b = new Float32Array(B * R * C);
        nat().copy(tv, a);
        ref.copy(tv, b);
        assertEqualArrays(a, b, `copy batched transpose ${B}x${R}x${C}`);
      }
      // A broadcast source.
      const bv = makeView([5, 6, 7], 'contiguous', (n) => uniform(r, n), [1]);
      const a = new Float32Array(210);
      const b = new Float32Array(210);
      nat().copy(bv, a);
      ref.copy(bv, b);
      assertEqualArrays(a, b, 'copy broadcast');
    });

    it('unary: every op, special values, every layout', () => {
      const r = rng(2);
      for (const op of UNARY_OPS) {
        for (const shape of [[0], [1], [5], [17], [3, 1, 7], [33, 65]]) {
          for (const layout of LAYOUTS) {
            const v = makeView(shape, layout, (n) => spicy(r, n));
            const a = outFor(v);
            const b = outFor(v);
            nat().unary(op, v, a);
            ref.unary(op, v, b);
            assertClose(a, b, { label: `${op} ${layout} [${shape}]`, rtol: 2e-6, atol: 1e-7 });
          }
        }
        if (op === 'isnan' || op === 'isinf' || op === 'logicalNot') {
          const v = makeView([9, 11], 'transposed', (n) => spicy(r, n));
          const a = new Uint8Array(99);
          const b = new Uint8Array(99);
          nat().unary(op, v, a);
          ref.unary(op, v, b);
          assertEqualArrays(a, b, `${op} → bool`);
        }
      }
    });

    it('unary: large arrays (threaded) match', () => {
      const r = rng(3);
      for (const op of ['exp', 'tanh', 'sigmoid', 'relu', 'gelu', 'log'] as UnaryOp[]) {
        const v = makeView([301, 1037], 'contiguous', (n) => uniform(r, n, 6));
        const a = outFor(v);
        const b = outFor(v);
        nat().unary(op, v, a);
        ref.unary(op, v, b);
        assertClose(a, b, { label: `${op} large`, rtol: 2e-6 });
      }
    });

    it('scalar: every op and parameters', () => {
      const r = rng(4);
      for (const [op, pa, pb] of SCALAR_CASES) {
        for (const shape of [[1], [19], [4, 33], [257, 31]]) {
          for (const layout of LAYOUTS) {
            const v = makeView(shape, layout, (n) => spicy(r, n, 3));
            const a = outFor(v);
            const b = outFor(v);
            nat().scalar(op, v, pa, pb, a);
            ref.scalar(op, v, pa, pb, b);
            assertClose(a, b, { label: `${op}(${pa}, ${pb}) ${layout} [${shape}]`, rtol: 1e-6 });
          }
        }
      }
    });

    it('clamp and hardtanh (float vectors) equal the double reference exactly, at bounds that are not floats', () => {
      const bits = new Float32Array(1), word = new Int32Array(bits.buffer);
      const step = (x: number, d: number) => { bits[0] = x; word[0] += x >= 0 ? d : -d; return bits[0]; };
      for (const [lo, hi] of [[0.1, 0.3], [-0.7, 1 / 3], [0.3, 0.1], [1e-46, 1e300], [-Infinity, 2 / 3]]) {
        const values = [NaN, Infinity, -Infinity, 0, -0];
        for (const bound of [lo, hi]) {
          const f = Math.fround(bound);
          if (Number.isFinite(f)) values.push(f, step(f, 1), step(f, -1), -f);
        }
        const x = Float32Array.from({ length: 3 * values.length + 5 }, (_, i) => values[i % values.length]);
        for (const op of ['clamp', 'hardtanh'] as const) {
          const v = makeView([x.length], 'contiguous', () => x);
          const a = outFor(v), b = outFor(v);
          nat().scalar(op, v, lo, hi, a);
          ref.scalar(op, v, lo, hi, b);
          assertEqualArrays(a, b, `${op}(${lo}, ${hi})`);
        }
      }
    });

    it('binary: every op, broadcasting and layouts, float and bool outputs', () => {
      const r = rng(6);
      const cases: { shape: number[]; ba: number[]; bb: number[] }[] = [
        { shape: [1], ba: [], bb: [] },
        { shape: [23], ba: [], bb: [] },
        { shape: [23], ba: [], bb: [0] },
        { shape: [23], ba: [0], bb: [] },
        { shape: [5, 6, 7], ba: [1], bb: [0, 2] },
        { shape: [31, 67], ba: [], bb: [0] },
        { shape: [31, 67], ba: [], bb: [1] },
        { shape: [2, 3, 4, 5], ba: [0, 3], bb: [1] },
        { shape: [129, 257], ba: [], bb: [0] },
      ];
      for (const op of BINARY_OPS) {
        for (const c of cases) {
          for (let t = 0; t < 3; t++) {
            const la = LAYOUTS[randInt(r, 0, LAYOUTS.length - 1)];
            const lb = LAYOUTS[randInt(r, 0, LAYOUTS.length - 1)];
            const va = makeView(c.shape, la, (n) => spicy(r, n, 3), c.ba);
            const vb = makeView(c.shape, lb, (n) => spicy(r, n, 3), c.bb);
            const a = outFor(va);
            const b = outFor(va);
            nat().binary(op, va, vb, a);
            ref.binary(op, va, vb, b);
            assertClose(a, b, { label: `${op} ${la}/${lb} [${c.shape}] bcast ${c.ba}|${c.bb}`, rtol: 1e-6 });
            if (COMPARISONS.has(op)) {
              const ua = new Uint8Array(a.length);
              const ub = new Uint8Array(a.length);
              nat().binary(op, va, vb, ua);
              ref.binary(op, va, vb, ub);
              assertEqualArrays(ua, ub, `${op} → bool`);
            }
          }
        }
      }
      // A large threaded add with a row broadcast.
      const va = makeView([500, 301], 'contiguous', (n) => uniform(r, n));
      const vb = makeView([500, 301], 'contiguous', (n) => uniform(r, n), [0]);
      const a = outFor(va);
      const b = outFor(va);
      nat().binary('add', va, vb, a);
      ref.binary('add', va, vb, b);
      assertEqualArrays(a, b, 'large add');
    });

    it('where: broadcasting and layouts', () => {
      const r = rng(7);
      for (const shape of [[1], [17], [4, 9], [3, 5, 7], [200, 300]]) {
        for (let t = 0; t < 6; t++) {
          const bc = (k: number) => (shape.length > 1 && r() < 0.4 ? [randInt(r, 0, shape.length - 1)] : []).slice(0, k);
          const cond = makeView(shape, LAYOUTS[t % 5], (n) => Uint8Array.from({ length: n }, () => (r() < 0.5 ? 0 : randInt(r, 1, 3))), bc(1));
          const va = makeView(shape, LAYOUTS[(t + 1) % 5], (n) => spicy(r, n), bc(1));
          const vb = makeView(shape, LAYOUTS[(t + 2) % 5], (n) => spicy(r, n), bc(1));
          const a = new Float32Array(sizeOf(shape));
          const b = new Float32Array(sizeOf(shape));
          nat().where(cond, va, vb, a);
          ref.where(cond, va, vb, b);
          assertEqualArrays(a, b, `where [${shape}]`);
        }
      }
    });

    it('reduce: every op over every axis subset, NaN and bool outputs', () => {
      const r = rng(8);
      const ops: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'any', 'all'];
      const shapes = [[0], [1], [7], [3, 5], [4, 1, 6], [2, 3, 4, 5], [3, 0, 2]];
      for (const op of ops) {
        for (const shape of shapes) {
          const rank = shape.length;
          for (let mask = 0; mask < 1 << rank; mask++) {
            const dims = [...Array(rank).keys()].filter((d) => mask & (1 << d));
            const outShape = shape.filter((_, d) => !dims.includes(d));
            const n = sizeOf(shape);
            const x = op === 'prod' ? uniform(r, n, 2) : op === 'any' || op === 'all' ? Float32Array.from({ length: n }, () => (r() < 0.3 ? 0 : r() < 0.1 ? NaN : 1)) : spicy(r, n);
            const a = new Float32Array(sizeOf(outShape));
            const b = new Float32Array(sizeOf(outShape));
            nat().reduce(op, x, shape, dims, a);
            ref.reduce(op, x, shape, dims, b);
            const scale = new Float32Array(b.length);
            if (op === 'sum') ref.reduce('sum', abs(x), shape, dims, scale);
            assertClose(a, b, { label: `${op} [${shape}] dims ${dims}`, rtol: 1e-6, scale: op === 'sum' ? scale : undefined });
            if (op === 'any' || op === 'all') {
              const ua = new Uint8Array(b.length);
              const ub = new Uint8Array(b.length);
              nat().reduce(op, x, shape, dims, ua);
              ref.reduce(op, x, shape, dims, ub);
              assertEqualArrays(ua, ub, `${op} → bool`);
            }
          }
        }
      }
      // Large, threaded: batch-norm statistics, rows, columns, everything.
      const big: [number[], number[]][] = [
        [[8, 16, 15, 15], [0, 2, 3]], [[300, 1000], [1]], [[300, 1000], [0]], [[300, 1000], [0, 1]], [[7, 3, 40001], [0, 2]],
      ];
      for (const [shape, dims] of big) {
        for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
          const x = uniform(r, sizeOf(shape), 3);
          if (op !== 'sum' && r() < 0.5) x[randInt(r, 0, x.length - 1)] = NaN;
          const outN = sizeOf(shape.filter((_, d) => !dims.includes(d)));
          const a = new Float32Array(outN);
          const b = new Float32Array(outN);
          nat().reduce(op, x, shape, dims, a);
          ref.reduce(op, x, shape, dims, b);
          const scale = new Float32Array(outN);
          ref.reduce('sum', abs(x), shape, dims, scale);
          assertClose(a, b, { label: `${op} [${shape}] dims ${dims}`, rtol: 1e-6, scale: op === 'sum' ? scale : undefined });
        }
      }
    });

    it('argReduce: ties keep the first index, NaN wins', () => {
      const r = rng(9);
      for (const shape of [[1], [9], [4, 7], [3, 5, 6], [2, 300, 3], [700, 257]]) {
        for (let dim = 0; dim < shape.length; dim++) {
          for (const op of ['argmax', 'argmin'] as const) {
            const n = sizeOf(shape);
            const x = Float32Array.from({ length: n }, () => (r() < 0.02 ? NaN : randInt(r, -3, 3)));
            const outN = n / shape[dim];
            const a = new Int32Array(outN);
            const b = new Int32Array(outN);
            nat().argReduce(op, x, shape, dim, a);
            ref.argReduce(op, x, shape, dim, b);
            assertEqualArrays(a, b, `${op} [${shape}] dim ${dim}`);
          }
        }
      }
    });

    it('softmax / log-softmax: inner 1 and > 1, -inf and NaN rows', () => {
      const r = rng(10);
      const cases = [[1, 1, 1], [3, 1, 1], [2, 7, 1], [5, 1000, 1], [3, 17, 5], [2, 9, 300], [64, 10, 1], [4, 33, 257]];
      for (const [outer, size, inner] of cases) {
        for (const log of [false, true]) {
          const n = outer * size * inner;
          const x = uniform(r, n, 10);
          if (n > 20) {
            x[3] = -Infinity;
            x[n - 2] = NaN;
          }
          if (inner === 1 && outer > 1 && size > 1) for (let i = size; i < 2 * size; i++) x[i] = -Infinity; // an all -inf row
          const a = new Float32Array(n);
          const b = new Float32Array(n);
          nat().softmax(x, outer, size, inner, log, a);
          ref.softmax(x, outer, size, inner, log, b);
          // log-softmax: x − logΣ cancels; tolerance relative to |x| + |logΣ|.
          const scale = log ? Float32Array.from(x, (v, i) => Math.abs(v) + Math.abs(v - b[i])) : undefined;
          assertClose(a, b, { label: `softmax log=${log} ${outer}x${size}x${inner}`, rtol: 2e-6, atol: 1e-7, scale });
        }
      }
    });

    it('matmul: odd sizes, transposes, batches with broadcast, offsets, alpha/beta', () => {
      const r = rng(11);
      const sizes = [1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33, 64, 65, 97, 127, 200, 300];
      const cases: MatmulArgs[] = [];
      const add = (m: number, n: number, k: number, extra: Partial<MatmulArgs> = {}) =>
        cases.push({ batch: 1, m, n, k, transA: false, transB: false, aOffset: 0, bOffset: 0, aBatchStride: 0, bBatchStride: 0, ...extra });
      for (let i = 0; i < 40; i++) {
        add(sizes[randInt(r, 0, sizes.length - 1)], sizes[randInt(r, 0, sizes.length - 1)], sizes[randInt(r, 0, sizes.length - 1)], {
          transA: r() < 0.5, transB: r() < 0.5,
        });
      }
      add(1, 1, 1);
      add(300, 300, 300);
      add(300, 300, 300, { transA: true, transB: true });
      add(7, 300, 5, { transB: true });
      add(300, 3, 257, { transA: true });
      add(64, 700, 150);
      // Deeper than one depth block of a plain product (512 on AVX-512, 256 on AVX2): the epilogue runs on the last.
      add(37, 70, 1100, { alpha: 1.5, beta: 0.5 });
      add(29, 45, 1030, { transA: true, transB: true });
      add(13, 50, 600, { beta: 1, transB: true });
      // Threads along one dimension take it in several chunks each (gemm_run): wide and tall products.
      add(7, 5000, 33);
      add(6, 4100, 64, { alpha: 2, beta: 0.5, transB: true });
      add(5000, 9, 64, { transA: true });
      add(3000, 17, 40, { beta: 1 });
      add(5, 5, 0);
      add(5, 6, 0, { beta: 0.5 });
      add(13, 17, 19, { alpha: 2.5, beta: 0.5 });
      add(130, 170, 190, { alpha: -1, beta: 1 });
      add(33, 65, 17, { aOffset: 7, bOffset: 3 });
      for (const [ab, bb] of [[1, 1], [0, 1], [1, 0]]) {
        const m = 23, n = 29, k = 31;
        add(m, n, k, { batch: 3, aBatchStride: ab * m * k, bBatchStride: bb * k * n, aOffset: 2, bOffset: 1 });
        add(m, n, k, { batch: 4, aBatchStride: ab * m * k, bBatchStride: bb * k * n, transA: true, transB: true, beta: 2 });
      }
      add(40, 37, 30, { batch: 12, aBatchStride: 40 * 30, bBatchStride: 0 });
      add(4, 4, 4, { batch: 50, aBatchStride: 16, bBatchStride: 16 });
      for (const mode of threadModes([3])) {
        useThreadMode(mode);
        for (const c of cases) {
          const aLen = c.aOffset + (c.batch - 1) * c.aBatchStride + c.m * c.k;
          const bLen = c.bOffset + (c.batch - 1) * c.bBatchStride + c.k * c.n;
          const A = uniform(r, aLen);
          const B = uniform(r, bLen);
          const C0 = uniform(r, c.batch * c.m * c.n);
          if (!(c.beta ?? 0)) C0[0] = NaN; // beta = 0 must ignore the old contents
          const a = C0.slice();
          const b = C0.slice();
          nat().matmul(A, B, a, c);
          ref.matmul(A, B, b, c);
          const s = abs(C0);
          if (!(c.beta ?? 0)) s[0] = 0;
          ref.matmul(abs(A), abs(B), s, { ...c, alpha: Math.abs(c.alpha ?? 1), beta: Math.abs(c.beta ?? 0) });
          assertClose(a, b, { label: `matmul ${JSON.stringify(c)} ${mode.label}`, rtol: 1e-5, atol: 1e-6, scale: s });
        }
      }
      resetThreads();
    });

    it('fused sgdStep / adamStep: bit-identical to the reference optimizer arithmetic', () => {
      const r = rng(14);
      const n = 40001;
      const sgdCases: SgdStepOptions[] = [
        { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: false },
        { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false, maximize: false, firstStep: true },
        { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true, maximize: false, firstStep: false },
        { lr: 0.05, momentum: 0.5, dampening: 0.3, weightDecay: 0, nesterov: false, maximize: true, firstStep: false },
      ];
      for (const o of sgdCases) {
        const p0 = uniform(r, n);
        const g = uniform(r, n);
        const b0 = uniform(r, n);
        const [p1, p2, b1, b2] = [p0.slice(), p0.slice(), b0.slice(), b0.slice()];
        for (let step = 0; step < 3; step++) {
          nat().sgdStep!(p1, g, o.momentum ? b1 : null, o);
          jsFused.sgdStep(p2, g, o.momentum ? b2 : null, o);
        }
        assertEqualArrays(p1, p2, `sgd ${JSON.stringify(o)} param`);
        assertEqualArrays(b1, b2, `sgd ${JSON.stringify(o)} buffer`);
      }
      const adamCases: Omit<AdamStepOptions, 'step'>[] = [
        { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupled: false },
        { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, amsgrad: true, maximize: false, decoupled: false },
        { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: true, decoupled: true },
      ];
      for (const o of adamCases) {
        const p0 = uniform(r, n);
        const [p1, p2] = [p0.slice(), p0.slice()];
        const st = () => [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
        const [m1, v1, x1] = st();
        const [m2, v2, x2] = st();
        for (let step = 1; step <= 4; step++) {
          const g = uniform(r, n);
          if (step === 2) g[7] = NaN; // NaN through the moments (and amsgrad's running maximum)
          nat().adamStep!(p1, g, m1, v1, o.amsgrad ? x1 : null, { ...o, step });
          jsFused.adamStep(p2, g, m2, v2, o.amsgrad ? x2 : null, { ...o, step });
        }
        assertEqualArrays(p1, p2, `adam ${JSON.stringify(o)} param`);
        assertEqualArrays(m1, m2, 'adam expAvg');
        assertEqualArrays(v1, v2, 'adam expAvgSq');
        assertEqualArrays(x1, x2, 'adam maxExpAvgSq');
      }
    });

    it('fused batchNormForward / batchNormBackward', () => {
      const r = rng(15);
      for (const [N, C, S] of [[2, 3, 1], [4, 5, 49], [8, 16, 225], [3, 7, 1001]]) {
        for (const affine of [true, false]) {
          for (const training of [true, false]) {
            const x = uniform(r, N * C * S, 3).map((v, i) => v + (i % 5)); // nonzero means
            const w = affine ? uniform(r, C) : null;
            const b = affine ? uniform(r, C) : null;
            const mk = () => ({ mean: new Float64Array(C), invstd: new Float64Array(C), variance: new Float64Array(C), out: new Float32Array(N * C * S) });
            const A = mk();
            const B = mk();
            if (!training) {
              for (let c = 0; c < C; c++) {
                A.mean[c] = B.mean[c] = r() - 0.5;
                A.invstd[c] = B.invstd[c] = 1 / Math.sqrt(r() + 0.5 + 1e-5);
              }
            }
            nat().batchNormForward!(x, N, C, S, w, b, 1e-5, training, A.mean, A.invstd, A.variance, A.out);
            jsFused.batchNormForward(x, N, C, S, w, b, 1e-5, training, B.mean, B.invstd, B.variance, B.out);
            const label = `bn ${N}x${C}x${S} affine=${affine} training=${training}`;
            assertClose(A.mean, B.mean, { label: `${label} mean`, rtol: 1e-12, atol: 1e-12 });
            assertClose(A.invstd, B.invstd, { label: `${label} invstd`, rtol: 1e-10 });
            if (training) assertClose(A.variance, B.variance, { label: `${label} var`, rtol: 1e-10 });
            assertClose(A.out, B.out, { label: `${label} out`, rtol: 2e-6, atol: 1e-6 });
            const g = uniform(r, N * C * S);
            const sg = [new Float64Array(C), new Float64Array(C)];
            const sx = [new Float64Array(C), new Float64Array(C)];
            const gi = [new Float32Array(N * C * S), new Float32Array(N * C * S)];
            nat().batchNormBackward!(g, x, N, C, S, w, B.mean, B.invstd, training, sg[0], sx[0], gi[0]);
            jsFused.batchNormBackward(g, x, N, C, S, w, B.mean, B.invstd, training, sg[1], sx[1], gi[1]);
            assertClose(sg[0], sg[1], { label: `${label} sumG`, rtol: 1e-10, atol: 1e-10 });
            assertClose(sx[0], sx[1], { label: `${label} sumGX`, rtol: 1e-10, atol: 1e-10 });
            assertClose(gi[0], gi[1], { label: `${label} gradIn`, rtol: 1e-5, atol: 1e-6 });
          }
        }
      }
    });

    it('fused crossEntropyForward / crossEntropyBackward', () => {
      const r = rng(16);
      for (const [N, C, inner] of [[1, 1, 1], [5, 10, 1], [64, 1000, 1], [3, 7, 13], [2, 21, 50]]) {
        for (const weighted of [false, true]) {
          for (const eps of [0, 0.1]) {
            const logits = uniform(r, N * C * inner, 8);
            const target = Int32Array.from({ length: N * inner }, () => (r() < 0.1 ? -100 : randInt(r, 0, C - 1)));
            const weight = weighted ? Float64Array.from({ length: C }, () => r() * 2) : null;
            const lp = [new Float32Array(logits.length), new Float32Array(logits.length)];
            const loss = [new Float64Array(N * inner), new Float64Array(N * inner)];
            nat().crossEntropyForward!(logits, N, C, inner, target, weight, -100, eps, lp[0], loss[0]);
            jsFused.crossEntropyForward(logits, N, C, inner, target, weight, -100, eps, lp[1], loss[1]);
            const label = `ce ${N}x${C}x${inner} weighted=${weighted} eps=${eps}`;
            const lpScale = Float32Array.from(logits, (v, i) => Math.abs(v) + Math.abs(v - lp[1][i]));
            assertClose(lp[0], lp[1], { label: `${label} logp`, rtol: 2e-6, scale: lpScale });
            assertClose(loss[0], loss[1], { label: `${label} loss`, rtol: 1e-5, atol: 1e-6 });
            const coef = Float64Array.from({ length: N * inner }, () => r() * 2 - 1);
            const gr = [new Float32Array(logits.length).fill(NaN), new Float32Array(logits.length)];
            nat().crossEntropyBackward!(lp[1], N, C, inner, target, weight, -100, eps, coef, gr[0]);
            jsFused.crossEntropyBackward(lp[1], N, C, inner, target, weight, -100, eps, coef, gr[1]);
            assertClose(gr[0], gr[1], { label: `${label} grad`, rtol: 1e-5, atol: 1e-7 });
          }
        }
      }
      assert.throws(() => nat().crossEntropyForward!(new Float32Array(6), 2, 3, 1, Int32Array.from([0, 3]), null, -100, 0,
        new Float32Array(6), new Float64Array(2)), RangeError);
    });

    it('fused matmulBiasAct: bias per row or column, relu', () => {
      const r = rng(17);
      const cases: [number, number, number, number, boolean, boolean][] = [
        [1, 1, 1, 1, false, false], [1, 37, 29, 53, false, true], [1, 128, 300, 64, true, false], [3, 17, 33, 9, false, false],
        [2, 64, 70, 0, false, false], [1, 25, 40, 1100, false, true],
      ];
      for (const [batch, m, n, k, ta, tb] of cases) {
        for (const biasDim of ['row', 'col'] as const) {
          for (const act of ['none', 'relu'] as const) {
            const args: MatmulArgs = { batch, m, n, k, transA: ta, transB: tb, aOffset: 0, bOffset: 0, aBatchStride: m * k, bBatchStride: k * n, alpha: 1.5, beta: 0.5 };
            const A = uniform(r, batch * m * k);
            const B = uniform(r, batch * k * n);
            const bias = uniform(r, biasDim === 'row' ? m : n);
            const C0 = uniform(r, batch * m * n);
            const [c1, c2] = [C0.slice(), C0.slice()];
            nat().matmulBiasAct!(A, B, c1, args, bias, biasDim, act);
            jsFused.matmulBiasAct(A, B, c2, args, bias, biasDim, act);
            const s = abs(C0);
            ref.matmul(abs(A), abs(B), s, { ...args, beta: 0.5 });
            for (let i = 0; i < s.length; i++) s[i] += 1;
            assertClose(c1, c2, { label: `matmulBiasAct ${batch}x${m}x${n}x${k} ${biasDim} ${act}`, rtol: 1e-5, scale: s });
          }
        }
      }
    });

    const convCases: Conv2dGeometry[] = [];
    const conv = (n: number, inC: number, inH: number, inW: number, outC: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], groups: number) => {
      const outH = Math.floor((inH + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
      const outW = Math.floor((inW + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
      convCases.push({ n, inC, inH, inW, outC, outH, outW, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], dilationH: d[0], dilationW: d[1], groups });
    };
    conv(1, 1, 5, 5, 1, [3, 3], [1, 1], [0, 0], [1, 1], 1);
    conv(2, 3, 17, 19, 8, [3, 3], [1, 1], [1, 1], [1, 1], 1);
    conv(2, 3, 16, 16, 16, [7, 7], [2, 2], [3, 3], [1, 1], 1);
    conv(3, 8, 9, 11, 12, [1, 1], [1, 1], [0, 0], [1, 1], 1);
    conv(2, 37, 23, 29, 29, [1, 1], [1, 1], [0, 0], [1, 1], 1); // pointwise: several chunks, a partial tile, odd channel blocks
    conv(2, 8, 9, 11, 12, [1, 1], [2, 2], [0, 0], [1, 1], 1);
    conv(2, 6, 13, 13, 9, [3, 3], [2, 2], [1, 1], [1, 1], 3);
    conv(2, 4, 12, 10, 6, [3, 5], [1, 2], [2, 1], [2, 1], 2);
    conv(2, 5, 15, 15, 7, [3, 3], [3, 3], [0, 2], [1, 2], 1);
    conv(4, 16, 3, 3, 20, [3, 3], [1, 1], [1, 1], [1, 1], 1); // tiles spanning several images
    conv(5, 7, 4, 4, 33, [2, 2], [1, 1], [0, 0], [1, 1], 1);
    conv(2, 8, 10, 10, 8, [3, 3], [1, 1], [1, 1], [1, 1], 8); // depthwise
    conv(2, 8, 11, 11, 16, [3, 3], [2, 2], [1, 1], [1, 1], 8); // depthwise, multiplier 2
    conv(1, 4, 9, 9, 4, [5, 5], [1, 1], [4, 4], [2, 2], 4); // depthwise, dilated, big padding
    conv(2, 1, 12, 12, 10, [5, 5], [1, 1], [2, 2], [1, 1], 1); // one input channel
    conv(2, 6, 13, 17, 6, [3, 3], [3, 3], [1, 1], [1, 1], 6); // depthwise, stride 3
    conv(1, 3, 6, 6, 3, [3, 3], [1, 1], [3, 3], [1, 1], 3); // depthwise, padding beyond the kernel
    conv(2, 16, 30, 75, 16, [3, 3], [2, 2], [1, 1], [1, 1], 16); // depthwise, wide stride-2 rows
    conv(1, 5, 40, 70, 5, [5, 5], [1, 1], [2, 2], [1, 1], 5); // depthwise 5×5, vector blocks and tails
    conv(1, 3, 7, 7, 4, [3, 3], [1, 1], [3, 3], [1, 1], 1); // padding larger than (k − 1)
    conv(2, 6, 1, 5, 3, [1, 2], [1, 1], [0, 2], [1, 1], 3); // grouped, padding beyond the kernel (backward input: col2im)
    conv(2, 4, 6, 6, 4, [1, 1], [1, 1], [1, 1], [1, 1], 1); // 1×1 with padding
    conv(1, 64, 14, 14, 70, [3, 3], [1, 1], [1, 1], [1, 1], 1);
    conv(2, 32, 15, 15, 48, [3, 3], [2, 2], [1, 1], [1, 1], 1);
    conv(1, 3, 40, 40, 64, [7, 7], [2, 2], [3, 3], [1, 1], 1);
    conv(1, 2, 9, 140, 3, [3, 3], [2, 2], [1, 1], [1, 1], 1); // wide stride-2 rows (full panels at every level)
    conv(2, 12, 8, 8, 12, [1, 1], [1, 1], [0, 0], [1, 1], 3);
    conv(5, 32, 21, 21, 40, [3, 3], [2, 2], [1, 1], [1, 1], 1); // strided backward input: images split over threads (5 of them)
    conv(4, 64, 18, 18, 48, [3, 3], [2, 2], [1, 1], [1, 1], 2); // the same, grouped
    conv(5, 64, 16, 16, 96, [1, 1], [2, 2], [0, 0], [1, 1], 1); // the same, 1×1 stride 2 (ResNet's shortcut)
    conv(3, 64, 64, 64, 8, [3, 3], [2, 2], [1, 1], [1, 1], 1); // the same, one image per dcol chunk: several chunks per thread
    conv(1, 2, 3, 70, 3, [1, 65], [1, 1], [0, 2], [1, 1], 1); // a kernel wider than the packer's tables
    conv(1, 2, 70, 3, 3, [66, 2], [2, 1], [1, 0], [1, 1], 1);
    conv(64, 1, 28, 28, 6, [5, 5], [1, 1], [2, 2], [1, 1], 1); // LeNet-5 conv1 (direct kernels)
    conv(64, 6, 14, 14, 16, [5, 5], [1, 1], [0, 0], [1, 1], 1); // LeNet-5 conv2 (direct kernels)
    conv(3, 5, 11, 13, 32, [3, 3], [1, 1], [2, 2], [2, 2], 1); // direct, dilated, 32 output channels
    conv(2, 3, 9, 9, 7, [3, 2], [1, 1], [1, 0], [1, 1], 1); // direct, non-square kernel
    conv(3, 4, 12, 9, 5, [3, 3], [1, 1], [1, 1], [1, 1], 1); // direct, 6-row tile with a row to spare
    conv(2, 2, 7, 8, 1, [2, 3], [1, 1], [0, 1], [1, 1], 1); // direct, one output channel
    conv(3, 7, 9, 12, 32, [3, 3], [1, 1], [0, 0], [1, 1], 1); // direct, channels in the lanes: odd row count, two vectors on AVX-512
    conv(2, 3, 30, 30, 16, [5, 5], [1, 1], [0, 0], [1, 1], 1); // the same, rows of 26 in three chunks, 16 channels
    conv(3, 64, 9, 11, 65, [3, 3], [1, 1], [0, 0], [1, 1], 1); // Winograd F(2×2, 3×3): odd output 7×9, no padding
    conv(2, 80, 5, 6, 64, [3, 3], [1, 1], [2, 2], [1, 1], 1); // Winograd, padding 2 (backward-input: padding 0)
    conv(3, 64, 4, 4, 130, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd F(2×2), weights streamed in blocks (the last one partial)
    conv(33, 64, 4, 4, 160, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd F(4×4): one tile per image, weights streamed
    conv(32, 72, 5, 5, 136, [3, 3], [1, 1], [0, 0], [1, 1], 1); // the same for 3×3 maps (the tile reaches past the input)
    conv(2, 300, 6, 7, 70, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd, channels over two GEMM depth blocks
    conv(1, 64, 34, 21, 64, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd, tile rows longer than a vector
    conv(2, 64, 21, 19, 70, [3, 3], [1, 1], [0, 0], [1, 1], 1); // Winograd weight gradient: odd 19×17 output
    conv(2, 72, 16, 18, 64, [3, 3], [1, 1], [2, 2], [1, 1], 1); // Winograd weight gradient: padding 2
    conv(4, 64, 19, 19, 64, [3, 3], [1, 1], [0, 0], [1, 1], 1); // Winograd weight gradient: a vector of tiles across two depth blocks
    conv(1, 64, 6, 32, 64, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd: output rows of exactly 2·W columns at every level
    conv(1, 72, 5, 34, 70, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd: a full vector of tiles and a tail per row at every level
    conv(3, 64, 10, 10, 64, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd: 5-tile rows, a vector across tile rows and images
    conv(2, 66, 12, 12, 64, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd: 6-tile rows, groups of tile rows that end mid-image
    conv(2, 64, 5, 33, 64, [3, 3], [1, 1], [0, 0], [1, 1], 1); // Winograd: odd 31-wide output rows of whole vectors of tiles
    conv(1, 64, 8, 66, 64, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd F(4×4, 3×3): 17-tile rows (a vector and a tail at every level)
    conv(2, 64, 10, 64, 72, [3, 3], [1, 1], [1, 1], [1, 1], 1); // Winograd F(4×4): 16-tile rows, a partial last tile row
    conv(2, 66, 10, 11, 64, [3, 3], [1, 1], [0, 0], [1, 1], 1); // Winograd F(4×4): 8×9 output, no padding (backward input: padding 2)

    it('conv2d forward / backward input / backward weight', () => {
      const r = rng(12);
      for (const mode of threadModes()) {
        useThreadMode(mode);
        for (const g of convCases) {
          const label = `conv ${JSON.stringify(g)} ${mode.label}`;
          const cinG = g.inC / g.groups;
          const x = uniform(r, g.n * g.inC * g.inH * g.inW);
          const w = uniform(r, g.outC * cinG * g.kH * g.kW);
          const bias = r() < 0.5 ? uniform(r, g.outC) : null;
          const outN = g.n * g.outC * g.outH * g.outW;
          checkConvPass('forward', g, x, w, bias, outN, label);
          const gy = uniform(r, outN);
          checkConvPass('backward input', g, gy, w, null, x.length, label);
          checkConvPass('backward weight', g, gy, x, null, w.length, label);
        }
      }
      resetThreads();
    });

    // A fused inference convolution (evaluation-mode batch norm as scale/shift, then an activation) must give,
    // to the bit, what conv2d followed by the batch-norm and activation kernels give; the reference twin agrees.
    const postActs: [ConvPostAct, (y: Float32Array, out: Float32Array) => void][] = [
      ['none', (y, out) => out.set(y)],
      ['relu', (y, out) => nat().unary('relu', flat(y), out)],
      ['relu6', (y, out) => nat().scalar('hardtanh', flat(y), 0, 6, out)],
      ['silu', (y, out) => nat().unary('silu', flat(y), out)],
      ['hardswish', (y, out) => nat().unary('hardswish', flat(y), out)],
    ];
    it('conv2d with a fused batch norm and activation equals the separate kernels', () => {
      const r = rng(17);
      for (const mode of threadModes().slice(0, 2)) {
        useThreadMode(mode);
        convCases.forEach((g, ci) => {
          const [act, activate] = postActs[ci % postActs.length];
          const label = `fused conv ${JSON.stringify(g)} ${act} ${mode.label}`;
          const P = g.outH * g.outW;
          const x = spicy(r, g.n * g.inC * g.inH * g.inW, 2);
          const w = uniform(r, g.outC * (g.inC / g.groups) * g.kH * g.kW);
          const bias = ci % 2 ? uniform(r, g.outC) : null;
          // Shifts exact in float, as a batch norm's bias − 0·scale is; every third case without one of them.
          const scale = ci % 3 === 1 ? null : Float64Array.from(uniform(r, g.outC, 4));
          const shift = ci % 3 === 2 ? null : Float64Array.from(uniform(r, g.outC, 4));
          const got = new Float32Array(g.n * g.outC * P).fill(NaN);
          nat().conv2d(x, w, bias, g, got, { scale, shift, act });
          const y = new Float32Array(got.length);
          nat().conv2d(x, w, bias, g, y);
          if (scale || shift) {
            const invstd = scale ?? new Float64Array(g.outC).fill(1);
            nat().batchNormForward!(y, g.n, g.outC, P, null, shift ? Float32Array.from(shift) : null, 0, false, new Float64Array(g.outC), invstd, null, y);
          }
          const want = new Float32Array(got.length);
          activate(y, want);
          assertEqualArrays(got, want, label);
          const refOut = new Float32Array(got.length);
          ref.conv2d(x, w, bias, g, refOut, { scale, shift, act });
          // Rounding scales with the sums' terms (|x|·|w|), not their result: spicy inputs cancel.
          const magnitude = new Float32Array(got.length);
          ref.conv2d(abs(x), abs(w), bias ? abs(bias) : null, g, magnitude);
          for (let i = 0; i < magnitude.length; i++) {
            const c = Math.floor(i / P) % g.outC;
            magnitude[i] = magnitude[i] * Math.abs(scale?.[c] ?? 1) + Math.abs(shift?.[c] ?? 0);
          }
          assertClose(got, refOut, { label, rtol: 1e-4, atol: 1e-4, scale: magnitude });
        });
      }
      resetThreads();
    });

    // 4×4 maps run F(2×2, 3×3), 8×8 maps F(4×4, 3×3).
    for (const [n, hw] of [[257, 4], [65, 8]]) {
      it(`conv2d forward / backward input: Winograd over several chunks of images (${hw}×${hw})`, () => {
        const g = { n, inC: 64, inH: hw, inW: hw, outC: 64, outH: hw, outW: hw, kH: 3, kW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1 };
        const r = rng(15);
        const x = uniform(r, g.n * g.inC * hw * hw);
        const w = uniform(r, g.outC * g.inC * 9);
        const bias = uniform(r, g.outC);
        const y = checkConvPass('forward', g, x, w, bias, g.n * g.outC * hw * hw, 'winograd chunks');
        checkConvPass('backward input', g, y, w, null, x.length, 'winograd chunks');
      });
    }

    // 16×16 outputs run F(4×4, 3×3), 8×8 outputs F(2×2, 3×3).
    for (const [n, hw] of [[20, 16], [130, 8]]) {
      it(`conv2d backward weight: Winograd over several chunks of tile rows (${hw}×${hw})`, () => {
        const g = { n, inC: 64, inH: hw, inW: hw, outC: 64, outH: hw, outW: hw, kH: 3, kW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1 };
        const r = rng(16);
        const x = uniform(r, g.n * g.inC * hw * hw);
        const gy = uniform(r, g.n * g.outC * hw * hw);
        checkConvPass('backward weight', g, gy, x, null, g.outC * g.inC * 9, 'winograd chunks');
      });
    }

    // The direct kernel (LeNet's conv2) and Winograd fall back to the GEMM on inf/NaN in x or gradOut. Inf/NaN
    // weights reach the zero padding as in the reference (im2col: 0·inf is NaN), and the input gradient sums
    // only the real products (col2im).
    const nonFinite: [string, Conv2dGeometry, 'x' | 'gy' | 'w'][] = [
      ['direct, x', convCases.find((c) => c.n === 64 && c.inC === 6)!, 'x'],
      ['direct, weights', convCases.find((c) => c.n === 64 && c.inC === 6)!, 'w'],
      ['direct, padded, weights', convCases.find((c) => c.n === 64 && c.inC === 1)!, 'w'],
      ['Winograd, x', { ...convCases.find((c) => c.inC === 64 && c.inH === 34)!, n: 2 }, 'x'],
      ['Winograd, gradOut', { ...convCases.find((c) => c.inC === 64 && c.inH === 34)!, n: 2 }, 'gy'],
      ['Winograd, weights', { ...convCases.find((c) => c.inC === 64 && c.inH === 34)!, n: 2 }, 'w'],
      ['Winograd F(2×2), x', { ...convCases.find((c) => c.inC === 64 && c.inH === 34)!, n: 3, inH: 6, inW: 7, outH: 6, outW: 7 }, 'x'],
      ['Winograd F(2×2), gradOut', { ...convCases.find((c) => c.inC === 64 && c.inH === 34)!, n: 3, inH: 6, inW: 7, outH: 6, outW: 7 }, 'gy'],
    ];
    for (const [name, g, where] of nonFinite) {
      it(`conv2d forward, backward input and backward weight: inf and NaN propagate as in the reference (${name})`, () => {
        const r = rng(14);
        const x = uniform(r, g.n * g.inC * g.inH * g.inW);
        const gy = uniform(r, g.n * g.outC * g.outH * g.outW);
        const w = uniform(r, g.outC * g.inC * g.kH * g.kW);
        const poisoned = where === 'x' ? x : where === 'gy' ? gy : w;
        poisoned[17] = Infinity;
        poisoned[Math.floor(poisoned.length * 0.6) + 5] = NaN;
        poisoned[Math.floor(poisoned.length * 0.3) + 2] = -Infinity;
        const close = (got: Float32Array, want: Float32Array, what: string) => {
          for (let i = 0; i < got.length; i++) {
            if (Number.isFinite(want[i])) assert.ok(Math.abs(got[i] - want[i]) <= 1e-3 * (1 + Math.abs(want[i])), `${what}[${i}]`);
            else assert.ok(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
          }
        };
        const gw1 = new Float32Array(g.outC * g.inC * g.kH * g.kW);
        const gw2 = new Float32Array(gw1.length);
        nat().conv2dBackwardWeight(gy, x, g, gw1);
        ref.conv2dBackwardWeight(gy, x, g, gw2);
        close(gw1, gw2, 'gw');
        // The forward (from x) and the input gradient (from gradOut) too: Winograd's transforms would turn an
        // inf into NaN over whole output tiles, where the sums give ±inf.
        const [y1, y2] = [new Float32Array(gy.length), new Float32Array(gy.length)];
        nat().conv2d(x, w, null, g, y1);
        ref.conv2d(x, w, null, g, y2);
        close(y1, y2, 'y');
        const [gx1, gx2] = [new Float32Array(x.length), new Float32Array(x.length)];
        nat().conv2dBackwardInput(gy, w, g, gx1);
        ref.conv2dBackwardInput(gy, w, g, gx2);
        close(gx1, gx2, 'gx');
      });
    }

    const poolCases: [Pool2dGeometry, boolean][] = [];
    const pool = (planes: number, inH: number, inW: number, k: [number, number], s: [number, number], p: [number, number], d: [number, number], ceil: boolean) => {
      const outH = poolOut(inH, k[0], s[0], p[0], d[0], ceil);
      const outW = poolOut(inW, k[1], s[1], p[1], d[1], ceil);
      poolCases.push([{ planes, inH, inW, outH, outW, kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], dilationH: d[0], dilationW: d[1] }, ceil]);
    };
    pool(3, 8, 8, [2, 2], [2, 2], [0, 0], [1, 1], false);
    pool(4, 9, 11, [3, 3], [2, 2], [1, 1], [1, 1], false);
    pool(4, 9, 11, [3, 3], [2, 2], [1, 1], [1, 1], true);
    pool(2, 10, 7, [3, 2], [3, 2], [1, 1], [1, 1], true);
    pool(2, 12, 12, [3, 3], [1, 1], [1, 1], [2, 2], false);
    pool(2, 5, 6, [2, 3], [2, 3], [1, 1], [3, 2], true);
    pool(64, 56, 56, [3, 3], [2, 2], [1, 1], [1, 1], false);
    pool(5, 7, 7, [7, 7], [1, 1], [0, 0], [1, 1], false);
    pool(2, 2, 19, [1, 1], [1, 1], [0, 0], [1, 1], false); // windows of −inf only: the index of their first element
    pool(2, 4, 21, [1, 2], [1, 2], [0, 0], [1, 1], false);
    // Rows of a few outputs (vector lanes past the row are dropped): LeNet's second pooling, padded, stride 1.
    pool(16, 10, 10, [2, 2], [2, 2], [0, 0], [1, 1], false);
    pool(3, 5, 7, [3, 3], [2, 2], [1, 1], [1, 1], true);
    pool(4, 6, 4, [2, 2], [1, 1], [1, 1], [1, 1], false);
    // Enough planes for two threads: a row's last vector spills into the next row, never past a thread's planes.
    pool(1024, 10, 10, [2, 2], [2, 2], [0, 0], [1, 1], false);
    pool(384, 28, 28, [2, 2], [2, 2], [0, 0], [1, 1], false);
    pool(301, 9, 13, [3, 3], [2, 2], [1, 1], [1, 1], true);
    // Windows that tile the input: ceil mode's partial last windows, 3×3, a column left over.
    pool(2, 9, 11, [2, 2], [2, 2], [0, 0], [1, 1], true);
    pool(2, 9, 10, [3, 3], [3, 3], [0, 0], [1, 1], false);
    pool(40, 7, 37, [2, 2], [2, 2], [0, 0], [1, 1], false);

    it('maxPool2d / avgPool2d and their backward passes', () => {
      const r = rng(13);
      for (const [g, ceil] of poolCases) {
        const label = `pool ${JSON.stringify(g)} ceil=${ceil}`;
        const inN = g.planes * g.inH * g.inW;
        const outN = g.planes * g.outH * g.outW;
        const x = Float32Array.from({ length: inN }, () => (r() < 0.02 ? NaN : r() < 0.05 ? -Infinity : r() < 0.3 ? randInt(r, -2, 2) : r() * 4 - 2));
        const o1 = new Float32Array(outN);
        const o2 = new Float32Array(outN);
        const i1 = new Int32Array(outN);
        const i2 = new Int32Array(outN);
        nat().maxPool2d(x, g, o1, i1);
        ref.maxPool2d(x, g, o2, i2);
        assertEqualArrays(o1, o2, `${label} max`);
        assertEqualArrays(i1, i2, `${label} max indices`);
        const gy = uniform(r, outN);
        const gi1 = new Float32Array(inN).fill(NaN);
        const gi2 = new Float32Array(inN);
        nat().maxPool2dBackward(gy, i2, g, gi1);
        ref.maxPool2dBackward(gy, i2, g, gi2);
        assertClose(gi1, gi2, { label: `${label} max backward`, rtol: 1e-6, atol: 1e-6 });
        if (g.dilationH !== 1 || g.dilationW !== 1) continue;
        const xa = uniform(r, inN);
        for (const [cip, div] of [[true, 0], [false, 0], [false, 3]] as [boolean, number][]) {
          const a1 = new Float32Array(outN);
          const a2 = new Float32Array(outN);
          nat().avgPool2d(xa, g, cip, div, a1);
          ref.avgPool2d(xa, g, cip, div, a2);
          assertClose(a1, a2, { label: `${label} avg cip=${cip} div=${div}`, rtol: 1e-5, atol: 1e-6 });
          const b1 = new Float32Array(inN).fill(NaN);
          const b2 = new Float32Array(inN);
          nat().avgPool2dBackward(gy, g, cip, div, b1);
          ref.avgPool2dBackward(gy, g, cip, div, b2);
          assertClose(b1, b2, { label: `${label} avg backward cip=${cip} div=${div}`, rtol: 1e-5, atol: 1e-6 });
        }
      }
    });
  });
}

// Keep the helper import used even when every suite is skipped.
void contiguousStrides;
