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

  it("reads only op(A)'s M·K and op(B)'s K·N elements and writes only C's first M·N", () => {
    // The contract a caller relies on when A, B or C is a prefix of a larger
    // buffer. NaN after A's and B's extents poisons any result that reads past
    // them (NaN·x = NaN reaches C through every path, including gemmThin's
    // zero skip, which tests `a`, not `b`, and is never NaN here); a sentinel
    // after C's extent shows any write past it. The shapes cross every block
    // and tile edge: M past one and two blocks of MC, K past a block of KC,
    // N odd against NR = 2, and the few-row and thin-K paths (< 4).
    const Ms = [1, 3, 4, MC + 1, 2 * MC + 5];
    const Ns = [1, 2, 3, 7];
    const Ks = [1, 3, 4, KC + 1];
    const PAD = 7;
    const SENTINEL = 12345.5;
    let seed = 100;
    for (const M of Ms)
      for (const N of Ns)
        for (const K of Ks)
          for (const tA of [false, true])
            for (const tB of [false, true])
              for (const acc of [false, true]) {
                seed += 3;
                const A = new Float64Array(M * K + PAD).fill(Number.NaN);
                A.set(randomTensor([M * K], seed).data);
                const B = new Float64Array(K * N + PAD).fill(Number.NaN);
                B.set(randomTensor([K * N], seed + 1).data);
                const C0 = randomTensor([M * N], seed + 2).data;
                const want = Float64Array.from(C0);
                gemmNaive(tA, tB, M, N, K, A.subarray(0, M * K), B.subarray(0, K * N), want, acc);
                const C = new Float64Array(M * N + PAD).fill(SENTINEL);
                C.set(C0);
                gemm(tA, tB, M, N, K, A, B, C, acc);
                const where = `M=${M} N=${N} K=${K} transA=${tA} transB=${tB} accumulate=${acc}`;
                // The two summation orders differ by at most 2·γ_K·Σ|a·b| (Higham), ≤ 2·257·1.1e-16·80
                // ≈ 4.6e-12 for these seeds' largest Σ|a·b|; measured, the largest difference is
                // 5.3e-15. Any read past an extent gives NaN and any wrong index an O(1) error.
                for (let i = 0; i < M * N; i++) {
                  const d = Math.abs((C[i] as number) - (want[i] as number));
                  if (!(d < 1e-12)) expect.fail(`${where}: C[${i}] = ${C[i]}, want ${want[i]}`);
                }
                for (let i = M * N; i < C.length; i++) {
                  if (C[i] !== SENTINEL) expect.fail(`${where}: wrote C[${i}] past M·N = ${M * N}`);
                }
              }
  });

  it("a non-finite input reaches only its own row and column of C", () => {
    // An infinity in row i of op(A) makes row i of C non-finite, and one in
    // column j of op(B) column j, and nothing else: C[r][c] is non-finite
    // exactly when gemmNaive's is. The packed path pads a partial tile's
    // missing rows and columns with zeros, and Inf·0 = NaN there, so a store
    // that wrote a padded cell back would put a NaN in a cell of the next row
    // of C, or past its end (the sentinel region, 2N + 7 long, covers the two
    // rows a 3-row tile can overhang). Which cells are non-finite, and their
    // sign, does not depend on the summation order: a sum holding both +Inf
    // and −Inf is NaN in any order, one holding only +Inf is +Inf.
    const SENTINEL = 12345.5;
    let seed = 900;
    for (const M of [1, 2, 3, 4, 5, 7, MC + 2])
      for (const N of [1, 3, 5])
        for (const K of [1, 3, 4, 9])
          for (const tA of [false, true])
            for (const tB of [false, true]) {
              seed += 3;
              const A = Float64Array.from(randomTensor([M * K], seed).data);
              const B = Float64Array.from(randomTensor([K * N], seed + 1).data);
              // row iInf of op(A) (not the last row, when there are two), column jInf of op(B)
              const iInf = M > 1 ? (seed % (M - 1)) | 0 : 0;
              const jInf = (seed >> 1) % N;
              const p = seed % K;
              A[tA ? p * M + iInf : iInf * K + p] = Number.POSITIVE_INFINITY;
              const q = (seed >> 2) % K;
              B[tB ? jInf * K + q : q * N + jInf] = Number.NEGATIVE_INFINITY;
              const want = new Float64Array(M * N);
              gemmNaive(tA, tB, M, N, K, A, B, want, false);
              const C = new Float64Array(M * N + 2 * N + 7).fill(SENTINEL);
              gemm(tA, tB, M, N, K, A, B, C, false);
              const where = `M=${M} N=${N} K=${K} transA=${tA} transB=${tB}`;
              for (let i = 0; i < M * N; i++) {
                const w = want[i] as number;
                const c = C[i] as number;
                const same = Number.isFinite(w) ? Math.abs(c - w) < 1e-12 : Object.is(c, w);
                if (!same) expect.fail(`${where}: C[${i}] = ${c}, want ${w}`);
              }
              for (let i = M * N; i < C.length; i++) {
                if (C[i] !== SENTINEL) expect.fail(`${where}: wrote C[${i}] = ${C[i]} past M·N = ${M * N}`);
              }
            }
  });

  it("gemmNaive writes only C's first M·N elements", () => {
    // The reference the other tests trust: [[1, 2], [3, 4]]·[[5], [6]] = [[17], [39]].
    const C = Float64Array.from([0, 0, -1, -1]);
    gemmNaive(false, false, 2, 1, 2, Float64Array.from([1, 2, 3, 4]), Float64Array.from([5, 6]), C, false);
    expect(Array.from(C)).toEqual([17, 39, -1, -1]);
  });

  it("empty dimensions leave C zeroed or untouched", () => {
    const c = Float64Array.from([1, 2]);
    gemm(false, false, 1, 2, 0, new Float64Array(0), new Float64Array(0), c, true);
    expect(Array.from(c)).toEqual([1, 2]);
    gemm(false, false, 1, 2, 0, new Float64Array(0), new Float64Array(0), c, false);
    expect(Array.from(c)).toEqual([0, 0]);
  });
});
