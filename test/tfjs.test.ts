/**
 * The TensorFlow.js Layers format both ways, checked by TensorFlow.js itself
 * (tfjs-layers on its CPU backend, dev dependencies): our export loads with
 * `tf.loadLayersModel` and predicts what `model.predict` does; a model built
 * and saved by tfjs-layers loads with `fromTfjs` and predicts what tfjs does.
 *
 * Tolerance: both sides compute in float32 with different summation orders
 * and different formulas for a few activations (tfjs's GELU uses its own erf
 * approximation, Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7); with K ≤ 8
 * terms per dot product and ≤ 5 layers, as in the ONNX test, 5e-5 of the
 * outputs' scale.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Activation,
  Adam,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  fromTfjs,
  LayerNormalization,
  Normalization,
  Sequential,
  Softmax,
  Tensor,
  type TfjsArtifacts,
  TfjsFormatError,
  TinyMlpError,
  toTfjs,
} from "../src/index.js";
import { loadTfjs, saveTfjs } from "../src/node.js";
import { jsonPaths, mutateAt } from "./helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// the activations both libraries run (leakyRelu goes through Keras's LeakyReLU layer; geluTanh and elu
// with α ≠ 1 do not load in TensorFlow.js and are refused, tested below)
const ACTS = ["linear", "relu", "sigmoid", "tanh", "softplus", "selu", "elu", "leakyRelu", "gelu", "swish"] as const;

async function tfjsPredict(artifacts: TfjsArtifacts, x: Tensor): Promise<Float32Array> {
  const m = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as never));
  const y = m.predict(tf.tensor(Array.from(x.data), [...x.shape])) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  y.dispose();
  m.dispose();
  return out;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++)
    expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThanOrEqual(5e-5 * scale);
}

describe("TensorFlow.js Layers format", () => {
  it("our models load in tfjs-layers and predict the same (60 cases)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.boolean(),
        fc.array(
          fc.record({
            kind: fc.constantFrom(
              "dense",
              "activation",
              "dropout",
              "batchNormalization",
              "layerNormalization",
              "normalization",
            ),
            invert: fc.boolean(),
            units: fc.integer({ min: 1, max: 8 }),
            activation: fc.constantFrom(...ACTS),
          }),
          { maxLength: 4 },
        ),
        fc.boolean(),
        async (seed, image, hidden, softmax) => {
          const m = new Sequential({ inputShape: image ? [2, 3] : [5], seed, backend: "js" });
          if (image) m.add(new Flatten());
          let width = image ? 6 : 5;
          for (const h of hidden) {
            if (h.kind === "dense") {
              m.add(new Dense({ units: h.units, activation: h.activation }));
              width = h.units;
            } else if (h.kind === "normalization") {
              // exported as a Dense with a diagonal kernel; one feature in three constant (divided by 1)
              const mean = Array.from({ length: width }, (_, j) => Math.cos(j + seed));
              const variance = Array.from({ length: width }, (_, j) => (j % 3 === 1 ? 0 : 0.3 + j));
              m.add(new Normalization({ mean, variance, invert: h.invert }));
            } else if (h.kind === "activation") m.add(new Activation({ activation: h.activation }));
            else if (h.kind === "dropout") m.add(new Dropout({ rate: 0.25 }));
            else if (h.kind === "batchNormalization") m.add(new BatchNormalization({ momentum: 0.9 }));
            else m.add(new LayerNormalization());
          }
          m.add(new Dense({ units: 3 }));
          if (softmax) m.add(new Softmax());
          m.compile({ optimizer: new Adam({ lr: 0.05 }), loss: "meanSquaredError" });
          const n = 4;
          const size = image ? 6 : 5;
          const x = new Tensor(
            Float32Array.from({ length: n * size }, (_, i) => 2 * Math.sin(0.7 * i + seed)),
            [n, ...(image ? [2, 3] : [5])],
          );
          const y = Tensor.from(Array.from({ length: n }, (_, i) => [Math.cos(i), 0.5, Math.sin(i)]));
          for (let k = 0; k < 3; k++) m.trainOnBatch(x, y); // moving statistics and weights away from their initial values
          close(await tfjsPredict(toTfjs(m), x), m.predict(x).data);
        },
      ),
      { numRuns: 60 },
    );
  }, 300_000);

  it("a model built and trained by tfjs-layers loads with fromTfjs and predicts the same", async () => {
    const k = tfl.sequential();
    k.add(tfl.layers.dense({ units: 6, activation: "relu", inputShape: [4] }));
    k.add(tfl.layers.batchNormalization({ momentum: 0.9 }));
    k.add(tfl.layers.dense({ units: 5, activation: "tanh", kernelInitializer: "heNormal" }));
    k.add(tfl.layers.layerNormalization({}));
    k.add(tfl.layers.leakyReLU({ alpha: 0.2 }));
    k.add(tfl.layers.dropout({ rate: 0.3 }));
    k.add(tfl.layers.elu({}));
    k.add(tfl.layers.dense({ units: 3, activation: "softmax" }));
    k.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
    const xs = tf.randomNormal([16, 4], 0, 1, "float32", 7);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "int32"), 3);
    await k.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await k.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    const a = artifacts as unknown as tf.io.ModelArtifacts;
    const ours = fromTfjs(a, a.weightData as ArrayBuffer);
    expect(ours.layers.map((l) => l.kind)).toEqual([
      "dense",
      "batchNormalization",
      "dense",
      "layerNormalization",
      "activation",
      "dropout",
      "activation",
      "dense",
    ]);
    const x = new Tensor(Float32Array.from((await xs.data()) as Float32Array), [16, 4]);
    close(ours.predict(x).data, (await (k.predict(xs) as tf.Tensor).data()) as Float32Array);
  });

  it("saveTfjs writes model.json + weights.bin, and loadTfjs reads them back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tmlp-tfjs-"));
    const m = new Sequential({ inputShape: [3], seed: 4 });
    m.add(new Dense({ units: 4, activation: "gelu" }));
    m.add(new BatchNormalization());
    m.add(new Dense({ units: 2 }));
    saveTfjs(m, dir);
    expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
    const back = loadTfjs(dir);
    const x = Tensor.from([
      [1, 2, 3],
      [-1, 0.5, 0],
    ]);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    rmSync(dir, { recursive: true });
  });

  it("a negative moving variance is refused, as the native loader refuses it (it used to load and predict NaN)", () => {
    const m = new Sequential({ inputShape: [3], seed: 4, backend: "js" });
    m.add(new Dense({ units: 4 }));
    m.add(new BatchNormalization());
    const a = toTfjs(m);
    const k = a.weightSpecs.findIndex((w) => w.name.endsWith("moving_variance"));
    const off = a.weightSpecs.slice(0, k).reduce((s, w) => s + w.shape.reduce((p, d) => p * d, 1), 0);
    const data = new Float32Array(a.weightData.slice(0));
    data[off + 2] = -0.5;
    const json = { modelTopology: a.modelTopology, weightSpecs: a.weightSpecs };
    expect(() => fromTfjs(json, new Uint8Array(data.buffer))).toThrow(TfjsFormatError);
    expect(() => fromTfjs(json, new Uint8Array(data.buffer))).toThrow(
      /weights \('batchNormalization_1\/movingVariance'\)\[2\]: -0\.5 is negative; it holds a variance/,
    );
    data[off + 2] = 0; // zero is a variance
    expect(() => fromTfjs(json, new Uint8Array(data.buffer))).not.toThrow();
  });

  it("a value nested 100,000 deep in a layer's config is quoted capped in the error (it overflowed the stack)", () => {
    const m = new Sequential({ inputShape: [3], seed: 4, backend: "js" });
    m.add(new Dense({ units: 2, activation: "relu" }));
    const a = toTfjs(m);
    const topo = JSON.parse(JSON.stringify(a.modelTopology));
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    topo.config.layers[0].config.activation = deep;
    expect(() => fromTfjs({ modelTopology: topo, weightSpecs: a.weightSpecs }, a.weightData)).toThrow(
      new TfjsFormatError(
        "fromTfjs: layers[0] ('dense_1', Dense): activation [[[…]]] has no tinymlp form; known: linear, relu, sigmoid, tanh, softmax, softplus, selu, elu, gelu, gelu_new, swish, silu",
      ),
    );
  });

  it("hostile model.json files end in a typed error or a model, never allocating beyond the buffer (1,000 cases)", () => {
    const good = toTfjs(
      new Sequential({
        inputShape: [3],
        seed: 1,
        layers: [new Dense({ units: 4, activation: "relu" }), new BatchNormalization(), new Dense({ units: 2 })],
      }),
    );
    const text = JSON.stringify({ modelTopology: good.modelTopology, weightSpecs: good.weightSpecs });
    const all = jsonPaths(JSON.parse(text)).filter((p) => p.length > 0);
    const hostile = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(
        1e9,
        1e7,
        2 ** 31,
        -1,
        0,
        1.5,
        "Conv2D",
        "float16",
        null,
        [],
        {},
        [1e7, 1e7],
        [null, 1e9],
        "__proto__",
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.constantFrom("replace", "remove", "proto"),
        hostile,
        fc.integer({ min: -8, max: 8 }),
        (path, op, value, extraBytes) => {
          const doc = JSON.parse(text);
          const { parent, key } = mutateAt(doc, path, op === "proto" ? "none" : op, value);
          const target = parent[key];
          if (op === "proto" && typeof target === "object" && target !== null) {
            Object.defineProperty(target, "__proto__", { value, enumerable: true, configurable: true });
          }
          const n = Math.max(0, good.weightData.byteLength + 4 * extraBytes);
          const data = new Uint8Array(n);
          data.set(new Uint8Array(good.weightData).subarray(0, Math.min(n, good.weightData.byteLength)));
          try {
            fromTfjs(doc, data);
          } catch (e) {
            if (!(e instanceof TinyMlpError)) throw e;
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("refuses what it cannot express, naming the layer, its class and the option", () => {
    const base = () => toTfjs(new Sequential({ inputShape: [3], layers: [new Dense({ units: 2 })] }));
    const a = base();
    const layers = (a.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] })
      .layers;
    (layers[0] as { class_name: string }).class_name = "Conv2D";
    expect(() => fromTfjs(a, a.weightData)).toThrow(TfjsFormatError);
    expect(() => fromTfjs(a, a.weightData)).toThrow(
      /^fromTfjs: layers\[0\] \('dense_1', Conv2D\): layer class 'Conv2D' has no tinymlp form/,
    );
    const b = base();
    const lb = (b.modelTopology.config as { layers: { config: Record<string, unknown> }[] }).layers;
    (lb[0] as { config: Record<string, unknown> }).config.kernel_constraint = {
      class_name: "MaxNorm",
      config: { max_value: 2 },
    };
    expect(() => fromTfjs(b, b.weightData)).toThrow(
      /^fromTfjs: layers\[0\] \('dense_1', Dense\): option kernel_constraint = .* cannot be expressed in tinymlp$/,
    );
    const c = base();
    expect(() => fromTfjs(c, new ArrayBuffer(4))).toThrow(
      "fromTfjs: weightData: the layers need 32 bytes of float32 weights, the buffer holds 4",
    );
    const d = base();
    (d.weightSpecs[0] as { shape: number[] }).shape = [3, 3];
    expect(() => fromTfjs(d, d.weightData)).toThrow(
      "fromTfjs: weights[0] ('dense_1/kernel'): shape (3, 3), but the layer needs (3, 2)",
    );
    const e = base();
    const le = (e.modelTopology.config as { layers: { config: Record<string, unknown> }[] }).layers;
    (le[0] as { config: Record<string, unknown> }).config.activation = "hard_sigmoid";
    expect(() => fromTfjs(e, e.weightData)).toThrow(/activation "hard_sigmoid" has no tinymlp form/);
    // and what TensorFlow.js cannot run is refused on the way out
    const g = new Sequential({ inputShape: [2], layers: [new Dense({ units: 2, activation: "geluTanh" })] });
    expect(() => toTfjs(g)).toThrow(/^toTfjs: activation 'geluTanh' \(Keras 'gelu_new'\) does not load/);
    const el = new Sequential({
      inputShape: [2],
      layers: [new Dense({ units: 2, activation: { name: "elu", alpha: 0.5 } })],
    });
    expect(() => toTfjs(el)).toThrow("toTfjs: activation elu with alpha 0.5: TensorFlow.js supports only alpha 1");
  });
});
