/**
 * Activation and Softmax layers: an element-wise (or row-wise) function as a
 * layer of its own.
 *
 * forward:  y = f(x)             x, y: (B, ...shape)
 * backward: dx = dy ⊙ f'(x)      (softmax: dx = y ⊙ (dy − Σ dy·y), per row)
 */
import { type ActivationConfig, type ActivationFunction, type ActivationName, getActivation } from "./activations.js";
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
import type { Tensor } from "./tensor.js";

/** Options of {@link Activation}. */
export interface ActivationLayerOptions extends LayerOptions {
  /** The function to apply. */
  activation: ActivationName | ActivationConfig;
}

/** An element-wise (or row-wise) function as a layer: what Activation and Softmax share. */
abstract class FunctionLayer implements Layer {
  abstract readonly kind: "activation" | "softmax";
  name: string;
  /** The function applied. */
  readonly fn: ActivationFunction;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  private shape: readonly number[] = [];
  private ctx: BuildContext | null = null;
  private x: Tensor | null = null;
  private readonly yBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );
  private readonly dxBuf = new BatchBuffers(
    () => this.ctx,
    () => this.shape,
  );

  protected constructor(fn: ActivationFunction, name: string | undefined, inputShape: number[] | undefined) {
    this.fn = fn;
    this.name = name ?? "";
    this.inputShape = inputShape;
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
    return this.shape;
  }

  forward(x: Tensor, _mode: Mode): Tensor {
    const B = batchSizeOf(this, x, this.shape);
    const cols = x.size / Math.max(B, 1);
    this.x = x;
    const y = this.yBuf.get(B);
    (this.ctx as BuildContext).backend.activationForward(this.fn, x.data, y.data, B, cols);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (this.x === null) throw new ValueError(`${this.kind} layer '${this.name}': backward called before forward`);
    if (!needInputGrad) return null;
    const B = this.x.shape[0] as number;
    batchSizeOf(this, dy, this.shape);
    const dx = this.dxBuf.get(B);
    const cols = this.x.size / Math.max(B, 1);
    const yd = this.yBuf.get(B).data;
    (this.ctx as BuildContext).backend.activationBackward(this.fn, this.x.data, yd, dy.data, dx.data, B, cols);
    return dx;
  }

  params(): Param[] {
    return [];
  }

  zeroGrad(): void {}

  abstract toConfig(): LayerConfig;
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
export class Activation extends FunctionLayer {
  /** Options: their types, ranges and defaults (the constructor and the loader both parse through it). */
  static readonly options = {
    name: NAME_SPEC,
    inputShape: INPUT_SHAPE_SPEC,
    activation: { type: "custom", parse: (v: unknown) => getActivation(v as ActivationConfig), required: true },
  } as const;

  /** An Activation layer from its {@link Activation.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Activation {
    return new Activation(layerOptions(cfg) as unknown as ActivationLayerOptions);
  }

  /** The layer kind in configs and saved files. */
  readonly kind = "activation" as const;

  constructor(opts: ActivationLayerOptions) {
    if (typeof opts !== "object" || opts === null) throw new ValueError("Activation: options object required");
    const o = parseOptions("Activation", Activation.options, opts);
    super(o.activation, o.name, o.inputShape);
  }

  /** The serializable form: kind, name and options. */
  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name, activation: this.fn.toConfig() };
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
export class Softmax extends FunctionLayer {
  /** Options: a name and an input shape only. */
  static readonly options = { name: NAME_SPEC, inputShape: INPUT_SHAPE_SPEC } as const;

  /** A Softmax layer from its {@link Softmax.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Softmax {
    return new Softmax(layerOptions(cfg) as LayerOptions);
  }

  /** The layer kind in configs and saved files. */
  readonly kind = "softmax" as const;

  constructor(opts: LayerOptions = {}) {
    const o = parseOptions("Softmax", Softmax.options, opts);
    super(getActivation("softmax"), o.name, o.inputShape);
  }

  /** The serializable form: kind, name and options. */
  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name };
  }
}
