/**
 * Feature scaling as a layer: each feature j shifted by its mean m_j and
 * divided by its standard deviation s_j (scikit-learn's StandardScaler,
 * Keras's Normalization). The statistics come from `adapt(data)`, one
 * streaming pass over the training set, and are saved with the model as two
 * parameters that training never changes.
 *
 *   forward:  y = (x − m) / s          invert: y = x·s + m
 *   backward: dx = dy / s              invert: dx = dy·s
 *
 * with s_j = √v_j, or 1 where v_j = 0: a constant feature passes through
 * centred (to 0) instead of dividing by zero, as StandardScaler does.
 * `adapt` decides "constant" as StandardScaler does too: a variance within
 * the rounding error of its own computation, n·ε·v + (n·ε·m)², is taken as
 * exactly 0 (a column of 0.1s has a float64 variance of ~1e-34, not 0).
 */

import { type DataLike, sampleSize, toSource } from "./data.js";
import { ShapeError, ValueError } from "./errors.js";
import {
  BatchBuffers,
  type BuildContext,
  batchSizeOf,
  type Layer,
  type LayerConfig,
  type LayerOptions,
  type LayerShapes,
  layerOptions,
  type Param,
  zerosIn,
} from "./layer.js";
import { INPUT_SHAPE_SPEC, NAME_SPEC, OptionError, parseOptions, show } from "./options.js";
import { type FloatArray, Tensor } from "./tensor.js";

/** Options of {@link Normalization}. */
export interface NormalizationOptions extends LayerOptions {
  /** Undo the scaling instead: y = x·s + m (default false). For a model trained on scaled targets. */
  invert?: boolean;
  /** Per-feature means, if known (instead of `adapt`); with `variance`. */
  mean?: readonly number[];
  /** Per-feature variances (≥ 0), if known (instead of `adapt`); with `mean`. */
  variance?: readonly number[];
}

/** A list of finite numbers (variances: ≥ 0), at most 10⁷ long. */
const stats = (nonNegative: boolean) =>
  ({
    type: "custom",
    parse: (v: unknown): number[] => {
      if (!Array.isArray(v) || v.length === 0 || v.length > 10_000_000)
        throw new OptionError("", "", `must be a non-empty list of numbers, got ${show(v)}`);
      v.forEach((x, i) => {
        if (typeof x !== "number" || !Number.isFinite(x) || (nonNegative && x < 0))
          throw new OptionError(
            "",
            "",
            `element ${i} must be a finite number${nonNegative ? " >= 0" : ""}, got ${show(x)}`,
          );
      });
      return [...v];
    },
  }) as const;

/**
 * Per-feature standardization, trained by `adapt` rather than by the
 * optimizer; or, with `invert: true`, its inverse. Put one first in a model
 * to feed it raw features; train on targets scaled by another, and append its
 * {@link Normalization.inverse} to predict in the target's units.
 * @example
 * ```ts
 * const norm = new Normalization();
 * norm.adapt(xTrain);                       // per-feature mean and variance
 * const model = new Sequential({ inputShape: [xTrain.shape[1]], layers: [norm, new Dense({ units: 1 })] });
 * const yNorm = new Normalization();
 * yNorm.adapt(yTrain);
 * await model.fit(xTrain, yNorm.apply(yTrain), { epochs: 100 });
 * model.add(yNorm.inverse());               // predictions in the target's units
 * ```
 */
export class Normalization implements Layer {
  /** The layer kind in configs and saved files. */
  readonly kind = "normalization" as const;
  name: string;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  /** Whether the layer undoes the scaling (y = x·s + m). */
  readonly invert: boolean;
  /** Per-feature mean (D): saved with the model, not trained. */
  mean: Param | null = null;
  /** Per-feature variance (D): saved with the model, not trained. */
  variance: Param | null = null;
  private shape: readonly number[] = [];
  private ctx: BuildContext | null = null;
  /** Statistics known before build (from options or adapt), in float64. */
  private pending: { mean: Float64Array; variance: Float64Array } | null = null;
  private readonly yBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );
  private readonly dxBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );

  /** Options: their types, ranges and defaults (the constructor and the loader both parse through it). */
  static readonly options = {
    name: NAME_SPEC,
    inputShape: INPUT_SHAPE_SPEC,
    invert: { type: "boolean", default: false },
    mean: stats(false),
    variance: stats(true),
  } as const;

  /** A Normalization layer from its {@link Normalization.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Normalization {
    return new Normalization(layerOptions(cfg) as NormalizationOptions);
  }

  constructor(opts: NormalizationOptions = {}) {
    const o = parseOptions("Normalization", Normalization.options, opts);
    this.name = o.name ?? "";
    this.inputShape = o.inputShape;
    this.invert = o.invert;
    if ((o.mean === undefined) !== (o.variance === undefined))
      throw new OptionError(
        "Normalization",
        o.mean ? "variance" : "mean",
        "is needed with the other (mean and variance come together)",
      );
    if (o.mean && o.variance) {
      if (o.mean.length !== o.variance.length)
        throw new OptionError(
          "Normalization",
          "variance",
          `has ${o.variance.length} values, mean has ${o.mean.length}`,
        );
      this.pending = { mean: Float64Array.from(o.mean), variance: Float64Array.from(o.variance) };
    }
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  /** Features per sample: the statistics' length. */
  private get features(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The same shape out as in; the mean and the variance, one value per element of a sample. */
  paramShapes(inputShape: readonly number[]): LayerShapes {
    const D = inputShape.reduce((a, b) => a * b, 1);
    if (this.pending && this.pending.mean.length !== D) {
      throw new ShapeError(
        `normalization layer '${this.name}': its statistics have ${this.pending.mean.length} features, the input (${inputShape.join(", ")}) has ${D}`,
      );
    }
    return { output: [...inputShape], params: [[D], [D]] };
  }

  /**
   * Allocates the statistics in the model's dtype and fills them from `adapt`
   * or the options. A model being loaded (`initialize: false`) takes them from
   * the file; otherwise a layer that has neither is refused, since it would
   * silently scale nothing.
   */
  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const { params } = this.paramShapes(inputShape);
    const D = (params[0] as number[])[0] as number;
    this.shape = [...inputShape];
    this.ctx = ctx;
    const stat = (name: string, nonNegative: boolean): Param => ({
      name: `${this.name}/${name}`,
      value: zerosIn(ctx, [D]),
      grad: zerosIn(ctx, [D]),
      decay: false,
      trainable: false,
      nonNegative,
    });
    this.mean = stat("mean", false);
    this.variance = stat("variance", true);
    if (this.pending) {
      this.mean.value.data.set(this.pending.mean);
      this.variance.value.data.set(this.pending.variance);
    } else if (ctx.initialize ?? true) {
      throw new ValueError(
        `normalization layer '${this.name}': no statistics; call adapt(data) or pass mean and variance before adding it to a model`,
      );
    }
    return this.shape;
  }

  /**
   * Computes each feature's mean and variance over `data` (a Tensor of
   * (N, ...features), a DataSource, or nested rows) in one pass, with
   * Welford's update in float64, 4,096 samples at a time. The variance is the
   * population variance (÷ N), as StandardScaler and Keras use. Replaces any
   * statistics the layer had, in the model too when it is built.
   * @returns this, to chain
   */
  adapt(data: DataLike): this {
    const src = toSource(data, "Normalization.adapt", "data");
    const D = sampleSize(src);
    if (src.length === 0) throw new ValueError("Normalization.adapt: the data has no samples");
    if (this.mean && D !== this.features) {
      throw new ShapeError(
        `Normalization.adapt: the layer takes ${this.features} features per sample, the data has ${D}`,
      );
    }
    const mean = new Float64Array(D);
    const m2 = new Float64Array(D);
    const chunk = Math.max(1, Math.min(4096, Math.floor(1e7 / D)));
    const buf = new Float64Array(chunk * D);
    const idx = new Int32Array(chunk);
    let n = 0;
    for (let s = 0; s < src.length; s += chunk) {
      const count = Math.min(chunk, src.length - s);
      for (let i = 0; i < count; i++) idx[i] = s + i;
      src.gather(idx, 0, count, buf);
      for (let r = 0; r < count; r++) {
        n++;
        for (let j = 0; j < D; j++) {
          const x = buf[r * D + j] as number;
          if (!Number.isFinite(x))
            throw new ValueError(`Normalization.adapt: sample ${s + r}, feature ${j} is ${x}, not a finite number`);
          const delta = x - (mean[j] as number);
          mean[j] = (mean[j] as number) + delta / n;
          m2[j] = (m2[j] as number) + delta * (x - (mean[j] as number));
        }
      }
    }
    const variance = new Float64Array(D);
    const eps = 2 ** -52;
    for (let j = 0; j < D; j++) {
      const v = (m2[j] as number) / n;
      const m = mean[j] as number;
      // StandardScaler's test for a constant feature: v within its own rounding error
      variance[j] = v <= n * eps * v + (n * m * eps) ** 2 ? 0 : v;
    }
    this.pending = { mean, variance };
    if (this.mean && this.variance) {
      this.mean.value.data.set(mean);
      this.variance.value.data.set(variance);
    }
    return this;
  }

  /** The statistics as numbers: from the model's parameters once built, else from adapt or the options. */
  statistics(): {
    /** Per-feature means. */
    mean: number[];
    /** Per-feature variances (0 for a constant feature). */
    variance: number[];
  } {
    if (this.mean && this.variance)
      return { mean: Array.from(this.mean.value.data), variance: Array.from(this.variance.value.data) };
    if (this.pending) return { mean: Array.from(this.pending.mean), variance: Array.from(this.pending.variance) };
    throw new ValueError(`normalization layer '${this.name}': no statistics; call adapt(data) first`);
  }

  /**
   * The inverse layer: the same statistics, the other direction. Append it to
   * a model trained on targets this layer scaled, to predict in their units.
   */
  inverse(): Normalization {
    const { mean, variance } = this.statistics();
    return new Normalization({ invert: !this.invert, mean, variance });
  }

  /**
   * The layer applied to a whole tensor outside any model (in float64, then
   * the tensor's dtype): scale targets for training with it.
   */
  apply(x: Tensor): Tensor {
    const { mean, variance } = this.statistics();
    const D = mean.length;
    if (x.shape.length === 0 || x.size !== (x.shape[0] as number) * D) {
      throw new ShapeError(
        `Normalization.apply: expected (N, ${D}) values (${D} features per sample), got (${x.shape.join(", ")})`,
      );
    }
    const out = Tensor.zeros(x.shape, x.dtype);
    scale(x.data, out.data, Float64Array.from(mean), Float64Array.from(variance), x.size / D, D, this.invert);
    return out;
  }

  forward(x: Tensor): Tensor {
    const [mean, variance] = this.requireBuilt();
    const B = batchSizeOf(this, x, this.shape);
    const y = this.yBuf.get(B);
    scale(x.data, y.data, mean.value.data, variance.value.data, B, this.features, this.invert);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (!needInputGrad) return null;
    const [, variance] = this.requireBuilt();
    const D = this.features;
    const B = dy.size / D;
    const dx = this.dxBuf.get(B);
    const v = variance.value.data;
    const d = dy.data;
    const o = dx.data;
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < D; j++) {
        const s = stdOf(v[j] as number);
        const i = r * D + j;
        o[i] = this.invert ? (d[i] as number) * s : (d[i] as number) / s;
      }
    }
    return dx;
  }

  /** The mean and the variance (not trained: the optimizer skips them). */
  params(): Param[] {
    return this.mean && this.variance ? [this.mean, this.variance] : [];
  }

  zeroGrad(): void {}

  /** Kind, name and invert; the statistics travel as the model's parameters. */
  toConfig(): LayerConfig {
    return {
      kind: "normalization",
      name: this.name,
      ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}),
      invert: this.invert,
    };
  }

  private requireBuilt(): [Param, Param] {
    if (!this.mean || !this.variance)
      throw new ValueError(`normalization layer '${this.name}': not built (add it to a model first)`);
    return [this.mean, this.variance];
  }
}

/** s = √v, or 1 for a constant feature (v = 0): the divisor the layer uses (the exporters too). @internal */
export function stdOf(v: number): number {
  return v > 0 ? Math.sqrt(v) : 1;
}

/** y = (x − m)/s per feature, or x·s + m when inverting; rows of D features. */
function scale(
  x: FloatArray,
  y: FloatArray,
  mean: FloatArray,
  variance: FloatArray,
  rows: number,
  D: number,
  invert: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < D; j++) {
      const i = r * D + j;
      const m = mean[j] as number;
      const s = stdOf(variance[j] as number);
      y[i] = invert ? (x[i] as number) * s + m : ((x[i] as number) - m) / s;
    }
  }
}
