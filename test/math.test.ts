/**
 * src/math.ts: the library's own elementary functions.
 * - accuracy: every function against values computed to 240 bits with mpmath
 *   (scripts/math-reference.py writes test/reference/math.json);
 * - special values exact (±0, ±∞, NaN, subnormals, overflow and underflow edges);
 * - the same bits everywhere: a hash of the outputs over a fixed grid, the
 *   same on every engine, and on Node 20 (whose V8 computed Math.* with the
 *   same fdlibm algorithms) bit-identical to Math.* itself.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cos, exp, expm1, log, log1p, pow, sin, tan, tanh } from "../src/math.js";

const ref = JSON.parse(readFileSync("test/reference/math.json", "utf8")) as Record<string, number[][]>;
const unary = { exp, expm1, log, log1p, tanh, sin, cos, tan } as const;

/** The spacing of doubles at d: 2^(exponent(d) − 52), and the subnormal spacing below 2^-1022. */
function ulp(d: number): number {
  const a = Math.abs(d);
  if (a < 2 ** -1022) return 2 ** -1074;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** |ours − exact| in ulps of the exact value's nearest double: (ours − d) is exact for ours near d, then r is taken off. */
function ulpError(ours: number, d: number, r: number): number {
  return Math.abs(ours - d - r) / ulp(d);
}

describe("accuracy against mpmath", () => {
  // fdlibm's documented bounds are below 1 ulp, except tanh, which goes
  // through expm1 and a division (measured worst 1.197 ulp here, at
  // x = −0.7657…; the others' worst is 0.81 ulp, exp's).
  const bound: Record<string, number> = {
    exp: 1,
    expm1: 1,
    log: 1,
    log1p: 1,
    tanh: 1.5,
    sin: 1,
    cos: 1,
    tan: 1,
    pow: 1,
  };
  for (const [name, f] of Object.entries(unary)) {
    it(`${name}: every reference value within ${bound[name]} ulp`, () => {
      const rows = ref[name] as number[][];
      expect(rows.length).toBeGreaterThan(700);
      let worst = 0;
      for (const [x, d, r] of rows as [number, number, number][]) {
        const e = ulpError(f(x), d, r);
        if (e > worst) worst = e;
        if (e > (bound[name] as number)) expect({ x, got: f(x), exact: d, ulps: e }).toBeNull();
      }
      expect(worst).toBeGreaterThan(0); // a check that measured something
    });
  }
  it("pow: every reference value within 1 ulp", () => {
    const rows = ref.pow as number[][];
    expect(rows.length).toBeGreaterThan(500);
    for (const [x, y, d, r] of rows as [number, number, number, number][]) {
      const e = ulpError(pow(x, y), d, r);
      if (e > 1) expect({ x, y, got: pow(x, y), exact: d, ulps: e }).toBeNull();
    }
  });
});

describe("special values, exactly", () => {
  const inf = Number.POSITIVE_INFINITY;
  const cases: [string, (x: number) => number, number, number][] = [
    ["exp", exp, 0, 1],
    ["exp", exp, -0, 1],
    ["exp", exp, inf, inf],
    ["exp", exp, -inf, 0],
    ["exp", exp, Number.NaN, Number.NaN],
    ["exp", exp, 709.782712893384, 1.7976931348622732e308], // just below overflow
    ["exp", exp, 709.7827128933841, inf],
    ["exp", exp, -745.1332191019411, 5e-324], // the smallest subnormal
    ["exp", exp, -745.1332191019412, 0],
    ["exp", exp, 1, Math.E],
    ["exp", exp, 1e-300, 1],
    ["expm1", expm1, 0, 0],
    ["expm1", expm1, -0, -0],
    ["expm1", expm1, inf, inf],
    ["expm1", expm1, -inf, -1],
    ["expm1", expm1, -40, -1],
    ["expm1", expm1, 5e-324, 5e-324],
    ["expm1", expm1, Number.NaN, Number.NaN],
    ["log", log, 1, 0],
    ["log", log, 0, -inf],
    ["log", log, -0, -inf],
    ["log", log, -1, Number.NaN],
    ["log", log, inf, inf],
    ["log", log, -inf, Number.NaN],
    ["log", log, Number.NaN, Number.NaN],
    ["log", log, 5e-324, -744.4400719213812],
    ["log", log, Number.MAX_VALUE, 709.782712893384],
    ["log1p", log1p, 0, 0],
    ["log1p", log1p, -0, -0],
    ["log1p", log1p, -1, -inf],
    ["log1p", log1p, -2, Number.NaN],
    ["log1p", log1p, inf, inf],
    ["log1p", log1p, 5e-324, 5e-324],
    ["log1p", log1p, Number.NaN, Number.NaN],
    ["tanh", tanh, 0, 0],
    ["tanh", tanh, -0, -0],
    ["tanh", tanh, inf, 1],
    ["tanh", tanh, -inf, -1],
    ["tanh", tanh, 22, 1],
    ["tanh", tanh, -1e300, -1],
    ["tanh", tanh, 5e-324, 5e-324],
    ["tanh", tanh, Number.NaN, Number.NaN],
    ["sin", sin, 0, 0],
    ["sin", sin, -0, -0],
    ["sin", sin, inf, Number.NaN],
    ["sin", sin, Number.NaN, Number.NaN],
    ["sin", sin, 5e-324, 5e-324],
    ["cos", cos, 0, 1],
    ["cos", cos, -inf, Number.NaN],
    ["tan", tan, -0, -0],
    ["tan", tan, inf, Number.NaN],
  ];
  it.each(cases)("%s(%d)", (_name, f, x, want) => {
    expect(Object.is(f(x), want)).toBe(true);
  });
  it("pow: JavaScript's rules for the special cases of **", () => {
    const inf = Number.POSITIVE_INFINITY;
    const xs = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, inf, -inf, Number.NaN, 5e-324, -5e-324, Number.MAX_VALUE];
    const ys = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.5, inf, -inf, Number.NaN, 2 ** 53, 2 ** 53 + 2, 1e300];
    for (const x of xs) for (const y of ys) expect([x, y, pow(x, y)]).toEqual([x, y, x ** y]);
  });
});

/** FNV-1a over the bits of every output of every function on a fixed grid of arguments. */
function gridHash(fns: Record<string, (x: number) => number>, p: (x: number, y: number) => number): string {
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    f64[0] = Number.isNaN(v) ? Number.NaN : v; // a NaN's payload is the engine's business, not ours
    for (const w of [u32[0] as number, u32[1] as number]) {
      h ^= w;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (const f of Object.values(fns)) {
    for (let i = 0; i < 20000; i++) mix(f((rnd() - 0.5) * 2 ** (rnd() * 24 - 12)));
    for (let i = 0; i < 2000; i++) mix(f((rnd() - 0.5) * 1500));
  }
  for (let i = 0; i < 20000; i++) mix(p(0.8 + rnd() * 0.2, Math.floor(rnd() * 100000)));
  for (let i = 0; i < 20000; i++) mix(p(rnd() * 10, (rnd() - 0.5) * 60));
  return h.toString(16).padStart(8, "0");
}

describe("the same bits on every engine", () => {
  it("a hash of 104,000 outputs over a fixed grid is the one Node 20's Math.* gives", () => {
    // On every engine this must print the same; the value is what Node 20's
    // Math.exp, Math.log, … (fdlibm in V8 11.3) give on the grid.
    expect(gridHash(unary, pow)).toBe(GRID_HASH);
  });
  it.runIf(process.versions.node?.startsWith("20."))("on Node 20: bit-identical to Math.* on the grid", () => {
    const native = {
      exp: Math.exp,
      expm1: Math.expm1,
      log: Math.log,
      log1p: Math.log1p,
      tanh: Math.tanh,
      sin: Math.sin,
      cos: Math.cos,
      tan: Math.tan,
    };
    expect(gridHash(native, (x, y) => x ** y)).toBe(GRID_HASH);
  });
});

const GRID_HASH = "615dd48a";
