import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';
import { shapeStr } from '../tensor/shape.js';

/** Gradient rule of one recorded op: upstream gradient in, one gradient (or null) per input out. */
export type BackwardFn = (grad: Tensor) => readonly (Tensor | null | undefined)[];
/** Gradient rule of an op with several outputs (unbind, split): one upstream gradient per output, null where none arrived. */
export type MultiBackwardFn = (grads: readonly (Tensor | null)[]) => readonly (Tensor | null | undefined)[];
type Hook = (grad: Tensor) => Tensor | void;

/**
 * Where the gradient of one input goes: the node that produced the input when the op was recorded
 * (so a later in-place update that gives the tensor a new gradFn does not rewire this edge, as in
 * PyTorch), or the input itself when it was a leaf; null when it did not require grad.
 */
export type Edge = Node | Tensor | null;

/**
 * Version counters of storages, shared by all views of one buffer (as PyTorch's are): every in-place
 * write bumps it, and a node whose saved tensors changed since the forward pass refuses to run.
 */
const versions = new WeakMap<object, number>();
export function versionOf(t: Tensor): number {
  return versions.get(t.storage) ?? 0;
}
export function bumpVersion(t: Tensor): void {
  versions.set(t.storage, versionOf(t) + 1);
}

/**
 * Ops whose gradient needs no tensor saved from the forward pass (only shapes, dims, scalars).
 * PyTorch can run backward through them a second time without retain_graph, so they keep their rule.
 */
const SAVES_NO_TENSORS = new Set([
  'AddBackward0', 'SubBackward0', 'NegBackward0', 'ViewBackward0', 'SumBackward0', 'SumBackward1', 'MeanBackward0',
  'MeanBackward1', 'ToCopyBackward0', 'CloneBackward0', 'TransposeBackward0', 'PermuteBackward0', 'ExpandBackward0',
  'SqueezeBackward0', 'SqueezeBackward1', 'UnsqueezeBackward0', 'SliceBackward0', 'SelectBackward0', 'CatBackward0',
  'StackBackward0', 'FlipBackward0', 'ConstantPadNdBackward0', 'RepeatBackward0', 'SplitBackward0', 'UnbindBackward0',
  'CopyBackwards', 'FillBackward0', 'RsubBackward0', 'RsubBackward1', 'SqueezeBackward2', 'SplitWithSizesBackward0',
  'TBackward0', 'ReshapeAliasBackward0', 'UnsafeViewBackward0', 'ZeroBackward0', 'AsStridedBackward0', 'CopySlices',
]);

/**
 * One recorded operation on the tape. It keeps its inputs (to walk the graph)
 * and a closure holding whatever the gradient rule saved from the forward pass;
 * after a backward pass the closure is dropped so that memory can be reclaimed.
 */
export class Node {
  private backwardFn: BackwardFn | MultiBackwardFn | null;
  /** Per input, where its gradient goes (fixed when the op is recorded). */
  readonly edges: readonly Edge[];
  /** Per input, which output of its edge's node it is (`outputNr`; 0 for leaves and single-output nodes). */
  readonly edgeOutputs: readonly number[];
  /** The tensors this node produced, by output number (their gradients are retained there with retainGrad()). */
  readonly outputs: (Tensor | null)[];
  /** Hooks registered on each output tensor while this node was its gradFn. */
  readonly outputHooks: Hook[][];
  /** How many tensors the op produced: unbind / split pieces share one node, as in PyTorch. */
  readonly outputCount: number;
  /** Whether the rule takes one gradient per output (MultiBackwardFn), even when there is a single output. */
  readonly multiOutput: boolean;
  /** Tensors the rule reads in backward, with their storage version when recorded. */
  private saved: { tensor: Tensor; version: number }[] = [];
  /** The op's inputs; a backward pass that releases the node drops them (their shapes stay). */
  private inputTensors: readonly Tensor[];
  /** The shape of each input (the engine checks each gradient against it). */
  readonly inputShapes: readonly (readonly number[])[];

  constructor(name: string, inputs: readonly Tensor[], backwardFn: BackwardFn);
  constructor(name: string, inputs: readonly Tensor[], backwardFn: MultiBackwardFn, outputCount: number);
  constructor(
    /** Op name as shown by `t.gradFn.name`, e.g. 'MulBackward0'. */
    readonly name: string,
    inputs: readonly Tensor[],
    backwardFn: BackwardFn | MultiBackwardFn,
    outputCount?: number,
  ) {
    this.backwardFn = backwardFn;
    this.inputTensors = inputs;
    this.inputShapes = inputs.map((t) => t.shape);
    this.multiOutput = outputCount !== undefined;
    this.outputCount = outputCount ?? 1;
    this.edges = inputs.map((t) => (t.requiresGrad ? (t.gradFn ?? t) : null));
    this.edgeOutputs = inputs.map((t) => (t.requiresGrad && t.gradFn ? t.outputNr : 0));
    this.outputs = new Array<Tensor | null>(this.outputCount).fill(null);
    this.outputHooks = Array.from({ length: this.outputCount }, () => []);
  }

  /** The op's inputs (empty once a backward pass has released this node). */
  get inputs(): readonly Tensor[] {
    return this.inputTensors;
  }

  /** The tensor this node produced (the first, for a node with several outputs). */
  get output(): Tensor | null {
    return this.outputs[0] ?? null;
  }
  set output(t: Tensor | null) {
    this.outputs[0] = t;
  }

  /** Declare the tensors the rule reads in backward, so that in-place changes to them are detected. */
  saveForBackward(tensors: readonly (Tensor | null | undefined)[]): void {
    for (const t of tensors) if (t) this.saved.push({ tensor: t, version: versionOf(t) });
  }

  /** Run the rule on the upstream gradients, one per output (null where none arrived; never all null). */
  apply(grads: readonly (Tensor | null)[]): readonly (Tensor | null | undefined)[] {
    if (!this.backwardFn) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time (its saved tensors were freed ` +
          `after the first backward); pass {retainGraph: true} to the first backward() if you need to do this`,
      );
    }
    for (const { tensor, version } of this.saved) {
      const now = versionOf(tensor);
      if (now !== version) {
        throw new Error(
          `${this.name}: one of the variables needed for gradient computation has been modified by an inplace operation: ` +
            `[${tensor.dtype} ${shapeStr(tensor.shape)}] is at version ${now}; expected version ${version} instead`,
        );
      }
    }
    return this.multiOutput ? (this.backwardFn as MultiBackwardFn)(grads) : (this.backwardFn as BackwardFn)(grads[0] as Tensor);
  }

  /**
   * After a backward pass without retainGraph: drop the rule (rules that saved no tensors stay usable) and
   * every tensor this node holds, as PyTorch's graph does, so that the forward pass's activations can be
   * collected even while the output, and so this graph, is still referenced. Outputs that retain their
   * gradient stay (the engine fills their .grad).
   */
  release(): void {
    if (!SAVES_NO_TENSORS.has(this.name)) this.backwardFn = null;
    this.saved = [];
    this.inputTensors = [];
    for (let k = 0; k < this.outputs.length; k++) if (!this.outputs[k]?.retainsGrad) this.outputs[k] = null;
  }

  /** The nodes feeding this one (leaves show as 'AccumulateGrad'), for drawing the graph; tensor is null once released. */
  get nextFunctions(): { name: string; tensor: Tensor | null }[] {
    const out: { name: string; tensor: Tensor | null }[] = [];
    this.edges.forEach((e, i) => {
      if (e) out.push({ name: e instanceof Node ? e.name : 'AccumulateGrad', tensor: this.inputTensors[i] ?? null });
    });
    return out;
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

/**
 * Attach a gradient rule to the result of an op when any input needs a
 * gradient and recording is on. The rule receives the upstream gradient and
 * returns one gradient per input, in the order of `inputs`. `saved` lists the
 * tensors the rule reads (inputs or the output), checked against in-place changes.
 */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn, saved?: readonly (Tensor | null | undefined)[]): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const node = new Node(name, inputs, backward);
    if (saved) node.saveForBackward(saved);
    out.requiresGrad = true;
    out.gradFn = node;
    node.output = out;
  }
  return out;
}

/**
 * `record` for an op with several outputs (unbind, split, chunk): one node shared by all of them, as
 * PyTorch's; its rule receives the gradient of each output (null for outputs that got none), so the
 * input's gradient is assembled once instead of once per output.
 */
export function recordMulti(outs: Tensor[], name: string, inputs: readonly Tensor[], backward: MultiBackwardFn): Tensor[] {
  if (outs.length && isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const node = new Node(name, inputs, backward, outs.length);
    outs.forEach((out, k) => {
      out.requiresGrad = true;
      out.gradFn = node;
      out.outputNr = k;
      node.outputs[k] = out;
    });
  }
  return outs;
}

/** True when an op on these inputs will be recorded, so forward passes can skip saving what backward needs. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad);
}

/**
 * Make a gradient computed by a raw kernel differentiable when the backward pass is itself recorded
 * (createGraph): for an op linear in its input, the gradient's own gradient is the forward op.
 */
export function linearInGrad(result: Tensor, g: Tensor, name: string, forward: (gg: Tensor) => Tensor): Tensor {
  return isGradEnabled() && g.requiresGrad ? record(result, name, [g], (gg) => [forward(gg)]) : result;
}
