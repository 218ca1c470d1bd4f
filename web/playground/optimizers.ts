/**
 * Minimal optimisers with PyTorch's update rules (SGD with momentum, Adam),
 * used until `src/optim` provides them. Same shape as torch.optim:
 * `new SGD(params, {lr, momentum})`, `step()`, `zeroGrad()`.
 */
import { noGrad, zerosLike, type Tensor } from '../../src/core.js';

export interface Optimizer {
  lr: number;
  step(): void;
  zeroGrad(): void;
}

export class SGD implements Optimizer {
  lr: number;
  private readonly momentum: number;
  private readonly buffers = new Map<Tensor, Tensor>();
  constructor(private readonly params: Tensor[], options: { lr: number; momentum?: number }) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
  }
  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        let g = p.grad;
        if (this.momentum !== 0) {
          let buf = this.buffers.get(p);
          if (!buf) this.buffers.set(p, (buf = g.clone()));
          else buf.mul_(this.momentum).add_(g);
          g = buf;
        }
        p.sub_(g.mul(this.lr));
      }
    });
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

export class Adam implements Optimizer {
  lr: number;
  private readonly betas: [number, number];
  private readonly eps: number;
  private t = 0;
  private readonly m = new Map<Tensor, Tensor>();
  private readonly v = new Map<Tensor, Tensor>();
  constructor(private readonly params: Tensor[], options: { lr: number; betas?: [number, number]; eps?: number }) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
  }
  step(): void {
    this.t++;
    const [b1, b2] = this.betas;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const g = p.grad;
        let m = this.m.get(p);
        let v = this.v.get(p);
        if (!m || !v) {
          this.m.set(p, (m = zerosLike(p)));
          this.v.set(p, (v = zerosLike(p)));
        }
        m.mul_(b1).add_(g.mul(1 - b1));
        v.mul_(b2).add_(g.square().mul(1 - b2));
        const denom = v.div(c2).sqrt().add(this.eps);
        p.sub_(m.div(denom).mul(this.lr / c1));
      }
    });
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}
