/**
 * Dropout layers and Monte-Carlo dropout.
 *
 * MC dropout: `nn.enableMcDropout(model)` puts the model in eval mode except its dropout layers,
 * which stay active; `nn.mcPredict(model, x, k)` does that, runs k stochastic forward passes
 * without gradients and returns their mean and (population) variance, then restores the modes.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { pyBool, pyFloat } from './format.js';

abstract class DropoutBase extends Module {
  readonly p: number;
  readonly inplace: boolean;

  /** `new nn.Dropout({p: 0.2})` or `new nn.Dropout(0.2)`; p defaults to 0.5. */
  constructor(pOrOptions: number | { p?: number; inplace?: boolean } = {}, options: { inplace?: boolean } = {}) {
    super();
    const p = typeof pOrOptions === 'number' ? pOrOptions : pOrOptions.p ?? 0.5;
    if (typeof pOrOptions === 'object' && pOrOptions.inplace !== undefined) options = { inplace: pOrOptions.inplace };
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${new.target.name}: dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.inplace = options.inplace ?? false;
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/** Zero each element with probability p in training (scaling the rest by 1/(1−p)); identity in eval. */
export class Dropout extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.dropout(x, { p: this.p, training: this.training });
  }
}

/** Zero whole channels of [N, C, L] with probability p in training. */
export class Dropout1d extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.dropout1d(x, { p: this.p, training: this.training });
  }
}

/** Zero whole channels (feature maps) of [N, C, H, W] with probability p in training. */
export class Dropout2d extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.dropout2d(x, { p: this.p, training: this.training });
  }
}

/** Zero whole channels (feature volumes) of [N, C, D, H, W] with probability p in training. */
export class Dropout3d extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.dropout3d(x, { p: this.p, training: this.training });
  }
}

/** Alpha dropout of whole channels of [N, C, *] (keeps SELU networks' mean and variance). */
export class FeatureAlphaDropout extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.featureAlphaDropout(x, { p: this.p, training: this.training });
  }
}

/** Alpha dropout (keeps SELU networks' mean and variance). */
export class AlphaDropout extends DropoutBase {
  forward(x: Tensor): Tensor {
    return F.alphaDropout(x, { p: this.p, training: this.training });
  }
}

/** True for the dropout layers (Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout and subclasses). */
export function isDropout(m: Module): boolean {
  return m instanceof DropoutBase;
}

/** Eval mode for the whole model except its dropout layers, which stay in training mode (MC dropout). Returns the model. */
export function enableMcDropout<M extends Module>(model: M): M {
  model.eval();
  for (const m of model.modules()) if (isDropout(m)) m.training = true;
  return model;
}

/**
 * Monte-Carlo dropout prediction: k stochastic forward passes with only dropout active, without
 * gradients; returns the elementwise mean and population variance of the outputs. The training
 * flags of all modules are restored afterwards.
 */
export function mcPredict(model: Module, x: Tensor, k: number): { mean: Tensor; variance: Tensor; samples: number } {
  if (!Number.isInteger(k) || k < 1) throw new Error(`mcPredict: k must be a positive integer, got ${k}`);
  const saved = model.modules().map((m) => [m, m.training] as const);
  try {
    enableMcDropout(model);
    return noGrad(() => {
      let sum: Tensor | null = null;
      let sumSq: Tensor | null = null;
      let dtype = x.dtype;
      for (let i = 0; i < k; i++) {
        const y = model.forward(x) as Tensor;
        dtype = y.dtype;
        const yd = y.to('float64'); // accumulate in float64
        sum = sum ? sum.add(yd) : yd;
        sumSq = sumSq ? sumSq.add(yd.square()) : yd.square();
      }
      const mean = sum!.div(k);
      const variance = sumSq!.div(k).sub(mean.square()).clamp(0, null);
      return { mean: mean.to(dtype), variance: variance.to(dtype), samples: k };
    });
  } finally {
    for (const [m, t] of saved) m.training = t;
  }
}
