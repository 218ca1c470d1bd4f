/**
 * `summary(model, inputShape)`: a per-layer table of a model — name, type, output shape, parameters,
 * multiply-adds — with totals and the receptive field of plain conv/pool stacks, as torchinfo/Keras print it.
 *
 * ```ts
 * const s = models.summary(models.resnet50(), [3, 224, 224]);
 * s.totalParams;  // 25557032
 * s.macs;         // 4089184256 (conv + linear multiply-adds of one image)
 * console.log(s.format());
 * ```
 *
 * How: forward hooks on every leaf module record its output during one forward of a zero input (batch 1
 * unless inputShape has 4 dims) in evaluation mode under noGrad. By default (`mode: 'shapes'`) the common
 * leaves (convolutions, linear, 2-D pooling, batch norm, activations, dropout) do not compute: they return
 * zeros of the shape PyTorch's formulas give, so a full-size summary of VGG-16 costs no convolutions; what
 * the models do between modules (additions, concatenations, interpolation, flatten) runs on those zeros.
 * `mode: 'compute'` runs the real layers.
 *
 * Multiply-adds count convolutions (Conv1d/2d/3d and their transposes: output elements × input channels per
 * group × kernel elements; bias not counted), linear layers (output elements × input features) and
 * MultiheadAttention (its four projections and the two attention products), as torchvision's reported
 * GFLOPS; normalisation, activations, pooling, element-wise additions and
 * interpolation are not counted (< 1% for the zoo's CNNs). Functional convolutions called outside a module
 * are not seen.
 *
 * The receptive field (height, width in input pixels) is tracked while the network is a chain: every
 * 4-D layer's input is the previous layer's output (LeNet, AlexNet, VGG, the plain CIFAR nets). Branches,
 * residual additions or concatenations end it (null for ResNet, GoogLeNet, DenseNet, ...).
 */
import type { Tensor as TensorType } from '../tensor/tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { zeros } from '../tensor/creation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { poolOutputSize } from '../ops/pool.js';
import * as nn from '../nn/index.js';
import type { Module, RemovableHandle } from '../nn/module.js';

export interface SummaryRow {
  /** Dotted path of the module in the model ('features.0'; '' for a model that is itself a leaf). */
  name: string;
  /** Class name ('Conv2d'). */
  type: string;
  /** Nesting depth (number of dots + 1). */
  depth: number;
  inputShape: number[] | null;
  /** Shape of the output (the first tensor when a layer returns several). */
  outputShape: number[] | null;
  /** Parameters of this module itself (counted at its first call only). */
  params: number;
  /** Multiply-adds of this call (convolutions and linear layers; 0 for the other layers). */
  macs: number;
  /** Receptive field [height, width] of this layer's output, while the network is a chain; else null. */
  receptiveField: [number, number] | null;
}

export interface SummaryResult {
  /** Input shape the summary ran with (including the batch dimension). */
  inputShape: number[];
  /** Shapes of the model's output tensors (one entry per tensor, in output order). */
  outputShapes: number[][];
  rows: SummaryRow[];
  /** All parameters of the model (each shared parameter once), called or not. */
  totalParams: number;
  trainableParams: number;
  /** Sum of the rows' multiply-adds (for the whole batch; per image at batch 1). */
  macs: number;
  /** Receptive field of the last 4-D layer when the whole network is a chain, else null. */
  receptiveField: [number, number] | null;
  /** The table for the CLI. */
  format(): string;
}

export interface SummaryOptions {
  /** 'shapes' (default): conv/linear layers only compute their output shapes; 'compute': real forward. */
  mode?: 'shapes' | 'compute';
  /** Element type of the zero input (default float32). */
  dtype?: 'float32' | 'float64';
}

const pair = (v: number | readonly number[] | readonly (number | null)[]): [number, number] =>
  typeof v === 'number' ? [v, v] : [Number(v[0]), Number(v[1] ?? v[0])];

/** Output spatial size of a convolution along one dim (PyTorch's formula). */
function convOut(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

type ConvLike = nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.ConvTranspose1d | nn.ConvTranspose2d | nn.ConvTranspose3d;

function isConv(m: Module): m is ConvLike {
  return [nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d].some((cls) => m instanceof cls);
}

/** The output shape a conv layer gives for input x (null when the input does not fit: run the real layer). */
function convOutputShape(m: ConvLike, x: TensorType): number[] | null {
  const n = m.kernelSize.length;
  if (x.ndim !== n + 2 && x.ndim !== n + 1) return null;
  const chDim = x.ndim - n - 1;
  if (x.shape[chDim] !== m.inChannels) return null;
  const spatial = x.shape.slice(chDim + 1);
  const out = spatial.map((size, i) => {
    const k = m.kernelSize[i];
    const s = m.stride[i];
    const d = m.dilation[i];
    if (m.transposed) {
      const p = (m.padding as number[])[i];
      return (size - 1) * s - 2 * p + d * (k - 1) + m.outputPadding[i] + 1;
    }
    if (m.padding === 'same') return size;
    const p = m.padding === 'valid' ? 0 : m.padding[i];
    return convOut(size, k, s, p, d);
  });
  if (out.some((o) => o <= 0)) return null;
  return [...x.shape.slice(0, chDim), m.outChannels, ...out];
}

const exactly = (m: Module, cls: abstract new (...args: any[]) => Module): boolean => Object.getPrototypeOf(m) === cls.prototype;

/**
 * The output shape of a leaf for input x without computing it, for the layers whose shape rule is known;
 * null when unknown or when the input does not fit (the real layer then runs, and reports the error).
 */
function leafOutputShape(m: Module, x: TensorType): number[] | null {
  if (isConv(m)) return convOutputShape(m, x);
  if (m instanceof nn.Linear) return x.ndim >= 1 && x.shape[x.ndim - 1] === m.inFeatures ? [...x.shape.slice(0, -1), m.outFeatures] : null;
  if (x.ndim !== 4) return null;
  const [n, c, h, w] = x.shape;
  if (exactly(m, nn.MaxPool2d) || exactly(m, nn.AvgPool2d)) {
    const p = m as nn.MaxPool2d | nn.AvgPool2d;
    if ((p as nn.MaxPool2d).returnIndices) return null;
    const k = pair(p.kernelSize);
    const st = pair(p.stride);
    const pad = pair(p.padding);
    const d = p instanceof nn.MaxPool2d ? pair(p.dilation) : [1, 1];
    const out = [h, w].map((size, i) => poolOutputSize(size, k[i], st[i], pad[i], d[i], p.ceilMode));
    return out.every((o) => o > 0) ? [n, c, ...out] : null;
  }
  if (exactly(m, nn.AdaptiveAvgPool2d) || (exactly(m, nn.AdaptiveMaxPool2d) && !(m as nn.AdaptiveMaxPool2d).returnIndices)) {
    const size = (m as nn.AdaptiveAvgPool2d).outputSize;
    const o = typeof size === 'number' ? [size, size] : [size[0] ?? h, size[1] ?? w];
    return [n, c, ...o];
  }
  if (m instanceof nn.BatchNorm2d) return c === m.numFeatures ? [...x.shape] : null;
  if (isPointwise(m)) return [...x.shape];
  return null;
}

/** Multiply-adds of one call of a conv or linear layer, from its input and output shapes. */
function layerMacs(m: Module, input: TensorType | null, outShape: number[] | null): number {
  if (!outShape) return 0;
  const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (isConv(m)) {
    const kernel = m.kernelSize.reduce((a, b) => a * b, 1);
    if (m.transposed) return input ? numel(input.shape) * (m.outChannels / m.groups) * kernel : 0;
    return numel(outShape) * (m.inChannels / m.groups) * kernel;
  }
  if (m instanceof nn.Linear) return numel(outShape) * m.inFeatures;
  return 0;
}

/**
 * Multiply-adds of a MultiheadAttention call: the q/k/v and output projections plus the two attention products
 * (q·kᵀ and weights·v), as torchvision counts them for its ViT figures.
 */
function attentionMacs(m: nn.MultiheadAttention, inputs: unknown[]): number {
  const [q, k] = inputs as [TensorType, TensorType];
  if (!(q instanceof Tensor) || !(k instanceof Tensor)) return 0;
  const batched = q.ndim === 3;
  const seq = (t: TensorType) => (batched ? t.shape[m.batchFirst ? 1 : 0]! : t.shape[0]!);
  const batch = batched ? q.shape[m.batchFirst ? 0 : 1]! : 1;
  const L = seq(q);
  const S = seq(k) + (m.biasK ? 1 : 0) + (m.addZeroAttn ? 1 : 0);
  const E = m.embedDim;
  return batch * (L * E * E + seq(k) * (m.kdim + m.vdim) * E + 2 * L * S * E + L * E * E);
}

/** Zeros shaped as a MultiheadAttention call's [output, weights] (null when the inputs are not as expected). */
function attentionZeros(m: nn.MultiheadAttention, args: unknown[]): [TensorType, TensorType | null] | null {
  const [q, k, v, options] = args as [TensorType, TensorType, TensorType, nn.MultiheadAttentionForwardOptions | undefined];
  if (!(q instanceof Tensor) || !(k instanceof Tensor) || !(v instanceof Tensor) || q.ndim !== k.ndim || (q.ndim !== 2 && q.ndim !== 3)) return null;
  if (q.shape[q.ndim - 1] !== m.embedDim) return null;
  const seqDim = q.ndim === 3 && m.batchFirst ? 1 : 0;
  const L = q.shape[seqDim]!;
  const S = k.shape[seqDim]! + (m.biasK ? 1 : 0) + (m.addZeroAttn ? 1 : 0);
  const batch = q.ndim === 3 ? [q.shape[m.batchFirst ? 0 : 1]!] : [];
  const out = zeros([...q.shape], { dtype: q.dtype });
  if (!(options?.needWeights ?? true)) return [out, null];
  const heads = options?.averageAttnWeights ?? true ? [] : [m.numHeads];
  return [out, zeros([...batch, ...heads, L, S], { dtype: q.dtype })];
}

/** Layers that keep the spatial layout (receptive field unchanged). */
function isPointwise(m: Module): boolean {
  return m instanceof nn.BatchNorm2d || m instanceof nn.Dropout || m instanceof nn.Dropout2d || m instanceof nn.Identity ||
    m instanceof nn.ReLU || m instanceof nn.ReLU6 || m instanceof nn.LeakyReLU || m instanceof nn.PReLU || m instanceof nn.ELU ||
    m instanceof nn.SELU || m instanceof nn.GELU || m instanceof nn.SiLU || m instanceof nn.Mish || m instanceof nn.Sigmoid ||
    m instanceof nn.Tanh || m instanceof nn.Softplus || m instanceof nn.Hardswish || m instanceof nn.Hardsigmoid ||
    m instanceof nn.Hardtanh || m instanceof nn.GroupNorm;
}

/** [kernel, stride, dilation] per dim of a layer that changes the receptive field, or null if unknown. */
function rfStep(m: Module, inShape: readonly number[], outShape: readonly number[]): [number, number, number][] | null {
  if (m instanceof nn.Conv2d) return [0, 1].map((i) => [m.kernelSize[i], m.stride[i], m.dilation[i]] as [number, number, number]);
  if (m instanceof nn.MaxPool2d) {
    const k = pair(m.kernelSize);
    const s = pair(m.stride);
    const d = pair(m.dilation);
    return [0, 1].map((i) => [k[i], s[i], d[i]] as [number, number, number]);
  }
  if (m instanceof nn.AvgPool2d) {
    const k = pair(m.kernelSize);
    const s = pair(m.stride);
    return [0, 1].map((i) => [k[i], s[i], 1] as [number, number, number]);
  }
  if (m instanceof nn.AdaptiveAvgPool2d || m instanceof nn.AdaptiveMaxPool2d) {
    const steps: [number, number, number][] = [];
    for (const i of [0, 1]) {
      const a = inShape[inShape.length - 2 + i];
      const b = outShape[outShape.length - 2 + i];
      if (a === b) steps.push([1, 1, 1]);
      else if (a % b === 0) steps.push([a / b, a / b, 1]);
      else return null;
    }
    return steps;
  }
  if (isPointwise(m)) return [[1, 1, 1], [1, 1, 1]];
  return null;
}

function firstTensor(v: unknown): TensorType | null {
  if (v instanceof Tensor) return v;
  if (Array.isArray(v)) {
    for (const e of v) {
      const t = firstTensor(e);
      if (t) return t;
    }
    return null;
  }
  if (v && typeof v === 'object') {
    for (const e of Object.values(v)) {
      const t = firstTensor(e);
      if (t) return t;
    }
  }
  return null;
}

function allTensors(v: unknown, out: TensorType[] = []): TensorType[] {
  if (v instanceof Tensor) out.push(v);
  else if (Array.isArray(v)) v.forEach((e) => allTensors(e, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((e) => allTensors(e, out));
  return out;
}

/**
 * Summarise a model for an input of shape [C, H, W] (batch 1 is added) or [N, C, H, W] (or any shape the
 * model takes, batch first when it has 4+ dims).
 */
export function summary(model: Module, inputShape: readonly number[], options: SummaryOptions = {}): SummaryResult {
  if (!(model instanceof nn.Module)) throw new TypeError(`summary: expected an nn.Module, got ${model === null ? 'null' : typeof model}`);
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`summary: inputShape must be a list of positive integers such as [3, 224, 224], got ${JSON.stringify(inputShape)}`);
  }
  const mode = options.mode ?? 'shapes';
  if (mode !== 'shapes' && mode !== 'compute') throw new Error(`summary: mode must be 'shapes' or 'compute', got '${String(mode)}'`);
  const shape = inputShape.length === 3 ? [1, ...inputShape] : [...inputShape];
  const input = zeros(shape, { dtype: options.dtype ?? 'float32' });

  const names = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) names.set(m, name);
  // Leaves: modules without children, and attention layers as a whole (their out_proj runs inside them as a product).
  const insideAttention = new Set(model.modules().filter((m) => m instanceof nn.MultiheadAttention).flatMap((m) => m.modules().slice(1)));
  const leaves = [...names.keys()].filter((m) => (m.children().length === 0 || m instanceof nn.MultiheadAttention) && !insideAttention.has(m));
  const seen = new Set<Module>();
  const rows: SummaryRow[] = [];
  let lastOut: TensorType | null = null;
  let chain = true;
  let rf: [number, number] = [1, 1];
  let jump: [number, number] = [1, 1];
  let finalRf: [number, number] | null = null;

  const hook = (m: Module, inputs: unknown[], output: unknown): void => {
    const x = firstTensor(inputs);
    const y = firstTensor(output);
    const name = names.get(m) ?? '';
    const params = seen.has(m) ? 0 : m.parameters(m instanceof nn.MultiheadAttention).reduce((n, p) => n + p.size, 0);
    seen.add(m);
    let rowRf: [number, number] | null = null;
    if (x && y && x.ndim === 4 && y.ndim === 4 && chain) {
      const linked = lastOut === null ? x === input : x === lastOut;
      const step = linked ? rfStep(m, x.shape, y.shape) : null;
      if (!step) chain = false;
      else {
        for (const i of [0, 1]) {
          const [k, s, d] = step[i];
          rf[i] += (k - 1) * d * jump[i];
          jump[i] *= s;
        }
        rowRf = [rf[0], rf[1]];
        finalRf = rowRf;
      }
    }
    if (y && y.ndim === 4) lastOut = y;
    if (m instanceof nn.MultiheadAttention) chain = false; // every output position sees every input position
    rows.push({
      name,
      type: m.getName(),
      depth: name === '' ? 0 : name.split('.').length,
      inputShape: x ? [...x.shape] : null,
      outputShape: y ? [...y.shape] : null,
      params,
      macs: m instanceof nn.MultiheadAttention ? attentionMacs(m, inputs) : layerMacs(m, x, y ? [...y.shape] : null),
      receptiveField: rowRf,
    });
  };

  const handles: RemovableHandle[] = [];
  const replaced: Module[] = [];
  const modes = new Map<Module, boolean>();
  for (const m of names.keys()) modes.set(m, m.training);
  let output: unknown;
  try {
    for (const m of leaves) {
      const own = Object.prototype.hasOwnProperty.call(m, 'forward');
      if (mode === 'shapes' && !own) {
        const real = (m as any).forward as (...args: unknown[]) => unknown;
        (m as any).forward = (...args: unknown[]): unknown => {
          const x = args[0];
          if (m instanceof nn.MultiheadAttention) return attentionZeros(m, args) ?? real.apply(m, args);
          const out = args.length === 1 && x instanceof Tensor && x.isFloatingPoint() ? leafOutputShape(m, x) : null;
          return out ? zeros(out, { dtype: (x as TensorType).dtype }) : real.apply(m, args);
        };
        replaced.push(m);
      }
      handles.push(m.registerForwardHook(hook));
    }
    model.eval();
    output = noGrad(() => model.forward(input));
  } finally {
    for (const h of handles) h.remove();
    for (const m of replaced) delete (m as any).forward;
    for (const [m, t] of modes) m.training = t;
  }

  const params = model.parameters();
  const result: SummaryResult = {
    inputShape: shape,
    outputShapes: allTensors(output).map((t) => [...t.shape]),
    rows,
    totalParams: params.reduce((n, p) => n + p.size, 0),
    trainableParams: params.reduce((n, p) => n + (p.requiresGrad ? p.size : 0), 0),
    macs: rows.reduce((n, r) => n + r.macs, 0),
    receptiveField: chain ? finalRf : null,
    format: () => formatSummary(model, result),
  };
  return result;
}

/** 1234567 → '1,234,567'. */
function thousands(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 4089184256 → '4.09 G'. */
export function humanCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

function formatSummary(model: Module, s: SummaryResult): string {
  const showRf = s.rows.some((r) => r.receptiveField !== null);
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Mult-Adds', ...(showRf ? ['RF'] : [])];
  const body = s.rows.map((r) => [
    `${'  '.repeat(Math.max(0, r.depth - 1))}${r.name || '(model)'} (${r.type})`,
    r.outputShape ? `[${r.outputShape.join(', ')}]` : '-',
    r.params ? thousands(r.params) : '-',
    r.macs ? thousands(r.macs) : '-',
    ...(showRf ? [r.receptiveField ? (r.receptiveField[0] === r.receptiveField[1] ? String(r.receptiveField[0]) : `${r.receptiveField[0]}×${r.receptiveField[1]}`) : ''] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  const rf = s.receptiveField;
  const lines = [
    `${model.getName()} — input [${s.inputShape.join(', ')}]`,
    rule('='),
    line(header),
    rule('='),
    ...body.map(line),
    rule('='),
    `Total params: ${thousands(s.totalParams)}`,
    `Trainable params: ${thousands(s.trainableParams)}`,
    `Non-trainable params: ${thousands(s.totalParams - s.trainableParams)}`,
    `Mult-adds (conv + linear${s.rows.some((r) => r.type === 'MultiheadAttention') ? ' + attention' : ''}): ${thousands(s.macs)} (${humanCount(s.macs)})`,
    `Output shape${s.outputShapes.length > 1 ? 's' : ''}: ${s.outputShapes.map((o) => `[${o.join(', ')}]`).join(', ')}`,
  ];
  if (rf) lines.push(`Receptive field: ${rf[0] === rf[1] ? rf[0] : `${rf[0]}×${rf[1]}`} pixels`);
  lines.push(rule('='));
  return lines.join('\n');
}
