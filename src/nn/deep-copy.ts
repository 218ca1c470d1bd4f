/**
 * `nn.utils.deepCopy(module)`: Python's `copy.deepcopy` for modules. The copy has its own parameters and
 * buffers (same values, dtypes, requiresGrad and gradients), the same training mode, hooks and settings, and
 * child modules copied in turn; a tensor or module shared in several places stays shared within the copy.
 * It draws no random numbers (TransformerEncoder's stacked layers are such copies, as in PyTorch).
 */
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module, Parameter } from './module.js';

const INTERNAL = new Set(['_parameters', '_buffers', '_nonPersistent', '_modules', '_forwardHooks', '_forwardPreHooks', '_backwardHooks']);

type Memo = Map<unknown, unknown>;

export function deepCopy<T>(value: T): T {
  return copyValue(value, new Map());
}

function copyValue<T>(value: T, memo: Memo): T {
  if (value === null || typeof value !== 'object') return value; // numbers, strings, functions: shared
  if (memo.has(value)) return memo.get(value) as T;
  let out: unknown;
  if (value instanceof Module) return copyModule(value, memo) as T;
  if (value instanceof Tensor) {
    if (value.gradFn) throw new Error('deepCopy: only tensors created by the user (graph leaves) can be copied, as in PyTorch');
    const data = noGrad(() => value.detach().clone());
    const t = value instanceof Parameter ? new Parameter(data, value.requiresGrad) : value.requiresGrad ? data.requiresGrad_() : data;
    memo.set(value, t);
    if (value.grad) t.grad = copyValue(value.grad, memo);
    return t as T;
  }
  if (Array.isArray(value)) {
    const a: unknown[] = [];
    memo.set(value, a);
    for (const x of value) a.push(copyValue(x, memo));
    return a as T;
  }
  if (value instanceof Map) {
    const m = new Map();
    memo.set(value, m);
    for (const [k, v] of value) m.set(copyValue(k, memo), copyValue(v, memo));
    return m as T;
  }
  if (value instanceof Set) {
    const s = new Set();
    memo.set(value, s);
    for (const v of value) s.add(copyValue(v, memo));
    return s as T;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    out = (value as unknown as Float32Array).slice();
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const o: Record<string, unknown> = {};
    memo.set(value, o);
    for (const [k, v] of Object.entries(value)) o[k] = copyValue(v, memo);
    return o as T;
  } else {
    out = value; // instances of other classes (generators, dates, ...) are shared
  }
  memo.set(value, out);
  return out as T;
}

function copyModule(m: Module, memo: Memo): Module {
  // Module's own constructor sets up the registries (and the registration proxy) with the subclass's
  // prototype; the subclass constructor does not run, so no weights are drawn.
  const c = Reflect.construct(Module as unknown as new () => Module, [], m.constructor) as Module;
  memo.set(m, c);
  for (const [k, p] of m._parameters) c.registerParameter(k, copyValue(p, memo));
  for (const [k, b] of m._buffers) c.registerBuffer(k, copyValue(b, memo), { persistent: !m._nonPersistent.has(k) });
  for (const [k, s] of m._modules) c.registerModule(k, copyValue(s, memo));
  for (const key of Reflect.ownKeys(m)) {
    if (typeof key !== 'string' || INTERNAL.has(key) || m._parameters.has(key) || m._buffers.has(key) || m._modules.has(key)) continue;
    const d = Object.getOwnPropertyDescriptor(m, key)!;
    if (key === 'forward' && (d.value as { __hooked?: boolean } | undefined)?.__hooked) continue; // re-installed below
    Object.defineProperty(c, key, 'value' in d ? { ...d, value: copyValue(d.value, memo) } : d);
  }
  c._forwardHooks = [...m._forwardHooks];
  c._forwardPreHooks = [...m._forwardPreHooks];
  c._backwardHooks = [...m._backwardHooks];
  (c as unknown as { installHookedForward(): void }).installHookedForward();
  return c;
}
