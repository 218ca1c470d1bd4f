import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

/**
 * Reset the gradients of `params`, as PyTorch 1.13's zero_grad: to zeros in place by default
 * (set_to_none=False), or to null with setToNone. A gradient that is part of a graph (backward with
 * createGraph) is detached before it is zeroed, as PyTorch does.
 */
export function zeroGrads(params: Iterable<Tensor>, setToNone = false): void {
  for (const p of params) {
    if (!p.grad) continue;
    if (setToNone) {
      p.grad = null;
      continue;
    }
    if (p.grad.gradFn || p.grad.requiresGrad) p.grad = p.grad.detach();
    const g = p.grad;
    noGrad(() => g.zero_());
  }
}
