import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkBetas, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Use the maximum of past squared-gradient averages (AMSGrad). */
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Adam (Kingma & Ba) with PyTorch's update: L2 weight decay added to the gradient (Adam) or
 * decoupled weight decay applied to the weights first (AdamW).
 */
export class Adam extends Optimizer<AdamOptions> {
  /** True for AdamW's decoupled weight decay. */
  protected readonly decoupled: boolean = false;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...dropUndefined(options) });
  }

  protected override validateGroup(g: ParamGroup<AdamOptions>): void {
    const name = this.constructor.name;
    checkNonNegative(name, 'learning rate', g.lr);
    checkNonNegative(name, 'epsilon value', g.eps);
    checkBetas(name, g.betas);
    checkNonNegative(name, 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const { p, grad, s, r, step } of this.steppedParams(g, (p, state) => {
      state.expAvg = this.zerosLike(p);
      state.expAvgSq = this.zerosLike(p);
      if (g.amsgrad) state.maxExpAvgSq = this.zerosLike(p);
    })) {
      const m = (s.expAvg as Tensor).storage;
      const v = (s.expAvgSq as Tensor).storage;
      const vmax = g.amsgrad ? (s.maxExpAvgSq as Tensor).storage : null;
      const bc1 = 1 - beta1 ** step;
      const bc2Sqrt = r(Math.sqrt(1 - beta2 ** step));
      const negStepSize = r(-(g.lr / bc1));
      const b1 = r(beta1);
      const b2 = r(beta2);
      const omb1 = r(1 - beta1);
      const omb2 = r(1 - beta2);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      const decay = r(1 - g.lr * g.weightDecay);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (this.decoupled) w[i] = r(w[i] * decay);
          else if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          m[i] = r(r(m[i] * b1) + omb1 * gi);
          v[i] = r(r(v[i] * b2) + r(r(omb2 * gi) * gi));
          let second = v[i];
          if (vmax) second = vmax[i] = Math.max(vmax[i], v[i]);
          const denom = r(r(r(Math.sqrt(second)) / bc2Sqrt) + eps);
          w[i] = r(w[i] + r(r(negStepSize * m[i]) / denom));
        }
      });
    }
  }
}

/** AdamW (Loshchilov & Hutter): weights decay by (1 − lr·weightDecay) before the Adam step; weightDecay defaults to 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...dropUndefined(options) });
  }
}
