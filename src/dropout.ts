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
  Buffer,
  type BuildContext,
  checkInput,
  type Layer,
  type LayerConfig,
  type LayerOptions,
  type Mode,
  type Param,
} from "./layer.js";
import type { Rng } from "./rng.js";
import type { DType, Tensor } from "./tensor.js";

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
  private dtype: DType = "float32";
  private rng: Rng | null = null;
  private lastMode: Mode = "eval";
  private readonly mask = new Buffer(
    () => this.dtype,
    () => this.shape,
  ); // m/q per element
  private readonly yBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );
  private readonly dxBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );

  constructor(opts: DropoutOptions) {
    const rate = opts?.rate;
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
      throw new ValueError(`Dropout: rate must be a number in [0, 1), got ${String(rate)}`);
    }
    this.rate = rate;
    this.name = opts.name ?? "";
    this.inputShape = opts.inputShape;
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.shape = [...inputShape];
    this.dtype = ctx.dtype;
    this.rng = ctx.rng;
    return this.shape;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const B = checkInput(this, x, this.shape);
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
    const xd = x.data;
    const yd = y.data;
    for (let i = 0; i < n; i++) yd[i] = (xd[i] as number) * (m[i] as number);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (!needInputGrad) return null;
    if (this.lastMode === "eval" || this.rate === 0) return dy;
    const B = dy.shape[0] as number;
    const m = this.mask.get(B).data;
    const dx = this.dxBuf.get(B);
    const dyd = dy.data;
    const dxd = dx.data;
    for (let i = 0; i < dy.size; i++) dxd[i] = (dyd[i] as number) * (m[i] as number);
    return dx;
  }

  params(): Param[] {
    return [];
  }

  zeroGrad(): void {}

  toJSON(): LayerConfig {
    return { kind: this.kind, name: this.name, rate: this.rate };
  }
}
