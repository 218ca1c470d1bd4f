/** Containers: Sequential, ModuleList, ModuleDict. */
import { forwardFused } from '../fusion.js';
import { Module } from '../module.js';

type NamedModules = Record<string, Module> | Map<string, Module> | readonly (readonly [string, Module])[];

function entriesOf(named: NamedModules): [string, Module][] {
  if (named instanceof Map) return [...named.entries()];
  if (Array.isArray(named)) return named.map(([k, m]) => [k, m]);
  return Object.entries(named as Record<string, Module>);
}

function isModuleArgs(args: unknown[]): args is Module[] {
  return args.every((a) => a instanceof Module);
}

/** Re-register `modules` as children "0", "1", … of `container`, replacing all its children (PyTorch's renumbering). */
function renumber(container: Module, modules: (Module | null)[]): void {
  for (const k of [...container._modules.keys()]) delete (container as any)[k];
  modules.forEach((m, j) => container.registerModule(String(j), m));
}

/** Insert `module` before index i, as Sequential.insert in torch 1.13 (-n ≤ i ≤ n, else out of range). */
function insertAt(container: Module, i: number, module: Module, what: string): void {
  if (!(module instanceof Module)) throw new TypeError(`${what}: module should be of type Module`);
  const mods = [...container._modules.values()];
  const n = mods.length;
  if (!Number.isInteger(i) || i < -n || i > n) throw new RangeError(`${what}: index ${i} is out of range for ${n} modules`);
  mods.splice(i < 0 ? i + n : i, 0, module);
  renumber(container, mods);
}

/** Remove the child at index i and renumber the rest "0", "1", … (PyTorch's __delitem__ on Sequential/ModuleList). */
function deleteAt(container: Module, i: number, what: string): Module {
  const mods = [...container._modules.values()];
  const idx = normIndex(i, mods.length, what);
  const [removed] = mods.splice(idx, 1);
  renumber(container, mods);
  return removed as Module;
}

function normIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`${what}: index ${i} is out of range for ${n} modules`);
  return i < 0 ? i + n : i;
}

/**
 * Modules run in order, each on the previous one's output: `new nn.Sequential(conv, relu, pool)`
 * (children named "0", "1", …) or `new nn.Sequential({conv1: ..., relu1: ...})` for named children
 * (a Map or [name, module] pairs keep any key order; a plain object reorders integer-like keys, as JS does).
 * `seq.at(i)` (negative from the end), `seq.length`, `for (const m of seq)`, `seq.slice(a, b)`.
 */
export class Sequential extends Module {
  constructor(...modules: Module[]);
  constructor(named: NamedModules);
  constructor(...args: unknown[]) {
    super();
    if (args.length === 1 && !(args[0] instanceof Module) && args[0] !== null && typeof args[0] === 'object') {
      for (const [name, m] of entriesOf(args[0] as NamedModules)) this.registerModule(name, m);
    } else {
      if (!isModuleArgs(args)) {
        const i = args.findIndex((a) => !(a instanceof Module));
        throw new TypeError(`Sequential: argument ${i} is not a Module (got ${args[i] === null ? 'null' : typeof args[i]})`);
      }
      args.forEach((m, i) => this.registerModule(String(i), m));
    }
  }

  /** Each module in turn (Conv2d → BatchNorm2d → activation runs fused in inference, see nn/fusion.ts). */
  forward(input: any): any {
    return forwardFused([...this._modules.values()], input);
  }

  get length(): number {
    return this._modules.size;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const mods = [...this._modules.values()];
    return mods[normIndex(i, mods.length, 'Sequential.at')]!;
  }

  /** A new Sequential with modules start..end (exclusive), keeping their names. */
  slice(start?: number, end?: number): Sequential {
    const entries = [...this._modules.entries()].slice(start, end).filter((e): e is [string, Module] => e[1] !== null);
    return new Sequential(entries);
  }

  /** Add a module at the end (named by its position). */
  append(module: Module): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }

  /** Insert before index i (-length ≤ i ≤ length); the children are renumbered "0", "1", … as torch's insert. */
  insert(i: number, module: Module): this {
    insertAt(this, i, module, 'Sequential.insert');
    return this;
  }

  /** Append every module of `modules` (another Sequential, a ModuleList or an array). */
  extend(modules: Iterable<Module>): this {
    for (const m of [...modules]) this.append(m);
    return this;
  }

  /** Remove the module at index i (negative from the end); the rest are renumbered "0", "1", … (torch's del seq[i]). */
  delete(i: number): void {
    deleteAt(this, i, 'Sequential.delete');
  }

  /** Remove and return the module at index i (the rest renumbered). */
  pop(i: number): Module {
    return deleteAt(this, i, 'Sequential.pop');
  }

  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()].filter((m) => m !== null) as Module[])[Symbol.iterator]();
  }
}

/** A list of modules registered as children "0", "1", … (no forward of its own; iterate over it). */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  forward(): never {
    throw new Error('ModuleList has no forward(); iterate over its modules and call theirs');
  }

  get length(): number {
    return this._modules.size;
  }

  at(i: number): Module {
    const mods = [...this._modules.values()];
    return mods[normIndex(i, mods.length, 'ModuleList.at')]!;
  }

  /** Replace the module at index i. */
  set(i: number, module: Module): void {
    const idx = normIndex(i, this._modules.size, 'ModuleList.set');
    (this as any)[String(idx)] = module;
  }

  append(module: Module): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Insert before index i (renumbering the following modules). */
  insert(i: number, module: Module): void {
    const mods = [...this._modules.values()] as Module[];
    const idx = i < 0 ? Math.max(0, mods.length + i) : Math.min(i, mods.length);
    mods.splice(idx, 0, module);
    renumber(this, mods);
  }

  /** A new ModuleList with modules start..end (exclusive), numbered from "0" as torch's list[a:b]. */
  slice(start?: number, end?: number): ModuleList {
    return new ModuleList(([...this._modules.values()].slice(start, end)).filter((m): m is Module => m !== null));
  }

  /** Remove the module at index i (negative from the end); the rest are renumbered (torch's del list[i]). */
  delete(i: number): void {
    deleteAt(this, i, 'ModuleList.delete');
  }

  /** Remove and return the module at index i (the rest renumbered). */
  pop(i = -1): Module {
    return deleteAt(this, i, 'ModuleList.pop');
  }

  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()].filter((m) => m !== null) as Module[])[Symbol.iterator]();
  }
}

/** Named child modules, in insertion order; iterates over keys as PyTorch's ModuleDict. */
export class ModuleDict extends Module {
  constructor(modules: NamedModules = {}) {
    super();
    this.update(modules);
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(); look modules up with get(key)');
  }

  get(key: string): Module {
    const m = this._modules.get(key);
    if (!m) throw new Error(`ModuleDict: no module named '${key}' (have ${[...this._modules.keys()].join(', ') || 'none'})`);
    return m;
  }

  set(key: string, module: Module): this {
    if (this._modules.has(key)) (this as any)[key] = module;
    else this.registerModule(key, module);
    return this;
  }

  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** Remove and return the module under key. */
  pop(key: string): Module {
    const m = this.get(key);
    delete (this as any)[key];
    return m;
  }

  /** Remove every module. */
  clear(): void {
    for (const k of [...this._modules.keys()]) delete (this as any)[k];
  }

  update(modules: NamedModules): this {
    for (const [k, m] of entriesOf(modules)) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return [...this._modules.keys()];
  }

  values(): Module[] {
    return [...this._modules.values()].filter((m) => m !== null) as Module[];
  }

  items(): [string, Module][] {
    return [...this._modules.entries()].filter((e): e is [string, Module] => e[1] !== null);
  }

  get length(): number {
    return this._modules.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}
