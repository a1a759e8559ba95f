/**
 * ONNX export, checked by the real runtime: onnxruntime-web (its WebAssembly
 * CPU backend, which runs in Node; onnxruntime-node's install script
 * downloads from outside the npm registry, which this project's machines
 * cannot reach) loads each exported file and runs a batch through it; the
 * outputs must equal `model.predict`.
 *
 * Tolerances. Both sides compute the same operations in the model's dtype,
 * in different orders (ORT's Gemm blocks its sums differently). A K-term dot
 * product in two orders differs by at most 2·γ_K·Σ|wᵢxᵢ| (γ_K ≈ K·u), and the
 * models here have K ≤ 8 and at most 5 layers, whose normalizations can
 * amplify a difference by about the ratio of their input scale to its
 * spread (≤ ~10 for these inputs): float32 (u = 6.0e-8) gives
 * ≲ 2·8·5·10·6e-8 ≈ 5e-5 relative to the outputs' scale; float64 is bounded
 * instead by the float32 attributes ONNX defines (LeakyRelu's alpha, the
 * normalizations' epsilon: relative error ≤ 6e-8) and GELU's erf, which runs
 * in float32 for float64 models: 1e-6.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import {
  ACTIVATION_NAMES,
  Activation,
  Adam,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  LayerNormalization,
  Normalization,
  Sequential,
  Softmax,
  Tensor,
  toOnnx,
  ValueError,
} from "../src/index.js";
import { saveOnnx } from "../src/node.js";

ort.env.wasm.numThreads = 1;

type Kind = "dense" | "activation" | "dropout" | "batchNormalization" | "layerNormalization" | "normalization";
const spec = fc.record({
  dtype: fc.constantFrom("float32" as const, "float64" as const),
  seed: fc.nat(),
  inputShape: fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 6 })),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  ),
  hidden: fc.array(
    fc.record({
      kind: fc.constantFrom<Kind>(
        "dense",
        "activation",
        "dropout",
        "batchNormalization",
        "layerNormalization",
        "normalization",
      ),
      invert: fc.boolean(),
      units: fc.integer({ min: 1, max: 8 }),
      activation: fc.constantFrom(...ACTIVATION_NAMES),
    }),
    { maxLength: 4 },
  ),
  softmaxLayer: fc.boolean(),
  softmaxOption: fc.boolean(),
});

/** Softmax of each row of K values (what the `softmax` option appends). */
function softmaxRows(a: ArrayLike<number>, K: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let r = 0; r < a.length; r += K) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < K; j++) mx = Math.max(mx, a[r + j] as number);
    let s = 0;
    for (let j = 0; j < K; j++) s += Math.exp((a[r + j] as number) - mx);
    for (let j = 0; j < K; j++) out[r + j] = Math.exp((a[r + j] as number) - mx) / s;
  }
  return out;
}

async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<Float32Array | Float64Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    input: new ort.Tensor(x.dtype === "float64" ? "float64" : "float32", x.data, [...x.shape]),
  });
  await session.release();
  return out.output?.data as Float32Array | Float64Array;
}

describe("ONNX export, run by onnxruntime", () => {
  it("random models of every layer kind and activation, float32 and float64, equal predict (150 cases)", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const m = new Sequential({ inputShape: s.inputShape, seed: s.seed, dtype: s.dtype, backend: "js" });
        if (s.inputShape.length > 1) m.add(new Flatten());
        let width = s.inputShape.reduce((a, b) => a * b, 1);
        for (const h of s.hidden) {
          seen.add(h.kind);
          if (h.kind === "dense") {
            seen.add(h.activation);
            m.add(new Dense({ units: h.units, activation: h.activation }));
            width = h.units;
          } else if (h.kind === "normalization") {
            // fixed statistics, one feature in three constant (variance 0: divided by 1)
            const mean = Array.from({ length: width }, (_, j) => Math.sin(j + s.seed));
            const variance = Array.from({ length: width }, (_, j) => (j % 3 === 2 ? 0 : 0.25 + j));
            m.add(new Normalization({ mean, variance, invert: h.invert }));
          } else if (h.kind === "activation") {
            seen.add(h.activation);
            m.add(new Activation({ activation: h.activation }));
          } else if (h.kind === "dropout") m.add(new Dropout({ rate: 0.3 }));
          else if (h.kind === "batchNormalization") m.add(new BatchNormalization());
          else m.add(new LayerNormalization());
        }
        m.add(new Dense({ units: 3 }));
        if (s.softmaxLayer) m.add(new Softmax());
        // a few steps, so weights and BatchNormalization's moving statistics are not their initial values
        m.compile({ optimizer: new Adam({ lr: 0.05 }), loss: "meanSquaredError" });
        const n = 5;
        const size = s.inputShape.reduce((a, b) => a * b, 1);
        const x = new Tensor(
          s.dtype === "float64"
            ? Float64Array.from({ length: n * size }, (_, i) => 2 * Math.sin(1.3 * i + s.seed))
            : Float32Array.from({ length: n * size }, (_, i) => 2 * Math.sin(1.3 * i + s.seed)),
          [n, ...s.inputShape],
        );
        const y = Tensor.from(
          Array.from({ length: n }, (_, i) => [Math.cos(i), Math.sin(i), 0.5]),
          { dtype: s.dtype },
        );
        for (let k = 0; k < 3; k++) m.trainOnBatch(x, y);
        const out = m.predict(x).data;
        const want = s.softmaxOption ? softmaxRows(out, 3) : out;
        const got = await runOnnx(toOnnx(m, { softmax: s.softmaxOption }), x);
        expect(got.length).toBe(want.length);
        expect(got).toBeInstanceOf(s.dtype === "float64" ? Float64Array : Float32Array);
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        const tol = (s.dtype === "float64" ? 1e-6 : 5e-5) * scale;
        for (let i = 0; i < want.length; i++)
          expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThanOrEqual(tol);
      }),
      { numRuns: 150 },
    );
    // every layer kind and activation was drawn
    for (const k of [
      "dense",
      "activation",
      "dropout",
      "batchNormalization",
      "layerNormalization",
      "normalization",
      ...ACTIVATION_NAMES,
    ])
      expect(seen.has(k), k).toBe(true);
  }, 300_000);

  it("the batch dimension is dynamic, and names, shapes and dtype are declared", async () => {
    const m = new Sequential({ inputShape: [4], seed: 2 });
    m.add(new Dense({ units: 3, activation: "relu" }));
    m.add(new Dense({ units: 2 }));
    const bytes = toOnnx(m, { inputName: "pixels", outputName: "logits" });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["pixels"]);
    expect(session.outputNames).toEqual(["logits"]);
    const meta = session.inputMetadata[0] as unknown as { type: string; shape: (string | number)[] };
    expect([meta.type, meta.shape]).toEqual(["float32", ["batch", 4]]);
    for (const n of [1, 7, 300]) {
      const x = new Tensor(
        Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i)),
        [n, 4],
      );
      const out = await session.run({ pixels: new ort.Tensor("float32", x.data, [n, 4]) });
      expect(out.logits?.dims).toEqual([n, 2]);
    }
    await session.release();
  });

  it("saveOnnx writes the file atomically; onnxruntime loads it from the path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tmlp-onnx-"));
    const path = join(dir, "m.onnx");
    const m = new Sequential({ inputShape: [3], seed: 3 });
    m.add(new Dense({ units: 2, activation: "tanh" }));
    saveOnnx(m, path, { softmax: true });
    expect(new Uint8Array(readFileSync(path))).toEqual(toOnnx(m, { softmax: true }));
    expect(readdirSync(dir)).toEqual(["m.onnx"]); // no temporary file left behind
    const session = await ort.InferenceSession.create(path);
    const x = Tensor.from([[1, -1, 0.5]]);
    const out = await session.run({ input: new ort.Tensor("float32", x.data, [1, 3]) });
    const p = Array.from(out.output?.data as Float32Array);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    await session.release();
    rmSync(dir, { recursive: true });
  });

  it("a custom layer is refused by name", () => {
    const m = new Sequential({ inputShape: [2] });
    m.add(new Dense({ units: 2 }));
    const custom = {
      kind: "custom" as const,
      className: "Scale",
      name: "scale_1",
      paramShapes: (s: readonly number[]) => ({ output: [...s], params: [] }),
      build: (s: readonly number[]) => s,
      forward: (x: Tensor) => x,
      backward: (dy: Tensor) => dy,
      params: () => [],
      zeroGrad: () => {},
      toConfig: () => ({ kind: "custom" as const, className: "Scale", name: "scale_1" }),
    };
    m.add(custom as never);
    expect(() => toOnnx(m)).toThrow(
      new ValueError("toOnnx: layer 'scale_1' (kind 'custom') has no ONNX form; export supports the built-in layers"),
    );
  });
});
