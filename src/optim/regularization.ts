/**
 * Delayed regularisation: train without weight decay / L1 for the first epochs, then switch it on.
 *
 * ```ts
 * const opt = new optim.SGD(model.parameters(), {lr: 0.1, weightDecay: 5e-4});
 * const reg = new optim.DelayedRegularization(opt, {startEpoch: 10, l1: 1e-5}); // weightDecay is 0 until epoch 10
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   for (const [x, y] of loader) {
 *     let loss = F.crossEntropy(model.forward(x), y);
 *     if (reg.l1 > 0) loss = loss.add(nn.l1Penalty(model.parameters()).mul(reg.l1));
 *     ...
 *   }
 *   reg.step(); // after each epoch, like an lr scheduler
 * }
 * ```
 * The weight decay each group should have once active is taken from the group when the helper is
 * created (or from `options.weightDecay`); until `startEpoch` the groups' weightDecay is 0.
 */
import type { Optimizer } from './optimizer.js';

export interface DelayedRegularizationOptions {
  /** First epoch (0-based) with regularisation on. */
  startEpoch: number;
  /** Weight decay once active (one value for all groups); default: each group's current weightDecay. */
  weightDecay?: number;
  /** L1 coefficient once active, exposed as `.l1` for use with nn.l1Penalty (default 0). */
  l1?: number;
}

export class DelayedRegularization {
  readonly optimizer: Optimizer<any>;
  readonly startEpoch: number;
  /** Epochs completed (step() calls). */
  epoch = 0;
  private readonly targetDecay: number[];
  private readonly targetL1: number;

  constructor(optimizer: Optimizer<any>, options: DelayedRegularizationOptions) {
    if (!options || !Number.isInteger(options.startEpoch) || options.startEpoch < 0) {
      throw new Error(`DelayedRegularization: startEpoch must be a non-negative integer, got ${String(options?.startEpoch)}`);
    }
    this.optimizer = optimizer;
    this.startEpoch = options.startEpoch;
    const groups = optimizer.paramGroups as unknown as Record<string, unknown>[];
    if (!groups.every((g) => 'weightDecay' in g)) throw new Error(`DelayedRegularization: ${optimizer.constructor.name} has no weightDecay option`);
    this.targetDecay = groups.map((g) => options.weightDecay ?? (g.weightDecay as number));
    this.targetL1 = options.l1 ?? 0;
    this.apply();
  }

  /** True once regularisation is on. */
  get active(): boolean {
    return this.epoch >= this.startEpoch;
  }

  /** The L1 coefficient to use now (0 before startEpoch). */
  get l1(): number {
    return this.active ? this.targetL1 : 0;
  }

  /** Call after every epoch. */
  step(): void {
    this.epoch++;
    this.apply();
  }

  private apply(): void {
    const groups = this.optimizer.paramGroups as unknown as Record<string, unknown>[];
    groups.forEach((g, i) => (g.weightDecay = this.active ? this.targetDecay[i] : 0));
  }

  stateDict(): { epoch: number } {
    return { epoch: this.epoch };
  }

  loadStateDict(state: { epoch: number }): void {
    this.epoch = state.epoch;
    this.apply();
  }
}
