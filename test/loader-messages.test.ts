/**
 * Every check of the loader's own structure, one bad document each, with the
 * whole message it must give — the message is the user's only clue to what
 * is wrong with a file, so its words are part of the contract. The expected
 * texts follow from the checks in src/format/tmlp.ts (path of the field,
 * then what was expected and what was there); both encodings run every case.
 */
import { describe, expect, it } from "vitest";
import {
  Activation,
  Adam,
  BatchNormalization,
  Dense,
  deserialize,
  FormatError,
  LIMITS,
  type ModelJSON,
  modelFromJSON,
  modelToJSON,
  Nadam,
  Sequential,
  serialize,
  Tensor,
} from "../src/index.js";

type Doc = Record<string, unknown> & ModelJSON;

/** A compiled, trained model with a checkpoint's training state and Nadam's scalars. */
async function trained(): Promise<{ doc: Doc; m: Sequential }> {
  const m = new Sequential({ inputShape: [3], seed: 4 });
  m.add(new Dense({ units: 4, activation: "relu" }));
  m.add(new BatchNormalization());
  m.add(new Dense({ units: 2 }));
  m.compile({ optimizer: new Nadam(), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
  const x = Tensor.from([
    [1, 2, 3],
    [3, 2, 1],
    [0, 1, 0],
    [1, 1, 1],
  ]);
  await m.fit(x, Tensor.from([0, 1, 0, 1]), { epochs: 1, batchSize: 2 });
  const doc = JSON.parse(JSON.stringify(modelToJSON(m, m.trainingState()))) as Doc;
  return { doc, m };
}

/** The binary file of a (possibly broken) document: its header and its arrays as float32. */
function toBytes(doc: Doc): Uint8Array {
  const { arrays, ...header } = doc;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = (12 + json.length + 7) & ~7;
  const n = (Array.isArray(arrays) ? arrays : []).reduce((s, a) => s + (Array.isArray(a) ? a.length : 0), 0);
  const out = new Uint8Array(start + 4 * n);
  out.set([0x54, 0x4d, 0x4c, 0x50]);
  const view = new DataView(out.buffer);
  view.setUint32(4, 1, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let off = start;
  for (const a of Array.isArray(arrays) ? arrays : [])
    for (const v of Array.isArray(a) ? a : []) {
      view.setFloat32(off, Number(v), true);
      off += 4;
    }
  return out;
}

const set = (path: (string | number)[], value: unknown) => (d: Doc) => {
  let o = d as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1] as string | number] = value;
};
const del = (path: (string | number)[]) => (d: Doc) => {
  let o = d as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  delete o[path[path.length - 1] as string | number];
};

// [what is wrong, the change, the whole message]
const CASES: [string, (d: Doc) => void, string][] = [
  ["not an object", (d) => set(["model"], 7)(d), "model: expected an object"],
  ["unknown top-level key", set(["extra"], 1), "header.extra: unknown key"],
  ["missing top-level key", del(["createdAt"]), "header.createdAt: missing"],
  ["format", set(["format"], "keras"), 'format: expected "tinymlp-model", got "keras"'],
  ["formatVersion type", set(["formatVersion"], 1.5), "formatVersion: expected an integer in [0, 1000000000], got 1.5"],
  ["formatVersion value", set(["formatVersion"], 2), "formatVersion: this tinymlp reads version 1, got 2"],
  [
    "tinymlpVersion",
    set(["tinymlpVersion"], "x".repeat(51)),
    "tinymlpVersion: expected a string of at most 50 characters",
  ],
  ["createdAt", set(["createdAt"], 5), "createdAt: expected a string of at most 50 characters"],
  ["model keys", set(["model", "extra"], 1), "model.extra: unknown key"],
  ["inputShape list", set(["model", "inputShape"], 3), "model.inputShape: expected a list of at most 8 items"],
  ["inputShape empty", set(["model", "inputShape"], []), "model.inputShape: expected at least one dimension"],
  [
    "inputShape entry",
    set(["model", "inputShape"], [0]),
    "model.inputShape[0]: expected an integer in [1, 10000000], got 0",
  ],
  [
    "inputShape size",
    set(["model", "inputShape"], [10_000_000, 11]),
    `model.inputShape: more than ${LIMITS.inputSize} elements per sample`,
  ],
  ["dtype", set(["model", "dtype"], "float16"), 'model.dtype: expected one of float32, float64, got "float16"'],
  ["no layers", set(["model", "layers"], []), "model.layers: expected at least one layer"],
  [
    "layer kind",
    set(["model", "layers", 0, "kind"], "conv2d"),
    'model.layers[0].kind: expected one of dense, activation, softmax, flatten, dropout, batchNormalization, layerNormalization, normalization or "custom", got "conv2d"',
  ],
  [
    "custom layer not registered",
    (d) => {
      set(["model", "layers", 0, "kind"], "custom")(d);
      set(["model", "layers", 0, "className"], "Scale")(d);
    },
    "model.layers[0]: custom layer class 'Scale' is not registered; pass it when loading: load(path, { layers: { Scale } })",
  ],
  ["layer name missing", del(["model", "layers", 1, "name"]), "model.layers[1].name: missing"],
  ["duplicate name", set(["model", "layers", 2, "name"], "dense_1"), "model.layers[2].name: duplicate name 'dense_1'"],
  [
    "layer option (its constructor's message)",
    set(["model", "layers", 0, "units"], 0),
    "model.layers[0].units: must be an integer in [1, 10000000], got 0",
  ],
  ["rng length", set(["model", "rng"], [1, 2, 3]), "model.rng: expected 4 unsigned 32-bit integers"],
  ["rng zero", set(["model", "rng"], [0, 0, 0, 0]), "model.rng: an all-zero generator state is invalid"],
  [
    "rng entry",
    set(["model", "rng"], [1, 2, 3, 2 ** 32]),
    "model.rng[3]: expected an integer in [0, 4294967295], got 4294967296",
  ],
  ["weights count", (d) => d.weights.pop(), "weights: expected 8 entries for these layers, got 7"],
  [
    "weights shape",
    set(["weights", 0, "shape"], [3, 5]),
    "weights[0].shape: expected (3, 4) for these layers, got (3, 5)",
  ],
  [
    "weights shape entry",
    set(["weights", 0, "shape"], [3, 0]),
    "weights[0].shape[1]: expected an integer in [1, 10000000], got 0",
  ],
  ["weights keys", set(["weights", 0, "extra"], 1), "weights[0].extra: unknown key"],
  ["compile keys", del(["compile", "metrics"]), "compile.metrics: missing"],
  [
    "compile loss (its constructor's message)",
    set(["compile", "loss", "name"], "hinge"),
    "compile.loss: unknown loss 'hinge'; known: meanSquaredError, meanAbsoluteError, huber, binaryCrossEntropy, categoricalCrossEntropy, sparseCategoricalCrossEntropy",
  ],
  [
    "metric",
    set(["compile", "metrics"], ["f2"]),
    'compile.metrics[0]: expected one of accuracy, top<k>Accuracy, mae, mse, rmse, r2, precision, recall, f1, got "f2"',
  ],
  ["optimizer without compile", del(["compile"]), "optimizer: present without compile"],
  ["compile without optimizer", del(["optimizer"]), "optimizer: missing (compile is present)"],
  [
    "optimizer step",
    set(["optimizer", "step"], -1),
    "optimizer.step: expected an integer in [0, 9007199254740991], got -1",
  ],
  ["optimizer slot count", set(["optimizer", "slots", "m"], [true]), "optimizer.slots.m: expected 8 entries"],
  [
    "optimizer slot flag",
    set(["optimizer", "slots", "m", 0], 1),
    "optimizer.slots.m[0]: expected true or false, got 1",
  ],
  ["optimizer scalars", set(["optimizer", "scalars", "other"], 1), "optimizer.scalars.other: unknown key"],
  [
    "optimizer scalar value",
    set(["optimizer", "scalars", "muProduct"], "x"),
    'optimizer.scalars.muProduct: expected a finite number, got "x"',
  ],
  ["training keys", del(["training", "lossSum"]), "training.lossSum: missing"],
  ["training epoch", set(["training", "epoch"], -1), "training.epoch: expected an integer in [0, 1000000000], got -1"],
  [
    "training batch",
    set(["training", "batch"], 0.5),
    "training.batch: expected an integer in [0, 1000000000], got 0.5",
  ],
  ["history key", set(["training", "history", "f1"], []), "training.history.f1: unknown key"],
  [
    "history value",
    set(["training", "history", "loss"], [true]),
    'training.history.loss[0]: expected a finite number or "NaN", "Infinity", "-Infinity", got true',
  ],
  [
    "metric state",
    set(["training", "metrics"], { accuracy: [3, 2] }),
    "training.metrics.accuracy: expected [correct, total] with 0 <= correct <= total, got [3, 2]",
  ],
  [
    "forbidden key",
    (d) => Object.defineProperty(d.model, "__proto__", { value: {}, enumerable: true }),
    "model.__proto__: forbidden key",
  ],
  ["null for an object", set(["compile"], null), "compile: expected an object"],
  ["optimizer not an object", set(["optimizer"], 5), "optimizer: expected an object"],
  [
    "weights shape too short",
    set(["weights", 0, "shape"], [3]),
    "weights[0].shape: expected (3, 4) for these layers, got (3)",
  ],
  [
    "metric state entry",
    set(["training", "metrics"], { accuracy: [1.5, 2] }),
    "training.metrics.accuracy: expected [correct, total] with 0 <= correct <= total, got [1.5, 2]",
  ],
  [
    "metric state entry not a number",
    set(["training", "metrics"], { accuracy: ["1", 2] }),
    'training.metrics.accuracy[0]: expected a finite number, got "1"',
  ],
  [
    // the option's own message under the field's path, its words kept whole (only a leading "is " goes)
    "layer option whose value says 'is'",
    set(["model", "layers", 0, "activation"], "this is it"),
    "model.layers[0].activation: unknown activation 'this is it'; known: linear, relu, leakyRelu, elu, selu, gelu, geluTanh, sigmoid, tanh, softplus, silu, swish, hardSigmoid, softmax, logSoftmax",
  ],
  // each path below is the field's own; the limits are LIMITS' and the lists' own maxima
  ["layer kind missing", del(["model", "layers", 0, "kind"]), "model.layers[0].kind: missing"],
  [
    "custom layer className",
    (d) => {
      set(["model", "layers", 0, "kind"], "custom")(d);
      set(["model", "layers", 0, "className"], 5)(d);
    },
    `model.layers[0].className: expected a string of at most ${LIMITS.nameLength} characters`,
  ],
  ["weights not a list", set(["weights"], 3), "weights: expected a list of at most 8 items"],
  ["weights shape not a list", set(["weights", 0, "shape"], 3), "weights[0].shape: expected a list of at most 4 items"],
  [
    "weights name",
    set(["weights", 0, "name"], 5),
    `weights[0].name: expected a string of at most ${2 * LIMITS.nameLength + 20} characters`,
  ],
  ["loss name missing", del(["compile", "loss", "name"]), "compile.loss.name: missing"],
  [
    "metrics not a list",
    set(["compile", "metrics"], "accuracy"),
    "compile.metrics: expected a list of at most 8 items",
  ],
  [
    "metric not a string",
    set(["compile", "metrics"], [5]),
    "compile.metrics[0]: expected a string of at most 50 characters",
  ],
  ["optimizer name missing", del(["optimizer", "config", "name"]), "optimizer.config.name: missing"],
  ["optimizer slot missing", del(["optimizer", "slots", "v"]), "optimizer.slots.v: missing"],
  [
    "optimizer slot not a list",
    set(["optimizer", "slots", "m"], 3),
    "optimizer.slots.m: expected a list of at most 8 items",
  ],
  [
    "history not a list",
    set(["training", "history", "loss"], 3),
    "training.history.loss: expected a list of at most 1000000 items",
  ],
  ["training rng", set(["training", "rng"], [1]), "training.rng: expected 4 unsigned 32-bit integers"],
  [
    "training rngEpochStart",
    set(["training", "rngEpochStart"], [1]),
    "training.rngEpochStart: expected 4 unsigned 32-bit integers",
  ],
  [
    "training lossSum",
    set(["training", "lossSum"], "x"),
    'training.lossSum: expected a finite number or "NaN", "Infinity", "-Infinity", got "x"',
  ],
  ["training metrics not an object", set(["training", "metrics"], 3), "training.metrics: expected an object"],
  [
    "metric state length",
    set(["training", "metrics"], { accuracy: [1, 2, 3] }),
    "training.metrics.accuracy: expected [correct, total] with 0 <= correct <= total, got [1, 2, 3]",
  ],
  [
    "metric state one number",
    set(["training", "metrics"], { accuracy: [1] }),
    "training.metrics.accuracy: expected [correct, total] with 0 <= correct <= total, got [1]",
  ],
  [
    // without compile there are no metrics, so the training state may hold none
    "training metrics without compile",
    (d) => {
      set(["training", "metrics"], { accuracy: [1, 2] })(d);
      del(["compile"])(d);
      del(["optimizer"])(d);
    },
    "training.metrics.accuracy: unknown key",
  ],
];

describe("the loader's messages, word for word", () => {
  for (const [what, change, message] of CASES) {
    it(`${what}: ${message.slice(0, 60)}`, async () => {
      const { doc } = await trained();
      // both encodings start from a document that loads
      expect(() => modelFromJSON(structuredClone(doc))).not.toThrow();
      expect(() => deserialize(toBytes(structuredClone(doc)))).not.toThrow();
      const bad = structuredClone(doc);
      change(bad);
      expect(() => modelFromJSON(bad)).toThrow(new FormatError(message));
      if (what !== "forbidden key") expect(() => deserialize(toBytes(bad))).toThrow(new FormatError(message));
    });
  }

  it("the edges that load: a metric state with correct = total, a recorded NaN and ±Infinity, training without compile", async () => {
    const { doc } = await trained();
    const d = structuredClone(doc);
    set(["training", "metrics"], { accuracy: [2, 2] })(d);
    set(["training", "history"], { loss: [0.5, "NaN", "Infinity", "-Infinity"], accuracy: [0.25, 0.5, 0.75, 1] })(d);
    for (const loaded of [modelFromJSON(structuredClone(d)), deserialize(toBytes(structuredClone(d)))]) {
      expect(loaded.training?.metrics).toEqual({ accuracy: [2, 2] });
      expect(loaded.training?.history).toEqual({
        loss: [0.5, Number.NaN, Infinity, -Infinity],
        accuracy: [0.25, 0.5, 0.75, 1],
      });
    }
    const plain = structuredClone(doc);
    del(["compile"])(plain);
    del(["optimizer"])(plain);
    plain.arrays = plain.arrays.slice(0, plain.weights.length); // no optimizer slots follow
    set(["training", "history"], { loss: [0.5] })(plain);
    expect(modelFromJSON(plain).training?.history).toEqual({ loss: [0.5] });
  });

  it("more edges that load: strings of exactly their longest, a generator state with a zero word, an input of exactly LIMITS.inputSize", async () => {
    const { doc } = await trained();
    const d = structuredClone(doc);
    set(["tinymlpVersion"], "v".repeat(50))(d);
    set(["createdAt"], "c".repeat(50))(d);
    set(["model", "rng"], [0, 1, 2, 3])(d); // only the all-zero state is invalid
    for (const loaded of [modelFromJSON(structuredClone(d)), deserialize(toBytes(structuredClone(d)))]) {
      expect(loaded.model.rng.getState()).toEqual([0, 1, 2, 3]);
    }
    // a layer without parameters on an input of exactly the limit's size (10⁴·10⁴ = 10⁸)
    const side = Math.sqrt(LIMITS.inputSize);
    const big = new Sequential({ inputShape: [side, side], seed: 1 });
    big.add(new Activation({ activation: "relu" }));
    const json = modelToJSON(big) as Doc;
    expect(modelToJSON(modelFromJSON(structuredClone(json)).model).model.inputShape).toEqual([side, side]);
    set(["model", "inputShape"], [side, side + 1])(json);
    expect(() => modelFromJSON(json)).toThrow(
      new FormatError(`model.inputShape: more than ${LIMITS.inputSize} elements per sample`),
    );
  });

  it("numbers the text form cannot hold: a NaN where a finite number belongs, in the object form", async () => {
    // JSON text has no NaN, but modelFromJSON takes an object, which can hold one
    const { doc } = await trained();
    const a = structuredClone(doc);
    set(["optimizer", "scalars", "muProduct"], Number.NaN)(a);
    expect(() => modelFromJSON(a)).toThrow(
      new FormatError("optimizer.scalars.muProduct: expected a finite number, got NaN"),
    );
    const b = structuredClone(doc);
    set(["training", "history", "loss"], [Number.NaN])(b); // a recorded NaN is the string "NaN"
    expect(() => modelFromJSON(b)).toThrow(
      new FormatError('training.history.loss[0]: expected a finite number or "NaN", "Infinity", "-Infinity", got NaN'),
    );
  });

  it("deserialize takes bytes: anything else is a FormatError saying so", () => {
    for (const v of ["TMLP and more than twelve bytes", [0x54, 0x4d, 0x4c, 0x50], null]) {
      expect(() => deserialize(v as never)).toThrow(new FormatError("deserialize: expected a Uint8Array"));
    }
  });

  it("a JSON array entry that is not a finite number", async () => {
    const { doc } = await trained();
    const d = structuredClone(doc);
    (d.arrays[1] as unknown[])[0] = "0.5";
    expect(() => modelFromJSON(d)).toThrow(new FormatError("arrays[1][0]: expected a finite number"));
  });

  it("the arrays of the JSON form: a list per array, of the right length", async () => {
    const { doc } = await trained();
    const a = structuredClone(doc);
    a.arrays.pop();
    const n = doc.arrays.length;
    expect(() => modelFromJSON(a)).toThrow(new FormatError(`arrays: expected a list of ${n} number lists`));
    const b = structuredClone(doc);
    b.arrays[1] = [1];
    expect(() => modelFromJSON(b)).toThrow(new FormatError("arrays[1]: expected 4 numbers"));
  });

  it("the binary form's own framing", async () => {
    const { m } = await trained();
    const good = serialize(m);
    expect(() => deserialize(good.subarray(0, 11))).toThrow(
      new FormatError("file: 11 bytes is too short for a tinymlp model (12-byte preamble)"),
    );
    const magic = good.slice();
    magic[0] = 0x55;
    expect(() => deserialize(magic)).toThrow(
      new FormatError("file: not a tinymlp model (the first bytes are not 'TMLP')"),
    );
    const version = good.slice();
    new DataView(version.buffer).setUint32(4, 7, true);
    expect(() => deserialize(version)).toThrow(
      new FormatError("formatVersion: this tinymlp reads version 1, the file is version 7"),
    );
    const long = good.slice();
    new DataView(long.buffer).setUint32(8, good.length, true);
    expect(() => deserialize(long)).toThrow(
      new FormatError(`header: declared length ${good.length} exceeds the file (${good.length} bytes)`),
    );
    const hlen = new DataView(good.buffer).getUint32(8, true);
    const start = (12 + hlen + 7) & ~7;
    if (start > 12 + hlen) {
      const pad = good.slice();
      pad[12 + hlen] = 1;
      expect(() => deserialize(pad)).toThrow(new FormatError(`padding: byte ${12 + hlen} should be 0`));
    }
    const short = good.subarray(0, good.length - 4);
    expect(() => deserialize(short)).toThrow(
      new FormatError(
        `data: the header declares ${good.length - start} bytes of arrays after byte ${start}, the file has ${good.length - start - 4}`,
      ),
    );
    const utf = good.slice();
    utf[13] = 0xff;
    expect(() => deserialize(utf)).toThrow(/^header: not valid UTF-8 text$/);
    // inside a string value, where a lenient decoder's U+FFFD would still parse
    const inString = good.slice();
    const at = new TextDecoder().decode(good.subarray(12, 12 + hlen)).indexOf('"createdAt":"') + 13;
    inString[12 + at] = 0xff;
    expect(() => deserialize(inString)).toThrow(/^header: not valid UTF-8 text$/);
    // exactly the preamble, an empty header: the header's error, not "too short"
    expect(() => deserialize(Uint8Array.from([0x54, 0x4d, 0x4c, 0x50, 1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      /^header: not JSON: /,
    );
    // a header that ends exactly at the end of the file: the arrays are missing
    const headerOnly = good.slice(0, 12 + hlen);
    expect(() => deserialize(headerOnly)).toThrow(
      new FormatError(
        `data: the header declares ${good.length - start} bytes of arrays after byte ${start}, the file has 0`,
      ),
    );
  });

  it("a float64 model round-trips through the binary form bit for bit", async () => {
    const m = new Sequential({ inputShape: [3], seed: 5, dtype: "float64" });
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new Adam(), loss: "meanSquaredError" });
    m.trainOnBatch(
      Tensor.from([[1, 2, 3]], { dtype: "float64" }),
      Tensor.from([[0.5, 0.25, 1 / 3]], { dtype: "float64" }),
    );
    const back = deserialize(serialize(m)).model;
    expect(back.dtype).toBe("float64");
    m.params().forEach((p, i) => {
      expect(Array.from(back.params()[i]?.value.data ?? [])).toEqual(Array.from(p.value.data));
    });
    const sa = m.optimizer?.getState(m.params());
    const sb = back.optimizer?.getState(back.params());
    expect(sb?.slots.v?.map((a) => Array.from(a ?? []))).toEqual(sa?.slots.v?.map((a) => Array.from(a ?? [])));
    expect(sb?.step).toBe(1);
  });
});
