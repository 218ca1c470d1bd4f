import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/** Gradient rule of one recorded op: upstream gradient in, one gradient (or null) per input out. */
export type BackwardFn = (grad: Tensor) => readonly (Tensor | null | undefined)[];

/**
 * One recorded operation on the tape. It keeps its inputs (to walk the graph)
 * and a closure holding whatever the gradient rule saved from the forward pass;
 * after a backward pass the closure is dropped so that memory can be reclaimed.
 */
export class Node {
  private backwardFn: BackwardFn | null;

  constructor(
    /** Op name as shown by `t.gradFn.name`, e.g. 'MulBackward'. */
    readonly name: string,
    readonly inputs: readonly Tensor[],
    backwardFn: BackwardFn,
  ) {
    this.backwardFn = backwardFn;
  }

  apply(grad: Tensor): readonly (Tensor | null | undefined)[] {
    if (!this.backwardFn) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time (its saved tensors were freed ` +
          `after the first backward); pass {retainGraph: true} to the first backward() if you need to do this`,
      );
    }
    return this.backwardFn(grad);
  }

  /** Drop the saved tensors (after a backward without retainGraph). */
  release(): void {
    this.backwardFn = null;
  }

  /** The nodes feeding this one (leaves show as 'AccumulateGrad'), for drawing the graph. */
  get nextFunctions(): { name: string; tensor: Tensor }[] {
    return this.inputs
      .filter((t) => t.requiresGrad)
      .map((t) => ({ name: t.gradFn ? t.gradFn.name : 'AccumulateGrad', tensor: t }));
  }

  toString(): string {
    return `<${this.name}>`;
  }
}

/**
 * Attach a gradient rule to the result of an op when any input needs a
 * gradient and recording is on. The rule receives the upstream gradient and
 * returns one gradient per input, in the order of `inputs`.
 */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = new Node(name, inputs, backward);
  }
  return out;
}

/** True when an op on these inputs will be recorded, so forward passes can skip saving what backward needs. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad);
}
