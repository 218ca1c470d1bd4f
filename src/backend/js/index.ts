import type { Backend } from '../interface.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './conv.js';
import { binary, copy, scalar, unary, where } from './elementwise.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from './pool.js';
import { argReduce, reduce, softmax } from './reduce.js';

/** The pure-TypeScript reference backend: every kernel, readable, and the oracle in tests. */
export const jsBackend: Backend = {
  name: 'js',
  copy,
  unary,
  scalar,
  binary,
  where,
  reduce,
  argReduce,
  softmax,
  matmul,
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  gather,
  scatterAdd,
  indexSelect,
  indexAdd,
};
