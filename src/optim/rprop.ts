import type { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkNonNegative, withParamData, type ParamGroup, type Params } from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface RpropOptions {
  lr: number;
  /** [etaminus, etaplus]: multiplicative decrease and increase of the step sizes. */
  etas: [number, number];
  /** [min, max] allowed step size. */
  stepSizes: [number, number];
  maximize: boolean;
}

/** Resilient backpropagation (Riedmiller & Braun): per-element step sizes adapted from gradient signs. */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: Params<RpropOptions>, options: Partial<RpropOptions> | number = {}) {
    super(params, { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false, ...dropUndefined(options) });
  }

  protected override validateDefaults(g: RpropOptions): void {
    checkNonNegative('Rprop', 'learning rate', g.lr);
    const e = g.etas;
    if (!Array.isArray(e) || e.length !== 2) throw new Error(`Rprop: etas must be a pair [etaminus, etaplus], got ${String(e)}`);
    if (!(e[0] > 0 && e[0] < 1 && e[1] > 1)) throw new Error(`Rprop: invalid eta values: ${e[0]}, ${e[1]} (expected 0 < etaminus < 1 < etaplus)`);
    const ss = g.stepSizes;
    if (!Array.isArray(ss) || ss.length !== 2 || typeof ss[0] !== 'number' || typeof ss[1] !== 'number') {
      throw new Error(`Rprop: stepSizes must be a pair [min, max], got ${String(ss)}`);
    }
  }

  protected updateGroup(g: ParamGroup<RpropOptions>): void {
    for (const { p, grad, s, r } of this.steppedParams(g, (p, state) => {
      state.prev = this.zerosLike(p);
      state.stepSize = this.zerosLike(p, roundOf(p.dtype, g.lr));
    })) {
      const prev = (s.prev as Tensor).storage;
      const size = (s.stepSize as Tensor).storage;
      const etaMinus = r(g.etas[0]);
      const etaPlus = r(g.etas[1]);
      const lo = r(g.stepSizes[0]);
      const hi = r(g.stepSizes[1]);
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) {
          let gi = g.maximize ? -grad[i] : grad[i];
          // sign(grad * prev) mapped to etaplus / etaminus / 1 (the product is rounded first: it may underflow to 0)
          const prod = r(gi * prev[i]);
          const f = prod > 0 ? etaPlus : prod < 0 ? etaMinus : prod === 0 ? 1 : prod;
          // step_size.mul_(sign).clamp_(min, max)
          let ss = r(size[i] * f);
          ss = ss < lo ? lo : ss; // torch's clamp: min(max(x, lo), hi)
          ss = ss > hi ? hi : ss;
          size[i] = ss;
          if (f === etaMinus) gi = 0;
          // param.addcmul_(grad.sign(), step_size, value=-1)
          const sg = gi > 0 ? 1 : gi < 0 ? -1 : gi === 0 ? 0 : gi;
          w[i] = r(w[i] + r(-sg * ss));
          prev[i] = gi;
        }
      });
    }
  }
}

function roundOf(dtype: string, x: number): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}
