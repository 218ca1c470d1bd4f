/** Shared helpers of the model zoo: option checking and torchvision's weight initialisations. */
import { noGrad } from '../autograd/grad-mode.js';
import * as nn from '../nn/index.js';

/** Options every classification model accepts. */
export interface ClassifierOptions {
  /** Size of the output layer (default 1000 for ImageNet models, 10 for LeNet and the CIFAR nets). */
  numClasses?: number;
  /** Channels of the input image (default 3; 1 for LeNet). */
  inChannels?: number;
}

/**
 * Reject options the model does not know, by name, and check that the numeric ones are valid:
 * `resnet50: unknown option 'numClass'; expected one of numClasses, inChannels, ...`.
 */
export function checkOptions(model: string, options: object | undefined | null, allowed: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${model}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    const list = unknown.map((k) => `'${k}'`).join(', ');
    throw new Error(`${model}: unknown option${unknown.length > 1 ? 's' : ''} ${list}; expected one of ${allowed.join(', ')}`);
  }
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if ((k === 'numClasses' || k === 'inChannels') && (!Number.isInteger(v) || (v as number) <= 0)) {
      throw new Error(`${model}: ${k} must be a positive integer, got ${String(v)}`);
    }
  }
}

/** A probability in [0, 1) (dropout and drop-path rates). */
export function checkRate(model: string, name: string, p: number): number {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`${model}: ${name} must be a number in [0, 1), got ${String(p)}`);
  return p;
}

/** A boolean option (default when undefined). */
export function checkBool(model: string, name: string, v: unknown, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw new Error(`${model}: ${name} must be a boolean, got ${typeof v}`);
  return v;
}

/** Run fn over every module of the model with gradient recording off (torchvision's init loops). */
export function initModules(model: nn.Module, fn: (m: nn.Module) => void): void {
  noGrad(() => {
    for (const m of model.modules()) fn(m);
  });
}

/** BatchNorm/GroupNorm weight 1, bias 0 (torchvision's nn.init.constant_ loops). */
export function initNorm(m: nn.Module): boolean {
  if (m instanceof nn.BatchNorm2d || m instanceof nn.BatchNorm1d || m instanceof nn.GroupNorm) {
    if (m.weight) nn.init.ones_(m.weight);
    if (m.bias) nn.init.zeros_(m.bias);
    return true;
  }
  return false;
}
