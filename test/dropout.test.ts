import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dropout, gradCheck, jsBackend, Rng } from "../src/index.js";
import { GRAD_TOL, RUNS, randomTensor } from "./helpers.js";

describe("Dropout", () => {
  it("eval mode is exactly the identity", () => {
    const d = new Dropout({ rate: 0.5 });
    d.build([6], { dtype: "float64", rng: new Rng(1), backend: jsBackend });
    const x = randomTensor([4, 6], 2);
    const y = d.forward(x, "eval");
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(d.backward(x)).toBe(x);
  });

  it("rate 0 is the identity in train mode too, and draws no random numbers", () => {
    // A rate-0 layer must not move the shared generator: a model with one
    // would otherwise get different masks downstream and a different shuffle.
    const rng = new Rng(7);
    const d = new Dropout({ rate: 0 });
    d.build([6], { dtype: "float64", rng, backend: jsBackend });
    const x = randomTensor([4, 6], 2);
    expect(d.forward(x, "train")).toBe(x);
    expect(d.backward(x)).toBe(x);
    expect(rng.uniform()).toBe(new Rng(7).uniform());
  });

  it("train mode zeroes about `rate` of the inputs and keeps the mean (6 standard errors)", () => {
    const rate = 0.3;
    const n = 200_000;
    const d = new Dropout({ rate });
    d.build([n], { dtype: "float64", rng: new Rng(3), backend: jsBackend });
    const x = randomTensor([1, n], 4, 0.5, 1.5);
    const y = d.forward(x, "train");
    let zeros = 0;
    let sx = 0;
    let sy = 0;
    let badScale = 0;
    for (let i = 0; i < n; i++) {
      if (y.data[i] === 0) zeros++;
      else if (Math.abs((y.data[i] as number) - (x.data[i] as number) / (1 - rate)) > 1e-12) badScale++;
      sx += x.data[i] as number;
      sy += y.data[i] as number;
    }
    expect(badScale).toBe(0); // kept elements are scaled by exactly 1/(1 − rate)
    // zeros ~ Binomial(n, rate): σ = √(n·rate·(1−rate))
    expect(Math.abs(zeros - n * rate)).toBeLessThan(6 * Math.sqrt(n * rate * (1 - rate)));
    // E[y] = x; Var[y_i] = x_i²·rate/(1−rate) ≤ 1.5²·0.43, so the mean's σ ≤ √(0.96/n)
    expect(Math.abs(sy / n - sx / n)).toBeLessThan(6 * Math.sqrt((1.5 ** 2 * rate) / (1 - rate) / n));
  });

  it("same seed, same mask", () => {
    const mask = (seed: number): number[] => {
      const d = new Dropout({ rate: 0.5 });
      d.build([20], { dtype: "float64", rng: new Rng(seed), backend: jsBackend });
      return Array.from(d.forward(randomTensor([2, 20], 1), "train").data);
    };
    expect(mask(5)).toEqual(mask(5));
    expect(mask(5)).not.toEqual(mask(6));
  });

  it("gradient matches finite differences in train mode with a frozen mask", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        (rate, B, D, seed) => {
          const d = new Dropout({ rate });
          d.build([D], { dtype: "float64", rng: new Rng(seed), backend: jsBackend });
          const x = randomTensor([B, D], seed);
          d.forward(x, "train"); // draw the mask once
          d.maskFrozen = true;
          const report = gradCheck(d, { input: x, seed, ...GRAD_TOL });
          expect(report.ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("refuses a rate outside [0, 1)", () => {
    expect(() => new Dropout({ rate: 1 })).toThrow(/rate must be a finite number in \[0, 1\), got 1/);
    expect(() => new Dropout({ rate: -0.1 })).toThrow(/got -0.1/);
  });
});
