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
import type { Backend } from "./backend/backend.js";
import { fmtShape, ShapeError } from "./errors.js";
import type { InitializerConfig } from "./initializers.js";
import type { Rng } from "./rng.js";
import { type DType, Tensor } from "./tensor.js";

/**
 * The closed set of built-in layer kinds. The registry (`LAYER_CLASSES`),
 * the file format and both exporters hold one entry per kind, typed
 * `Record<LayerKind, …>`: a new built-in layer fails to compile until each
 * handles it or refuses it.
 */
export type LayerKind =
  | "dense"
  | "activation"
  | "softmax"
  | "flatten"
  | "dropout"
  | "batchNormalization"
  | "layerNormalization"
  | "normalization";

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
  /**
   * true for values that cannot be negative (a variance, such as batch
   * normalization's moving variance): saving refuses a negative one, and so
   * does loading, naming the parameter. Default false.
   */
  readonly nonNegative?: boolean;
}

/** What a layer gets when it is built. */
export interface BuildContext {
  /** Element type of parameters and buffers. */
  readonly dtype: DType;
  /** The model's seeded generator, for initializers and dropout. */
  readonly rng: Rng;
  /** Runs the hot loops and allocates every float buffer the layer holds. */
  readonly backend: Backend;
  /**
   * false when the weights are about to be overwritten (a model being
   * loaded): the layer allocates its parameters but runs no initializer
   * (and draws nothing from `rng`). Default true.
   */
  readonly initialize?: boolean;
}

/**
 * A layer's serializable description: its kind and constructor options.
 * Built-in layers have their own kind (`"dense"`); a user's layer has kind
 * `"custom"` and its `className`, and is rebuilt from a registry passed at
 * load time (see docs/persistence.md).
 */
export interface LayerConfig {
  /** Which built-in constructor builds it, or `"custom"`. */
  kind: string;
  /** For `kind: "custom"`: the key of the user's class in the load-time registry. */
  className?: string;
  /** The layer's name within its model. */
  name?: string;
  /** Constructor options. */
  [option: string]: unknown;
}

/** What a layer makes of a per-sample input shape, without allocating anything. */
export interface LayerShapes {
  /** Per-sample output shape. */
  output: number[];
  /** Shapes of the parameters `build` will allocate, in `params()` order. */
  params: number[][];
}

/**
 * A layer class as the loader sees it: it rebuilds a layer from its config
 * (which the constructor validates, so loading accepts exactly what
 * constructing accepts).
 * @example
 * ```ts
 * load("model.tmlp", { layers: { Scale } }); // Scale has a static fromConfig
 * ```
 */
export interface LayerClass {
  /** A layer from its {@link Layer.toConfig} output. */
  fromConfig(cfg: LayerConfig): Layer;
}

/**
 * A config's constructor options: everything but `kind` and `className`.
 * @example
 * ```ts
 * static fromConfig(cfg: LayerConfig) { return new Dense(layerOptions(cfg) as DenseOptions); }
 * ```
 */
export function layerOptions(cfg: LayerConfig): Record<string, unknown> {
  const { kind: _kind, className: _className, ...opts } = cfg;
  return opts;
}

/**
 * A differentiable layer.
 *
 * @example A custom layer that scales its input (test/custom-layer.test.ts runs it: it trains, saves, loads and passes gradCheck)
 * ```ts
 * class Scale implements Layer {
 *   readonly kind = "custom";
 *   name: string;
 *   readonly factor: number;
 *   outputShape: readonly number[] = [];
 *   constructor(opts: { factor: number; name?: string }) { this.factor = opts.factor; this.name = opts.name ?? ""; }
 *   static fromConfig(cfg: LayerConfig) { return new Scale(layerOptions(cfg) as { factor: number; name?: string }); }
 *   paramShapes(inputShape: readonly number[]) { return { output: [...inputShape], params: [] }; }
 *   build(inputShape: readonly number[]) { this.outputShape = inputShape; return inputShape; }
 *   forward(x: Tensor) { const y = x.clone(); for (let i = 0; i < y.size; i++) y.data[i] *= this.factor; return y; }
 *   backward(dy: Tensor) { const dx = dy.clone(); for (let i = 0; i < dx.size; i++) dx.data[i] *= this.factor; return dx; }
 *   params() { return []; }
 *   zeroGrad() {}
 *   toConfig() { return { kind: "custom", className: "Scale", name: this.name, factor: this.factor }; }
 * }
 * save(model, "m.tmlp");
 * load("m.tmlp", { layers: { Scale } });
 * ```
 */
export interface Layer {
  /**
   * The built-in kind (`"dense"` …), or `"custom"` for a user's layer: default
   * names, the file format and the exporters' tables use it. A closed union,
   * so a new built-in kind fails to compile until every table handles it.
   */
  readonly kind: LayerKind | "custom";
  /** Unique within a model; assigned by Sequential if empty. */
  name: string;
  /** Per-sample output shape, known after build. */
  readonly outputShape: readonly number[];
  /**
   * The output and parameter shapes `build` would give for a per-sample
   * input shape, without allocating anything: the loader checks a file's
   * declared arrays against it before reading them. Throws a ShapeError for
   * an input shape the layer cannot take.
   */
  paramShapes(inputShape: readonly number[]): LayerShapes;
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
  /** Kind and options, enough to rebuild the layer (through its class's `fromConfig`). */
  toConfig(): LayerConfig;
  /** Penalty added to the loss (e.g. L1/L2 on the kernel); its gradient is added in backward. */
  regularizationLoss?(): number;
  /** Called after each optimizer step (e.g. a max-norm constraint). */
  applyConstraints?(): void;
}

/**
 * Reusable (B, ...shape) buffers, one per batch size seen (at most four kept),
 * so alternating batch sizes (a short last batch, a larger evaluation batch)
 * do not reallocate every time. Allocated from the owner's backend. The one
 * buffer cache of the library: layers keep their outputs and gradients in
 * it, and a model its input, target and dL/doutput batches.
 * @internal
 */
export class BatchBuffers {
  private readonly bySize = new Map<number, Tensor>();
  constructor(
    private readonly ctx: () => Pick<BuildContext, "dtype" | "backend"> | null,
    private readonly sampleShape: () => readonly number[],
  ) {}
  /**
   * The (batch, ...sampleShape) buffer. `sampleShape` defaults to the
   * owner's (fixed once built, so it is only asked for when allocating); a
   * caller whose sample shape varies (a model's target batches) passes it.
   */
  get(batch: number, sampleShape?: readonly number[]): Tensor {
    let t = this.bySize.get(batch);
    const ctx = this.ctx();
    if (ctx === null) throw new ShapeError("layer not built (add it to a model first)");
    if (
      t !== undefined &&
      t.dtype === ctx.dtype &&
      (sampleShape === undefined || sameSampleShape(t.shape, sampleShape))
    )
      return t;
    if (t !== undefined) {
      ctx.backend.free?.(t.data);
      this.bySize.delete(batch);
    }
    if (this.bySize.size >= 4) {
      const oldest = this.bySize.keys().next().value as number;
      ctx.backend.free?.((this.bySize.get(oldest) as Tensor).data);
      this.bySize.delete(oldest);
    }
    t = zerosIn(ctx, [batch, ...(sampleShape ?? this.sampleShape())]);
    this.bySize.set(batch, t);
    return t;
  }
}

/** Whether (B, ...s) has the per-sample shape `sample` (a plain loop: runs every batch). */
function sameSampleShape(shape: readonly number[], sample: readonly number[]): boolean {
  if (shape.length !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (shape[i + 1] !== sample[i]) return false;
  return true;
}

/**
 * A zeroed tensor of `shape` allocated from the context's backend.
 * @internal
 */
export function zerosIn(ctx: Pick<BuildContext, "dtype" | "backend">, shape: readonly number[]): Tensor {
  return new Tensor(
    ctx.backend.alloc(
      ctx.dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );
}

/**
 * The batch size B of x, after checking that x is (B, ...expected); the error names the layer and both shapes.
 * @internal
 */
export function batchSizeOf(layer: Layer, x: Tensor, expected: readonly number[]): number {
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
