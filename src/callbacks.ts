/**
 * Callbacks for fit: EarlyStopping and ReduceLROnPlateau (browser-safe).
 * The terminal ProgressBar and ModelCheckpoint live in "tinymlp/node".
 */
import { checkNumber, ValueError } from "./errors.js";
import { checkKeys } from "./options.js";
import type { Callback, Logs, Sequential } from "./sequential.js";
import type { FloatArray } from "./tensor.js";

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
  private model: Sequential | null = null;
  /** Best value seen. */
  best: number | null = null;
  /** Epoch (0-based) of the best value. */
  bestEpoch = -1;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: FloatArray[] = [];

  constructor(opts: EarlyStoppingOptions = {}) {
    checkKeys("EarlyStopping", opts, ["monitor", "mode", "patience", "minDelta", "restoreBestWeights"]);
    this.monitor = opts.monitor ?? "val_loss";
    this.max = isMax(opts.mode ?? "auto", this.monitor);
    this.patience = checkNumber(
      "EarlyStopping",
      "patience",
      opts.patience ?? 0,
      (p) => Number.isInteger(p) && p >= 0,
      "an integer >= 0",
    );
    this.minDelta = checkNumber("EarlyStopping", "minDelta", opts.minDelta ?? 0, (d) => d >= 0, "a finite number >= 0");
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  setModel(model: Sequential): void {
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
  private model: Sequential | null = null;
  private best: number | null = null;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    checkKeys("ReduceLROnPlateau", opts, ["monitor", "mode", "factor", "patience", "minDelta", "cooldown", "minLr"]);
    this.monitor = opts.monitor ?? "val_loss";
    this.max = isMax(opts.mode ?? "auto", this.monitor);
    this.factor = checkNumber("ReduceLROnPlateau", "factor", opts.factor ?? 0.1, (f) => f > 0 && f < 1, "in (0, 1)");
    this.patience = checkNumber(
      "ReduceLROnPlateau",
      "patience",
      opts.patience ?? 10,
      (p) => Number.isInteger(p) && p >= 0,
      "an integer >= 0",
    );
    this.minDelta = checkNumber(
      "ReduceLROnPlateau",
      "minDelta",
      opts.minDelta ?? 1e-4,
      (d) => d >= 0,
      "a finite number >= 0",
    );
    this.cooldown = checkNumber(
      "ReduceLROnPlateau",
      "cooldown",
      opts.cooldown ?? 0,
      (c) => Number.isInteger(c) && c >= 0,
      "an integer >= 0",
    );
    this.minLr = checkNumber("ReduceLROnPlateau", "minLr", opts.minLr ?? 0, (m) => m >= 0, "a finite number >= 0");
  }

  setModel(model: Sequential): void {
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
