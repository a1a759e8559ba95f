/**
 * The Layer interface and the conventions every layer follows.
 *
 * - `forward(x, mode)` returns the layer's own output buffer (valid until
 *   its next forward); `backward(dy)` returns dL/dx in its own buffer.
 * - Parameter gradients *accumulate* (`+=`) in `backward`; `zeroGrad()` clears
 *   them. Sequential's training step calls it before every backward.
 * - Buffers are allocated when the batch size changes and reused otherwise,
 *   so a training loop at a fixed batch size allocates nothing.
 */
import type { ActivationConfig } from "./activations.js";
import { fmtShape, ShapeError } from "./errors.js";
import type { InitializerConfig } from "./initializers.js";
import type { Rng } from "./rng.js";
import { allocFloat, type DType, Tensor } from "./tensor.js";

/** `"train"` (dropout active, batch statistics) or `"eval"` (inference). */
export type Mode = "train" | "eval";

/**
 * A trainable parameter: its value and the gradient accumulated for it.
 * `value` and `grad` have the same shape and dtype.
 */
export interface Param {
  /** e.g. `"dense_1/kernel"`. */
  readonly name: string;
  /** The parameter itself. Optimizers update `value.data` in place. */
  readonly value: Tensor;
  /** dL/dvalue, accumulated by backward, cleared by zeroGrad. */
  readonly grad: Tensor;
  /** Whether weight decay / regularizers apply (kernels yes, biases no). */
  readonly decay: boolean;
  /**
   * false for state that is saved with the model but not trained (e.g. batch
   * normalization's running statistics): optimizers skip it. Default true.
   */
  readonly trainable?: boolean;
}

/** What a layer gets when it is built. */
export interface BuildContext {
  /** Element type of parameters and buffers. */
  readonly dtype: DType;
  /** The model's seeded generator, for initializers and dropout. */
  readonly rng: Rng;
}

/** The closed set of built-in layer kinds. */
export type LayerKind =
  | "dense"
  | "activation"
  | "flatten"
  | "softmax"
  | "dropout"
  | "batchNormalization"
  | "layerNormalization";

/** A layer's serializable description (its kind and constructor options). */
export interface LayerConfig {
  /** Which constructor builds it. */
  kind: LayerKind;
  /** The layer's name within its model. */
  name?: string;
  /** Constructor options. */
  [option: string]: unknown;
}

/**
 * A differentiable layer.
 *
 * @example A custom layer that doubles its input
 * ```ts
 * class Double implements Layer {
 *   readonly kind = "activation" as const; name = "double";
 *   outputShape: readonly number[] = [];
 *   build(inputShape: readonly number[]) { this.outputShape = inputShape; return inputShape; }
 *   forward(x: Tensor) { const y = x.clone(); y.data.forEach((v, i) => (y.data[i] = 2 * v)); return y; }
 *   backward(dy: Tensor) { const dx = dy.clone(); dx.data.forEach((v, i) => (dx.data[i] = 2 * v)); return dx; }
 *   params() { return []; }
 *   zeroGrad() {}
 *   toJSON() { return { kind: this.kind, name: this.name }; }
 * }
 * gradCheck(new Double(), { input }).ok; // true
 * ```
 */
export interface Layer {
  /** Which built-in kind (used by serialization). */
  readonly kind: LayerKind;
  /** Unique within a model; assigned by Sequential if empty. */
  name: string;
  /** Per-sample output shape, known after build. */
  readonly outputShape: readonly number[];
  /**
   * Allocates parameters for a per-sample input shape (without the batch
   * dimension) and returns the per-sample output shape.
   */
  build(inputShape: readonly number[], ctx: BuildContext): readonly number[];
  /** y = layer(x). x: (B, ...inputShape). */
  forward(x: Tensor, mode: Mode): Tensor;
  /**
   * Given dL/dy, accumulates parameter gradients and returns dL/dx.
   * When `needInputGrad` is false (the first layer of a model), dL/dx may be
   * skipped and `null` returned.
   */
  backward(dy: Tensor, needInputGrad?: boolean): Tensor | null;
  /** Trainable parameters with their gradients. */
  params(): Param[];
  /** Sets every parameter gradient to zero. */
  zeroGrad(): void;
  /** Kind and options, enough to rebuild the layer. */
  toJSON(): LayerConfig;
  /** Penalty added to the loss (e.g. L1/L2 on the kernel); its gradient is added in backward. */
  regularizationLoss?(): number;
  /** Called after each optimizer step (e.g. a max-norm constraint). */
  applyConstraints?(): void;
}

/**
 * Reusable (B, ...shape) buffers, one per batch size seen (at most four kept),
 * so alternating batch sizes (a short last batch, a larger evaluation batch)
 * do not reallocate every time.
 * @internal
 */
export class Buffer {
  private readonly bySize = new Map<number, Tensor>();
  constructor(
    private readonly dtype: () => DType,
    private readonly sampleShape: () => readonly number[],
  ) {}
  get(batch: number): Tensor {
    let t = this.bySize.get(batch);
    if (t === undefined || t.dtype !== this.dtype()) {
      const shape = [batch, ...this.sampleShape()];
      t = new Tensor(
        allocFloat(
          this.dtype(),
          shape.reduce((a, b) => a * b, 1),
        ),
        shape,
      );
      if (this.bySize.size >= 4) this.bySize.delete(this.bySize.keys().next().value as number);
      this.bySize.set(batch, t);
    }
    return t;
  }
}

/**
 * Checks that x is (B, ...expected); the error names the layer and both shapes.
 * @internal
 */
export function checkInput(layer: Layer, x: Tensor, expected: readonly number[]): number {
  // a plain loop: this runs every forward, and a callback would allocate a closure
  let ok = x.shape.length === expected.length + 1;
  for (let i = 0; ok && i < expected.length; i++) ok = x.shape[i + 1] === expected[i];
  if (!ok) {
    throw new ShapeError(
      `${layer.kind} layer '${layer.name}': expected input of shape ${fmtShape(["B", ...expected])}, got ${fmtShape(x.shape)}`,
    );
  }
  return x.shape[0] as number;
}

/** Options every layer accepts. */
export interface LayerOptions {
  /** The layer's name (default: kind_index, assigned by Sequential). */
  name?: string;
  /** Per-sample input shape, for the first layer of a model (Keras style). */
  inputShape?: readonly number[];
}

export type { ActivationConfig, InitializerConfig };
