import { Tensor } from '../tensor/tensor.js';
import type { TypedArray } from '../backend/interface.js';
import { noGrad } from './grad-mode.js';
import { shapeStr, sameShape } from '../tensor/shape.js';

export interface BackwardOptions {
  /** Keep the saved tensors so backward can run through this graph again. */
  retainGraph?: boolean;
}

/**
 * Reverse-mode differentiation from `root`: order the graph topologically,
 * seed the root's gradient, and run each node's rule in reverse order,
 * summing the gradients that reach a tensor along several paths (fan-out).
 * Leaves that require grad accumulate into `.grad` across calls.
 */
export function runBackward(root: Tensor, grad: Tensor | null | undefined, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(
      'backward: the tensor does not require grad and has no gradFn (no input of the computation had requiresGrad: true, ' +
        'or it was computed under noGrad / detached)',
    );
  }
  let seed: Tensor;
  if (grad === undefined || grad === null) {
    if (root.size !== 1) {
      throw new Error(
        `backward: grad can be implicitly created only for scalar outputs; the output has shape ${shapeStr(root.shape)}, ` +
          'so pass the upstream gradient explicitly: t.backward(gradOfSameShape)',
      );
    }
    seed = Tensor.onesLike(root);
  } else {
    if (!(grad instanceof Tensor)) {
      throw new Error('backward: grad must be a Tensor (or null); options go second: t.backward(null, {retainGraph: true})');
    }
    if (!sameShape(grad.shape, root.shape)) {
      throw new Error(`backward: grad has shape ${shapeStr(grad.shape)} but the tensor has shape ${shapeStr(root.shape)}`);
    }
    seed = grad;
  }

  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // How many times each gradient buffer was handed out: a leaf may keep (steal) a gradient whose buffer
  // went to it alone, as PyTorch's AccumulateGrad does, instead of copying it. The caller's seed and
  // whatever a hook saw are never stolen.
  const handedOut = new Map<TypedArray, number>([[seed.storage, 2]]);
  const handOut = (g: Tensor, times = 1) => handedOut.set(g.storage, (handedOut.get(g.storage) ?? 0) + times);
  noGrad(() => {
    for (const t of order) {
      let g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      for (const hook of t.hooks) {
        handOut(g, 2);
        g = hook(g) ?? g;
        handOut(g, 2);
      }
      if (!t.gradFn && !t.grad && g.dtype === t.dtype && ownsWholeBuffer(g) && (handedOut.get(g.storage) ?? 0) <= 1) {
        t.grad = g;
      } else if (t.retainsGrad || !t.gradFn) {
        // Leaves accumulate across backward calls; retained non-leaves too, as in PyTorch.
        // A fresh copy: g may be shared with other inputs (add passes one tensor to both) or be the caller's seed.
        t.grad = t.grad ? t.grad.add(g).to(t.dtype) : g.dtype === t.dtype ? g.clone() : g.to(t.dtype);
      }
      const node = t.gradFn;
      if (!node) continue;
      const inputGrads = node.apply(g);
      if (!options.retainGraph) node.release();
      node.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (!input.requiresGrad || !ig) return;
        if (!sameShape(ig.shape, input.shape)) {
          throw new Error(
            `${node.name}: internal error, gradient for input ${i} has shape ${shapeStr(ig.shape)}, expected ${shapeStr(input.shape)}`,
          );
        }
        handOut(ig);
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(ig) : ig);
      });
    }
  });
}

/** Whether g is its buffer's only view: contiguous, from offset 0, covering all of it. */
function ownsWholeBuffer(g: Tensor): boolean {
  return g.offset === 0 && g.storage.length === g.size && g.isContiguous();
}

/** Tensors reachable from root through gradFn edges, each after every tensor that depends on it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const visited = new Set<Tensor>();
  const postOrder: Tensor[] = [];
  // Iterative DFS: deep networks would overflow the JS stack with recursion.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      postOrder.push(t);
    }
  }
  return postOrder.reverse();
}
