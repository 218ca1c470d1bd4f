/**
 * Generates docs/coverage-ops.md: for every public op (the ops of `st.*` and `F.*`), the backend
 * kernels it runs forward and backward, whether the native backend runs those kernels itself in
 * float32, and which tests cover it (float64 gradcheck, PyTorch parity fixtures, the conformance
 * suite that runs on both backends).
 *
 *   npm run coverage-table             rewrite docs/coverage-ops.md
 *   npm run coverage-table -- --check  exit 1 when docs/coverage-ops.md is out of date
 *
 * Nothing in the table is typed in by hand; each column comes from the code:
 *   ops        function exports of src/core.ts defined in src/ops, and of src/nn/functional.ts (F);
 *              aliases (the same function under two names) share a row.
 *   kernels    each op's PyTorch fixture cases (test/fixtures/core.json through test/core/parity-ops.ts,
 *              test/fixtures/functional.json as test/nn/functional-parity.test.ts calls F) replayed on a
 *              recording wrapper of the JS backend, forward and backward; PROBES below for the few ops
 *              without a fixture (random ones, aliases).
 *   native     the methods of makeKernels() in src/backend/native/index.ts that call the addon, and its
 *              op-code tables (UNARY, SCALAR, BINARY, REDUCE); anything else falls back to the JS kernels.
 *   tests      parsed from the test sources: gradcheck = named in a test that calls st.gradcheck (or a
 *              helper wrapping it); conformance = named in a test file that runs forEachBackend.
 * test/backend/coverage-table.test.ts fails when the committed file differs from what this generates.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as st from '../src/core.js';
import type { Tensor } from '../src/core.js';
import * as F from '../src/nn/functional.js';
import * as optim from '../src/optim/index.js';
import type { Backend } from '../src/backend/interface.js';
import { jsBackend } from '../src/backend/js/index.js';
import { jsFused } from '../src/backend/js/fused.js';
import { registerBackend, withBackend } from '../src/backend/registry.js';
import { OPS as CORE_OPS, makeInput, upstream, type Case as CoreCase } from '../test/core/parity-ops.js';
import { decodeArgs } from '../test/core/helpers.js';
import { PER_BACKEND_DIRS } from '../test/per-backend.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = path.join(ROOT, 'docs', 'coverage-ops.md');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const json = (rel: string) => JSON.parse(read(rel));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

// ---- the ops -------------------------------------------------------------------------------------

interface Op {
  name: string;
  /** Other public names of the same function(s). */
  aliases: string[];
  /** How it is reached: 'st.add', 'F.relu', ... */
  api: string[];
  fns: AnyFn[];
  /** Defining file (src/ops/*.ts, or src/nn/functional.ts for F-only ops) and position in it, for ordering. */
  module: string;
  position: number;
}

/** src/ops/*.ts in the order src/ops/index.ts re-exports them (util.ts holds helpers, not ops). */
async function opsModules(): Promise<{ file: string; exports: Record<string, unknown> }[]> {
  const index = read('src/ops/index.ts');
  const files = [...index.matchAll(/export \* from '\.\/(\w+)\.js'/g)].map((m) => m[1]).filter((f) => f !== 'util');
  return Promise.all(files.map(async (f) => ({ file: `src/ops/${f}.ts`, exports: await import(`../src/ops/${f}.js`) })));
}

function functionExports(ns: object): [string, AnyFn][] {
  return Object.entries(ns).filter((e): e is [string, AnyFn] => typeof e[1] === 'function' && !/^[A-Z]/.test(e[0]));
}

async function listOps(): Promise<Op[]> {
  const modules = await opsModules();
  const moduleOf = (fn: AnyFn) => modules.find((m) => Object.values(m.exports).includes(fn))?.file;
  const publicFns = [
    ...functionExports(st).filter(([, fn]) => moduleOf(fn)).map(([name, fn]) => ({ name, fn, api: `st.${name}` })),
    ...functionExports(F).map(([name, fn]) => ({ name, fn, api: `F.${name}` })),
  ];
  // One group per function; its canonical name is the function's own name when public, else the first.
  const byFn = new Map<AnyFn, Set<string>>();
  for (const { name, fn } of publicFns) byFn.set(fn, (byFn.get(fn) ?? new Set()).add(name));
  const canonical = (fn: AnyFn) => {
    const names = [...(byFn.get(fn) as Set<string>)].sort();
    return names.includes(fn.name) ? fn.name : names[0];
  };
  // Then one row per canonical name (st.oneHot and F.oneHot are different functions of one op).
  const rows = new Map<string, Op>();
  for (const { fn, api } of publicFns) {
    const name = canonical(fn);
    const row = rows.get(name) ?? { name, aliases: [], api: [], fns: [], module: '', position: 0 };
    rows.set(name, row);
    if (!row.fns.includes(fn)) row.fns.push(fn);
    row.api.push(api);
    for (const n of byFn.get(fn) as Set<string>) if (n !== name && !row.aliases.includes(n)) row.aliases.push(n);
  }
  const sources = new Map<string, string>();
  const source = (file: string) => {
    if (!sources.has(file)) sources.set(file, read(file));
    return sources.get(file) as string;
  };
  for (const row of rows.values()) {
    // An F wrapper of an ops function (F.leakyRelu over ops/activation.ts) sits with the op it wraps.
    const names = [row.name, ...row.aliases, ...row.fns.map((f) => f.name)];
    const home = modules.find((m) => names.some((n) => typeof m.exports[n] === 'function'));
    row.module = home ? home.file : 'src/nn/functional.ts';
    const text = source(row.module);
    const found = names.map((n) => text.search(new RegExp(`\\b(?:function|const)\\s+${n}\\b`))).filter((i) => i >= 0);
    row.position = found.length ? Math.min(...found) : text.length;
    row.api.sort();
    row.aliases.sort();
  }
  const order = [...modules.map((m) => m.file), 'src/nn/functional.ts'];
  return [...rows.values()].sort((a, b) => order.indexOf(a.module) - order.indexOf(b.module) || a.position - b.position || a.name.localeCompare(b.name));
}

// ---- kernels: replay each op on a recording backend -------------------------------------------------

/** Kernels whose first argument names the elementwise/reduction op (recorded as 'unary(exp)'). */
const FAMILIES = new Set(['unary', 'scalar', 'binary', 'reduce', 'argReduce']);
const TRACE_BACKEND = 'coverage-trace';

interface Trace {
  forward: Set<string>;
  backward: Set<string>;
  gradFns: Set<string>;
  /** Some call computed a new result without any kernel: the op's own JavaScript loops (src/ops) did the work. */
  jsLoops: boolean;
  /** 'fixture' when replayed from a parity fixture, 'probe' when from PROBES. */
  source: 'fixture' | 'probe';
}

let sink: Set<string> | null = null;

/** The JS kernels plus the reference fused kernels (so ops take the fused paths, as on native), each recording its call. */
function registerTraceBackend(): void {
  const base = { ...jsBackend, ...jsFused } as unknown as Record<string, AnyFn>;
  const traced: Record<string, unknown> = { name: TRACE_BACKEND };
  for (const [kernel, fn] of Object.entries(base)) {
    if (typeof fn !== 'function') continue;
    traced[kernel] = (...args: unknown[]) => {
      sink?.add(FAMILIES.has(kernel) ? `${kernel}(${String(args[0])})` : kernel);
      return fn.apply(base, args);
    };
  }
  registerBackend(traced as Partial<Backend> & { name: string });
}

function recording<T>(into: Set<string>, fn: () => T): T {
  const previous = sink;
  sink = into;
  try {
    return withBackend(TRACE_BACKEND, fn);
  } finally {
    sink = previous;
  }
}

const asTensors = (r: unknown): Tensor[] => (r instanceof st.Tensor ? [r] : Array.isArray(r) ? r.filter((t) => t instanceof st.Tensor) : []);

/**
 * Run `call` forward, then backward from each output that requires grad with `grad(out, k)`, recording
 * kernels. `leaves` are the inputs (their gradients are reset between outputs).
 */
function traceCall(trace: Trace, call: () => unknown, leaves: Tensor[], grad: (out: Tensor, k: number) => Tensor | null): void {
  const kernels = new Set<string>();
  const outs = asTensors(recording(kernels, call));
  for (const k of kernels) trace.forward.add(k);
  // No kernel ran, yet an output has storage of its own (not a view of an input): computed in JavaScript.
  const inputStorage = new Set(leaves.map((t) => t.storage));
  if (kernels.size === 0 && outs.some((o) => o.size > 0 && !inputStorage.has(o.storage))) trace.jsLoops = true;
  outs.forEach((out, k) => {
    if (out.gradFn) trace.gradFns.add(out.gradFn.name);
    const g = out.requiresGrad ? grad(out, k) : null;
    if (!g) return;
    recording(trace.backward, () => out.backward(g, { retainGraph: true }));
    for (const leaf of leaves) leaf.grad = null;
  });
}

type Value = number | string;
const decode = (values: readonly Value[]) => values.map((v) => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN));

interface FunctionalSpec {
  shape: number[];
  dtype: 'float' | 'int32';
  data: Value[];
}
interface FunctionalArg {
  tensor?: FunctionalSpec;
  grad?: boolean;
  gradOut?: Value[] | null;
  value?: unknown;
}
interface FunctionalCase {
  name: string;
  op: string;
  f64only: boolean;
  args: FunctionalArg[];
  kwargs: Record<string, unknown>;
  tensorKwargs: Record<string, FunctionalArg>;
  gy: Value[] | null;
}

/** A test/fixtures/functional.json case as test/nn/functional-parity.test.ts runs it (float32 unless f64only). */
function replayFunctional(c: FunctionalCase, trace: Trace): void {
  const dtype = c.f64only ? 'float64' : 'float32';
  const leaves: Tensor[] = [];
  const build = (a: FunctionalArg): Tensor => {
    const s = a.tensor as FunctionalSpec;
    const t = s.dtype === 'int32'
      ? st.tensor(Int32Array.from(decode(s.data)), { shape: s.shape })
      : st.tensor(Float64Array.from(decode(s.data)), { shape: s.shape }).to(dtype);
    if (a.grad) t.requiresGrad_();
    leaves.push(t);
    return t;
  };
  const args = c.args.map((a) => (a.tensor ? build(a) : a.value));
  const tensorKwargs = Object.fromEntries(Object.entries(c.tensorKwargs).map(([k, a]) => [k, build(a)]));
  const fn = (F as unknown as Record<string, AnyFn>)[c.op];
  const gy = c.gy;
  traceCall(trace, () => fn(...args, { ...c.kwargs, ...tensorKwargs }), leaves, (out, k) =>
    k === 0 && gy ? st.tensor(Float64Array.from(decode(gy)), { shape: [...out.shape] }).to(dtype) : null,
  );
}

/** A test/fixtures/core.json case as test/core/parity.test.ts runs it. */
function replayCore(c: CoreCase, trace: Trace): void {
  const made = c.inputs.map(makeInput);
  const args = decodeArgs(c.args);
  traceCall(trace, () => CORE_OPS[c.op](made.map((m) => m.input), args), made.map((m) => m.leaf), (out, k) => (c.grads ? upstream(out, k) : null));
}

/** Calls for the ops no fixture exercises (each gets a float32 [2, 4, 4, 4] input that requires grad). */
const PROBES: Record<string, (x: Tensor) => unknown> = {
  allclose: (x) => st.allclose(x, x),
  dropout: (x) => F.dropout(x, { p: 0.5, training: true }),
  dropout1d: (x) => F.dropout1d(x.select(3, 0), { p: 0.5, training: true }),
  dropout2d: (x) => F.dropout2d(x, { p: 0.5, training: true }),
  dropout3d: (x) => F.dropout3d(x.unsqueeze(2), { p: 0.5, training: true }),
  alphaDropout: (x) => F.alphaDropout(x, { p: 0.5, training: true }),
  featureAlphaDropout: (x) => F.featureAlphaDropout(x, { p: 0.5, training: true }),
  channelShuffle: (x) => F.channelShuffle(x, 2),
  gumbelSoftmax: (x) => F.gumbelSoftmax(x),
  rrelu: (x) => F.rrelu(x, { training: true }),
  upsample: (x) => F.upsample(x, { scaleFactor: 2 }),
  upsampleNearest: (x) => F.upsampleNearest(x, { scaleFactor: 2 }),
  upsampleBilinear: (x) => F.upsampleBilinear(x, { scaleFactor: 2 }),
};

/** Map each core.json op key to its row: the first `st.X` / `act.X` / `.X(` call in its entry of the OPS table. */
function coreKeyToRow(rowOf: (name: string) => Op | undefined, methodRows: Map<string, Op[]>): Map<string, Op> {
  const table = read('test/core/parity-ops.ts');
  const map = new Map<string, Op>();
  for (const m of table.matchAll(/^ {2}(\w+): (.*)$/gm)) {
    const [, key, body] = m;
    const named = /\b(?:st|act)\.(\w+)/.exec(body);
    const method = /\]\.(\w+)\(/.exec(body);
    const row = named ? rowOf(named[1]) : method ? (methodRows.get(method[1]) ?? [])[0] : undefined;
    if (row) map.set(key, row);
  }
  return map;
}

function traceOps(ops: Op[], rowOf: (name: string) => Op | undefined, methodRows: Map<string, Op[]>): Map<Op, Trace> {
  registerTraceBackend();
  const traces = new Map<Op, Trace>();
  const traceOf = (op: Op, source: Trace['source']) => {
    let t = traces.get(op);
    if (!t) traces.set(op, (t = { forward: new Set(), backward: new Set(), gradFns: new Set(), jsLoops: false, source }));
    return t;
  };
  const keyRows = coreKeyToRow(rowOf, methodRows);
  for (const c of (json('test/fixtures/core.json') as { cases: CoreCase[] }).cases) {
    const op = keyRows.get(c.op);
    if (op) replayCore(c, traceOf(op, 'fixture'));
  }
  for (const c of (json('test/fixtures/functional.json') as { cases: FunctionalCase[] }).cases) {
    const op = rowOf(c.op);
    if (op) replayFunctional(c, traceOf(op, 'fixture'));
  }
  st.manualSeed(0);
  for (const op of ops) {
    const probe = PROBES[op.name];
    if (traces.has(op) || !probe) continue;
    const x = st.randn([2, 4, 4, 4], { generator: new st.Generator(1) }).requiresGrad_();
    traceCall(traceOf(op, 'probe'), () => probe(x), [x], (out) => st.onesLike(out));
  }
  return traces;
}

/** Kernels of two steps of each optimizer (float32 parameter), to show who uses the fused optimizer kernels. */
function traceOptimizers(): { name: string; kernels: Set<string> }[] {
  const result: { name: string; kernels: Set<string> }[] = [];
  for (const [name, Cls] of Object.entries(optim)) {
    if (typeof Cls !== 'function' || Cls === optim.Optimizer || !(Cls.prototype instanceof optim.Optimizer)) continue;
    const p = st.randn([8], { generator: new st.Generator(2) }).requiresGrad_();
    const opt = new (Cls as unknown as new (params: Tensor[], o: object) => { step(closure?: () => Tensor): void })([p], { lr: 0.01 });
    // LBFGS re-evaluates the loss through a closure, sum(p²)/2 (gradient p); the others step on p.grad as set.
    const closure = opt instanceof optim.LBFGS
      ? () => {
        opt.zeroGrad();
        const loss = p.square().sum().div(2);
        loss.backward();
        return loss;
      }
      : undefined;
    p.grad = st.onesLike(p);
    const kernels = new Set<string>();
    recording(kernels, () => {
      opt.step(closure);
      opt.step(closure);
    });
    result.push({ name, kernels });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

// ---- the backend interface and what the native backend implements ----------------------------------

interface KernelInfo {
  name: string;
  optional: boolean;
  /** For the op families: the op names of the union type (UnaryOp, ...). */
  ops: string[];
}

const quoted = (text: string) => [...text.matchAll(/'(\w+)'/g)].map((m) => m[1]);

function backendInterface(): KernelInfo[] {
  const src = read('src/backend/interface.ts').replace(/\/\/.*$/gm, '');
  const body = /export interface Backend \{([\s\S]*?)\n\}/.exec(src)?.[1] ?? '';
  const union = (type: string) => quoted(new RegExp(`export type ${type} =([^;]*);`).exec(src)?.[1] ?? '');
  const familyType: Record<string, string> = { unary: 'UnaryOp', scalar: 'ScalarOp', binary: 'BinaryOp', reduce: 'ReduceOp', argReduce: 'ArgReduceOp' };
  return [...body.matchAll(/^ {2}(\w+)(\?)?\(/gm)].map((m) => ({
    name: m[1],
    optional: m[2] === '?',
    ops: familyType[m[1]] ? union(familyType[m[1]]) : [],
  }));
}

export interface NativeInfo {
  /** Kernels of makeKernels() that call the addon (n.*) for float32 arrays. */
  kernels: Set<string>;
  /** The ops of each family with an addon op code. */
  familyOps: Record<string, Set<string>>;
}

export function nativeBackendInfo(): NativeInfo {
  const src = read('src/backend/native/index.ts');
  const start = src.indexOf('function makeKernels(');
  const body = src.slice(start, src.indexOf('\n}\n', start));
  const methods = [...body.matchAll(/^ {4}(\w+)\(/gm)];
  const kernels = new Set<string>();
  methods.forEach((m, i) => {
    const text = body.slice(m.index, methods[i + 1]?.index ?? body.length);
    if (/\bn\.\w+\(/.test(text)) kernels.add(m[1]);
  });
  const table = (name: string) => new Set(quoted(new RegExp(`const ${name}: readonly \\w+\\[\\] = \\[([^\\]]*)\\]`).exec(src)?.[1] ?? ''));
  const familyOps: Record<string, Set<string>> = { unary: table('UNARY'), scalar: table('SCALAR'), binary: table('BINARY'), reduce: table('REDUCE') };
  return { kernels, familyOps };
}

/** Whether the native backend runs a recorded kernel ('copy', 'unary(exp)', ...) itself for float32. */
function isNative(label: string, native: NativeInfo): boolean {
  const m = /^(\w+)(?:\((\w+)\))?$/.exec(label) as RegExpExecArray;
  const [, kernel, op] = m;
  if (!native.kernels.has(kernel)) return false;
  return !op || !native.familyOps[kernel] || native.familyOps[kernel].has(op);
}

// ---- the tests ----------------------------------------------------------------------------------

function walk(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : walk(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Relative imports of a module, as repository paths of .ts files. */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** Top-level statements (a new one starts at each line that begins in column 0, except closing brackets). */
function chunks(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (out.length === 0 || (/^\S/.test(line) && !/^[}\])]/.test(line))) out.push(line);
    else out[out.length - 1] += `\n${line}`;
  }
  return out;
}

interface TestFile {
  file: string;
  /** Short name for the table: 'core/gradcheck'. */
  short: string;
  text: string;
  /** Runs its tests on every registered backend (forEachBackend, or a folder run once per backend). */
  conformance: boolean;
  /** Loads the native backend (imports src/index.ts), so its default backend is native when the addon builds. */
  native: boolean;
  /** Imports src/backend directly: a kernel-level test. */
  kernelLevel: boolean;
  /** The part of the file that gradchecks: tests calling st.gradcheck (or a helper wrapping it) and the tables they use. */
  gradcheckText: string;
}

function testFiles(): TestFile[] {
  const all = walk('test');
  const texts = new Map(all.map((f) => [f, read(f)]));
  // Helpers that wrap st.gradcheck (test/nn/functional-helpers.ts: check).
  const wrappers = new Set<string>(['gradcheck']);
  for (const [file, text] of texts) {
    if (file.endsWith('.test.ts')) continue;
    for (const c of chunks(text)) {
      const m = /^export function (\w+)/.exec(c);
      if (m && /\bgradcheck\(/.test(c)) wrappers.add(m[1]);
    }
  }
  const nativeCache = new Map<string, boolean>();
  const loadsNative = (file: string, seen = new Set<string>()): boolean => {
    if (file === 'src/index.ts' || file.startsWith('src/backend/native/')) return true;
    if (nativeCache.has(file) || seen.has(file)) return nativeCache.get(file) ?? false;
    seen.add(file);
    let text = texts.get(file);
    if (text === undefined) {
      try {
        text = read(file);
      } catch {
        return false;
      }
    }
    const result = importsOf(file, text).some((f) => loadsNative(f, seen));
    nativeCache.set(file, result);
    return result;
  };
  return all
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((file) => {
      const own = texts.get(file) as string;
      // A test file reads its cases from local modules too (test/core/parity-ops.ts).
      const local = importsOf(file, own).filter((f) => f.startsWith('test/') && texts.has(f));
      const text = [own, ...local.map((f) => texts.get(f) as string)].join('\n');
      const callers = [...wrappers].filter((w) => w === 'gradcheck' || new RegExp(`import\\s*\\{[^}]*\\b${w}\\b[^}]*\\}\\s*from`).test(own));
      return {
        file,
        short: file.replace(/^test\//, '').replace(/\.test\.ts$/, ''),
        text,
        conformance: RUNS_EVERY_BACKEND.test(own) || PER_BACKEND_DIRS.some((d) => file.startsWith(d)),
        native: loadsNative(file),
        kernelLevel: importsOf(file, own).some((f) => f.startsWith('src/backend/')),
        gradcheckText: gradcheckPart(own, callers),
      };
    });
}

/** A test file's call that runs its tests once per backend: forEachBackend, or fixtureCaseTests (which calls it). */
const RUNS_EVERY_BACKEND = /\b(?:forEachBackend|fixtureCaseTests)\(/;

/** The end of the call whose '(' is at `open` (balanced parentheses; strings are not special-cased). */
function callEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i + 1;
  }
  return text.length;
}

/**
 * The gradchecking part of a test file: each call of a gradcheck function (from the start of its line
 * to its closing parenthesis) and the module-level tables and helpers those calls use, transitively.
 * A file whose every test gradchecks (test/core/gradcheck.test.ts) counts whole.
 */
function gradcheckPart(text: string, callers: string[]): string {
  const parts = chunks(text);
  const calls = new RegExp(`\\b(?:${callers.join('|')})\\(`, 'g');
  const testChunks = parts.filter((c) => /^(?:test|it|describe|forEachBackend)\(|^for\b/.test(c) && /\b(?:test|it)\(/.test(c));
  if (testChunks.length > 0 && testChunks.every((c) => new RegExp(calls.source).test(c))) return text;
  const picked: string[] = [];
  for (const m of text.matchAll(calls)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    picked.push(text.slice(lineStart, callEnd(text, m.index + m[0].length - 1)));
  }
  const declarations = parts
    .map((c) => ({ chunk: c, name: /^(?:export )?(?:const|let|function)\s+(\w+)/.exec(c)?.[1] }))
    .filter((d): d is { chunk: string; name: string } => d.name !== undefined);
  const used = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const d of declarations) {
      if (used.has(d.name) || !picked.some((p) => new RegExp(`\\b${d.name}\\b`).test(p))) continue;
      used.add(d.name);
      picked.push(d.chunk);
      changed = true;
    }
  }
  return picked.join('\n');
}

/** Tensor methods → the ops they call (src/tensor/tensor.ts: `ops.X(...)`, or other methods), e.g. float → cast. */
function tensorMethods(rowOfExport: (name: string) => Op | undefined): Map<string, Op[]> {
  const src = read('src/tensor/tensor.ts');
  const body = src.slice(src.indexOf('export class Tensor'));
  const defs = [...body.matchAll(/^ {2}(?:get )?(\w+)\(/gm)];
  const direct = new Map<string, { ops: Set<string>; calls: Set<string> }>();
  defs.forEach((m, i) => {
    const text = body.slice(m.index, defs[i + 1]?.index ?? body.length);
    const entry = direct.get(m[1]) ?? { ops: new Set<string>(), calls: new Set<string>() };
    for (const o of text.matchAll(/\bops\.(\w+)\(/g)) entry.ops.add(o[1]);
    for (const c of text.matchAll(/\bthis\.(\w+)\(/g)) if (c[1] !== m[1]) entry.calls.add(c[1]);
    direct.set(m[1], entry);
  });
  const resolve = (method: string, seen: Set<string>): Set<string> => {
    const entry = direct.get(method);
    if (!entry || seen.has(method)) return new Set();
    seen.add(method);
    const out = new Set(entry.ops);
    if (out.size === 0) for (const c of entry.calls) for (const o of resolve(c, seen)) out.add(o);
    return out;
  };
  const map = new Map<string, Op[]>();
  for (const method of direct.keys()) {
    const rows = [...resolve(method, new Set())].map(rowOfExport).filter((r): r is Op => r !== undefined);
    if (rows.length) map.set(method, [...new Set(rows)]);
  }
  return map;
}

/** Whether `text` names the op: `st.add`, `F.relu`, `act.elu`, a bare imported `conv2d(`, or a Tensor method `.add(`. */
function mentions(text: string, op: Op, methodsOf: Map<Op, string[]>): boolean {
  const names = [op.name, ...op.aliases].join('|');
  if (new RegExp(`\\b(?:st|F|act|core|ops)\\.(?:${names})\\b`).test(text)) return true;
  if (new RegExp(`import\\s*\\{[^}]*\\b(?:${names})\\b[^}]*\\}\\s*from\\s*'[^']*src/`).test(text) && new RegExp(`(?<![\\w.])(?:${names})\\(`).test(text)) return true;
  const methods = methodsOf.get(op) ?? [];
  return methods.length > 0 && new RegExp(`\\.(?:${methods.join('|')})\\(`).test(text);
}

interface ParityCount {
  cases: number;
  withGrads: number;
}

function parityCounts(rowOf: (name: string) => Op | undefined, keyRows: Map<string, Op>): Map<Op, ParityCount> {
  const counts = new Map<Op, ParityCount>();
  const add = (op: Op | undefined, withGrads: boolean) => {
    if (!op) return;
    const c = counts.get(op) ?? { cases: 0, withGrads: 0 };
    c.cases++;
    if (withGrads) c.withGrads++;
    counts.set(op, c);
  };
  for (const c of (json('test/fixtures/core.json') as { cases: CoreCase[] }).cases) {
    add(keyRows.get(c.op), !!c.grads && c.grads.some((g) => g !== null));
  }
  for (const c of (json('test/fixtures/functional.json') as { cases: FunctionalCase[] }).cases) {
    const grads = [...c.args, ...Object.values(c.tensorKwargs)].some((a) => a.grad && a.gradOut);
    add(rowOf(c.op), !!c.gy && grads);
  }
  return counts;
}

// ---- the document -------------------------------------------------------------------------------

const code = (s: string) => `\`${s}\``;
const list = (items: Iterable<string>, empty = '—') => {
  const a = [...items].sort();
  return a.length ? a.map(code).join(' ') : empty;
};

/** ✓ when the native addon runs every kernel; else what runs in JavaScript instead. */
function nativeCell(kernels: Set<string>, native: NativeInfo, jsLoops = false, forward = kernels): string {
  const fallback = [...kernels].filter((k) => !isNative(k, native));
  const notes = [...(fallback.length ? [`js: ${list(fallback)}`] : [])];
  if (jsLoops) notes.unshift(forward.size ? 'forward partly in JS' : 'forward in JS');
  if (notes.length) return notes.join('; ');
  return kernels.size ? '✓' : 'no kernels (views)';
}

/** Everything the document says about one op. */
interface OpFacts {
  op: Op;
  trace: Trace | undefined;
  native: string;
  gradcheck: string[];
  parity: ParityCount | undefined;
  conformance: string[];
}

const LEGEND = `One row per public op (\`st.*\` ops and \`F.*\` functions; aliases share a row), grouped by the file that
defines it. For what the core suites check case by case, see the hand-written [core test coverage](coverage-core.md).

- **kernels**: the backend kernels (\`src/backend/interface.ts\`) the op called when its PyTorch fixture cases were
  replayed (float32, and the int/bool cases) on a recording JS backend, forward and then backward; *probe* marks
  ops without a fixture, traced from one call on a float32 input instead.
- **native f32**: ✓ when the native addon runs every one of those kernels for float32 arrays (\`makeKernels\` in
  \`src/backend/native/index.ts\`); *js: …* lists the kernels that fall back to JavaScript. *forward in JS* marks
  ops whose forward computes a new result without any kernel — loops or typed-array copies in the op's own code
  (\`src/ops\`), which no backend replaces — and *partly* ops that do so in some of their cases.
  Other dtypes always run the JS kernels (native \`copy\` also takes int32).
- **gradcheck f64**: the op is named in a test's call of \`st.gradcheck\` (float64, full Jacobian), or of a helper
  around it, or in the tables such a call uses.
- **PyTorch parity**: cases in \`test/fixtures/core.json\` and \`test/fixtures/functional.json\` (torch 1.13);
  "∂" counts those that also compare input gradients.
- **both backends**: the conformance suites that name the op: \`forEachBackend\` in test/core runs every test once
  per registered backend, and scripts/run-tests.mjs runs test/nn and test/optim once per backend (js, and native
  when the addon loads).`;

function opTables(facts: OpFacts[]): string[] {
  const lines: string[] = [];
  let module = '';
  for (const f of facts) {
    const { op, trace } = f;
    if (op.module !== module) {
      module = op.module;
      lines.push('', `## ${code(module)}`, '');
      lines.push('| op | API | gradFn | kernels: forward | kernels: backward | native f32 | gradcheck f64 | PyTorch parity | both backends |');
      lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    }
    const forward = trace ? list(trace.forward, 'none') + (trace.source === 'probe' ? ' *probe*' : '') : 'not traced';
    const cells = [
      [op.name, ...op.aliases].map(code).join(' / '),
      op.api.join(', '),
      trace ? list(trace.gradFns) : '',
      forward,
      trace ? list(trace.backward, '') : '',
      f.native,
      f.gradcheck.length ? `✓ ${f.gradcheck.join(', ')}` : '—',
      f.parity ? `✓ ${f.parity.cases} (${f.parity.withGrads} ∂)` : '—',
      f.conformance.length ? `✓ ${f.conformance.join(', ')}` : '—',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

function gaps(facts: OpFacts[]): string[] {
  const differentiable = facts.filter((f) => f.trace?.gradFns.size);
  const names = (fs: OpFacts[]) => (fs.length ? fs.map((f) => code(f.op.name)).join(', ') : 'none');
  const count = (pred: (f: OpFacts) => boolean) => facts.filter(pred).length;
  return [
    '',
    '## Summary',
    '',
    '| ops | record a gradient | native f32 ✓ | gradcheck f64 | PyTorch parity | both backends |',
    '| --- | --- | --- | --- | --- | --- |',
    `| ${facts.length} | ${differentiable.length} | ${count((f) => f.native === '✓')} | ${count((f) => f.gradcheck.length > 0)} | ` +
      `${count((f) => f.parity !== undefined)} | ${count((f) => f.conformance.length > 0)} |`,
    '',
    `- Differentiable without a float64 gradcheck: ${names(differentiable.filter((f) => f.gradcheck.length === 0))}.`,
    `- Without PyTorch parity cases: ${names(facts.filter((f) => !f.parity))}.`,
    `- Using JavaScript fallback kernels on native: ${names(facts.filter((f) => f.native.includes('js: ')))}.`,
    `- Forward (in some cases) computed by the op's own JavaScript: ${names(facts.filter((f) => f.trace?.jsLoops))}.`,
  ];
}

function kernelTable(
  kernels: KernelInfo[], native: NativeInfo, facts: OpFacts[], optimizers: { name: string; kernels: Set<string> }[], tests: TestFile[],
): string[] {
  const lines = [
    '',
    '## Backend kernels',
    '',
    'The kernels of `src/backend/interface.ts` (optional ones may be left out by a backend), whether the native',
    'backend implements them for float32, the test files that import src/backend and call them, and the ops',
    '(and optimizers) whose traces above use them.',
    '',
    '| kernel | ops of the kernel | native f32 | kernel tests | used by |',
    '| --- | --- | --- | --- | --- |',
  ];
  const uses = (labels: Iterable<string>, k: string) => [...labels].some((l) => l === k || l.startsWith(`${k}(`));
  const reference = { ...jsBackend, ...jsFused } as Record<string, unknown>;
  for (const k of kernels) {
    const nativeOps = native.familyOps[k.name];
    let nativeText = native.kernels.has(k.name) ? '✓' : 'js fallback';
    if (native.kernels.has(k.name) && nativeOps) {
      const missing = k.ops.filter((o) => !nativeOps.has(o));
      nativeText = missing.length ? `✓ except ${list(missing)}` : '✓ all';
    }
    const usedBy = [
      ...facts.filter((f) => f.trace && (uses(f.trace.forward, k.name) || uses(f.trace.backward, k.name))).map((f) => f.op.name),
      ...optimizers.filter((o) => uses(o.kernels, k.name)).map((o) => `optim.${o.name}`),
    ];
    let usedText = usedBy.length > 12 ? `${usedBy.slice(0, 12).map(code).join(' ')} and ${usedBy.length - 12} more` : list(usedBy);
    if (typeof reference[k.name] !== 'function') usedText = 'not traced (no JS reference kernel)';
    const direct = tests
      .filter((t) => t.kernelLevel && new RegExp(`\\.${k.name}!?\\(|(?<![\\w.])${k.name}\\(`).test(t.text))
      .map((t) => t.short);
    const cells = [
      code(k.name) + (k.optional ? ' (optional)' : ''),
      k.ops.length ? `${k.ops.length}: ${k.ops.join(', ')}` : '',
      nativeText,
      direct.length ? direct.join(', ') : '—',
      usedText,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

function optimizerTable(optimizers: { name: string; kernels: Set<string> }[], native: NativeInfo): string[] {
  const lines = ['', '## Optimizers', '', 'Kernels of two steps of each `optim` optimizer on a float32 parameter.', ''];
  lines.push('| optimizer | kernels | native f32 |', '| --- | --- | --- |');
  for (const o of optimizers) {
    const nativeText = o.kernels.size ? nativeCell(o.kernels, native) : 'no kernels: the step computes in JavaScript';
    lines.push(`| ${code(`optim.${o.name}`)} | ${list(o.kernels)} | ${nativeText} |`);
  }
  return lines;
}

function testBackendTable(tests: TestFile[]): string[] {
  const lines = [
    '',
    '## Test files and backends',
    '',
    'Outside the conformance suites a test file runs on the default backend of its process: native when it imports',
    '`src/index.ts` (directly or through a helper) and the addon loads, js when it only imports `src/core.ts`.',
    '',
    '| tests | backends |',
    '| --- | --- |',
  ];
  const groups = new Map<string, string[]>();
  for (const t of tests) {
    const kind = t.conformance ? (RUNS_EVERY_BACKEND.test(t.text) ? 'js + native (forEachBackend)' : 'js + native (run once per backend)') : t.native ? 'native (js without the addon)' : 'js';
    const key = `${path.posix.dirname(t.file)}|${kind}`;
    groups.set(key, [...(groups.get(key) ?? []), path.posix.basename(t.short)]);
  }
  for (const [key, files] of [...groups].sort()) {
    const [dir, kind] = key.split('|');
    lines.push(`| ${code(dir)}: ${files.join(', ')} | ${kind} |`);
  }
  return lines;
}

export async function generateCoverageTable(): Promise<string> {
  const ops = await listOps();
  const rowByName = new Map<string, Op>();
  for (const op of ops) for (const n of [op.name, ...op.aliases]) rowByName.set(n, op);
  const rowOf = (name: string) => rowByName.get(name);
  const opsIndex = (await import('../src/ops/index.js')) as unknown as Record<string, AnyFn>;
  const methodRows = tensorMethods((name) => ops.find((op) => op.fns.includes(opsIndex[name])) ?? rowOf(name));
  const methodsOf = new Map<Op, string[]>();
  for (const [method, rows] of methodRows) for (const r of rows) methodsOf.set(r, [...(methodsOf.get(r) ?? []), method]);

  const traces = traceOps(ops, rowOf, methodRows);
  const optimizers = traceOptimizers();
  const native = nativeBackendInfo();
  const tests = testFiles();
  const parity = parityCounts(rowOf, coreKeyToRow(rowOf, methodRows));

  const facts: OpFacts[] = ops.map((op) => {
    const trace = traces.get(op);
    return {
      op,
      trace,
      native: trace ? nativeCell(new Set([...trace.forward, ...trace.backward]), native, trace.jsLoops, trace.forward) : 'not traced',
      gradcheck: tests.filter((t) => mentions(t.gradcheckText, op, methodsOf)).map((t) => t.short),
      parity: parity.get(op),
      conformance: tests.filter((t) => t.conformance && mentions(t.text, op, methodsOf)).map((t) => path.posix.basename(t.short)),
    };
  });
  const lines = [
    '# Ops × backends × gradients',
    '',
    '<!-- Generated by tools/coverage-table.ts; do not edit. Run `npm run coverage-table` after changing ops, kernels or tests. -->',
    '',
    LEGEND,
    ...opTables(facts),
    ...gaps(facts),
    ...kernelTable(backendInterface(), native, facts, optimizers, tests),
    ...optimizerTable(optimizers, native),
    ...testBackendTable(tests),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const text = await generateCoverageTable();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUTPUT, 'utf8');
    } catch {
      // missing: out of date
    }
    if (current !== text) {
      console.error(`${path.relative(ROOT, OUTPUT)} is out of date: run \`npm run coverage-table\``);
      process.exit(1);
    }
    return;
  }
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${path.relative(ROOT, OUTPUT)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
