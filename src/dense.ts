/**
 * Dense (fully connected) layer.
 *
 * Legend: B = batch, I = input features, O = units.
 *   x: (B, I)   W: (I, O) "kernel"   b: (O)   z, y: (B, O)
 *
 * forward:   z = x·W + b          y = act(z)
 * backward:  dz = dy ⊙ act'(z)                  (from y = act(z))
 *            dW += xᵀ·dz   (I, O)               (from z = x·W: ∂z_bo/∂W_io = x_bi)
 *            db += Σ_b dz  (O)                  (from z = … + b)
 *            dx  = dz·Wᵀ   (B, I)               (from z = x·W: ∂z_bo/∂x_bi = W_io)
 */
import { type ActivationConfig, type ActivationFunction, type ActivationName, getActivation } from "./activations.js";
import { fmtShape, ShapeError, ValueError } from "./errors.js";
import { getInitializer, type Initializer, type InitializerConfig, type InitializerName } from "./initializers.js";
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
import { LIMITS } from "./limits.js";
import { INPUT_SHAPE_SPEC, NAME_SPEC, parseOptions } from "./options.js";
import type { Tensor } from "./tensor.js";

/** The largest `units` a Dense layer takes (and a file may declare). */
export const MAX_UNITS = LIMITS.dim;

/** Options of {@link Dense}. */
export interface DenseOptions extends LayerOptions {
  /** Number of output units O. */
  units: number;
  /** Activation fused into the layer (default `"linear"`). */
  activation?: ActivationName | ActivationConfig;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Kernel initializer (default `"glorotUniform"`, as Keras). */
  kernelInitializer?: InitializerName | InitializerConfig;
  /** Bias initializer (default `"zeros"`). */
  biasInitializer?: InitializerName | InitializerConfig;
  /** Penalty on the kernel added to the loss: l1·Σ|W| + l2·ΣW² (Keras's form: no ½). */
  kernelRegularizer?: {
    /** λ₁ of λ₁·Σ|w| added to the loss (default 0). */
    l1?: number;
    /** λ₂ of λ₂·Σw² added to the loss (default 0). */
    l2?: number;
  };
  /**
   * Max-norm constraint (Srivastava et al. 2014): after each step, each unit's
   * incoming weight vector (a column of W) is rescaled to norm ≤ maxNorm.
   */
  kernelConstraint?: {
    /** The largest L2 norm of each unit's incoming weights; rescaled after every step. */
    maxNorm: number;
  };
}

/**
 * A fully connected layer: y = act(x·W + b), with W stored (in, units).
 *
 * @example
 * ```ts
 * const model = new Sequential({ inputShape: [784] });
 * model.add(new Dense({ units: 256, activation: "relu", kernelInitializer: "heNormal" }));
 * model.add(new Dense({ units: 10 }));
 * ```
 */
export class Dense implements Layer {
  /** Options: their types, ranges and defaults (the constructor and the loader both parse through it). */
  static readonly options = {
    name: NAME_SPEC,
    inputShape: INPUT_SHAPE_SPEC,
    units: { type: "number", integer: true, min: 1, max: MAX_UNITS, required: true },
    activation: { type: "custom", parse: (v: unknown) => getActivation(v as ActivationConfig) },
    useBias: { type: "boolean", default: true },
    kernelInitializer: { type: "custom", parse: (v: unknown) => getInitializer(v as InitializerConfig) },
    biasInitializer: { type: "custom", parse: (v: unknown) => getInitializer(v as InitializerConfig) },
    kernelRegularizer: {
      type: "object",
      schema: { l1: { type: "number", min: 0, default: 0 }, l2: { type: "number", min: 0, default: 0 } },
    },
    kernelConstraint: { type: "object", schema: { maxNorm: { type: "number", gt: 0, required: true } } },
  } as const;

  /** A Dense layer from its {@link Dense.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Dense {
    return new Dense(layerOptions(cfg) as unknown as DenseOptions);
  }

  readonly kind = "dense" as const;
  name: string;
  /** Number of output units. */
  readonly units: number;
  /** The activation applied after the affine map. */
  readonly activation: ActivationFunction;
  /** Whether the layer has a bias. */
  readonly useBias: boolean;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  /** L1 penalty factor on the kernel (0 when absent). */
  readonly l1: number;
  /** L2 penalty factor on the kernel (0 when absent). */
  readonly l2: number;
  /** Max-norm of each unit's incoming weights, or null. */
  readonly maxNorm: number | null;
  private readonly kernelInit: Initializer;
  private readonly biasInit: Initializer;

  private inFeatures = 0;
  private inShape: readonly number[] = []; // [I], kept to check inputs without allocating
  private ctx: BuildContext | null = null;
  /** W: (I, O), set by build. */
  kernel: Param | null = null;
  /** b: (O), set by build when useBias. */
  bias: Param | null = null;

  private x: Tensor | null = null; // the input of the last forward, (B, I)
  private readonly zBuf = new BatchBuffers(
    () => this.ctx,
    () => [this.units],
  );
  private readonly yBuf = new BatchBuffers(
    () => this.ctx,
    () => [this.units],
  );
  private readonly dzBuf = new BatchBuffers(
    () => this.ctx,
    () => [this.units],
  );
  private readonly dxBuf = new BatchBuffers(
    () => this.ctx,
    () => [this.inFeatures],
  );

  constructor(opts: DenseOptions) {
    if (typeof opts !== "object" || opts === null) throw new ValueError("Dense: options object required");
    const o = parseOptions("Dense", Dense.options, opts);
    this.units = o.units;
    this.name = o.name ?? "";
    this.activation = o.activation ?? getActivation("linear");
    this.useBias = o.useBias;
    this.kernelInit = o.kernelInitializer ?? getInitializer("glorotUniform");
    this.biasInit = o.biasInitializer ?? getInitializer("zeros");
    this.inputShape = o.inputShape;
    this.l1 = o.kernelRegularizer?.l1 ?? 0;
    this.l2 = o.kernelRegularizer?.l2 ?? 0;
    this.maxNorm = o.kernelConstraint?.maxNorm ?? null;
  }

  /** l1·Σ|W| + l2·ΣW². */
  regularizationLoss(): number {
    if (this.kernel === null || (this.l1 === 0 && this.l2 === 0)) return 0;
    const w = this.kernel.value.data;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i] as number;
      s1 += Math.abs(v);
      s2 += v * v;
    }
    return this.l1 * s1 + this.l2 * s2;
  }

  /** Rescales each column of W (a unit's incoming weights) to L2 norm ≤ maxNorm. */
  applyConstraints(): void {
    if (this.maxNorm === null || this.kernel === null) return;
    const w = this.kernel.value.data;
    const I = this.inFeatures;
    const O = this.units;
    const c = this.maxNorm;
    for (let j = 0; j < O; j++) {
      let ss = 0;
      for (let i = 0; i < I; i++) {
        const v = w[i * O + j] as number;
        ss += v * v;
      }
      const norm = Math.sqrt(ss);
      if (norm > c) {
        const k = c / norm;
        for (let i = 0; i < I; i++) w[i * O + j] = (w[i * O + j] as number) * k;
      }
    }
  }

  get outputShape(): readonly number[] {
    return [this.units];
  }

  /** W: (I, O) and, with a bias, b: (O); the input must be flat (I). */
  paramShapes(inputShape: readonly number[]): LayerShapes {
    if (inputShape.length !== 1) {
      throw new ShapeError(
        `dense layer '${this.name}': expected a flat per-sample input (features), got ${fmtShape(inputShape)}; add a Flatten layer before it`,
      );
    }
    const I = inputShape[0] as number;
    return { output: [this.units], params: this.useBias ? [[I, this.units], [this.units]] : [[I, this.units]] };
  }

  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.paramShapes(inputShape);
    const I = inputShape[0] as number;
    const O = this.units;
    this.inFeatures = I;
    this.inShape = [I];
    this.ctx = ctx;
    const init = ctx.initialize ?? true;
    const W = zerosIn(ctx, [I, O]);
    if (init) this.kernelInit.init(W.data, { fanIn: I, fanOut: O }, ctx.rng);
    this.kernel = { name: `${this.name}/kernel`, value: W, grad: zerosIn(ctx, [I, O]), decay: true };
    if (this.useBias) {
      const b = zerosIn(ctx, [O]);
      if (init) this.biasInit.init(b.data, { fanIn: O, fanOut: O }, ctx.rng);
      this.bias = { name: `${this.name}/bias`, value: b, grad: zerosIn(ctx, [O]), decay: false };
    }
    return [O];
  }

  forward(x: Tensor, _mode: Mode): Tensor {
    const [W, be] = this.requireBuilt();
    const B = batchSizeOf(this, x, this.inShape);
    const I = this.inFeatures;
    const O = this.units;
    this.x = x;
    const z = this.zBuf.get(B); // (B, O)
    const zd = z.data;
    // z = b (broadcast over rows), then z += x·W: the bias add costs nothing extra.
    if (this.bias) be.broadcastRows(this.bias.value.data, zd, B);
    else zd.fill(0);
    be.gemm(false, false, B, O, I, x.data, W.value.data, zd, true);
    if (this.activation.name === "linear") return z;
    const y = this.yBuf.get(B);
    be.activationForward(this.activation, zd, y.data, B, O);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    const [W, be] = this.requireBuilt();
    const x = this.x;
    if (x === null) throw new ValueError(`dense layer '${this.name}': backward called before forward`);
    const B = x.shape[0] as number;
    const I = this.inFeatures;
    const O = this.units;
    if (dy.shape[0] !== B || dy.size !== B * O) {
      throw new ShapeError(`dense layer '${this.name}': expected dy of shape (${B}, ${O}), got ${fmtShape(dy.shape)}`);
    }
    // dz = dy ⊙ act'(z)
    let dz = dy;
    if (this.activation.name !== "linear") {
      dz = this.dzBuf.get(B);
      be.activationBackward(this.activation, this.zBuf.get(B).data, this.yBuf.get(B).data, dy.data, dz.data, B, O);
    }
    // dW += xᵀ·dz
    be.gemm(true, false, I, O, B, x.data, dz.data, W.grad.data, true);
    // dW += l1·sign(W) + 2·l2·W   (from the penalty l1·Σ|W| + l2·ΣW²)
    if (this.l1 !== 0 || this.l2 !== 0) {
      const w = W.value.data;
      const gw = W.grad.data;
      for (let i = 0; i < w.length; i++) {
        const v = w[i] as number;
        gw[i] = (gw[i] as number) + this.l1 * Math.sign(v) + 2 * this.l2 * v;
      }
    }
    // db += column sums of dz
    if (this.bias) be.addColumnSums(dz.data, this.bias.grad.data, B);
    if (!needInputGrad) return null;
    // dx = dz·Wᵀ
    const dx = this.dxBuf.get(B);
    be.gemm(false, true, B, I, O, dz.data, W.value.data, dx.data, false);
    return dx;
  }

  params(): Param[] {
    const p: Param[] = [];
    if (this.kernel) p.push(this.kernel);
    if (this.bias) p.push(this.bias);
    return p;
  }

  zeroGrad(): void {
    this.kernel?.grad.data.fill(0);
    this.bias?.grad.data.fill(0);
  }

  toConfig(): LayerConfig {
    return {
      kind: this.kind,
      name: this.name,
      units: this.units,
      activation: this.activation.toConfig(),
      useBias: this.useBias,
      kernelInitializer: this.kernelInit.toConfig(),
      biasInitializer: this.biasInit.toConfig(),
      ...(this.l1 !== 0 || this.l2 !== 0 ? { kernelRegularizer: { l1: this.l1, l2: this.l2 } } : {}),
      ...(this.maxNorm !== null ? { kernelConstraint: { maxNorm: this.maxNorm } } : {}),
    };
  }

  private requireBuilt(): [Param, BuildContext["backend"]] {
    if (this.kernel === null || this.ctx === null)
      throw new ValueError(`dense layer '${this.name}': not built (add it to a model first)`);
    return [this.kernel, this.ctx.backend];
  }
}
