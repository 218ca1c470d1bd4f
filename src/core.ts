/**
 * Strata's backend-independent core: tensors, autograd and ops. Safe to bundle
 * for the browser (no Node-only imports); `index.ts` adds the native backend.
 */
export { Tensor } from './tensor/tensor.js';
export type { TensorLike, NestedArray } from './tensor/tensor.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export { promoteTypes } from './tensor/dtype.js';
export {
  tensor, fromTypedArray, zeros, ones, full, empty, zerosLike, onesLike, fullLike, arange, linspace, eye,
  rand, randn, randint, randperm, uniform_, normal_,
} from './tensor/creation.js';
export type { TensorOptions, RandomOptions } from './tensor/creation.js';
export { Generator, defaultGenerator, manualSeed, seed, getRngState, setRngState } from './tensor/random.js';
export type { GeneratorState } from './tensor/random.js';

export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { gradcheck, gradgradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export { Node } from './autograd/node.js';
export * as autograd from './autograd/public.js';

export { setBackend, getBackend, listBackends, registerBackend, withBackend } from './backend/registry.js';
export type { Backend } from './backend/interface.js';

export {
  add, sub, rsub, mul, div, pow, maximum, minimum, remainder, fmod, atan2,
  eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalXor, logicalNot, allclose,
  neg, abs, sign, exp, log, log2, log10, log1p, expm1, sqrt, rsqrt, square, reciprocal,
  sin, cos, tanh, sigmoid, relu, erf, floor, ceil, round, trunc, clamp, isnan, isinf, isfinite,
  where, maskedFill,
  sum, mean, prod, amax, amin, maxDim as max, minDim as min, argmax, argmin, variance as var, std, logsumexp,
  logsumexp as logSumExp, norm, all, any, softmax, logSoftmax,
  matmul, mm, bmm, dot,
  reshape, view, flatten, unflatten, permute, transpose, squeeze, unsqueeze, expand, slice, narrow, select, unbind,
  split, chunk, flip, repeat, cat, stack, gather, scatterAdd, indexSelect, oneHot, pad, cast, clone,
} from './ops/index.js';
export type { MaxMinResult, VarOptions, PadOptions } from './ops/index.js';
// ---- sorting, selection, scans
export {
  sort, argsort, topk, kthvalue, median, nanmedian, cumsum, cumprod, cummax, cummin, logcumsumexp,
  nonzero, argwhere, maskedSelect, scatter, take, index, indexPut,
} from './ops/index.js';
export type { SortOptions, TopkOptions, CumOptions, ScatterOptions, IndexSpec, IndexEntry, IndexPutOptions } from './ops/index.js';
// ---- triangular, diagonal, shape helpers, blends
export {
  tril, triu, diagonal, diag, diagEmbed, trace, lerp, addcmul, addcdiv, nanToNum, movedim, moveaxis, swapaxes, swapdims,
  tile, roll, outer, kron, cross, einsum, cdist,
} from './ops/index.js';
export type { DiagonalOptions, NanToNumOptions, CdistOptions, CdistComputeMode } from './ops/index.js';
// ---- more pointwise ops, statistics, shaping helpers and products
export {
  floorDivide, fmax, fmin, bitwiseAnd, bitwiseOr, bitwiseXor, bitwiseNot, frac, sgn, logaddexp, logaddexp2, hypot, copysign,
  xlogy, heaviside, exp2, erfc, erfinv, lgamma, digamma, logit, sinc, deg2rad, rad2deg, signbit,
  multiply, subtract, negative, absolute, clip, trueDivide, positive,
  stdMean, varMean, countNonzero, nansum, nanmean, aminmax, diff, isclose, equal, isin, searchsorted, bucketize, bincount,
  histc, unique, uniqueConsecutive, msort, quantile, nanquantile, mode,
  indexAdd, indexCopy, indexFill, maskedScatter, takeAlongDim, scatterReduce, tensorSplit, hsplit, vsplit, dsplit,
  repeatInterleave, rot90, flipud, fliplr, meshgrid, broadcastTensors, broadcastTo, atleast1d, atleast2d, atleast3d,
  hstack, vstack, dstack, columnStack, rowStack, blockDiag, cartesianProd, combinations, triuIndices, trilIndices,
  diagflat, ravel, t, mv, addmm, baddbmm, addbmm, addmv, addr, vdot, inner, tensordot, chainMatmul, cov, corrcoef,
  trapezoid, renorm, randLike, randnLike, randintLike, emptyLike,
} from './ops/index.js';
export type {
  DiffOptions, SearchsortedOptions, UniqueOptions, QuantileOptions, QuantileInterpolation, ScatterReduceMode, CovOptions,
} from './ops/index.js';

// ---- layers above the core (browser-safe) ---------------------------------------------
export * as nn from './nn/index.js';
export * as F from './nn/functional.js';
export * as optim from './optim/index.js';
export * as models from './models/index.js';
export { summary } from './models/summary.js';
export * as safetensors from './io/safetensors.js';
