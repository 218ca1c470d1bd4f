/**
 * The random number generator: the Mersenne Twister (MT19937) that PyTorch's
 * CPU generator uses, with PyTorch's transformations from raw 32/64-bit draws
 * to uniform and normal samples. So `st.manualSeed(s)` followed by rand,
 * randn, randint, randperm or the nn.init functions yields PyTorch's numbers
 * for the same seed. Pure JS: the same on every backend.
 */
const N = 624;
const M = 397;

export interface GeneratorState {
  mt: number[];
  index: number;
  seed: number;
  nextDoubleNormal: number | null;
}

export class Generator {
  private mt = new Uint32Array(N);
  private index = N;
  private seedValue = 0;
  /** Box–Muller makes normals in pairs; the second is cached (as PyTorch's generator does). */
  private nextDoubleNormal: number | null = null;

  constructor(seed: number | bigint = 67280421310721) {
    this.manualSeed(seed);
  }

  /**
   * Reseed. As torch.manual_seed, any integer in [−2⁶³, 2⁶⁴) (a number or a bigint) is accepted: a
   * negative seed is taken modulo 2⁶⁴, and MT19937 uses the low 32 bits (so −1 seeds as 2³² − 1).
   */
  manualSeed(seed: number | bigint): this {
    const valid = typeof seed === 'bigint' || Number.isInteger(seed);
    if (!valid || seed < -(2n ** 63n) || seed >= 2n ** 64n) {
      throw new Error(`manualSeed: seed must be an integer in [-2^63, 2^64) (as torch.manual_seed), got ${String(seed)}`);
    }
    const unsigned = BigInt.asUintN(64, BigInt(seed));
    this.seedValue = Number(unsigned);
    // MT19937 takes the low 32 bits of the seed (std::mt19937's seeding of a 64-bit value in PyTorch).
    this.mt[0] = Number(unsigned & 0xffffffffn);
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic.
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
    this.nextDoubleNormal = null;
    return this;
  }

  initialSeed(): number {
    return this.seedValue;
  }

  /** Next raw 32-bit draw. */
  random(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * Uniform float32 sample in [from, to), as PyTorch's CPU uniform_ for float tensors: the bounds
   * cast to float, 24 random bits x·2⁻²⁴, and x·(to − from) + from rounded once to float.
   */
  uniformFloat(from = 0, to = 1): number {
    const x = (this.random() & 0xffffff) * 5.960464477539063e-8;
    const lo = Math.fround(from);
    return Math.fround(x * Math.fround(Math.fround(to) - lo) + lo);
  }

  /** Uniform float64 sample in [from, to): 53 random bits and a fused multiply-add, as PyTorch's kernel. */
  uniformDoubleRange(from = 0, to = 1): number {
    return fma(this.uniformDouble(), to - from, from);
  }

  /** Uniform double sample in [0, 1) from 53 bits of a 64-bit draw (hi word drawn first). */
  uniformDouble(): number {
    const hi = this.random();
    const lo = this.random();
    // (hi·2^32 + lo) & (2^53 − 1) = (hi & 0x1fffff)·2^32 + lo
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  /** One standard normal sample by Box–Muller in double precision (PyTorch's scalar path). */
  normalDouble(): number {
    if (this.nextDoubleNormal !== null) {
      const v = this.nextDoubleNormal;
      this.nextDoubleNormal = null;
      return v;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fill with N(mean, std) samples exactly as PyTorch's CPU normal_ does for a tensor of this length. */
  fillNormal(out: Float32Array | Float64Array, mean: number, std: number, contiguous = true): void {
    const n = out.length;
    if (n >= 16 && contiguous) {
      // PyTorch's normal_fill for contiguous tensors of ≥ 16 elements (float32 and float64; a
      // non-contiguous target takes the one-at-a-time path below): all
      // uniforms first, then Box–Muller in blocks of 16; a ragged tail redraws the last 16 values.
      const draw = out instanceof Float32Array ? () => this.uniformFloat() : () => this.uniformDouble();
      for (let i = 0; i < n; i++) out[i] = draw();
      for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i, mean, std);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) out[i] = draw();
        boxMuller16(out, n - 16, mean, std);
      }
      return;
    }
    for (let i = 0; i < n; i++) out[i] = this.normalDouble() * std + mean;
  }

  /** Uniform integer in [low, high). */
  randint(low: number, high: number): number {
    const range = high - low;
    if (range <= 0) throw new Error(`randint: expected low < high, got low=${low}, high=${high}`);
    if (range >= 2 ** 32) {
      const hi = this.random();
      const lo = this.random();
      return Number((BigInt(hi) * 4294967296n + BigInt(lo)) % BigInt(range)) + low;
    }
    return (this.random() % range) + low;
  }

  getState(): GeneratorState {
    return { mt: Array.from(this.mt), index: this.index, seed: this.seedValue, nextDoubleNormal: this.nextDoubleNormal };
  }

  setState(state: GeneratorState): void {
    if (!state || !Array.isArray(state.mt) || state.mt.length !== N || !Number.isInteger(state.index)) {
      throw new Error('Generator.setState: not a generator state (expected {mt: 624 numbers, index, seed})');
    }
    this.mt.set(state.mt);
    this.index = state.index;
    this.seedValue = state.seed;
    this.nextDoubleNormal = state.nextDoubleNormal;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** a·b + c with a single rounding (Dekker's exact product + TwoSum), as a hardware FMA. */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p)) return p + c;
  const split = (x: number): [number, number] => {
    const t = 134217729 * x;
    const hi = t - (t - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bb = s - p;
  const se = p - (s - bb) + (c - bb);
  return s + (se + pe);
}

function boxMuller16(data: Float32Array | Float64Array, start: number, mean: number, std: number): void {
  if (data instanceof Float32Array) {
    // PyTorch does this step in float32 arithmetic (2π rounded to float, each operation rounded).
    const f = Math.fround;
    const twoPi = f(2 * Math.PI);
    const m = f(mean);
    const s = f(std);
    for (let j = start; j < start + 8; j++) {
      const u1 = f(1 - data[j]);
      const u2 = data[j + 8];
      const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
      const theta = f(twoPi * u2);
      data[j] = f(radius * f(Math.cos(theta))) * s + m;
      data[j + 8] = f(radius * f(Math.sin(theta))) * s + m;
    }
    return;
  }
  for (let j = start; j < start + 8; j++) {
    const u1 = 1 - data[j];
    const u2 = data[j + 8];
    const radius = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    data[j] = radius * Math.cos(theta) * std + mean;
    data[j + 8] = radius * Math.sin(theta) * std + mean;
  }
}

/** The default generator behind st.manualSeed, rand, randn, dropout and init. */
export const defaultGenerator = new Generator();

export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

export function seed(): number {
  const s = Math.floor(Math.random() * 2 ** 32);
  defaultGenerator.manualSeed(s);
  return s;
}

export function getRngState(): GeneratorState {
  return defaultGenerator.getState();
}

export function setRngState(state: GeneratorState): void {
  defaultGenerator.setState(state);
}
