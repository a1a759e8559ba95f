/**
 * compile's options: what a training run needs besides the layers (the
 * optimizer, the loss and the metrics), parsed through one schema.
 */

import { ValueError } from "../errors.js";
import { getLoss, type Loss, type LossConfig, type LossName } from "../losses.js";
import { METRIC_NAMES, type Metric, type MetricName, metricFromName } from "../metrics.js";
import type { Optimizer } from "../optimizers.js";
import { listOf, OptionError, parseOptions, type Schema } from "../options.js";

/** Options of {@link Sequential.compile}. */
export interface CompileOptions {
  /** The optimizer instance, e.g. `new Adam({ lr: 1e-3 })`. */
  optimizer: Optimizer;
  /** A loss name, config or instance. */
  loss: LossName | LossConfig | Loss;
  /** Metrics to report besides the loss: `"accuracy"`, `"top<k>Accuracy"`, or instances. */
  metrics?: (MetricName | `top${number}Accuracy` | Metric)[];
}

/** The schema of {@link CompileOptions}. @internal */
export const COMPILE_OPTIONS = {
  optimizer: {
    type: "custom",
    required: true,
    parse: (v: unknown): Optimizer => {
      if (typeof (v as Optimizer | null)?.step !== "function")
        throw new OptionError("", "", "must be an Optimizer instance, e.g. new Adam({ lr: 1e-3 })");
      return v as Optimizer;
    },
  },
  loss: { type: "custom", required: true, parse: (v: unknown): Loss => getLoss(v as LossName | LossConfig | Loss) },
  metrics: {
    type: "custom",
    parse: (v: unknown): (string | Metric)[] => listOf("metric names or instances", v),
    default: [],
  },
} as const satisfies Schema;

/**
 * compile's options parsed: the optimizer, the loss, and each metric made
 * from its name for the loss's output link (accuracy on logits or
 * probabilities).
 * @internal
 */
export function parseCompileOptions(opts: CompileOptions): { optimizer: Optimizer; loss: Loss; metrics: Metric[] } {
  const o = parseOptions("compile", COMPILE_OPTIONS, opts);
  const link = o.loss.outputLink;
  const metrics = o.metrics.map((m) => {
    if (typeof m === "object") return m;
    const metric = metricFromName(String(m), link);
    if (metric === null) throw new ValueError(`compile: unknown metric '${String(m)}'; known: ${METRIC_NAMES}`);
    return metric;
  });
  return { optimizer: o.optimizer, loss: o.loss, metrics };
}
