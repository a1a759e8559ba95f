/**
 * fit: epochs of shuffled mini-batches, a loop you could write yourself
 * (Flux's `train!`):
 *
 *     for epoch in epochs:
 *       shuffle the sample order
 *       for each batch: gather → augment → trainStep (forward, loss, zeroGrad, backward, step) → metrics
 *       evaluate the validation data; record the epoch; callbacks
 *
 * Everything else here is bookkeeping for that loop: the options, the
 * validation data, callbacks, a yield to the event loop now and then, and
 * the position a checkpoint records so a run can resume bit-exactly.
 */
import type { BatchStep, BatchTransform } from "../augment.js";
import { checkTargets, requireFiniteInputs } from "../checks.js";
import { type DataLike, type DataSource, toSource } from "../data.js";
import { type DivergenceInfo, DivergenceWatch, warnDivergence } from "../divergence.js";
import { NonFiniteLossError, NonFiniteParamError, ShapeError, ValueError } from "../errors.js";
import { OptionError, parseOptions, type Schema, show } from "../options.js";
import { Rng } from "../rng.js";
import { shapeSize } from "../tensor.js";
import { type Callback, callbackList } from "./callbacks.js";
import { type DataRange, evaluateRange, identity, type Logs } from "./evaluate.js";
import { requireCompiled, requireInputShape, type TrainableModel } from "./model.js";
import { scaleHint } from "./scale-hint.js";
import { History, type RunPosition, restoreHistory, type TrainingState } from "./state.js";
import { trainStep } from "./step.js";

/** Options of fit. `M` is the model type callbacks' `setModel` receives. */
export interface FitOptions<M = TrainableModel> {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /**
   * Check x, y and the validation data once before the first step (default
   * true): inputs finite, targets what the loss takes (integer labels in
   * range, BCE targets in [0, 1], distributions for categorical
   * cross-entropy); errors name the dataset index. `false` skips it.
   */
  checkData?: boolean;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the training samples every epoch (default true). */
  shuffle?: boolean;
  /** Fraction in [0, 1) of the samples, taken from the end, held out for validation. */
  validationSplit?: number;
  /** Explicit validation inputs and targets (overrides validationSplit). */
  validationData?: [DataLike, DataLike];
  /** Seed for shuffling; default: the model's generator. */
  seed?: number;
  /** Callbacks, called in order. */
  callbacks?: Callback<M> | Callback<M>[];
  /** Shorthand for a callback's onEpochEnd. */
  onEpochEnd?: Callback<M>["onEpochEnd"];
  /** Shorthand for a callback's onBatchEnd. */
  onBatchEnd?: Callback<M>["onBatchEnd"];
  /** Yield to the event loop at least this often, in ms (default 25), so a page stays responsive. */
  yieldEvery?: number;
  /**
   * Continue a run from a checkpoint's training state (see `deserialize` /
   * `loadCheckpoint`): same data, batch size, epochs and seed give weights
   * bit-identical to a run that was never interrupted.
   */
  resume?: TrainingState | null;
  /**
   * Changes each training batch's inputs in place before its step, e.g. an
   * `ImageAugmentation` drawing new deformations for every batch of
   * every epoch. Validation and test data are never augmented.
   */
  augment?: BatchTransform | null;
  /**
   * Called once per fit when the loss looks like it is diverging: its
   * smoothed value (over ~10 batches) rises above both 100× its running
   * minimum and the first batch's loss. Default: one `console.warn`; `null`
   * turns the watch off. Training goes on either way (a NaN loss or
   * parameter stops it with an error).
   */
  onDivergence?: ((info: DivergenceInfo) => void) | null;
  /**
   * Called once, before training, with a hint when a regression loss meets
   * unscaled data: targets whose root mean square exceeds 100 (without an
   * inverting Normalization last) or features beyond ±1000 (without a
   * Normalization first). Default: one `console.warn`; `null` turns it off.
   * It reads the data once, so `checkData: false` skips it too.
   */
  onScaleHint?: ((message: string) => void) | null;
}

/** An object of the given shape, or an OptionError (path relative to the option). */
function objectWith<T>(what: string, method: string | null) {
  return (v: unknown): T => {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new OptionError("", "", `must be ${what}, got ${show(v)}`);
    if (method !== null && typeof (v as Record<string, unknown>)[method] !== "function")
      throw new OptionError("", "", `must be ${what} (an object with a ${method} method), got ${show(v)}`);
    return v as T;
  };
}

/** The schema of {@link FitOptions}. @internal */
export const FIT_OPTIONS = {
  epochs: { type: "number", integer: true, min: 0, default: 1 },
  checkData: { type: "boolean", default: true },
  batchSize: { type: "number", integer: true, min: 1, default: 32 },
  shuffle: { type: "boolean", default: true },
  validationSplit: { type: "number", min: 0, lt: 1, default: 0 },
  validationData: {
    type: "custom",
    parse: (v: unknown): [DataLike, DataLike] => {
      if (!Array.isArray(v) || v.length !== 2)
        throw new OptionError("", "", `must be a pair [x, y] of validation inputs and targets, got ${show(v)}`);
      return v as [DataLike, DataLike];
    },
  },
  seed: { type: "number" },
  callbacks: {
    type: "custom",
    parse: (v: unknown): Callback<unknown>[] => {
      const list = Array.isArray(v) ? v : [v];
      return list.map((cb, i) => {
        if (typeof cb !== "object" || cb === null)
          throw new OptionError(
            "",
            "",
            `${Array.isArray(v) ? `entry ${i} ` : ""}must be a callback object, got ${show(cb)}`,
          );
        return cb as Callback<unknown>;
      });
    },
  },
  onEpochEnd: { type: "function" },
  onBatchEnd: { type: "function" },
  yieldEvery: { type: "number", min: 0, default: 25 },
  resume: {
    type: "custom",
    parse: (v: unknown): TrainingState | null =>
      v === null ? null : objectWith<TrainingState>("a training state", null)(v),
    default: null,
  },
  augment: {
    type: "custom",
    parse: (v: unknown): BatchTransform | null =>
      v === null ? null : objectWith<BatchTransform>("a batch transform", "transformBatch")(v),
    default: null,
  },
  onDivergence: { type: "function", nullable: true },
  onScaleHint: { type: "function", nullable: true },
} as const satisfies Schema;

/** Validation data as a range of a source, or none. */
type Validation = DataRange | null;

/** What one fit call keeps across its epochs and batches. */
interface Run<M> {
  xs: DataSource;
  ys: DataSource;
  nTrain: number;
  nBatches: number;
  batchSize: number;
  order: Uint32Array;
  shuffle: boolean;
  shuffleRng: Rng;
  callbacks: Callback<M>[];
  augment: BatchTransform | null;
  step: BatchStep;
  yieldEvery: number;
  lastYield: number;
  divergence: DivergenceWatch | null;
  /** Where the run stands: what a checkpoint records. */
  position: RunPosition;
}

/**
 * Trains `model` for a number of epochs of shuffled mini-batches (see
 * `Sequential.fit`). Holds the model's run slot for its whole duration.
 * @internal
 */
export async function fit<M extends TrainableModel>(
  model: M,
  x: DataLike,
  y: DataLike,
  opts: FitOptions<M> | undefined,
): Promise<History> {
  const [lossFn] = requireCompiled(model, "fit");
  const o = parseOptions("fit", FIT_OPTIONS, opts);
  model.run.requireIdle("fit", model);
  model.run.requireUsable("fit", model);
  const xs = toSource(x, "fit", "x");
  const ys = toSource(y, "fit", "y");
  requireInputShape(model, xs, "fit");
  if (xs.length !== ys.length) throw new ShapeError(`fit: x has ${xs.length} samples but y has ${ys.length}`);
  if (o.checkData) {
    const outSize = shapeSize(model.outputShape);
    requireFiniteInputs("fit", xs);
    checkTargets("fit", lossFn, outSize, ys);
    const vd = o.validationData;
    if (vd) {
      requireFiniteInputs("fit", toSource(vd[0], "fit", "validationData[0]"), "validationData[0]");
      checkTargets("fit", lossFn, outSize, toSource(vd[1], "fit", "validationData[1]"), "validationData[1]");
    }
  }
  const resume = o.resume;
  const { nTrain, val } = holdOut(model, xs, ys, o.validationData, o.validationSplit);
  const onScaleHint = o.onScaleHint === undefined ? (m: string) => console.warn(m) : o.onScaleHint;
  // a pass over the data, as checkData's: skipped with it, and when resuming (said at the start)
  if (onScaleHint !== null && o.checkData && resume === null && nTrain > 0) {
    const hint = scaleHint(model.layers, lossFn, xs, ys, nTrain);
    if (hint !== null) (onScaleHint as (m: string) => void)(hint);
  }
  const callbacks = callbackList<M>(
    o.callbacks as Callback<M>[] | undefined,
    o.onEpochEnd as Callback<M>["onEpochEnd"],
    o.onBatchEnd as Callback<M>["onBatchEnd"],
  );
  const shuffleRng = o.seed === undefined ? model.rng : new Rng(o.seed);
  const nBatches = Math.ceil(nTrain / o.batchSize);
  const history = new History();
  if (resume) restoreHistory(history, resume, o.epochs, nBatches);
  const onDivergence = o.onDivergence === undefined ? warnDivergence : o.onDivergence;
  const run: Run<M> = {
    xs,
    ys,
    nTrain,
    nBatches,
    batchSize: o.batchSize,
    order: new Uint32Array(nTrain),
    shuffle: o.shuffle,
    shuffleRng,
    callbacks,
    augment: o.augment,
    step: { epoch: 0, batch: 0, backend: model.backend },
    yieldEvery: o.yieldEvery,
    lastYield: Date.now(),
    divergence: onDivergence === null ? null : new DivergenceWatch(onDivergence as (i: DivergenceInfo) => void),
    position: {
      epoch: resume?.epoch ?? 0,
      batch: 0,
      rngEpochStart: shuffleRng.getState(),
      lossSum: 0,
      history: history.history,
    },
  };
  model.run.acquire("fit", model);
  model.stopTraining = false;
  model.run.position = run.position;
  try {
    for (const cb of callbacks) cb.setModel?.(model);
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = run.position.epoch; epoch < o.epochs && !model.stopTraining; epoch++) {
      const from = resume !== null && epoch === resume.epoch ? resume : null;
      const logs = await trainEpoch(model, run, epoch, from);
      if (logs === null) break; // stopped mid-epoch
      if (val !== null) {
        const v = evaluateRange(model, lossFn, val, Math.max(o.batchSize, 256));
        for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
      }
      history.record(epoch, logs);
      // A checkpoint taken now starts the next epoch.
      const p = run.position;
      p.epoch = epoch + 1;
      p.batch = 0;
      p.lossSum = 0;
      p.rngEpochStart = shuffleRng.getState();
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
  } finally {
    model.run.release();
  }
  return history;
}

/**
 * The training samples and the validation data: explicit data, or the last
 * `fraction` of the samples (taken before shuffling, as Keras does).
 */
function holdOut(
  model: TrainableModel,
  xs: DataSource,
  ys: DataSource,
  data: [DataLike, DataLike] | undefined,
  fraction: number,
): { nTrain: number; val: Validation } {
  let nTrain = xs.length;
  let val: Validation = null;
  if (data) {
    const vx = toSource(data[0], "fit validationData");
    const vy = toSource(data[1], "fit validationData");
    requireInputShape(model, vx, "fit validationData");
    if (vx.length !== vy.length) {
      throw new ShapeError(`fit: validation x has ${vx.length} samples but y has ${vy.length}`);
    }
    val = { xs: vx, ys: vy, idx: identity(vx.length), from: 0, to: vx.length };
  } else if (fraction > 0) {
    nTrain = Math.floor(xs.length * (1 - fraction));
    val = { xs, ys, idx: identity(xs.length), from: nTrain, to: xs.length };
  }
  if (nTrain === 0) throw new ValueError("fit: no training samples");
  return { nTrain, val };
}

/**
 * One epoch: shuffle, then every batch; returns the epoch's training logs.
 * `from` is the checkpoint when this epoch resumes one. Null when
 * `stopTraining` ended the epoch before its last batch.
 */
async function trainEpoch<M extends TrainableModel>(
  model: M,
  run: Run<M>,
  epoch: number,
  from: TrainingState | null,
): Promise<Logs | null> {
  const rng = run.shuffleRng;
  const p = run.position;
  // The epoch's order depends only on the shuffling generator's state at
  // its start, so a checkpoint can re-derive it exactly.
  if (from) rng.setState(from.rngEpochStart);
  p.epoch = epoch;
  p.rngEpochStart = rng.getState();
  for (let i = 0; i < run.nTrain; i++) run.order[i] = i;
  if (run.shuffle) rng.shuffle(run.order);
  // Dropout continues where it stopped. (With one generator for both, a
  // checkpoint at an epoch boundary holds the pre-shuffle state, which
  // the shuffle just advanced exactly as the uninterrupted run did.)
  if (from && (rng !== model.rng || from.batch > 0)) model.rng.setState(from.rng);
  for (const cb of run.callbacks) await cb.onEpochBegin?.(epoch, {});
  for (const m of model.metrics) m.reset();
  // mid-epoch: the metrics continue from their counts at the checkpoint, as the loss sum does
  if (from?.metrics) {
    for (const m of model.metrics) {
      const s = from.metrics[m.name];
      if (s && m.setState) m.setState(s);
    }
  }
  p.lossSum = from ? from.lossSum : 0;
  for (let b = from ? from.batch : 0; b < run.nBatches; b++) {
    await trainBatch(model, run, epoch, b);
    if (model.stopTraining && b < run.nBatches - 1) return null;
  }
  const logs: Logs = { loss: p.lossSum / run.nTrain };
  for (const m of model.metrics) logs[m.name] = m.result();
  return logs;
}

/** One batch: gather, augment, train step, metrics, callbacks, and a yield to the event loop now and then. */
async function trainBatch<M extends TrainableModel>(model: M, run: Run<M>, epoch: number, b: number): Promise<void> {
  const start = b * run.batchSize;
  const n = Math.min(run.batchSize, run.nTrain - start);
  const callbacks = run.callbacks;
  if (callbacks.length > 0) for (const cb of callbacks) await cb.onBatchBegin?.(b, { batch: b, size: n });
  const xb = model.buffers.x.get(n, run.xs.sampleShape);
  const yb = model.buffers.y.get(n, run.ys.sampleShape);
  run.xs.gather(run.order, start, n, xb.data);
  run.ys.gather(run.order, start, n, yb.data);
  if (run.augment !== null) {
    run.step.epoch = epoch;
    run.step.batch = b;
    run.augment.transformBatch(xb, run.step);
  }
  let step: ReturnType<typeof trainStep>;
  try {
    step = trainStep(model, xb, yb);
  } catch (e) {
    if (e instanceof NonFiniteParamError) {
      const at = new NonFiniteParamError(e.param, e.index, e.value, epoch, b);
      model.run.poisonWith(at);
      throw at;
    }
    throw e;
  }
  const loss = step.loss;
  // trainStep leaves the weights untouched on a non-finite loss
  if (!Number.isFinite(loss)) throw new NonFiniteLossError(epoch, b, loss);
  run.divergence?.update(epoch, b, loss);
  run.position.lossSum += loss * n;
  run.position.batch = b + 1;
  for (const m of model.metrics) m.update(step.output, yb);
  if (callbacks.length > 0) {
    const logs: Logs = { batch: b, size: n, loss };
    for (const cb of callbacks) await cb.onBatchEnd?.(b, logs);
  }
  if (Date.now() - run.lastYield >= run.yieldEvery) {
    await yieldToEventLoop();
    run.lastYield = Date.now();
  }
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
