import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkBetas, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface RAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** Rectified Adam (Liu et al.): plain momentum SGD until the variance estimate is reliable (ρ_t > 5). */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params<RAdamOptions>, options: Partial<RAdamOptions> | number = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: RAdamOptions): void {
    checkNonNegative('RAdam', 'learning rate', g.lr);
    checkNonNegative('RAdam', 'epsilon value', g.eps);
    checkBetas('RAdam', g.betas);
    checkNonNegative('RAdam', 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<RAdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const { p, grad, s, r, step } of this.steppedParams(g, (p, state) => {
      state.expAvg = this.zerosLike(p);
      state.expAvgSq = this.zerosLike(p);
    })) {
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
      const rectified = rhoT > 5;
      const rect = rectified ? r(Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))) : 0;
      const m = (s.expAvg as Tensor).storage;
      const v = (s.expAvgSq as Tensor).storage;
      const b1 = r(beta1);
      const b2 = r(beta2);
      const omb1 = r(1 - beta1);
      const omb2 = r(1 - beta2);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      const bc1r = r(bc1);
      const bc2Sqrt = r(Math.sqrt(bc2));
      const lr = r(g.lr);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          m[i] = r(r(m[i] * b1) + omb1 * gi);
          v[i] = r(r(v[i] * b2) + r(r(omb2 * gi) * gi));
          const corrected = r(m[i] / bc1r);
          if (rectified) {
            // torch computes sqrt(bc2) / denom as denom.reciprocal() * sqrt(bc2) (Tensor.__rtruediv__): two roundings.
            const adaptive = r(r(1 / r(r(Math.sqrt(v[i])) + eps)) * bc2Sqrt);
            w[i] = r(w[i] - r(r(r(corrected * lr) * adaptive) * rect));
          } else {
            w[i] = r(w[i] - r(corrected * lr));
          }
        }
      });
    }
  }
}
