/**
 * A hint for unscaled regression, given once at the start of fit: an MLP's
 * initial outputs are O(1), so targets in the hundreds of thousands (prices,
 * populations) leave a loss of ~10¹⁰ whose gradients swamp the initial
 * weights, and features in the thousands saturate the first layer. Training
 * then crawls or diverges with no other clue (a house-price model ended at a
 * loss of 5.6e9; scaled, it reached R² 0.995). The check reads the data once
 * and only for the regression losses; a Normalization layer where it belongs
 * (first for features, inverting last for targets) turns its half off.
 */
import type { DataSource } from "../data.js";
import { sampleSize } from "../data.js";
import type { Layer } from "../layer.js";
import type { Loss } from "../losses.js";

/** Root-mean-square target above which the hint speaks. */
export const TARGET_SCALE_LIMIT = 100;
/** Largest |feature| above which the hint speaks. */
export const FEATURE_SCALE_LIMIT = 1000;

/** Σv² and max|v| of a source's first n samples, 4,096 at a time. */
function magnitudes(src: DataSource, n: number): { rms: number; max: number } {
  const D = sampleSize(src);
  const chunk = Math.max(1, Math.min(4096, Math.floor(1e6 / Math.max(1, D))));
  const buf = new Float64Array(chunk * D);
  const idx = new Int32Array(chunk);
  let ss = 0;
  let max = 0;
  for (let s = 0; s < n; s += chunk) {
    const count = Math.min(chunk, n - s);
    for (let i = 0; i < count; i++) idx[i] = s + i;
    src.gather(idx, 0, count, buf);
    for (let i = 0; i < count * D; i++) {
      const v = buf[i] as number;
      ss += v * v;
      if (Math.abs(v) > max) max = Math.abs(v);
    }
  }
  return { rms: Math.sqrt(ss / Math.max(1, n * D)), max };
}

/**
 * The hint's text for a fit, or null when there is nothing to say: only for
 * meanSquaredError, meanAbsoluteError and huber.
 * @internal
 */
export function scaleHint(
  layers: readonly Layer[],
  loss: Loss,
  xs: DataSource,
  ys: DataSource,
  n: number,
): string | null {
  if (!["meanSquaredError", "meanAbsoluteError", "huber"].includes(loss.name) || n === 0) return null;
  const first = layers[0]?.toConfig();
  const last = layers.at(-1)?.toConfig();
  const scaledIn = first?.kind === "normalization" && first.invert === false;
  const scaledOut = last?.kind === "normalization" && last.invert === true;
  const advice: string[] = [];
  if (!scaledOut) {
    const { rms } = magnitudes(ys, n);
    if (rms > TARGET_SCALE_LIMIT)
      advice.push(
        `the targets are large (root mean square ${rms.toPrecision(3)}); fit on scaled targets: ` +
          "const yNorm = new Normalization().adapt(y); fit(x, yNorm.apply(y)); then model.add(yNorm.inverse()) to predict in their units",
      );
  }
  if (!scaledIn) {
    const { max } = magnitudes(xs, n);
    if (max > FEATURE_SCALE_LIMIT)
      advice.push(
        `features reach ${max.toPrecision(3)}; put a Normalization layer first: new Normalization().adapt(x)`,
      );
  }
  if (advice.length === 0) return null;
  return `fit: ${advice.join("; and ")} (fit({ onScaleHint: null }) silences this)`;
}
