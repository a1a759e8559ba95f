/**
 * Activation and Softmax layers: an element-wise (or row-wise) function as a
 * layer of its own.
 *
 * forward:  y = f(x)             x, y: (B, ...shape)
 * backward: dx = dy ⊙ f'(x)      (softmax: dx = y ⊙ (dy − Σ dy·y), per row)
 */
import {
  type ActivationConfig,
  type Activation as ActivationFn,
  type ActivationName,
  getActivation,
} from "./activations.js";
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
import type { DType, Tensor } from "./tensor.js";

/** Options of {@link Activation}. */
export interface ActivationLayerOptions extends LayerOptions {
  /** The function to apply. */
  activation: ActivationName | ActivationConfig;
}

/**
 * Applies an activation function as a separate layer.
 *
 * @example
 * ```ts
 * model.add(new Dense({ units: 64 }));
 * model.add(new Activation({ activation: "gelu" }));
 * ```
 */
export class Activation implements Layer {
  readonly kind: "activation" | "softmax" = "activation";
  name: string;
  /** The function applied. */
  readonly fn: ActivationFn;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  private shape: readonly number[] = [];
  private dtype: DType = "float32";
  private x: Tensor | null = null;
  private readonly yBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );
  private readonly dxBuf = new Buffer(
    () => this.dtype,
    () => this.shape,
  );

  constructor(opts: ActivationLayerOptions) {
    if (typeof opts !== "object" || opts === null) throw new ValueError("Activation: options object required");
    this.fn = getActivation(opts.activation);
    this.name = opts.name ?? "";
    this.inputShape = opts.inputShape;
  }

  get outputShape(): readonly number[] {
    return this.shape;
  }

  build(inputShape: readonly number[], ctx: BuildContext): readonly number[] {
    this.shape = [...inputShape];
    this.dtype = ctx.dtype;
    return this.shape;
  }

  forward(x: Tensor, _mode: Mode): Tensor {
    const B = checkInput(this, x, this.shape);
    const cols = x.size / Math.max(B, 1);
    this.x = x;
    const y = this.yBuf.get(B);
    this.fn.forward(x.data, y.data, B, cols);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (this.x === null) throw new ValueError(`${this.kind} layer '${this.name}': backward called before forward`);
    if (!needInputGrad) return null;
    const B = this.x.shape[0] as number;
    checkInput(this, dy, this.shape);
    const dx = this.dxBuf.get(B);
    this.fn.backward(this.x.data, this.yBuf.get(B).data, dy.data, dx.data, B, this.x.size / Math.max(B, 1));
    return dx;
  }

  params(): Param[] {
    return [];
  }

  zeroGrad(): void {}

  toJSON(): LayerConfig {
    return { kind: this.kind, name: this.name, activation: this.fn.toJSON() };
  }
}

/**
 * Row-wise softmax as a layer, turning logits into probabilities. Use it with
 * `categoricalCrossEntropy` (probabilities); for training with integer labels
 * prefer a linear last layer and `sparseCategoricalCrossEntropy` (fused, stable).
 *
 * @example
 * ```ts
 * model.add(new Dense({ units: 10 }));
 * model.add(new Softmax());
 * ```
 */
export class Softmax extends Activation {
  override readonly kind = "softmax" as const;
  constructor(opts: LayerOptions = {}) {
    super({ ...opts, activation: "softmax" });
  }
  override toJSON(): LayerConfig {
    return { kind: this.kind, name: this.name };
  }
}
