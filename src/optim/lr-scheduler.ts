/**
 * Learning-rate schedulers (st.optim.lrScheduler), following torch.optim.lr_scheduler (1.13)
 * formula for formula, including its recursive ("chainable") forms, so the sequences of
 * learning rates match PyTorch's to rounding.
 *
 * Usage as in PyTorch: construct after the optimiser (the constructor performs the initial step
 * and sets each group's lr to the schedule's value for epoch 0), call `optimizer.step()` during
 * the epoch and `scheduler.step()` after it. `getLastLr()` gives the lr of every group.
 * PyTorch's `T_max`, `T_0`, `T_mult`, `eta_min`… are spelled `tMax`, `t0`, `tMult`, `etaMin`.
 * `stateDict()` is plain JSON (lambdas are not saved, as in PyTorch).
 */
import type { Optimizer } from './optimizer.js';

type Group = Record<string, any>;

function groupsOf(optimizer: Optimizer<any>): Group[] {
  return optimizer.paramGroups as unknown as Group[];
}

function perGroup<T>(name: string, optimizer: Optimizer<any>, value: T | T[]): T[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw new Error(`${name}: expected ${n} values (one per parameter group), got ${value.length}`);
    return [...value];
  }
  return Array(n).fill(value);
}

function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface SchedulerOptions {
  /** Index of the last epoch when resuming (groups must then have `initialLr`); default −1. */
  lastEpoch?: number;
}

/** Base class of the epoch-indexed schedulers (PyTorch's _LRScheduler). */
export abstract class LRScheduler {
  readonly optimizer: Optimizer<any>;
  /** Each group's initial lr. */
  baseLrs: number[];
  /** The epoch count: −1 before the initial step, then incremented by each step(). */
  lastEpoch: number;
  /** @internal */ stepCount = 0;
  /** @internal */ lastLr: number[] = [];

  constructor(optimizer: Optimizer<any>, lastEpoch = -1) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError(`${new.target.name}: expected an Optimizer, got ${String(optimizer)}`);
    this.optimizer = optimizer;
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new Error(`${new.target.name}: param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`);
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Reset the step count and perform the initial step (each concrete constructor ends with it). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The lrs for this.lastEpoch, from the groups' current lrs (the recursive form). */
  protected abstract getLr(): number[];

  /** The lrs for this.lastEpoch from the base lrs (used by step(epoch)), where a closed form exists. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advance one epoch (or jump to `epoch`, deprecated in PyTorch) and set every group's lr. */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    const groups = groupsOf(this.optimizer);
    groups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = groups.map((g) => g.lr as number);
  }

  /** The lr of every group after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state (everything but the optimiser and functions), as plain JSON. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || typeof v === 'function' || v instanceof LRScheduler) continue;
      if (Array.isArray(v) && v.some((e) => typeof e === 'function' || e instanceof LRScheduler)) continue;
      out[k] = JSON.parse(JSON.stringify(v ?? null));
    }
    return out;
  }

  loadStateDict(state: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(state)) {
      const cur = (this as Record<string, unknown>)[k];
      if (typeof cur === 'function' || k === 'optimizer') continue;
      (this as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
    }
  }
}

/** lr = initialLr · lrLambda(epoch) (one function, or one per group). */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<any>, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    this.lrLambdas = perGroup('LambdaLR', optimizer, lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}

/** lr ← lr · lrLambda(epoch) at every step after the first. */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<any>, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    this.lrLambdas = perGroup('MultiplicativeLR', optimizer, lrLambda);
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch > 0) return groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return groups.map((g) => g.lr);
  }
}

/** Multiply the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer<any>, stepSize: number, options: SchedulerOptions & { gamma?: number } = {}) {
    super(optimizer, options.lastEpoch);
    // PyTorch takes any non-zero step size (a fractional or negative one too: lastEpoch % stepSize).
    if (typeof stepSize !== 'number' || !Number.isFinite(stepSize) || stepSize === 0) throw new Error(`StepLR: stepSize must be a positive integer (PyTorch also takes any non-zero number), got ${stepSize}`);
    this.stepSize = stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiply the lr by gamma at each milestone epoch (a repeated milestone multiplies repeatedly). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer<any>, milestones: number[], options: SchedulerOptions & { gamma?: number } = {}) {
    super(optimizer, options.lastEpoch);
    if (!Array.isArray(milestones)) throw new Error(`MultiStepLR: milestones must be an array of epochs, got ${String(milestones)}`);
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }
}

/** lr · factor until totalIters epochs have passed, then lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: Optimizer<any>, options: SchedulerOptions & { factor?: number; totalIters?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.factor = options.factor ?? 1 / 3;
    this.totalIters = options.totalIters ?? 5;
    if (this.factor > 1 || this.factor < 0) throw new Error(`ConstantLR: factor must be between 0 and 1, got ${this.factor}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => g.lr);
    // PyTorch divides by the factor here (a ZeroDivisionError for factor 0), rather than setting NaN rates.
    if (this.factor === 0) throw new Error(`ConstantLR: can't undo factor 0 at totalIters ${this.totalIters} (division by zero, as in PyTorch); use a factor > 0`);
    return groups.map((g) => g.lr * (1.0 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/** Linear ramp of the multiplier from startFactor to endFactor over totalIters epochs (warm-up). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer<any>, options: SchedulerOptions & { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1.0;
    this.totalIters = options.totalIters ?? 5;
    if (this.startFactor > 1 || this.startFactor <= 0) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (this.endFactor > 1 || this.endFactor < 0) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return groups.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    return groups.map((g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

/** Multiply the lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer<any>, gamma: number, options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (typeof gamma !== 'number') throw new Error(`ExponentialLR: gamma must be a number, got ${String(gamma)}`);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/**
 * Inverse-time decay, lr_t = lr0 · c / (c + t) (lr halves after c epochs). Not in PyTorch (it is
 * TensorFlow's InverseTimeDecay with decay_rate/decay_steps = 1/c); computed in closed form.
 */
export class InverseTimeLR extends LRScheduler {
  c: number;

  constructor(optimizer: Optimizer<any>, c: number, options: SchedulerOptions = {}) {
    super(optimizer, options.lastEpoch);
    if (typeof c !== 'number' || !(c > 0)) throw new Error(`InverseTimeLR: c must be a positive number, got ${String(c)}`);
    this.c = c;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b) => (b * this.c) / (this.c + this.lastEpoch));
  }

  protected override closedFormLr(): number[] {
    return this.getLr();
  }
}

/** lr = base · (1 − t/totalIters)^power, constant after totalIters. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: Optimizer<any>, options: SchedulerOptions & { totalIters?: number; power?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1.0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return groups.map((g) => g.lr);
    const f = ((1 - this.lastEpoch / this.totalIters) / (1 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return groups.map((g) => g.lr * f);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/**
 * Cosine annealing from the initial lr to etaMin over tMax epochs (SGDR without restarts), with
 * PyTorch's recursive formula (so it composes with other changes of lr exactly as torch does).
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer<any>, tMax: number, options: SchedulerOptions & { etaMin?: number } = {}) {
    super(optimizer, options.lastEpoch);
    // PyTorch takes any non-zero tMax (it fails on 0 at the first step: a modulo by zero).
    if (typeof tMax !== 'number' || !Number.isFinite(tMax) || tMax === 0) throw new Error(`CosineAnnealingLR: tMax must be a non-zero number of epochs, got ${String(tMax)}`);
    this.tMax = tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = groupsOf(this.optimizer);
    const { tMax, etaMin, lastEpoch } = this;
    if (lastEpoch === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && lastEpoch > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if ((((lastEpoch - 1 - tMax) % (2 * tMax)) + 2 * tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/**
 * Cosine annealing with warm restarts (SGDR): the period starts at t0 epochs and is multiplied by
 * tMult after each restart. step(epoch) accepts fractional epochs (per-batch updates).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  t0: number;
  tI: number;
  tMult: number;
  etaMin: number;
  tCur: number;

  constructor(optimizer: Optimizer<any>, t0: number, options: SchedulerOptions & { tMult?: number; etaMin?: number } = {}) {
    super(optimizer, options.lastEpoch);
    const tMult = options.tMult ?? 1;
    if (!Number.isInteger(t0) || t0 <= 0) throw new Error(`CosineAnnealingWarmRestarts: expected positive integer t0, but got ${t0}`);
    if (!Number.isInteger(tMult) || tMult < 1) throw new Error(`CosineAnnealingWarmRestarts: expected integer tMult >= 1, but got ${tMult}`);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = options.etaMin ?? 0;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override step(epoch?: number): void {
    this.stepCount++;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (epoch < 0) throw new Error(`CosineAnnealingWarmRestarts: expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = epoch % this.t0;
        else {
          const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const groups = groupsOf(this.optimizer);
    const values = this.getLr();
    groups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = groups.map((g) => g.lr as number);
  }
}

export interface OneCycleOptions extends SchedulerOptions {
  /** Total number of steps, or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down, annihilate) as in fastai, instead of two. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy (Smith & Topin): lr from maxLr/divFactor up to maxLr, then down to
 * initialLr/finalDivFactor, stepped once per batch; momentum cycles inversely.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  phases: Phase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;

  constructor(optimizer: Optimizer<any>, maxLr: number | number[], options: OneCycleOptions = {}) {
    const lastEpoch = options.lastEpoch ?? -1;
    let total: number;
    if (options.totalSteps !== undefined) {
      if (!Number.isInteger(options.totalSteps) || options.totalSteps <= 0) throw new Error(`OneCycleLR: expected positive integer totalSteps, but got ${options.totalSteps}`);
      total = options.totalSteps;
    } else if (options.epochs !== undefined && options.stepsPerEpoch !== undefined) {
      if (!Number.isInteger(options.epochs) || options.epochs <= 0) throw new Error(`OneCycleLR: expected positive integer epochs, but got ${options.epochs}`);
      if (!Number.isInteger(options.stepsPerEpoch) || options.stepsPerEpoch <= 0) {
        throw new Error(`OneCycleLR: expected positive integer stepsPerEpoch, but got ${options.stepsPerEpoch}`);
      }
      total = options.epochs * options.stepsPerEpoch;
    } else {
      throw new Error('OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch)');
    }
    const pct = options.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1)) throw new Error(`OneCycleLR: expected pctStart between 0 and 1, but got ${pct}`);
    const strategy = options.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') throw new Error(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got '${String(strategy)}'`);
    const divFactor = options.divFactor ?? 25;
    const finalDivFactor = options.finalDivFactor ?? 1e4;
    const groups = groupsOf(optimizer);
    const maxLrs = perGroup('OneCycleLR maxLr', optimizer, maxLr);
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    const cycleMomentum = options.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycleMomentum) {
      const defaults = optimizer.defaults as Record<string, unknown>;
      if (!('momentum' in defaults) && !('betas' in defaults)) throw new Error('OneCycleLR: optimizer must support momentum (or betas) with the cycleMomentum option enabled');
      useBeta1 = 'betas' in defaults;
      const maxM = perGroup('OneCycleLR maxMomentum', optimizer, options.maxMomentum ?? 0.95);
      const baseM = perGroup('OneCycleLR baseMomentum', optimizer, options.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...g.betas.slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = total;
    this.annealStrategy = strategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.phases = options.threePhase
      ? [
          { endStep: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * total - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: total - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * total - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: total - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new Error(`OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`);
    }
    return groupsOf(this.optimizer).map((g) => {
      let startStep = 0;
      let lr = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          if (phase.endStep === startStep) {
            // PyTorch fails here too (a division by zero): the phase would make lr and momentum NaN.
            throw new Error(
              `OneCycleLR: phase ${i + 1} of the schedule has zero length with totalSteps ${this.totalSteps}; ` +
                'use more steps or another pctStart',
            );
          }
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = this.anneal(g[phase.startLr], g[phase.endLr], pct);
          if (this.cycleMomentum) {
            const m = this.anneal(g[phase.startMomentum], g[phase.endMomentum], pct);
            if (this.useBeta1) g.betas = [m, ...g.betas.slice(1)];
            else g.momentum = m;
          }
          break;
        }
        startStep = phase.endStep;
      }
      return lr;
    });
  }
}

/** A triangular cyclical lr between baseLr and maxLr (Smith), stepped per batch. */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  baseMomentums: number[];
  maxMomentums: number[];
  scaleFn: ((x: number) => number) | null;

  constructor(
    optimizer: Optimizer<any>,
    baseLr: number | number[],
    maxLr: number | number[],
    options: SchedulerOptions & {
      stepSizeUp?: number;
      stepSizeDown?: number;
      mode?: 'triangular' | 'triangular2' | 'exp_range';
      gamma?: number;
      scaleFn?: (x: number) => number;
      scaleMode?: 'cycle' | 'iterations';
      cycleMomentum?: boolean;
      baseMomentum?: number | number[];
      maxMomentum?: number | number[];
    } = {},
  ) {
    const lastEpoch = options.lastEpoch ?? -1;
    const baseLrs = perGroup('CyclicLR baseLr', optimizer, baseLr);
    const groups = groupsOf(optimizer);
    if (lastEpoch === -1) groups.forEach((g, i) => (g.lr = baseLrs[i]));
    const cycleMomentum = options.cycleMomentum ?? true;
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    if (cycleMomentum) {
      if (!('momentum' in (optimizer.defaults as object))) throw new Error('CyclicLR: optimizer must support momentum with the cycleMomentum option enabled');
      const bm = perGroup('CyclicLR baseMomentum', optimizer, options.baseMomentum ?? 0.8);
      if (lastEpoch === -1) groups.forEach((g, i) => (g.momentum = bm[i]));
      baseMomentums = groups.map((g) => g.momentum);
      maxMomentums = perGroup('CyclicLR maxMomentum', optimizer, options.maxMomentum ?? 0.9);
    }
    super(optimizer, lastEpoch);
    this.maxLrs = perGroup('CyclicLR maxLr', optimizer, maxLr);
    const up = options.stepSizeUp ?? 2000;
    const down = options.stepSizeDown ?? up;
    // The first lr is x / stepRatio with x = 0: PyTorch's ZeroDivisionError rather than NaN rates.
    if (up === 0) throw new Error('CyclicLR: stepSizeUp must be non-zero (PyTorch divides by the up ratio), got 0');
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = options.mode ?? 'triangular';
    if (!['triangular', 'triangular2', 'exp_range'].includes(this.mode) && !options.scaleFn) throw new Error(`CyclicLR: mode '${this.mode}' is invalid and scaleFn is not given`);
    this.gamma = options.gamma ?? 1;
    this.scaleFn = options.scaleFn ?? null;
    this.scaleMode = options.scaleFn ? options.scaleMode ?? 'cycle' : this.mode === 'exp_range' ? 'iterations' : 'cycle';
    this.cycleMomentum = cycleMomentum;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  private scale(x: number): number {
    if (this.scaleFn) return this.scaleFn(x);
    if (this.mode === 'triangular') return 1;
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    return this.gamma ** x;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scale(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scaleFactor * s);
    if (this.cycleMomentum) {
      groupsOf(this.optimizer).forEach((g, i) => {
        g.momentum = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor * s;
      });
    }
    return lrs;
  }
}

/** Run several schedulers in sequence, switching at the milestone epochs. */
export class SequentialLR extends LRScheduler {
  schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: Optimizer<any>, schedulers: LRScheduler[], milestones: number[], options: SchedulerOptions = {}) {
    super(optimizer, -1);
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: all schedulers must belong to the same optimizer, but the scheduler at index ${i} has another one`);
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestones (one fewer than the ${schedulers.length} schedulers), got ${milestones.length}`);
    }
    this.schedulers = schedulers;
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    for (const g of groupsOf(optimizer)) g.lr = g.initialLr;
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as unknown as { initialStep(): void }).initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  protected getLr(): number[] {
    return this.lastLr;
  }

  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: Record<string, unknown>): void {
    const { schedulers, ...rest } = state;
    super.loadStateDict(rest);
    (schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}

/** Step several schedulers together every epoch (their factors multiply). */
export class ChainedScheduler {
  schedulers: LRScheduler[];
  readonly optimizer: Optimizer<any>;
  private lastLr: number[];

  constructor(schedulers: LRScheduler[]) {
    if (schedulers.length === 0) throw new Error('ChainedScheduler: needs at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== schedulers[0].optimizer) throw new Error(`ChainedScheduler: all schedulers must belong to the same optimizer (index ${i} differs)`);
    });
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.lastLr = [...(state.lastLr as number[])];
    (state.schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): reduce when the metric stops decreasing; 'max': stops increasing. */
  mode?: 'min' | 'max';
  /** new lr = lr · factor (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr (one for all groups, or one per group; default 0). */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

/** Reduce the lr by `factor` when a metric has stopped improving for `patience` epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer<any>;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  cooldownCounter = 0;
  minLrs: number[];
  eps: number;
  /** Best metric so far (±Infinity before the first step; null after a JSON round trip means the same). */
  best: number;
  numBadEpochs = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer<any>, options: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizer;
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1)) throw new Error(`ReduceLROnPlateau: factor should be < 1.0, got ${this.factor}`);
    this.minLrs = perGroup('ReduceLROnPlateau minLr', optimizer, options.minLr ?? 0);
    this.patience = options.patience ?? 10;
    this.cooldown = options.cooldown ?? 0;
    this.mode = options.mode ?? 'min';
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.eps = options.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode '${String(this.mode)}' is unknown (expected 'min' or 'max')`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new Error(`ReduceLROnPlateau: thresholdMode '${String(this.thresholdMode)}' is unknown (expected 'rel' or 'abs')`);
    this.best = this.modeWorse;
    this.lastLr = groupsOf(optimizer).map((g) => g.lr);
  }

  private get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Report the epoch's metric (a number or a one-element tensor) and reduce the lr if it has plateaued. */
  step(metric: number | { item(): number }): void {
    const current = typeof metric === 'number' ? metric : metric.item();
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      groupsOf(this.optimizer).forEach((g, i) => {
        const oldLr = g.lr as number;
        const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
        if (oldLr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    const { optimizer: _o, ...rest } = this as unknown as Record<string, unknown>;
    return JSON.parse(JSON.stringify(rest));
  }

  loadStateDict(state: Record<string, unknown>): void {
    Object.assign(this, state);
    if (this.best === null || this.best === undefined) this.best = this.modeWorse;
  }
}
