/**
 * Callbacks that need Node: checkpoints written to a file, and a terminal
 * progress bar.
 */
import { TinyMlpError } from "../errors.js";
import { checkpoint } from "../format/tmlp.js";
import { OptionError, type Parsed, parseOptions, type Schema, show } from "../options.js";
import type { Logs, Sequential } from "../sequential.js";
import type { Callback } from "../train/callbacks.js";
import { writeFileAtomic } from "./files.js";

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** File to write (replaced atomically each time). */
  path: string;
  /** Save every this many epochs (default 1). */
  everyEpochs?: number;
  /** Also save every this many batches (default: never). */
  everyBatches?: number;
  /** Save at epoch ends only when `monitor` improved (default false). */
  saveBestOnly?: boolean;
  /** The log value compared by saveBestOnly (default "val_loss"). */
  monitor?: string;
  /** Whether smaller or larger is better; "auto" picks max for accuracies, else min. */
  mode?: "min" | "max" | "auto";
}

/**
 * A fit callback that writes checkpoints (model, optimizer state, generator
 * state, position in training) atomically, every N epochs and/or batches,
 * or only when the monitored value improves.
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 20, callbacks: [new ModelCheckpoint({ path: "run.ckpt", everyBatches: 100 })] });
 * ```
 */
export class ModelCheckpoint implements Callback<Sequential> {
  /** The options' types, ranges and defaults. */
  static readonly options = {
    path: { type: "string", maxLength: 4096, required: true },
    everyEpochs: { type: "number", integer: true, min: 0, default: 1 },
    everyBatches: { type: "number", integer: true, min: 0, default: 0 },
    saveBestOnly: { type: "boolean", default: false },
    monitor: { type: "string", maxLength: 200, default: "val_loss" },
    mode: { type: "enum", values: ["min", "max", "auto"], default: "auto" },
  } as const satisfies Schema;

  private model: Sequential | null = null;
  private best: number | null = null;
  /** How many checkpoints were written. */
  saved = 0;
  private readonly opts: Parsed<typeof ModelCheckpoint.options>;

  constructor(opts: ModelCheckpointOptions) {
    this.opts = parseOptions("ModelCheckpoint", ModelCheckpoint.options, opts);
    if (this.opts.path === "") throw new OptionError("ModelCheckpoint", "path", "must not be empty");
  }

  setModel(model: Sequential): void {
    this.model = model;
  }

  onBatchEnd(batch: number): void {
    const every = this.opts.everyBatches;
    if (every > 0 && (batch + 1) % every === 0) this.write();
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.opts.saveBestOnly) {
      const v = logs[this.opts.monitor];
      if (v === undefined)
        throw new TinyMlpError(
          `ModelCheckpoint: '${this.opts.monitor}' is not in the logs (${Object.keys(logs).join(", ")})`,
        );
      const max = this.opts.mode === "max" || (this.opts.mode === "auto" && /acc/.test(this.opts.monitor));
      if (this.best === null || (max ? v > this.best : v < this.best)) {
        this.best = v;
        this.write();
      }
      return;
    }
    if (this.opts.everyEpochs > 0 && (epoch + 1) % this.opts.everyEpochs === 0) this.write();
  }

  private write(): void {
    if (this.model === null)
      throw new TinyMlpError("ModelCheckpoint: not attached to a model (use it in fit's callbacks)");
    writeFileAtomic(this.opts.path, checkpoint(this.model));
    this.saved++;
  }
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Total epochs, shown as "epoch 3/10" (default: unknown). */
  epochs?: number;
  /** Batches per epoch, for the bar's length and ETA (default: learned after the first epoch). */
  batchesPerEpoch?: number;
  /** Where to write (default process.stdout). Nothing is drawn when it is not a terminal. */
  stream?: NodeJS.WriteStream;
  /** Also print one summary line per epoch (default true). */
  summary?: boolean;
}

/**
 * A terminal progress bar for fit: one bar per epoch with the batch count,
 * ETA and running loss, then a line with the epoch's loss, metrics and time.
 * Drawn with the `cli-progress` package (an optional peer dependency:
 * `npm install cli-progress`); when the output is not a terminal only the
 * summary lines are printed.
 * @example
 * ```ts
 * import { ProgressBar } from "tinymlp/node";
 * await model.fit(x, y, { epochs: 10, batchSize: 128, callbacks: [new ProgressBar({ epochs: 10 })] });
 * ```
 */
export class ProgressBar implements Callback {
  private bar: {
    start(total: number, v: number, p: object): void;
    update(v: number, p: object): void;
    stop(): void;
  } | null = null;
  private readonly stream: NodeJS.WriteStream;
  private total: number;
  private t0 = 0;
  private seen = 0;
  private lossSum = 0;
  private plain = false; // a terminal without cli-progress: a line at each tenth of the epoch
  private label = "";
  /** The options' types, ranges and defaults. */
  static readonly options = {
    epochs: { type: "number", integer: true, min: 1 },
    batchesPerEpoch: { type: "number", integer: true, min: 1 },
    stream: {
      type: "custom",
      parse: (v: unknown): NodeJS.WriteStream => {
        if (typeof (v as { write?: unknown } | null)?.write !== "function")
          throw new OptionError("", "", `must be a writable stream (with a write method), got ${show(v)}`);
        return v as NodeJS.WriteStream;
      },
    },
    summary: { type: "boolean", default: true },
  } as const satisfies Schema;

  private readonly opts: Parsed<typeof ProgressBar.options>;

  constructor(opts: ProgressBarOptions = {}) {
    this.opts = parseOptions("ProgressBar", ProgressBar.options, opts);
    this.stream = this.opts.stream ?? process.stdout;
    this.total = this.opts.batchesPerEpoch ?? 0;
  }

  async onTrainBegin(): Promise<void> {
    if (!this.stream.isTTY) return;
    let mod: { default?: unknown; SingleBar?: unknown };
    try {
      mod = await import("cli-progress");
    } catch {
      // an optional display package never stops training: plain progress lines instead
      this.plain = true;
      return;
    }
    const lib = (mod.default ?? mod) as {
      SingleBar: new (o: object, preset: object) => NonNullable<ProgressBar["bar"]>;
      Presets: { shades_classic: object };
    };
    this.bar = new lib.SingleBar(
      {
        format: "  epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | ETA {eta}s",
        stream: this.stream,
        hideCursor: true,
      },
      lib.Presets.shades_classic,
    );
  }

  onEpochBegin(epoch: number): void {
    this.t0 = Date.now();
    this.seen = 0;
    this.lossSum = 0;
    const label = this.opts.epochs ? `${epoch + 1}/${this.opts.epochs}` : String(epoch + 1);
    this.label = label;
    this.bar?.start(this.total || 1, 0, { epoch: label, loss: "-" });
  }

  onBatchEnd(batch: number, logs: Logs): void {
    this.seen = batch + 1;
    this.lossSum += logs.loss ?? 0;
    const mean = (this.lossSum / Math.max(1, this.seen)).toFixed(4); // the running mean, as the epoch line reports
    if (this.bar && (batch % 5 === 4 || batch + 1 === this.total)) this.bar.update(batch + 1, { loss: mean });
    if (this.plain && this.total > 0) {
      const tenth = Math.max(1, Math.round(this.total / 10));
      if ((batch + 1) % tenth === 0 && batch + 1 < this.total) {
        const pct = Math.round((100 * (batch + 1)) / this.total);
        this.stream.write(`  epoch ${this.label}: ${pct}% (${batch + 1}/${this.total} batches), loss ${mean}\n`);
      }
    }
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.total === 0) this.total = this.seen;
    this.bar?.stop();
    if (this.opts.summary === false) return;
    const parts = Object.entries(logs).map(
      ([k, v]) => `${k} ${k.includes("acc") ? `${(100 * v).toFixed(2)}%` : v.toFixed(4)}`,
    );
    const label = this.opts.epochs ? `${epoch + 1}/${this.opts.epochs}` : String(epoch + 1);
    this.stream.write(`epoch ${label}  ${parts.join("  ")}  ${((Date.now() - this.t0) / 1000).toFixed(1)} s\n`);
  }
}
