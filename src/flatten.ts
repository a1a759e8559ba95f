/**
 * Flatten: (B, d1, d2, …) → (B, d1·d2·…). A view; no data moves.
 * backward: dx is dy viewed with the input's shape.
 */
import { ValueError } from "./errors.js";
import {
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
import { Tensor } from "./tensor.js";

/**
 * Flattens each sample, e.g. (N, 28, 28) image batches into (N, 784).
 *
 * @example
 * ```ts
 * const model = new Sequential({ inputShape: [28, 28] });
 * model.add(new Flatten());
 * model.add(new Dense({ units: 10 }));
 * ```
 */
export class Flatten implements Layer {
  readonly kind = "flatten" as const;
  name: string;
  /** Per-sample input shape given in the options, if any. */
  readonly inputShape: readonly number[] | undefined;
  private inShape: readonly number[] = [];
  private features = 0;
  private yView: Tensor | null = null;
  private dxView: Tensor | null = null;
  private batch = 0;

  /** Options: a name and an input shape only. */
  static readonly options = { name: NAME_SPEC, inputShape: INPUT_SHAPE_SPEC } as const;

  /** A Flatten layer from its {@link Flatten.toConfig} output. */
  static fromConfig(cfg: LayerConfig): Flatten {
    return new Flatten(layerOptions(cfg) as LayerOptions);
  }

  constructor(opts: LayerOptions = {}) {
    const o = parseOptions("Flatten", Flatten.options, opts);
    this.name = o.name ?? "";
    this.inputShape = o.inputShape;
  }

  get outputShape(): readonly number[] {
    return [this.features];
  }

  /** Any input shape, flattened to one dimension; no parameters. */
  paramShapes(inputShape: readonly number[]): LayerShapes {
    return { output: [inputShape.reduce((a, b) => a * b, 1)], params: [] };
  }

  build(inputShape: readonly number[], _ctx: BuildContext): readonly number[] {
    this.inShape = [...inputShape];
    this.features = inputShape.reduce((a, b) => a * b, 1);
    return [this.features];
  }

  forward(x: Tensor, _mode: Mode): Tensor {
    const B = batchSizeOf(this, x, this.inShape);
    this.batch = B;
    // Reuse the view object while it wraps the same buffer.
    if (this.yView === null || this.yView.data !== x.data) this.yView = new Tensor(x.data, [B, this.features]);
    return this.yView;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | null {
    if (this.yView === null) throw new ValueError(`flatten layer '${this.name}': backward called before forward`);
    if (!needInputGrad) return null;
    if (this.dxView === null || this.dxView.data !== dy.data) {
      this.dxView = new Tensor(dy.data, [this.batch, ...this.inShape]);
    }
    return this.dxView;
  }

  params(): Param[] {
    return [];
  }

  zeroGrad(): void {}

  toConfig(): LayerConfig {
    return { kind: this.kind, name: this.name };
  }
}
