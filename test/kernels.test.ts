/** The blocked kernel against the naive reference, on random shapes including edge tiles. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KC, MC, MR, NR } from "../src/backend/gemm.js";
import { gemm, gemmNaive } from "../src/index.js";
import { RUNS, randomTensor } from "./helpers.js";

// Sizes that hit every edge: 1, primes, one off the tile and block sizes.
const dims = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.constantFrom(1, 2, 3, 5, 7, 13, 31, MR + 1, NR + 1, MC - 1, MC + 1, KC - 1, KC + 1, 2 * KC + 3),
);

describe("gemm matches gemmNaive", () => {
  it("all transpose layouts, random shapes, accumulate or overwrite", () => {
    fc.assert(
      fc.property(
        dims,
        dims,
        dims,
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (M, N, K, tA, tB, acc, seed) => {
          const A = randomTensor([M * K], seed).data;
          const B = randomTensor([K * N], seed + 1).data;
          const C0 = randomTensor([M * N], seed + 2).data;
          const c1 = Float64Array.from(C0);
          const c2 = Float64Array.from(C0);
          gemmNaive(tA, tB, M, N, K, A, B, c1, acc);
          gemm(tA, tB, M, N, K, A, B, c2, acc);
          // Both sum K products of |a·b| ≤ 1 in double; only the order differs, so
          // they agree to about K·ε ≈ 600 · 2.2e-16 ≈ 1.3e-13 (+|C₀| ≤ 1 when accumulating).
          for (let i = 0; i < M * N; i++) expect(Math.abs((c1[i] as number) - (c2[i] as number))).toBeLessThan(1e-12);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("float32 arrays: rounding of the result only", () => {
    const M = 37;
    const N = 11;
    const K = 300;
    const A = randomTensor([M * K], 1, -1, 1, "float32").data;
    const B = randomTensor([K * N], 2, -1, 1, "float32").data;
    const c1 = new Float64Array(M * N);
    const c2 = new Float32Array(M * N);
    gemmNaive(false, false, M, N, K, A, B, c1, false);
    gemm(false, false, M, N, K, A, B, c2, false);
    // The kernel accumulates each K block (KC deep) in double and adds it to the
    // float32 C, so the result is rounded once per block: the error is at most
    // ⌈K/KC⌉ · 2⁻²⁴ · Σ_p |a_ip·b_pj| (partial sums can exceed the final value).
    const absSum = new Float64Array(M * N);
    gemmNaive(false, false, M, N, K, A.map(Math.abs), B.map(Math.abs), absSum, false);
    const blocks = Math.ceil(K / KC);
    for (let i = 0; i < M * N; i++) {
      expect(Math.abs((c1[i] as number) - (c2[i] as number))).toBeLessThanOrEqual(
        blocks * 2 ** -24 * (absSum[i] as number),
      );
    }
  });

  it("empty dimensions leave C zeroed or untouched", () => {
    const c = Float64Array.from([1, 2]);
    gemm(false, false, 1, 2, 0, new Float64Array(0), new Float64Array(0), c, true);
    expect(Array.from(c)).toEqual([1, 2]);
    gemm(false, false, 1, 2, 0, new Float64Array(0), new Float64Array(0), c, false);
    expect(Array.from(c)).toEqual([0, 0]);
  });
});
