/**
 * Where a training run stands, and the model's one run slot.
 *
 * A model holds at most one run at a time (a second `fit` while one runs is
 * refused, as TF.js does), and the run's position lives in that slot, never
 * in loose fields of the model: a checkpoint taken during the run reads it,
 * and after the run it is gone. The slot also remembers a step that left
 * the weights non-finite, so nothing predicts, evaluates, trains or saves
 * from them until they are replaced.
 */
import { type NonFiniteParamError, ShapeError, TinyMlpError, ValueError } from "../errors.js";
import type { Param } from "../layer.js";
import type { Metric } from "../metrics.js";
import { show } from "../options.js";
import type { Rng, RngState } from "../rng.js";
import type { Tensor } from "../tensor.js";

/**
 * Where training stood: what a checkpoint stores (`model.trainingState()`)
 * and `fit({ resume })` continues from.
 */
export interface TrainingState {
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Batches of that epoch already done. */
  batch: number;
  /** The model Rng's state now. */
  rng: RngState;
  /** The shuffling Rng's state at the start of the epoch (re-derives its order). */
  rngEpochStart: RngState;
  /** Sum of batch losses × batch sizes so far in the epoch. */
  lossSum: number;
  /** History of completed epochs. */
  history: Record<string, number[]>;
  /** Running state of each metric in the epoch in progress (see `Metric.getState`). */
  metrics?: Record<string, number[]>;
}

/** What a run keeps while it goes (a TrainingState without the generator states it reads live). */
export type RunPosition = Omit<TrainingState, "rng" | "metrics">;

/**
 * What {@link Sequential.fit} returns: per-epoch values of the loss, the
 * metrics, and their `val_` counterparts.
 * @example
 * ```ts
 * const h = await model.fit(x, y, { epochs: 3 });
 * h.history.loss; // [0.52, 0.31, 0.25]
 * ```
 */
export class History {
  /** Epoch numbers (0-based). */
  readonly epoch: number[] = [];
  /** Values per key, one per epoch. */
  readonly history: Record<string, number[]> = {};
  /** Appends one epoch's logs. */
  record(epoch: number, logs: Record<string, number>): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      const arr = this.history[k] ?? [];
      arr.push(v);
      this.history[k] = arr;
    }
  }
}

/**
 * A second run was started on a model while one was running (`fit` awaits
 * between batches, so another `fit` or `trainOnBatch` could interleave with
 * it on the same weights, buffers and position). The first run goes on
 * untouched.
 * @example
 * ```ts
 * const first = model.fit(x, y, { epochs: 5 });
 * await model.fit(x, y).catch((e) => e instanceof ModelBusyError); // true
 * await first;
 * ```
 */
export class ModelBusyError extends TinyMlpError {}

/**
 * The model's weights are not usable: a training step made a parameter NaN
 * or ±Infinity ({@link NonFiniteParamError}, kept as `cause`). `predict`,
 * `evaluate`, `fit`, `trainOnBatch` and saving refuse until the weights
 * are replaced (`setWeights`) or the model is loaded again from the last
 * checkpoint.
 * @example
 * ```ts
 * try { model.predict(x); } catch (e) { if (e instanceof UnusableWeightsError) model = load("run.ckpt"); }
 * ```
 */
export class UnusableWeightsError extends TinyMlpError {
  constructor(
    where: string,
    model: string,
    /** The step guard's error that made the weights unusable. */
    override readonly cause: NonFiniteParamError,
  ) {
    super(
      `${where}: the weights of ${model} are not usable: parameter '${cause.param}' became ${cause.value} ` +
        `(element ${cause.index})${cause.epoch === null ? "" : ` at epoch ${cause.epoch + 1}, batch ${(cause.batch ?? 0) + 1}`}; ` +
        "load the last checkpoint again, or replace the weights with model.setWeights(…)",
    );
  }
}

/** What messages name a model by (its one-line description, made only when an error needs it). */
interface Described {
  describe(): string;
}

/**
 * A model's one run slot: whether a run holds it, where that run stands,
 * and whether a step poisoned the weights.
 * @internal
 */
export class RunSlot {
  /** The run in progress (`fit`), or null. */
  position: RunPosition | null = null;
  /** What the last training step gave back (reused by every step; see StepResult). */
  readonly result: { loss: number; output: Tensor | null } = { loss: 0, output: null };
  private holder: string | null = null;
  private poison: NonFiniteParamError | null = null;

  /** Takes the slot for a run; refuses when another run holds it. */
  acquire(where: string, model: Described): void {
    this.requireIdle(where, model);
    this.holder = where;
  }

  /** Gives the slot back (a run ended, normally or by an error). */
  release(): void {
    this.holder = null;
    this.position = null;
  }

  /** Whether a run holds the slot. */
  get busy(): boolean {
    return this.holder !== null;
  }

  /** Refuses a second run (`trainOnBatch` while `fit` runs) without taking the slot. */
  requireIdle(where: string, model: Described): void {
    if (this.holder !== null) {
      throw new ModelBusyError(
        `${where}: ${model.describe()} is already training (${this.holder} is running on it); ` +
          "await it first, or train a second model",
      );
    }
  }

  /** Marks the weights unusable. */
  poisonWith(e: NonFiniteParamError): void {
    this.poison = e;
  }

  /**
   * Replaces every parameter's values (checked first: the count, each length,
   * every value finite; nothing is written unless all pass), and marks the
   * weights usable again.
   */
  replaceWeights(params: readonly Param[], weights: readonly ArrayLike<number>[]): void {
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new ValueError(
        `setWeights: expected ${params.length} arrays (one per parameter), got ${Array.isArray(weights) ? weights.length : show(weights)}`,
      );
    }
    params.forEach((p, i) => {
      const w = weights[i] as ArrayLike<number>;
      if (w?.length !== p.value.size) {
        throw new ShapeError(`setWeights: '${p.name}' has ${p.value.size} values, got ${w?.length ?? show(w)}`);
      }
      for (let k = 0; k < w.length; k++) {
        if (!Number.isFinite(w[k])) throw new ValueError(`setWeights: '${p.name}' element ${k} is ${w[k]}`);
      }
    });
    params.forEach((p, i) => {
      p.value.data.set(weights[i] as ArrayLike<number>);
    });
    this.poison = null;
  }

  /** Throws {@link UnusableWeightsError} when a step left the weights non-finite. */
  requireUsable(where: string, model: Described): void {
    if (this.poison !== null) throw new UnusableWeightsError(where, model.describe(), this.poison);
  }
}

/**
 * The training state of a model whose run slot is `slot`: during a run its
 * position, loss sum, metric counts and history; outside a run, the start
 * of one.
 * @internal
 */
export function trainingStateOf(slot: RunSlot, rng: Rng, metrics: readonly Metric[]): TrainingState {
  const f = slot.position;
  if (f === null) {
    return { epoch: 0, batch: 0, rng: rng.getState(), rngEpochStart: rng.getState(), lossSum: 0, history: {} };
  }
  return {
    epoch: f.epoch,
    batch: f.batch,
    rng: rng.getState(),
    rngEpochStart: f.rngEpochStart,
    lossSum: f.lossSum,
    history: Object.fromEntries(Object.entries(f.history).map(([k, v]) => [k, [...v]])),
    // Mid-epoch only: at an epoch boundary (batch 0) the metrics still hold
    // the finished epoch's counts, which the next epoch must not inherit.
    ...(f.batch > 0
      ? { metrics: Object.fromEntries(metrics.flatMap((m) => (m.getState ? [[m.name, m.getState()]] : []))) }
      : {}),
  };
}

/**
 * Checks a checkpoint's position against this run (its epochs and batches
 * per epoch) and restores its history of finished epochs.
 * @internal
 */
export function restoreHistory(history: History, resume: TrainingState, epochs: number, nBatches: number): void {
  if (!(resume.epoch <= epochs))
    throw new ValueError(`fit: the checkpoint is at epoch ${resume.epoch + 1}, beyond epochs = ${epochs}`);
  if (resume.batch > nBatches) {
    throw new ValueError(
      `fit: the checkpoint is at batch ${resume.batch}, but an epoch here has ${nBatches} batches (other data or batch size?)`,
    );
  }
  for (const k of Object.keys(resume.history)) history.history[k] = [...(resume.history[k] as number[])];
  for (let e = 0; e < (resume.history.loss?.length ?? 0); e++) history.epoch.push(e);
}
