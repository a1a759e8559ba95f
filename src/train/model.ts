/**
 * What a training loop needs from a model: the layer stack's verbs, what
 * compile set, the buffers it reuses, and its run slot. `Sequential`
 * implements it; the loops in this folder import this interface, never the
 * class, so the layering runs one way (sequential.ts → train/).
 */
import type { Backend } from "../backend/backend.js";
import type { DataSource } from "../data.js";
import { fmtShape, ShapeError, ValueError } from "../errors.js";
import type { BatchBuffers, Layer, Mode, Param } from "../layer.js";
import type { Loss } from "../losses.js";
import type { Metric } from "../metrics.js";
import type { Optimizer } from "../optimizers.js";
import type { Rng } from "../rng.js";
import type { DType, Tensor } from "../tensor.js";
import type { RunSlot } from "./state.js";

/**
 * The reused batch buffers of a model, allocated from its backend: inputs,
 * targets, and dL/doutput.
 * @internal
 */
export interface ModelBuffers {
  /** (B, ...inputShape) batches gathered from the data. */
  readonly x: BatchBuffers;
  /** (B, ...targetShape) batches of targets. */
  readonly y: BatchBuffers;
  /** (B, ...outputShape): dL/doutput, written by the loss. */
  readonly dOut: BatchBuffers;
}

/**
 * A model as the training loop sees it (implemented by {@link Sequential}).
 * @example
 * ```ts
 * const m: TrainableModel = new Sequential({ inputShape: [4], layers: [new Dense({ units: 2 })] });
 * ```
 */
export interface TrainableModel {
  /** The layers, in order. */
  readonly layers: readonly Layer[];
  /** Element type of weights and activations. */
  readonly dtype: DType;
  /** The model's seeded generator (dropout; shuffling unless fit has a seed). */
  readonly rng: Rng;
  /** Runs the hot loops and allocates every buffer. */
  readonly backend: Backend;
  /** The optimizer set by compile. */
  readonly optimizer: Optimizer | null;
  /** The loss set by compile. */
  readonly loss: Loss | null;
  /** The metrics set by compile. */
  readonly metrics: readonly Metric[];
  /** Per-sample input shape. */
  readonly inputShapePerSample: readonly number[];
  /** Per-sample output shape. */
  readonly outputShape: readonly number[];
  /** Set to true to end fit after the current batch or epoch. */
  stopTraining: boolean;
  /** The model's one run slot (see {@link RunSlot}). @internal */
  readonly run: RunSlot;
  /** The reused batch buffers. @internal */
  readonly buffers: ModelBuffers;
  /** Runs every layer forward. */
  forward(x: Tensor, mode: Mode): Tensor;
  /** Runs every layer backward from dL/doutput, accumulating parameter gradients. */
  backward(dOut: Tensor, needInputGrad?: boolean): Tensor | null;
  /** Every parameter, layer by layer. */
  params(): Param[];
  /** Clears every parameter gradient. */
  zeroGrad(): void;
  /** Sum of the layers' penalties. */
  regularizationLoss(): number;
  /** A short description for error messages, e.g. `Sequential (4 → 16 → 3)`. */
  describe(): string;
}

/**
 * The loss and optimizer compile set, or a ValueError naming `where`.
 * @internal
 */
export function requireCompiled(model: TrainableModel, where: string): [Loss, Optimizer] {
  if (model.loss === null || model.optimizer === null) {
    throw new ValueError(`${where}: call compile({ optimizer, loss }) first`);
  }
  return [model.loss, model.optimizer];
}

/**
 * Refuses a source whose per-sample shape is not the model's input shape.
 * @internal
 */
export function requireInputShape(model: TrainableModel, src: DataSource, where: string): void {
  const want = model.inputShapePerSample;
  const got = src.sampleShape;
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${where}: the model expects input of shape ${fmtShape(["N", ...want])}, got ${fmtShape([src.length, ...got])}`,
    );
  }
}
