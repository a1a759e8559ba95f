/**
 * The wasm backend against the JS reference.
 *
 * - The GEMM sums in float32 in its own order, so it is checked against the
 *   reference within a float32 rounding bound (derived below).
 * - Every other kernel mirrors the reference's arithmetic (float64 inside,
 *   float32 on store), so it must return the reference's exact bits,
 *   special values (NaN, ±Infinity, −0) included.
 * - The memory: views survive growth, freed blocks are reused, a plain memory
 *   refuses to outgrow its size, dispose ends use.
 * - A Dense layer on wasm (float32) against the FD-checked float64 reference,
 *   within bounds propagated from the GEMM's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GEMM_BLOCKS, WASM_RELAXED, WASM_SHARED } from "../src/backend/wasm/bytes.js";
import { plainMemoryModule } from "../src/backend/wasm.js";
import {
  ACTIVATION_NAMES,
  type ActivationName,
  Adam,
  backendStatus,
  checkpoint,
  createWasmBackend,
  Dense,
  DisposedError,
  deserialize,
  type FloatArray,
  getActivation,
  getBackend,
  jsBackend,
  modelToJSON,
  type OptimizerName,
  optimizerFromConfig,
  type Param,
  resolveBackend,
  Sequential,
  SGD,
  serialize,
  setBackend,
  Tensor,
  toOnnx,
  toTfjs,
} from "../src/index.js";
import { exp, expm1, tanh } from "../src/math.js";

const be = createWasmBackend();
const U = 2 ** -24; // unit roundoff of float32

/** A float32 view in the backend's memory holding `a`. */
function inMemory(a: ArrayLike<number>): Float32Array {
  const v = be.alloc("float32", a.length) as Float32Array;
  v.set(a);
  return v;
}

/** Deterministic values in [-1, 1]. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5;
    s ^= s >>> 13;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Zeroes a share of `a` in place: 0 none, 1 about 80% (like MNIST's pixels), 2 whole leading runs, 3 all. */
function sparsify(a: Float32Array, how: number): Float32Array {
  for (let i = 0; i < a.length; i++) {
    if (how === 3 || (how === 1 && Math.abs(a[i] as number) < 0.8) || (how === 2 && i % 50 < 30)) a[i] = 0;
  }
  return a;
}

// Sizes: 1, primes, and one off each tile (4×8) and block (KC 256, MC 128) size.
const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 127, 128, 129, 255, 256, 257];
const dim = fc.constantFrom(...DIMS);

describe("wasm GEMM against the JS reference", () => {
  /*
   * The bound. Each wasm element is ĉ = fl(c0 + Σ_k a_ik·b_kj), with the k
   * sum run in float32 in index order inside each KC slice and each slice's
   * sum then added to C: at most K products and K + ⌈K/KC⌉ ≤ 2K additions,
   * each rounding once. The classical bound for recursive summation
   * (Higham, Accuracy and Stability of Numerical Algorithms, §3.1) gives
   * |ĉ − c| ≤ γ_{K+1} (Σ_k |a_ik||b_kj| + |c0|), γ_n = n·u/(1 − n·u). The JS
   * reference accumulates each KC slice in float64 and rounds to float32
   * once per slice, so its error is under the same bound. The two differ by
   * at most twice that; we allow 2·γ_{K+2}.
   */
  it("agrees within 2·γ_(K+2)·(Σ|a||b| + |c0|) in every layout, size and accumulate mode", () => {
    fc.assert(
      fc.property(
        fc.record({
          M: dim,
          N: dim,
          K: dim,
          ta: fc.boolean(),
          tb: fc.boolean(),
          acc: fc.boolean(),
          inMem: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 1e6 }),
        ({ M, N, K, ta, tb, acc, inMem }, seed) => {
          fc.pre(M * N * K <= 2_000_000);
          // A with exact zeros in some draws (all, rows, scattered): the kernel drops a·b terms with a = 0
          const A = sparsify(values(M * K, seed), seed % 4);
          const B = values(K * N, seed + 1);
          const C0 = values(M * N, seed + 2);
          const want = Float32Array.from(C0);
          jsBackend.gemm(ta, tb, M, N, K, A, B, want, acc);
          const [a, b, c] = inMem ? [inMemory(A), inMemory(B), inMemory(C0)] : [A, B, Float32Array.from(C0)];
          be.gemm(ta, tb, M, N, K, a, b, c, acc);
          const n = K + 2;
          const gamma = (n * U) / (1 - n * U);
          for (let i = 0; i < M; i++) {
            for (let j = 0; j < N; j++) {
              let s = acc ? Math.abs(C0[i * N + j] as number) : 0;
              for (let k = 0; k < K; k++) {
                const av = A[ta ? k * M + i : i * K + k] as number;
                const bv = B[tb ? j * K + k : k * N + j] as number;
                s += Math.abs(av * bv);
              }
              const err = Math.abs((c[i * N + j] as number) - (want[i * N + j] as number));
              if (!(err <= 2 * gamma * s)) {
                throw new Error(
                  `C[${i},${j}] (M ${M} N ${N} K ${K} ta ${ta} tb ${tb} acc ${acc}): error ${err} > ${2 * gamma * s}`,
                );
              }
            }
          }
          if (inMem) for (const v of [a, b, c]) be.free(v);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("covers the column blocks: N one off NC, K past two KC slices", () => {
    for (const [M, N, K] of [
      [5, GEMM_BLOCKS.NC - 1, 3],
      [5, GEMM_BLOCKS.NC + 1, 3],
      [3, 17, 2 * GEMM_BLOCKS.KC + 1],
      [GEMM_BLOCKS.MC + 3, 9, 4],
    ] as const) {
      const A = values(M * K, 7);
      const B = values(K * N, 8);
      const want = new Float32Array(M * N);
      jsBackend.gemm(false, false, M, N, K, A, B, want, false);
      const c = new Float32Array(M * N);
      be.gemm(false, false, M, N, K, A, B, c, false);
      for (let i = 0; i < M * N; i++) {
        expect(Math.abs((c[i] as number) - (want[i] as number))).toBeLessThanOrEqual(2 * (K + 2) * U * K * 1.0001);
      }
    }
  });

  /*
   * gemm_rows keeps each row's own nonzeros where gemm keeps, per 4-row
   * panel, the k where any of the four rows is nonzero; the extra terms gemm
   * adds are 0·b = ±0, which leave a float32 sum that starts at +0 unchanged
   * (it is never −0: +0 + −0 = +0, and x + (−x) = +0). So with B finite both
   * return the same bits: compared here on the module itself, every layout
   * of A, every density, sizes one off the tile (4×8, strips of 32 and 8)
   * and the blocks (KC, MC), overwrite and accumulate.
   */
  it("the sparse-rows kernel returns the packed kernel's bits (B finite; A with zeros, NaN, ±∞)", () => {
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 256, shared: true });
    const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_SHARED, "base64")), {
      env: { memory },
    }).exports as unknown as Record<string, (...a: number[]) => number>;
    const f = new Float32Array(memory.buffer);
    const [pA, pB, pC1, pC2, work] = [1 << 20, 3 << 20, 5 << 20, 7 << 20, 9 << 20];
    const rowsDims = fc.constantFrom(1, 3, 4, 5, 8, 9, 31, 32, 33, 40, 41, 127, 128, 129, 257);
    fc.assert(
      fc.property(
        fc.record({ M: rowsDims, N: rowsDims, K: rowsDims, ta: fc.boolean(), acc: fc.boolean() }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 1e6 }),
        ({ M, N, K, ta, acc }, how, seed) => {
          const A = how === 4 ? values(M * K, seed) : sparsify(values(M * K, seed), how);
          if (seed % 5 === 0) A[seed % A.length] = [Number.NaN, Number.POSITIVE_INFINITY, -0][seed % 3] as number;
          f.set(A, pA / 4);
          f.set(values(K * N, seed + 1), pB / 4);
          const C0 = values(M * N, seed + 2);
          f.set(C0, pC1 / 4);
          f.set(C0, pC2 / 4);
          k.gemm?.(ta ? 1 : 0, 0, M, N, K, pA, pB, pC1, acc ? 1 : 0, work, 0, N);
          k.gemm_rows?.(ta ? 1 : 0, M, N, K, pA, pB, pC2, acc ? 1 : 0, work, 0, N);
          const want = new Uint32Array(memory.buffer, pC1, M * N);
          const got = new Uint32Array(memory.buffer, pC2, M * N);
          for (let i = 0; i < M * N; i++) {
            if (got[i] !== want[i])
              throw new Error(
                `C[${i}] (M ${M} N ${N} K ${K} ta ${ta} acc ${acc}): ${f[pC2 / 4 + i]} ≠ ${f[pC1 / 4 + i]}`,
              );
          }
          // a column range computes those columns only, with the same bits
          const [j0, j1] = [Math.min(N, 8), Math.min(N, 8 + 40)];
          f.set(C0, pC2 / 4);
          k.gemm_rows?.(ta ? 1 : 0, M, N, K, pA, pB, pC2, acc ? 1 : 0, work, j0, j1);
          for (let i = 0; i < M; i++)
            for (let j = 0; j < N; j++) {
              const e = (j >= j0 && j < j1 ? want[i * N + j] : new Uint32Array(C0.buffer)[i * N + j]) as number;
              if (got[i * N + j] !== e) throw new Error(`range ${j0}…${j1}: C[${i},${j}] wrong (M ${M} N ${N} K ${K})`);
            }
        },
      ),
      { numRuns: 150 },
    );
    // the density count the backend chooses by
    f.set([0, -0, 1, Number.NaN, 0, 2, 0], pA / 4);
    expect(k.count_nonzero?.(pA, 7)).toBe(3);
    expect(k.count_nonzero?.(pA, 4)).toBe(2);
  });

  it("relaxed: in use exactly where the engine validates the relaxed module; else the plain products' bits", () => {
    const has = WebAssembly.validate(Buffer.from(WASM_RELAXED, "base64"));
    const r = createWasmBackend({ relaxed: true });
    expect(r.relaxed).toBe(has);
    expect(createWasmBackend().relaxed).toBe(false);
    expect(createWasmBackend({ relaxed: false }).relaxed).toBe(false);
    const [M, N, K] = [40, 70, 300];
    const A = sparsify(values(M * K, 11), 0);
    const B = values(K * N, 12);
    const c1 = be.alloc("float32", M * N) as Float32Array;
    const c2 = r.alloc("float32", M * N) as Float32Array;
    be.gemm(false, false, M, N, K, A, B, c1, false);
    r.gemm(false, false, M, N, K, A, B, c2, false);
    // in use, the fused products differ from the plain ones within the bound (scripts/relaxed-check.mjs, run by npm run test:engines on Node 22 and 24, Bun, Deno)
    if (!has) expect(Array.from(c2)).toEqual(Array.from(c1));
    r.dispose();
  });

  it("K = 0 writes zeros, or leaves C when accumulating", () => {
    const c = inMemory([1, 2, 3, 4, 5, 6]);
    be.gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), c, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
    be.gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), c, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("foreign operands take the same kernel: bits equal to operands in memory", () => {
    const [M, N, K] = [37, 19, 300];
    const B = values(K * N, 4);
    const c1 = new Float32Array(M * N);
    const c2 = be.alloc("float32", M * N);
    be.gemm(true, false, M, N, K, values(K * M, 3), B, c1, false);
    be.gemm(true, false, M, N, K, inMemory(values(K * M, 3)), inMemory(B), c2, false);
    expect(Array.from(c1)).toEqual(Array.from(c2));
  });

  it("float64 runs on the JS kernels, bit for bit", () => {
    const A = Float64Array.from(values(6 * 5, 1));
    const B = Float64Array.from(values(5 * 4, 2));
    const c1 = be.alloc("float64", 24);
    const c2 = new Float64Array(24);
    expect(c1).toBeInstanceOf(Float64Array);
    be.gemm(false, true, 6, 4, 5, A, B, c1, false);
    jsBackend.gemm(false, true, 6, 4, 5, A, B, c2, false);
    expect(Array.from(c1)).toEqual(Array.from(c2));
  });
});

// ------------------------------------------------------------ exact kernels
/** float32 values with the special ones mixed in. */
const f32 = fc.oneof(
  { weight: 8, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, -1e30, 1e-40) },
);
const arr = (n: number) => fc.array(f32, { minLength: n, maxLength: n });

/** Runs `f` on copies in memory (wasm) and on plain copies (reference); returns both sets of outputs. */
function both(
  inputs: number[][],
  f: (b: typeof be | typeof jsBackend, a: FloatArray[]) => void,
): [number[][], number[][]] {
  const w = inputs.map((x) => inMemory(x));
  const j = inputs.map((x) => Float32Array.from(x));
  f(be, w);
  f(jsBackend, j);
  const out: [number[][], number[][]] = [w.map((x) => Array.from(x)), j.map((x) => Array.from(x))];
  for (const x of w) be.free(x);
  return out;
}

describe("wasm element-wise kernels and optimizer rules return the reference's bits", () => {
  const n = fc.integer({ min: 0, max: 37 });

  it("ReLU forward and backward, the dropout product, the bias broadcast and column sums", () => {
    const relu = getActivation("relu");
    fc.assert(
      fc.property(
        n.chain((k) => fc.tuple(fc.constant(k), arr(k), arr(k), arr(k))),
        fc.integer({ min: 1, max: 5 }),
        ([k, x, dy, m], rows) => {
          const [w, j] = both([x, new Array(k).fill(7), dy, new Array(k).fill(7), m, new Array(k).fill(7)], (b, a) => {
            b.activationForward(relu, a[0] as FloatArray, a[1] as FloatArray, 1, k);
            b.activationBackward(
              relu,
              a[0] as FloatArray,
              a[1] as FloatArray,
              a[2] as FloatArray,
              a[3] as FloatArray,
              1,
              k,
            );
            b.multiply(a[0] as FloatArray, a[4] as FloatArray, a[5] as FloatArray, k);
          });
          expect(w).toEqual(j);
          const z = new Array(rows * k).fill(3);
          const [w2, j2] = both([x, z, x.slice(0, k)], (b, a) => {
            b.broadcastRows(a[0] as FloatArray, a[1] as FloatArray, rows);
          });
          expect(w2).toEqual(j2);
          const dz = Array.from({ length: rows * k }, (_, i) => (x[i % Math.max(k, 1)] ?? 0) * (i + 1));
          const [w3, j3] = both([dz, dy], (b, a) => b.addColumnSums(a[0] as FloatArray, a[1] as FloatArray, rows));
          expect(w3).toEqual(j3);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    "sigmoid",
    "tanh",
    "selu",
    { name: "leakyRelu", alpha: 0.2 },
    { name: "leakyRelu", alpha: 0 },
    { name: "elu", alpha: 1.5 },
    { name: "elu", alpha: 0 },
    { name: "hardSigmoid", alpha: 0.2, beta: 0.5 },
    { name: "hardSigmoid", alpha: 3, beta: -0.25 },
  ] as const)("%o forward and backward (dx may be dy)", (config) => {
    const sig = getActivation(config as never);
    fc.assert(
      fc.property(
        n.chain((k) => fc.tuple(fc.constant(k), arr(k), arr(k))),
        ([k, x, dy]) => {
          const [w, j] = both([x, new Array(k).fill(7), dy, new Array(k).fill(7), dy.slice()], (b, a) => {
            b.activationForward(sig, a[0] as FloatArray, a[1] as FloatArray, 1, k);
            b.activationBackward(
              sig,
              a[0] as FloatArray,
              a[1] as FloatArray,
              a[2] as FloatArray,
              a[3] as FloatArray,
              1,
              k,
            );
            b.activationBackward(
              sig,
              a[0] as FloatArray,
              a[1] as FloatArray,
              a[4] as FloatArray,
              a[4] as FloatArray,
              1,
              k,
            );
          });
          expect(w).toEqual(j);
        },
      ),
      { numRuns: 300 },
    );
  });

  /*
   * The module's exp, expm1 and tanh are src/math.ts's (fdlibm's e_exp.c,
   * s_expm1.c, s_tanh.c) spelled in wasm: every branch (NaN, ±∞, overflow,
   * underflow, tiny arguments, k = ±1, x = 1, the subnormal scaling, the
   * ranges of k in expm1) at its edges, and a spread of ordinary values.
   */
  it.each([
    ["exp", exp],
    ["expm1", expm1],
    ["tanh", tanh],
  ] as const)("%s: the reference's bits on every branch and on 200,000 values", (name, ref) => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true });
    const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_SHARED, "base64")), {
      env: { memory },
    }).exports as unknown as Record<string, (x: number, y: number, n: number) => void>;
    const special = [
      0,
      -0,
      1,
      -1,
      0.5,
      -0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      709.782712893384,
      709.7827128933841,
      -745.1332191019411,
      -745.1332191019412,
      709.78,
      -708.4,
      -708.3964185322641,
      -730,
      2 ** -28,
      -(2 ** -28),
      2 ** -29,
      0.34657359027997264,
      0.3465735902799727,
      1.0397207708399179,
      1.03972077083992,
      88.72283905206835,
      -87.3365447505531,
      1e-300,
      -1e-300,
      5e-324,
      // expm1 and tanh's own edges: |x| < 2⁻⁵⁴, k = ±1 with x < −0.25, k < 20, k > 56, x < −56·ln2, |x| ≥ 22
      2 ** -54,
      2 ** -55,
      -0.3,
      0.3,
      13.9,
      39,
      40,
      -56 * Math.LN2,
      -56 * Math.LN2 - 1e-9,
      22,
      -22,
      21.99,
    ];
    const n = 200_000;
    const x = new Float64Array(memory.buffer, 0, n);
    const y = new Float64Array(memory.buffer, 8 * n, n);
    let s = 7;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const u = s / 2 ** 32;
      x[i] =
        i < special.length
          ? (special[i] as number)
          : i % 3 === 0
            ? (u - 0.5) * 1500
            : i % 3 === 1
              ? (u - 0.5) * 40
              : (u - 0.5) * 2 ** -(i % 60);
    }
    const many = k[`${name}_many`];
    if (many === undefined) throw new Error(`the module has no ${name}_many`);
    many(0, 8 * n, n);
    for (let i = 0; i < n; i++) {
      const want = ref(x[i] as number);
      if (!Object.is(y[i], want)) throw new Error(`${name}(${x[i]}): wasm ${y[i]}, reference ${want}`);
    }
  });

  const hyper = fc.record({
    lr: fc.double({ min: 0, max: 1, noNaN: true }),
    wd: fc.double({ min: 0, max: 0.1, noNaN: true }),
    mu: fc.double({ min: 0, max: 0.99, noNaN: true }),
    damp: fc.double({ min: 0, max: 0.5, noNaN: true }),
    b1: fc.double({ min: 0, max: 0.999, noNaN: true }),
    b2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
    eps: fc.double({ min: 1e-10, max: 1e-3, noNaN: true }),
    bc1: fc.double({ min: 0.001, max: 1, noNaN: true }),
    bc2: fc.double({ min: 0.0001, max: 1, noNaN: true }),
    flags: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  });
  const nonNeg = (a: number[]) => a.map((v) => (Number.isNaN(v) ? v : Math.abs(v)));

  it("SGD (plain, momentum, Nesterov, first step), Adam/AdamW, RMSprop (4 variants), Adagrad, Nadam", () => {
    fc.assert(
      fc.property(
        n.chain((k) => fc.tuple(arr(k), arr(k), arr(k), arr(k), arr(k))),
        hyper,
        ([w, g, s1, s2, s3], h) => {
          const [f0, f1, f2] = h.flags as [boolean, boolean, boolean];
          const cases: [string, number[][], (b: typeof be | typeof jsBackend, a: FloatArray[]) => void][] = [
            ["sgd", [w, g], (b, a) => b.rules.sgdRule(a[0]!, a[1]!, null, h.lr, h.wd, 0, 0, false, false)],
            [
              "sgd momentum",
              [w, g, s1],
              (b, a) => b.rules.sgdRule(a[0]!, a[1]!, a[2]!, h.lr, h.wd, h.mu, h.damp, f0, f1),
            ],
            [
              "adam",
              [w, g, s1, nonNeg(s2)],
              (b, a) => b.rules.adamRule(a[0]!, a[1]!, a[2]!, a[3]!, h.lr, h.wd, f0, h.b1, h.b2, h.eps, h.bc1, h.bc2),
            ],
            [
              "rmsprop",
              [w, g, nonNeg(s1), s2, s3],
              (b, a) =>
                b.rules.rmspropRule(
                  a[0]!,
                  a[1]!,
                  a[2]!,
                  f0 ? a[3]! : null,
                  f1 ? a[4]! : null,
                  h.lr,
                  h.wd,
                  h.b2,
                  h.eps,
                  h.mu,
                ),
            ],
            ["adagrad", [w, g, nonNeg(s1)], (b, a) => b.rules.adagradRule(a[0]!, a[1]!, a[2]!, h.lr, h.wd, h.eps)],
            [
              "nadam",
              [w, g, s1, nonNeg(s2)],
              (b, a) => b.rules.nadamRule(a[0]!, a[1]!, a[2]!, a[3]!, h.wd, h.b1, h.b2, h.eps, h.lr, h.mu, h.bc2),
            ],
            ["scale", [w], (b, a) => b.rules.scaleInPlace(a[0]!, h.lr * 3)],
            ["clamp", [w], (b, a) => b.rules.clampInPlace(a[0]!, f2 ? h.lr : 0)],
          ];
          for (const [name, inputs, f] of cases) {
            const [got, want] = both(inputs, f);
            expect({ name, got }).toEqual({ name, got: want });
          }
          const [[x]] = both([w], () => {});
          expect(be.rules.sumSquares(inMemory(x as number[]), h.lr)).toBe(
            jsBackend.rules.sumSquares(Float32Array.from(w), h.lr),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("every optimizer's trajectory on wasm memory equals the reference's bit for bit", () => {
    const names: [OptimizerName, Record<string, unknown>][] = [
      ["sgd", { lr: 0.1 }],
      ["sgd", { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
      ["adam", { lr: 0.01, weightDecay: 0.01 }],
      ["adamw", { lr: 0.01, weightDecay: 0.1 }],
      ["rmsprop", { lr: 0.01, centered: true, momentum: 0.5 }],
      ["adagrad", { lr: 0.1, lrDecay: 0.01 }],
      ["nadam", { lr: 0.01 }],
      ["adam", { lr: 0.01, clipNorm: 0.5, clipValue: 0.2 }],
    ];
    for (const [name, options] of names) {
      const run = (backend: typeof be | typeof jsBackend): number[] => {
        const p: Param = {
          name: "w",
          value: new Tensor(backend.alloc("float32", 33), [33]),
          grad: new Tensor(backend.alloc("float32", 33), [33]),
          decay: true,
        };
        p.value.data.set(values(33, 5));
        const opt = optimizerFromConfig({ name, ...options } as never);
        for (let t = 0; t < 6; t++) {
          p.grad.data.set(values(33, 100 + t));
          opt.step([p], backend);
        }
        return Array.from(p.value.data);
      };
      expect({ name, w: run(be) }).toEqual({ name, w: run(jsBackend) });
    }
  });
});

// ------------------------------------------------------------ memory
describe("wasm memory", () => {
  it("views made before the memory grows stay valid, and kernels still see them", () => {
    const b = createWasmBackend();
    const x = b.alloc("float32", 1000) as Float32Array;
    x.set(values(1000, 9));
    const before = b.usage().memoryBytes;
    const big = b.alloc("float32", 5_000_000); // 20 MB: forces several grows
    expect(b.usage().memoryBytes).toBeGreaterThan(before);
    expect(x.length).toBe(1000);
    const y = b.alloc("float32", 1000);
    b.activationForward(getActivation("relu"), x, y, 10, 100);
    const want = new Float32Array(1000);
    getActivation("relu").forward(Float32Array.from(values(1000, 9)), want, 10, 100);
    expect(Array.from(y)).toEqual(Array.from(want));
    expect(big.length).toBe(5_000_000);
  });

  it("freed blocks are reused, zeroed, and coalesce", () => {
    const b = createWasmBackend();
    const a1 = b.alloc("float32", 100);
    const a2 = b.alloc("float32", 100);
    const a3 = b.alloc("float32", 100);
    a1.fill(5);
    a2.fill(6);
    const used = b.usage().allocatedBytes;
    b.free(a2);
    b.free(a1);
    expect(b.usage().allocatedBytes).toBe(used - 2 * 448);
    const both2 = b.alloc("float32", 200); // 832 bytes: fits the two coalesced 448-byte blocks
    expect(both2.byteOffset).toBe(a1.byteOffset);
    expect(b.usage().allocatedBytes).toBe(used - 2 * 448 + 832);
    expect(both2.every((v) => v === 0)).toBe(true);
    expect(a3.byteOffset).toBeGreaterThan(both2.byteOffset);
    b.free(new Float32Array(4)); // not ours: ignored
    expect(b.usage().allocatedBytes).toBe(used - 2 * 448 + 832);
  });

  it("a plain (non-shared) memory has a fixed size and says so when full", () => {
    const b = createWasmBackend({ shared: false, maxBytes: 4 << 20 });
    expect(b.shared).toBe(false);
    b.alloc("float32", 1000);
    expect(() => b.alloc("float32", 1_100_000)).toThrow(
      /out of memory: \d+ bytes needed, 4194304 available .*larger maxBytes/,
    );
    // the kernels still run on it
    const c = b.alloc("float32", 4);
    b.gemm(false, false, 2, 2, 2, inMemory([1, 2, 3, 4]), inMemory([1, 0, 0, 1]), c, false);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    expect(() => createWasmBackend({ maxBytes: 1000 })).toThrow(
      /^createWasmBackend: maxBytes must be an integer in \[65536, 4294967296\], got 1000$/,
    );
  });

  it("dispose ends use of the backend and of a model", () => {
    const b = createWasmBackend();
    b.alloc("float32", 10);
    b.dispose();
    expect(b.memory).toBeNull();
    expect(() => b.alloc("float32", 10)).toThrow("wasm backend: used after dispose()");
    const m = new Sequential({ inputShape: [3], backend: "wasm" });
    m.add(new Dense({ units: 2 }));
    expect(m.memoryBytes()).toBeGreaterThan(0);
    m.dispose();
    expect(m.memoryBytes()).toBe(0); // it used to report the size before dispose
    expect(() => m.predict(Tensor.zeros([1, 3]))).toThrow(
      "predict: the model Sequential (3 → 2) was disposed (dispose() freed its weights and buffers); build or load a new one",
    );
  });

  it("after dispose, every method and every exporter throws DisposedError (they read freed memory before)", async () => {
    for (const backend of ["wasm", "js"] as const) {
      const m = new Sequential({ inputShape: [3], backend, seed: 1 });
      m.add(new Dense({ units: 2 }));
      m.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
      expect(m.isDisposed).toBe(false);
      m.dispose();
      expect(m.isDisposed).toBe(true);
      m.dispose(); // twice is harmless
      const x = Tensor.zeros([1, 3]);
      const y = Tensor.zeros([1, 2]);
      const calls: [string, () => unknown][] = [
        ["predict", () => m.predict(x)],
        ["predictProba", () => m.predictProba(x)],
        ["evaluate", () => m.evaluate(x, y)],
        ["trainOnBatch", () => m.trainOnBatch(x, y)],
        ["trainStep", () => m.trainStep(x, y)],
        ["forward", () => m.forward(x)],
        ["params", () => m.params()],
        ["getWeights", () => m.getWeights()],
        ["setWeights", () => m.setWeights([new Float32Array(6), new Float32Array(2)])],
        ["countParams", () => m.countParams()],
        ["summary", () => m.summary()],
        ["add", () => m.add(new Dense({ units: 1 }))],
        ["compile", () => m.compile({ optimizer: new SGD(), loss: "meanSquaredError" })],
        ["toOnnx", () => toOnnx(m)],
        ["toTfjs", () => toTfjs(m)],
        ["save", () => serialize(m)],
        ["save", () => modelToJSON(m)],
      ];
      for (const [where, call] of calls) {
        expect(call, where).toThrow(DisposedError);
        expect(call, where).toThrow(new RegExp(`^${where}: the model Sequential \\(3 → 2\\) was disposed`));
      }
      await expect(m.fit(x, y)).rejects.toThrow(/^fit: the model Sequential \(3 → 2\) was disposed/);
      expect(m.describe()).toBe("Sequential (3 → 2)"); // what the messages name still works
    }
  });
});

// ------------------------------------------------------------ selection
describe("backend selection", () => {
  it("defaults to wasm here, can be switched, and names what it cannot take", () => {
    expect(backendStatus().name).toBe(getBackend());
    expect(getBackend()).toBe("wasm"); // Node 20 validates SIMD128
    setBackend("js");
    try {
      expect(new Sequential({ inputShape: [2] }).backend.name).toBe("js");
      expect(new Sequential({ inputShape: [2], backend: "wasm" }).backend.name).toBe("wasm");
    } finally {
      setBackend("wasm");
    }
    expect(new Sequential({ inputShape: [2] }).backend.name).toBe("wasm");
    expect(() => setBackend("gpu" as never)).toThrow('setBackend: expected "js" or "wasm", got "gpu"');
    expect(() => resolveBackend("gpu" as never)).toThrow(
      'Sequential: backend must be "js", "wasm" or a Backend object, got "gpu"',
    );
    expect(new Sequential({ inputShape: [2], backend: jsBackend }).backend).toBe(jsBackend);
  });

  it("summary names the backend", () => {
    const m = new Sequential({ inputShape: [4], backend: "js" });
    m.add(new Dense({ units: 2 }));
    expect(m.summary().split("\n")[0]).toBe("Sequential (input (B, 4), float32, backend js)");
  });
});

// ------------------------------------------------------------ layers and models
describe("Dense on wasm (float32) against the float64 reference", () => {
  /*
   * The reference is the float64 JS layer, whose gradients the FD suite
   * checks. With the same weights (float32 values) and input, the wasm layer
   * differs by the float32 rounding, which we bound element by element:
   *   z = x·W + b:   |Δz| ≤ γ_{I+2}·(|x|·|W| + |b|)                 (the GEMM bound above, plus the bias add)
   *   y = f(z):      |Δy| ≤ L1·|Δz| + 2u·|y|                         (L1 ≥ max|f'|, 2u: f evaluated in float64, rounded)
   *   dz = dy⊙f'(z): |Δdz| ≤ |dy|·L2·|Δz| + 2u·|dz|                 (L2 ≥ max|f''| off the kinks)
   *   dW = xᵀ·dz:    |ΔdW| ≤ γ_{B+2}·(|x|ᵀ·|dz|) + |x|ᵀ·|Δdz|
   *   dx = dz·Wᵀ:    |Δdx| ≤ γ_{O+2}·(|dz|·|W|ᵀ) + |Δdz|·|W|ᵀ
   * L1 = 2 and L2 = 4 bound every activation here with alpha ≤ 3 (elu's f'' is
   * α·eˣ ≤ α; selu's is ≤ 1.76; the others' ≤ 1). Inputs keep |z| ≥ 1e-3
   * from ReLU-like kinks, where f' jumps, and 1e-3 from hardSigmoid's at ±2.5.
   */
  it("forward output and every gradient, for every activation", () => {
    const acts = ACTIVATION_NAMES.filter((a) => a !== "softmax" && a !== "logSoftmax"); // row-wise: below
    fc.assert(
      fc.property(
        fc.constantFrom(...acts),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 19 }),
        fc.integer({ min: 1, max: 1e6 }),
        (act: ActivationName, B, I, O, seed) => {
          const make = (backend: "js" | "wasm", dtype: "float32" | "float64") => {
            const m = new Sequential({ inputShape: [I], backend, dtype, seed });
            m.add(
              new Dense({
                units: O,
                activation: act,
                biasInitializer: { name: "randomUniform", minval: -0.1, maxval: 0.1 },
              }),
            );
            return m;
          };
          const w = make("wasm", "float32");
          const r = make("js", "float64");
          const [lw, lr] = [w.layers[0] as Dense, r.layers[0] as Dense];
          for (let k = 0; k < 2; k++) (lr.params()[k] as Param).value.data.set((lw.params()[k] as Param).value.data);
          const x32 = new Tensor(values(B * I, seed), [B, I]);
          const x64 = new Tensor(Float64Array.from(x32.data), [B, I]);
          const y32 = lw.forward(x32, "train");
          const y64 = lr.forward(x64, "train");
          // z from the reference, to keep off the kinks
          const W = lr.params()[0]!.value.data;
          const bias = lr.params()[1]!.value.data;
          const z = new Float64Array(B * O);
          const absXW = new Float64Array(B * O);
          for (let i = 0; i < B; i++) {
            for (let j = 0; j < O; j++) {
              let s = bias[j] as number;
              let sa = Math.abs(bias[j] as number);
              for (let k = 0; k < I; k++) {
                s += (x64.data[i * I + k] as number) * (W[k * O + j] as number);
                sa += Math.abs((x64.data[i * I + k] as number) * (W[k * O + j] as number));
              }
              z[i * O + j] = s;
              absXW[i * O + j] = sa;
            }
          }
          fc.pre(z.every((v) => Math.abs(v) >= 1e-3));
          // hardSigmoid's kinks are where 0.2·z + 0.5 is 0 or 1 (z = ∓2.5)
          if (act === "hardSigmoid") fc.pre(z.every((v) => Math.abs(Math.abs(v) - 2.5) >= 1e-3));
          const g = (n: number) => ((n + 2) * U) / (1 - (n + 2) * U);
          const dZ = absXW.map((s) => g(I) * s);
          y64.data.forEach((v, i) => {
            expect(Math.abs((y32.data[i] as number) - v)).toBeLessThanOrEqual(
              2 * (dZ[i] as number) + 2 * U * Math.abs(v),
            );
          });
          // backward with the same dy
          const dy = values(B * O, seed + 9);
          lw.zeroGrad();
          lr.zeroGrad();
          const dx32 = lw.backward(new Tensor(Float32Array.from(dy), [B, O])) as Tensor;
          const dx64 = lr.backward(new Tensor(Float64Array.from(dy), [B, O])) as Tensor;
          // dz of the reference, recomputed: dz = dy ⊙ f'(z) = the bias gradient's terms
          const dz = new Float64Array(B * O);
          const fz = new Float64Array(B * O);
          const f = getActivation(act);
          f.forward(z, fz, B, O);
          f.backward(z, fz, Float64Array.from(dy), dz, B, O);
          const dDz = dz.map((v, i) => Math.abs(dy[i] as number) * 4 * (dZ[i] as number) + 2 * U * Math.abs(v));
          const gW32 = lw.params()[0]!.grad.data;
          const gW64 = lr.params()[0]!.grad.data;
          for (let k = 0; k < I; k++) {
            for (let j = 0; j < O; j++) {
              let t = 0;
              let e = 0;
              for (let i = 0; i < B; i++) {
                t += Math.abs((x64.data[i * I + k] as number) * (dz[i * O + j] as number));
                e += Math.abs(x64.data[i * I + k] as number) * (dDz[i * O + j] as number);
              }
              const err = Math.abs((gW32[k * O + j] as number) - (gW64[k * O + j] as number));
              expect(err).toBeLessThanOrEqual(g(B) * t + e);
            }
          }
          const gb32 = lw.params()[1]!.grad.data;
          const gb64 = lr.params()[1]!.grad.data;
          for (let j = 0; j < O; j++) {
            let t = 0;
            let e = 0;
            for (let i = 0; i < B; i++) {
              t += Math.abs(dz[i * O + j] as number);
              e += dDz[i * O + j] as number;
            }
            expect(Math.abs((gb32[j] as number) - (gb64[j] as number))).toBeLessThanOrEqual(g(B) * t + e);
          }
          for (let i = 0; i < B; i++) {
            for (let k = 0; k < I; k++) {
              let t = 0;
              let e = 0;
              for (let j = 0; j < O; j++) {
                t += Math.abs((dz[i * O + j] as number) * (W[k * O + j] as number));
                e += (dDz[i * O + j] as number) * Math.abs(W[k * O + j] as number);
              }
              const err = Math.abs((dx32.data[i * I + k] as number) - (dx64.data[i * I + k] as number));
              expect(err).toBeLessThanOrEqual(g(O) * t + e);
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe("training on wasm", () => {
  function model(seed: number): Sequential {
    const m = new Sequential({ inputShape: [20], seed, backend: "wasm" });
    m.add(new Dense({ units: 33, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(new Dense({ units: 4 }));
    m.compile({ optimizer: new Adam({ lr: 1e-2 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
    return m;
  }
  const x = new Tensor(values(96 * 20, 4), [96, 20]);
  const y = Uint8Array.from({ length: 96 }, (_, i) => ((x.data[i * 20] as number) > 0 ? 1 : 0) + (i % 2) * 2);
  const weights = (m: Sequential) => m.params().flatMap((p) => Array.from(p.value.data));

  it("same seed, same bits; a checkpoint resumes bit-exactly on wasm", async () => {
    const a = model(3);
    await a.fit(x, y, { epochs: 4, batchSize: 16 });
    const b = model(3);
    let ckpt: Uint8Array | null = null;
    await b.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      callbacks: {
        onEpochEnd: (e) => {
          if (e === 1) ckpt = checkpoint(b);
        },
      },
    });
    const { model: c, training } = deserialize(ckpt as unknown as Uint8Array, { backend: "wasm" });
    expect(c.backend.name).toBe("wasm");
    await c.fit(x, y, { epochs: 4, batchSize: 16, resume: training as never });
    expect(weights(c)).toEqual(weights(a));
  });

  it("a wasm checkpoint trains on under js (not bit-exact, documented)", async () => {
    const a = model(4);
    await a.fit(x, y, { epochs: 2, batchSize: 16 });
    const { model: c } = deserialize(serialize(a), { backend: "js" });
    expect(c.backend.name).toBe("js");
    c.compile({ optimizer: new SGD({ lr: 0.05 }), loss: "sparseCategoricalCrossEntropy" });
    const before = c.evaluate(x, y).loss as number;
    await c.fit(x, y, { epochs: 5, batchSize: 16 });
    expect(c.evaluate(x, y).loss as number).toBeLessThan(before);
  });
});

describe("committed module", () => {
  it("is what scripts/wasm/kernels.ts assembles to (and so is the plain-memory variant derived from it)", async () => {
    const { kernelsWat } = await import("../scripts/wasm/kernels.js");
    const wabt = await (await import("wabt")).default();
    const plain = Buffer.from(plainMemoryModule(Buffer.from(WASM_SHARED, "base64"))).toString("base64");
    for (const [shared, b64] of [
      [true, WASM_SHARED],
      [false, plain], // derived at run time from the shared variant
    ] as const) {
      const mod = wabt.parseWat("k.wat", kernelsWat(shared), { simd: true, threads: true, bulk_memory: true });
      mod.resolveNames();
      const { buffer } = mod.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true });
      mod.destroy();
      expect(Buffer.from(buffer).toString("base64")).toBe(b64);
    }
  });
});
