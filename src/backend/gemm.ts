/**
 * Matrix products for dense layers, as plain loops.
 *
 * Legend: C (M, N) += op(A) (M, K) · op(B) (K, N), all row-major, where
 * op(X) is X or Xᵀ. With the kernel layout W: (in, out) a Dense layer needs:
 *   forward   Y  (B, out) = X (B, in) · W (in, out)          gemm(false, false)
 *   backward  dW (in, out) += Xᵀ (in, B) · dY (B, out)       gemm(true,  false)
 *   backward  dX (B, in)  = dY (B, out) · Wᵀ (out, in)       gemm(false, true)
 *
 * `gemmNaive` is the readable reference and the test oracle. `gemm` computes
 * the same sums the way fast CPU code does (Goto/BLIS): the K dimension is cut
 * into blocks of KC, A into blocks of MC rows; each block of op(A) and op(B)
 * is *packed* into contiguous k-major slivers of MR rows / NR columns (which
 * absorbs the transposes), and a micro-kernel keeps an MR×NR tile of C in
 * local variables (registers) while it walks K. The packed buffers are plain
 * JS arrays of doubles (V8's PACKED_DOUBLE_ELEMENTS), whatever the tensors'
 * dtype: the micro-kernel sees one array type, accumulates in double
 * precision, and V8 loads from such arrays faster than from a Float64Array
 * (measured here: 4.5 vs 3 GFLOP/s for the same 3×2 loop).
 * Indices are written `(a + b) | 0` so V8 keeps them as 32-bit integers.
 */
import type { FloatArray } from "../tensor.js";

/**
 * Reference product: `C (+)= op(A)·op(B)` with three plain loops.
 *
 * @param transA use Aᵀ: A is stored (K, M) instead of (M, K)
 * @param transB use Bᵀ: B is stored (N, K) instead of (K, N)
 * @param accumulate add into C instead of overwriting it
 * @example
 * ```ts
 * // C (2, 2) = A (2, 3) · B (3, 2)
 * gemmNaive(false, false, 2, 2, 3, a, b, c, false);
 * ```
 */
export function gemmNaive(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) {
        const a = transA ? A[p * M + i] : A[i * K + p];
        const b = transB ? B[j * K + p] : B[p * N + j];
        s += (a as number) * (b as number);
      }
      C[i * N + j] = accumulate ? (C[i * N + j] as number) + s : s;
    }
  }
}

/** Rows of the register tile (rows of op(A) per micro-panel). */
export const MR = 3;
/** Columns of the register tile (columns of op(B) per micro-panel). */
export const NR = 2;
/** Depth of one K block. */
export const KC = 256;
/** Rows of op(A) packed at once. */
export const MC = 120; // a multiple of MR

/**
 * A JS array of n zeros whose elements kind is PACKED_DOUBLE: built by push
 * (Array.from and new Array(n) give holey arrays, whose loads need a hole check).
 */
function doubles(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0.5);
  return a.fill(0);
}

const packA: number[] = doubles(MC * KC);
let packB: number[] = doubles(0);

/**
 * Blocked, packed product: the same result as {@link gemmNaive} (up to
 * rounding order), several times faster. Allocation-free once its packing
 * buffer has grown to the largest N seen.
 *
 * @example
 * ```ts
 * gemm(false, false, M, N, K, a, b, c, false);
 * ```
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate: boolean,
): void {
  if (!accumulate) C.fill(0, 0, M * N);
  if (M === 0 || N === 0 || K === 0) return;
  if (M < SMALL && !transA) {
    gemmFewRows(transB, M, N, K, A, B, C);
    return;
  }
  if (K < SMALL) {
    gemmThin(transA, transB, M, N, K, A, B, C);
    return;
  }
  const nPanels = ((N + NR - 1) / NR) | 0;
  const needB = nPanels * NR * KC;
  if (packB.length < needB) packB = doubles(needB);
  const bp = packB;
  const ap = packA;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    packBlockB(transB, N, K, B, pc, kc, bp);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      packBlockA(transA, M, K, A, ic, mc, pc, kc, ap);
      const mPanels = ((mc + MR - 1) / MR) | 0;
      for (let jp = 0; jp < nPanels; jp++) {
        const j0 = (jp * NR) | 0;
        const nr = Math.min(NR, N - j0);
        const bOff = (jp * NR * kc) | 0;
        for (let ipn = 0; ipn < mPanels; ipn++) {
          const i0 = (ic + ipn * MR) | 0;
          const mr = Math.min(MR, M - i0);
          micro(kc, ap, (ipn * MR * kc) | 0, bp, bOff, C, i0, j0, N, mr, nr);
        }
      }
    }
  }
}

/**
 * With fewer rows than this (per-sample training, B = 1), packing the whole of
 * op(B) would cost as much as the product; with a K this thin (the weight
 * gradient of a per-sample step), each micro-kernel call would do a single
 * step. Both cases use direct loops instead.
 */
const SMALL = 4;

/** C (+)= A·op(B) for a few rows of A, without packing. */
function gemmFewRows(
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
): void {
  if (!transB) {
    // C[i, :] += A[i, p]·B[p, :]: contiguous rows of B, exactly gemmThin's loop
    gemmThin(false, false, M, N, K, A, B, C);
    return;
  }
  // C[i, j] += Σ_p A[i, p]·B[j, p]: a dot product of two contiguous rows
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    const ai = i * K;
    for (let j = 0; j < N; j++) {
      const bj = j * K;
      let s = 0;
      for (let p = 0; p < K; p++) s += (A[(ai + p) | 0] as number) * (B[(bj + p) | 0] as number);
      C[ci + j] = (C[ci + j] as number) + s;
    }
  }
}

/** C (+)= op(A)·op(B) for a thin K: a sum of K outer products (rank-1 updates). */
function gemmThin(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
): void {
  for (let p = 0; p < K; p++) {
    for (let i = 0; i < M; i++) {
      const a = (transA ? A[p * M + i] : A[i * K + p]) as number;
      if (a === 0) continue; // e.g. blank pixels
      const ci = i * N;
      if (transB) {
        for (let j = 0; j < N; j++) C[(ci + j) | 0] = (C[(ci + j) | 0] as number) + a * (B[(j * K + p) | 0] as number);
      } else {
        const bp = p * N;
        for (let j = 0; j < N; j++) C[(ci + j) | 0] = (C[(ci + j) | 0] as number) + a * (B[(bp + j) | 0] as number);
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] into slivers of MR rows, k-major, zero-padded. */
function packBlockA(
  transA: boolean,
  M: number,
  K: number,
  A: FloatArray,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  ap: number[],
): void {
  const mPanels = ((mc + MR - 1) / MR) | 0;
  for (let ipn = 0; ipn < mPanels; ipn++) {
    const base = (ipn * MR * kc) | 0;
    for (let r = 0; r < MR; r++) {
      const i = (ic + ipn * MR + r) | 0;
      if (i >= ic + mc) {
        for (let p = 0; p < kc; p++) ap[(base + p * MR + r) | 0] = 0;
      } else if (transA) {
        // op(A)(i, p) = A[p, i], A stored (K, M)
        for (let p = 0; p < kc; p++) ap[(base + p * MR + r) | 0] = A[((pc + p) * M + i) | 0] as number;
      } else {
        const row = (i * K + pc) | 0;
        for (let p = 0; p < kc; p++) ap[(base + p * MR + r) | 0] = A[(row + p) | 0] as number;
      }
    }
  }
}

/** Packs op(B)[pc:pc+kc, 0:N] into slivers of NR columns, k-major, zero-padded. */
function packBlockB(transB: boolean, N: number, K: number, B: FloatArray, pc: number, kc: number, bp: number[]): void {
  const nPanels = ((N + NR - 1) / NR) | 0;
  if (transB) {
    // op(B)(p, j) = B[j, p], B stored (N, K)
    for (let jp = 0; jp < nPanels; jp++) {
      const base = (jp * NR * kc) | 0;
      for (let c = 0; c < NR; c++) {
        const j = (jp * NR + c) | 0;
        if (j >= N) {
          for (let p = 0; p < kc; p++) bp[(base + p * NR + c) | 0] = 0;
        } else {
          const row = (j * K + pc) | 0;
          for (let p = 0; p < kc; p++) bp[(base + p * NR + c) | 0] = B[(row + p) | 0] as number;
        }
      }
    }
  } else {
    for (let p = 0; p < kc; p++) {
      const row = ((pc + p) * N) | 0;
      for (let jp = 0; jp < nPanels; jp++) {
        const dst = (jp * NR * kc + p * NR) | 0;
        for (let c = 0; c < NR; c++) {
          const j = (jp * NR + c) | 0;
          bp[(dst + c) | 0] = j < N ? (B[(row + j) | 0] as number) : 0;
        }
      }
    }
  }
}

/**
 * The register tile: C[i0:i0+mr, j0:j0+nr] += Ap_sliver · Bp_sliver.
 * Six accumulators (3×2) fit in x64's 16 vector registers with the loaded
 * operands; bigger tiles spill and get slower in V8.
 */
function micro(
  kc: number,
  ap: number[],
  aOff: number,
  bp: number[],
  bOff: number,
  C: FloatArray,
  i0: number,
  j0: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c10 = 0;
  let c11 = 0;
  let c20 = 0;
  let c21 = 0;
  let a = aOff | 0;
  let b = bOff | 0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[a] as number;
    const a1 = ap[(a + 1) | 0] as number;
    const a2 = ap[(a + 2) | 0] as number;
    const b0 = bp[b] as number;
    const b1 = bp[(b + 1) | 0] as number;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c20 += a2 * b0;
    c21 += a2 * b1;
    a = (a + 3) | 0;
    b = (b + 2) | 0;
  }
  const r0 = (i0 * ldc + j0) | 0;
  if (mr === 3 && nr === 2) {
    const r1 = (r0 + ldc) | 0;
    const r2 = (r1 + ldc) | 0;
    C[r0] = (C[r0] as number) + c00;
    C[(r0 + 1) | 0] = (C[(r0 + 1) | 0] as number) + c01;
    C[r1] = (C[r1] as number) + c10;
    C[(r1 + 1) | 0] = (C[(r1 + 1) | 0] as number) + c11;
    C[r2] = (C[r2] as number) + c20;
    C[(r2 + 1) | 0] = (C[(r2 + 1) | 0] as number) + c21;
    return;
  }
  // Edge tile: write back only the rows and columns that exist.
  const r1 = (r0 + ldc) | 0;
  const r2 = (r1 + ldc) | 0;
  C[r0] = (C[r0] as number) + c00;
  if (nr > 1) C[(r0 + 1) | 0] = (C[(r0 + 1) | 0] as number) + c01;
  if (mr > 1) {
    C[r1] = (C[r1] as number) + c10;
    if (nr > 1) C[(r1 + 1) | 0] = (C[(r1 + 1) | 0] as number) + c11;
  }
  if (mr > 2) {
    C[r2] = (C[r2] as number) + c20;
    if (nr > 1) C[(r2 + 1) | 0] = (C[(r2 + 1) | 0] as number) + c21;
  }
}
