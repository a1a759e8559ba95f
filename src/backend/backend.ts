/**
 * The backend seam: every float buffer a model holds and every hot loop it
 * runs go through one `Backend` object, reached through the model's
 * `BuildContext` (layers) or passed to `Optimizer.step` (optimizers). Layers
 * never import a kernel file.
 *
 * `jsBackend` (src/backend/js.ts) is the plain-JS implementation: the
 * readable reference, the test oracle and the fallback. A faster
 * implementation (WebAssembly) provides the same functions over buffers it
 * allocates itself, and must compute what the reference computes.
 *
 * Legend of the GEMM: C (M, N) (+)= op(A) (M, K) · op(B) (K, N), row-major,
 * op(X) = X or Xᵀ. A Dense layer with W: (in, out) uses
 *   forward   Z  (B, out)  = X (B, in) · W (in, out)       gemm(false, false)
 *   backward  dW (in, out) += Xᵀ · dZ                      gemm(true,  false, accumulate)
 *   backward  dX (B, in)   = dZ · Wᵀ                       gemm(false, true)
 */
import type { ActivationFunction } from "../activations.js";
import type { DType, FloatArray } from "../tensor.js";

/**
 * What a backend provides. All arrays are row-major; every function writes
 * only its output arguments.
 * @example
 * ```ts
 * const w = jsBackend.alloc("float32", 784 * 256);
 * jsBackend.gemm(false, false, B, 256, 784, x, w, z, false);
 * ```
 */
export interface Backend {
  /** `"js"` for the reference implementation. */
  readonly name: string;
  /** A zeroed array of `n` elements: every buffer of a model (weights, gradients, slots, activations) comes from here. */
  alloc(dtype: DType, n: number): FloatArray;
  /** Gives back an array from `alloc` that nothing uses any more (optional: the JS backend leaves it to the GC). */
  free?(a: FloatArray): void;
  /** Frees everything the backend allocated (optional); the backend cannot be used afterwards. */
  dispose?(): void;
  /** Bytes handed out by `alloc` and not freed, and the size of the memory behind them (optional). */
  usage?(): {
    /** Bytes handed out and not freed. */
    allocatedBytes: number;
    /** Bytes the backend's memory holds (allocated, free and overhead). */
    memoryBytes: number;
  };
  /** C (+)= op(A)·op(B); see the legend above. `accumulate` adds into C instead of overwriting it. */
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: FloatArray,
    B: FloatArray,
    C: FloatArray,
    accumulate: boolean,
  ): void;
  /** z[r, :] = b for each of the `rows` rows of z: (rows, b.length). */
  broadcastRows(b: FloatArray, z: FloatArray, rows: number): void;
  /** db[j] += Σ_r dz[r, j], dz: (rows, db.length). */
  addColumnSums(dz: FloatArray, db: FloatArray, rows: number): void;
  /** y = f(x) for an activation over (rows, cols). */
  activationForward(f: ActivationFunction, x: FloatArray, y: FloatArray, rows: number, cols: number): void;
  /** dx = dy ⊙ f'(x) over (rows, cols) (dx may be dy). */
  activationBackward(
    f: ActivationFunction,
    x: FloatArray,
    y: FloatArray,
    dy: FloatArray,
    dx: FloatArray,
    rows: number,
    cols: number,
  ): void;
  /** y[i] = x[i]·m[i] for i < n (dropout's mask). */
  multiply(x: FloatArray, m: FloatArray, y: FloatArray, n: number): void;
  /**
   * Deforms `count` images in place as `deformImages` of src/augment.ts does
   * (ImageAugmentation's elastic and affine warp), with its bits (optional).
   * Returns false, having done nothing, when it cannot take these arrays:
   * the caller then runs the JS reference. `fields` may be overwritten.
   */
  deformImages?(
    images: FloatArray,
    count: number,
    height: number,
    width: number,
    params: Float64Array,
    fields: Float64Array | null,
    kernel: Float64Array | null,
    alpha: number,
  ): boolean;
  /** The optimizer rules of src/backend/rules.ts, with the same signatures. */
  readonly rules: typeof import("./rules.js");
}
