/**
 * The tinymlp model format, version 1 (spec: docs/persistence.md).
 *
 * A model is a JSON header (architecture, metadata, optional optimizer and
 * training state) plus a list of float arrays (weights, then optimizer slots),
 * in the model's dtype. Two encodings of the same document:
 *   - JSON (`modelToJSON(model)` / `modelFromJSON(doc)`): arrays as number lists;
 *   - bytes (`serialize()` / `deserialize()`): "TMLP", u32 version, u32 header
 *     length, the header as UTF-8 JSON, zero padding to a multiple of 8, then
 *     the arrays back to back, little-endian.
 *
 * Loading validates everything before allocating anything big: the version,
 * every key and value of the header (unknown keys and `__proto__`-like keys
 * are refused), the layer stack's shapes, and the declared array sizes
 * against the actual bytes. Every failure is a {@link FormatError} naming the
 * field.
 *
 * The loader knows no option of any class: each layer, optimizer, schedule,
 * loss and initializer is rebuilt through its own constructor, which parses
 * its options through the class's schema (src/options.ts), and each layer's
 * `paramShapes` says what arrays it needs before anything is allocated.
 * What a class's state may hold is said by the class too: a parameter flagged
 * `nonNegative` (batch normalization's moving variance), an optimizer's
 * `nonNegativeSlots` (sums of squares) and its `scalarNames`.
 * Persistence is free functions over a model: the model does not import
 * this file.
 */

import type { Backend } from "../backend/backend.js";
import type { BackendName } from "../backend/select.js";
import { TinyMlpError } from "../errors.js";
import type { Layer, LayerClass, LayerConfig } from "../layer.js";
import { LIMITS } from "../limits.js";
import { getLoss, type LossConfig } from "../losses.js";
import { METRIC_NAMES, type Metric, metricFromName } from "../metrics.js";
import { type Optimizer, type OptimizerConfig, type OptimizerState, optimizerFromConfig } from "../optimizers.js";
import { OptionError, parseOptions, quote, type Schema, show } from "../options.js";
import { LAYER_CLASSES } from "../registry.js";
import type { RngState } from "../rng.js";
import { Sequential, type TrainingState } from "../sequential.js";
import { TableEncoding, type TableEncodingJSON } from "../table.js";
import { allocFloat, type DType, type FloatArray } from "../tensor.js";
import { VERSION } from "../version.js";
import { floatsAt, writeFloats } from "./floats.js";
import { jsonShape, parseJsonBounded } from "./json-shape.js";

export type { TrainingState };

/** The format version this code writes and reads. */
export const FORMAT_VERSION = 1;
const MAGIC = [0x54, 0x4d, 0x4c, 0x50]; // "TMLP"

export { LIMITS };

/**
 * A model file or document is malformed or unsupported. The message names the
 * field (`model.layers[2].units`) and what was wrong with it.
 * @example
 * ```ts
 * try { modelFromJSON(doc); } catch (e) { if (e instanceof FormatError) console.error(e.message); }
 * ```
 */
export class FormatError extends TinyMlpError {}

/** The header of a saved model. */
export interface ModelHeader {
  /** Always `"tinymlp-model"`. */
  format: "tinymlp-model";
  /** The file format's version (this library reads version 1). */
  formatVersion: number;
  /** The version of tinymlp that wrote the file. */
  tinymlpVersion: string;
  /** When the file was written (ISO 8601). */
  createdAt: string;
  /** The architecture. */
  model: {
    /** Per-sample input shape. */
    inputShape: number[];
    /** The dtype of every array. */
    dtype: DType;
    /** Each layer's `toConfig()`. */
    layers: LayerConfig[];
    /** The model generator's state (dropout, shuffling continue from it). */
    rng: RngState;
  };
  /** One entry per parameter, in `model.params()` order. */
  weights: {
    /** The parameter's name, e.g. `"dense_1/kernel"`. */
    name: string;
    /** Its shape. */
    shape: number[];
  }[];
  /** Present when the model was compiled. */
  compile?: {
    /** The loss's config. */
    loss: LossConfig;
    /** The metrics' names (`"accuracy"`, `"top3Accuracy"`). */
    metrics: string[];
  };
  /** Optimizer config and which slot arrays follow the weights. */
  optimizer?: {
    /** The optimizer's `toConfig()`. */
    config: OptimizerConfig;
    /** Steps taken (Adam's t). */
    step: number;
    /** For each slot (`"m"`, `"v"`, `"momentum"`…), whether each parameter has one in the arrays. */
    slots: Record<string, boolean[]>;
    /** Scalar state beyond the step (Nadam's running momentum product). */
    scalars?: Record<string, number>;
  };
  /** Present in checkpoints. */
  training?: TrainingState;
  /** How raw table rows become the inputs (`model.table`), when set. */
  table?: TableEncodingJSON;
}

/** A saved model as a plain JSON-able object: the header plus the arrays as number lists. */
export interface ModelJSON extends ModelHeader {
  /** The weights then the present optimizer slot arrays, in header order. */
  arrays: number[][];
}

interface Doc {
  header: ModelHeader;
  arrays: FloatArray[];
}

// ---------- writing ----------

/** Collects a model (and, if compiled, its optimizer) into a document. */
function toDoc(model: Sequential, training?: TrainingState): Doc {
  model.requireLive("save");
  model.run.requireUsable("cannot save", model); // weights a step left non-finite are never written
  const params = model.params();
  const header: ModelHeader = {
    format: "tinymlp-model",
    formatVersion: FORMAT_VERSION,
    tinymlpVersion: VERSION,
    createdAt: new Date().toISOString(),
    model: {
      inputShape: [...model.inputShapePerSample],
      dtype: model.dtype,
      layers: model.layers.map((l) => l.toConfig()),
      rng: model.rng.getState(),
    },
    weights: params.map((p) => ({ name: p.name, shape: [...p.value.shape] })),
  };
  if (model.table !== null) header.table = TableEncoding.fromJSON(model.table).toJSON(); // checked as the loader will
  const arrays: FloatArray[] = params.map((p) => p.value.data);
  // What the loader refuses is never written: the same value rules, at save time.
  params.forEach((p, i) => {
    savable(`weights[${i}] ('${p.name}')`, p.value.data, p.nonNegative === true);
  });
  if (model.loss && model.optimizer) {
    header.compile = { loss: model.loss.toConfig(), metrics: model.metrics.map((m) => m.name) };
    const st = model.optimizer.getState(params);
    const slots: Record<string, boolean[]> = {};
    for (const [name, list] of Object.entries(st.slots)) {
      slots[name] = list.map((a) => a !== null);
      list.forEach((a, i) => {
        if (a === null) return;
        savable(`optimizer.slots.${name}[${i}]`, a, model.optimizer?.nonNegativeSlots.includes(name) === true);
        arrays.push(a);
      });
    }
    header.optimizer = { config: model.optimizer.toConfig(), step: st.step, slots };
    if (st.scalars && Object.keys(st.scalars).length > 0) header.optimizer.scalars = st.scalars;
  }
  if (training) header.training = encodeTraining(training);
  return { header, arrays };
}

/**
 * The model (with its optimizer state, if compiled) as one Uint8Array.
 * @example
 * ```ts
 * const bytes = serialize(model);
 * const copy = deserialize(bytes);
 * ```
 */
export function serialize(model: Sequential, training?: TrainingState): Uint8Array {
  const { header, arrays } = toDoc(model, training);
  const json = new TextEncoder().encode(JSON.stringify(header));
  // What the library writes, it reads: refuse here what the loader would refuse.
  if (json.length > LIMITS.headerBytes) {
    throw new FormatError(
      `header: ${json.length} bytes exceeds the loader's limit of ${LIMITS.headerBytes} bytes` +
        (training ? " (a long training history: save the model without it, or start a new fit)" : ""),
    );
  }
  const shape = jsonShape(json, 0, json.length, LIMITS.headerValues);
  if (typeof shape === "string") throw new FormatError(`header: ${shape}`);
  const start = align8(12 + json.length);
  const width = model.dtype === "float64" ? 8 : 4;
  const total = start + arrays.reduce((s, a) => s + a.length * width, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const a of arrays) {
    writeFloats(out, off, a);
    off += a.length * width;
  }
  return out;
}

/**
 * A checkpoint: the model, its optimizer state, its generator state and,
 * during fit, the position in training (`model.trainingState()`). Restore
 * with `deserialize` and pass its `training` to `fit({ resume })`.
 * @example
 * ```ts
 * const bytes = checkpoint(model);
 * const { model: m, training } = deserialize(bytes);
 * await m.fit(x, y, { epochs: 10, resume: training });
 * ```
 */
export function checkpoint(model: Sequential): Uint8Array {
  return serialize(model, model.trainingState());
}

/**
 * The model as a JSON-able object (arrays as number lists: float32 values
 * round-trip exactly through JSON text).
 * @example
 * ```ts
 * const text = JSON.stringify(modelToJSON(model));
 * ```
 */
export function modelToJSON(model: Sequential, training?: TrainingState): ModelJSON {
  const { header, arrays } = toDoc(model, training);
  return { ...header, arrays: arrays.map((a) => Array.from(a)) };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

// ---------- reading ----------

/** Options of loading. */
export interface LoadOptions {
  /**
   * The user's layer classes, by the `className` their configs carry (a
   * layer whose `toConfig` says `{ kind: "custom", className: "Scale", … }`
   * is rebuilt by `layers.Scale.fromConfig(config)`). Nothing is registered
   * globally: what a file may contain is what the caller passes here.
   */
  layers?: Readonly<Record<string, LayerClass>>;
  /**
   * The backend of the loaded model (default: the current default, see
   * `getBackend`). A checkpoint resumes bit-exactly on the backend that wrote
   * it; on the other one it trains on, but not bit-exactly.
   */
  backend?: BackendName | Backend;
}

/** The schema of {@link LoadOptions}. */
const LOAD_OPTIONS = {
  layers: {
    type: "custom",
    parse: (v: unknown): Readonly<Record<string, LayerClass>> => {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        throw new OptionError("", "", `must be an object of layer classes by name, got ${show(v)}`);
      return v as Readonly<Record<string, LayerClass>>;
    },
  },
  backend: { type: "custom", parse: (v: unknown): BackendName | Backend => v as BackendName | Backend },
} as const satisfies Schema;

/**
 * Load options checked (unknown keys refused) before anything is read.
 * @internal
 */
export function parseLoadOptions(where: string, opts: LoadOptions): LoadOptions {
  const o = parseOptions(where, LOAD_OPTIONS, opts);
  return { ...(o.layers ? { layers: o.layers } : {}), ...(o.backend !== undefined ? { backend: o.backend } : {}) };
}

/** What loading returns: the model, plus the training state of a checkpoint. */
export interface Loaded {
  /** The rebuilt model (compiled, with optimizer state, if it was). */
  model: Sequential;
  /** Where training stood, for checkpoints. */
  training: TrainingState | null;
}

/**
 * Rebuilds a model from {@link serialize}'s bytes, validating everything.
 * @throws FormatError naming the field or byte range that is wrong
 * @example
 * ```ts
 * const { model } = deserialize(bytes);
 * ```
 */
export function deserialize(bytes: Uint8Array, opts: LoadOptions = {}): Loaded {
  opts = parseLoadOptions("deserialize", opts);
  if (!(bytes instanceof Uint8Array)) throw new FormatError("deserialize: expected a Uint8Array");
  if (bytes.length < 12)
    throw new FormatError(`file: ${bytes.length} bytes is too short for a tinymlp model (12-byte preamble)`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new FormatError("file: not a tinymlp model (the first bytes are not 'TMLP')");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new FormatError(
      `formatVersion: this tinymlp reads version ${FORMAT_VERSION}, the file is version ${version}`,
    );
  }
  const hlen = view.getUint32(8, true);
  if (hlen > LIMITS.headerBytes) {
    throw new FormatError(`header: declared length ${hlen} exceeds the limit of ${LIMITS.headerBytes} bytes`);
  }
  if (12 + hlen > bytes.length) {
    throw new FormatError(`header: declared length ${hlen} exceeds the file (${bytes.length} bytes)`);
  }
  const parsed = parseJsonBounded(bytes, 12, 12 + hlen, LIMITS.headerValues);
  if ("error" in parsed) throw new FormatError(`header: ${parsed.error}`);
  const { header, layers } = checkHeader(parsed.value, false, opts);
  const start = align8(12 + hlen);
  for (let i = 12 + hlen; i < Math.min(start, bytes.length); i++) {
    if (bytes[i] !== 0) throw new FormatError(`padding: byte ${i} should be 0`);
  }
  const lengths = arrayLengths(header);
  const width = header.model.dtype === "float64" ? 8 : 4;
  const need = lengths.reduce((s, n) => s + n * width, 0);
  if (bytes.length - start !== need) {
    throw new FormatError(
      `data: the header declares ${need} bytes of arrays after byte ${start}, the file has ${Math.max(0, bytes.length - start)}`,
    );
  }
  let off = start;
  const arrays = lengths.map((n) => {
    // a view on the file's bytes where it can be: the values are checked, then copied into the model
    const a = floatsAt(bytes, off, n, header.model.dtype);
    off += n * width;
    return a;
  });
  return build(header, layers, arrays, opts);
}

/**
 * Rebuilds a model from {@link modelToJSON}'s object (or its parsed text).
 * @throws FormatError naming the field that is wrong
 * @example
 * ```ts
 * const { model } = modelFromJSON(JSON.parse(text));
 * ```
 */
export function modelFromJSON(doc: unknown, opts: LoadOptions = {}): Loaded {
  opts = parseLoadOptions("modelFromJSON", opts);
  const { header, layers } = checkHeader(doc, true, opts);
  const lengths = arrayLengths(header);
  const raw = (doc as { arrays: unknown }).arrays;
  if (!Array.isArray(raw) || raw.length !== lengths.length) {
    throw new FormatError(`arrays: expected a list of ${lengths.length} number lists`);
  }
  const arrays = lengths.map((n, k) => {
    const list = raw[k];
    if (!Array.isArray(list) || list.length !== n) throw new FormatError(`arrays[${k}]: expected ${n} numbers`);
    const a = allocFloat(header.model.dtype, n);
    for (let i = 0; i < n; i++) {
      const v = list[i];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new FormatError(`arrays[${k}][${i}]: expected a finite number`);
      a[i] = v;
    }
    return a;
  });
  return build(header, layers, arrays, opts);
}

/** Lengths of the arrays that follow the header: the weights, then present optimizer slots. */
function arrayLengths(h: ModelHeader): number[] {
  const lengths = h.weights.map((w) => w.shape.reduce((a, b) => a * b, 1));
  if (h.optimizer) {
    for (const present of Object.values(h.optimizer.slots)) {
      present.forEach((p, i) => {
        if (p) lengths.push(lengths[i] as number);
      });
    }
  }
  return lengths;
}

/** checkValues at save time: the message says the model cannot be saved, and why. */
function savable(where: string, a: FloatArray, nonNegative: boolean): void {
  try {
    checkValues(where, a, nonNegative);
  } catch (e) {
    throw new FormatError(`cannot save: ${(e as Error).message} (the loader would refuse it)`);
  }
}

/**
 * One rule for both formats: every stored value is finite (the JSON form
 * cannot even write NaN; the binary one could), and a variance or a second
 * moment is not negative. Names the array and the index.
 */
function checkValues(where: string, a: FloatArray, nonNegative: boolean): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (!Number.isFinite(v)) throw new FormatError(`${where}[${i}]: ${v} is not a finite number`);
    if (nonNegative && v < 0)
      throw new FormatError(`${where}[${i}]: ${v} is negative; it holds a variance or a sum of squares`);
  }
}

/** Builds the model from checked parts; the layers were constructed (not built) by checkHeader. */
function build(h: ModelHeader, layers: Layer[], arrays: FloatArray[], opts: LoadOptions): Loaded {
  // No initializer runs: every weight is overwritten below.
  const model = new Sequential({
    inputShape: h.model.inputShape,
    dtype: h.model.dtype,
    initialize: false,
    ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
  });
  layers.forEach((layer, i) => {
    try {
      model.add(layer);
    } catch (e) {
      throw new FormatError(`model.layers[${i}]: ${(e as Error).message}`);
    }
  });
  model.rng.setState(h.model.rng);
  const params = model.params();
  if (params.length !== h.weights.length) {
    throw new FormatError(`weights: the layers have ${params.length} parameters, the header lists ${h.weights.length}`);
  }
  params.forEach((p, i) => {
    const w = h.weights[i] as { name: string; shape: number[] };
    if (
      w.name !== p.name ||
      w.shape.length !== p.value.shape.length ||
      w.shape.some((d, k) => d !== p.value.shape[k])
    ) {
      throw new FormatError(
        `weights[${i}]: '${w.name}' (${w.shape.join("×")}) does not match the layers' parameter '${p.name}' (${p.value.shape.join("×")})`,
      );
    }
    const a = arrays[i] as FloatArray;
    checkValues(`weights[${i}] ('${w.name}')`, a, p.nonNegative === true);
    p.value.data.set(a);
  });
  if (h.compile && h.optimizer) {
    const optimizer = optimizerFromConfig(h.optimizer.config); // checked by checkHeader
    model.compile({ optimizer, loss: h.compile.loss, metrics: h.compile.metrics.map((name) => metricOf(name, h)) });
    let k = params.length;
    const state: OptimizerState = { step: h.optimizer.step, slots: {}, scalars: h.optimizer.scalars ?? {} };
    for (const [name, present] of Object.entries(h.optimizer.slots)) {
      state.slots[name] = present.map((p, i) => {
        if (!p) return null;
        const a = arrays[k++] as FloatArray;
        // second moments (Adam's and Nadam's v, RMSprop's v, Adagrad's sum) are sums of squares: each optimizer says which
        checkValues(`optimizer.slots.${name}[${i}]`, a, optimizer.nonNegativeSlots.includes(name));
        return a;
      });
    }
    try {
      optimizer.setState(params, state, model.backend);
    } catch (e) {
      throw new FormatError(`optimizer: ${(e as Error).message}`);
    }
  }
  if (h.table) model.table = h.table;
  return { model, training: h.training ?? null };
}

function metricOf(name: string, h: ModelHeader) {
  const m = metricFromName(name, getLoss((h.compile as { loss: LossConfig }).loss).outputLink);
  if (m === null) throw new FormatError(`compile.metrics: unknown metric '${name}'`);
  return m;
}

// ---------- strict header validation ----------

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

type Obj = Record<string, unknown>;

function fail(path: string, msg: string): never {
  throw new FormatError(`${path}: ${msg}`);
}

/**
 * An own-keys object with exactly the allowed keys (required ones present);
 * with `open`, other keys are left to the constructor that parses the object.
 */
function obj(v: unknown, path: string, required: string[], optional: string[] = [], open = false): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "expected an object");
  const o = v as Obj;
  for (const k of Object.keys(o)) {
    if (FORBIDDEN_KEYS.has(k)) fail(`${path}.${k}`, "forbidden key");
    if (!open && !required.includes(k) && !optional.includes(k)) fail(`${path}.${k}`, "unknown key");
  }
  for (const k of required) if (!Object.hasOwn(o, k)) fail(`${path}.${k}`, "missing");
  return o;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `expected an integer in [${min}, ${max}], got ${quote(v)}`);
  }
  return v;
}

function finite(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(path, `expected a finite number, got ${quote(v)}`);
  return v;
}

function str(v: unknown, path: string, max: number = LIMITS.nameLength): string {
  if (typeof v !== "string" || v.length > max) fail(path, `expected a string of at most ${max} characters`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") fail(path, `expected true or false, got ${quote(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T))
    fail(path, `expected one of ${allowed.join(", ")}, got ${quote(v)}`);
  return v as T;
}

function list(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) fail(path, `expected a list of at most ${max} items`);
  return v;
}

function rngState(v: unknown, path: string): RngState {
  const l = list(v, path, 4);
  if (l.length !== 4) fail(path, "expected 4 unsigned 32-bit integers");
  const s = l.map((w, i) => int(w, `${path}[${i}]`, 0, 0xffffffff)) as unknown as RngState;
  if (s.every((w) => w === 0)) fail(path, "an all-zero generator state is invalid");
  return s;
}

/** Runs `f` (a constructor parsing its options), turning its errors into FormatErrors under `path`. */
function asFormat<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof OptionError) fail(e.key === "" ? path : `${path}.${e.key}`, e.detail.replace(/^is /, ""));
    fail(path, e instanceof Error ? e.message : String(e));
  }
}

/**
 * One layer: the class its kind (or className) names constructs it from the
 * config, validating every option; `paramShapes` gives its output and
 * parameter shapes for the running input shape, allocating nothing.
 */
function checkLayer(
  v: unknown,
  path: string,
  input: number[],
  custom: Readonly<Record<string, LayerClass>>,
): { layer: Layer; output: number[]; params: number[][] } {
  const o = obj(v, path, ["kind"], [], true);
  const kind = o.kind;
  let cls: LayerClass;
  if (kind === "custom") {
    const className = str(o.className, `${path}.className`, LIMITS.nameLength);
    if (!Object.hasOwn(custom, className)) {
      fail(
        path,
        `custom layer class '${className}' is not registered; pass it when loading: load(path, { layers: { ${className} } })`,
      );
    }
    cls = custom[className] as LayerClass;
  } else {
    const kinds = Object.keys(LAYER_CLASSES);
    if (typeof kind !== "string" || !kinds.includes(kind))
      fail(`${path}.kind`, `expected one of ${kinds.join(", ")} or "custom", got ${quote(kind)}`);
    cls = LAYER_CLASSES[kind as keyof typeof LAYER_CLASSES];
  }
  const layer = asFormat(path, () => cls.fromConfig(o as LayerConfig));
  if (typeof layer?.paramShapes !== "function") fail(path, "the class's fromConfig did not return a layer");
  if (typeof o.name !== "string") fail(`${path}.name`, "missing");
  const { output, params } = asFormat(path, () => layer.paramShapes(input));
  return { layer, output, params };
}

/**
 * The whole header: the file's own structure here, each section in its own
 * function below; every option of every layer, loss and optimizer is checked
 * by that class's constructor.
 */
function checkHeader(v: unknown, withArrays: boolean, opts: LoadOptions): { header: ModelHeader; layers: Layer[] } {
  const top = ["format", "formatVersion", "tinymlpVersion", "createdAt", "model", "weights"];
  const o = obj(v, "header", withArrays ? [...top, "arrays"] : top, ["compile", "optimizer", "training", "table"]);
  if (o.format !== "tinymlp-model") fail("format", `expected "tinymlp-model", got ${quote(o.format)}`);
  const formatVersion = int(o.formatVersion, "formatVersion", 0, 1e9);
  if (formatVersion !== FORMAT_VERSION)
    fail("formatVersion", `this tinymlp reads version ${FORMAT_VERSION}, got ${formatVersion}`);
  const { model, layers, paramShapes } = checkModel(o.model, opts);
  const header: ModelHeader = {
    format: "tinymlp-model",
    formatVersion,
    tinymlpVersion: str(o.tinymlpVersion, "tinymlpVersion", 50),
    createdAt: str(o.createdAt, "createdAt", 50),
    model,
    weights: checkWeights(o.weights, paramShapes),
  };
  if (o.compile !== undefined) header.compile = checkCompile(o.compile);
  if (o.optimizer !== undefined) {
    if (header.compile === undefined) fail("optimizer", "present without compile");
    header.optimizer = checkOptimizer(o.optimizer, header.weights.length);
  } else if (header.compile !== undefined) {
    fail("optimizer", "missing (compile is present)");
  }
  if (o.training !== undefined) header.training = checkTraining(o.training, header.compile);
  if (o.table !== undefined) {
    header.table = checkTable(o.table);
    const F = TableEncoding.fromJSON(header.table).features.length;
    const size = model.inputShape.reduce((a, b) => a * b, 1);
    if (F !== size) fail("table", `encodes ${F} features, the model takes ${size} per sample`);
  }
  return { header, layers };
}

/** `table`: the encoding's own check, its messages already naming the field (`table.numeric[0]: …`). */
function checkTable(v: unknown): TableEncodingJSON {
  try {
    return TableEncoding.fromJSON(v).toJSON();
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
}

/** `model`: the input shape and dtype, then the layer stack walked with the running shape. */
function checkModel(
  v: unknown,
  opts: LoadOptions,
): { model: ModelHeader["model"]; layers: Layer[]; paramShapes: number[][] } {
  const m = obj(v, "model", ["inputShape", "dtype", "layers", "rng"]);
  const inputShape = list(m.inputShape, "model.inputShape", LIMITS.inputRank).map((d, i) =>
    int(d, `model.inputShape[${i}]`, 1, LIMITS.dim),
  );
  if (inputShape.length === 0) fail("model.inputShape", "expected at least one dimension");
  if (inputShape.reduce((a, b) => a * b, 1) > LIMITS.inputSize)
    fail("model.inputShape", `more than ${LIMITS.inputSize} elements per sample`);
  const dtype = oneOf(m.dtype, "model.dtype", ["float32", "float64"] as const);
  const layerList = list(m.layers, "model.layers", LIMITS.layers);
  if (layerList.length === 0) fail("model.layers", "expected at least one layer");
  let shape = inputShape;
  const layers: Layer[] = [];
  const paramShapes: number[][] = [];
  const names = new Set<string>();
  layerList.forEach((l, i) => {
    const { layer, output, params } = checkLayer(l, `model.layers[${i}]`, shape, opts.layers ?? {});
    if (names.has(layer.name)) fail(`model.layers[${i}].name`, `duplicate name '${layer.name}'`);
    names.add(layer.name);
    layers.push(layer);
    paramShapes.push(...params);
    shape = output;
  });
  const model = { inputShape, dtype, layers: layers.map((l) => l.toConfig()), rng: rngState(m.rng, "model.rng") };
  return { model, layers, paramShapes };
}

/** `weights`: exactly the parameter shapes the layers said they need. */
function checkWeights(v: unknown, paramShapes: number[][]): ModelHeader["weights"] {
  const weightList = list(v, "weights", paramShapes.length);
  if (weightList.length !== paramShapes.length)
    fail("weights", `expected ${paramShapes.length} entries for these layers, got ${weightList.length}`);
  return weightList.map((w, i) => {
    const e = obj(w, `weights[${i}]`, ["name", "shape"]);
    const s = list(e.shape, `weights[${i}].shape`, 4).map((d, k) => int(d, `weights[${i}].shape[${k}]`, 1, LIMITS.dim));
    const want = paramShapes[i] as number[];
    if (s.length !== want.length || s.some((d, k) => d !== want[k])) {
      fail(`weights[${i}].shape`, `expected (${want.join(", ")}) for these layers, got (${s.join(", ")})`);
    }
    return { name: str(e.name, `weights[${i}].name`, 2 * LIMITS.nameLength + 20), shape: s };
  });
}

/** `compile`: the loss (its constructor checks its options) and the metrics' names. */
function checkCompile(v: unknown): NonNullable<ModelHeader["compile"]> {
  const c = obj(v, "compile", ["loss", "metrics"]);
  obj(c.loss, "compile.loss", ["name"], [], true);
  const loss = asFormat("compile.loss", () => getLoss(c.loss as LossConfig)).toConfig();
  const metrics = list(c.metrics, "compile.metrics", 8).map((x, i) => {
    const name = str(x, `compile.metrics[${i}]`, 50);
    if (metricFromName(name, "none") === null)
      fail(`compile.metrics[${i}]`, `expected one of ${METRIC_NAMES}, got ${quote(x)}`);
    return name;
  });
  return { loss, metrics };
}

/** `optimizer`: its config (checked by its constructor), step, and which slot arrays follow. */
function checkOptimizer(v: unknown, nWeights: number): NonNullable<ModelHeader["optimizer"]> {
  const op = obj(v, "optimizer", ["config", "step", "slots"], ["scalars"]);
  obj(op.config, "optimizer.config", ["name"], [], true);
  // the optimizer's constructor checks every option (and the schedule's, for an lr config)
  const optimizer: Optimizer = asFormat("optimizer.config", () => optimizerFromConfig(op.config as OptimizerConfig));
  const expectSlots = Object.keys(optimizer.getState([]).slots);
  const so = obj(op.slots, "optimizer.slots", expectSlots);
  const slots: Record<string, boolean[]> = {};
  for (const sl of expectSlots) {
    const l = list(so[sl], `optimizer.slots.${sl}`, nWeights);
    if (l.length !== nWeights) fail(`optimizer.slots.${sl}`, `expected ${nWeights} entries`);
    slots[sl] = l.map((b, i) => bool(b, `optimizer.slots.${sl}[${i}]`));
  }
  const out: NonNullable<ModelHeader["optimizer"]> = {
    config: optimizer.toConfig(),
    step: int(op.step, "optimizer.step", 0, Number.MAX_SAFE_INTEGER),
    slots,
  };
  if (op.scalars !== undefined) {
    const sc = obj(op.scalars, "optimizer.scalars", [], [...optimizer.scalarNames]);
    out.scalars = Object.fromEntries(Object.entries(sc).map(([k, x]) => [k, finite(x, `optimizer.scalars.${k}`)]));
  }
  return out;
}

/**
 * JSON has no NaN or ±Infinity (JSON.stringify writes them as null), yet a
 * history may hold them: a val_loss of a NaN validation set under
 * `checkData: false`, or an epoch's mean loss that overflowed. They are
 * recorded facts, not state to compute with, so they are written as the
 * strings "NaN", "Infinity" and "-Infinity" and read back as the numbers.
 */
const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};
const recordNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

function encodeTraining(t: TrainingState): TrainingState {
  const history = Object.fromEntries(Object.entries(t.history).map(([k, v]) => [k, v.map(recordNumber)]));
  return { ...t, lossSum: recordNumber(t.lossSum), history } as unknown as TrainingState;
}

/** A recorded figure: a finite number, or one of the strings {@link NON_FINITE} writes. */
function recorded(v: unknown, path: string): number {
  if (typeof v === "string" && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v] as number;
  if (typeof v !== "number" || !Number.isFinite(v))
    fail(path, `expected a finite number or "NaN", "Infinity", "-Infinity", got ${quote(v)}`);
  return v;
}

/** `training` (checkpoints): the position in training, the history and the metrics' running counts. */
function checkTraining(v: unknown, compile: ModelHeader["compile"]): TrainingState {
  const metricNames = compile?.metrics ?? [];
  const t = obj(v, "training", ["epoch", "batch", "rng", "rngEpochStart", "lossSum", "history"], ["metrics"]);
  const keys = ["loss", ...metricNames];
  const hist = obj(t.history, "training.history", [], [...keys, ...keys.map((k) => `val_${k}`)]);
  const history: Record<string, number[]> = {};
  for (const [k, val] of Object.entries(hist)) {
    history[k] = list(val, `training.history.${k}`, 1e6).map((x, i) => recorded(x, `training.history.${k}[${i}]`));
  }
  const training: TrainingState = {
    epoch: int(t.epoch, "training.epoch", 0, 1e9),
    batch: int(t.batch, "training.batch", 0, 1e9),
    rng: rngState(t.rng, "training.rng"),
    rngEpochStart: rngState(t.rngEpochStart, "training.rngEpochStart"),
    lossSum: recorded(t.lossSum, "training.lossSum"),
    history,
  };
  if (t.metrics !== undefined) {
    const ms = obj(t.metrics, "training.metrics", [], [...metricNames]);
    training.metrics = Object.fromEntries(
      Object.entries(ms).map(([k, val]) => {
        const path = `training.metrics.${k}`;
        const l = list(val, path, 1 + 1000 * 1000).map((x, i) => finite(x, `${path}[${i}]`));
        // each metric checks its own running state (counts, or sums) as setState does
        const link = getLoss((compile as { loss: LossConfig }).loss).outputLink;
        const metric = metricFromName(k, link) as Metric;
        try {
          metric.setState?.(l);
        } catch (e) {
          fail(path, (e as Error).message.replace(/^[^:]*\.setState: /, ""));
        }
        return [k, l];
      }),
    );
  }
  return training;
}
