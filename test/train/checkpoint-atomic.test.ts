import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as st from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint, type SaveCheckpointInput } from '../../src/train/index.js';
import { tempDir } from './helpers.js';

function input(epoch: number, size = 8, extra: Record<string, unknown> = {}): SaveCheckpointInput {
  return {
    stateDict: new Map([['fc.weight', st.full([size], epoch)], ['fc.bias', st.zeros([2])]]),
    data: {
      epoch, globalStep: epoch * 10, config: { model: 'm', ...extra }, metrics: { epoch, loss: 1 / epoch }, history: [],
      optimizer: null, scheduler: null, rng: { default: st.getRngState(), loader: null }, callbacks: {},
    },
  };
}

test('a checkpoint that fails to serialise leaves the previous pair untouched and no temp files', () => {
  const { dir, cleanup } = tempDir();
  try {
    const base = join(dir, 'last');
    saveCheckpoint(base, input(1));
    const before = [readFileSync(`${base}.safetensors`), readFileSync(`${base}.json`)];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => saveCheckpoint(base, input(2, 8, { circular })), /circular/i);
    assert.deepEqual([readFileSync(`${base}.safetensors`), readFileSync(`${base}.json`)], before);
    assert.deepEqual(readdirSync(dir).sort(), ['last.json', 'last.safetensors']);
    assert.equal(loadCheckpoint(base).data!.epoch, 1);
  } finally {
    cleanup();
  }
});

test('a write that fails (target is a directory) removes its temp file and throws', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'x.safetensors'));
    assert.throws(() => saveCheckpoint(join(dir, 'x'), input(1)), /EISDIR|directory|EEXIST|ENOTEMPTY/);
    assert.deepEqual(readdirSync(dir), ['x.safetensors']);
  } finally {
    cleanup();
  }
});

test('a process killed while saving never leaves a partial checkpoint file', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = resolve('src/train/checkpoint.ts');
    const core = resolve('src/index.ts');
    const script = join(dir, 'writer.mts');
    // Saves 8 MB checkpoints in a loop. The n-th write into a temp file (BLOCK_AT_WRITE) writes half
    // its bytes, says so and blocks until the process is killed: a kill in the middle of a save,
    // whatever the machine's load (a kill timed from outside could land after the rename).
    writeFileSync(
      script,
      `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const blockAt = Number(process.env.BLOCK_AT_WRITE);
const { openSync, writeSync } = fs;
const tempFds = new Set<number>();
let writes = 0;
(fs as any).openSync = (path: string, ...rest: any[]) => {
  const fd = (openSync as any)(path, ...rest);
  if (String(path).endsWith('.tmp')) tempFds.add(fd);
  return fd;
};
(fs as any).writeSync = (fd: number, data: any, ...rest: any[]) => {
  if (tempFds.has(fd) && ++writes === blockAt) {
    writeSync(fd, data.subarray(0, data.length >> 1));
    writeSync(1, 'blocked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  return (writeSync as any)(fd, data, ...rest);
};
syncBuiltinESMExports();
const { saveCheckpoint } = await import(${JSON.stringify(src)});
const st = await import(${JSON.stringify(core)});
const w = st.zeros([2_000_000]);
for (let epoch = 1; ; epoch++) {
  w.fill_(epoch);
  saveCheckpoint(${JSON.stringify(join(dir, 'run', 'last'))}, { stateDict: new Map([['w', w]]), data: { epoch, globalStep: epoch, config: {}, metrics: null, history: [], optimizer: null, scheduler: null, rng: { default: st.getRngState(), loader: null }, callbacks: {} } });
}
`,
    );
    // Each save writes the weights, then the sidecar: interrupt epoch 4's weights and epoch 7's sidecar.
    for (const [blockAt, complete] of [[7, 3], [14, 6]]) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BLOCK_AT_WRITE: String(blockAt) },
      });
      await new Promise<void>((resolveDone) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('blocked')) child.kill('SIGKILL');
        });
        child.on('exit', () => resolveDone());
      });
      const runDir = join(dir, 'run');
      const files = readdirSync(runDir);
      const partial = files.filter((f) => f.endsWith('.tmp'));
      for (const f of partial) assert.match(f, /^\.last\.(safetensors|json)\.\d+\.\d+\.tmp$/, 'only hidden temp files may be left behind');
      const ours = partial.filter((f) => f.includes(`.${child.pid}.`));
      assert.equal(ours.length, 1, `the kill interrupts one save (files: ${files})`);
      assert.ok(ours[0].startsWith(blockAt % 2 ? '.last.safetensors' : '.last.json'), `the interrupted file: ${ours[0]}`);
      // The final names always hold complete files: the weights parse, and the pair matches or is reported as mismatched.
      let ckpt;
      try {
        ckpt = loadCheckpoint(join(runDir, 'last'));
      } catch (e) {
        assert.match((e as Error).message, /do not belong together/, 'only a mismatched (complete) pair may fail to load');
        continue;
      }
      const w = ckpt.stateDict.get('w')!;
      assert.equal(w.size, 2_000_000);
      const data = w.data();
      assert.ok(data[0] >= complete && data[0] === data[data.length - 1], 'a complete weights file');
      assert.equal(ckpt.data!.epoch, data[0]);
    }
  } finally {
    cleanup();
  }
});

test('optimiser tensors are stored as base64 bytes in the sidecar and restored exactly', async () => {
  const { packTensors, unpackTensors } = await import('../../src/train/checkpoint.js');
  const values = [0.1, -3.4028234663852886e38, 1e-45, NaN, Infinity, -0];
  const f32 = { shape: [2, 3], dtype: 'float32', data: Array.from(Float32Array.from(values)) };
  const f64 = { shape: [6], dtype: 'float64', data: values };
  const state = { state: { 0: { step: 3, momentum_buffer: f32 }, 1: { exp_avg: f64 } }, paramGroups: [{ lr: 0.1, params: [0, 1] }] };
  const packed = packTensors(state) as { state: Record<string, Record<string, { base64?: string }>> };
  assert.equal(typeof packed.state[0].momentum_buffer.base64, 'string');
  assert.equal(packed.state[0].momentum_buffer.base64!.length, 32, '24 bytes of float32');
  const back = unpackTensors(JSON.parse(JSON.stringify(packed))) as typeof state;
  assert.deepEqual(back, state);
  assert.ok(Object.is((back.state[0].momentum_buffer as typeof f32).data[5], -0));
});
