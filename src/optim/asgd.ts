import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface ASGDOptions {
  lr: number;
  /** Decay term. */
  lambd: number;
  /** Power of the eta update. */
  alpha: number;
  /** Step at which averaging starts. */
  t0: number;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Averaged SGD (Polyak & Juditsky), PyTorch's formulation: the average `ax` of the iterates is kept in
 * the state. As torch, eta and mu are float32 scalars whatever the parameter's dtype.
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: Params<ASGDOptions>, options: Partial<ASGDOptions> | number = {}) {
    super(params, { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: ASGDOptions): void {
    checkNonNegative('ASGD', 'learning rate', g.lr);
    checkNonNegative('ASGD', 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<ASGDOptions>): void {
    const { lr, lambd, alpha, t0 } = g;
    for (const { p, grad, s, r, step } of this.steppedParams(g, (p, state) => {
      state.eta = Math.fround(lr); // torch.tensor(lr): float32
      state.mu = 1;
      state.ax = this.zerosLike(p);
    })) {
      const eta = s.eta as number;
      const mu = s.mu as number;
      const ax = (s.ax as Tensor).storage;
      const wd = r(g.weightDecay);
      const decay = r(1 - lambd * eta);
      const negEta = r(-eta);
      const muR = r(mu);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          w[i] = r(w[i] * decay);
          w[i] = r(w[i] + negEta * gi);
          if (mu !== 1) ax[i] = r(ax[i] + r(r(w[i] - ax[i]) * muR));
          else ax[i] = w[i];
        }
      });
      s.eta = Math.fround(lr / Math.pow(1 + lambd * lr * step, alpha));
      s.mu = Math.fround(1 / Math.max(1, step - t0));
    }
  }
}
