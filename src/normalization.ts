/**
 * Normalization layers over the features of a 2-D batch x: (B, D).
 *
 * BatchNormalization (Ioffe & Szegedy 2015) normalizes each feature over the
 * batch; LayerNormalization (Ba et al. 2016) normalizes each sample over its
 * features. Both then scale by γ and shift by β (trainable, shape (D)).
 *
 * With N the number of values averaged (B for batch norm, D for layer norm):
 *   forward:  μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + ε),  x̂ = (x − μ)·r,  y = γ·x̂ + β
 *   backward: dγ += Σ dy·x̂,  dβ += Σ dy   (sums over the batch)
 *             dx̂ = dy·γ
 *             dx = r/N · (N·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂))   (the sums over the same N values as μ;
 *             this folds in the paths through μ and σ², which both depend on x)
 */
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
  type Mode,
  type Param,
  zerosIn,
} from "./layer.js";
import { INPUT_SHAPE_SPEC, NAME_SPEC, parseOptions } from "./options.js";
import type { FloatArray, Tensor } from "./tensor.js";

/** ε: > 0 and at most 1 (a larger ε no longer normalizes). */
const EPSILON = { type: "number", gt: 0, max: 1, default: 1e-3 } as const;

/**
 * The backward pass through x̂ = (x − μ)·r, shared by both layers. The values
 * are normalized in `groups` groups of N: element k of group g is at
 * `g·groupStride + k·elemStride` (batch norm: a group is a feature, its N = B
 * values a column; layer norm: a group is a sample, its N = D values a row).
 * With dx̂ = dy·γ (γ indexed by the group for batch norm, by k for layer norm):
 *
 *   dx = r/N · (N·dx̂ − Σₖ dx̂ − x̂·Σₖ(dx̂·x̂))
 *
 * dx̂ is computed twice rather than stored, so it stays in double precision
 * whatever the dtype of dx.
 */
function normalizeBackward(
  dy: FloatArray,
  xh: FloatArray,
  gamma: FloatArray,
  gammaPerGroup: boolean,
  rstd: ArrayLike<number>,
  dx: FloatArray,
  groups: number,
  N: number,
  groupStride: number,
  elemStride: number,
): void {
  for (let grp = 0; grp < groups; grp++) {
    const base = grp * groupStride;
    let s1 = 0; // Σ dx̂
    let s2 = 0; // Σ dx̂·x̂
    for (let k = 0; k < N; k++) {
      const i = base + k * elemStride;
      const dxh = (dy[i] as number) * (gamma[gammaPerGroup ? grp : k] as number);
      s1 += dxh;
      s2 += dxh * (xh[i] as number);
    }
    const r = rstd[grp] as number;
    for (let k = 0; k < N; k++) {
      const i = base + k * elemStride;
      const dxh = (dy[i] as number) * (gamma[gammaPerGroup ? grp : k] as number);
      dx[i] = (r / N) * (N * dxh - s1 - (xh[i] as number) * s2);
    }
  }
}

/** Options of {@link BatchNormalization}. */
export interface BatchNormalizationOptions extends LayerOptions {
  /** Running statistics: new = momentum·old + (1 − momentum)·batch (default 0.99, as Keras). */
  momentum?: number;
  /** ε added to the variance (default 1e-3, as Keras). */
  epsilon?: number;
}

/** Options of {@link LayerNormalization}. */
export interface LayerNormalizationOptions extends LayerOptions {
  /** ε added to the variance (default 1e-3, as Keras). */
  epsilon?: number;
}

abstract class Norm implements Layer {
  abstract readonly kind: "batchNormalization" | "layerNormalization";
  name: string;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  /** Added to the variance before the square root (ε), so a constant feature does not divide by zero. */
  readonly epsilon: number;
  protected D = 0;
  protected shape: readonly number[] = [];
  protected ctx: BuildContext | null = null;
  /** γ (D). */
  gamma: Param | null = null;
  /** β (D). */
  beta: Param | null = null;
  protected x: Tensor | null = null;
  protected mode: Mode = "eval";
  protected readonly xhat = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );
  protected readonly yBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );
  protected readonly dxBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );

  constructor(o: { name?: string | undefined; inputShape?: number[] | undefined; epsilon: number }) {
    this.name = o.name ?? "";
    this.inputShape = o.inputShape;
    this.epsilon = o.epsilon;
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  /** γ and β: (D) each (batch norm adds its two running statistics); the input must be flat (D). */
  paramShapes(inputShape: readonly number[]): LayerShapes {
    if (inputShape.length !== 1) {
      throw new ShapeError(
        `${this.kind} layer '${this.name}': expected a flat per-sample input (features), got (${inputShape.join(", ")})`,
      );
    }
    const D = inputShape[0] as number;
    return { output: [D], params: Array.from({ length: this.kind === "batchNormalization" ? 4 : 2 }, () => [D]) };
  }

  /** Allocates γ (ones) and β (zeros) for a (D) input; returns the output shape (D). */
  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.paramShapes(inputShape);
    const D = inputShape[0] as number;
    this.D = D;
    this.shape = [D];
    this.ctx = ctx;
    const ones = zerosIn(ctx, [D]);
    ones.data.fill(1);
    this.gamma = { name: `${this.name}/gamma`, value: ones, grad: zerosIn(ctx, [D]), decay: false };
    this.beta = { name: `${this.name}/beta`, value: zerosIn(ctx, [D]), grad: zerosIn(ctx, [D]), decay: false };
    return this.shape;
  }

  /** γ and β (BatchNormalization adds its moving mean and variance, not trained). */
  params(): Param[] {
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }

  zeroGrad(): void {
    this.gamma?.grad.data.fill(0);
    this.beta?.grad.data.fill(0);
  }

  abstract forward(x: Tensor, mode: Mode): Tensor;
  abstract backward(dy: Tensor, needInputGrad?: boolean): Tensor | null;
  abstract toConfig(): LayerConfig;

  /** Float64 scratch of n values, from the backend. */
  protected scratch64(n: number): Float64Array<ArrayBuffer> {
    return (this.ctx as BuildContext).backend.alloc("float64", n) as Float64Array<ArrayBuffer>;
  }

  /** dγ += Σ_b dy·x̂, dβ += Σ_b dy (from y = γ·x̂ + β), shared by both layers. */
  protected accumulateGammaBeta(dyd: FloatArray, xh: FloatArray, B: number, gamma: Param, beta: Param): void {
    const D = this.D;
    const dg = gamma.grad.data;
    const db = beta.grad.data;
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < D; j++) {
        const i = r * D + j;
        dg[j] = (dg[j] as number) + (dyd[i] as number) * (xh[i] as number);
        db[j] = (db[j] as number) + (dyd[i] as number);
      }
    }
  }

  protected requireBuilt(): [Param, Param] {
    if (!this.gamma || !this.beta)
      throw new ValueError(`${this.kind} layer '${this.name}': not built (add it to a model first)`);
    return [this.gamma, this.beta];
  }
}

/**
 * Batch normalization of each feature (Ioffe & Szegedy 2015). Train mode uses
 * the batch's mean and variance and updates running averages of them; eval
 * mode uses the running averages. Follows Keras: momentum 0.99, ε 1e-3, the
 * (biased) batch variance in the running average.
 * @example
 * ```ts
 * model.add(new Dense({ units: 256, useBias: false }));
 * model.add(new BatchNormalization());
 * model.add(new Activation({ activation: "relu" }));
 * ```
 */
export class BatchNormalization extends Norm {
  /** The layer kind in configs and saved files. */
  readonly kind = "batchNormalization" as const;
  /** Running-average momentum. */
  readonly momentum: number;
  /** Running mean (D): saved with the model, not trained. */
  movingMean: Param | null = null;
  /** Running variance (D): saved with the model, not trained. */
  movingVariance: Param | null = null;
  private mean = new Float64Array(0);
  private rstd = new Float64Array(0);

  /** Options: their types, ranges and defaults (the constructor and the loader both parse through it). */
  static readonly options = {
    name: NAME_SPEC,
    inputShape: INPUT_SHAPE_SPEC,
    momentum: { type: "number", min: 0, lt: 1, default: 0.99 },
    epsilon: EPSILON,
  } as const;

  /** A BatchNormalization layer from its {@link BatchNormalization.toConfig} output. */
  static fromConfig(cfg: LayerConfig): BatchNormalization {
    return new BatchNormalization(layerOptions(cfg) as BatchNormalizationOptions);
  }

  constructor(opts: BatchNormalizationOptions = {}) {
    const o = parseOptions("BatchNormalization", BatchNormalization.options, opts);
    super(o);
    this.momentum = o.momentum;
  }

  override build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const out = super.build(inputShape, ctx);
    const D = this.D;
    const one = zerosIn(ctx, [D]);
    one.data.fill(1);
    const stat = (name: string, value: Tensor, nonNegative: boolean): Param => ({
      name: `${this.name}/${name}`,
      value,
      grad: zerosIn(ctx, [D]),
      decay: false,
      trainable: false,
      nonNegative,
    });
    this.movingMean = stat("movingMean", zerosIn(ctx, [D]), false);
    this.movingVariance = stat("movingVariance", one, true);
    this.mean = this.scratch64(D);
    this.rstd = this.scratch64(D);
    return out;
  }

  override params(): Param[] {
    const p = super.params();
    if (this.movingMean && this.movingVariance) p.push(this.movingMean, this.movingVariance);
    return p;
  }

  /** Normalizes each feature: over the batch in train mode (and updates the running statistics), with the running statistics in eval mode; then y = γ·x̂ + β. */
  forward(x: Tensor, mode: Mode): Tensor {
    const [gamma, beta] = this.requireBuilt();
    const B = batchSizeOf(this, x, this.shape);
    const D = this.D;
    this.x = x;
    this.mode = mode;
    const xd = x.data;
    const xh = this.xhat.get(B).data;
    const y = this.yBuf.get(B);
    const yd = y.data;
    const g = gamma.value.data;
    const b = beta.value.data;
    const mm = (this.movingMean as Param).value.data;
    const mv = (this.movingVariance as Param).value.data;
    const mean = this.mean;
    const rstd = this.rstd;
    if (mode === "train") {
      if (B < 1) throw new ShapeError(`batchNormalization layer '${this.name}': an empty batch has no statistics`);
      mean.fill(0);
      for (let r = 0; r < B; r++) for (let j = 0; j < D; j++) mean[j] = (mean[j] as number) + (xd[r * D + j] as number);
      for (let j = 0; j < D; j++) mean[j] = (mean[j] as number) / B;
      rstd.fill(0); // holds the variance until inverted below
      for (let r = 0; r < B; r++) {
        for (let j = 0; j < D; j++) {
          const c = (xd[r * D + j] as number) - (mean[j] as number);
          rstd[j] = (rstd[j] as number) + c * c;
        }
      }
      const m = this.momentum;
      for (let j = 0; j < D; j++) {
        const variance = (rstd[j] as number) / B;
        mm[j] = m * (mm[j] as number) + (1 - m) * (mean[j] as number);
        mv[j] = m * (mv[j] as number) + (1 - m) * variance;
        rstd[j] = 1 / Math.sqrt(variance + this.epsilon);
      }
    } else {
      for (let j = 0; j < D; j++) {
        mean[j] = mm[j] as number;
        rstd[j] = 1 / Math.sqrt((mv[j] as number) + this.epsilon);
      }
    }
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < D; j++) {
        const i = r * D + j;
        const h = ((xd[i] as number) - (mean[j] as number)) * (rstd[j] as number);
        xh[i] = h;
        yd[i] = (g[j] as number) * h + (b[j] as number);
      }
    }
    return y;
  }

  /** Accumulates dγ, dβ and returns dx (derivation in the class comment), or null when the input gradient is not needed. */
  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    const [gamma, beta] = this.requireBuilt();
    const x = this.x;
    if (x === null) throw new ValueError(`batchNormalization layer '${this.name}': backward called before forward`);
    const B = x.shape[0] as number;
    const D = this.D;
    const dyd = dy.data;
    const xh = this.xhat.get(B).data;
    const g = gamma.value.data;
    this.accumulateGammaBeta(dyd, xh, B, gamma, beta);
    if (!needInputGrad) return null;
    const dx = this.dxBuf.get(B);
    const dxd = dx.data;
    if (this.mode === "eval") {
      // y = γ(x − m)·r with constant m, r: dx = dy·γ·r
      for (let r = 0; r < B; r++)
        for (let j = 0; j < D; j++)
          dxd[r * D + j] = (dyd[r * D + j] as number) * (g[j] as number) * (this.rstd[j] as number);
      return dx;
    }
    // each feature j is normalized over the B values of its column (stride D), with γ_j
    normalizeBackward(dyd, xh, g, true, this.rstd, dxd, D, B, 1, D);
    return dx;
  }

  /** The serializable form: kind, name and options. */
  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name, momentum: this.momentum, epsilon: this.epsilon };
  }
}

/**
 * Layer normalization (Ba et al. 2016): each sample is normalized over its
 * features, the same in train and eval mode. ε 1e-3 (Keras's default).
 * @example
 * ```ts
 * model.add(new Dense({ units: 128 }));
 * model.add(new LayerNormalization());
 * ```
 */
export class LayerNormalization extends Norm {
  /** The layer kind in configs and saved files. */
  readonly kind = "layerNormalization" as const;
  private rstd = new Float64Array(0);

  /** Options: their types, ranges and defaults (the constructor and the loader both parse through it). */
  static readonly options = { name: NAME_SPEC, inputShape: INPUT_SHAPE_SPEC, epsilon: EPSILON } as const;

  /** A LayerNormalization layer from its {@link LayerNormalization.toConfig} output. */
  static fromConfig(cfg: LayerConfig): LayerNormalization {
    return new LayerNormalization(layerOptions(cfg) as LayerNormalizationOptions);
  }

  constructor(opts: LayerNormalizationOptions = {}) {
    super(parseOptions("LayerNormalization", LayerNormalization.options, opts));
  }

  /** Normalizes each sample over its own features, the same in train and eval mode (no running statistics); then y = γ·x̂ + β. */
  forward(x: Tensor, mode: Mode): Tensor {
    const [gamma, beta] = this.requireBuilt();
    const B = batchSizeOf(this, x, this.shape);
    const D = this.D;
    this.x = x;
    this.mode = mode;
    if (this.rstd.length < B) this.rstd = this.scratch64(B);
    const xd = x.data;
    const xh = this.xhat.get(B).data;
    const y = this.yBuf.get(B);
    const yd = y.data;
    const g = gamma.value.data;
    const b = beta.value.data;
    for (let r = 0; r < B; r++) {
      const o = r * D;
      let mean = 0;
      for (let j = 0; j < D; j++) mean += xd[o + j] as number;
      mean /= D;
      let variance = 0;
      for (let j = 0; j < D; j++) {
        const c = (xd[o + j] as number) - mean;
        variance += c * c;
      }
      const rs = 1 / Math.sqrt(variance / D + this.epsilon);
      this.rstd[r] = rs;
      for (let j = 0; j < D; j++) {
        const h = ((xd[o + j] as number) - mean) * rs;
        xh[o + j] = h;
        yd[o + j] = (g[j] as number) * h + (b[j] as number);
      }
    }
    return y;
  }

  /** Accumulates dγ, dβ and returns dx (derivation in the class comment), or null when the input gradient is not needed. */
  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    const [gamma, beta] = this.requireBuilt();
    const x = this.x;
    if (x === null) throw new ValueError(`layerNormalization layer '${this.name}': backward called before forward`);
    const B = x.shape[0] as number;
    const D = this.D;
    const dyd = dy.data;
    const xh = this.xhat.get(B).data;
    const g = gamma.value.data;
    this.accumulateGammaBeta(dyd, xh, B, gamma, beta);
    if (!needInputGrad) return null;
    const dx = this.dxBuf.get(B);
    // each sample r is normalized over the D values of its row (stride 1), with γ_j
    normalizeBackward(dyd, xh, g, false, this.rstd, dx.data, B, D, D, 1);
    return dx;
  }

  /** The serializable form: kind, name and options. */
  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name, epsilon: this.epsilon };
  }
}
