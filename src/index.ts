/** Strata for Node.js: the core plus the native backend when it loads. */
export * from './core.js';
