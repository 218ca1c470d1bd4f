import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
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
    const script = join(dir, 'writer.ts');
    // Saves 8 MB checkpoints in a loop, printing each completed epoch.
    writeFileSync(
      script,
      `import { saveCheckpoint } from ${JSON.stringify(src)};
import * as st from ${JSON.stringify(core)};
const w = st.zeros([2_000_000]);
for (let epoch = 1; ; epoch++) {
  w.fill_(epoch);
  saveCheckpoint(${JSON.stringify(join(dir, 'run', 'last'))}, { stateDict: new Map([['w', w]]), data: { epoch, globalStep: epoch, config: {}, metrics: null, history: [], optimizer: null, scheduler: null, rng: { default: st.getRngState(), loader: null }, callbacks: {} } });
  process.stdout.write(epoch + '\\n');
}
`,
    );
    for (const killAfter of [3, 6]) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
      let saved = 0;
      let watcher: ReturnType<typeof watch> | null = null;
      await new Promise<void>((resolveDone) => {
        child.stdout.on('data', (d: Buffer) => {
          saved = Number(d.toString().trim().split('\n').at(-1));
          if (saved >= killAfter && !watcher) {
            // Kill as soon as the next save creates its temp file: in the middle of writing it.
            watcher = watch(join(dir, 'run'), (_event, name) => {
              if (name && String(name).endsWith('.tmp')) child.kill('SIGKILL');
            });
          }
        });
        child.on('exit', () => resolveDone());
      });
      (watcher as ReturnType<typeof watch> | null)?.close();
      const runDir = join(dir, 'run');
      const files = readdirSync(runDir);
      const partial = files.filter((f) => f.endsWith('.tmp'));
      assert.ok(partial.length > 0, `the kill should interrupt a save (files: ${files})`);
      for (const f of partial) assert.match(f, /^\.last\.(safetensors|json)\.\d+\.\d+\.tmp$/, 'only hidden temp files may be left behind');
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
      assert.ok(data[0] >= killAfter && data[0] === data[data.length - 1], 'a complete weights file');
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
