import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface RMSpropOptions {
  lr: number;
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Normalise by an estimate of the gradient's variance instead of its second moment. */
  centered: boolean;
  maximize: boolean;
}

/** RMSprop (Hinton), PyTorch's variant (eps added outside the square root). */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> | number = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: RMSpropOptions): void {
    checkNonNegative('RMSprop', 'learning rate', g.lr);
    checkNonNegative('RMSprop', 'epsilon value', g.eps);
    checkNonNegative('RMSprop', 'momentum value', g.momentum);
    checkNonNegative('RMSprop', 'weight_decay value', g.weightDecay);
    checkNonNegative('RMSprop', 'alpha value', g.alpha);
  }

  protected updateGroup(g: ParamGroup<RMSpropOptions>): void {
    for (const { p, grad, s, r } of this.steppedParams(g, (p, state) => {
      state.squareAvg = this.zerosLike(p);
      if (g.momentum > 0) state.momentumBuffer = this.zerosLike(p);
      if (g.centered) state.gradAvg = this.zerosLike(p);
    })) {
      const sq = (s.squareAvg as Tensor).storage;
      const ga = g.centered ? (s.gradAvg as Tensor).storage : null;
      const buf = g.momentum > 0 ? (s.momentumBuffer as Tensor).storage : null;
      const a = r(g.alpha);
      const oma = r(1 - g.alpha);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      const mom = r(g.momentum);
      const negLr = r(-g.lr);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          sq[i] = r(r(sq[i] * a) + r(r(oma * gi) * gi));
          let avg: number;
          if (ga) {
            ga[i] = r(r(ga[i] * a) + oma * gi);
            avg = r(Math.sqrt(r(sq[i] + r(-ga[i] * ga[i]))));
          } else {
            avg = r(Math.sqrt(sq[i]));
          }
          avg = r(avg + eps);
          if (buf) {
            buf[i] = r(r(buf[i] * mom) + r(gi / avg));
            w[i] = r(w[i] + negLr * buf[i]);
          } else {
            w[i] = r(w[i] + r(r(negLr * gi) / avg));
          }
        }
      });
    }
  }
}
