import type { Backend } from './interface.js';
import { jsBackend } from './js/index.js';

const backends = new Map<string, Backend>([['js', jsBackend]]);
let current: Backend = jsBackend;

/** Make a backend selectable by name; kernels it lacks fall back to the reference backend's. */
export function registerBackend(backend: Partial<Backend> & { name: string }, makeDefault = false): Backend {
  const complete: Backend = { ...jsBackend, ...backend };
  backends.set(backend.name, complete);
  if (makeDefault) current = complete;
  return complete;
}

export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: unknown backend '${name}'; available: ${[...backends.keys()].join(', ')}`);
  current = b;
}

/** Name of the backend in use. */
export function getBackend(): string {
  return current.name;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

/** The kernel table in use (for ops; users call setBackend/getBackend). */
export function kernels(): Backend {
  return current;
}

/** The reference kernels, whatever backend is selected (tests compare against them). */
export function referenceKernels(): Backend {
  return jsBackend;
}

/** Run `fn` with backend `name` selected, restoring the previous one afterwards. */
export function withBackend<T>(name: string, fn: () => T): T {
  const previous = current;
  setBackend(name);
  try {
    return fn();
  } finally {
    current = previous;
  }
}
