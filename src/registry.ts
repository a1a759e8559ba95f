/**
 * The built-in layer classes, by kind: the one list the file format (and
 * later the exporters) walk. Adding a built-in layer means its own file, one
 * line here, and its export in index.ts.
 */
import { Activation, Softmax } from "./activation-layer.js";
import { Dense } from "./dense.js";
import { Dropout } from "./dropout.js";
import { Flatten } from "./flatten.js";
import type { LayerClass, LayerKind } from "./layer.js";
import { BatchNormalization, LayerNormalization } from "./normalization.js";
import { Normalization } from "./scaling.js";

/**
 * Kind → class, for every built-in layer.
 * @example
 * ```ts
 * const layer = LAYER_CLASSES.dense.fromConfig({ kind: "dense", units: 10 });
 * ```
 */
export const LAYER_CLASSES = {
  /** {@link Dense} */
  dense: Dense,
  /** {@link Activation} */
  activation: Activation,
  /** {@link Softmax} */
  softmax: Softmax,
  /** {@link Flatten} */
  flatten: Flatten,
  /** {@link Dropout} */
  dropout: Dropout,
  /** {@link BatchNormalization} */
  batchNormalization: BatchNormalization,
  /** {@link LayerNormalization} */
  layerNormalization: LayerNormalization,
  /** {@link Normalization} */
  normalization: Normalization,
} as const satisfies Record<LayerKind, LayerClass>;

export type { LayerKind } from "./layer.js";
