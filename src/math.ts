/**
 * The elementary functions every JS loop of the library uses, written here
 * so that the same seed gives the same bits on every engine.
 *
 * `Math.exp`, `Math.log`, `Math.tanh`, `Math.sin`, `**` and the rest are
 * left by the language to each engine's approximation, and engines change
 * them: Chromium 156 and Node 24 compute `Math.exp` differently from Node 20
 * in about one argument in ten (by one ulp), which was enough to move a
 * training run's loss in its last bit. These functions use only `+ − × ÷`,
 * comparisons and exact bit operations, all of which IEEE 754 defines to the
 * bit, so they give the same result everywhere.
 *
 * The algorithms are those of fdlibm 5.3 (Sun Microsystems, 1993; the
 * FreeBSD msun versions), which V8 used for `Math.*` up to Node 20, so on
 * Node 20 they return exactly what `Math.*` returns (test/math.test.ts
 * checks that on a grid and at every edge), except for sin, cos and tan
 * beyond 2^20·π/2, where 0.05% of arguments differ by one ulp (below). Each function's method and error
 * bound are beside it; test/math.test.ts also checks every one against
 * values computed to 40 digits with mpmath (scripts/math-reference.py).
 * `sin`, `cos` and `tan` reduce arguments beyond 2^20·π/2 exactly with
 * BigInt arithmetic instead of fdlibm's `__kernel_rem_pio2` (the library
 * never calls them with such arguments). The result is within 1 ulp, the
 * same on every engine, but in 0.05% of cases one ulp away from what V8's
 * `__kernel_rem_pio2` path gives (docs/reproducibility.md).
 */

// ---- bit access: the two 32-bit halves of a float64 ---------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: the high word is second
const LO = 1 - HI;

// The two 32-bit halves of a float64, read and written through f64/u32 as
// fdlibm's GET_HIGH_WORD, SET_LOW_WORD … macros do, spelled out in place:
//   high word of x:     ((f64[0] = x), (u32[HI] as number) | 0)
//   low word of x:      ((f64[0] = x), u32[LO] as number)
//   x with high word h: ((f64[0] = x), (u32[HI] = h), f64[0] as number)
//   the double (h, l):  ((u32[HI] = h), (u32[LO] = l), f64[0] as number)
// In place rather than in helper functions: a helper V8 does not inline
// returns its double (or a word beyond ±2^30) boxed on the heap, and whether
// it inlines varies from run to run; spelled out, the loops that call these
// functions allocate nothing, always.

/**
 * The arguments and the result of exp, expm1, log, log1p, tanh and pow. A double
 * passed to or returned from a call that is not inlined is boxed on the
 * heap (16 bytes each way), and these functions are too large to inline. So
 * a one-line wrapper, small enough to be inlined, puts the argument here,
 * calls the algorithm (`…Into`), and reads the result from here: the
 * activation and loss loops then allocate nothing.
 */
export const IO = new Float64Array(2);

const huge = 1e300;
const tiny = 1e-300;
const two54 = 1.8014398509481984e16; // 2^54
const ln2Hi = 0.6931471803691238; // 0x3fe62e42 fee00000: ln2's top 32 bits, so k·ln2Hi is exact for |k| < 2^11
const ln2Lo = 1.9082149292705877e-10; // 0x3dea39ef 35793c76: ln2 − ln2Hi
const invLn2 = Math.LOG2E; // 1/ln2, 0x3ff71547 652b82fe
const twoP1023 = 8.98846567431158e307; // 2^1023

// ---- exp ------------------------------------------------------------------

const E = Math.E; // the double nearest e
const P1 = 0.16666666666666602;
const P2 = -0.0027777777777015593;
const P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252;
const P5 = 4.1381367970572385e-8;
const twoM1000 = 9.332636185032189e-302; // 2^-1000

/**
 * e^x, with an error below 1 ulp.
 *
 * Method (fdlibm e_exp.c): reduce x = k·ln2 + r with |r| ≤ ln2/2, r kept as
 * hi − lo; approximate R(r²) = r·(e^r + 1)/(e^r − 1) by a degree-5 Remez
 * polynomial (error < 2^-59), so e^r = 1 + 2r/(R − r) = 1 + r + r·c/(2 − c)
 * with c = r − r²·P(r²); then e^x = 2^k·e^r, scaled in two steps near the
 * bottom of the range. exp(1) is returned as the double nearest e.
 * @example
 * ```ts
 * exp(1); // 2.718281828459045
 * ```
 */
export function exp(x: number): number {
  IO[0] = x;
  expInto();
  return IO[0] as number;
}

/** The algorithm of {@link exp}, from IO[0] to IO[0]. @internal */
export function expInto(): void {
  let x = IO[0] as number;
  let hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  let k = 0;
  let hi = 0;
  let lo = 0;
  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78: NaN, ±Infinity, overflow or underflow
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | ((f64[0] = x), u32[LO] as number)) !== 0) {
        IO[0] = x + x; // NaN
        return;
      }
      IO[0] = xsb === 0 ? x : 0; // e^+∞ = +∞, e^−∞ = 0
      return;
    }
    if (x > 709.782712893384) {
      IO[0] = huge * huge; // +Infinity
      return;
    }
    if (x < -745.1332191019411) {
      IO[0] = twoM1000 * twoM1000; // 0
      return;
    }
  }
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: reduce
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5·ln2: k = ±1
      if (x === 1) {
        IO[0] = E; // the reduction below would get e's last bit wrong
        return;
      }
      hi = xsb === 0 ? x - ln2Hi : x + ln2Hi;
      lo = xsb === 0 ? ln2Lo : -ln2Lo;
      k = 1 - xsb - xsb;
    } else {
      k = (invLn2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0;
      hi = x - k * ln2Hi; // exact: k has at most 11 bits
      lo = k * ln2Lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28: e^x = 1 + x to within half an ulp
    if (huge + x > 1) {
      IO[0] = 1 + x;
      return;
    }
  }
  const t = x * x;
  const twopk =
    k >= -1021
      ? ((u32[HI] = 0x3ff00000 + (k << 20)), (u32[LO] = 0), f64[0] as number)
      : ((u32[HI] = 0x3ff00000 + ((k + 1000) << 20)), (u32[LO] = 0), f64[0] as number);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) {
    IO[0] = 1 - ((x * c) / (c - 2) - x);
    return;
  }
  const y = 1 - (lo - (x * c) / (2 - c) - hi);
  if (k >= -1021) {
    if (k === 1024) {
      IO[0] = y * 2 * twoP1023;
      return;
    }
    IO[0] = y * twopk;
    return;
  }
  IO[0] = y * twopk * twoM1000;
  return;
}

// ---- expm1 ----------------------------------------------------------------

const Q1 = -0.03333333333333313;
const Q2 = 0.0015873015872548146;
const Q3 = -0.0000793650757867488;
const Q4 = 0.000004008217827329362;
const Q5 = -2.0109921818362437e-7;

/**
 * e^x − 1, accurate for small x too (where `exp(x) − 1` loses every digit),
 * with an error below 1 ulp.
 *
 * Method (fdlibm s_expm1.c): reduce x = k·ln2 + r as for exp, keeping the
 * rounding error c of the reduction; approximate e^r − 1 through the
 * rational form r + r²/2 + r³/6·(…) with a degree-5 polynomial in r²
 * (error < 2^-61); put back 2^k with care for the sign of k.
 * @example
 * ```ts
 * expm1(1e-10); // 1.00000000005e-10
 * ```
 */
export function expm1(x: number): number {
  IO[0] = x;
  expm1Into();
  return IO[0] as number;
}

/** The algorithm of {@link expm1}, from IO[0] to IO[0] (for loops that must not allocate; see IO). @internal */
export function expm1Into(): void {
  let x = IO[0] as number;
  let hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const xsb = hx & 0x80000000;
  hx &= 0x7fffffff;
  let k = 0;
  let c = 0;
  if (hx >= 0x4043687a) {
    // |x| ≥ 56·ln2
    if (hx >= 0x40862e42) {
      if (hx >= 0x7ff00000) {
        if (((hx & 0xfffff) | ((f64[0] = x), u32[LO] as number)) !== 0) {
          IO[0] = x + x;
          return;
        }
        IO[0] = xsb === 0 ? x : -1;
        return;
      }
      if (x > 709.782712893384) {
        IO[0] = huge * huge;
        return;
      }
    }
    if (xsb !== 0 && x + tiny < 0) {
      IO[0] = tiny - 1; // x < −56·ln2: −1
      return;
    }
  }
  if (hx > 0x3fd62e42) {
    let hi: number;
    let lo: number;
    if (hx < 0x3ff0a2b2) {
      if (xsb === 0) {
        hi = x - ln2Hi;
        lo = ln2Lo;
        k = 1;
      } else {
        hi = x + ln2Hi;
        lo = -ln2Lo;
        k = -1;
      }
    } else {
      k = (invLn2 * x + (xsb === 0 ? 0.5 : -0.5)) | 0;
      hi = x - k * ln2Hi;
      lo = k * ln2Lo;
    }
    x = hi - lo;
    c = hi - x - lo; // the reduction's rounding error
  } else if (hx < 0x3c900000) {
    // |x| < 2^-54: x itself (raising inexact)
    const t = huge + x;
    IO[0] = x - (t - (huge + x));
    return;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  let t = 3 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6 - x * t));
  if (k === 0) {
    IO[0] = x - (x * e - hxs);
    return;
  }
  const twopk = ((u32[HI] = 0x3ff00000 + (k << 20)), (u32[LO] = 0), f64[0] as number);
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) {
    IO[0] = 0.5 * (x - e) - 0.5;
    return;
  }
  if (k === 1) {
    if (x < -0.25) {
      IO[0] = -2 * (e - (x + 0.5));
      return;
    }
    IO[0] = 1 + 2 * (x - e);
    return;
  }
  let y: number;
  if (k <= -2 || k > 56) {
    // e^x − 1 is e^x to working precision
    y = 1 - (e - x);
    y = k === 1024 ? y * 2 * twoP1023 : y * twopk;
    IO[0] = y - 1;
    return;
  }
  if (k < 20) {
    t = ((u32[HI] = 0x3ff00000 - (0x200000 >> k)), (u32[LO] = 0), f64[0] as number); // 1 − 2^-k
    y = t - (e - x);
    IO[0] = y * twopk;
    return;
  }
  t = ((u32[HI] = (0x3ff - k) << 20), (u32[LO] = 0), f64[0] as number); // 2^-k
  y = x - (e + t);
  y += 1;
  IO[0] = y * twopk;
  return;
}

// ---- log and log1p ----------------------------------------------------------

const Lg1 = 0.6666666666666735;
const Lg2 = 0.3999999999940942;
const Lg3 = 0.2857142874366239;
const Lg4 = 0.22222198432149784;
const Lg5 = 0.1818357216161805;
const Lg6 = 0.15313837699209373;
const Lg7 = 0.14798198605116586;

/**
 * The natural logarithm, with an error below 1 ulp.
 *
 * Method (fdlibm e_log.c): write x = 2^k·(1 + f) with √2/2 < 1 + f < √2;
 * with s = f/(2 + f), log(1 + f) = 2s + 2s³/3 + … = f − s·(f − R(s²)),
 * R a degree-7 Remez polynomial (error < 2^-58.45); then
 * log(x) = k·ln2Hi + (f − (hfsq − (s·(hfsq + R) + k·ln2Lo))).
 * @example
 * ```ts
 * log(Math.E); // 1
 * ```
 */
export function log(x: number): number {
  IO[0] = x;
  logInto();
  return IO[0] as number;
}

/** The algorithm of {@link log}, from IO[0] to IO[0] (for loops that must not allocate; see IO). @internal */
export function logInto(): void {
  let x = IO[0] as number;
  let hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const lx = ((f64[0] = x), u32[LO] as number);
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative or subnormal
    if (((hx & 0x7fffffff) | lx) === 0) {
      IO[0] = -two54 / 0; // log(±0) = −∞
      return;
    }
    if (hx < 0) {
      IO[0] = Number.NaN; // log(x < 0)
      return;
    }
    k -= 54;
    x *= two54; // subnormal: scale up
    hx = ((f64[0] = x), (u32[HI] as number) | 0);
  }
  if (hx >= 0x7ff00000) {
    IO[0] = x + x; // +∞ or NaN
    return;
  }
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = ((f64[0] = x), (u32[HI] = hx | (i ^ 0x3ff00000)), f64[0] as number); // normalize x or x/2
  k += i >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    // −2^-20 ≤ f < 2^-20
    if (f === 0) {
      IO[0] = k === 0 ? 0 : k * ln2Hi + k * ln2Lo;
      return;
    }
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    IO[0] = k === 0 ? f - R : k * ln2Hi - (R - k * ln2Lo - f);
    return;
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  let j = hx - 0x6147a;
  const t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  j |= 0x6b851 - hx;
  const R = t2 + t1;
  if (j > 0) {
    const hfsq = 0.5 * f * f;
    IO[0] = k === 0 ? f - (hfsq - s * (hfsq + R)) : k * ln2Hi - (hfsq - (s * (hfsq + R) + k * ln2Lo) - f);
    return;
  }
  IO[0] = k === 0 ? f - s * (f - R) : k * ln2Hi - (s * (f - R) - k * ln2Lo - f);
  return;
}

/**
 * log(1 + x), accurate for small x too, with an error below 1 ulp.
 *
 * Method (fdlibm s_log1p.c): as {@link log} on u = 1 + x, with a
 * correction term c = (1 + x) − u for the rounding of u, so that no digit of
 * a small x is lost.
 * @example
 * ```ts
 * log1p(1e-10); // 9.9999999995e-11
 * ```
 */
export function log1p(x: number): number {
  IO[0] = x;
  log1pInto();
  return IO[0] as number;
}

/** The algorithm of {@link log1p}, from IO[0] to IO[0] (for loops that must not allocate; see IO). @internal */
export function log1pInto(): void {
  const x = IO[0] as number;
  const hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    // 1 + x < √2
    if (ax >= 0x3ff00000) {
      // x ≤ −1
      if (x === -1) {
        IO[0] = -two54 / 0; // −∞
        return;
      }
      IO[0] = Number.NaN;
      return;
    }
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (two54 + x > 0 && ax < 0x3c900000) {
        IO[0] = x; // |x| < 2^-54
        return;
      }
      IO[0] = x - x * x * 0.5;
      return;
    }
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // √2/2 ≤ 1 + x < √2: no reduction
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) {
    IO[0] = x + x;
    return;
  }
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      hu = ((f64[0] = u), (u32[HI] as number) | 0);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1); // the rounding error of 1 + x
      c /= u;
    } else {
      u = x;
      hu = ((f64[0] = u), (u32[HI] as number) | 0);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = ((f64[0] = u), (u32[HI] = hu | 0x3ff00000), f64[0] as number); // normalize u
    } else {
      k += 1;
      u = ((f64[0] = u), (u32[HI] = hu | 0x3fe00000), f64[0] as number); // normalize u/2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      if (k === 0) {
        IO[0] = 0;
        return;
      }
      c += k * ln2Lo;
      IO[0] = k * ln2Hi + c;
      return;
    }
    const R = hfsq * (1 - 0.6666666666666666 * f);
    IO[0] = k === 0 ? f - R : k * ln2Hi - (R - (k * ln2Lo + c) - f);
    return;
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (Lg1 + z * (Lg2 + z * (Lg3 + z * (Lg4 + z * (Lg5 + z * (Lg6 + z * Lg7))))));
  if (k === 0) {
    IO[0] = f - (hfsq - s * (hfsq + R));
    return;
  }
  IO[0] = k * ln2Hi - (hfsq - (s * (hfsq + R) + (k * ln2Lo + c)) - f);
  return;
}

// ---- tanh -------------------------------------------------------------------

/**
 * The hyperbolic tangent, with an error below 1.5 ulp (fdlibm s_tanh.c;
 * 1.2 ulp at worst on test/reference/math.json).
 *
 * Method: for |x| < 1, tanh(x) = −t/(t + 2) with t = expm1(−2|x|); for
 * 1 ≤ |x| < 22, 1 − 2/(expm1(2|x|) + 2); beyond, ±1 (tanh(22) rounds to 1).
 * @example
 * ```ts
 * tanh(0.5); // 0.46211715726000974
 * ```
 */
export function tanh(x: number): number {
  IO[0] = x;
  tanhInto();
  return IO[0] as number;
}

/** The algorithm of {@link tanh}, from IO[0] to IO[0] (for loops that must not allocate; see IO). @internal */
export function tanhInto(): void {
  const x = IO[0] as number;
  const jx = ((f64[0] = x), (u32[HI] as number) | 0);
  const ix = jx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    IO[0] = jx >= 0 ? 1 / x + 1 : 1 / x - 1; // ±∞ → ±1, NaN → NaN
    return;
  }
  let z: number;
  if (ix < 0x40360000) {
    // |x| < 22
    if (ix < 0x3e300000 && huge + x > 1) {
      IO[0] = x; // |x| < 2^-28: tanh(x) = x
      return;
    }
    if (ix >= 0x3ff00000) {
      IO[0] = 2 * Math.abs(x);
      expm1Into();
      const t = IO[0] as number;
      z = 1 - 2 / (t + 2);
    } else {
      IO[0] = -2 * Math.abs(x);
      expm1Into();
      const t = IO[0] as number;
      z = -t / (t + 2);
    }
  } else {
    z = 1 - tiny; // 1, raising inexact
  }
  IO[0] = jx >= 0 ? z : -z;
  return;
}

// ---- sin, cos, tan ------------------------------------------------------------

const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;

/** sin(x + y) on [−π/4, π/4], y the tail of x (fdlibm k_sin.c: degree-13 polynomial, error < 2^-58). */
function kernelSin(x: number, y: number, iy: number): number {
  const ix = ((f64[0] = x), (u32[HI] as number) | 0) & 0x7fffffff;
  if (ix < 0x3e400000 && (x | 0) === 0) return x; // |x| < 2^-27
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (iy === 0) return x + v * (S1 + z * r);
  return x - (z * (0.5 * y - v * r) - y - v * S1);
}

const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;

/** cos(x + y) on [−π/4, π/4] (fdlibm k_cos.c: degree-14 polynomial, error < 2^-58). */
function kernelCos(x: number, y: number): number {
  const ix = ((f64[0] = x), (u32[HI] as number) | 0) & 0x7fffffff;
  if (ix < 0x3e400000 && (x | 0) === 0) return 1; // |x| < 2^-27
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y)); // |x| < 0.3
  const qx = ix > 0x3fe90000 ? 0.28125 : ((u32[HI] = ix - 0x00200000), (u32[LO] = 0), f64[0] as number); // x/4, to keep 1 − qx exact
  const hz = 0.5 * z - qx;
  const a = 1 - qx;
  return a - (hz - (z * r - x * y));
}

const T = [
  0.3333333333333341, 0.13333333333320124, 0.05396825397622605, 0.021869488294859542, 0.0088632398235993,
  0.0035920791075913124, 0.0014562094543252903, 0.0005880412408202641, 0.0002464631348184699, 0.00007817944429395571,
  0.00007140724913826082, -0.000018558637485527546, 0.00002590730518636337,
] as const;
const pio4 = 0.7853981633974483;
const pio4lo = 3.061616997868383e-17;

/** tan(x + y) (iy = 1) or −1/tan(x + y) (iy = −1) on [−π/4, π/4] (fdlibm k_tan.c, error < 2^-57). */
function kernelTan(x: number, y: number, iy: number): number {
  const hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const ix = hx & 0x7fffffff;
  if (ix < 0x3e300000 && (x | 0) === 0) {
    // |x| < 2^-28
    if ((ix | ((f64[0] = x), u32[LO] as number) | (iy + 1)) === 0) return 1 / Math.abs(x); // −1/tan(±0)
    if (iy === 1) return x;
    // −1/(x + y), with the division's error compensated
    const w = x + y;
    const z = ((f64[0] = w), (u32[LO] = 0), f64[0] as number);
    const v = y - (z - x);
    const a = -1 / w;
    const t = ((f64[0] = a), (u32[LO] = 0), f64[0] as number);
    const s = 1 + t * z;
    return t + a * (s + t * v);
  }
  if (ix >= 0x3fe59428) {
    // |x| ≥ 0.6744: use tan(π/4 − x)
    if (hx < 0) {
      x = -x;
      y = -y;
    }
    x = pio4 - x + (pio4lo - y);
    y = 0;
  }
  const z = x * x;
  let w = z * z;
  // the polynomial split into odd and even terms, for accuracy
  let r = (T[1] as number) + w * (T[3] + w * (T[5] + w * (T[7] + w * (T[9] + w * T[11]))));
  const v = z * (T[2] + w * (T[4] + w * (T[6] + w * (T[8] + w * (T[10] + w * T[12])))));
  const s = z * x;
  r = y + z * (s * (r + v) + y);
  r += T[0] * s;
  w = x + r;
  if (ix >= 0x3fe59428) {
    const vv = iy;
    return (1 - ((hx >> 30) & 2)) * (vv - 2 * (x - ((w * w) / (w + vv) - r)));
  }
  if (iy === 1) return w;
  // −1/(x + r), compensated
  const z2 = ((f64[0] = w), (u32[LO] = 0), f64[0] as number);
  const v2 = r - (z2 - x);
  const a = -1 / w;
  const t = ((f64[0] = a), (u32[LO] = 0), f64[0] as number);
  const s2 = 1 + t * z2;
  return t + a * (s2 + t * v2);
}

const invPio2 = 0.6366197723675814;
const pio2_1 = 1.5707963267341256; // first 33 bits of π/2
const pio2_1t = 6.077100506506192e-11; // π/2 − pio2_1
const pio2_2 = 6.077100506303966e-11; // second 33 bits
const pio2_2t = 2.0222662487959506e-21;
const pio2_3 = 2.0222662487111665e-21; // third 33 bits
const pio2_3t = 8.4784276603689e-32;

/** The reduced argument y0 + y1 = x − n·π/2, |y0 + y1| ≤ π/4 (shared out-slots: no allocation). */
const reduced = { y0: 0, y1: 0 };

/**
 * n with x = n·π/2 + (reduced.y0 + reduced.y1). fdlibm e_rem_pio2.c's
 * Cody–Waite reduction with π/2 in three 33-bit pieces for |x| ≤ 2^20·π/2 (1,647,099.3: high word 0x413921fb)
 * (each extra piece used only when the first cancelled more than 16 or 49
 * bits); beyond, an exact BigInt reduction.
 */
function remPio2(x: number): number {
  const hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) {
    // |x| ≤ π/4
    reduced.y0 = x;
    reduced.y1 = 0;
    return 0;
  }
  if (ix < 0x4002d97c) {
    // |x| < 3π/4: n = ±1
    if (hx > 0) {
      let z = x - pio2_1;
      if (ix !== 0x3ff921fb) {
        reduced.y0 = z - pio2_1t;
        reduced.y1 = z - reduced.y0 - pio2_1t;
      } else {
        // x near π/2: 33 more bits
        z -= pio2_2;
        reduced.y0 = z - pio2_2t;
        reduced.y1 = z - reduced.y0 - pio2_2t;
      }
      return 1;
    }
    let z = x + pio2_1;
    if (ix !== 0x3ff921fb) {
      reduced.y0 = z + pio2_1t;
      reduced.y1 = z - reduced.y0 + pio2_1t;
    } else {
      z += pio2_2;
      reduced.y0 = z + pio2_2t;
      reduced.y1 = z - reduced.y0 + pio2_2t;
    }
    return -1;
  }
  if (ix <= 0x413921fb) {
    // |x| ≤ 2^20·π/2 (1,647,099.3: high word 0x413921fb)
    const t = Math.abs(x);
    const n = (t * invPio2 + 0.5) | 0;
    const fn = n;
    let r = t - fn * pio2_1;
    let w = fn * pio2_1t; // first round: good to 85 bits
    const j = ix >> 20;
    reduced.y0 = r - w;
    let i = j - ((((f64[0] = reduced.y0), (u32[HI] as number) | 0) >> 20) & 0x7ff);
    if (i > 16) {
      // more than 16 bits cancelled: second round, good to 118 bits
      const t2 = r;
      w = fn * pio2_2;
      r = t2 - w;
      w = fn * pio2_2t - (t2 - r - w);
      reduced.y0 = r - w;
      i = j - ((((f64[0] = reduced.y0), (u32[HI] as number) | 0) >> 20) & 0x7ff);
      if (i > 49) {
        // third round, good to 151 bits: covers every float64
        const t3 = r;
        w = fn * pio2_3;
        r = t3 - w;
        w = fn * pio2_3t - (t3 - r - w);
        reduced.y0 = r - w;
      }
    }
    reduced.y1 = r - reduced.y0 - w;
    if (hx < 0) {
      reduced.y0 = -reduced.y0;
      reduced.y1 = -reduced.y1;
      return -n;
    }
    return n;
  }
  if (ix >= 0x7ff00000) {
    reduced.y0 = x - x; // NaN
    reduced.y1 = reduced.y0;
    return 0;
  }
  return remPio2Big(x);
}

/**
 * 2/π to 1,216 bits after the point, as an integer: floor(2/π · 2^1216).
 * Generated by scripts/math-reference.py (mpmath at 1,300 bits).
 */
const TWO_OVER_PI_HEX =
  "a2f9836e4e441529fc2757d1f534ddc0db6295993c439041fe5163abdebbc561b7246e3a424dd2e006492eea09d1921cfe1deb1cb129a73ee88235f52ebb4484e99c7026b45f7e413991d639835339f49c845f8bbdf9283b1ff897ffde05980fef2f118b5a0a6d1f6d367ecf27cb09b74f463f669e5fea2d7527bac7ebe5f17b3d0739f78a5292ea6bfb5fb11f8d5d0856033046fc7b6bab";
const TWO_OVER_PI_BITS = 1216n;
const TWO_OVER_PI = /* @__PURE__ */ BigInt(`0x${TWO_OVER_PI_HEX}`);
/** π/2 to 128 bits after the point: floor(π/2 · 2^128). */
const PIO2_128 = 0x1921fb54442d18469898cc51701b839a2n;

/** remPio2 for |x| > 2^20·π/2 (1,647,099.3: high word 0x413921fb): x·2/π in exact integer arithmetic, its fraction to 128 bits, times π/2. */
function remPio2Big(x: number): number {
  const ax = Math.abs(x);
  // ax = m·2^e exactly, m a 53-bit integer
  const hx = ((f64[0] = ax), (u32[HI] as number) | 0);
  const e = ((hx >> 20) & 0x7ff) - 1075;
  const m = (BigInt((hx & 0xfffff) | 0x100000) << 32n) | BigInt(((f64[0] = ax), u32[LO] as number));
  // ax·2/π = m·T·2^(e − 1216); its integer part mod 4 and its fraction
  const shift = TWO_OVER_PI_BITS - BigInt(e);
  const prod = m * TWO_OVER_PI;
  let n = Number((prod >> shift) & 3n);
  let frac = (prod >> (shift - 128n)) & ((1n << 128n) - 1n); // the fraction, 128 bits
  let negative = false;
  if (frac >> 127n === 1n) {
    // fraction ≥ 1/2: round n up, and the remainder is negative
    n = (n + 1) & 3;
    frac = (1n << 128n) - frac;
    negative = true;
  }
  const y = frac * PIO2_128; // (fraction·π/2)·2^256
  const scale = 2 ** -256;
  let y0 = Number(y) * scale; // Number(bigint) rounds to nearest
  const rest = y - BigInt(Number(y));
  let y1 = Number(rest) * scale;
  if (negative) {
    y0 = -y0;
    y1 = -y1;
  }
  if (x < 0) {
    reduced.y0 = -y0;
    reduced.y1 = -y1;
    return -n;
  }
  reduced.y0 = y0;
  reduced.y1 = y1;
  return n;
}

/**
 * The sine, with an error below 1 ulp: the argument reduced to
 * [−π/4, π/4] (remPio2), then the sine or cosine kernel by quadrant.
 * @example
 * ```ts
 * sin(Math.PI / 6); // 0.49999999999999994
 * ```
 */
export function sin(x: number): number {
  const ix = ((f64[0] = x), (u32[HI] as number) | 0) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, 0);
  if (ix >= 0x7ff00000) return x - x; // NaN
  const n = remPio2(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelSin(y0, y1, 1);
    case 1:
      return kernelCos(y0, y1);
    case 2:
      return -kernelSin(y0, y1, 1);
    default:
      return -kernelCos(y0, y1);
  }
}

/**
 * The cosine, with an error below 1 ulp (as {@link sin}).
 * @example
 * ```ts
 * cos(0); // 1
 * ```
 */
export function cos(x: number): number {
  const ix = ((f64[0] = x), (u32[HI] as number) | 0) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0);
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelCos(y0, y1);
    case 1:
      return -kernelSin(y0, y1, 1);
    case 2:
      return -kernelCos(y0, y1);
    default:
      return kernelSin(y0, y1, 1);
  }
}

/**
 * The tangent, with an error below 1 ulp (as {@link sin}; −1/tan in odd
 * quadrants).
 * @example
 * ```ts
 * tan(Math.PI / 4); // 0.9999999999999999
 * ```
 */
export function tan(x: number): number {
  const ix = ((f64[0] = x), (u32[HI] as number) | 0) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelTan(x, 0, 1);
  if (ix >= 0x7ff00000) return x - x;
  const n = remPio2(x);
  return kernelTan(reduced.y0, reduced.y1, 1 - ((n & 1) << 1));
}

// ---- pow ----------------------------------------------------------------------

const bp = [1, 1.5] as const;
const dpH = [0, 0.5849624872207642] as const; // log2(1.5), high part
const dpL = [0, 1.350039202129749e-8] as const; // its tail
const two53 = 9007199254740992;
const L1 = 0.5999999999999946;
const L2 = 0.4285714285785502;
const L3 = 0.33333332981837743;
const L4 = 0.272728123808534;
const L5 = 0.23066074577556175;
const L6 = 0.20697501780033842;
const lg2 = Math.LN2;
const lg2H = 0.6931471824645996;
const lg2L = -1.904654299957768e-9;
const ovt = 8.008566259537294e-17; // −(1024 − log2(overflow threshold + ½ulp))
const cp = 0.9617966939259756; // 2/(3·ln2)
const cpH = 0.9617967009544373;
const cpL = -7.028461650952758e-9;
const ivln2 = Math.LOG2E;
const ivln2H = 1.4426950216293335; // 1/ln2 to 24 bits
const ivln2L = 1.9259629911266175e-8;
const twoM54 = 5.551115123125783e-17;

/** x·2^n with one rounding (fdlibm s_scalbn.c), for pow's subnormal results. */
function scalbn(x: number, n: number): number {
  let hx = ((f64[0] = x), (u32[HI] as number) | 0);
  let k = (hx & 0x7ff00000) >> 20;
  if (k === 0) {
    if (((hx & 0x7fffffff) | ((f64[0] = x), u32[LO] as number)) === 0) return x;
    x *= two54;
    hx = ((f64[0] = x), (u32[HI] as number) | 0);
    k = ((hx & 0x7ff00000) >> 20) - 54;
  }
  if (k === 0x7ff) return x + x;
  k += n;
  if (k > 0x7fe) return huge * Math.sign(x) * huge;
  if (k > 0) return ((f64[0] = x), (u32[HI] = (hx & 0x800fffff) | (k << 20)), f64[0] as number);
  if (k <= -54) return n > 50000 ? huge * Math.sign(x) * huge : tiny * Math.sign(x) * tiny;
  k += 54;
  return ((f64[0] = x), (u32[HI] = (hx & 0x800fffff) | (k << 20)), f64[0] as number) * twoM54;
}

/**
 * x^y, as JavaScript's `**` defines it (a NaN exponent gives NaN, and so
 * does (±1)^±∞), with an error below 1 ulp.
 *
 * Method (fdlibm e_pow.c): log2(|x|) = n + log2(ax) in extra precision
 * (t1 + t2, about 64 bits: ax reduced to [√2/2, √2]·{1, 1.5}, then
 * log2(1 + s)/(1 − s) by a degree-12 polynomial in s²); y·log2|x| split
 * into an integer part n and z with |z| ≤ 1/2, also in two pieces; then
 * 2^z by exp's polynomial, and 2^n by adding n to the exponent. The sign
 * is that of x for odd integer y.
 * @example
 * ```ts
 * pow(0.9, 3); // 0.7290000000000001
 * ```
 */
export function pow(x: number, y: number): number {
  IO[0] = x;
  IO[1] = y;
  powInto();
  return IO[0] as number;
}

/** The algorithm of {@link pow}, from IO[0] and IO[1] to IO[0] (for code that must not allocate; see IO). @internal */
export function powInto(): void {
  const x = IO[0] as number;
  const y = IO[1] as number;
  if (Number.isNaN(y)) {
    IO[0] = Number.NaN; // x^NaN, even 1^NaN
    return;
  }
  const hx = ((f64[0] = x), (u32[HI] as number) | 0);
  const lx = ((f64[0] = x), u32[LO] as number);
  const hy = ((f64[0] = y), (u32[HI] as number) | 0);
  const ly = ((f64[0] = y), u32[LO] as number);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;
  if ((iy | ly) === 0) {
    IO[0] = 1; // x^±0 = 1, even NaN^0
    return;
  }
  if (Number.isNaN(x)) {
    IO[0] = Number.NaN;
    // y is an odd integer (1), an even one (2), or not an integer (0); asked only for x < 0
    return;
  }
  let yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000)
      yisint = 2; // |y| ≥ 2^53: even
    else if (iy >= 0x3ff00000) {
      const k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        const j = ly >>> (52 - k);
        if ((j << (52 - k)) >>> 0 === ly) yisint = 2 - (j & 1);
      } else if (ly === 0) {
        const j = iy >> (20 - k);
        if (j << (20 - k) === iy) yisint = 2 - (j & 1);
      }
    }
  }
  if (ly === 0) {
    if (iy === 0x7ff00000) {
      // y = ±∞
      if (((ix - 0x3ff00000) | lx) === 0) {
        IO[0] = Number.NaN; // (±1)^±∞ (JavaScript's rule)
        return;
      }
      if (ix >= 0x3ff00000) {
        IO[0] = hy >= 0 ? y : 0; // |x| > 1
        return;
      }
      IO[0] = hy < 0 ? -y : 0; // |x| < 1
      return;
    }
    if (iy === 0x3ff00000) {
      IO[0] = hy < 0 ? 1 / x : x; // y = ±1
      return;
    }
    if (hy === 0x40000000) {
      IO[0] = x * x; // y = 2
      return;
    }
    if (hy === 0x3fe00000 && hx >= 0) {
      IO[0] = Math.sqrt(x); // y = 0.5 (sqrt is exact in IEEE 754)
      return;
    }
  }
  let ax = Math.abs(x);
  if (lx === 0 && (ix === 0x7ff00000 || ix === 0 || ix === 0x3ff00000)) {
    // x = ±0, ±∞, ±1
    let z = ax;
    if (hy < 0) z = 1 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) === 0)
        z = Number.NaN; // (−1)^non-integer
      else if (yisint === 1) z = -z;
    }
    IO[0] = z;
    return;
  }
  let n = (hx >>> 31) - 1;
  if ((n | yisint) === 0) {
    IO[0] = Number.NaN; // (x < 0)^non-integer
    return;
  }
  let s = 1; // the sign of the result
  if ((n | (yisint - 1)) === 0) s = -1; // (x < 0)^odd
  let t1: number;
  let t2: number;
  if (iy > 0x41e00000) {
    // |y| > 2^31
    if (iy > 0x43f00000) {
      // |y| > 2^64: overflow or underflow
      if (ix <= 0x3fefffff) {
        IO[0] = hy < 0 ? huge * huge : tiny * tiny;
        return;
      }
      if (ix >= 0x3ff00000) {
        IO[0] = hy > 0 ? huge * huge : tiny * tiny;
        return;
      }
    }
    if (ix < 0x3fefffff) {
      IO[0] = hy < 0 ? s * huge * huge : s * tiny * tiny;
      return;
    }
    if (ix > 0x3ff00000) {
      IO[0] = hy > 0 ? s * huge * huge : s * tiny * tiny;
      // |1 − x| ≤ 2^-20: log(x) = t − t²/2 + t³/3 − t⁴/4
      return;
    }
    const t = ax - 1;
    const w = t * t * (0.5 - t * (0.3333333333333333 - t * 0.25));
    const u = ivln2H * t;
    const v = t * ivln2L - w * ivln2;
    t1 = ((f64[0] = u + v), (u32[LO] = 0), f64[0] as number);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {
      // subnormal x
      ax *= two53;
      n -= 53;
      ix = ((f64[0] = ax), (u32[HI] as number) | 0);
    }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    ix = j | 0x3ff00000; // normalize
    let k: 0 | 1;
    if (j <= 0x3988e)
      k = 0; // |x| < √(3/2)
    else if (j < 0xbb67a)
      k = 1; // |x| < √3
    else {
      k = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax = ((f64[0] = ax), (u32[HI] = ix), f64[0] as number);
    // ss = s_h + s_l = (x − 1)/(x + 1) or (x − 1.5)/(x + 1.5)
    let u = ax - bp[k];
    let v = 1 / (ax + bp[k]);
    const ss = u * v;
    const sH = ((f64[0] = ss), (u32[LO] = 0), f64[0] as number);
    let tH = ((u32[HI] = ((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18)), (u32[LO] = 0), f64[0] as number); // ax + bp[k], high part
    let tL = ax - (tH - bp[k]);
    const sL = v * (u - sH * tH - sH * tL);
    // log(ax)
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = ((f64[0] = 3 + s2 + r), (u32[LO] = 0), f64[0] as number);
    tL = r - (tH - 3 - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    // 2/(3·ln2)·(ss + …)
    const pH = ((f64[0] = u + v), (u32[LO] = 0), f64[0] as number);
    const pL = v - (pH - u);
    const zH = cpH * pH;
    const zL = cpL * pH + pL * cp + dpL[k];
    // log2(ax) = n + dp_h + z_h + z_l
    const t = n;
    t1 = ((f64[0] = zH + zL + dpH[k] + t), (u32[LO] = 0), f64[0] as number);
    t2 = zL - (t1 - t - dpH[k] - zH);
  }
  // (y1 + y2)·(t1 + t2), y1 = y with its low word cleared
  const y1 = ((f64[0] = y), (u32[LO] = 0), f64[0] as number);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  const j = ((f64[0] = z), (u32[HI] as number) | 0);
  const i = ((f64[0] = z), u32[LO] as number);
  if (j >= 0x40900000) {
    // z ≥ 1024
    if (((j - 0x40900000) | i) !== 0) {
      IO[0] = s * huge * huge;
      return;
    }
    if (pL + ovt > z - pH) {
      IO[0] = s * huge * huge;
      return;
    }
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    // z ≤ −1075
    if (((j - 0xc090cc00) | i) !== 0) {
      IO[0] = s * tiny * tiny;
      return;
    }
    if (pL <= z - pH) {
      IO[0] = s * tiny * tiny;
      return;
    }
  }
  // 2^(pH + pL)
  const ii = j & 0x7fffffff;
  let k = (ii >> 20) - 0x3ff;
  n = 0;
  if (ii > 0x3fe00000) {
    // |z| > 1/2: n = [z + 1/2]
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = ((u32[HI] = n & ~(0x000fffff >> k)), (u32[LO] = 0), f64[0] as number);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  const t = ((f64[0] = pL + pH), (u32[LO] = 0), f64[0] as number);
  const u = t * lg2H;
  const v = (pL - (t - pH)) * lg2 + t * lg2L;
  z = u + v;
  const w = v - (z - u);
  const tt = z * z;
  const tt1 = z - tt * (P1 + tt * (P2 + tt * (P3 + tt * (P4 + tt * P5))));
  // V8's form, which Node ≤ 20 shipped as Math.pow: the correction w + z·w
  // sits in the divisor, where fdlibm adds it after the division. Kept so
  // that results stay bit-identical to what the library computed before.
  const r = (z * tt1) / (tt1 - 2 - (w + z * w));
  z = 1 - (r - z);
  let jj = ((f64[0] = z), (u32[HI] as number) | 0);
  jj += n << 20;
  if (jj >> 20 <= 0)
    z = scalbn(z, n); // subnormal result
  else z = ((f64[0] = z), (u32[HI] = jj), f64[0] as number);
  IO[0] = s * z;
  return;
}
