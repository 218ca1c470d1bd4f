import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface AdadeltaOptions {
  /** Scale applied to the delta (PyTorch's default 1). */
  lr: number;
  /** Decay of the running averages. */
  rho: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** Adadelta (Zeiler): step sizes from running averages of squared gradients and squared updates. */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params<AdadeltaOptions>, options: Partial<AdadeltaOptions> | number = {}) {
    super(params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: AdadeltaOptions): void {
    checkNonNegative('Adadelta', 'learning rate', g.lr);
    if (!(g.rho >= 0 && g.rho <= 1)) throw new Error(`Adadelta: invalid rho value: ${g.rho} (expected 0 <= rho <= 1)`);
    checkNonNegative('Adadelta', 'epsilon value', g.eps);
    checkNonNegative('Adadelta', 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<AdadeltaOptions>): void {
    for (const { p, grad, s, r } of this.steppedParams(g, (p, state) => {
      state.squareAvg = this.zerosLike(p);
      state.accDelta = this.zerosLike(p);
    })) {
      const sq = (s.squareAvg as Tensor).storage;
      const acc = (s.accDelta as Tensor).storage;
      const rho = r(g.rho);
      const omr = r(1 - g.rho);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      const negLr = r(-g.lr);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          sq[i] = r(r(sq[i] * rho) + r(r(omr * gi) * gi));
          const std = r(Math.sqrt(r(sq[i] + eps)));
          const delta = r(r(r(Math.sqrt(r(acc[i] + eps))) / std) * gi);
          acc[i] = r(r(acc[i] * rho) + r(r(omr * delta) * delta));
          w[i] = r(w[i] + negLr * delta);
        }
      });
    }
  }
}
