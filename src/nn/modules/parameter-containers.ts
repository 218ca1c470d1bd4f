/** ParameterList and ParameterDict: parameters held in a list or a dict, registered like attributes. */
import { Tensor } from '../../tensor/tensor.js';
import { Module, Parameter } from '../module.js';

/** A tensor as a parameter: Parameters are kept as they are, other tensors wrapped (as PyTorch does). */
function asParameter(value: Tensor, owner: string): Parameter {
  if (value instanceof Parameter) return value;
  if (value instanceof Tensor) return new Parameter(value);
  throw new TypeError(`${owner}: expected a Tensor or nn.Parameter, got ${value === null ? 'null' : typeof value}`);
}

/** "Parameter containing: [torch.float32 of size 2x3]", the line PyTorch prints for each entry. */
function describeParameter(p: Parameter, typeName: (p: Parameter) => string): string {
  return `Parameter containing: [${typeName(p)} of size ${p.shape.join('x')}]`;
}

/** Parameters registered as "0", "1", … (torch.nn.ParameterList): they show in parameters() and stateDict. */
export class ParameterList extends Module {
  constructor(parameters: Iterable<Tensor> = []) {
    super();
    this.extend(parameters);
  }

  forward(): never {
    throw new Error('ParameterList has no forward(); iterate over its parameters');
  }

  get length(): number {
    return this._parameters.size;
  }

  at(i: number): Parameter {
    return this._parameters.get(this.key(i, 'ParameterList.at'))!;
  }

  /** Replace the parameter at index i (a tensor is wrapped as a Parameter). */
  set(i: number, value: Tensor): void {
    (this as any)[this.key(i, 'ParameterList.set')] = asParameter(value, 'ParameterList.set');
  }

  /** The name of index i (negative from the end). */
  private key(i: number, op: string): string {
    const n = this._parameters.size;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`${op}: index ${i} is out of range for ${n} parameters`);
    return String(i < 0 ? i + n : i);
  }

  append(value: Tensor): this {
    this.registerParameter(String(this._parameters.size), asParameter(value, 'ParameterList.append'));
    return this;
  }

  extend(values: Iterable<Tensor>): this {
    for (const v of values) this.append(v);
    return this;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return ([...this._parameters.values()] as Parameter[])[Symbol.iterator]();
  }

  override extraRepr(): string {
    return [...this._parameters.entries()]
      .map(([k, p]) => `  (${k}): ${describeParameter(p!, (q) => `torch.${q.dtype}`)}`)
      .join('\n');
  }
}

type NamedParameters = Record<string, Tensor> | Map<string, Tensor> | readonly (readonly [string, Tensor])[];

/** PyTorch 1.13's legacy type names, which ParameterDict prints. */
const LEGACY_TYPE: Record<string, string> = { float32: 'FloatTensor', float64: 'DoubleTensor', int32: 'IntTensor', bool: 'BoolTensor' };

/**
 * Named parameters (torch.nn.ParameterDict). A plain object's keys are taken sorted, as PyTorch does with a
 * dict; a Map or a list of pairs keeps its order. Iterates over the keys.
 */
export class ParameterDict extends Module {
  constructor(parameters: NamedParameters = {}) {
    super();
    this.update(parameters);
  }

  forward(): never {
    throw new Error('ParameterDict has no forward(); look parameters up with get(key)');
  }

  get(key: string): Parameter {
    const p = this._parameters.get(key);
    if (!p) throw new Error(`ParameterDict: no parameter named '${key}' (have ${[...this._parameters.keys()].join(', ') || 'none'})`);
    return p;
  }

  set(key: string, value: Tensor): this {
    const p = asParameter(value, 'ParameterDict.set');
    if (this._parameters.has(key)) (this as any)[key] = p;
    else this.registerParameter(key, p);
    return this;
  }

  has(key: string): boolean {
    return this._parameters.has(key);
  }

  /** Remove and return the parameter under key. */
  pop(key: string): Parameter {
    const p = this.get(key);
    delete (this as any)[key];
    return p;
  }

  clear(): void {
    for (const k of [...this._parameters.keys()]) delete (this as any)[k];
  }

  update(parameters: NamedParameters): this {
    const entries: (readonly [string, Tensor])[] =
      parameters instanceof Map ? [...parameters.entries()]
        : Array.isArray(parameters) ? parameters
          : Object.entries(parameters as Record<string, Tensor>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of entries) this.set(k, v);
    return this;
  }

  keys(): string[] {
    return [...this._parameters.keys()];
  }

  values(): Parameter[] {
    return [...this._parameters.values()] as Parameter[];
  }

  items(): [string, Parameter][] {
    return [...this._parameters.entries()] as [string, Parameter][];
  }

  get length(): number {
    return this._parameters.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  override extraRepr(): string {
    return [...this._parameters.entries()]
      .map(([k, p]) => `  (${k}): ${describeParameter(p!, (q) => `torch.${LEGACY_TYPE[q.dtype] ?? q.dtype}`)}`)
      .join('\n');
  }
}
