/** Where datasets live: an explicit root (`--data DIR`), else $STRATA_DATA, else ../shared/data. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The data root: `root` when given (callers pass `--data DIR`), else the
 * environment variable STRATA_DATA, else `../shared/data` relative to the
 * current directory if that folder exists. Throws, naming what it looked for,
 * when none applies.
 */
export function defaultDataRoot(root?: string | null): string {
  if (root) return resolve(root);
  const env = process.env.STRATA_DATA;
  if (env) return resolve(env);
  const fallback = resolve(process.cwd(), '../shared/data');
  if (existsSync(fallback) && statSync(fallback).isDirectory()) return fallback;
  throw new Error(
    `no data root: pass one (--data DIR), set the environment variable STRATA_DATA, or create ${fallback} ` +
      `(looked for ../shared/data relative to the current directory ${process.cwd()})`,
  );
}
