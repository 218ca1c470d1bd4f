/**
 * Training checkpoints: the model's weights as safetensors with PyTorch state-dict names
 * (`conv1.weight`, `bn1.running_mean`, ...), beside a JSON sidecar holding everything else needed
 * to continue exactly: optimiser and scheduler state, epoch and step, the default generator's
 * state and the data loader's (its shuffle generator and position), callbacks' state, the run's
 * config and the epoch's metrics. Optimiser moment tensors are stored in the sidecar as base64 of
 * their bytes (exact; `{shape, dtype, base64}`).
 *
 * A checkpoint named `runs/x/last` is the pair `runs/x/last.safetensors` + `runs/x/last.json`;
 * each file is written atomically (temp file + fsync + rename), and both carry the same random
 * id so a mismatched pair (e.g. a crash between the two renames) is detected on load.
 */
import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { serialize } from '../io/safetensors.js';
import { loadSafetensors, writeFileAtomic } from '../io/files.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GeneratorState } from '../tensor/random.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { EpochLogs } from './types.js';

export const CHECKPOINT_FORMAT = 'strata-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** The JSON sidecar of a checkpoint. */
export interface CheckpointData {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Shared with the weights file's metadata: the pair belongs together. */
  id: string;
  /** File name of the weights beside the sidecar. */
  weights: string;
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  globalStep: number;
  /** Free-form run configuration (the CLI stores model, dataset, preprocessing, hyper-parameters). */
  config: Record<string, unknown>;
  /** Logs of the checkpoint's epoch. */
  metrics: EpochLogs | null;
  /** Logs of every epoch up to this one. */
  history: EpochLogs[];
  optimizer: { class: string; state: OptimizerStateDict } | null;
  scheduler: { class: string; state: Record<string, unknown> } | null;
  rng: {
    /** The default generator (dropout, init, random transforms). */
    default: GeneratorState;
    /** The training loader's state (DataLoader.stateDict(): position and generator snapshots), when it has one. */
    loader: unknown;
    /** The training loader's own shuffle generator (DataLoader.generator), when it has one. */
    loaderGenerator?: GeneratorState | null;
  };
  /** State of callbacks that have a key (best values, patience counters). */
  callbacks: Record<string, unknown>;
  createdAt: string;
}

/** Where the two files of a checkpoint live. */
export interface CheckpointPaths {
  weights: string;
  sidecar: string;
}

/**
 * The files of a checkpoint given as its base path (`runs/x/last`), either file
 * (`last.safetensors`, `last.json`) or a run directory (→ its `last` checkpoint).
 */
export function checkpointPaths(path: string): CheckpointPaths {
  let base = path;
  if (existsSync(path) && statSync(path).isDirectory()) base = join(path, 'last');
  else if (path.endsWith('.safetensors')) base = path.slice(0, -'.safetensors'.length);
  else if (path.endsWith('.json')) base = path.slice(0, -'.json'.length);
  return { weights: `${base}.safetensors`, sidecar: `${base}.json` };
}

/** JSON that keeps ±Infinity/NaN distinguishable (as strings) instead of collapsing them to null. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    1,
  );
}

export interface SaveCheckpointInput {
  stateDict: Map<string, Tensor>;
  data: Omit<CheckpointData, 'format' | 'version' | 'id' | 'weights' | 'createdAt'>;
}

/**
 * Write a checkpoint at `path` (base path, or either file name): the weights, then the sidecar,
 * each atomically. Creates the directory. Returns the two file paths.
 */
export function saveCheckpoint(path: string, input: SaveCheckpointInput): CheckpointPaths {
  const paths = checkpointPaths(path);
  mkdirSync(dirname(paths.weights), { recursive: true });
  const id = randomBytes(8).toString('hex');
  const sidecar: CheckpointData = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    id,
    weights: basename(paths.weights),
    ...input.data,
    optimizer: input.data.optimizer ? (packTensors(input.data.optimizer) as CheckpointData['optimizer']) : null,
    createdAt: new Date().toISOString(),
  };
  // Serialise both before writing either, so a serialisation error leaves the old pair untouched.
  const json = toJson(sidecar);
  const weights = serialize(input.stateDict, { format: 'pt', checkpoint: id, epoch: String(input.data.epoch) });
  writeFileAtomic(paths.weights, weights);
  writeFileAtomic(paths.sidecar, json);
  return paths;
}

export interface LoadedCheckpoint {
  /** The sidecar (null when the weights have none, e.g. a file exported from PyTorch). */
  data: CheckpointData | null;
  /** The weights by state-dict name. */
  stateDict: Map<string, Tensor>;
  paths: CheckpointPaths;
}

/**
 * Read a checkpoint (base path, either file, or a run directory). The sidecar is optional
 * unless `requireSidecar`; when present it must match the weights file.
 */
export function loadCheckpoint(path: string, options: { requireSidecar?: boolean } = {}): LoadedCheckpoint {
  const paths = checkpointPaths(path);
  if (!existsSync(paths.weights)) {
    throw new Error(`checkpoint: no weights file ${paths.weights}${existsSync(path) ? '' : ` (${path} does not exist)`}`);
  }
  const loaded = loadSafetensors(paths.weights);
  let data: CheckpointData | null = null;
  if (existsSync(paths.sidecar)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(paths.sidecar, 'utf8'));
    } catch (e) {
      throw new Error(`checkpoint: cannot parse ${paths.sidecar}: ${(e as Error).message}`);
    }
    data = reviveNumbers(parsed) as CheckpointData;
    if (data?.optimizer) data.optimizer = unpackTensors(data.optimizer) as CheckpointData['optimizer'];
    if (!data || data.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${paths.sidecar} is not a Strata checkpoint sidecar (format '${String(data?.format)}')`);
    if (data.version > CHECKPOINT_VERSION) throw new Error(`checkpoint: ${paths.sidecar} has version ${data.version}, this Strata reads up to ${CHECKPOINT_VERSION}`);
    const weightId = loaded.metadata.checkpoint;
    if (weightId !== undefined && weightId !== data.id) {
      throw new Error(
        `checkpoint: ${paths.weights} (id ${weightId}, epoch ${loaded.metadata.epoch}) and ${paths.sidecar} (id ${data.id}, epoch ${data.epoch}) ` +
          'do not belong together (was a save interrupted?)',
      );
    }
  } else if (options.requireSidecar) {
    throw new Error(`checkpoint: ${paths.sidecar} is missing; it holds the optimiser, scheduler and RNG state needed to resume`);
  }
  return { data, stateDict: new Map(Object.entries(loaded.tensors)), paths };
}

/** A SerializedTensor ({shape, dtype, data: number[]}) stored compactly: its bytes in base64. */
interface PackedTensor {
  shape: number[];
  dtype: string;
  base64: string;
}

const ARRAYS: Record<string, { new (n: number): Float32Array | Float64Array | Int32Array; BYTES_PER_ELEMENT: number }> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
};

function isSerializedTensor(v: unknown): v is { shape: number[]; dtype: string; data: number[] } {
  const t = v as { shape?: unknown; dtype?: unknown; data?: unknown };
  return !!t && typeof t === 'object' && Array.isArray(t.shape) && typeof t.dtype === 'string' && t.dtype in ARRAYS && Array.isArray(t.data);
}

/** Replace serialised tensors (optimiser moments) by base64 of their bytes: exact, and ~4× smaller than JSON numbers. */
export function packTensors(v: unknown): unknown {
  if (isSerializedTensor(v)) {
    const arr = new ARRAYS[v.dtype](v.data.length);
    arr.set(v.data);
    return { shape: v.shape, dtype: v.dtype, base64: Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).toString('base64') } satisfies PackedTensor;
  }
  if (Array.isArray(v)) return v.map(packTensors);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, packTensors(x)]));
  return v;
}

/** Undo packTensors. */
export function unpackTensors(v: unknown): unknown {
  const p = v as Partial<PackedTensor>;
  if (p && typeof p === 'object' && typeof p.base64 === 'string' && Array.isArray(p.shape) && typeof p.dtype === 'string' && p.dtype in ARRAYS) {
    const bytes = Buffer.from(p.base64, 'base64');
    const Ctor = ARRAYS[p.dtype];
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    const arr = new (Ctor as unknown as new (b: ArrayBuffer) => Float32Array)(copy.buffer);
    return { shape: p.shape, dtype: p.dtype, data: Array.from(arr) };
  }
  if (Array.isArray(v)) return v.map(unpackTensors);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unpackTensors(x)]));
  return v;
}

/** Undo toJson's encoding of non-finite numbers. */
function reviveNumbers(v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (Array.isArray(v)) return v.map(reviveNumbers);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = reviveNumbers(x);
    return out;
  }
  return v;
}
