/**
 * Attention, composed from differentiable ops (so autograd and both backends come for free):
 * `F.multiHeadAttentionForward` (torch.nn.functional.multi_head_attention_forward, torch 1.13's math:
 * masks, bias_k/bias_v, zero attention, static keys, head-averaged weights) and
 * `F.scaledDotProductAttention` (torch ≥ 2.0's F.scaled_dot_product_attention).
 */
import { Tensor } from '../tensor/tensor.js';
import { zeros, full } from '../tensor/creation.js';
import { shapeStr } from '../tensor/shape.js';
import { cat } from '../ops/join.js';
import { bmm } from '../ops/matmul.js';
import { softmax } from '../ops/reduce.js';
import { triu } from '../ops/triangular.js';
import { dropout } from '../ops/dropout.js';
import { linear } from './functional.js';

export interface MultiHeadAttentionOptions {
  /** Apply attention dropout (default true, as PyTorch's functional form). */
  training?: boolean;
  /** [N, S] (or [S] unbatched): true (or a float added to the scores) marks keys to ignore. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: true forbids attending (bool), a float mask is added to the scores. */
  attnMask?: Tensor | null;
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  staticK?: Tensor | null;
  staticV?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
}

function fail(message: string): never {
  throw new Error(`multiHeadAttentionForward: ${message}`);
}

/** The mask with one more (unmasked) key column: false for a bool mask, 0 for a float one. */
function padKeyColumn(mask: Tensor): Tensor {
  return cat([mask, zeros([...mask.shape.slice(0, -1), 1], { dtype: mask.dtype })], -1);
}

function checkMaskDtype(mask: Tensor, what: string): void {
  if (mask.dtype !== 'bool' && !mask.isFloatingPoint()) fail(`only bool and floating types of ${what} are supported, got ${mask.dtype}`);
}

/** Input projections: one product for self-attention, q and packed k/v for encoder-decoder attention (PyTorch's grouping). */
function projectPacked(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | null): Tensor[] {
  const E = q.shape[q.ndim - 1]!;
  if (k === v) {
    if (q === k) return linear(q, w, b).chunk(3, -1);
    const wkv = w.narrow(0, E, 2 * E);
    const bkv = b ? b.narrow(0, E, 2 * E) : null;
    return [linear(q, w.narrow(0, 0, E), b ? b.narrow(0, 0, E) : null), ...linear(k, wkv, bkv).chunk(2, -1)];
  }
  const ws = w.chunk(3);
  const bs = b ? b.chunk(3) : [null, null, null];
  return [linear(q, ws[0]!, bs[0]), linear(k, ws[1]!, bs[1]), linear(v, ws[2]!, bs[2])];
}

/**
 * Multi-head attention over sequence-first inputs: query [L, N, E] (or [L, E] unbatched), key [S, N, Ek],
 * value [S, N, Ev]. Returns [output [L, N, E], weights [N, L, S] (or [N, numHeads, L, S]) or null].
 */
export function multiHeadAttentionForward(
  query: Tensor, key: Tensor, value: Tensor, embedDimToCheck: number, numHeads: number,
  inProjWeight: Tensor | null, inProjBias: Tensor | null, biasK: Tensor | null, biasV: Tensor | null,
  addZeroAttn: boolean, dropoutP: number, outProjWeight: Tensor, outProjBias: Tensor | null,
  options: MultiHeadAttentionOptions = {},
): [Tensor, Tensor | null] {
  let keyPaddingMask = options.keyPaddingMask ?? null;
  let attnMask = options.attnMask ?? null;
  for (const [n, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (!(t instanceof Tensor)) fail(`${n} must be a Tensor`);
  }
  // Shapes (PyTorch's _mha_shape_check): 3-D batched or 2-D unbatched.
  const batched = query.ndim === 3;
  if (batched) {
    if (key.ndim !== 3 || value.ndim !== 3) fail(`for batched (3-D) query, expected key and value to be 3-D but found ${key.ndim}-D and ${value.ndim}-D tensors`);
    if (keyPaddingMask && keyPaddingMask.ndim !== 2) fail(`for batched (3-D) query, expected keyPaddingMask to be null or 2-D but found a ${keyPaddingMask.ndim}-D tensor`);
  } else if (query.ndim === 2) {
    if (key.ndim !== 2 || value.ndim !== 2) fail(`for unbatched (2-D) query, expected key and value to be 2-D but found ${key.ndim}-D and ${value.ndim}-D tensors`);
    if (keyPaddingMask && keyPaddingMask.ndim !== 1) fail(`for unbatched (2-D) query, expected keyPaddingMask to be null or 1-D but found a ${keyPaddingMask.ndim}-D tensor`);
    if (attnMask?.ndim === 3 && shapeStr(attnMask.shape) !== shapeStr([numHeads, query.shape[0]!, key.shape[0]!])) {
      fail(`expected attnMask of shape ${shapeStr([numHeads, query.shape[0]!, key.shape[0]!])}, got ${shapeStr(attnMask.shape)}`);
    }
  } else {
    fail(`query should be an unbatched 2-D or batched 3-D tensor, got a ${query.ndim}-D tensor`);
  }
  if (attnMask && attnMask.ndim !== 2 && attnMask.ndim !== 3) fail(`expected attnMask to be null, 2-D or 3-D, got a ${attnMask.ndim}-D tensor`);
  if (!batched) {
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (keyPaddingMask) keyPaddingMask = keyPaddingMask.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
  const srcLen0 = key.shape[0]!;
  if (keyPaddingMask) checkMaskDtype(keyPaddingMask, 'keyPaddingMask');
  if (embedDim !== embedDimToCheck) fail(`was expecting embedding dimension of ${embedDimToCheck}, but got ${embedDim}`);
  const headDim = Math.floor(embedDim / numHeads);
  if (headDim * numHeads !== embedDim) fail(`embed_dim ${embedDim} not divisible by num_heads ${numHeads}`);
  const separate = options.useSeparateProjWeight ?? false;
  if (separate ? shapeStr(key.shape.slice(0, 2)) !== shapeStr(value.shape.slice(0, 2)) : shapeStr(key.shape) !== shapeStr(value.shape)) {
    fail(`key shape ${shapeStr(key.shape)} does not match value shape ${shapeStr(value.shape)}`);
  }

  let q: Tensor, k: Tensor, v: Tensor;
  if (!separate) {
    if (!inProjWeight) fail('useSeparateProjWeight is false but inProjWeight is null');
    [q, k, v] = projectPacked(query, key, value, inProjWeight, inProjBias) as [Tensor, Tensor, Tensor];
  } else {
    const { qProjWeight: wq, kProjWeight: wk, vProjWeight: wv } = options;
    if (!wq || !wk || !wv) fail('useSeparateProjWeight is true but qProjWeight, kProjWeight or vProjWeight is null');
    const [bq, bk, bv] = inProjBias ? inProjBias.chunk(3) : [null, null, null];
    [q, k, v] = [linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)];
  }

  if (attnMask) {
    checkMaskDtype(attnMask, 'attnMask');
    const expected = attnMask.ndim === 2 ? [tgtLen, srcLen0] : [bsz * numHeads, tgtLen, srcLen0];
    if (shapeStr(attnMask.shape) !== shapeStr(expected)) fail(`the shape of the ${attnMask.ndim}-D attnMask is ${shapeStr(attnMask.shape)}, but should be ${shapeStr(expected)}`);
    if (attnMask.ndim === 2) attnMask = attnMask.unsqueeze(0);
  }
  if (biasK && biasV) {
    if (options.staticK || options.staticV) fail('bias cannot be added to a static key or value');
    k = cat([k, biasK.expand(1, bsz, embedDim)]);
    v = cat([v, biasV.expand(1, bsz, embedDim)]);
    if (attnMask) attnMask = padKeyColumn(attnMask);
    if (keyPaddingMask) keyPaddingMask = padKeyColumn(keyPaddingMask);
  } else if (biasK || biasV) {
    fail('biasK and biasV must be given together');
  }

  // Heads become batch entries: [N·numHeads, length, headDim].
  q = q.contiguous().view(tgtLen, bsz * numHeads, headDim).transpose(0, 1);
  const heads = (t: Tensor, fixed: Tensor | null | undefined, name: string): Tensor => {
    if (!fixed) return t.contiguous().view(t.shape[0]!, bsz * numHeads, headDim).transpose(0, 1);
    if (fixed.shape[0] !== bsz * numHeads) fail(`expecting ${name}.size(0) of ${bsz * numHeads}, but got ${fixed.shape[0]}`);
    if (fixed.shape[2] !== headDim) fail(`expecting ${name}.size(2) of ${headDim}, but got ${fixed.shape[2]}`);
    return fixed;
  };
  k = heads(k, options.staticK, 'staticK');
  v = heads(v, options.staticV, 'staticV');
  if (addZeroAttn) {
    k = cat([k, zeros([bsz * numHeads, 1, headDim], { dtype: k.dtype })], 1);
    v = cat([v, zeros([bsz * numHeads, 1, headDim], { dtype: v.dtype })], 1);
    if (attnMask) attnMask = padKeyColumn(attnMask);
    if (keyPaddingMask) keyPaddingMask = padKeyColumn(keyPaddingMask);
  }
  const srcLen = k.shape[1]!;

  // One additive float mask [1 or N·numHeads, L, S] from the attention and key-padding masks.
  if (keyPaddingMask) {
    if (shapeStr(keyPaddingMask.shape) !== shapeStr([bsz, srcLen])) fail(`expecting keyPaddingMask shape of ${shapeStr([bsz, srcLen])}, but got ${shapeStr(keyPaddingMask.shape)}`);
    const kpm = keyPaddingMask.view(bsz, 1, 1, srcLen).expand(-1, numHeads, -1, -1).reshape(bsz * numHeads, 1, srcLen);
    if (!attnMask) attnMask = kpm;
    else if (attnMask.dtype === 'bool') attnMask = attnMask.logicalOr(kpm);
    else if (kpm.dtype !== 'bool') fail('a float keyPaddingMask cannot be combined with a float attnMask (PyTorch fills with a bool key padding mask only)');
    else attnMask = attnMask.maskedFill(kpm, -Infinity);
  }
  if (attnMask?.dtype === 'bool') attnMask = zeros(attnMask.shape, { dtype: q.dtype }).maskedFill(attnMask, -Infinity);
  if (!(options.training ?? true)) dropoutP = 0;

  let scores = bmm(q.div(Math.sqrt(headDim)), k.transpose(-2, -1));
  if (attnMask) scores = attnMask.add(scores);
  let weights = softmax(scores, -1);
  if (dropoutP > 0) weights = dropout(weights, { p: dropoutP });
  let out = bmm(weights, v).transpose(0, 1).contiguous().view(tgtLen * bsz, embedDim);
  out = linear(out, outProjWeight, outProjBias);
  out = out.view(tgtLen, bsz, out.shape[1]!);
  if (!(options.needWeights ?? true)) return [batched ? out : out.squeeze(1), null];
  weights = weights.view(bsz, numHeads, tgtLen, srcLen);
  if (options.averageAttnWeights ?? true) weights = weights.sum(1).div(numHeads);
  return batched ? [out, weights] : [out.squeeze(1), weights.squeeze(0)];
}

export interface ScaledDotProductAttentionOptions {
  /** Broadcastable to [..., L, S]: a bool mask where true means *may attend* (PyTorch 2's convention), or a float mask added to the scores. */
  attnMask?: Tensor | null;
  dropoutP?: number;
  /** Causal (lower-triangular) mask; not combinable with attnMask. */
  isCausal?: boolean;
  /** Score scale (default 1/√E). */
  scale?: number | null;
}

/** softmax(q·kᵀ·scale + mask)·v over [..., L, E] × [..., S, E] × [..., S, Ev] (torch.nn.functional.scaled_dot_product_attention). */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const name = 'scaledDotProductAttention';
  if (query.ndim < 2 || key.ndim < 2 || value.ndim < 2) throw new Error(`${name}: expected query, key and value of at least 2 dims, got ${shapeStr(query.shape)}, ${shapeStr(key.shape)}, ${shapeStr(value.shape)}`);
  const E = query.shape[query.ndim - 1]!;
  const L = query.shape[query.ndim - 2]!;
  const S = key.shape[key.ndim - 2]!;
  if (key.shape[key.ndim - 1] !== E) throw new Error(`${name}: query and key must have the same last dim, got ${shapeStr(query.shape)} and ${shapeStr(key.shape)}`);
  if (value.shape[value.ndim - 2] !== S) throw new Error(`${name}: key and value must have the same sequence length, got ${shapeStr(key.shape)} and ${shapeStr(value.shape)}`);
  const scale = options.scale ?? 1 / Math.sqrt(E);
  let scores = query.matmul(key.transpose(-2, -1)).mul(scale);
  let mask = options.attnMask ?? null;
  if (options.isCausal) {
    if (mask) throw new Error(`${name}: isCausal cannot be combined with an explicit attnMask`);
    mask = triu(full([L, S], -Infinity, { dtype: scores.dtype }), 1);
  }
  if (mask) {
    if (mask.dtype === 'bool') mask = zeros(mask.shape, { dtype: scores.dtype }).maskedFill(mask.logicalNot(), -Infinity);
    else if (!mask.isFloatingPoint()) throw new Error(`${name}: attnMask must be bool or floating point, got ${mask.dtype}`);
    scores = scores.add(mask);
  }
  let weights = softmax(scores, -1);
  const p = options.dropoutP ?? 0;
  if (p > 0) weights = dropout(weights, { p });
  return weights.matmul(value);
}
