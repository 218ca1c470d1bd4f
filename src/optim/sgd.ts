import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, roundFor, withParamData, type ParamGroup, type Params } from './optimizer.js';

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

/** Stochastic gradient descent with optional momentum (PyTorch's formulation), Nesterov and weight decay. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (!options || typeof options.lr !== 'number') throw new Error('SGD: options.lr is required, e.g. new SGD(model.parameters(), {lr: 0.01})');
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...dropUndefined(options), lr: options.lr });
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    checkNonNegative('SGD', 'learning rate', g.lr);
    checkNonNegative('SGD', 'momentum value', g.momentum);
    checkNonNegative('SGD', 'weight_decay value', g.weightDecay);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
  }

  protected updateGroup(g: ParamGroup<SGDOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const r = roundFor(p.dtype);
      const grad = this.gradData(p);
      const s = this.stateOf(p);
      const wd = r(g.weightDecay);
      const mom = r(g.momentum);
      const oneMinusDamp = r(1 - g.dampening);
      const negLr = r(-g.lr);
      let buf = s.momentumBuffer as Tensor | undefined;
      const first = g.momentum !== 0 && !buf;
      if (first) buf = s.momentumBuffer = this.zerosLike(p);
      const b = buf?.storage;
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let d = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) d = r(d + wd * w[i]);
          if (g.momentum !== 0) {
            b![i] = first ? d : r(r(b![i] * mom) + oneMinusDamp * d);
            d = g.nesterov ? r(d + mom * b![i]) : b![i];
          }
          w[i] = r(w[i] + negLr * d);
        }
      });
    }
  }
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
