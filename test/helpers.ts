/** Shared test helpers: seeded random tensors and gradient-check tolerances. */
import { type DType, Rng, Tensor } from "../src/index.js";

/**
 * Tolerances for central differences in float64 (h = 1e-5): truncation error
 * ≈ h²/6·|L'''| ≈ 2e-11·|L'''| and rounding ≈ ε·|L|/h ≈ 2e-11·|L|. Our test
 * losses stay below ~100 in value and third derivative, so errors are below
 * ~4e-9; atol 1e-6 / rtol 1e-5 leave a wide margin without hiding a wrong
 * gradient (a wrong formula is off by O(|g|), i.e. ≥ 1e-2 here).
 */
export const GRAD_TOL = { atol: 1e-6, rtol: 1e-5 } as const;

/** A tensor of uniform values in [lo, hi) from a seed. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1, dtype: DType = "float64"): Tensor {
  const t = Tensor.zeros(shape, dtype);
  const rng = new Rng(seed);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(lo, hi);
  return t;
}

/** Number of fast-check runs for every property (the issue asks for at least 100). */
export const RUNS = 100;
