/**
 * Checks of a whole data set, once, before any work: inputs finite, targets
 * what the loss needs. Errors name the **dataset index** (not a row of a
 * shuffled batch that comes round later), and values are checked as given,
 * before any conversion (a label 1.0000000001 would round to 1 in float32).
 *
 * Cost: one pass over the data. Byte sources (`Uint8Source`, MNIST as
 * loaded) hold no NaN and skip the input pass; labels are one comparison
 * each. `checkData: false` in the options of fit/evaluate/predict skips it.
 */
import { type DataSource, LabelSource, sampleSize, TensorSource, Uint8Source } from "./data.js";
import { ValueError } from "./errors.js";
import type { Loss } from "./losses.js";
import { show } from "./options.js";
import { allocFloat } from "./tensor.js";

/** Values of sample `i` (a view for tensors; gathered for other sources). */
function scan(src: DataSource, visit: (i: number, v: ArrayLike<number>, offset: number, size: number) => void): void {
  const size = sampleSize(src);
  if (src instanceof TensorSource) {
    const d = src.tensor.data;
    for (let i = 0; i < src.length; i++) visit(i, d, i * size, size);
    return;
  }
  if (src instanceof LabelSource) {
    const v = src.values;
    for (let i = 0; i < src.length; i++) visit(i, v, i, 1);
    return;
  }
  // any other source: gather in chunks of 256 samples, in order
  const chunk = 256;
  const buf = allocFloat("float64", chunk * size);
  const idx = new Uint32Array(chunk);
  for (let s = 0; s < src.length; s += chunk) {
    const n = Math.min(chunk, src.length - s);
    for (let r = 0; r < n; r++) idx[r] = s + r;
    src.gather(idx, 0, n, buf);
    for (let r = 0; r < n; r++) visit(s + r, buf, r * size, size);
  }
}

/**
 * Throws a ValueError naming the first sample of `x` holding NaN or ±Infinity.
 * @example
 * ```ts
 * requireFiniteInputs("predict", toSource(x), "x"); // predict: x[12] holds NaN at element 345
 * ```
 */
export function requireFiniteInputs(where: string, x: DataSource, name = "x"): void {
  if (x instanceof Uint8Source) return; // bytes are finite
  scan(x, (i, v, o, n) => {
    for (let k = 0; k < n; k++) {
      const e = v[o + k] as number;
      if (!Number.isFinite(e)) {
        throw new ValueError(
          `${where}: ${name}[${i}] holds ${shown(e)} at element ${k}; inputs must be finite numbers`,
        );
      }
    }
  });
}

/**
 * Throws a ValueError naming the first target of `y` the loss cannot take:
 * integer labels in [0, K) for sparse categorical cross-entropy (K the
 * model's outputs), values in [0, 1] for binary cross-entropy, rows that are
 * distributions (entries in [0, 1] summing to 1 ± 1e-4) for categorical
 * cross-entropy, finite values for the regression losses.
 * @example
 * ```ts
 * checkTargets("fit", loss, 10, toSource(labels), "y"); // fit: y[250] is 10; …
 * ```
 */
export function checkTargets(where: string, loss: Loss, outputs: number, y: DataSource, name = "y"): void {
  const lossName = loss.name;
  if (lossName === "sparseCategoricalCrossEntropy") {
    scan(y, (i, v, o, n) => {
      for (let k = 0; k < n; k++) {
        const label = v[o + k] as number;
        if (!Number.isInteger(label) || label < 0 || label >= outputs) {
          throw new ValueError(
            `${where}: ${name}[${i}] is ${shown(label)}; ${lossName} needs integer labels in [0, ${outputs - 1}] (the model has ${outputs} outputs)`,
          );
        }
      }
    });
    return;
  }
  if (lossName === "binaryCrossEntropy") {
    scan(y, (i, v, o, n) => {
      for (let k = 0; k < n; k++) {
        const t = v[o + k] as number;
        if (!(t >= 0 && t <= 1)) {
          throw new ValueError(
            `${where}: ${name}[${i}] holds ${shown(t)} at element ${k}; ${lossName} needs targets in [0, 1]`,
          );
        }
      }
    });
    return;
  }
  if (lossName === "categoricalCrossEntropy") {
    // 1e-4: a float32 row of K ≤ 1000 entries sums with an error ≤ K·2⁻²⁴ ≈ 6e-5,
    // and rows written as rounded decimals (0.1 × 10) are within that too
    scan(y, (i, v, o, n) => {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const t = v[o + k] as number;
        if (!(t >= 0 && t <= 1)) {
          throw new ValueError(
            `${where}: ${name}[${i}] holds ${shown(t)} at element ${k}; ${lossName} needs rows that are distributions (entries in [0, 1] summing to 1)`,
          );
        }
        sum += t;
      }
      if (!(Math.abs(sum - 1) <= 1e-4)) {
        throw new ValueError(
          `${where}: ${name}[${i}] sums to ${sum}; ${lossName} needs rows that are distributions (summing to 1); for integer labels use sparseCategoricalCrossEntropy`,
        );
      }
    });
    return;
  }
  scan(y, (i, v, o, n) => {
    for (let k = 0; k < n; k++) {
      const t = v[o + k] as number;
      if (!Number.isFinite(t)) {
        throw new ValueError(
          `${where}: ${name}[${i}] holds ${shown(t)} at element ${k}; targets must be finite numbers`,
        );
      }
    }
  });
}

/**
 * A value from the caller's data as a message shows it: a number as itself,
 * anything else with what it is (`the string "a"`), so that a label array of
 * strings does not read as if the string were a number.
 */
function shown(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${show(v)}`;
  return `${show(v)}, which is not a number`;
}
