import type { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../backend/interface.js';
import { jsFused } from '../backend/js/fused.js';
import { kernels } from '../backend/registry.js';
import { Optimizer, checkNonNegative, withParamData, type ParamGroup, type ParamGroupInput, type Params } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  momentum: number;
  dampening: number;
  /** L2 penalty added to the gradient. */
  weightDecay: number;
  nesterov: boolean;
  /** Maximise the objective instead of minimising it. */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum (PyTorch's formulation), Nesterov and weight decay.
 * lr has no default (PyTorch's `required`): give options.lr, or an lr in every parameter group.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor>, options: (Partial<SGDOptions> & { lr: number }) | number);
  constructor(params: ParamGroupInput<SGDOptions>[], options?: Partial<SGDOptions> | number);
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> | number = {}) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...dropUndefined(options ?? {}) } as SGDOptions);
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    if (g.lr === undefined) {
      throw new Error(
        "SGD: options.lr is required, e.g. new SGD(model.parameters(), {lr: 0.01}); a parameter group didn't specify a value of the required option lr and there is no default",
      );
    }
  }

  protected override validateDefaults(g: SGDOptions): void {
    if (g.lr !== undefined) checkNonNegative('SGD', 'learning rate', g.lr);
    checkNonNegative('SGD', 'momentum value', g.momentum);
    checkNonNegative('SGD', 'weight_decay value', g.weightDecay);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    // The update runs in one backend kernel (native when loaded; src/backend/js/fused.ts is the reference).
    const step = kernels().sgdStep ?? jsFused.sgdStep;
    for (const p of g.params) {
      if (!p.grad) continue;
      const grad = this.gradData(p) as FloatArray;
      const s = this.stateOf(p);
      let buf = s.momentumBuffer as Tensor | null | undefined;
      const firstStep = g.momentum !== 0 && !buf;
      if (firstStep) buf = s.momentumBuffer = this.zerosLike(p);
      // Without momentum PyTorch still records momentum_buffer = None for every parameter it stepped.
      else if (buf === undefined) s.momentumBuffer = null;
      const { lr, momentum, dampening, weightDecay, nesterov, maximize } = g;
      withParamData(p, (w) =>
        step(w as FloatArray, grad, ((buf as Tensor | null | undefined)?.storage as FloatArray | undefined) ?? null, { lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep }),
      );
    }
  }
}

export function dropUndefined<T extends object>(o: T | number): T {
  // A number in the options' place is the learning rate, PyTorch's second positional argument.
  if (typeof o === 'number') return { lr: o } as unknown as T;
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
