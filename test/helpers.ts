/** Shared test helpers: seeded random tensors and gradient-check tolerances. */
import { type DType, Rng, Tensor } from "../src/index.js";

/**
 * Tolerances for central differences in float64 (h = 1e-5): truncation error
 * ≤ h²/6·|L'''| ≈ 1.7e-11·|L'''| and rounding ≈ ε·|L|/h ≈ 2.2e-11·|L|. Our
 * test losses stay below ~100 in value and third derivative, so errors are
 * below ~4e-9: atol 1e-8 / rtol 1e-7 keep a 2.5× margin over that bound
 * while a wrong formula (off by O(|g|), i.e. ≥ 1e-2 here) fails by six
 * orders of magnitude.
 */
export const GRAD_TOL = { atol: 1e-8, rtol: 1e-7 } as const;

/**
 * Binary cross-entropy on probabilities p ∈ [0.02, 0.98] breaks the
 * |L'''| ≲ 100 assumption: per element |d³/dp³ (−t·ln p − (1−t)·ln(1−p))|
 * ≤ 2/p³ + 2/(1−p)³ ≈ 2.5e5 at p = 0.02, so the truncation error reaches
 * h²/6 · 2.5e5 ≈ 4.2e-6 (for a batch of one element; the mean divides it by
 * B·K). atol 5e-6 covers that bound; where the gradient is large, rtol
 * stays as tight as GRAD_TOL's.
 */
export const BCE_PROBABILITY_TOL = { atol: 5e-6, rtol: 1e-7 } as const;

/** A tensor of uniform values in [lo, hi) from a seed. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1, dtype: DType = "float64"): Tensor {
  const t = Tensor.zeros(shape, dtype);
  const rng = new Rng(seed);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(lo, hi);
  return t;
}

/** Number of fast-check runs for every property (the issue asks for at least 100). */
export const RUNS = 100;

/** A path into a JSON document: object keys and array indices. */
export type JsonPath = (string | number)[];

/** Every path into a JSON value, the value's own (`[]`) included; arrays contribute their first `maxItems` entries. */
export function jsonPaths(v: unknown, maxItems = Number.POSITIVE_INFINITY, prefix: JsonPath = []): JsonPath[] {
  if (typeof v !== "object" || v === null) return [prefix];
  const keys = Array.isArray(v) ? v.map((_, i) => i).slice(0, maxItems) : Object.keys(v);
  return [
    prefix,
    ...keys.flatMap((k) => jsonPaths((v as Record<string | number, unknown>)[k], maxItems, [...prefix, k])),
  ];
}

/**
 * Changes `doc` in place at a non-empty `path`: "replace" sets the field to
 * `value`, "remove" deletes it (an array entry is spliced out). Returns the
 * field's parent and key, for mutations of its own (adding keys).
 */
export function mutateAt(
  doc: unknown,
  path: JsonPath,
  op: "replace" | "remove" | "none",
  value?: unknown,
): { parent: Record<string | number, unknown>; key: string | number } {
  let parent = doc as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path[path.length - 1] as string | number;
  if (op === "replace") parent[key] = value;
  else if (op === "remove") {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  }
  return { parent, key };
}

/** A binary model file whose header is `text` and no arrays follow (the 12-byte preamble, the text, zero padding to 8). */
export function headerOnlyFile(text: string): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array((12 + json.length + 7) & ~7);
  out.set([0x54, 0x4d, 0x4c, 0x50]);
  const view = new DataView(out.buffer);
  view.setUint32(4, 1, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  return out;
}
