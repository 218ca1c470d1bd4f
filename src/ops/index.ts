/** Every tensor op, each defined once (forward over backend kernels + gradient rule). */
export * from './util.js';
export * from './cast.js';
export * from './binary.js';
export * from './unary.js';
export * from './reduce.js';
export * from './view.js';
export * from './join.js';
export * from './indexing.js';
export * from './pad.js';
export * from './matmul.js';
export * from './activation.js';
export * from './conv.js';
export * from './pool.js';
export * from './conv3d.js';
export * from './pool3d.js';
export * from './norm.js';
export * from './dropout.js';
export * from './interpolate.js';
export * from './loss.js';
export * from './sort.js';
export * from './scan.js';
export * from './select.js';
export * from './advanced-index.js';
// ---- triangular, diagonal, shape helpers, blends
export * from './triangular.js';
export * from './blend.js';
export * from './rearrange.js';
export * from './products.js';
export * from './einsum.js';
export * from './distance.js';
// ---- more pointwise ops, statistics, shaping helpers and products
export * from './pointwise.js';
export * from './stats.js';
export * from './shaping.js';
export * from './linalg.js';
