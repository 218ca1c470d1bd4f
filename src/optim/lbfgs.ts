import { Tensor } from '../tensor/tensor.js';
import { enableGrad } from '../autograd/grad-mode.js';
import { arrayFor, type DType, type TypedArray } from '../tensor/dtype.js';
import {
  Optimizer,
  deserializeTensor,
  roundFor,
  serializeTensor,
  withParamData,
  type OptimizerStateDict,
  type ParamGroup,
  type Params,
  type Round,
  type SerializedTensor,
  type StateValue,
} from './optimizer.js';
import { dropUndefined } from './sgd.js';

export interface LBFGSOptions {
  lr: number;
  /** Maximal number of iterations per step. */
  maxIter: number;
  /** Maximal number of function evaluations per step (default floor(maxIter · 5 / 4)). */
  maxEval: number;
  /** Termination tolerance on first-order optimality. */
  toleranceGrad: number;
  /** Termination tolerance on function value / parameter changes. */
  toleranceChange: number;
  historySize: number;
  /** null (fixed step lr) or 'strong_wolfe'. */
  lineSearchFn: 'strong_wolfe' | null;
}

type Flat = TypedArray;
type Closure = () => Tensor | number;

/** LBFGS' global state (torch keeps it as the state of the first parameter). */
interface LBFGSState {
  funcEvals: number;
  nIter: number;
  d?: Flat;
  t?: number;
  oldDirs?: Flat[];
  oldStps?: Flat[];
  ro?: number[];
  HDiag?: number;
  prevFlatGrad?: Flat | null;
  prevLoss?: number;
  al?: (number | null)[];
}

const TENSOR_KEYS = ['d', 'prevFlatGrad'] as const;
const TENSOR_LIST_KEYS = ['oldDirs', 'oldStps'] as const;

/**
 * L-BFGS (PyTorch's port of minFunc): step(closure) runs up to maxIter quasi-Newton iterations, each
 * re-evaluating the loss through the closure (which must zero the gradients, compute the loss, call
 * backward and return the loss). One parameter group only, as torch; optional strong-Wolfe line search.
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  constructor(params: Params<LBFGSOptions>, options: Partial<LBFGSOptions> | number = {}) {
    const o = dropUndefined(options);
    const maxIter = o.maxIter ?? 20;
    super(params, {
      lr: 1,
      maxIter,
      maxEval: Math.floor((maxIter * 5) / 4),
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
      ...o,
    });
    if (this.paramGroups.length !== 1) throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
  }

  protected override validateGroup(g: ParamGroup<LBFGSOptions>): void {
    if (this.paramGroups.length > 0) throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
    if (g.lineSearchFn !== null && g.lineSearchFn !== 'strong_wolfe') {
      throw new Error(`LBFGS: only 'strong_wolfe' is supported as lineSearchFn, got ${String(g.lineSearchFn)}`);
    }
    const dtypes = new Set(g.params.map((p) => p.dtype));
    if (dtypes.size > 1) throw new Error(`LBFGS: all parameters must have the same dtype, got ${[...dtypes].join(', ')}`);
  }

  protected updateGroup(): void {
    throw new Error('LBFGS: step needs a closure that re-evaluates the loss');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0].params;
  }

  private get dtype(): DType {
    return this.params[0].dtype;
  }

  private numel(): number {
    return this.params.reduce((n, p) => n + p.size, 0);
  }

  private gatherFlatGrad(): Flat {
    const out = arrayFor(this.dtype, this.numel());
    let off = 0;
    for (const p of this.params) {
      if (p.grad) out.set(this.gradData(p) as never, off);
      off += p.size;
    }
    return out;
  }

  /** p.add_(update[offset:offset+numel].view_as(p), alpha=stepSize) for every parameter. */
  private addGrad(stepSize: number, update: Flat): void {
    const r = roundFor(this.dtype);
    const alpha = r(stepSize);
    let off = 0;
    for (const p of this.params) {
      const o = off;
      withParamData(p, (w) => {
        for (let i = 0; i < w.length; i++) w[i] = r(w[i] + alpha * update[o + i]);
      });
      off += p.size;
    }
  }

  private cloneParam(): Flat[] {
    return this.params.map((p) => p.contiguous().data().slice() as Flat);
  }

  private setParam(x: Flat[]): void {
    this.params.forEach((p, i) => withParamData(p, (w) => w.set(x[i] as never)));
  }

  private evaluate(closure: Closure): number {
    const loss = enableGrad(closure);
    return loss instanceof Tensor ? Number(loss.item()) : Number(loss);
  }

  private directionalEvaluate(closure: Closure, x: Flat[], t: number, d: Flat): [number, Flat] {
    this.addGrad(t, d);
    const loss = this.evaluate(closure);
    const flatGrad = this.gatherFlatGrad();
    this.setParam(x);
    return [loss, flatGrad];
  }

  private lbfgsState(): LBFGSState {
    const s = this.stateOf(this.params[0]) as unknown as LBFGSState;
    s.funcEvals ??= 0;
    s.nIter ??= 0;
    return s;
  }

  /** Runs up to maxIter iterations; returns the loss of the first closure evaluation. */
  override step(closure?: Closure): Tensor | number {
    if (typeof closure !== 'function') throw new Error('LBFGS.step: a closure that re-evaluates the model and returns the loss is required');
    if (this.paramGroups.length !== 1) throw new Error("LBFGS doesn't support per-parameter options (parameter groups)");
    const group = this.paramGroups[0];
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const r = roundFor(this.dtype);
    const state = this.lbfgsState();

    const origLoss = enableGrad(closure);
    let loss = origLoss instanceof Tensor ? Number(origLoss.item()) : Number(origLoss);
    let currentEvals = 1;
    state.funcEvals += 1;

    let flatGrad = this.gatherFlatGrad();
    let optCond = absMax(flatGrad) <= toleranceGrad;
    if (optCond) return origLoss;

    let d = state.d;
    let t = state.t;
    let oldDirs = state.oldDirs;
    let oldStps = state.oldStps;
    let ro = state.ro;
    let HDiag = state.HDiag;
    let prevFlatGrad = state.prevFlatGrad ?? null;
    let prevLoss = state.prevLoss;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.nIter += 1;

      // ---- descent direction
      if (state.nIter === 1) {
        d = flatGrad.map((v) => -v) as Flat;
        oldDirs = [];
        oldStps = [];
        ro = [];
        HDiag = 1;
      } else {
        const y = flatGrad.map((v, i) => r(v - prevFlatGrad![i])) as Flat;
        const tR = r(t!);
        const s = d!.map((v) => r(v * tR)) as Flat;
        const ys = dot(y, s, r);
        if (ys > 1e-10) {
          if (oldDirs!.length === historySize) {
            oldDirs!.shift();
            oldStps!.shift();
            ro!.shift();
          }
          oldDirs!.push(y);
          oldStps!.push(s);
          ro!.push(r(1 / ys));
          HDiag = r(ys / dot(y, y, r));
        }
        const numOld = oldDirs!.length;
        state.al ??= new Array<number | null>(historySize).fill(null);
        const al = state.al;
        const q = flatGrad.map((v) => -v) as Flat;
        for (let i = numOld - 1; i >= 0; i--) {
          const a = r(dot(oldStps![i], q, r) * ro![i]);
          al[i] = a;
          const na = r(-a);
          const dir = oldDirs![i];
          for (let j = 0; j < q.length; j++) q[j] = r(q[j] + na * dir[j]);
        }
        const h = r(HDiag!);
        const rr = q.map((v) => r(v * h)) as Flat;
        for (let i = 0; i < numOld; i++) {
          const be = r(dot(oldDirs![i], rr, r) * ro![i]);
          const alpha = r((al[i] as number) - be);
          const stp = oldStps![i];
          for (let j = 0; j < rr.length; j++) rr[j] = r(rr[j] + alpha * stp[j]);
        }
        d = rr;
      }
      if (prevFlatGrad === null) prevFlatGrad = flatGrad.slice() as Flat;
      else prevFlatGrad.set(flatGrad as never);
      prevLoss = loss;

      // ---- step length
      if (state.nIter === 1) {
        const inv = r(1 / absSum(flatGrad, r));
        t = 1 < inv ? lr : r(inv * r(lr));
      } else {
        t = lr;
      }
      const gtd = dot(flatGrad, d!, r);
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        const xInit = this.cloneParam();
        const obj = (x: Flat[], tt: number, dd: Flat) => this.directionalEvaluate(closure, x, tt, dd);
        [loss, flatGrad, t, lsFuncEvals] = strongWolfe(obj, xInit, t, d!, loss, flatGrad, gtd, r, toleranceChange);
        this.addGrad(t, d!);
        optCond = absMax(flatGrad) <= toleranceGrad;
      } else {
        this.addGrad(t, d!);
        if (nIter !== maxIter) {
          loss = this.evaluate(closure);
          flatGrad = this.gatherFlatGrad();
          optCond = absMax(flatGrad) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals += lsFuncEvals;

      // ---- stopping conditions
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      const tR = r(t);
      let change = 0;
      for (let j = 0; j < d!.length; j++) change = Math.max(change, Math.abs(r(d![j] * tR)));
      if (change <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }

    Object.assign(state, { d, t, oldDirs, oldStps, ro, HDiag, prevFlatGrad, prevLoss });
    return origLoss;
  }

  /** As PyTorch: LBFGS' state lives under the first parameter's index; flat vectors and history lists included. */
  override stateDict(): OptimizerStateDict {
    const all = this.state;
    this.state = new Map();
    let sd: OptimizerStateDict;
    try {
      sd = super.stateDict();
    } finally {
      this.state = all;
    }
    const s = this.state.get(this.params[0]) as unknown as LBFGSState | undefined;
    if (s) {
      const out: Record<string, unknown> = {};
      const ser = (a: Flat) => serializeTensor(new Tensor(a, [a.length], undefined, 0, this.dtype));
      for (const [k, v] of Object.entries(s)) {
        if (v === undefined) continue;
        if ((TENSOR_KEYS as readonly string[]).includes(k)) out[k] = v === null ? null : ser(v as Flat);
        else if ((TENSOR_LIST_KEYS as readonly string[]).includes(k)) out[k] = (v as Flat[]).map(ser);
        else out[k] = Array.isArray(v) ? [...v] : v;
      }
      sd.state['0'] = out as never;
    }
    return sd;
  }

  override loadStateDict(sd: OptimizerStateDict): void {
    super.loadStateDict({ ...sd, state: {} });
    const saved = sd.state?.['0'] as Record<string, unknown> | undefined;
    if (!saved) return;
    const de = (v: unknown) => deserializeTensor(v as SerializedTensor, this.dtype).storage as Flat;
    const s: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(saved)) {
      if ((TENSOR_KEYS as readonly string[]).includes(k)) s[k] = v === null ? null : de(v);
      else if ((TENSOR_LIST_KEYS as readonly string[]).includes(k)) s[k] = (v as unknown[]).map(de);
      else s[k] = Array.isArray(v) ? [...v] : v;
    }
    this.state = new Map([[this.params[0], s as Record<string, StateValue>]]);
  }
}

function absMax(a: Flat): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

function absSum(a: Flat, r: Round): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return r(s);
}

function dot(a: Flat, b: Flat, r: Round): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return r(s);
}

/** torch.optim.lbfgs._cubic_interpolate (from minFunc's polyinterp): minimiser of the cubic through two points. */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    // Python's min(max(min_pos, lo), hi): a NaN min_pos compares false and survives max(), then min() keeps it
    const lo = xminBound > minPos ? xminBound : minPos;
    return lo > xmaxBound ? xmaxBound : lo;
  }
  return (xminBound + xmaxBound) / 2;
}

type ObjFunc = (x: Flat[], t: number, d: Flat) => [number, Flat];

/** torch.optim.lbfgs._strong_wolfe (from minFunc's WolfeLineSearch): returns [f, g, t, function evaluations]. */
function strongWolfe(
  objFunc: ObjFunc,
  x: Flat[],
  t: number,
  d: Flat,
  f: number,
  g: Flat,
  gtd: number,
  r: Round,
  toleranceChange = 1e-9,
  c1 = 1e-4,
  c2 = 0.9,
  maxLs = 25,
): [number, Flat, number, number] {
  const dNorm = absMax(d);
  g = g.slice() as Flat;
  let [fNew, gNew] = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew, d, r);

  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Flat[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice() as Flat];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice() as Flat];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.slice() as Flat;
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d, r);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  // zoom phase
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const bMax = Math.max(...bracket);
    const bMin = Math.min(...bracket);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d, r);
    lsIter += 1;

    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.slice() as Flat;
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.slice() as Flat;
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}
