/**
 * One training step, as five visible verbs (micrograd's loop):
 * forward → loss → zeroGrad → backward → step, then the step guard.
 */
import { checkTargets, requireFiniteInputs } from "../checks.js";
import { toSource } from "../data.js";
import { NonFiniteParamError, ShapeError } from "../errors.js";
import type { Param } from "../layer.js";
import { shapeSize, Tensor } from "../tensor.js";
import { requireCompiled, requireInputShape, type TrainableModel } from "./model.js";

/**
 * What one step gives back: the batch's mean loss (before the update) and
 * the model's output for the batch. One object per model, reused by every
 * step (valid until the next): a fresh one per step would be garbage the
 * allocation-free loop does not make.
 */
export interface StepResult {
  /** Mean loss over the batch plus the regularization penalty. */
  loss: number;
  /** The last layer's output buffer (valid until the next forward). */
  output: Tensor;
}

/**
 * One gradient step on one batch. When the loss is NaN or ±Infinity no
 * update is made (the last good weights stay) and that loss is returned.
 * @throws NonFiniteParamError when the step (or a forward pass's running
 * statistic) left a parameter NaN or ±Infinity; the model's run slot then
 * marks the weights unusable.
 * @internal
 */
export function trainStep(model: TrainableModel, x: Tensor, y: Tensor): StepResult {
  const [lossFn, optimizer] = requireCompiled(model, "trainStep");
  model.run.requireUsable("trainStep", model);
  const output = model.forward(x, "train"); //        forward
  const dOut = model.buffers.dOut.get(output.shape[0] as number);
  const loss = lossFn.compute(output, y, dOut.data) + model.regularizationLoss(); // loss (and dL/dout)
  const result = model.run.result;
  result.loss = loss;
  result.output = output;
  if (!Number.isFinite(loss)) {
    guardParams(model); // the forward pass may have put ±Infinity in a running statistic (BatchNormalization's)
    return result as StepResult; //                      never step on NaN/Infinity: keep the last good weights
  }
  try {
    model.zeroGrad(); //                                zero grad
    model.backward(dOut); //                            backward
    optimizer.step(model.params(), model.backend); //   step
    for (const l of model.layers) l.applyConstraints?.(); // e.g. max-norm, after the step
  } catch (e) {
    // refused mid-step (a schedule's rate out of range, a custom layer's
    // error): the forward pass above may already have put ±Infinity in a
    // running statistic, and that came first
    guardParams(model);
    throw e;
  }
  guardParams(model); //                                no step may leave a NaN/Infinity behind
  return result as StepResult; // output was set above
}

/**
 * The step guard: a finite loss does not make a finite update (a huge
 * learning rate overflows float range), so after every step each parameter
 * is checked with one branch-free pass (`allFinite`; ~1% of a W1 step on
 * wasm, docs/persistence.md). The rare failure then finds the element, and
 * the weights are marked unusable.
 */
function guardParams(model: TrainableModel): void {
  const bad = firstNonFinite(model, model.params());
  if (bad === null) return;
  const e = new NonFiniteParamError(bad.param.name, bad.index, bad.value);
  model.run.poisonWith(e);
  throw e;
}

/**
 * The first parameter holding a NaN or ±Infinity, and where: one
 * branch-free pass per parameter, then a search in the rare bad one.
 * @internal
 */
export function firstNonFinite(
  model: Pick<TrainableModel, "backend">,
  params: readonly Param[],
): { param: Param; index: number; value: number } | null {
  const rules = model.backend.rules;
  for (const param of params) {
    const a = param.value.data;
    if (rules.allFinite(a)) continue;
    const index = a.findIndex((v) => !Number.isFinite(v));
    return { param, index, value: a[index] as number };
  }
  return null;
}

/**
 * trainStep on a batch given as any tensor or label array, checked first:
 * the input's shape and values, the targets as given (before any
 * conversion: a label 1.0000000001 would round to 1 in float32), and the
 * sample counts. Refused while a fit runs on the model.
 * @internal
 */
export function trainOnBatch(model: TrainableModel, x: Tensor, y: Tensor | ArrayLike<number>): number {
  const [lossFn] = requireCompiled(model, "trainOnBatch");
  model.run.requireIdle("trainOnBatch", model);
  const xs = toSource(x, "trainOnBatch", "x");
  requireInputShape(model, xs, "trainOnBatch");
  requireFiniteInputs("trainOnBatch", xs);
  checkTargets("trainOnBatch", lossFn, shapeSize(model.outputShape), toSource(y, "trainOnBatch", "y"));
  const yt = y instanceof Tensor ? y : Tensor.from(Array.from(y), { dtype: model.dtype });
  if ((yt.shape[0] ?? 0) !== x.shape[0]) {
    throw new ShapeError(`trainOnBatch: x has ${x.shape[0]} samples but y has ${yt.shape[0]}`);
  }
  return trainStep(model, x, yt).loss;
}
