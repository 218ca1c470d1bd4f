/** Strata for Node.js: the browser-safe core plus Node-only parts (datasets, files) and the native backend. */
import './backend/native/index.js'; // registers 'native' and makes it the default when the addon loads
export * from './core.js';
export { nativeInfo, getNumThreads, setNumThreads } from './backend/native/index.js';
export * as data from './data/index.js';
export * as train from './train/index.js';
export { saveSafetensors, loadSafetensors, writeFileAtomic } from './io/files.js';
