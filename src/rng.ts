import { ValueError } from "./errors.js";
import { cos, log } from "./math.js";

/** The saved state of an {@link Rng}: four unsigned 32-bit words. */
export type RngState = readonly [number, number, number, number];

/**
 * The one seeded random-number generator tinymlp uses everywhere
 * (initializers, dropout, shuffling): xoshiro128** (Blackman & Vigna 2018),
 * seeded through splitmix32. Same seed, same numbers, on every platform.
 * Its state can be saved and restored, so a checkpoint resumes exactly.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform();           // in [0, 1)
 * rng.normal(0, 1);
 * const saved = rng.getState();
 * const a = rng.uniform();
 * rng.setState(saved);
 * rng.uniform() === a;     // true
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param seed any finite number; its integer part (mod 2^32) is used. */
  constructor(seed = 0) {
    this.reseed(seed);
  }

  /**
   * Resets the generator to the state `new Rng(seed)` starts in, without
   * allocating (used per batch by the augmentation).
   * @example
   * ```ts
   * rng.reseed(7); // same stream as new Rng(7)
   * ```
   */
  reseed(seed: number): void {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new ValueError(`Rng: seed must be a finite number, got ${String(seed)}`);
    }
    // splitmix32 spreads one 32-bit seed over the 128-bit state, so that
    // nearby seeds give unrelated streams and the state is never all zero.
    let x = Math.trunc(seed) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    // xoshiro128**: result = rotl(s1 * 5, 7) * 9
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /**
   * `count` draws at once: `out[start + i] = nextUint32() · scale + offset`,
   * the same numbers (and the same state after) as `count` calls of
   * {@link Rng.nextUint32}, with the state in locals (the augmentation draws
   * 200,000 a batch).
   * @example
   * ```ts
   * rng.fillUint32(field, 0, 784, 2 ** -31, -1); // U(−1, 1), 2⁻³¹ apart
   * ```
   */
  fillUint32(out: Float64Array, start: number, count: number, scale = 1, offset = 0): void {
    let { s0, s1, s2, s3 } = this;
    for (let i = 0; i < count; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[start + i] = r * scale + offset;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A uniform float in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new ValueError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling removes the modulo bias.
    const limit = 4294967296 - (4294967296 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }

  /** A normal sample (Box–Muller). */
  normal(mean = 0, std = 1): number {
    // 1 - uniform() is in (0, 1], so the log is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * log(u1)) * cos(2 * Math.PI * u2);
  }

  /**
   * A normal sample re-drawn until it lies within `mean ± bound·std`
   * (Keras's `truncatedNormal` uses bound 2).
   */
  truncatedNormal(mean = 0, std = 1, bound = 2): number {
    if (!(bound > 0)) throw new ValueError(`Rng.truncatedNormal: bound must be > 0, got ${bound}`);
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= bound) return mean + std * z;
    }
  }

  /** Shuffles an array (or typed array) in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The generator's state, to restore later with {@link Rng.setState}. */
  getState(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Restores a state from {@link Rng.getState}. */
  setState(state: RngState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
      state.every((w) => w === 0)
    ) {
      throw new ValueError("Rng.setState: state must be four unsigned 32-bit integers, not all zero");
    }
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
