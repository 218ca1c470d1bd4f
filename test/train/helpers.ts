/** Shared fixtures of the training tests: a small slice of the real MNIST (or synthetic digits) and tiny nets. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { Compose, DataLoader, MNIST, Normalize, Subset, TensorDataset, ToTensor } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/index.js';

/** The data root holding mnist/, or null: STRATA_DATA, ../shared/data, /work/shared/data. */
export function mnistRoot(): string | null {
  const candidates = [process.env.STRATA_DATA, resolve(process.cwd(), '../shared/data'), '/work/shared/data'].filter(Boolean) as string[];
  for (const c of candidates) if (existsSync(join(c, 'mnist', 'train-images-idx3-ubyte.gz')) || existsSync(join(c, 'mnist', 'train-images-idx3-ubyte'))) return c;
  return null;
}

export const MNIST_SKIP = mnistRoot() ? false : 'MNIST not found (set STRATA_DATA or put it in ../shared/data/mnist); skipping the tests on real MNIST';

const normalize = new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]);

/** `n` images of MNIST (train or test split, from `offset`), normalised as usual; synthetic blobs when MNIST is absent. */
export function mnistSlice(n: number, options: { train?: boolean; offset?: number } = {}): Dataset<[st.Tensor, number]> {
  const root = mnistRoot();
  if (!root) return syntheticDigits(n, options.offset ?? 0);
  const ds = new MNIST(root, { train: options.train ?? true, transform: normalize });
  const offset = options.offset ?? 0;
  return new Subset(ds, Array.from({ length: n }, (_, i) => offset + i)) as unknown as Dataset<[st.Tensor, number]>;
}

/** 10 classes of 28×28 images with a bright square at a class-dependent place plus noise. */
export function syntheticDigits(n: number, seed = 0): Dataset<[st.Tensor, number]> {
  const g = new st.Generator(1000 + seed);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    y[i] = c;
    const r0 = 2 + Math.floor(c / 5) * 12;
    const c0 = 2 + (c % 5) * 5;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = g.uniformFloat(-0.4, 0.4);
    for (let r = r0; r < r0 + 8; r++) for (let q = c0; q < c0 + 4; q++) x[i * 784 + r * 28 + q] += 2;
  }
  return new TensorDataset(new st.Tensor(x, [n, 1, 28, 28]), new st.Tensor(y, [n], undefined, 0, 'int32')) as unknown as Dataset<[st.Tensor, number]>;
}

/** A small MLP with dropout (fast on the reference backend). */
export function tinyNet(seed = 0): nn.Module {
  st.manualSeed(seed);
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 32), new nn.ReLU(), new nn.Dropout(0.25), new nn.Linear(32, 10));
}

/** A small conv net with dropout. */
export function tinyConvNet(seed = 0): nn.Module {
  st.manualSeed(seed);
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 5, { stride: 2 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Dropout(0.2), new nn.Linear(4 * 6 * 6, 10),
  );
}

export function loader(ds: Dataset<unknown>, options: { batchSize?: number; shuffle?: boolean; seed?: number } = {}): DataLoader {
  return new DataLoader(ds, {
    batchSize: options.batchSize ?? 64,
    shuffle: options.shuffle ?? false,
    generator: options.shuffle ? new st.Generator(options.seed ?? 7) : null,
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'strata-train-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bitwise equality of two state dicts (float values compared through their bits; NaN-safe). */
export function sameBits(a: Map<string, st.Tensor>, b: Map<string, st.Tensor>): string | null {
  if (a.size !== b.size) return `sizes differ: ${a.size} vs ${b.size}`;
  for (const [k, t] of a) {
    const u = b.get(k);
    if (!u) return `missing ${k}`;
    const x = t.contiguous().data();
    const y = u.contiguous().data();
    if (x.length !== y.length) return `${k}: lengths differ`;
    const xb = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const yb = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    for (let i = 0; i < xb.length; i++) if (xb[i] !== yb[i]) return `${k}: differs at byte ${i}`;
  }
  return null;
}

/** A writable that collects text (for progress output). */
export function sink(isTTY = false): { write(s: string): boolean; text: string; isTTY: boolean; columns: number } {
  const s = { text: '', isTTY, columns: 120, write(x: string) { s.text += x; return true; } };
  return s;
}
