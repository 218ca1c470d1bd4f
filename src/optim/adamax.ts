import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkBetas, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface AdamaxOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

/** Adamax (Kingma & Ba): Adam with the infinity norm of past gradients in place of the second moment. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Partial<AdamaxOptions> | number = {}) {
    super(params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: AdamaxOptions): void {
    checkNonNegative('Adamax', 'learning rate', g.lr);
    checkNonNegative('Adamax', 'epsilon value', g.eps);
    checkBetas('Adamax', g.betas);
    checkNonNegative('Adamax', 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<AdamaxOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const { p, grad, s, r, step } of this.steppedParams(g, (p, state) => {
      state.expAvg = this.zerosLike(p);
      state.expInf = this.zerosLike(p);
    })) {
      const m = (s.expAvg as Tensor).storage;
      const u = (s.expInf as Tensor).storage;
      const b1 = r(beta1);
      const b2 = r(beta2);
      const omb1 = r(1 - beta1);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      const negClr = r(-(g.lr / (1 - beta1 ** step)));
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          m[i] = r(r(m[i] * b1) + omb1 * gi);
          // exp_inf = amax(stack([exp_inf * beta2, |grad| + eps]))
          const a = r(u[i] * b2);
          const c = r(Math.abs(gi) + eps);
          u[i] = a >= c || Number.isNaN(a) ? a : c;
          // param.addcdiv_(exp_avg, exp_inf, value=-clr)
          w[i] = r(w[i] + r(r(negClr * m[i]) / u[i]));
        }
      });
    }
  }
}
