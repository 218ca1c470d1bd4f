// Test folders that scripts/run-tests.mjs runs once per backend (test/select-backend.ts picks the backend);
// tools/coverage-table.ts counts them as conformance suites.
export const PER_BACKEND_DIRS = ['test/nn/', 'test/optim/'];
