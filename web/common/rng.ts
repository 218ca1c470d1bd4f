/**
 * Seeded random numbers for the labs, drawn from Strata's own generator
 * (PyTorch's MT19937), so a seed string in the URL reproduces a data set.
 */
import { Generator } from '../../src/core.js';

/** A 32-bit seed from any string (FNV-1a). */
export function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  readonly generator: Generator;
  constructor(seed: string | number) {
    this.generator = new Generator(typeof seed === 'number' ? seed >>> 0 : hashSeed(seed));
  }
  /** Uniform in [0, 1). */
  random(): number {
    return this.generator.uniformDouble();
  }
  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }
  /** Normal sample with the given mean and variance. */
  normal(mean = 0, variance = 1): number {
    return mean + Math.sqrt(variance) * this.generator.normalDouble();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** A short random seed string (for "regenerate"). */
export function freshSeed(): string {
  return Math.random().toFixed(5).slice(2);
}
