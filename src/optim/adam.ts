import type { Tensor } from '../tensor/tensor.js';
import type { FloatArray } from '../backend/interface.js';
import { jsFused } from '../backend/js/fused.js';
import { kernels } from '../backend/registry.js';
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

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: AdamOptions): void {
    const name = this.constructor.name;
    checkNonNegative(name, 'learning rate', g.lr);
    checkNonNegative(name, 'epsilon value', g.eps);
    checkBetas(name, g.betas);
    checkNonNegative(name, 'weight_decay value', g.weightDecay);
  }

  protected updateGroup(g: ParamGroup<AdamOptions>): void {
    // The update runs in one backend kernel (native when loaded; src/backend/js/fused.ts is the reference).
    const adamStep = kernels().adamStep ?? jsFused.adamStep;
    const [beta1, beta2] = g.betas;
    const { lr, eps, weightDecay, amsgrad, maximize } = g;
    for (const { p, grad, s, step } of this.steppedParams(g, (p, state) => {
      state.expAvg = this.zerosLike(p);
      state.expAvgSq = this.zerosLike(p);
      if (g.amsgrad) state.maxExpAvgSq = this.zerosLike(p);
    })) {
      const storage = (name: string) => (s[name] as Tensor).storage as FloatArray;
      withParamData(p, (w) =>
        adamStep(w as FloatArray, grad as FloatArray, storage('expAvg'), storage('expAvgSq'), amsgrad ? storage('maxExpAvgSq') : null, {
          lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupled: this.decoupled, step,
        }),
      );
    }
  }
}

/** AdamW (Loshchilov & Hutter): weights decay by (1 − lr·weightDecay) before the Adam step; weightDecay defaults to 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super(params, { weightDecay: 1e-2, ...dropUndefined(options) });
  }
}
