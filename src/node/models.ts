/**
 * Model files: the native format (save, load, checkpoints), the TensorFlow.js
 * Layers folder, and ONNX. Reads go through the guarded reader, writes
 * through the atomic writer, and JSON through the bounded parse.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { ONNX_OPTIONS, type OnnxOptions, toOnnx } from "../export/onnx.js";
import { fromTfjs, TfjsFormatError, toTfjs } from "../export/tfjs.js";
import { parseJsonBounded } from "../format/json-shape.js";
import {
  deserialize,
  FormatError,
  LIMITS,
  type Loaded,
  type LoadOptions,
  modelFromJSON,
  parseLoadOptions,
  serialize,
} from "../format/tmlp.js";
import { FROM_ONNX_OPTIONS, type FromOnnxOptions, fromOnnx } from "../import/onnx.js";
import { parseOptions, show } from "../options.js";
import type { Sequential } from "../sequential.js";
import { VERSION } from "../version.js";
import { MAX_WHOLE_FILE, type ReadSpec, readFileGuarded, readHead, statFile, writeFileAtomic } from "./files.js";

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
  const bytes = readFileGuarded(file, { where: "loadTfjs", what: "a TF.js model.json", maxBytes: LIMITS.headerBytes });
  const parsed = parseJsonBounded(bytes);
  if ("error" in parsed) throw new TfjsFormatError(`loadTfjs: '${file}' ${parsed.error}`);
  const doc = parsed.value;
  const manifest = (doc as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) throw new TfjsFormatError(`loadTfjs: '${file}' has no weightsManifest`);
  // The manifest says how many bytes the weights take: no weight file is read past that.
  const expected = weightBytes(manifest);
  const paths: string[] = [];
  for (const group of manifest as { paths?: unknown }[]) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof p !== "string" || p === "" || p.includes("..") || p.startsWith("/"))
        throw new TfjsFormatError(`loadTfjs: weight path ${show(p)} must name a file beside model.json`);
      paths.push(join(dirname(file), p));
    }
  }
  const spec: ReadSpec = { where: "loadTfjs", what: "a TF.js weight file", maxBytes: MAX_WHOLE_FILE };
  const sizes = paths.map((p) => statFile(p, spec));
  const total = sizes.reduce((s, n) => s + n, 0);
  if (expected !== null && total !== expected) {
    throw new TfjsFormatError(
      `loadTfjs: the manifest's weights take ${expected} bytes, its ${paths.length} weight file(s) hold ${total}`,
    );
  }
  // one file is used as read; shards (TF.js writes 4 MB ones) are gathered into one buffer
  if (paths.length === 1) return fromTfjs(doc, readFileGuarded(paths[0] as string, { ...spec, maxBytes: total }));
  const weights = new Uint8Array(total);
  let off = 0;
  paths.forEach((p, i) => {
    const part = readFileGuarded(p, { ...spec, maxBytes: sizes[i] as number });
    weights.set(part, off);
    off += part.length;
  });
  return fromTfjs(doc, weights);
}

/** Bytes of float32 weights a manifest declares, or null when a spec is malformed (fromTfjs then says which). */
function weightBytes(manifest: unknown[]): number | null {
  let bytes = 0;
  for (const group of manifest) {
    const weights = (group as { weights?: unknown } | null)?.weights;
    if (!Array.isArray(weights)) return null;
    for (const w of weights) {
      const shape = (w as { shape?: unknown } | null)?.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return null;
      bytes += 4 * shape.reduce((a: number, b: number) => a * b, 1);
      if (bytes > MAX_WHOLE_FILE) return null;
    }
  }
  return bytes;
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
  parseOptions("saveOnnx", ONNX_OPTIONS, opts); // named as called (toOnnx checks them again)
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
  return readModelFile(path, opts, "load").model;
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
  return readModelFile(path, opts, "loadCheckpoint");
}

/** load and loadCheckpoint: `where` names the caller in errors. */
function readModelFile(path: string, opts: LoadOptions, where: string): Loaded {
  opts = parseLoadOptions(where, opts); // before the file is read
  const spec: ReadSpec = { where, what: "a tinymlp model", maxBytes: MAX_WHOLE_FILE };
  // Look before reading: a file that starts like neither form is refused
  // after 12 bytes instead of after reading all of it.
  const head = readHead(path, 12, spec);
  const first = firstNonSpace(head); // -1: only whitespace so far
  const binary = head.length >= 4 && head[0] === 0x54 && head[1] === 0x4d && head[2] === 0x4c && head[3] === 0x50; // "TMLP"
  if (!binary && first >= 0 && head[first] !== 0x7b) {
    throw new FormatError(`file: '${path}' is not a tinymlp model (it starts with neither 'TMLP' nor a JSON object)`);
  }
  const bytes = readFileGuarded(path, spec);
  // The JSON form (modelToJSON, written to a file by the user) starts with "{"
  // after optional whitespace; the binary form with "TMLP".
  if (bytes[firstNonSpace(bytes)] === 0x7b) {
    const parsed = parseJsonBounded(bytes);
    if ("error" in parsed) throw new FormatError(`file: '${path}': ${parsed.error}`);
    return modelFromJSON(parsed.value, opts);
  }
  return deserialize(bytes, opts);
}

/** Index of the first byte that is not JSON whitespace, or -1. */
function firstNonSpace(b: Uint8Array): number {
  return b.findIndex((c) => c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09);
}

/**
 * Reads an ONNX model file into a Sequential (see `fromOnnx`), through the
 * guarded reader (a regular file, at most 2 GiB − 1).
 * @throws OnnxFormatError naming what has no MLP form; FileReadError when the file cannot be read
 * @example
 * ```ts
 * const model = loadOnnx("mlp.onnx");
 * ```
 */
export function loadOnnx(path: string, opts: FromOnnxOptions = {}): Sequential {
  parseOptions("loadOnnx", FROM_ONNX_OPTIONS, opts); // before the file is read
  const bytes = readFileGuarded(path, { where: "loadOnnx", what: "an ONNX model", maxBytes: MAX_WHOLE_FILE });
  return fromOnnx(bytes, opts);
}
