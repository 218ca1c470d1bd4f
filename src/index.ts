/** Strata for Node.js: the browser-safe core plus Node-only parts (datasets, files) and the native backend. */
export * from './core.js';
export * as data from './data/index.js';
export { saveSafetensors, loadSafetensors, writeFileAtomic } from './io/files.js';
