import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dense, getInitializer, INITIALIZER_NAMES, Rng, Sequential, Tensor, ValueError } from "../src/index.js";
import { RUNS } from "./helpers.js";

function stats(a: Float64Array): { mean: number; variance: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
    m = Math.max(m, Math.abs(v));
  }
  const mean = s / a.length;
  return { mean, variance: s2 / a.length - mean * mean, maxAbs: m };
}

describe("initializers", () => {
  it("same seed gives the same weights, for every initializer", () => {
    fc.assert(
      fc.property(fc.constantFrom(...INITIALIZER_NAMES), fc.integer(), (name, seed) => {
        const a = new Float64Array(12);
        const b = new Float64Array(12);
        getInitializer(name).init(a, { fanIn: 4, fanOut: 3 }, new Rng(seed));
        getInitializer(name).init(b, { fanIn: 4, fanOut: 3 }, new Rng(seed));
        expect(Array.from(a)).toEqual(Array.from(b));
      }),
      { numRuns: RUNS },
    );
  });

  it("variance scaling hits its target variance (6 standard errors)", () => {
    const fanIn = 400;
    const fanOut = 100;
    const n = fanIn * fanOut;
    const cases: [string, number, number | null][] = [
      ["heNormal", 2 / fanIn, 2],
      ["heUniform", 2 / fanIn, null],
      ["glorotNormal", 2 / (fanIn + fanOut), 2],
      ["glorotUniform", 2 / (fanIn + fanOut), null],
      ["lecunNormal", 1 / fanIn, 2],
      ["lecunUniform", 1 / fanIn, null],
    ];
    for (const [name, variance, truncAt] of cases) {
      const w = new Float64Array(n);
      getInitializer(name as "heNormal").init(w, { fanIn, fanOut }, new Rng(1));
      const s = stats(w);
      // the sample variance of n draws has a relative standard error ≲ √(2/n) ≈ 0.7%
      expect(Math.abs(s.variance / variance - 1), name).toBeLessThan(6 * Math.sqrt(2 / n));
      expect(Math.abs(s.mean), name).toBeLessThan(6 * Math.sqrt(variance / n));
      if (truncAt !== null) {
        // truncated at 2σ' where σ' = σ/0.8796 (Keras's correction)
        expect(s.maxAbs, name).toBeLessThanOrEqual((2 * Math.sqrt(variance)) / 0.8796256610342398 + 1e-12);
      } else {
        expect(s.maxAbs, name).toBeLessThanOrEqual(Math.sqrt(3 * variance));
      }
    }
  });

  it("orthogonal gives orthonormal rows or columns (to 1e-12)", () => {
    for (const [fanIn, fanOut] of [
      [5, 3],
      [3, 5],
      [4, 4],
    ] as const) {
      const w = new Float64Array(fanIn * fanOut);
      getInitializer("orthogonal").init(w, { fanIn, fanOut }, new Rng(2));
      // W is (fanIn, fanOut); the smaller side's vectors are orthonormal.
      const k = Math.min(fanIn, fanOut);
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let dot = 0;
          for (let i = 0; i < Math.max(fanIn, fanOut); i++) {
            dot +=
              fanIn >= fanOut
                ? (w[i * fanOut + a] as number) * (w[i * fanOut + b] as number)
                : (w[a * fanOut + i] as number) * (w[b * fanOut + i] as number);
          }
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
    }
  });

  it("constant, zeros, ones; unknown names are refused", () => {
    const w = new Float64Array(3);
    getInitializer({ name: "constant", value: 0.25 }).init(w, { fanIn: 3, fanOut: 3 }, new Rng(0));
    expect(Array.from(w)).toEqual([0.25, 0.25, 0.25]);
    getInitializer("ones").init(w, { fanIn: 3, fanOut: 3 }, new Rng(0));
    expect(Array.from(w)).toEqual([1, 1, 1]);
    expect(() => getInitializer("heNormall" as "heNormal")).toThrow(/unknown initializer 'heNormall'/);
  });
});

describe("an initializer option beyond the dtype's range", () => {
  it("is refused when the layer is built, naming the parameter, and the model is left as it was", () => {
    const m = new Sequential({ inputShape: [2], seed: 1 });
    m.add(new Dense({ units: 3 }));
    // 1e39 is finite as a double and Infinity as a float32
    expect(() => m.add(new Dense({ units: 2, kernelInitializer: { name: "constant", value: 1e39 } }))).toThrow(
      new ValueError(
        "Sequential: layer 'dense_2' initialized 'dense_2/kernel' with Infinity (element 0): an initializer option is beyond float32's range",
      ),
    );
    expect(m.layers.map((l) => l.name)).toEqual(["dense_1"]);
    m.add(new Dense({ units: 2 })); // the model still works
    expect(m.predict(Tensor.from([[1, 2]])).shape).toEqual([1, 2]);
    // the same value fits a float64 model
    const d = new Sequential({ inputShape: [2], dtype: "float64" });
    d.add(new Dense({ units: 2, kernelInitializer: { name: "constant", value: 1e39 } }));
    expect(d.params()[0]?.value.data[0]).toBe(1e39);
  });
});
