/**
 * Lazy layers (torch.nn.LazyLinear, LazyConv*, LazyBatchNorm*, LazyInstanceNorm*): the input size is left
 * out and inferred from the first input. Until then the weights are UninitializedParameters and the layer
 * prints with size 0; the first forward materialises them, draws PyTorch's default initialisation (so a
 * seeded model gets the same weights as PyTorch's at that point) and turns the layer into its ordinary class
 * (LazyLinear becomes Linear). Loading a state dict first materialises them from the checkpoint's shapes.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { getRngState, setRngState } from '../../tensor/random.js';
import { Module, UninitializedBuffer, UninitializedParameter } from '../module.js';
import { Linear, type LinearOptions } from './linear.js';
import { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, type ConvLayerOptions, type ConvTransposeLayerOptions } from './conv.js';
import { BatchNorm1d, BatchNorm2d, InstanceNorm1d, InstanceNorm2d, type BatchNormLayerOptions, type InstanceNormLayerOptions } from './normalization.js';

type Dtype = 'float32' | 'float64';

function hasUninitialized(m: Module): boolean {
  return [...m._parameters.values(), ...m._buffers.values()].some((t) => t instanceof UninitializedParameter || t instanceof UninitializedBuffer);
}

/** Materialise the named uninitialised tensors with their shapes, then become `cls` (PyTorch's cls_to_become). */
function settle(m: Module, shapes: Record<string, number[]>, reset: () => void, cls: abstract new (...args: any[]) => Module): void {
  if (hasUninitialized(m)) {
    for (const [name, shape] of Object.entries(shapes)) {
      const t = m._parameters.get(name) ?? m._buffers.get(name);
      if (t instanceof UninitializedParameter || t instanceof UninitializedBuffer) t.materialize(shape);
    }
    reset();
  }
  Object.setPrototypeOf(m, cls.prototype);
}

function lazyTensors(m: Module, names: string[], dtype: Dtype): void {
  for (const name of names) {
    if (m._parameters.get(name)) (m as any)[name] = new UninitializedParameter({ dtype });
    else if (m._buffers.get(name)) m.registerBuffer(name, new UninitializedBuffer({ dtype }));
  }
}

/** Linear layer whose inFeatures is the last dim of its first input (torch.nn.LazyLinear). */
export class LazyLinear extends Linear {
  constructor(outFeatures: number, options: LinearOptions = {}) {
    // The base constructor's placeholder draws are undone: PyTorch draws at the first forward.
    const state = getRngState();
    super(0, outFeatures, options);
    setRngState(state);
    lazyTensors(this, ['weight', 'bias'], options.dtype ?? 'float32');
  }

  hasUninitializedParams(): boolean {
    return hasUninitialized(this);
  }

  override forward(x: Tensor): Tensor {
    if (hasUninitialized(this)) (this as { inFeatures: number }).inFeatures = x.shape[x.ndim - 1]!;
    else (this as { inFeatures: number }).inFeatures = this.weight.shape[1]!;
    settle(this, { weight: [this.outFeatures, this.inFeatures], bias: [this.outFeatures] }, () => this.resetParameters(), Linear);
    return Linear.prototype.forward.call(this, x);
  }
}

type ConvClass = typeof Conv1d | typeof Conv2d | typeof ConvTranspose1d | typeof ConvTranspose2d;

/** The lazy convolutions' shared first forward: inChannels from the input's channel dim (dim 0 unbatched). */
function settleConv(m: Conv1d | Conv2d | ConvTranspose1d | ConvTranspose2d, x: Tensor, spatial: number, cls: ConvClass): void {
  const w = m.weight;
  let inC: number;
  if (hasUninitialized(m)) {
    inC = x.ndim === spatial + 1 ? x.shape[0]! : x.shape[1]!;
    if (inC % m.groups !== 0) throw new Error(`${m.getName()}: in_channels (${inC}) must be divisible by groups (${m.groups})`);
  } else {
    inC = m.transposed ? w.shape[0]! : w.shape[1]! * m.groups;
  }
  (m as { inChannels: number }).inChannels = inC;
  const out = m.outChannels, g = m.groups;
  const weight = m.transposed ? [inC, out / g, ...m.kernelSize] : [out, inC / g, ...m.kernelSize];
  settle(m, { weight, bias: [out] }, () => m.resetParameters(), cls);
}

function lazyConv<C extends ConvClass>(base: C, spatial: number) {
  // A class per base; the placeholder inChannels (= groups) satisfies the base's checks and is printed as 0.
  return class extends (base as any) {
    constructor(outChannels: number, kernelSize: number | number[], options: any = {}) {
      const state = getRngState();
      super(options.groups ?? 1, outChannels, kernelSize, options);
      setRngState(state);
      (this as any).inChannels = 0;
      lazyTensors(this as unknown as Module, ['weight', 'bias'], options.dtype ?? 'float32');
    }

    hasUninitializedParams(): boolean {
      return hasUninitialized(this as unknown as Module);
    }

    forward(x: Tensor): Tensor {
      settleConv(this as any, x, spatial, base);
      return base.prototype.forward.call(this, x);
    }
  } as unknown as new (outChannels: number, kernelSize: number | number[], options?: ConstructorParameters<C>[3]) => InstanceType<C> & { hasUninitializedParams(): boolean };
}

/** Conv1d with inChannels from the first input (torch.nn.LazyConv1d). */
export const LazyConv1d = named('LazyConv1d', lazyConv(Conv1d, 1));
/** Conv2d with inChannels from the first input (torch.nn.LazyConv2d). */
export const LazyConv2d = named('LazyConv2d', lazyConv(Conv2d, 2));
/** ConvTranspose1d with inChannels from the first input (torch.nn.LazyConvTranspose1d). */
export const LazyConvTranspose1d = named('LazyConvTranspose1d', lazyConv(ConvTranspose1d, 1));
/** ConvTranspose2d with inChannels from the first input (torch.nn.LazyConvTranspose2d). */
export const LazyConvTranspose2d = named('LazyConvTranspose2d', lazyConv(ConvTranspose2d, 2));
export type LazyConv1d = InstanceType<typeof LazyConv1d>;
export type LazyConv2d = InstanceType<typeof LazyConv2d>;
export type LazyConvTranspose1d = InstanceType<typeof LazyConvTranspose1d>;
export type LazyConvTranspose2d = InstanceType<typeof LazyConvTranspose2d>;
export type { ConvLayerOptions, ConvTransposeLayerOptions };

function named<T extends Function>(name: string, cls: T): T {
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

type NormClass = typeof BatchNorm1d | typeof BatchNorm2d | typeof InstanceNorm1d | typeof InstanceNorm2d;

function lazyNorm<C extends NormClass>(base: C) {
  return class extends (base as any) {
    constructor(options: any = {}) {
      // torch's lazy norms default to affine and running statistics, instance norms included.
      super(1, { affine: true, trackRunningStats: true, ...options });
      (this as any).numFeatures = 0;
      lazyTensors(this as unknown as Module, ['weight', 'bias', 'running_mean', 'running_var'], options.dtype ?? 'float32');
    }

    hasUninitializedParams(): boolean {
      return hasUninitialized(this as unknown as Module);
    }

    forward(x: Tensor): Tensor {
      const m = this as any;
      // As torch 1.13: numFeatures is input.shape[1], and is only set when something is uninitialised.
      if (hasUninitialized(m)) m.numFeatures = x.shape[1];
      else if (m.weight || m.runningMean) m.numFeatures = (m.weight ?? m.runningMean).shape[0];
      const c = [m.numFeatures as number];
      settle(m, { weight: c, bias: c, running_mean: c, running_var: c }, () => m.resetParameters(), base);
      return base.prototype.forward.call(this, x);
    }
  } as unknown as new (options?: ConstructorParameters<C>[1]) => InstanceType<C> & { hasUninitializedParams(): boolean };
}

/** BatchNorm1d with numFeatures from the first input (torch.nn.LazyBatchNorm1d). */
export const LazyBatchNorm1d = named('LazyBatchNorm1d', lazyNorm(BatchNorm1d));
/** BatchNorm2d with numFeatures from the first input (torch.nn.LazyBatchNorm2d). */
export const LazyBatchNorm2d = named('LazyBatchNorm2d', lazyNorm(BatchNorm2d));
/** InstanceNorm1d with numFeatures from the first input (torch.nn.LazyInstanceNorm1d). */
export const LazyInstanceNorm1d = named('LazyInstanceNorm1d', lazyNorm(InstanceNorm1d));
/** InstanceNorm2d with numFeatures from the first input (torch.nn.LazyInstanceNorm2d). */
export const LazyInstanceNorm2d = named('LazyInstanceNorm2d', lazyNorm(InstanceNorm2d));
export type LazyBatchNorm1d = InstanceType<typeof LazyBatchNorm1d>;
export type LazyBatchNorm2d = InstanceType<typeof LazyBatchNorm2d>;
export type LazyInstanceNorm1d = InstanceType<typeof LazyInstanceNorm1d>;
export type LazyInstanceNorm2d = InstanceType<typeof LazyInstanceNorm2d>;
export type { BatchNormLayerOptions, InstanceNormLayerOptions };
