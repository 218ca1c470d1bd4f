/**
 * Preload (`node --import tsx --import ./test/select-backend.ts`) for the suites that scripts/run-tests.mjs
 * runs once per backend (test/nn, test/optim): STRATA_TEST_BACKEND=js|native selects the default backend
 * for every file, whichever entry point (src/core.ts or src/index.ts) the file imports.
 */
import '../src/backend/native/index.js';
import { listBackends, setBackend } from '../src/backend/registry.js';

const wanted = process.env.STRATA_TEST_BACKEND;
if (wanted) {
  if (!listBackends().includes(wanted)) throw new Error(`STRATA_TEST_BACKEND=${wanted}: backend not available (${listBackends().join(', ')})`);
  setBackend(wanted);
}
