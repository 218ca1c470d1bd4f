/** Node file helpers for weight files: atomic writes and safetensors on disk. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deserialize, serialize, type Loaded, type TensorMap } from './safetensors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Write a file so that readers see either the old or the new content, never a
 * half-written one: write a temp file beside it, fsync, then rename over.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function saveSafetensors(path: string, tensors: TensorMap | Map<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serialize(tensors, metadata));
}

export function loadSafetensors(path: string): Loaded {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`safetensors: cannot read ${path}: ${(e as Error).message}`);
  }
  return deserialize(bytes, path);
}
