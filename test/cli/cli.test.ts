import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MNIST, Uint8Image, encodePng } from '../../src/data/index.js';
import { main } from '../../src/cli/main.js';
import { MNIST_SKIP, mnistRoot, tempDir } from '../train/helpers.js';

/** Run `strata ARGS` through tsx (no build needed). */
function strata(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1', ...env },
    timeout: 240_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: withoutNodeWarnings(r.stderr) };
}

/** stderr without Node's process warnings (e.g. the native backend's "unavailable" notice). */
function withoutNodeWarnings(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\(node:\d+\) /.test(l) && !l.startsWith('(Use `node --trace-warnings'))
    .join('\n');
}

/** Run `main(argv)` in this process, capturing its help and error output. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const code = await main(args, { out: (s) => void (out.stdout += s), err: (s) => void (out.stderr += s) });
  return { code, ...out };
}

const commands = ['train', 'eval', 'predict', 'summary', 'lab'];
for (const cmd of commands) {
  test(`strata ${cmd} --help`, async () => {
    const r = await inProcess([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: strata ${cmd} `));
    assert.match(r.stdout, /-h, --help/);
  });
}

test('strata --help lists every command (as a process, exit 0)', () => {
  const r = strata(['--help']);
  assert.equal(r.code, 0);
  for (const cmd of commands) assert.match(r.stdout, new RegExp(`\\n  ${cmd} `));
  const sub = strata(['eval', '--help']);
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /^Usage: strata eval \[options\] <checkpoint>/);
});

const badArgs: [string[], RegExp][] = [
  [['trian'], /^strata: unknown command 'trian' \(Did you mean train\?\)$/],
  [['train', '--epochs', 'abc'], /^strata: option '--epochs <n>' argument 'abc' is invalid\. Expected an integer ≥ 1\.$/],
  [['train', '--epochs', '0'], /Expected an integer ≥ 1/],
  [['train', '--lr', '-1'], /argument '-1' is invalid\. Expected a positive number\.$/],
  [['train', '--epoch', '3'], /^strata: unknown option '--epoch' \(Did you mean --epochs\?\)$/],
  [['train', '--optimizer', 'sgdd'], /Expected one of sgd, nesterov, adam/],
  [['train', '--dataset', 'imagenet'], /argument 'imagenet' is invalid\. Allowed choices are mnist, fashion-mnist, cifar10, cifar100\.$/],
  [['train', '--backend', 'cuda'], /Expected one of js, native\.$/],
  [['train', '--model', 'nonet', '--limit', '10'], /^strata: unknown model 'nonet'; available models: lenet5/],
  [['train', '--data', '/nonexistent/data', '--limit', '10'], /^strata: MNIST: cannot find \/nonexistent\/data\/mnist\//],
  [['train', '--resume', '/nonexistent/ckpt'], /^strata: checkpoint: no weights file \/nonexistent\/ckpt\.safetensors/],
  [['eval'], /^strata: missing required argument 'checkpoint'$/],
  [['eval', '/nonexistent/run'], /^strata: checkpoint: no weights file/],
  [['eval', '/nonexistent/run', '--errors', '-2'], /argument '-2' is invalid/],
  [['predict', 'x'], /^strata: missing required argument 'images'$/],
  [['predict', 'x', 'y.png', '--invert', 'maybe'], /Allowed choices are auto, yes, no\.$/],
  [['summary'], /^strata: missing required argument 'model'$/],
  [['summary', 'nonet'], /^strata: unknown model 'nonet'/],
  [['summary', 'lenet5', '--input', '1,x'], /Expected positive integers separated by commas/],
  [['summary', 'lenet5', '--input', '1,1,8,8'], /^strata: lenet5 with input \[1, 1, 8, 8\]: conv2d: /],
  [['lab', '--port', '70000'], /^strata: --port must be at most 65535, got 70000$/],
];
for (const [args, message] of badArgs) {
  test(`bad arguments: strata ${args.join(' ')} → one-line error, exit 1`, async () => {
    const r = await inProcess(args);
    assert.equal(r.code, 1, `exit status (stdout: ${r.stdout})`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
    assert.match(lines[0], message);
  });
}

test('bad arguments as a process: one line on stderr and exit status 1', () => {
  for (const args of [['train', '--epochs', 'x'], ['eval', '/nonexistent/run']]) {
    const r = strata(args);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('strata summary lenet5: a layer table with 61,706 parameters', () => {
  const r = strata(['summary', 'lenet5']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^lenet5: .*input \[1, 1, 28, 28\]/);
  assert.match(r.stdout, /61,706/);
  const custom = strata(['summary', 'lenet5', '--input', '2,1,28,28']);
  assert.equal(custom.code, 0, custom.stderr);
  assert.match(custom.stdout, /input \[2, 1, 28, 28\]/);
});

// ---- end to end on real MNIST ----------------------------------------------------------------------

const run = { dir: '', cleanup: () => {} };
before(() => {
  const t = tempDir('strata-cli-');
  run.dir = t.dir;
  run.cleanup = t.cleanup;
});
after(() => run.cleanup());

test('strata train --limit 512 --epochs 1: trains, checkpoints, logs and ends with the test accuracy', { skip: MNIST_SKIP, timeout: 240_000 }, () => {
  const out = join(run.dir, 'run');
  // Small batches without a schedule or augmentation: 32 steps that learn visibly from 512 images.
  const quick = ['--batch-size', '16', '--scheduler', 'none', '--lr', '0.05', '--no-augment'];
  const r = strata(['train', '--model', 'lenet5', '--dataset', 'mnist', '--limit', '512', '--epochs', '1', '--test-limit', '1000', '--out', out, '--data', mnistRoot()!, ...quick]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^strata train: lenet5 on mnist \(512 training images, 1000 test\), 1 epochs, batch 16, sgd lr 0\.05 momentum 0\.9 weight decay 0\.0005, none schedule, augment none/);
  assert.ok(lines.some((l) => /^epoch 1\/1 {2}lr /.test(l)), 'one line per epoch without a TTY');
  assert.match(lines.at(-1)!, /^test accuracy: \d{1,3}\.\d\d%$/);
  const acc = Number(lines.at(-1)!.match(/([\d.]+)%/)![1]);
  assert.ok(acc > 25, `a first epoch on 512 images learns something: ${acc}%`);
  for (const f of ['last.safetensors', 'last.json', 'best.safetensors', 'best.json', 'log.csv', 'log.jsonl', 'test.json']) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const sidecar = JSON.parse(readFileSync(join(out, 'last.json'), 'utf8'));
  assert.equal(sidecar.config.model, 'lenet5');
  assert.deepEqual(sidecar.config.preprocessing.mean, [0.1307]);
});

test('strata train --resume continues a run to more epochs with the saved settings', { skip: MNIST_SKIP, timeout: 240_000 }, () => {
  const out = join(run.dir, 'run');
  if (!existsSync(join(out, 'last.json'))) return;
  const mismatch = strata(['train', '--resume', join(out, 'last.json'), '--epochs', '2', '--optimizer', 'adam', '--data', mnistRoot()!]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /^strata: resume: .*last\.json was saved with optimiser SGD, this run uses Adam\n$/);
  const r = strata(['train', '--resume', join(out, 'last.json'), '--epochs', '2', '--data', mnistRoot()!]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /batch 16, sgd lr 0\.05 .* none schedule, augment none/, 'settings come from the checkpoint');
  assert.match(r.stdout, /\(resuming from /);
  assert.doesNotMatch(r.stdout, /^epoch 1\/2/m);
  assert.match(r.stdout, /^epoch 2\/2 /m);
  const csv = readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), ['1', '2']);
  assert.equal(JSON.parse(readFileSync(join(out, 'last.json'), 'utf8')).epoch, 2);
});

test('strata eval: confusion matrix, per-class figures, misclassified list and grid, test accuracy', { skip: MNIST_SKIP, timeout: 240_000 }, () => {
  const out = join(run.dir, 'run');
  const grid = join(run.dir, 'errors.png');
  const r = strata(['eval', out, '--limit', '300', '--grid', grid, '--errors', '5', '--data', mnistRoot()!]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^strata eval: lenet5 after \d epochs .* on the mnist test set \(300 images\)/);
  assert.match(r.stdout, /confusion matrix \(rows: true class, columns: predicted\):\ntrue\\pred\s+0\s+1\s+2/);
  assert.match(r.stdout, /per class: {3}precision {3}recall\n0 - zero /);
  assert.match(r.stdout, /misclassified: \d+ of 300/);
  assert.match(r.stdout.trim().split('\n').at(-1)!, /^test accuracy: \d+\.\d\d%$/);
  assert.ok(existsSync(grid), 'grid written');
  assert.deepEqual([...readFileSync(grid).subarray(1, 4)], [0x50, 0x4e, 0x47]);
});

test('strata predict: top-5 classes with probabilities for PNG files', { skip: MNIST_SKIP, timeout: 240_000 }, () => {
  const out = join(run.dir, 'run');
  // Test image 0 of MNIST (a 7) as a dark-on-light 84×84 PNG, as someone would draw it, and as the raw 28×28 digit.
  const ds = new MNIST(mnistRoot()!, { train: false });
  const img = ds.image(0);
  const big = new Uint8Array(84 * 84);
  for (let y = 0; y < 84; y++) for (let x = 0; x < 84; x++) big[y * 84 + x] = 255 - img.data[Math.floor(y / 3) * 28 + Math.floor(x / 3)];
  const drawn = join(run.dir, 'drawn.png');
  const raw = join(run.dir, 'raw.png');
  writeFileSync(drawn, encodePng(new Uint8Image(big, 1, 84, 84)));
  writeFileSync(raw, encodePng(img));
  const r = strata(['predict', out, drawn, raw]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 12);
  assert.match(lines[0], /drawn\.png: \d - \w+ \(\d+\.\d\d%\)$/);
  const probs = lines.slice(1, 6).map((l) => {
    const m = l.match(/^ {2}\d\. \d - \w+ +(\d+\.\d\d)%$/);
    assert.ok(m, `top-5 line: ${l}`);
    return Number(m![1]);
  });
  assert.deepEqual([...probs].sort((a, b) => b - a), probs, 'sorted by probability');
  assert.ok(probs.reduce((a, b) => a + b, 0) <= 100.01);
  const json = strata(['predict', out, raw, '--json', '--top', '3']);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed[0].top.length, 3);
  assert.equal(parsed[0].image, raw);
  const missing = strata(['predict', out, join(run.dir, 'missing.png')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^strata: readImage: .*missing\.png/);
});
