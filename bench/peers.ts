/**
 * The peers the benchmarks compare Strata with, each optional: when one is missing the benchmark prints
 * why and goes on.
 *
 * - PyTorch: Debian's python3-torch through /usr/bin/python3 (bench/torch_*.py), OPENBLAS_NUM_THREADS=1.
 * - onnxruntime-node (devDependency): models written here as ONNX protobuf bytes (no onnx package needed).
 * - TensorFlow.js (devDependencies @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm): the pure-JS cpu backend
 *   and the wasm backend (XNNPACK, SIMD; single-threaded in Node, where its thread count cannot be set).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

// ---- PyTorch ------------------------------------------------------------------------------

export const PYTHON = '/usr/bin/python3';

let torchStatus: string | null | undefined;

/** null when `/usr/bin/python3 -c 'import torch'` works, else the reason it does not. */
export function torchMissing(): string | null {
  if (torchStatus !== undefined) return torchStatus;
  if (!existsSync(PYTHON)) return (torchStatus = `no ${PYTHON}`);
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  torchStatus = r.status === 0 ? null : `import torch failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return torchStatus;
}

/** The torch version ('' when missing). */
export function torchVersion(): string {
  if (torchMissing()) return '';
  return spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
}

/** The path of bench/`script` and the environment it runs in: OPENBLAS_NUM_THREADS=1 (torch sets its own thread
    count; a nested BLAS pool only slows it down). */
function pythonScript(script: string): { file: string; env: NodeJS.ProcessEnv } {
  return { file: fileURLToPath(new URL(`./${script}`, import.meta.url)), env: { ...process.env, OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } };
}

/**
 * Runs bench/`script` with /usr/bin/python3 (see pythonScript); its last stdout line is JSON. Returns it, or why
 * it failed.
 */
export function runPython<T>(script: string, args: string[]): T | string {
  const missing = torchMissing();
  if (missing) return missing;
  const { file, env } = pythonScript(script);
  const r = spawnSync(PYTHON, [file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (r.status !== 0) return `${script} failed: ${(r.stderr || r.error?.message || `status ${r.status}`).trim().split('\n').pop()}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  } catch {
    return `${script} printed no JSON result`;
  }
}

/**
 * A PyTorch peer kept running (bench/`script`, whose loop is bench/torch_serve.py) so that the benchmark can
 * alternate between Strata and PyTorch, a few batches each, instead of timing one after the other: on a noisy
 * machine (a VM whose speed drifts for seconds at a time) both sides then sample the same slow and fast
 * spells, and their ratio stops depending on which ran first.
 */
export class PythonPeer<Hello = unknown> {
  private constructor(
    private readonly child: import('node:child_process').ChildProcess,
    private readonly lines: AsyncIterator<string>,
    private readonly stderr: string[],
    /** The peer's first line (its versions). */
    readonly hello: Hello,
  ) {}

  /** Starts bench/`script` with `args` (see pythonScript), or says why it could not. */
  static async start<Hello>(script: string, args: string[] = []): Promise<PythonPeer<Hello> | string> {
    const missing = torchMissing();
    if (missing) return missing;
    const { file, env } = pythonScript(script);
    const child = spawn(PYTHON, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      if (child.exitCode === null) await once(child, 'close');
      return `${script} failed: ${PythonPeer.lastLine(stderr) || 'no output'}`;
    }
    return new PythonPeer<Hello>(child, lines, stderr, JSON.parse(first.value) as Hello);
  }

  private static lastLine(chunks: string[]): string {
    return chunks.join('').trim().split('\n').pop() ?? '';
  }

  /** Sends `request` ({op, ...}) and returns the reply; throws with the peer's reason when it reports one or dies. */
  async request<T>(request: { op: string } & Record<string, unknown>): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(request)}\n`);
    const line = await this.lines.next();
    if (line.done) {
      if (this.child.exitCode === null) await once(this.child, 'close');
      throw new Error(`the PyTorch peer exited: ${PythonPeer.lastLine(this.stderr)}`);
    }
    const reply = JSON.parse(line.value) as T & { error?: string };
    if (reply.error) throw new Error(reply.error);
    return reply;
  }

  close(): void {
    this.child.stdin!.end();
  }
}

// ---- onnxruntime-node -----------------------------------------------------------------------

export type Ort = typeof import('onnxruntime-node');

let ortModule: Ort | string | undefined;

/** onnxruntime-node, or why it cannot be loaded. */
export function loadOrt(): Ort | string {
  if (ortModule !== undefined) return ortModule;
  try {
    ortModule = require('onnxruntime-node') as Ort;
  } catch (e) {
    ortModule = `onnxruntime-node not installed (npm install): ${(e as Error).message.split('\n')[0]}`;
  }
  return ortModule;
}

/** An inference session on the CPU with `threads` intra-op threads (1 inter-op thread, sequential execution). */
export async function ortSession(ort: Ort, model: Uint8Array | string, threads: number): Promise<import('onnxruntime-node').InferenceSession> {
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Minimal protobuf writer, enough for ONNX ModelProto. */
class Proto {
  private readonly parts: number[] = [];

  private varint(v: number): void {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x) byte |= 0x80;
      this.parts.push(byte);
    } while (x);
  }

  int(field: number, v: number): this {
    this.varint(field << 3);
    this.varint(v);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer and integer-list attributes. */
  attrs?: Record<string, number | number[]>;
}

const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function valueInfo(name: string, shape: number[]): Proto {
  const dims = new Proto();
  for (const d of shape) dims.msg(1, new Proto().int(1, d));
  const tensorType = new Proto().int(1, FLOAT).msg(2, dims);
  return new Proto().str(1, name).msg(2, new Proto().msg(1, tensorType));
}

/**
 * An ONNX model (IR 8, opset 13) of float32 `nodes`: graph inputs and outputs with fixed shapes,
 * float32 initializers (constant weights).
 */
export function onnxModel(g: {
  inputs: Record<string, number[]>;
  outputs: Record<string, number[]>;
  initializers?: Record<string, { shape: number[]; data: Float32Array }>;
  nodes: OnnxNode[];
}): Uint8Array {
  const graph = new Proto();
  g.nodes.forEach((n, i) => {
    const node = new Proto();
    for (const x of n.inputs) node.str(1, x);
    for (const y of n.outputs) node.str(2, y);
    node.str(3, `${n.op}_${i}`).str(4, n.op);
    for (const [name, v] of Object.entries(n.attrs ?? {})) {
      const a = new Proto().str(1, name);
      if (Array.isArray(v)) {
        for (const x of v) a.int(8, x);
        a.int(20, ATTR_INTS);
      } else a.int(3, v).int(20, ATTR_INT);
      node.msg(5, a);
    }
    graph.msg(1, node);
  });
  graph.str(2, 'bench');
  for (const [name, { shape, data }] of Object.entries(g.initializers ?? {})) {
    const t = new Proto();
    for (const d of shape) t.int(1, d);
    t.int(2, FLOAT).str(8, name).bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    graph.msg(5, t);
  }
  for (const [name, shape] of Object.entries(g.inputs)) graph.msg(11, valueInfo(name, shape));
  for (const [name, shape] of Object.entries(g.outputs)) graph.msg(12, valueInfo(name, shape));
  return new Proto()
    .int(1, 8)
    .str(2, 'strata-bench')
    .msg(7, graph)
    .msg(8, new Proto().str(1, '').int(2, 13))
    .finish();
}

// ---- TensorFlow.js --------------------------------------------------------------------------

export type Tf = typeof import('@tensorflow/tfjs');

let tfModule: Tf | string | undefined;

/**
 * TensorFlow.js switched to `backend` ('cpu': pure JS; 'wasm': XNNPACK with SIMD, one thread in Node),
 * or why that is not possible.
 */
export async function loadTfjs(backend: 'cpu' | 'wasm'): Promise<Tf | string> {
  if (tfModule === undefined) {
    try {
      tfModule = (await import('@tensorflow/tfjs')) as Tf;
    } catch (e) {
      tfModule = `@tensorflow/tfjs not installed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  if (typeof tfModule === 'string') return tfModule;
  const tf = tfModule;
  if (backend === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return `@tensorflow/tfjs-backend-wasm not installed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  // The "install tfjs-node" banner is noise here.
  const warn = console.warn;
  const log = console.log;
  console.warn = console.log = () => {};
  try {
    if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' did not initialise`;
    await tf.ready();
    tf.tensor1d([0]).dispose(); // the cpu backend prints its banner on the first write
  } catch (e) {
    return `tfjs backend '${backend}' failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  return tf;
}
