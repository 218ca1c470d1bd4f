/**
 * torch.einsum (PyTorch 1.13 semantics): subscripts [a-zA-Z], `...` for broadcast dims, implicit output
 * (the subscripts that appear once, in alphabetical order, after the ellipsis dims) or explicit `->`,
 * repeated subscripts in one operand take diagonals, subscripts of size 1 broadcast. Lowered to
 * differentiable ops: diagonal, sum, permute, reshape and batched matmul, contracting left to right, so it
 * is fast and its gradient (and double backward) come from those ops.
 */
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, describe } from './util.js';
import { diagonal } from './triangular.js';
import { matmul } from './matmul.js';
import { mul } from './binary.js';

/** One operand during the contraction: a tensor and the label of each of its dims. */
interface Term {
  t: Tensor;
  labels: number[];
}

/** Label ids: 0..51 for letters, 52+ for the ellipsis dims (counted from the left of the ellipsis). */
const ELLIPSIS_BASE = 52;

function letterId(c: string, at: number): number {
  const code = c.charCodeAt(0);
  if (code >= 65 && code <= 90) return code - 65 + 26;
  if (code >= 97 && code <= 122) return code - 97;
  throw new Error(`einsum(): invalid subscript given at index ${at} in the equation string, subscripts must be in [a-zA-Z]`);
}

function letterOf(id: number): string {
  return id >= ELLIPSIS_BASE ? '…' : id < 26 ? String.fromCharCode(97 + id) : String.fromCharCode(65 + id - 26);
}

/** Parsed subscripts of one side: letter ids with -1 where the ellipsis stands. */
function parseTerm(text: string, offset: number, what: string): number[] {
  const out: number[] = [];
  let ellipsis = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ') continue;
    if (c === '.') {
      if (ellipsis) throw new Error(`einsum(): found more than one ellipsis ("...") in ${what}`);
      if (text.slice(i, i + 3) !== '...') throw new Error(`einsum(): found '.' for ${what} that is not part of any ellipsis ("...")`);
      ellipsis = true;
      out.push(-1);
      i += 2;
      continue;
    }
    out.push(letterId(c, offset + i));
  }
  return out;
}

/**
 * Sum of products over the subscripts of `equation`, e.g. einsum('ij,jk->ik', a, b) (a matrix product),
 * einsum('ii', a) (trace), einsum('...ij->...ji', a), einsum('bij,bjk', a, b). Operands may also be given
 * as one array.
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== 'string') throw new Error(`einsum(): the equation must be a string, got ${describe(equation)}`);
  const ops: Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? [...(operands[0] as readonly Tensor[])] : (operands as Tensor[]);
  ops.forEach((t, i) => checkTensor(t, 'einsum()', `operand ${i}`));
  const arrow = equation.indexOf('->');
  const lhs = arrow >= 0 ? equation.slice(0, arrow) : equation;
  const parts = lhs.split(',');
  if (parts.length > ops.length) throw new Error('einsum(): fewer operands were provided than specified in the equation');
  if (parts.length < ops.length) throw new Error('einsum(): more operands were provided than specified in the equation');

  // Each operand's labels, with its ellipsis expanded to ids counted from the right of the widest ellipsis.
  let offset = 0;
  const raw = parts.map((p, i) => {
    const ids = parseTerm(p, offset, `operand ${i}`);
    offset += p.length + 1;
    return ids;
  });
  const ellipsisRanks = raw.map((ids, i) => {
    const letters = ids.filter((id) => id >= 0).length;
    const t = ops[i];
    if (!ids.includes(-1)) {
      if (letters !== t.ndim) {
        throw new Error(
          `einsum(): the number of subscripts in the equation (${letters}) does not match the number of dimensions (${t.ndim}) ` +
            `for operand ${i} and no ellipsis was given`,
        );
      }
      return 0;
    }
    if (letters > t.ndim) {
      throw new Error(
        `einsum(): the number of subscripts in the equation (${letters}) is more than the number of dimensions (${t.ndim}) for operand ${i}`,
      );
    }
    return t.ndim - letters;
  });
  const ellipsisRank = Math.max(0, ...ellipsisRanks);
  const ellipsisIds = (k: number) => Array.from({ length: k }, (_, j) => ELLIPSIS_BASE + ellipsisRank - k + j);
  const labels = raw.map((ids, i) => ids.flatMap((id) => (id === -1 ? ellipsisIds(ellipsisRanks[i]) : [id])));

  // Output labels.
  const counts = new Map<number, number>();
  for (const ls of labels) for (const l of ls) counts.set(l, (counts.get(l) ?? 0) + 1);
  let output: number[];
  if (arrow >= 0) {
    const rhs = equation.slice(arrow + 2);
    const ids = parseTerm(rhs, arrow + 2, 'the output');
    const seen = new Set<number>();
    output = [];
    for (const id of ids) {
      if (id === -1) {
        output.push(...ellipsisIds(ellipsisRank));
        continue;
      }
      if (seen.has(id)) throw new Error(`einsum(): output subscript ${letterOf(id)} appears more than once in the output`);
      if (!counts.has(id)) throw new Error(`einsum(): output subscript ${letterOf(id)} does not appear in the equation for any input operand`);
      seen.add(id);
      output.push(id);
    }
  } else {
    const singles = [...counts.entries()].filter(([id, n]) => n === 1 && id < ELLIPSIS_BASE).map(([id]) => id);
    // torch orders the implicit output alphabetically with upper case before lower case (ASCII order).
    singles.sort((x, y) => asciiOf(x) - asciiOf(y));
    output = [...ellipsisIds(ellipsisRank), ...singles];
  }

  // Sizes: each label's size, checking repeated subscripts and broadcasting (size 1 stretches).
  const size = new Map<number, number>();
  const terms: Term[] = ops.map((t, i) => {
    const ls = labels[i];
    let term: Term = { t, labels: [...ls] };
    // Repeated subscripts within one operand: take the diagonal (a view), one repeat at a time.
    for (;;) {
      const dupAt = term.labels.findIndex((l, k) => term.labels.indexOf(l) !== k);
      if (dupAt < 0) break;
      const firstAt = term.labels.indexOf(term.labels[dupAt]);
      const l = term.labels[dupAt];
      if (term.t.shape[firstAt] !== term.t.shape[dupAt]) {
        throw new Error(
          `einsum(): subscript ${letterOf(l)} is repeated for operand ${i} but the sizes don't match, ` +
            `${term.t.shape[dupAt]} != ${term.t.shape[firstAt]}`,
        );
      }
      term = { t: diagonal(term.t, 0, firstAt, dupAt), labels: [...term.labels.filter((_, k) => k !== firstAt && k !== dupAt), l] };
    }
    term.labels.forEach((l, k) => {
      const n = term.t.shape[k];
      const prev = size.get(l);
      if (prev === undefined || prev === 1) size.set(l, n);
      else if (n !== 1 && n !== prev) {
        throw new Error(
          `einsum(): subscript ${letterOf(l)} has size ${n} for operand ${i} which does not broadcast with previously seen size ${prev} ` +
            `(operand shapes ${ops.map((o) => shapeStr(o.shape)).join(', ')})`,
        );
      }
    });
    return term;
  });

  // Sum out labels no other operand and not the output needs, then contract left to right.
  const outputSet = new Set(output);
  const neededAfter = (k: number) => {
    const s = new Set(outputSet);
    for (let j = k; j < terms.length; j++) for (const l of terms[j].labels) s.add(l);
    return s;
  };
  let acc = sumUnneeded(terms[0], neededAfter(1), terms.length > 1);
  for (let k = 1; k < terms.length; k++) {
    const needed = neededAfter(k + 1);
    const next = sumUnneeded(terms[k], new Set([...needed, ...acc.labels]));
    acc = contract(sumUnneeded(acc, new Set([...needed, ...next.labels])), next, needed, size);
  }
  // Labels the output wants that no operand has (ellipsis dims of size 1 everywhere) cannot occur; broadcast
  // the remaining size-1 dims to the output's sizes and order the dims as the output.
  const order = output.map((l) => acc.labels.indexOf(l));
  // Always a new tensor (a permute view at least), as torch.einsum.
  let result = acc.t === ops[0] || !order.every((k, i) => k === i) ? acc.t.permute(order) : acc.t;
  const target = output.map((l) => size.get(l) ?? 1);
  if (target.some((n, i) => n !== result.shape[i])) result = result.expand(target).contiguous();
  return result;
}

function asciiOf(id: number): number {
  return id < 26 ? 97 + id : 65 + id - 26;
}

/**
 * Sum the dims whose labels are not in `keep`; with several operands those of size 1 are squeezed, not
 * summed, as torch does (so a bool operand stays bool; a single operand is summed, bool giving int32).
 */
function sumUnneeded(term: Term, keep: Set<number>, squeezeOnes = true): Term {
  const drop = term.labels.map((l, k) => (keep.has(l) ? -1 : k)).filter((k) => k >= 0);
  if (drop.length === 0) return term;
  const summed = squeezeOnes ? drop.filter((k) => term.t.shape[k] !== 1) : drop;
  const t = summed.length > 0 ? term.t.sum(summed, { keepdim: true }) : term.t;
  const labels = term.labels.filter((l) => keep.has(l));
  return { t: t.reshape(term.labels.flatMap((l, k) => (keep.has(l) ? [t.shape[k]] : []))), labels };
}

/** The term without its dim labelled l (of size 1). */
function squeezeLabel(t: Term, l: number): Term {
  const k = t.labels.indexOf(l);
  return { t: t.t.squeeze(k), labels: t.labels.filter((_, j) => j !== k) };
}

/**
 * Contract two terms over their shared labels that are not `needed` later, keeping shared needed labels as
 * batch dims: permute to [batch, own, contracted] × [batch, contracted, own] and one batched matmul.
 */
function contract(a0: Term, b0: Term, needed: Set<number>, size: Map<number, number>): Term {
  let a = a0;
  let b = b0;
  // A label summed here that has size 1 on one side: sum the other side alone first and squeeze it from
  // both (torch's order: an inf times a sum of mixed signs stays inf instead of inf − inf).
  for (const l of a0.labels) {
    if (!b.labels.includes(l) || needed.has(l)) continue;
    const na = a.t.shape[a.labels.indexOf(l)];
    const nb = b.t.shape[b.labels.indexOf(l)];
    if (na !== 1 && nb !== 1) continue;
    if (na !== 1) a = sumUnneeded(a, new Set(a.labels.filter((m) => m !== l)));
    else a = squeezeLabel(a, l);
    if (nb !== 1) b = sumUnneeded(b, new Set(b.labels.filter((m) => m !== l)));
    else b = squeezeLabel(b, l);
  }
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && needed.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !needed.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const dimOf = (t: Term, l: number) => t.t.shape[t.labels.indexOf(l)];
  // No summed label: an elementwise (broadcast) product, as torch does.
  if (summed.length === 0) {
    const labels = [...batch, ...aOnly, ...bOnly];
    const ta = arrange(a, [...batch, ...aOnly], labels);
    const tb = arrange(b, [...batch, ...bOnly], labels);
    return { t: mul(ta, tb), labels };
  }
  // torch contracts with bmm, which takes neither bool nor two dtypes.
  if (a.t.dtype === 'bool' || b.t.dtype === 'bool' || a.t.dtype !== b.t.dtype) {
    throw new Error(`einsum(): contracting ${summed.map(letterOf).join(', ')} needs a matrix product, not implemented for ${a.t.dtype} and ${b.t.dtype} operands (as in PyTorch)`);
  }
  const full = (l: number) => size.get(l) ?? 1;
  // Batch and summed labels must agree in size: stretch a size-1 side (a view).
  const expandTo = (t: Term, ls: number[]) => {
    const x = t.t.permute(ls.map((l) => t.labels.indexOf(l)));
    const want = ls.map((l) => (batch.includes(l) || summed.includes(l) ? full(l) : dimOf(t, l)));
    return want.some((n, i) => n !== x.shape[i]) ? x.expand(want) : x;
  };
  const pa = expandTo(a, [...batch, ...aOnly, ...summed]);
  const pb = expandTo(b, [...batch, ...summed, ...bOnly]);
  const B = batch.map(full);
  const M = aOnly.map((l) => dimOf(a, l));
  const N = bOnly.map((l) => dimOf(b, l));
  const K = summed.reduce((p, l) => p * full(l), 1);
  const prod = (xs: number[]) => xs.reduce((p, v) => p * v, 1);
  const ma = pa.reshape([...B, prod(M), K]);
  const mb = pb.reshape([...B, K, prod(N)]);
  const r = matmul(ma, mb).reshape([...B, ...M, ...N]);
  return { t: r, labels: [...batch, ...aOnly, ...bOnly] };
}

/** The term's tensor with its dims ordered as `own` and unsqueezed to the positions of `all`. */
function arrange(t: Term, own: number[], all: number[]): Tensor {
  const x = own.length === t.labels.length && own.every((l, i) => t.labels[i] === l) ? t.t : t.t.permute(own.map((l) => t.labels.indexOf(l)));
  const shape = all.map((l) => (own.includes(l) ? x.shape[own.indexOf(l)] : 1));
  return shape.length === x.ndim ? x : x.reshape(shape);
}
