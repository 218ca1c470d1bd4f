/**
 * nn.Module and nn.Parameter, with PyTorch's semantics.
 *
 * Defining a module:
 *
 * ```ts
 * class Net extends nn.Module {
 *   conv = new nn.Conv2d(1, 6, 5);          // sub-modules and Parameters register themselves
 *   fc = new nn.Linear(6 * 24 * 24, 10);    // when assigned, in assignment order (PyTorch's
 *   scale = new nn.Parameter(st.ones([1])); // __setattr__), so stateDict keys are conv.weight, ...
 *   constructor() {
 *     super();
 *     this.registerBuffer('running_stat', st.zeros([10]));  // buffers are registered explicitly
 *   }
 *   forward(x: Tensor): Tensor {
 *     return this.fc.forward(this.conv.forward(x).relu().flatten(1)).mul(this.scale);
 *   }
 * }
 * ```
 *
 * Assignment works in the constructor, in class fields and later on (`model.fc = new nn.Linear(512, 10)`
 * replaces the registered child in place, keeping its position). Every registered parameter, buffer
 * and child is also an ordinary property of the same name. Assigning `null` to a registered name keeps
 * the slot with no value (as `None` in PyTorch); assigning a plain Tensor to a parameter name throws.
 *
 * `stateDict()` returns a `Map<string, Tensor>` (insertion-ordered, PyTorch's key names:
 * `features.0.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`); `loadStateDict` accepts
 * such a Map or a plain object of name → Tensor.
 */
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { zeroGrads } from '../autograd/zero-grad.js';
import { forwardWithBackwardHooks, type FullBackwardHook } from './backward-hooks.js';
import { shapeStr, sameShape } from '../tensor/shape.js';
import type { DType } from '../tensor/dtype.js';

/** A Tensor that is a module's learnable parameter: requiresGrad is true unless asked otherwise. */
export class Parameter extends Tensor {
  /** Wrap `data` (sharing its storage, detached from any graph) as a parameter. */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) throw new Error(`Parameter: expected a Tensor, got ${data === null ? 'null' : typeof data}`);
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    if (requiresGrad) this.requiresGrad = true;
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/**
 * A parameter of a lazy module whose shape is not known yet (torch.nn.UninitializedParameter): it holds no
 * elements until materialize(shape) — on the module's first forward, or when a state dict is loaded — turns
 * it, the same object (so an optimiser built earlier keeps it), into an ordinary Parameter of zeros.
 */
export class UninitializedParameter extends Parameter {
  constructor(options: { dtype?: DType; requiresGrad?: boolean } = {}) {
    const dtype = options.dtype ?? 'float32';
    super(new Tensor(dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), [0]), options.requiresGrad ?? true);
  }

  materialize(shape: readonly number[]): void {
    const n = shape.reduce((a, b) => a * b, 1);
    this.setData(new Tensor(this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), [...shape]));
    Object.setPrototypeOf(this, Parameter.prototype);
  }
}

/** A lazy module's buffer whose shape is not known yet (torch.nn.UninitializedBuffer); see UninitializedParameter. */
export class UninitializedBuffer extends Tensor {
  constructor(options: { dtype?: DType } = {}) {
    super(options.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0), [0]);
  }

  materialize(shape: readonly number[]): void {
    const n = shape.reduce((a, b) => a * b, 1);
    this.setData(new Tensor(this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), [...shape]));
    Object.setPrototypeOf(this, Tensor.prototype);
  }
}

/** name → Tensor, in PyTorch's order (parameters, then persistent buffers, then children, recursively). */
export type StateDict = Map<string, Tensor>;
/** What loadStateDict accepts: a Map (as stateDict returns) or a plain object. */
export type StateDictLike = Map<string, Tensor> | Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface RemovableHandle {
  remove(): void;
}

/** Called after forward with (module, inputs, output); a return value other than undefined/null replaces the output. */
export type ForwardHook = (module: Module, inputs: unknown[], output: any) => unknown;
/** Called before forward with (module, inputs); returning an array replaces the inputs, any other value the single input. */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function checkName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${kind}: name must be a string, got ${typeof name}`);
  if (name === '') throw new Error(`${kind}: name can't be empty`);
  if (name.includes('.')) throw new Error(`${kind}: name can't contain ".", got '${name}'`);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return `Tensor${shapeStr(v.shape)}`;
  if (v instanceof Module) return v.getName();
  return typeof v;
}

/**
 * Base class of all layers and models. Subclasses implement `forward`; run a module with
 * `module.forward(x)` (forward hooks fire on that call).
 */
export abstract class Module {
  /** True in training mode (dropout active, batch norm uses batch statistics); see train()/eval(). */
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Parameter | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _modules = new Map<string, Module | null>();
  /** @internal */ _forwardHooks: ForwardHook[] = [];
  /** @internal */ _forwardPreHooks: ForwardPreHook[] = [];
  /** @internal */ _backwardHooks: FullBackwardHook<Module>[] = [];

  constructor() {
    for (const key of ['_parameters', '_buffers', '_nonPersistent', '_modules', '_forwardHooks', '_forwardPreHooks', '_backwardHooks']) {
      Object.defineProperty(this, key, { enumerable: false });
    }
    // Registration by assignment: every property definition on the instance (class fields,
    // `this.x = ...`, later reassignment) goes through this trap, as PyTorch's __setattr__.
    return new Proxy(this, {
      defineProperty(target, prop, descriptor) {
        if (typeof prop === 'string' && 'value' in descriptor) {
          if (!target._assign(prop, descriptor.value)) return true;
        }
        return Reflect.defineProperty(target, prop, descriptor);
      },
      deleteProperty(target, prop) {
        if (typeof prop === 'string') {
          target._parameters.delete(prop);
          target._buffers.delete(prop);
          target._nonPersistent.delete(prop);
          target._modules.delete(prop);
        }
        return Reflect.deleteProperty(target, prop);
      },
    });
  }

  /**
   * Registration logic for an assignment `this[name] = value`; returns false when the property itself
   * must not change (an `undefined` re-declaration of a registered name by a subclass field).
   * @internal
   */
  _assign(name: string, value: unknown): boolean {
    const params = this._parameters;
    const buffers = this._buffers;
    const modules = this._modules;
    if (!params) return true; // before the maps exist (field initialisers of Module itself)
    const registered = params.has(name) || buffers.has(name) || modules.has(name);
    if (value === undefined && registered) return false;
    if (value instanceof Parameter) {
      buffers.delete(name);
      this._nonPersistent.delete(name);
      modules.delete(name);
      params.set(name, value);
    } else if (value instanceof Module) {
      params.delete(name);
      buffers.delete(name);
      this._nonPersistent.delete(name);
      modules.set(name, value);
    } else if (params.has(name)) {
      if (value !== null) {
        throw new TypeError(
          `${this.getName()}: cannot assign ${describeValue(value)} as parameter '${name}' (nn.Parameter or null expected; ` +
            'wrap it with new nn.Parameter(t), or use registerBuffer for a tensor that is not learned)',
        );
      }
      params.set(name, null);
    } else if (modules.has(name)) {
      if (value !== null) throw new TypeError(`${this.getName()}: cannot assign ${describeValue(value)} as child module '${name}' (nn.Module or null expected)`);
      modules.set(name, null);
    } else if (buffers.has(name)) {
      if (value !== null && !(value instanceof Tensor)) {
        throw new TypeError(`${this.getName()}: cannot assign ${describeValue(value)} as buffer '${name}' (Tensor or null expected)`);
      }
      buffers.set(name, value as Tensor | null);
    }
    return true;
  }

  /** Run the module: implemented by every subclass. Call it directly: `module.forward(x)`. */
  abstract forward(...args: any[]): any;

  /** The class name shown by toString() (PyTorch's _get_name). */
  getName(): string {
    return this.constructor.name;
  }

  // ---- registration -------------------------------------------------------------------------
  /** Add a parameter (or a null slot) under `name`; returns it so it can be kept: `this.w = this.registerParameter('w', p)`. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    checkName('registerParameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: cannot assign ${describeValue(param)} as parameter '${name}' (nn.Parameter or null expected)`);
    }
    if (this._modules.has(name) || this._buffers.has(name)) throw new Error(`registerParameter: attribute '${name}' already exists`);
    this.checkFree('registerParameter', name);
    this._parameters.set(name, param);
    (this as any)[name] = param;
    return param;
  }

  /**
   * Add a buffer: state saved in stateDict (unless persistent is false) but not learned, such as
   * batch norm's running_mean. Returns the tensor.
   */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: { persistent?: boolean } = {}): T {
    checkName('registerBuffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer: cannot assign ${describeValue(tensor)} as buffer '${name}' (Tensor or null expected)`);
    }
    if (this._parameters.has(name) || this._modules.has(name)) throw new Error(`registerBuffer: attribute '${name}' already exists`);
    this.checkFree('registerBuffer', name);
    this._buffers.set(name, tensor);
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    (this as any)[name] = tensor;
    return tensor;
  }

  /** Add a child module (or a null slot) under `name`; returns it. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    checkName('registerModule', name);
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(`registerModule: ${describeValue(module)} is not a Module`);
    }
    if (this._parameters.has(name) || this._buffers.has(name)) throw new Error(`registerModule: attribute '${name}' already exists`);
    this.checkFree('registerModule', name);
    this._modules.set(name, module);
    (this as any)[name] = module;
    return module;
  }

  /** A name that is already an ordinary attribute or method (e.g. 'forward', 'training') can't be registered. */
  private checkFree(kind: string, name: string): void {
    if (this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name)) return;
    const existing = (this as any)[name];
    if (existing !== undefined && existing !== null) throw new Error(`${kind}: attribute '${name}' already exists on ${this.getName()}`);
  }

  /** Alias of registerModule (PyTorch's add_module). */
  addModule<M extends Module | null>(name: string, module: M): M {
    return this.registerModule(name, module);
  }

  // ---- traversal ------------------------------------------------------------------------------
  /** Direct children with their names (null slots skipped). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, depth first, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, p: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [name, child] of m._modules) if (child) visit(child, p ? `${p}.${name}` : name);
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Parameters with dotted names (`features.0.weight`), each shared parameter once. */
  namedParameters(options: { prefix?: string; recurse?: boolean } = {}): [string, Parameter][] {
    return this.namedMembers((m) => m._parameters, options.prefix ?? '', options.recurse ?? true) as [string, Parameter][];
  }

  /** All parameters (of children too unless recurse is false), in registration order. */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters({ recurse }).map(([, p]) => p);
  }

  namedBuffers(options: { prefix?: string; recurse?: boolean } = {}): [string, Tensor][] {
    return this.namedMembers((m) => m._buffers, options.prefix ?? '', options.recurse ?? true);
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers({ recurse }).map(([, b]) => b);
  }

  private namedMembers(get: (m: Module) => Map<string, Tensor | null>, prefix: string, recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [modName, m] of mods) {
      for (const [name, t] of get(m)) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([modName ? `${modName}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** The descendant at a dotted path ('features.0'); throws naming the missing part. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const child = m._modules.get(part);
      if (!child) throw new Error(`getSubmodule: ${m.getName()} has no attribute '${part}' (in '${target}')`);
      m = child;
    }
    return m;
  }

  /** The parameter at a dotted path ('fc.weight'). */
  getParameter(target: string): Parameter {
    const dot = target.lastIndexOf('.');
    const m = this.getSubmodule(dot < 0 ? '' : target.slice(0, dot));
    const p = m._parameters.get(target.slice(dot + 1));
    if (!p) throw new Error(`getParameter: ${m.getName()} has no parameter '${target.slice(dot + 1)}' (in '${target}')`);
    return p;
  }

  /** The buffer at a dotted path ('bn1.running_mean'), as torch's get_buffer. */
  getBuffer(target: string): Tensor {
    const dot = target.lastIndexOf('.');
    const m = this.getSubmodule(dot < 0 ? '' : target.slice(0, dot));
    const name = target.slice(dot + 1);
    const b = m._buffers.get(name);
    if (!b) throw new Error(`getBuffer: ${m.getName()} has no buffer '${name}' (in '${target}')`);
    return b;
  }

  // ---- modes and bulk operations ---------------------------------------------------------------
  /** Set training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: mode must be a boolean, got ${typeof mode}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (train(false)): dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Turn gradient tracking of every parameter on or off (freezing a backbone); returns this. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Call fn on every descendant (children first) and then on this module, as PyTorch's apply; returns this. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Reset the gradients of all parameters: to zeros in place (default, as PyTorch 1.13's
   * zero_grad(set_to_none=False)), or to null with setToNone.
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    zeroGrads(this.parameters(), options.setToNone ?? false);
  }

  /**
   * Convert floating-point parameters and buffers to `dtype` (as module.double()). Parameters and
   * their gradients stay the same objects and take the converted values (PyTorch's `param.data =`),
   * so an optimiser created before the conversion still updates them; buffers are replaced.
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`Module.to: only float32 and float64 are supported, got ${dtype}`);
    for (const m of this.modules()) {
      for (const p of m._parameters.values()) {
        if (!p || p.dtype === dtype || !p.isFloatingPoint()) continue;
        p.setData(p.detach().to(dtype));
        if (p.grad) p.grad.setData(p.grad.detach().to(dtype));
      }
      for (const [name, b] of m._buffers) {
        if (!b || b.dtype === dtype || !b.isFloatingPoint()) continue;
        (m as any)[name] = b.to(dtype);
      }
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  // ---- state ------------------------------------------------------------------------------------
  /**
   * Parameters and persistent buffers by dotted name, in PyTorch's order: a module's parameters,
   * then its buffers, then each child's entries. The tensors share storage with the module
   * (detached, as in PyTorch); clone them to keep a snapshot.
   */
  stateDict(options: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = new Map();
    const keepVars = options.keepVars ?? false;
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m._parameters) if (p) out.set(prefix + name, keepVars ? p : p.detach());
      for (const [name, b] of m._buffers) if (b && !m._nonPersistent.has(name)) out.set(prefix + name, keepVars ? b : b.detach());
      for (const [name, child] of m._modules) if (child) visit(child, `${prefix}${name}.`);
    };
    visit(this, options.prefix ?? '');
    return out;
  }

  /**
   * Copy values from a state dict (Map or plain object of name → Tensor) into this module's
   * parameters and buffers, in place. Returns the keys missing from the dict and the unexpected ones.
   * With strict (default) any missing or unexpected key throws; a shape mismatch always throws.
   * The error lists every problem by name, and nothing is copied when it throws.
   */
  loadStateDict(stateDict: StateDictLike, options: { strict?: boolean } = {}): LoadResult {
    const strict = options.strict ?? true;
    if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`loadStateDict: expected a Map or an object of name → Tensor, got ${describeValue(stateDict)}`);
    const entries = new Map<string, unknown>(stateDict instanceof Map ? stateDict : Object.entries(stateDict));
    const expected = new Map<string, Tensor>();
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m._parameters) if (p) expected.set(prefix + name, p);
      for (const [name, b] of m._buffers) if (b && !m._nonPersistent.has(name)) expected.set(prefix + name, b);
      for (const [name, child] of m._modules) if (child) visit(child, `${prefix}${name}.`);
    };
    visit(this, '');
    const missingKeys = [...expected.keys()].filter((k) => !entries.has(k));
    // Unexpected keys in torch's order: each module (depth first) claims, in the dict's order, the keys under
    // its prefix whose next name part is neither one of its children nor one of its own tensors (so, as in
    // torch, 'bn.running_mean.x' is ignored rather than reported).
    const unexpectedKeys: string[] = [];
    const claim = (m: Module, prefix: string): void => {
      for (const key of entries.keys()) {
        if (!key.startsWith(prefix)) continue;
        const part = key.slice(prefix.length).split('.')[0];
        const local = !!m._parameters.get(part) || (!!m._buffers.get(part) && !m._nonPersistent.has(part));
        if (!m._modules.has(part) && !local) unexpectedKeys.push(key);
      }
      for (const [name, child] of m._modules) if (child) claim(child, `${prefix}${name}.`);
    };
    claim(this, '');
    const errors: string[] = [];
    if (strict) {
      if (missingKeys.length) errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
      if (unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
    }
    const copies: [Tensor, Tensor][] = [];
    for (const [key, target] of expected) {
      if (!entries.has(key)) continue;
      const value = entries.get(key);
      if (!(value instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected a Tensor in the state dict, got ${describeValue(value)}.`);
      } else if (target instanceof UninitializedParameter || target instanceof UninitializedBuffer) {
        copies.push([target, value]); // a lazy module's tensor takes the checkpoint's shape (materialised below)
      } else if (!sameShape(value.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${shapeStr(value.shape)} from checkpoint, ` +
            `the shape in current model is ${shapeStr(target.shape)}.`,
        );
      } else {
        copies.push([target, value]);
      }
    }
    if (errors.length) throw new Error(`Error(s) in loading state_dict for ${this.getName()}:\n\t${errors.join('\n\t')}`);
    noGrad(() => {
      for (const [target, value] of copies) {
        if (target instanceof UninitializedParameter || target instanceof UninitializedBuffer) target.materialize(value.shape);
        target.copy_(value);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- hooks ------------------------------------------------------------------------------------
  /**
   * Call `hook(module, inputs, output)` after every forward of this module (e.g. to capture feature
   * maps); a return value other than undefined or null replaces the output. Returns a handle to remove it.
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return this.addHook('_forwardHooks', hook);
  }

  /** Call `hook(module, inputs)` before every forward; returning an array replaces the inputs. */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return this.addHook('_forwardPreHooks', hook);
  }

  /**
   * Call `hook(module, gradInput, gradOutput)` when the gradients with respect to the module's
   * positional inputs have been computed in a backward pass (PyTorch's register_full_backward_hook):
   * gradInput has one entry per positional argument (null for non-tensors and inputs that need no
   * gradient), gradOutput one per output tensor. Returning an array replaces gradInput; a module none
   * of whose inputs requires grad gets its hooks called with gradInput all null, when gradOutput is known.
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>): RemovableHandle {
    return this.addHook('_backwardHooks', hook as FullBackwardHook<Module>);
  }

  /** Append `hook` to one of the hook lists (and wrap forward); the handle removes it again. */
  private addHook<K extends '_forwardHooks' | '_forwardPreHooks' | '_backwardHooks'>(list: K, hook: this[K][number]): RemovableHandle {
    const hooks = (): unknown[] => this[list];
    hooks().push(hook);
    this.installHookedForward();
    return {
      remove: () => {
        (this as any)[list] = hooks().filter((h) => h !== hook);
        this.installHookedForward();
      },
    };
  }

  /** Shadow the class's forward with a hook-running wrapper while hooks exist (no cost otherwise). */
  private installHookedForward(): void {
    const self = this as any;
    if (this._forwardHooks.length === 0 && this._forwardPreHooks.length === 0 && this._backwardHooks.length === 0) {
      if (Object.prototype.hasOwnProperty.call(self, 'forward') && self.forward.__hooked) delete self.forward;
      return;
    }
    if (Object.prototype.hasOwnProperty.call(self, 'forward') && self.forward.__hooked) return;
    const inner: (...a: unknown[]) => unknown = self.forward;
    const wrapped = (...args: unknown[]): unknown => {
      let inputs = args;
      for (const pre of [...this._forwardPreHooks]) {
        const r = pre(this, inputs);
        // As torch: a value that is not a tuple (here: an array) becomes the single input.
        if (r !== undefined && r !== null) inputs = Array.isArray(r) ? r : [r];
      }
      let output = forwardWithBackwardHooks(this, this._backwardHooks, inputs, (args) => inner.apply(this, args));
      for (const hook of [...this._forwardHooks]) {
        const r = hook(this, inputs, output);
        if (r !== undefined && r !== null) output = r; // undefined/null: keep the output, as torch's None
      }
      return output;
    };
    Object.defineProperty(wrapped, '__hooked', { value: true });
    self.forward = wrapped;
  }

  // ---- printing -----------------------------------------------------------------------------------
  /** The layer's own settings, shown inside its parentheses by toString() (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style description: `Sequential(\n  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n ...`. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [name, m] of this._modules) {
      const s = m ? m.toString() : 'None';
      childLines.push(`(${name}): ${s.split('\n').join('\n  ')}`);
    }
    const lines = [...extraLines, ...childLines];
    let main = `${this.getName()}(`;
    if (lines.length) {
      if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
      else main += `\n  ${lines.join('\n  ')}\n`;
    }
    return `${main})`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}

/** Number of scalar parameters (all, or only those with requiresGrad). */
export function countParameters(module: Module, options: { trainableOnly?: boolean } = {}): number {
  return module.parameters().reduce((n, p) => n + (options.trainableOnly && !p.requiresGrad ? 0 : p.size), 0);
}
