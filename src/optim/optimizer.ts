/**
 * The optimiser base class: parameter groups, per-parameter state, zeroGrad, and a JSON-serialisable
 * stateDict for exact resumption.
 *
 * Every optimiser follows PyTorch 1.13's single-tensor (foreach=False) update step for step, with
 * one rounding to the parameter's dtype per PyTorch op, so float32 trajectories match torch's.
 * Updates work in place on the parameters' storage without recording gradients.
 */
import { Tensor } from '../tensor/tensor.js';
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { zeroGrads } from '../autograd/zero-grad.js';
import { arrayFor, type DType, type TypedArray } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/shape.js';

/** A parameter group as stored in `optimizer.paramGroups`: its tensors plus every option. */
export type ParamGroup<O> = O & {
  params: Tensor[];
  /** The lr a scheduler started from (set by lr schedulers, as PyTorch's 'initial_lr'). */
  initialLr?: number;
};

/** What constructors accept as a group: `{params, ...options that override the defaults}`. */
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> };

/** Constructor argument: parameters (e.g. model.parameters()) or a list of parameter groups. */
export type Params<O> = Iterable<Tensor> | ParamGroupInput<O>[];

/** A tensor in an optimiser state dict: plain JSON. */
export interface SerializedTensor {
  shape: number[];
  dtype: DType;
  data: number[];
}

export type SerializedStateValue = number | boolean | null | SerializedTensor;

/**
 * An optimiser's state as plain JSON (JSON.stringify-able): per-parameter state keyed by the
 * parameter's index across all groups (in group order, as PyTorch), and each group's options
 * with `params` as those indices.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, SerializedStateValue>>;
  paramGroups: Record<string, unknown>[];
}

export type StateValue = Tensor | number | boolean | null;
export type ParamState = Record<string, StateValue>;

export function serializeTensor(t: Tensor): SerializedTensor {
  return { shape: [...t.shape], dtype: t.dtype, data: Array.from(t.data()) };
}

export function deserializeTensor(s: SerializedTensor, dtype?: DType): Tensor {
  if (!s || !Array.isArray(s.shape) || !Array.isArray(s.data)) throw new Error('loadStateDict: malformed tensor entry (expected {shape, dtype, data})');
  const dt = dtype ?? s.dtype;
  const data = arrayFor(dt, s.data.length);
  data.set(s.data as never);
  return new Tensor(data, [...s.shape], undefined, 0, dt);
}

/** Identity, or Math.fround for float32 (one rounding per PyTorch op). */
export type Round = (x: number) => number;
export const roundFor = (dtype: DType): Round => (dtype === 'float32' ? Math.fround : (x: number) => x);

/**
 * Run `update` on a parameter's elements as a contiguous typed array, writing back into
 * the parameter if it is a strided view.
 */
export function withParamData(p: Tensor, update: (data: TypedArray) => void): void {
  if (p.isContiguous() && p.offset === 0 && p.storage.length === p.size) {
    update(p.storage);
    return;
  }
  const copy = p.contiguous().clone();
  update(copy.storage);
  p.copy_(copy);
}

export abstract class Optimizer<O extends object = Record<string, unknown>> {
  /** Default options for groups that do not set them. */
  readonly defaults: O;
  /** The parameter groups, each with its own options (schedulers change `lr` here). */
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts). */
  state = new Map<Tensor, ParamState>();

  constructor(params: Params<O>, defaults: O) {
    this.defaults = { ...defaults };
    this.validateDefaults(this.defaults);
    const iterable = params !== null && typeof params === 'object' && typeof (params as Iterable<unknown>)[Symbol.iterator] === 'function';
    if (!iterable || params instanceof Tensor) {
      const got = params instanceof Tensor ? `a Tensor of shape ${shapeStr(params.shape)} (wrap it in a list)` : params === null ? 'null' : typeof params;
      throw new Error(`${this.constructor.name}: params should be an iterable of Tensors or parameter groups, got ${got}`);
    }
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const groups: ParamGroupInput<O>[] =
      list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>] : (list as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a group of parameters with its own options (the rest from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new Error(`${this.constructor.name}: a parameter group must be an object with a 'params' list, got ${String(group)}`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${this.constructor.name}: parameter ${i} of a group is not a Tensor`);
      if (!p.isLeaf) throw new Error(`${this.constructor.name}: can't optimize a non-leaf Tensor (parameter ${i} of shape ${shapeStr(p.shape)})`);
      if (!p.isFloatingPoint()) throw new Error(`${this.constructor.name}: parameters must be floating point, parameter ${i} is ${p.dtype}`);
    });
    if (new Set(params).size !== params.length) {
      console.warn(`${this.constructor.name}: a parameter group contains duplicate parameters; this will be an error in the future`);
    }
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => existing.has(p))) throw new Error(`${this.constructor.name}: some parameters appear in more than one parameter group`);
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    for (const [k, v] of Object.entries(full)) {
      if (v === undefined) (full as Record<string, unknown>)[k] = (this.defaults as Record<string, unknown>)[k];
    }
    this.validateGroup(full);
    this.paramGroups.push(full);
    this.initGroupState(full);
  }

  /**
   * Throw on invalid option values given to the constructor (named). As PyTorch, only these are
   * checked: the options a parameter group sets itself are taken as they are.
   */
  protected validateDefaults(_defaults: O): void {}

  /** Throw on a group that cannot be added (SGD's required lr, LBFGS' single group). */
  protected validateGroup(_group: ParamGroup<O>): void {}

  /** State created at construction (Adagrad's accumulators). */
  protected initGroupState(_group: ParamGroup<O>): void {}

  /**
   * Reset the gradients of all optimised parameters: to zeros in place (default, as PyTorch 1.13's
   * zero_grad(set_to_none=False)), or to null with setToNone (parameters whose gradient is null are
   * then skipped by step, also by momentum and weight decay).
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    zeroGrads(this.paramGroups.flatMap((g) => g.params), options.setToNone ?? false);
  }

  /**
   * One optimisation step over every parameter with a gradient. An optional closure re-evaluates
   * the model (with gradients on) and returns the loss, which step returns.
   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** The update of one group (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /**
   * The parameters of a group that have a gradient, for the update loops of stateful optimisers:
   * each with its gradient data, its state (filled by `init` on the first step) with the step
   * count already advanced, and the rounding of its dtype.
   */
  protected *steppedParams(group: ParamGroup<O>, init: (p: Tensor, state: ParamState) => void) {
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this.stateOf(p);
      if (state.step === undefined) {
        state.step = 0;
        init(p, state);
      }
      const step = (state.step as number) + 1;
      state.step = step;
      yield { p, grad: this.gradData(p), s: state, step, r: roundFor(p.dtype) };
    }
  }

  /** The state object of a parameter, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** The parameter's gradient as a contiguous array in its dtype (never written to). */
  protected gradData(p: Tensor): TypedArray {
    const g = p.grad!;
    if (!g.isFloatingPoint()) throw new Error(`${this.constructor.name}: gradient of a parameter is ${g.dtype}, expected floating point`);
    if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`${this.constructor.name}: gradient of shape ${shapeStr(g.shape)} does not match its parameter of shape ${shapeStr(p.shape)}`);
    }
    return (g.dtype === p.dtype ? g : g.to(p.dtype)).data();
  }

  /** A state buffer of zeros (or `fill`) shaped like p. */
  protected zerosLike(p: Tensor, fill = 0): Tensor {
    const data = arrayFor(p.dtype, p.size);
    if (fill !== 0) data.fill(fill);
    return new Tensor(data, [...p.shape], undefined, 0, p.dtype);
  }

  /** JSON-serialisable state (see OptimizerStateDict); restore with loadStateDict. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        packed[k] = Array.isArray(v) ? [...v] : v;
      }
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return packed;
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const out: Record<string, SerializedStateValue> = {};
      for (const [k, v] of Object.entries(s)) out[k] = v instanceof Tensor ? serializeTensor(v) : v;
      state[String(i)] = out;
    }
    return { state, paramGroups };
  }

  /** Restore a stateDict() (also after a JSON round trip): group options and per-parameter state. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') {
      throw new Error(`${this.constructor.name}.loadStateDict: expected {state, paramGroups} as returned by stateDict()`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: loaded state dict has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    }
    const idMap = new Map<string, Tensor>();
    sd.paramGroups.forEach((saved, gi) => {
      const ids = saved.params as number[];
      const current = this.paramGroups[gi].params;
      if (!Array.isArray(ids) || ids.length !== current.length) {
        throw new Error(
          `${this.constructor.name}.loadStateDict: parameter group ${gi} has ${Array.isArray(ids) ? ids.length : '?'} parameters in the state dict, ${current.length} in the optimizer`,
        );
      }
      ids.forEach((id, i) => idMap.set(String(id), current[i]));
    });
    const state = new Map<Tensor, ParamState>();
    for (const [id, saved] of Object.entries(sd.state)) {
      const p = idMap.get(id);
      if (!p) continue;
      const s: ParamState = {};
      for (const [k, v] of Object.entries(saved)) {
        if (v !== null && typeof v === 'object') {
          const t = deserializeTensor(v, p.dtype);
          if (t.size !== p.size) {
            throw new Error(`${this.constructor.name}.loadStateDict: state '${k}' of parameter ${id} has shape ${shapeStr(t.shape)}, the parameter ${shapeStr(p.shape)}`);
          }
          s[k] = t;
        } else s[k] = v;
      }
      state.set(p, s);
    }
    this.paramGroups = this.paramGroups.map((g, gi) => {
      const saved = { ...sd.paramGroups[gi] };
      delete saved.params;
      for (const [k, v] of Object.entries(saved)) if (Array.isArray(v)) saved[k] = [...v];
      return { ...g, ...saved, params: g.params } as ParamGroup<O>;
    });
    this.state = state;
  }

  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const [k, v] of Object.entries(g).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (k !== 'params') lines.push(`    ${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
      }
    });
    lines.push(')');
    return lines.join('\n');
  }
}

export function checkNonNegative(op: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0)) throw new Error(`${op}: invalid ${name}: ${String(value)} (expected a number >= 0)`);
}

export function checkBetas(op: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${op}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
  betas.forEach((b, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new Error(`${op}: invalid beta parameter at index ${i}: ${String(b)} (expected 0 <= beta < 1)`);
  });
}
