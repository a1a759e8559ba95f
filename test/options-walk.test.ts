/**
 * Every options object is parsed through a schema: an unknown key is an
 * OptionError naming the function and the key, everywhere. The test walks
 * every exported function and class of `tinymlp` and `tinymlp/node`: each
 * is listed below either with a call that passes it an options object
 * holding an unknown key, or as taking no options object. A new export
 * fails here until it is listed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as lib from "../src/index.js";
import * as node from "../src/node.js";

const BAD = { notAnOption: 1 };
const dir = mkdtempSync(join(tmpdir(), "tinymlp-walk-"));
const csv = join(dir, "t.csv");
writeFileSync(csv, "1,2,3\n4,5,6\n");

function model(): lib.Sequential {
  const m = new lib.Sequential({ inputShape: [3], seed: 1, backend: "js" });
  m.add(new lib.Dense({ units: 2 }));
  m.compile({ optimizer: new lib.SGD(), loss: "sparseCategoricalCrossEntropy" });
  return m;
}
const x = lib.Tensor.from([[1, 2, 3]]);
const y = [1];
const saved = join(dir, "m.tmlp");
node.save(model(), saved);
const ds: lib.ImageDataset = { images: new Uint8Array(4), labels: new Uint8Array(1), imageShape: [2, 2], length: 1 };

/** Exported name → calls that pass an options object with an unknown key (each must throw an OptionError). */
const TAKES_OPTIONS: Record<string, (() => unknown)[]> = {
  Sequential: [() => new lib.Sequential(BAD as never)],
  Dense: [() => new lib.Dense({ units: 2, ...BAD } as never)],
  Normalization: [() => new lib.Normalization(BAD as never)],
  trainTestSplit: [() => lib.trainTestSplit(lib.Tensor.from([[1], [2]]), lib.Tensor.from([0, 1]), BAD as never)],
  parseCsvRecords: [() => lib.parseCsvRecords("a\n1\n", BAD as never)],
  fromOnnx: [() => lib.fromOnnx(lib.toOnnx(model()), BAD as never)],
  loadOnnx: [() => node.loadOnnx(csv, BAD as never)],
  TableEncoding: [() => lib.TableEncoding.fit([{ a: 1 }], { numeric: ["a"], ...BAD } as never)],
  "TableEncoding#encode": [
    () => lib.TableEncoding.fit([{ a: 1 }], { numeric: ["a"] }).encode([{ a: 1 }], BAD as never),
  ],
  loadCsvRecords: [() => node.loadCsvRecords(csv, BAD as never)],
  Activation: [() => new lib.Activation({ activation: "relu", ...BAD } as never)],
  Softmax: [() => new lib.Softmax(BAD as never)],
  Flatten: [() => new lib.Flatten(BAD as never)],
  Dropout: [() => new lib.Dropout({ rate: 0.5, ...BAD } as never)],
  BatchNormalization: [() => new lib.BatchNormalization(BAD as never)],
  LayerNormalization: [() => new lib.LayerNormalization(BAD as never)],
  SGD: [() => new lib.SGD(BAD as never)],
  Adam: [() => new lib.Adam(BAD as never)],
  AdamW: [() => new lib.AdamW(BAD as never)],
  RMSprop: [() => new lib.RMSprop(BAD as never)],
  Adagrad: [() => new lib.Adagrad(BAD as never)],
  Nadam: [() => new lib.Nadam(BAD as never)],
  ConstantSchedule: [() => new lib.ConstantSchedule({ lr: 0.1, ...BAD } as never)],
  StepDecay: [() => new lib.StepDecay({ lr: 0.1, stepSize: 2, gamma: 0.5, ...BAD } as never)],
  ExponentialDecay: [() => new lib.ExponentialDecay({ lr: 0.1, decaySteps: 2, decayRate: 0.5, ...BAD } as never)],
  CosineDecay: [() => new lib.CosineDecay({ lr: 0.1, decaySteps: 2, ...BAD } as never)],
  OneCycle: [() => new lib.OneCycle({ maxLr: 0.1, totalSteps: 10, ...BAD } as never)],
  Huber: [() => new lib.Huber(BAD as never)],
  BinaryCrossEntropy: [() => new lib.BinaryCrossEntropy(BAD as never)],
  CategoricalCrossEntropy: [() => new lib.CategoricalCrossEntropy(BAD as never)],
  SparseCategoricalCrossEntropy: [() => new lib.SparseCategoricalCrossEntropy(BAD as never)],
  EarlyStopping: [() => new lib.EarlyStopping(BAD as never)],
  ReduceLROnPlateau: [() => new lib.ReduceLROnPlateau(BAD as never)],
  ImageAugmentation: [
    () => new lib.ImageAugmentation(BAD as never),
    () => new lib.ImageAugmentation({ elastic: { alpha: 1, sigma: 1, ...BAD } } as never),
  ],
  Committee: [() => new lib.Committee([model()], BAD as never)],
  Tensor: [() => lib.Tensor.from([[1]], BAD as never)],
  createWasmBackend: [() => lib.createWasmBackend(BAD as never)],
  toOnnx: [() => lib.toOnnx(model(), BAD as never)],
  gradCheck: [
    () =>
      lib.gradCheck(new lib.Dense({ units: 1 }), {
        input: lib.Tensor.from([[1]], { dtype: "float64" }),
        ...BAD,
      } as never),
  ],
  imageSource: [() => lib.imageSource(ds, BAD as never)],
  deserialize: [() => lib.deserialize(lib.serialize(model()), BAD as never)],
  modelFromJSON: [() => lib.modelFromJSON(lib.modelToJSON(model()), BAD as never)],
  // the methods of Sequential that take options
  "Sequential#compile": [
    () => model().compile({ optimizer: new lib.SGD(), loss: "meanSquaredError", ...BAD } as never),
  ],
  "Sequential#fit": [() => model().fit(x, y, BAD as never)],
  "Sequential#predict": [() => model().predict(x, BAD as never)],
  "Sequential#predictProba": [() => model().predictProba(x, BAD as never)],
  "Sequential#evaluate": [() => model().evaluate(x, y, BAD as never)],
  // tinymlp/node
  ModelCheckpoint: [() => new node.ModelCheckpoint({ path: join(dir, "c"), ...BAD } as never)],
  ProgressBar: [() => new node.ProgressBar(BAD as never)],
  CsvParser: [() => new node.CsvParser("t.csv", BAD as never)],
  loadCsv: [() => node.loadCsv(csv, BAD as never)],
  loadMnistCsv: [() => node.loadMnistCsv(csv, BAD as never)],
  load: [() => node.load(saved, BAD as never)],
  loadCheckpoint: [() => node.loadCheckpoint(saved, BAD as never)],
  saveOnnx: [() => node.saveOnnx(model(), join(dir, "m.onnx"), BAD as never)],
};

/** Where the message's name differs from the export's: losses go by their config names. */
const WHERE: Record<string, string> = {
  BinaryCrossEntropy: "binaryCrossEntropy",
  CategoricalCrossEntropy: "categoricalCrossEntropy",
  SparseCategoricalCrossEntropy: "sparseCategoricalCrossEntropy",
  Huber: "huber",
  Tensor: "Tensor.from",
  TableEncoding: "TableEncoding.fit",
  "TableEncoding#encode": "TableEncoding.encode",
};

/** Exported functions and classes that take no options object (positional arguments, or none). */
const NO_OPTIONS = new Set([
  // errors
  "TinyMlpError",
  "ShapeError",
  "ValueError",
  "OptionError",
  "FormatError",
  "IdxFormatError",
  "TfjsFormatError",
  "NonFiniteLossError",
  "DisposedError",
  "NonFiniteParamError",
  "ModelBusyError",
  "UnusableWeightsError",
  "CsvError",
  "FileReadError",
  // data and results
  "History",
  "MacroClassMetric",
  "OnnxFormatError",
  "TableError",
  "predictRecords",
  "RegressionMetric",
  "metricFromName",
  "Rng",
  "TensorSource",
  "LabelSource",
  "Uint8Source",
  "DivergenceWatch",
  "Accuracy",
  "TopKAccuracy",
  "MeanSquaredError",
  "MeanAbsoluteError",
  // functions with positional arguments
  "allocFloat",
  "applyOutputLink",
  "backendStatus",
  "batchIndices",
  "checkKeys",
  "checkpoint",
  "classificationReport",
  "clipByGlobalNorm",
  "clipByValue",
  "composeTransforms",
  "confusionMatrix",
  "deslant",
  "encodeIdx",
  "erf",
  "fromTfjs",
  "gaussianBlur",
  "gaussianKernel",
  "gemm",
  "gemmNaive",
  "getActivation",
  "getBackend",
  "getInitializer",
  "getLoss",
  "identityWarp",
  "imageDataset",
  "layerOptions",
  "logSumExp",
  "modelToJSON",
  "nearestKey",
  "normalizeWidth",
  "oneHot",
  "optimizerFromConfig",
  "parseIdx",
  "parseOptions",
  "reflectIndex",
  "resolveBackend",
  "scheduleFromConfig",
  "serialize",
  "setBackend",
  "sliceDataset",
  "subsetDataset",
  "toSource",
  "toTfjs",
  "validationSplit",
  "warnDivergence",
  "warpImage",
  "wasmSupport",
  // tinymlp/node, positional
  "loadIdx",
  "loadMnist",
  "loadTfjs",
  "save",
  "saveTfjs",
  "writeFileAtomic",
  "readFileGuarded",
  "readHead",
  "readChunks",
  "statFile",
]);

describe("every options object refuses an unknown key", () => {
  it("every exported function and class is listed, once", () => {
    const exported = [...Object.keys(lib), ...Object.keys(node)].filter(
      (k) =>
        typeof (lib as Record<string, unknown>)[k] === "function" ||
        typeof (node as Record<string, unknown>)[k] === "function",
    );
    const listed = new Set([...Object.keys(TAKES_OPTIONS).filter((k) => !k.includes("#")), ...NO_OPTIONS]);
    expect(exported.filter((k) => !listed.has(k))).toEqual([]);
    expect([...listed].filter((k) => !exported.includes(k))).toEqual([]);
    expect(Object.keys(TAKES_OPTIONS).filter((k) => NO_OPTIONS.has(k))).toEqual([]);
  });
  for (const [name, calls] of Object.entries(TAKES_OPTIONS)) {
    it(`${name}: 'notAnOption' is an OptionError naming it`, async () => {
      for (const call of calls) {
        let error: unknown = null;
        try {
          await call();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(lib.OptionError);
        expect((error as lib.OptionError).key).toMatch(/notAnOption$/);
        // the message starts with what the user called: the class, function or method
        // (a loss by its config name), then the key, as `where: key is not an option`
        const where = WHERE[name] ?? name.replace(/^Sequential#/, "");
        expect((error as Error).message.startsWith(`${where}: `), (error as Error).message).toBe(true);
        expect((error as Error).message).toMatch(/notAnOption is not an option/);
      }
    });
  }
});
