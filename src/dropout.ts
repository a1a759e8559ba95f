/**
 * Dropout (Srivastava et al. 2014), the "inverted" form: in train mode each
 * element is kept with probability q = 1 − rate and scaled by 1/q, so the
 * expected output equals the input and eval mode is exactly the identity.
 *
 * forward (train):  m ~ Bernoulli(q),  y = x ⊙ m / q
 * backward:         dx = dy ⊙ m / q         (from y = x ⊙ m/q)
 * forward (eval):   y = x,  backward dx = dy
 */
import { ValueError } from "./errors.js";
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
} from "./layer.js";
import { INPUT_SHAPE_SPEC, NAME_SPEC, parseOptions } from "./options.js";
import type { Rng } from "./rng.js";
import type { Tensor } from "./tensor.js";

/** Options of {@link Dropout}. */
export interface DropoutOptions extends LayerOptions {
  /** Fraction of elements zeroed in train mode, in [0, 1). */
  rate: number;
}

/**
 * Randomly zeroes a fraction `rate` of its inputs during training (seeded by
 * the model's Rng); the identity at inference.
 *
 * @example
 * ```ts
 * model.add(new Dense({ units: 400, activation: "relu" }));
 * model.add(new Dropout({ rate: 0.2 }));
 * ```
 */
export class Dropout implements Layer {
  readonly kind = "dropout" as const;
  name: string;
  /** Fraction of elements dropped in train mode. */
  readonly rate: number;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  /**
   * When true, train-mode forward passes reuse the last mask instead of
   * drawing a new one (for gradient checking; off in normal training).
   */
  maskFrozen = false;
  private shape: readonly number[] = [];
  private ctx: BuildContext | null = null;
  private rng: Rng | null = null;
  private lastMode: Mode = "eval";
  private readonly mask = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  ); // m/q per element
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
    rate: { type: "number", min: 0, lt: 1, required: true },
  } as const;

  /** A Dropout layer from its {@link Dropout.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Dropout {
    return new Dropout(layerOptions(cfg) as unknown as DropoutOptions);
  }

  constructor(opts: DropoutOptions) {
    const o = parseOptions("Dropout", Dropout.options, opts);
    this.rate = o.rate;
    this.name = o.name ?? "";
    this.inputShape = o.inputShape;
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  /** Any input shape; no parameters. */
  paramShapes(inputShape: readonly number[]): LayerShapes {
    return { output: [...inputShape], params: [] };
  }

  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.shape = [...inputShape];
    this.ctx = ctx;
    this.rng = ctx.rng;
    return this.shape;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const B = batchSizeOf(this, x, this.shape);
    this.lastMode = mode;
    if (mode === "eval" || this.rate === 0) return x;
    const rng = this.rng;
    if (rng === null) throw new ValueError(`dropout layer '${this.name}': not built (add it to a model first)`);
    const m = this.mask.get(B).data;
    const n = x.size;
    if (!this.maskFrozen) {
      const q = 1 - this.rate;
      const scale = 1 / q;
      for (let i = 0; i < n; i++) m[i] = rng.uniform() < q ? scale : 0;
    }
    const y = this.yBuf.get(B);
    (this.ctx as BuildContext).backend.multiply(x.data, m, y.data, n);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (!needInputGrad) return null;
    if (this.lastMode === "eval" || this.rate === 0) return dy;
    const B = dy.shape[0] as number;
    const m = this.mask.get(B).data;
    const dx = this.dxBuf.get(B);
    (this.ctx as BuildContext).backend.multiply(dy.data, m, dx.data, dy.size);
    return dx;
  }

  params(): Param[] {
    return [];
  }

  zeroGrad(): void {}

  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name, rate: this.rate };
  }
}
