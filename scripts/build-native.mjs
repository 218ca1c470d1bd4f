#!/usr/bin/env node
// Builds the native CPU backend (build/Release/strata_native.node) with node-gyp.
//
// Run by `npm install` (the package's install script) and by `npm run build:native`.
// A failed build never fails the installation: Strata then runs on its
// pure-TypeScript backend and says so once at run time.
//   STRATA_SKIP_NATIVE=1   skip the build entirely
//   --debug                build build/Debug instead of build/Release
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function log(msg) {
  process.stderr.write(`strata: ${msg}\n`);
}

/** node-gyp's entry script: npm's own (npm sets npm_config_node_gyp for scripts), a local copy, or the one bundled with npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

function main() {
  if (process.env.STRATA_SKIP_NATIVE === '1') {
    log('STRATA_SKIP_NATIVE=1: not building the native backend (the JavaScript backend will be used).');
    return;
  }
  if (!existsSync(path.join(root, 'binding.gyp'))) return;
  const gyp = findNodeGyp();
  const debug = process.argv.includes('--debug');
  const args = ['rebuild', '--jobs', 'max'];
  if (debug) args.push('--debug');
  const cmd = gyp ? process.execPath : 'npx';
  const cmdArgs = gyp ? [gyp, ...args] : ['--no-install', 'node-gyp', ...args];
  const started = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: process.env });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status === 0) {
    log(`native backend built in ${secs}s (build/${debug ? 'Debug' : 'Release'}/strata_native.node).`);
    return;
  }
  const why = r.error ? r.error.message : `node-gyp exited with status ${r.status}`;
  log(`could not build the native backend (${why}); Strata will use its JavaScript backend.`);
  log('A C++17 compiler (g++ or clang++), make and python3 are needed; rerun with `npm run build:native`.');
}

try {
  main();
} catch (err) {
  log(`native build skipped: ${err instanceof Error ? err.message : String(err)}`);
}
process.exit(0);
