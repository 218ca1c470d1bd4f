import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, roundFor, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface AdagradOptions {
  lr: number;
  /** lr is divided by 1 + (step − 1)·lrDecay. */
  lrDecay: number;
  weightDecay: number;
  /** Starting value of the squared-gradient sums. */
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Adagrad (Duchi et al.): per-element learning rates from accumulated squared gradients. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Partial<AdagradOptions> | number = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: AdagradOptions): void {
    checkNonNegative('Adagrad', 'learning rate', g.lr);
    checkNonNegative('Adagrad', 'lr_decay value', g.lrDecay);
    checkNonNegative('Adagrad', 'weight_decay value', g.weightDecay);
    checkNonNegative('Adagrad', 'initial_accumulator_value value', g.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'epsilon value', g.eps);
  }

  /**
   * As PyTorch, the accumulators exist from construction (so stateDict has them before the first step),
   * filled with the constructor's initialAccumulatorValue: torch ignores a group's own value.
   */
  protected override initGroupState(g: ParamGroup<AdagradOptions>): void {
    for (const p of g.params) {
      const s = this.stateOf(p);
      s.step = 0;
      s.sum = this.zerosLike(p, this.defaults.initialAccumulatorValue);
    }
  }

  protected updateGroup(g: ParamGroup<AdagradOptions>): void {
    for (const p of g.params) {
      if (!p.grad) continue;
      const r = roundFor(p.dtype);
      const grad = this.gradData(p);
      const s = this.stateOf(p);
      if (s.sum === undefined) {
        s.step = 0;
        s.sum = this.zerosLike(p, this.defaults.initialAccumulatorValue);
      }
      const step = (s.step as number) + 1;
      s.step = step;
      const sum = (s.sum as Tensor).storage;
      const negClr = r(-(g.lr / (1 + (step - 1) * g.lrDecay)));
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          sum[i] = r(sum[i] + r(gi * gi));
          const std = r(r(Math.sqrt(sum[i])) + eps);
          w[i] = r(w[i] + r(r(negClr * gi) / std));
        }
      });
    }
  }
}
