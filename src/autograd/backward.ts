import { Tensor } from '../tensor/tensor.js';
import type { TypedArray } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { enableGrad, noGrad } from './grad-mode.js';
import { Node, type Edge } from './node.js';
import { shapeStr, sameShape } from '../tensor/shape.js';

export interface BackwardOptions {
  /** Keep the saved tensors so backward can run through this graph again (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again (higher-order derivatives). */
  createGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** The gradient of each output (required for outputs with more than one element). */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Return null for inputs the outputs do not depend on, instead of raising. */
  allowUnused?: boolean;
}

/** Where the gradient of a tensor collects: its gradFn, or the tensor itself for a leaf. */
type Slot = Node | Tensor;
const slotOf = (t: Tensor): Slot => t.gradFn ?? t;
/** Which output of its slot a tensor is (0 for leaves). */
const outputNrOf = (t: Tensor): number => (t.gradFn ? t.outputNr : 0);
/** Gradients collected per slot, by output number. */
type SlotGrads = Map<Slot, (Tensor | null)[]>;

/**
 * Reverse-mode differentiation from `root`: order the graph topologically,
 * seed the root's gradient, and run each node's rule in reverse order,
 * summing the gradients that reach a tensor along several paths (fan-out).
 * Leaves that require grad accumulate into `.grad` across calls.
 */
export function runBackward(root: Tensor, grad: Tensor | null | undefined, options: BackwardOptions = {}): void {
  if (grad !== undefined && grad !== null && !(grad instanceof Tensor)) {
    throw new Error('backward: grad must be a Tensor (or null); options go second: t.backward(null, {retainGraph: true})');
  }
  const seed = seedFor('backward', root, grad ?? null);
  runEngine([root], [seed], options, null);
}

/**
 * Gradients of `outputs` with respect to `inputs` (torch.autograd.grad), returned instead of
 * accumulated into `.grad`. Inputs may be leaves or intermediate tensors of the graph.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Tensor ? [outputs] : [...outputs];
  const ins = inputs instanceof Tensor ? [inputs] : [...inputs];
  const given = options.gradOutputs;
  const gradOutputs = given === undefined || given === null ? outs.map(() => null) : given instanceof Tensor ? [given] : [...given];
  if (gradOutputs.length !== outs.length) {
    throw new Error(`grad: got ${gradOutputs.length} gradOutputs for ${outs.length} outputs; pass one per output`);
  }
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`grad: input ${i} is not a Tensor`);
    if (!t.requiresGrad) throw new Error(`grad: input ${i} (One of the differentiated Tensors) does not require grad`);
  });
  const seeds = outs.map((o, i) => seedFor('grad', o, gradOutputs[i]));
  const captured: SlotGrads = new Map(ins.map((t) => [slotOf(t), []]));
  runEngine(outs, seeds, options, captured);
  return ins.map((t, i) => {
    const g = captured.get(slotOf(t))?.[outputNrOf(t)] ?? null;
    if (g === null && !options.allowUnused) {
      throw new Error(
        `grad: input ${i} (One of the differentiated Tensors) appears to not have been used in the graph; ` +
          'pass {allowUnused: true} if this is the desired behavior',
      );
    }
    return g;
  });
}

function seedFor(op: string, root: Tensor, grad: Tensor | null): Tensor {
  if (!(root instanceof Tensor)) throw new Error(`${op}: outputs must be Tensors`);
  if (!root.requiresGrad) {
    throw new Error(
      `${op}: element 0 of tensors does not require grad and does not have a gradFn (no input of the computation had ` +
        'requiresGrad: true, or it was computed under noGrad / detached)',
    );
  }
  if (grad === null) {
    if (root.size !== 1) {
      throw new Error(
        `${op}: grad can be implicitly created only for scalar outputs; the output has shape ${shapeStr(root.shape)}, ` +
          'so pass the upstream gradient explicitly: t.backward(gradOfSameShape)',
      );
    }
    return Tensor.onesLike(root);
  }
  if (!sameShape(grad.shape, root.shape)) {
    throw new Error(`${op}: mismatch in shape: grad has shape ${shapeStr(grad.shape)} but the output has shape ${shapeStr(root.shape)}`);
  }
  return grad;
}

/**
 * Run the graph below `roots` backwards. With `captured`, the gradients reaching those slots are
 * stored there and no `.grad` is touched (autograd.grad); otherwise leaves accumulate into `.grad`.
 */
function runEngine(roots: Tensor[], seeds: Tensor[], options: BackwardOptions, captured: SlotGrads | null): void {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  let order = topologicalOrder(roots.map(slotOf));
  // autograd.grad runs only the nodes on a path to a requested input, as PyTorch's engine does: the
  // graph below stays untouched (not released, its hooks not fired) and costs nothing.
  if (captured) order = nodesLeadingTo(order, captured);
  const onPath = captured ? new Set(order) : null;
  const grads: SlotGrads = new Map();
  const addGrad = (slot: Slot, nr: number, g: Tensor) => {
    let list = grads.get(slot);
    if (!list) grads.set(slot, (list = []));
    const prev = list[nr];
    list[nr] = prev ? prev.add(g) : g;
  };
  // How many times each gradient buffer was handed out: a leaf may keep (steal) a gradient whose buffer
  // went to it alone, as PyTorch's AccumulateGrad does, instead of copying it. The caller's seed and
  // whatever a hook saw are never stolen.
  const handedOut = new Map<TypedArray, number>();
  const handOut = (g: Tensor, times = 1) => handedOut.set(g.storage, (handedOut.get(g.storage) ?? 0) + times);
  roots.forEach((root, i) => {
    const seed = seeds[i].dtype === root.dtype ? seeds[i] : seeds[i].to(root.dtype);
    handOut(seed, 2);
    addGrad(slotOf(root), outputNrOf(root), seed);
  });
  (createGraph ? enableGrad : noGrad)(() => {
    for (const slot of order) {
      const received = grads.get(slot);
      if (!received) continue;
      grads.delete(slot);
      const isNode = slot instanceof Node;
      // Per output: its hooks, then capture (autograd.grad) or retention (retainGrad) of the result.
      const upstream = Array.from({ length: isNode ? slot.outputCount : 1 }, (_, k): Tensor | null => {
        let g = received[k];
        if (!g) return null;
        for (const hook of [...(isNode ? slot.outputHooks[k] : slot.hooks)]) {
          handOut(g, 2);
          g = hook(g) ?? g;
          handOut(g, 2);
        }
        const wanted = captured?.get(slot);
        if (wanted) wanted[k] = g;
        // A non-leaf that called retainGrad() keeps the gradient of its current value.
        const out = isNode ? slot.outputs[k] : null;
        if (!captured && out && out.retainsGrad && out.gradFn === slot) accumulate(out, g, false, createGraph);
        return g;
      });
      if (!isNode) {
        const g = upstream[0];
        if (!captured && g) accumulate(slot, g, (handedOut.get(g.storage) ?? 0) <= 1 && !createGraph, createGraph);
        continue;
      }
      // A requested intermediate tensor's own node runs only if another requested input lies below it.
      if (onPath && !slot.edges.some((e) => e !== null && onPath.has(e))) continue;
      const inputGrads = slot.apply(upstream);
      if (!retainGraph) slot.release();
      slot.edges.forEach((edge: Edge, i) => {
        const ig = inputGrads[i];
        if (!edge || !ig || (onPath && !onPath.has(edge))) return;
        const inputShape = slot.inputShapes[i];
        if (!sameShape(ig.shape, inputShape)) {
          throw new Error(
            `${slot.name}: internal error, gradient for input ${i} has shape ${shapeStr(ig.shape)}, expected ${shapeStr(inputShape)}`,
          );
        }
        handOut(ig);
        addGrad(edge, slot.edgeOutputs[i], ig);
      });
    }
  });
  if (!retainGraph) kernels().graphReleased?.();
}

/**
 * Add g into t.grad (a leaf's, or a retained non-leaf's); an unshared buffer of t's dtype is kept as is.
 * Without createGraph an existing gradient is updated in place, as PyTorch's AccumulateGrad (grad += new):
 * the same tensor across steps (zeroGrad zeroes it in place), and no new buffer per step.
 */
function accumulate(t: Tensor, g: Tensor, mayKeep: boolean, createGraph: boolean): void {
  if (!t.grad && mayKeep && g.dtype === t.dtype && ownsWholeBuffer(g)) {
    t.grad = g;
    return;
  }
  const current = t.grad;
  if (current && !createGraph && !current.requiresGrad && current.dtype === t.dtype && sameShape(current.shape, t.shape)) {
    noGrad(() => current.add_(g));
    return;
  }
  // A fresh copy: g may be shared with other inputs (add passes one tensor to both) or be the caller's seed.
  t.grad = t.grad ? t.grad.add(g).to(t.dtype) : g.dtype === t.dtype ? (g.requiresGrad ? g : g.clone()) : g.to(t.dtype);
}

/** Whether g is its buffer's only view: contiguous, from offset 0, covering all of it. */
function ownsWholeBuffer(g: Tensor): boolean {
  return g.offset === 0 && g.storage.length === g.size && g.isContiguous();
}

/** The slots of `order` (roots first) that are targets or have an edge leading to one, in the same order. */
function nodesLeadingTo(order: Slot[], targets: Map<Slot, unknown>): Slot[] {
  const leads = new Set<Slot>();
  for (let i = order.length - 1; i >= 0; i--) {
    const slot = order[i];
    if (targets.has(slot) || (slot instanceof Node && slot.edges.some((e) => e !== null && leads.has(e)))) leads.add(slot);
  }
  return order.filter((slot) => leads.has(slot));
}

/** Slots reachable from the roots through the edges, each after every slot that depends on it. */
function topologicalOrder(roots: Slot[]): Slot[] {
  const visited = new Set<Slot>();
  const postOrder: Slot[] = [];
  // Iterative DFS: deep networks would overflow the JS stack with recursion.
  for (const root of roots) {
    if (visited.has(root)) continue;
    visited.add(root);
    const stack: [Slot, number][] = [[root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [slot, next] = top;
      const edges = slot instanceof Node ? slot.edges : [];
      if (next < edges.length) {
        top[1]++;
        const child = edges[next];
        if (child && !visited.has(child)) {
          visited.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        postOrder.push(slot);
      }
    }
  }
  return postOrder.reverse();
}
