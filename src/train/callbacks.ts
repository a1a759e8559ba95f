/**
 * The callback interface of fit, and the browser-safe callbacks:
 * EarlyStopping and ReduceLROnPlateau. The terminal ProgressBar and
 * ModelCheckpoint live in "tinymlp/node".
 */
import { ValueError } from "../errors.js";
import { parseOptions, type Schema } from "../options.js";
import type { FloatArray } from "../tensor.js";
import type { Logs } from "./evaluate.js";
import type { TrainableModel } from "./model.js";

/**
 * Hooks called during fit; each may be async. `M` is the model type
 * `setModel` receives (a `Sequential` for callbacks passed to its fit).
 * @example
 * ```ts
 * const cb: Callback = { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) };
 * ```
 */
export interface Callback<M = TrainableModel> {
  /** Before the first epoch. */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** After the last epoch (or an early stop). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** After each epoch, with the epoch's training and validation logs. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before each batch. */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After each batch, with that batch's `loss` and `size`. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /** Called by fit before training begins, with the model being trained. */
  setModel?(model: M): void;
}

/** The monitor options EarlyStopping and ReduceLROnPlateau share. */
const MONITOR = {
  monitor: { type: "string", maxLength: 200, default: "val_loss" },
  mode: { type: "enum", values: ["min", "max", "auto"], default: "auto" },
} as const satisfies Schema;

/** Whether a smaller or larger monitored value is better; "auto": larger for accuracies. */
export type MonitorMode = "min" | "max" | "auto";

function isMax(mode: MonitorMode, monitor: string): boolean {
  return mode === "max" || (mode === "auto" && /acc/.test(monitor));
}

function read(where: string, logs: Logs, monitor: string): number {
  const v = logs[monitor];
  if (v === undefined) {
    throw new ValueError(
      `${where}: '${monitor}' is not in the epoch logs (${Object.keys(logs).join(", ")}); add validation data or a metric`,
    );
  }
  return v;
}

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Log value to watch (default "val_loss"). */
  monitor?: string;
  /** min, max or auto (default auto). */
  mode?: MonitorMode;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Stops fit when the monitored value has not improved for `patience` epochs;
 * optionally restores the best epoch's weights (exactly, bit for bit).
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 100, validationSplit: 0.1,
 *   callbacks: [new EarlyStopping({ monitor: "val_accuracy", patience: 5, restoreBestWeights: true })] });
 * ```
 */
export class EarlyStopping implements Callback {
  /** The watched key. */
  readonly monitor: string;
  private readonly max: boolean;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly restoreBestWeights: boolean;
  private model: TrainableModel | null = null;
  /** Best value seen. */
  best: number | null = null;
  /** Epoch (0-based) of the best value. */
  bestEpoch = -1;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: FloatArray[] = [];

  /** The options' types, ranges and defaults. */
  static readonly options = {
    ...MONITOR,
    patience: { type: "number", integer: true, min: 0, default: 0 },
    minDelta: { type: "number", min: 0, default: 0 },
    restoreBestWeights: { type: "boolean", default: false },
  } as const satisfies Schema;

  constructor(opts: EarlyStoppingOptions = {}) {
    const o = parseOptions("EarlyStopping", EarlyStopping.options, opts);
    this.monitor = o.monitor;
    this.max = isMax(o.mode, this.monitor);
    this.patience = o.patience;
    this.minDelta = o.minDelta;
    this.restoreBestWeights = o.restoreBestWeights;
  }

  setModel(model: TrainableModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.best = null;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const v = read("EarlyStopping", logs, this.monitor);
    const improved = this.best === null || (this.max ? v > this.best + this.minDelta : v < this.best - this.minDelta);
    if (improved) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights && this.model) {
        const params = this.model.params();
        if (this.bestWeights.length !== params.length) this.bestWeights = params.map((p) => p.value.data.slice());
        else
          params.forEach((p, i) => {
            (this.bestWeights[i] as FloatArray).set(p.value.data);
          });
      }
      return;
    }
    this.wait++;
    if (this.wait > this.patience - 1 && this.model) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.model && this.bestWeights.length > 0) {
      this.model.params().forEach((p, i) => {
        p.value.data.set(this.bestWeights[i] as FloatArray);
      });
    }
  }
}

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** Log value to watch (default "val_loss"). */
  monitor?: string;
  /** min, max or auto (default auto). */
  mode?: MonitorMode;
  /** Multiply the rate by this on a plateau, in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Never go below this rate (default 0). */
  minLr?: number;
}

/**
 * Multiplies the optimizer's learning rate by `factor` when the monitored value
 * stops improving (as Keras's ReduceLROnPlateau). Needs a constant rate (not
 * a schedule): it sets `optimizer.lr`.
 * @example
 * ```ts
 * callbacks: [new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2 })]
 * ```
 */
export class ReduceLROnPlateau implements Callback {
  /** The watched key. */
  readonly monitor: string;
  private readonly max: boolean;
  private readonly factor: number;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private model: TrainableModel | null = null;
  private best: number | null = null;
  private wait = 0;
  private cooldownLeft = 0;

  /** The options' types, ranges and defaults. */
  static readonly options = {
    ...MONITOR,
    factor: { type: "number", gt: 0, lt: 1, default: 0.1 },
    patience: { type: "number", integer: true, min: 0, default: 10 },
    minDelta: { type: "number", min: 0, default: 1e-4 },
    cooldown: { type: "number", integer: true, min: 0, default: 0 },
    minLr: { type: "number", min: 0, default: 0 },
  } as const satisfies Schema;

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    const o = parseOptions("ReduceLROnPlateau", ReduceLROnPlateau.options, opts);
    this.monitor = o.monitor;
    this.max = isMax(o.mode, this.monitor);
    this.factor = o.factor;
    this.patience = o.patience;
    this.minDelta = o.minDelta;
    this.cooldown = o.cooldown;
    this.minLr = o.minLr;
  }

  setModel(model: TrainableModel): void {
    this.model = model;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const opt = this.model?.optimizer;
    if (!opt) return;
    if ((opt as { schedule?: unknown }).schedule) {
      throw new ValueError("ReduceLROnPlateau: the optimizer follows a schedule; use a constant lr with this callback");
    }
    const v = read("ReduceLROnPlateau", logs, this.monitor);
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (this.best === null || (this.max ? v > this.best + this.minDelta : v < this.best - this.minDelta)) {
      this.best = v;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience) {
      const next = Math.max(opt.lr * this.factor, this.minLr);
      if (next < opt.lr) opt.lr = next;
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/**
 * The callbacks of one fit, in order: the given ones, then the
 * onEpochEnd/onBatchEnd shorthands as one more.
 * @internal
 */
export function callbackList<M>(
  callbacks: Callback<M> | readonly Callback<M>[] | undefined,
  onEpochEnd: Callback<M>["onEpochEnd"] | undefined,
  onBatchEnd: Callback<M>["onBatchEnd"] | undefined,
): Callback<M>[] {
  const list: Callback<M>[] = [];
  if (callbacks) list.push(...(Array.isArray(callbacks) ? callbacks : [callbacks as Callback<M>]));
  if (onEpochEnd || onBatchEnd) {
    const cb: Callback<M> = {};
    if (onEpochEnd) cb.onEpochEnd = onEpochEnd;
    if (onBatchEnd) cb.onBatchEnd = onBatchEnd;
    list.push(cb);
  }
  return list;
}
