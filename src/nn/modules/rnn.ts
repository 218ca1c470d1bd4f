/**
 * Recurrent layers with torch 1.13's semantics: the cells RNNCell, LSTMCell, GRUCell and the multi-layer
 * RNN, LSTM, GRU (numLayers, bias, batchFirst, dropout between layers, bidirectional, LSTM projections,
 * PackedSequence inputs). Parameter names, registration order, shapes, gate order (LSTM i, f, g, o; GRU r, z, n
 * with the reset gate applied to W_hn·h + b_hn) and the default initialisation (every parameter
 * U(−1/√hidden, 1/√hidden), in registration order) are torch's, so seeded models start with torch's weights
 * and state dicts load from PyTorch.
 *
 * Everything is composed of differentiable ops (linear, narrow, sigmoid, tanh, mul, add, cat, stack), so
 * autograd and both backends work; as torch's CPU path, the input projection x·W_ihᵀ + b_ih is computed for all
 * time steps in one product per layer and direction, and each step adds h·W_hhᵀ + b_hh.
 */
import { Tensor } from '../../tensor/tensor.js';
import { zeros } from '../../tensor/creation.js';
import { cat, stack } from '../../ops/join.js';
import { shapeStr } from '../../tensor/shape.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, Parameter } from '../module.js';
import { PackedSequence } from '../rnn-utils.js';
import { pyBool, pyFloat } from './format.js';

type Dtype = 'float32' | 'float64';
type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** The weights of one layer and direction (of a cell: its only ones); wHr is the LSTM projection. */
interface CellWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
}

/**
 * One step of the cell from the input gates gi = x·W_ihᵀ + b_ih (already computed), the hidden state h and,
 * for the LSTM, the cell state c; returns the new [h, c] (c null but for the LSTM). As torch's cells.
 */
function cellStep(mode: Mode, gi: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): [Tensor, Tensor | null] {
  const gh = F.linear(h, w.wHh, w.bHh);
  if (mode === 'RNN_TANH') return [gi.add(gh).tanh(), null];
  if (mode === 'RNN_RELU') return [gi.add(gh).relu(), null];
  const H = w.wHh.shape[0] / GATES[mode];
  const gate = (t: Tensor, k: number) => t.narrow(1, k * H, H);
  if (mode === 'LSTM') {
    const gates = gi.add(gh);
    const cy = gate(gates, 1).sigmoid().mul(c!).add(gate(gates, 0).sigmoid().mul(gate(gates, 2).tanh()));
    const hy = gate(gates, 3).sigmoid().mul(cy.tanh());
    return [w.wHr ? hy.matmul(w.wHr.t()) : hy, cy];
  }
  const r = gate(gh, 0).add(gate(gi, 0)).sigmoid();
  const z = gate(gh, 1).add(gate(gi, 1)).sigmoid();
  const n = gate(gi, 2).add(gate(gh, 2).mul(r)).tanh();
  return [h.sub(n).mul(z).add(n), null];
}

/** torch's "mat1 and mat2 must have the same dtype": inputs and states must have the weights' float dtype. */
function checkDtype(layer: string, what: string, t: Tensor, w: Tensor): void {
  if (t.dtype !== w.dtype) throw new Error(`${layer}: ${what} has dtype ${t.dtype} but the weights are ${w.dtype} (mat1 and mat2 must have the same dtype)`);
}

function checkSize(layer: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${layer}: ${name} must be an integer, got ${String(v)}`);
  return v;
}

/** Draw every parameter from U(−1/√hidden, 1/√hidden) in registration order (torch's reset_parameters). */
function resetUniform(m: Module, hiddenSize: number): void {
  const stdv = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
  noGrad(() => {
    for (const p of m.parameters()) init.uniform_(p, { a: -stdv, b: stdv });
  });
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

// ---- cells -------------------------------------------------------------------------------------------

export interface RNNCellOptions {
  /** Biases bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** 'tanh' (default) or 'relu' (RNNCell only). */
  nonlinearity?: 'tanh' | 'relu';
  dtype?: Dtype;
}

/** The shared part of the cells: parameters weight_ih [G·H, in], weight_hh [G·H, H], bias_ih, bias_hh [G·H]. */
export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;

  constructor(inputSize: number, hiddenSize: number, bias: boolean, numChunks: number, dtype: Dtype = 'float32') {
    super();
    const layer = this.getName();
    this.inputSize = checkSize(layer, 'inputSize', inputSize);
    this.hiddenSize = checkSize(layer, 'hiddenSize', hiddenSize);
    if (inputSize < 0 || hiddenSize < 0) throw new Error(`${layer}: sizes must be non-negative, got inputSize=${inputSize}, hiddenSize=${hiddenSize}`);
    this.bias = bias;
    this.registerParameter('weight_ih', new Parameter(zeros([numChunks * hiddenSize, inputSize], { dtype })));
    this.registerParameter('weight_hh', new Parameter(zeros([numChunks * hiddenSize, hiddenSize], { dtype })));
    this.registerParameter('bias_ih', bias ? new Parameter(zeros([numChunks * hiddenSize], { dtype })) : null);
    this.registerParameter('bias_hh', bias ? new Parameter(zeros([numChunks * hiddenSize], { dtype })) : null);
    this.resetParameters();
  }

  get weightIh(): Parameter {
    return this._parameters.get('weight_ih')!;
  }

  get weightHh(): Parameter {
    return this._parameters.get('weight_hh')!;
  }

  get biasIh(): Parameter | null {
    return this._parameters.get('bias_ih') ?? null;
  }

  get biasHh(): Parameter | null {
    return this._parameters.get('bias_hh') ?? null;
  }

  /** Re-draw all parameters from U(−1/√hidden, 1/√hidden), in registration order (as torch). */
  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  /**
   * Batch the input ([in] → [1, in]) and the states (null → zeros) and check them as torch's cells; returns the
   * batched input, the batched states and whether the input was batched.
   */
  protected prepare(input: Tensor, states: (Tensor | null)[]): { x: Tensor; hs: Tensor[]; batched: boolean } {
    const layer = this.getName();
    if (!(input instanceof Tensor)) throw new TypeError(`${layer}: input must be a Tensor`);
    if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`${layer}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor`);
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    if (x.shape[1] !== this.inputSize) throw new Error(`${layer}: input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`);
    checkDtype(layer, 'the input', x, this.weightIh);
    const hs = states.map((h, k) => {
      if (h === null || h === undefined) return zeros([x.shape[0], this.hiddenSize], { dtype: x.dtype });
      if (!(h instanceof Tensor)) throw new TypeError(`${layer}: hidden states must be Tensors`);
      const hb = batched ? h : h.unsqueeze(0);
      if (hb.ndim !== 2) throw new Error(`${layer}: expected hidden${k} of shape [${x.shape[0]}, ${this.hiddenSize}], got ${shapeStr(h.shape)}`);
      if (hb.shape[0] !== x.shape[0]) throw new Error(`${layer}: Input batch size ${x.shape[0]} doesn't match hidden0 batch size ${hb.shape[0]}`);
      if (hb.shape[1] !== this.hiddenSize) throw new Error(`${layer}: hidden0 has inconsistent hidden_size: got ${hb.shape[1]}, expected ${this.hiddenSize}`);
      checkDtype(layer, `hidden${k}`, hb, this.weightHh);
      return hb;
    });
    return { x, hs, batched };
  }

  protected weights(): CellWeights {
    return { wIh: this.weightIh, wHh: this.weightHh, bIh: this.biasIh, bHh: this.biasHh, wHr: null };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    return s;
  }
}

/** h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (ReLU with nonlinearity 'relu'); input [N, in] or [in], hx [N, H] or [H] (default zeros). */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: string;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 1, options.dtype);
    // As torch, an unknown nonlinearity is only an error when the cell runs.
    this.nonlinearity = options.nonlinearity ?? 'tanh';
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, hs, batched } = this.prepare(input, [hx]);
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') throw new Error(`RNNCell: Unknown nonlinearity: ${this.nonlinearity}`);
    const w = this.weights();
    const [h] = cellStep(this.nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', F.linear(x, w.wIh, w.bIh), hs[0], null, w);
    return batched ? h : h.squeeze(0);
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== 'tanh' ? `, nonlinearity=${this.nonlinearity}` : '');
  }
}

/** One LSTM step (gates i, f, g, o); hx = [h, c] (default zeros); returns [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 4, options.dtype);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const { x, hs, batched } = this.prepare(input, hx ? [hx[0], hx[1]] : [null, null]);
    const w = this.weights();
    const [h, c] = cellStep('LSTM', F.linear(x, w.wIh, w.bIh), hs[0], hs[1], w);
    return batched ? [h, c!] : [h.squeeze(0), c!.squeeze(0)];
  }
}

/** One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))); hx default zeros. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super(inputSize, hiddenSize, options.bias ?? true, 3, options.dtype);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { x, hs, batched } = this.prepare(input, [hx]);
    const w = this.weights();
    const [h] = cellStep('GRU', F.linear(x, w.wIh, w.bIh), hs[0], null, w);
    return batched ? h : h.squeeze(0);
  }
}

// ---- multi-layer recurrent networks ------------------------------------------------------------------

export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases bias_ih_l{k} and bias_hh_l{k} (default true). */
  bias?: boolean;
  /** Inputs and outputs [N, L, H] instead of [L, N, H] (default false; the hidden states stay [D·layers, N, H]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** A second, reverse-time direction per layer (default false). */
  bidirectional?: boolean;
  dtype?: Dtype;
}
export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}
export interface LSTMOptions extends RNNBaseOptions {
  /** Project the hidden state to projSize features with weight_hr_l{k} (default 0: no projection). */
  projSize?: number;
}
export type GRUOptions = RNNBaseOptions;

/** The result of one direction of one layer: the per-step outputs and the final states. */
interface DirectionResult {
  outputs: Tensor[];
  h: Tensor;
  c: Tensor | null;
}

/**
 * Run one direction of a layer over the steps' input gates (step t has as many rows as sequences still
 * running at t; all equal without packing). As torch's packed layers: forward in time, the states of
 * sequences that end are set aside (and restored, in batch order, at the end); in reverse, the run starts
 * with the shortest batch and the initial states of longer sequences join as they start.
 */
function runDirection(mode: Mode, gates: Tensor[], h0: Tensor, c0: Tensor | null, w: CellWeights, reverse: boolean): DirectionResult {
  const T = gates.length;
  const outputs = new Array<Tensor>(T);
  let h = h0;
  let c = c0;
  const doneH: Tensor[] = [];
  const doneC: Tensor[] = [];
  if (reverse && gates[T - 1].shape[0] < h.shape[0]) {
    h = h0.narrow(0, 0, gates[T - 1].shape[0]);
    c = c0 && c0.narrow(0, 0, gates[T - 1].shape[0]);
  }
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const rows = gates[t].shape[0];
    const cur = h.shape[0];
    if (rows < cur) {
      doneH.push(h.narrow(0, rows, cur - rows));
      h = h.narrow(0, 0, rows);
      if (c) {
        doneC.push(c.narrow(0, rows, cur - rows));
        c = c.narrow(0, 0, rows);
      }
    } else if (rows > cur) {
      h = cat([h, h0.narrow(0, cur, rows - cur)], 0);
      if (c) c = cat([c, c0!.narrow(0, cur, rows - cur)], 0);
    }
    [h, c] = cellStep(mode, gates[t], h, c, w);
    outputs[t] = h;
  }
  if (doneH.length > 0) {
    h = cat([h, ...doneH.reverse()], 0);
    if (c) c = cat([c, ...doneC.reverse()], 0);
  }
  return { outputs, h, c };
}

/**
 * The shared part of RNN, LSTM and GRU: torch's RNNBase (parameters per layer and direction, in torch's
 * order: weight_ih_l{k}{_reverse}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k}).
 */
export abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** The parameter names of each layer and direction (torch's _all_weights). */
  readonly allWeightNames: string[][] = [];

  constructor(mode: Mode, inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super();
    const layer = this.getName();
    this.mode = mode;
    this.inputSize = checkSize(layer, 'inputSize', inputSize);
    this.hiddenSize = checkSize(layer, 'hiddenSize', hiddenSize);
    this.numLayers = checkSize(layer, 'numLayers', options.numLayers ?? 1);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    const dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = checkSize(layer, 'projSize', options.projSize ?? 0);
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new Error(`${layer}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${String(dropout)}`);
    }
    this.dropout = dropout;
    if (dropout > 0 && this.numLayers === 1) {
      warnOnce(
        `${layer}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${pyFloat(dropout)} and num_layers=1`,
      );
    }
    if (this.projSize < 0) throw new Error(`${layer}: proj_size should be a positive integer or zero to disable projections`);
    // As torch, also for projSize 0: a hidden size of 0 (or less) is rejected here.
    if (this.projSize >= hiddenSize) throw new Error(`${layer}: proj_size has to be smaller than hidden_size`);
    if (this.numLayers < 1) throw new Error(`${layer}: numLayers must be at least 1, got ${this.numLayers}`);
    if (inputSize < 0) throw new Error(`${layer}: inputSize must be non-negative, got ${inputSize}`);
    const dtype = options.dtype ?? 'float32';
    const gateSize = GATES[mode] * hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    const param = (shape: number[]) => new Parameter(zeros(shape, { dtype }));
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const layerInput = l === 0 ? inputSize : realHidden * D;
        const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const params: [string, Parameter][] = [
          [`weight_ih${suffix}`, param([gateSize, layerInput])],
          [`weight_hh${suffix}`, param([gateSize, realHidden])],
        ];
        if (this.bias) params.push([`bias_ih${suffix}`, param([gateSize])], [`bias_hh${suffix}`, param([gateSize])]);
        if (this.projSize > 0) params.push([`weight_hr${suffix}`, param([this.projSize, hiddenSize])]);
        for (const [name, p] of params) this.registerParameter(name, p);
        this.allWeightNames.push(params.map(([name]) => name));
      }
    }
    this.resetParameters();
  }

  /** Re-draw all parameters from U(−1/√hidden, 1/√hidden), in registration order (as torch). */
  resetParameters(): void {
    resetUniform(this, this.hiddenSize);
  }

  /** torch's flatten_parameters: a no-op (it only regroups weights for cuDNN); kept so PyTorch code ports unchanged. */
  flattenParameters(): void {}

  /** The parameters of each layer and direction (torch's all_weights). */
  get allWeights(): Parameter[][] {
    return this.allWeightNames.map((names) => names.map((n) => this._parameters.get(n)!));
  }

  private layerWeights(l: number, d: number): CellWeights {
    const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
    const get = (name: string) => this._parameters.get(name + suffix) ?? null;
    return { wIh: get('weight_ih')!, wHh: get('weight_hh')!, bIh: get('bias_ih'), bHh: get('bias_hh'), wHr: get('weight_hr') };
  }

  /**
   * torch's forward for all three: batch an unbatched input, default the states to zeros, permute them for a
   * packed input sorted by length, check shapes, run the layers, undo the permutation and the batching.
   * hx holds [h0] or, for the LSTM, [h0, c0].
   */
  protected run(input: Tensor | PackedSequence, hx: Tensor[] | null): [Tensor | PackedSequence, Tensor[]] {
    const layer = this.getName();
    const isLSTM = this.mode === 'LSTM';
    const D = this.bidirectional ? 2 : 1;
    const batchDim = this.batchFirst ? 0 : 1;
    const packed = input instanceof PackedSequence ? input : null;
    let x: Tensor;
    let batchSizes: number[] | null = null;
    let batched = true;
    let maxBatch: number;
    const dims = (hs: Tensor[]) => hs.map((h) => `${h.ndim}-D`).join(', ');
    if (packed) {
      x = packed.data;
      batchSizes = Array.from(packed.batchSizes.contiguous().data(), Number);
      maxBatch = batchSizes[0];
    } else {
      if (!(input instanceof Tensor)) throw new TypeError(`${layer}: input must be a Tensor or a PackedSequence`);
      x = input;
      batched = x.ndim === 3;
      if (hx) {
        for (const h of hx) if (!(h instanceof Tensor)) throw new TypeError(`${layer}: hidden states must be Tensors`);
        const want = batched ? 3 : 2;
        if (hx.some((h) => h.ndim !== want)) {
          const what = isLSTM ? `hx and cx should also be ${want}-D but got (${dims(hx)}) tensors` : `hx should also be ${want}-D but got ${dims(hx)} tensor`;
          throw new Error(`${layer}: For ${batched ? 'batched 3-D' : 'unbatched 2-D'} input, ${what}`);
        }
        if (!batched) hx = hx.map((h) => h.unsqueeze(1));
      }
      if (!batched) {
        if (x.ndim === 0) throw new Error(`${layer}: input must have 3 dimensions (or 2 unbatched), got a 0-D tensor`);
        x = x.unsqueeze(batchDim);
      }
      maxBatch = x.shape[batchDim];
    }
    const realHidden = this.projSize > 0 ? this.projSize : this.hiddenSize;
    const hShape = [this.numLayers * D, maxBatch, realHidden];
    const cShape = [this.numLayers * D, maxBatch, this.hiddenSize];
    if (hx === null) {
      hx = isLSTM ? [zeros(hShape, { dtype: x.dtype }), zeros(cShape, { dtype: x.dtype })] : [zeros(hShape, { dtype: x.dtype })];
    } else if (packed?.sortedIndices) {
      const perm = packed.sortedIndices;
      hx = hx.map((h) => h.indexSelect(1, perm));
    }
    // check_forward_args
    const wantDim = packed ? 2 : 3;
    if (x.ndim !== wantDim) throw new Error(`${layer}: input must have ${wantDim} dimensions, got ${x.ndim}`);
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new Error(`${layer}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[x.ndim - 1]}`);
    }
    hx.forEach((h, k) => {
      const want = k === 0 ? hShape : cShape;
      if (h.ndim !== 3 || h.shape.some((s, i) => s !== want[i])) {
        throw new Error(`${layer}: Expected hidden${isLSTM ? `[${k}]` : ''} size (${want.join(', ')}), got ${shapeStr(h.shape)}`);
      }
    });
    const w0 = this.layerWeights(0, 0);
    checkDtype(layer, 'the input', x, w0.wIh);
    hx.forEach((h, k) => checkDtype(layer, k === 0 ? 'hx' : 'cx', h, w0.wHh));
    const seq = packed ? x : this.batchFirst ? x.transpose(0, 1) : x;
    const T = packed ? batchSizes!.length : seq.shape[0];
    if (T === 0) throw new Error(`${layer}: Expected sequence length to be larger than 0 in RNN`);

    let layerInput = seq;
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const w = this.layerWeights(l, d);
        const idx = l * D + d;
        // The input projection of all time steps in one product; the steps are views into it.
        const gi = F.linear(layerInput, w.wIh, w.bIh);
        const steps = batchSizes ? gi.split([...batchSizes], 0) : gi.unbind(0);
        const r = runDirection(this.mode, steps, hx[0].select(0, idx), isLSTM ? hx[1].select(0, idx) : null, w, d === 1);
        outs.push(batchSizes ? cat(r.outputs, 0) : stack(r.outputs, 0));
        finalH.push(r.h);
        if (r.c) finalC.push(r.c);
      }
      layerInput = D === 2 ? cat(outs, -1) : outs[0];
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) layerInput = F.dropout(layerInput, { p: this.dropout, training: true });
    }
    let hidden = isLSTM ? [stack(finalH, 0), stack(finalC, 0)] : [stack(finalH, 0)];
    if (packed) {
      const unsorted = packed.unsortedIndices;
      if (unsorted) hidden = hidden.map((h) => h.indexSelect(1, unsorted));
      return [new PackedSequence(layerInput, packed.batchSizes, packed.sortedIndices, packed.unsortedIndices), hidden];
    }
    let output = this.batchFirst ? layerInput.transpose(0, 1) : layerInput;
    if (!batched) {
      output = output.squeeze(batchDim);
      hidden = hidden.map((h) => h.squeeze(1));
    }
    return [output, hidden];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return s;
  }
}

function rejectProjSize(layer: string, options: object): void {
  if ('projSize' in options) throw new Error(`${layer}: proj_size argument is only supported for LSTM, not RNN or GRU`);
}

/**
 * Elman RNN, h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (ReLU with nonlinearity 'relu'), stacked and
 * optionally bidirectional. forward(input [L, N, in] / [N, L, in] / [L, in] / PackedSequence, h0 [D·layers, N, H]
 * or [D·layers, H] (default zeros)) → [output [L, N, D·H] (or packed), h_n].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    rejectProjSize('RNN', options);
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`RNN: Unknown nonlinearity '${String(nonlinearity)}'`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, [h]] = this.run(input, hx ? [hx] : null);
    return [out, h];
  }
}

/**
 * LSTM (gates i, f, g, o; c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t), projected by weight_hr with projSize).
 * forward(input, [h0, c0] (default zeros)) → [output, [h_n, c_n]]; h has projSize features when projecting.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx: readonly [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx && (!Array.isArray(hx) || hx.length !== 2)) throw new TypeError('LSTM: hx must be a pair [h0, c0]');
    const [out, [h, c]] = this.run(input, hx ? [hx[0], hx[1]] : null);
    return [out, [h, c]];
  }
}

/**
 * GRU (gates r, z, n; n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t−1} + b_hn)), h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}).
 * forward(input, h0 (default zeros)) → [output, h_n].
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    rejectProjSize('GRU', options);
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, [h]] = this.run(input, hx ? [hx] : null);
    return [out, h];
  }
}
