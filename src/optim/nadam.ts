import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkBetas, checkNonNegative, withParamData, type OptimizerStateDict, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface NAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Momentum decay ψ of the μ_t schedule (default 4e-3). */
  momentumDecay: number;
}

/** Adam with Nesterov momentum (Dozat), PyTorch's formulation with the μ_t momentum schedule. */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: Partial<NAdamOptions> | number = {}) {
    super(params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: NAdamOptions): void {
    checkNonNegative('NAdam', 'learning rate', g.lr);
    checkNonNegative('NAdam', 'epsilon value', g.eps);
    checkBetas('NAdam', g.betas);
    checkNonNegative('NAdam', 'weight_decay value', g.weightDecay);
    checkNonNegative('NAdam', 'momentum_decay value', g.momentumDecay);
  }

  /** Parameters whose mu_product torch's load_state_dict has cast to the parameter's dtype. */
  private muProductInParamDtype = new Set<Tensor>();

  override loadStateDict(sd: OptimizerStateDict): void {
    super.loadStateDict(sd);
    this.muProductInParamDtype = new Set([...this.state].filter(([, s]) => s.muProduct !== undefined).map(([p]) => p));
  }

  protected updateGroup(g: ParamGroup<NAdamOptions>): void {
    const [beta1, beta2] = g.betas;
    for (const { p, grad, s, r, step } of this.steppedParams(g, (p, state) => {
      state.muProduct = 1;
      state.expAvg = this.zerosLike(p);
      state.expAvgSq = this.zerosLike(p);
    })) {
      // PyTorch keeps mu_product in a float32 0-d tensor whatever the parameter dtype (see loadStateDict).
      const f = this.muProductInParamDtype.has(p) ? r : Math.fround;
      const bc2 = r(1 - beta2 ** step);
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * g.momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * g.momentumDecay));
      const muProduct = f((s.muProduct as number) * f(mu));
      s.muProduct = muProduct;
      const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
      const c1 = r((-g.lr * (1 - mu)) / (1 - muProduct));
      const c2 = r((-g.lr * muNext) / (1 - muProductNext));
      const m = (s.expAvg as Tensor).storage;
      const v = (s.expAvgSq as Tensor).storage;
      const b1 = r(beta1);
      const b2 = r(beta2);
      const omb1 = r(1 - beta1);
      const omb2 = r(1 - beta2);
      const eps = r(g.eps);
      const wd = r(g.weightDecay);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = grad[i];
          if (g.weightDecay !== 0) gi = r(gi + wd * w[i]);
          m[i] = r(r(m[i] * b1) + omb1 * gi);
          v[i] = r(r(v[i] * b2) + r(r(omb2 * gi) * gi));
          const denom = r(r(Math.sqrt(r(v[i] / bc2))) + eps);
          w[i] = r(w[i] + r(r(c1 * gi) / denom));
          w[i] = r(w[i] + r(r(c2 * m[i]) / denom));
        }
      });
    }
  }
}
