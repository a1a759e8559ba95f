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
import { checkNumber, ShapeError, ValueError } from "./errors.js";
import {
  Buffer,
  type BuildContext,
  checkInput,
  type Layer,
  type LayerConfig,
  type LayerOptions,
  type Mode,
  type Param,
} from "./layer.js";
import { type DType, type FloatArray, Tensor } from "./tensor.js";

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
  /** ε. */
  readonly epsilon: number;
  protected D = 0;
  protected shape: readonly number[] = [];
  protected dtype: DType = "float32";
  /** γ (D). */
  gamma: Param | null = null;
  /** β (D). */
  beta: Param | null = null;
  protected x: Tensor | null = null;
  protected mode: Mode = "eval";
  protected readonly xhat = new Buffer(
    () => this.dtype,
    () => this.shape,
  );
  protected readonly yBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );
  protected readonly dxBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );

  constructor(where: string, opts: LayerOptions & { epsilon?: number }) {
    this.name = opts?.name ?? "";
    this.inputShape = opts?.inputShape;
    this.epsilon = checkNumber(where, "epsilon", opts?.epsilon ?? 1e-3, (e) => e > 0, "a finite number > 0");
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    if (inputShape.length !== 1) {
      throw new ShapeError(
        `${this.kind} layer '${this.name}': expected a flat per-sample input (features), got (${inputShape.join(", ")})`,
      );
    }
    const D = inputShape[0] as number;
    this.D = D;
    this.shape = [D];
    this.dtype = ctx.dtype;
    const ones = Tensor.zeros([D], ctx.dtype);
    ones.data.fill(1);
    this.gamma = { name: `${this.name}/gamma`, value: ones, grad: Tensor.zeros([D], ctx.dtype), decay: false };
    this.beta = {
      name: `${this.name}/beta`,
      value: Tensor.zeros([D], ctx.dtype),
      grad: Tensor.zeros([D], ctx.dtype),
      decay: false,
    };
    return this.shape;
  }

  params(): Param[] {
    return this.gamma && this.beta ? [this.gamma, this.beta] : [];
  }

  zeroGrad(): void {
    this.gamma?.grad.data.fill(0);
    this.beta?.grad.data.fill(0);
  }

  abstract forward(x: Tensor, mode: Mode): Tensor;
  abstract backward(dy: Tensor, needInputGrad?: boolean): Tensor | null;
  abstract toJSON(): LayerConfig;

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

  protected built(): [Param, Param] {
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
  readonly kind = "batchNormalization" as const;
  /** Running-average momentum. */
  readonly momentum: number;
  /** Running mean (D): saved with the model, not trained. */
  movingMean: Param | null = null;
  /** Running variance (D): saved with the model, not trained. */
  movingVariance: Param | null = null;
  private mean = new Float64Array(0);
  private rstd = new Float64Array(0);

  constructor(opts: BatchNormalizationOptions = {}) {
    super("BatchNormalization", opts);
    this.momentum = checkNumber(
      "BatchNormalization",
      "momentum",
      opts.momentum ?? 0.99,
      (m) => m >= 0 && m < 1,
      "in [0, 1)",
    );
  }

  override build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    const out = super.build(inputShape, ctx);
    const D = this.D;
    const one = Tensor.zeros([D], ctx.dtype);
    one.data.fill(1);
    this.movingMean = {
      name: `${this.name}/movingMean`,
      value: Tensor.zeros([D], ctx.dtype),
      grad: Tensor.zeros([D], ctx.dtype),
      decay: false,
      trainable: false,
    };
    this.movingVariance = {
      name: `${this.name}/movingVariance`,
      value: one,
      grad: Tensor.zeros([D], ctx.dtype),
      decay: false,
      trainable: false,
    };
    this.mean = new Float64Array(D);
    this.rstd = new Float64Array(D);
    return out;
  }

  override params(): Param[] {
    const p = super.params();
    if (this.movingMean && this.movingVariance) p.push(this.movingMean, this.movingVariance);
    return p;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const [gamma, beta] = this.built();
    const B = checkInput(this, x, this.shape);
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

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    const [gamma, beta] = this.built();
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
    // per feature: sum of dx̂ and of dx̂·x̂ over the batch (reusing mean as scratch)
    const s1 = this.mean; // Σ dx̂
    const s2 = this.sumBuf(D); // Σ dx̂·x̂
    s1.fill(0);
    s2.fill(0);
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < D; j++) {
        const i = r * D + j;
        const dxh = (dyd[i] as number) * (g[j] as number);
        s1[j] = (s1[j] as number) + dxh;
        s2[j] = (s2[j] as number) + dxh * (xh[i] as number);
      }
    }
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < D; j++) {
        const i = r * D + j;
        const dxh = (dyd[i] as number) * (g[j] as number);
        dxd[i] = ((this.rstd[j] as number) / B) * (B * dxh - (s1[j] as number) - (xh[i] as number) * (s2[j] as number));
      }
    }
    return dx;
  }

  private scratch = new Float64Array(0);
  private sumBuf(D: number): Float64Array {
    if (this.scratch.length !== D) this.scratch = new Float64Array(D);
    return this.scratch;
  }

  toJSON(): LayerConfig {
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
  readonly kind = "layerNormalization" as const;
  private rstd = new Float64Array(0);

  constructor(opts: LayerNormalizationOptions = {}) {
    super("LayerNormalization", opts);
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const [gamma, beta] = this.built();
    const B = checkInput(this, x, this.shape);
    const D = this.D;
    this.x = x;
    this.mode = mode;
    if (this.rstd.length < B) this.rstd = new Float64Array(B);
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

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    const [gamma, beta] = this.built();
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
    const dxd = dx.data;
    for (let r = 0; r < B; r++) {
      const o = r * D;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < D; j++) {
        const dxh = (dyd[o + j] as number) * (g[j] as number);
        s1 += dxh;
        s2 += dxh * (xh[o + j] as number);
      }
      const rs = this.rstd[r] as number;
      for (let j = 0; j < D; j++) {
        const dxh = (dyd[o + j] as number) * (g[j] as number);
        dxd[o + j] = (rs / D) * (D * dxh - s1 - (xh[o + j] as number) * s2);
      }
    }
    return dx;
  }

  toJSON(): LayerConfig {
    return { kind: this.kind, name: this.name, epsilon: this.epsilon };
  }
}
