/**
 * Inference over a whole data set: predict and evaluate, a batch at a time
 * through the model's reused buffers, in eval mode.
 */
import { checkTargets, requireFiniteInputs } from "../checks.js";
import { type DataLike, type DataSource, toSource } from "../data.js";
import { ShapeError } from "../errors.js";
import type { Loss } from "../losses.js";
import { parseOptions } from "../options.js";
import { allocFloat, shapeSize, Tensor } from "../tensor.js";
import { requireCompiled, requireInputShape, type TrainableModel } from "./model.js";

/** Options of predict and evaluate. */
export interface BatchOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
  /**
   * Check the whole data once first (default true): inputs finite, targets
   * what the loss takes; errors name the dataset index. `false` skips the
   * pass (for data known to be clean).
   */
  checkData?: boolean;
}

/** The schema of {@link BatchOptions}. @internal */
export const BATCH_OPTIONS = {
  batchSize: { type: "number", integer: true, min: 1, default: 256 },
  checkData: { type: "boolean", default: true },
} as const;

/** Logs passed to callbacks and returned by evaluate: `loss`, metric values, `val_*` values. */
export type Logs = Record<string, number>;

/**
 * The model on every sample, in eval mode: a fresh (N, ...outputShape) tensor.
 * `where` names the caller in errors (predict, or predictProba).
 * @internal
 */
export function predict(model: TrainableModel, x: DataLike, opts: BatchOptions, where = "predict"): Tensor {
  const o = parseOptions(where, BATCH_OPTIONS, opts);
  model.run.requireUsable(where, model);
  const src = toSource(x, where, "x");
  requireInputShape(model, src, where);
  if (o.checkData) requireFiniteInputs(where, src);
  const N = src.length;
  const outShape = model.outputShape;
  const outSize = shapeSize(outShape);
  const result = new Tensor(allocFloat(model.dtype, N * outSize), [N, ...outShape]);
  const idx = identity(N);
  for (let s = 0; s < N; s += o.batchSize) {
    const n = Math.min(o.batchSize, N - s);
    const xb = model.buffers.x.get(n, src.sampleShape);
    src.gather(idx, s, n, xb.data);
    const out = model.forward(xb, "eval");
    result.data.set(out.data.subarray(0, n * outSize), s * outSize);
  }
  return result;
}

/**
 * Mean loss and metrics over a data set, in eval mode.
 * @internal
 */
export function evaluate(model: TrainableModel, x: DataLike, y: DataLike, opts: BatchOptions): Logs {
  const [lossFn] = requireCompiled(model, "evaluate");
  const o = parseOptions("evaluate", BATCH_OPTIONS, opts);
  model.run.requireUsable("evaluate", model);
  const xs = toSource(x, "evaluate", "x");
  const ys = toSource(y, "evaluate", "y");
  requireInputShape(model, xs, "evaluate");
  if (xs.length !== ys.length) {
    throw new ShapeError(`evaluate: x has ${xs.length} samples but y has ${ys.length}`);
  }
  if (o.checkData) {
    requireFiniteInputs("evaluate", xs);
    checkTargets("evaluate", lossFn, shapeSize(model.outputShape), ys);
  }
  return evaluateRange(model, lossFn, { xs, ys, idx: identity(xs.length), from: 0, to: xs.length }, o.batchSize);
}

/** Samples `idx[from .. to)` of a pair of sources: a validation set, or a whole test set. */
export interface DataRange {
  /** Inputs. */
  xs: DataSource;
  /** Targets. */
  ys: DataSource;
  /** Sample order. */
  idx: ArrayLike<number>;
  /** First position in `idx`. */
  from: number;
  /** One past the last position. */
  to: number;
}

/**
 * Loss (mean over the samples, plus the penalty) and metrics over a range,
 * `bs` samples per forward pass. Resets the metrics first.
 * @internal
 */
export function evaluateRange(model: TrainableModel, lossFn: Loss, r: DataRange, bs: number): Logs {
  for (const m of model.metrics) m.reset();
  let total = 0;
  for (let s = r.from; s < r.to; s += bs) {
    const n = Math.min(bs, r.to - s);
    const xb = model.buffers.x.get(n, r.xs.sampleShape);
    const yb = model.buffers.y.get(n, r.ys.sampleShape);
    r.xs.gather(r.idx, s, n, xb.data);
    r.ys.gather(r.idx, s, n, yb.data);
    const out = model.forward(xb, "eval");
    total += lossFn.compute(out, yb) * n;
    for (const m of model.metrics) m.update(out, yb);
  }
  const logs: Logs = { loss: total / Math.max(1, r.to - r.from) + model.regularizationLoss() };
  for (const m of model.metrics) logs[m.name] = m.result();
  return logs;
}

/** 0, 1, …, n − 1. @internal */
export function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
