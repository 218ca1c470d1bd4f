import type { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/creation.js';
import { grad } from './backward.js';
import { isGradEnabled } from './grad-mode.js';

/**
 * The gradients of a fused op when its backward pass is itself recorded (createGraph): fused ops compute
 * their gradient with raw kernels, which the tape cannot differentiate again, so the op is recomputed
 * from differentiable ops (`compose`, called with `inputs` as given, null where absent) and their
 * gradients are taken with createGraph, differentiable w.r.t. both `g` and the inputs. Returns one
 * gradient per non-null input (null where it needs none; zeros where `compose` does not depend on it,
 * as the fused kernels give), or null when nothing is recorded: the caller then runs its raw kernel,
 * so an ordinary backward costs nothing extra.
 */
export function compositeGrads(
  g: Tensor, inputs: readonly (Tensor | null | undefined)[], compose: (...xs: (Tensor | null)[]) => Tensor,
): (Tensor | null)[] | null {
  const present = inputs.filter((t): t is Tensor => t !== null && t !== undefined);
  if (!isGradEnabled() || !(g.requiresGrad || present.some((t) => t.requiresGrad))) return null;
  const wanted = present.filter((t) => t.requiresGrad);
  const y = compose(...inputs.map((t) => t ?? null));
  const grads = wanted.length && y.requiresGrad ? grad([y], wanted, { gradOutputs: [g], createGraph: true, allowUnused: true }) : [];
  let k = 0;
  return present.map((t) => (t.requiresGrad ? (grads[k++] ?? zerosLike(t)) : null));
}
