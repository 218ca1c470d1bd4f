/** Shared pieces of the `strata` commands: argument parsers, errors, backend and data-root selection. */
import { InvalidArgumentError } from 'commander';
import '../backend/native/index.js'; // registers 'native' (the default when the addon loads)
import { getBackend, listBackends, setBackend } from '../backend/registry.js';
import { defaultDataRoot } from '../data/root.js';

/** An error shown to the user as one line `strata: <message>` with exit status 1 (no stack). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export function parseIntArg(name: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`Expected an integer ≥ ${min}.`);
    }
    return n;
  };
}

export function parseFloatArg(name: string, options: { min?: number; max?: number; positive?: boolean } = {}): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    const bad =
      value.trim() === '' || !Number.isFinite(n) || (options.positive && n <= 0) || (options.min !== undefined && n < options.min) || (options.max !== undefined && n > options.max);
    if (bad) {
      const range = options.positive ? 'a positive number' : `a number${options.min !== undefined ? ` ≥ ${options.min}` : ''}${options.max !== undefined ? ` ≤ ${options.max}` : ''}`;
      throw new InvalidArgumentError(`Expected ${range}.`);
    }
    return n;
  };
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    const v = value.trim().toLowerCase() as T;
    if (!choices.includes(v)) throw new InvalidArgumentError(`Expected one of ${choices.join(', ')}.`);
    return v;
  };
}

/** `1,3,224,224` (or `1x3x224x224`) → [1, 3, 224, 224]. */
export function parseShape(value: string): number[] {
  const parts = value.split(/[,x×\s]+/).filter(Boolean);
  const dims = parts.map(Number);
  if (dims.length < 2 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidArgumentError('Expected positive integers separated by commas, e.g. 1,3,224,224.');
  }
  return dims;
}

/** Select the compute backend by name ('js' or 'native'), with a helpful error when it is unavailable. */
export function selectBackend(name: string | undefined): string {
  if (!name) return getBackend();
  if (!listBackends().includes(name)) {
    const hint = name === 'native' ? ' (the native addon did not load: build it with `npm run build:native`; set STRATA_NATIVE=1 to see why)' : '';
    throw new CliError(`backend '${name}' is not available${hint}; available: ${listBackends().join(', ')}`);
  }
  setBackend(name);
  return name;
}

/** --data, else STRATA_DATA, else ../shared/data; a CliError naming what was tried. */
export function dataRoot(dir: string | undefined): string {
  try {
    return defaultDataRoot(dir);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Where the CLI writes help and error messages (replaceable for in-process tests). */
export const io = {
  out: (s: string): void => void process.stdout.write(s),
  err: (s: string): void => void process.stderr.write(s),
};

/** Run `fn`, turning any error into a one-line message on stderr and a non-zero exit status. */
export async function runCommand(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    const line = String(err?.message ?? err).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    io.err(`strata: ${line}\n`);
    if (process.env.STRATA_DEBUG && err?.stack) io.err(`${err.stack}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
