import type { Tensor } from '../tensor/tensor.js';
import { grad } from './backward.js';
import { enableGrad, isGradEnabled, noGrad } from './grad-mode.js';
import { needsGrad, record } from './node.js';

/**
 * The result of an op built from several recorded steps, recorded as the one node PyTorch shows
 * (conv1d as ConvolutionBackward0, ...). The steps run on stand-ins of the inputs (detached, sharing
 * their storage, so in-place checks still see later writes); the node's rule runs that small graph's
 * backward. When the backward pass is itself recorded (createGraph) the steps are rebuilt on the real
 * inputs, so the gradient stays differentiable with respect to them.
 */
export function recordAsOne(name: string, inputs: readonly (Tensor | null | undefined)[], compose: (...xs: Tensor[]) => Tensor): Tensor {
  const present = inputs.filter((t): t is Tensor => t !== null && t !== undefined);
  const args = (xs: Tensor[]) => {
    let k = 0;
    return inputs.map((t) => (t === null || t === undefined ? t : xs[k++])) as Tensor[];
  };
  if (!needsGrad(...present)) return compose(...(inputs as Tensor[]));
  const standIns = present.map((t) => {
    const s = t.detach();
    if (t.requiresGrad) s.requiresGrad = true;
    return s;
  });
  const inner = enableGrad(() => compose(...args(standIns)));
  const out = noGrad(() => inner.detach());
  const wanted = present.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  return record(out, name, present, (g) => {
    const recording = isGradEnabled(); // the backward pass is being recorded (createGraph)
    const [y, from] = recording ? [compose(...args(present)), present] : [inner, standIns];
    const grads = grad([y], wanted.map((i) => from[i]), { gradOutputs: [g], retainGraph: true, createGraph: recording, allowUnused: true });
    const result: (Tensor | null)[] = present.map(() => null);
    wanted.forEach((i, k) => (result[i] = grads[k]));
    return result;
  });
}
