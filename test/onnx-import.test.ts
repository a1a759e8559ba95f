/**
 * ONNX import. Our own export read back must predict bit for bit what the
 * model predicted (same layers, same weights, same arithmetic). Graphs that
 * PyTorch and the onnx helper API wrote (test/fixtures/onnx/make.py) must
 * agree with onnxruntime-web on the same inputs: both compute the same
 * operations in float32 in different orders, so for these nets (K ≤ 8 terms
 * per dot product, ≤ 8 layers, outputs of O(1)) the difference is bounded by
 * about 2·K·depth·u·scale ≈ 2·8·8·6e-8 ≈ 8e-6 relative; 5e-5 leaves margin
 * (float64 models: 1e-12). What has no MLP form is refused, naming the node;
 * 1,000 hostile files end in a model or a typed error, quickly.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as ort from "onnxruntime-web";
import { afterAll, describe, expect, it } from "vitest";
import {
  ACTIVATION_NAMES,
  Activation,
  Adam,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  fromOnnx,
  LayerNormalization,
  Normalization,
  OnnxFormatError,
  Sequential,
  Softmax,
  Tensor,
  TinyMlpError,
  toOnnx,
} from "../src/index.js";
import { loadOnnx } from "../src/node.js";

ort.env.wasm.numThreads = 1;
const FIXTURES = "test/fixtures/onnx";
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const dir = mkdtempSync(join(tmpdir(), "tinymlp-onnx-import-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The layer kinds (with a Dense's activation) of a model, as one string. */
const kinds = (m: Sequential) =>
  m.layers
    .map((l) => {
      const c = l.toConfig() as { kind: string; activation?: { name: string } };
      return c.activation && c.kind === "dense" ? `dense(${c.activation.name})` : c.kind;
    })
    .join(" ");

/** N inputs of the model's shape, deterministic. */
function inputs(m: Sequential, N: number, seed: number): Tensor {
  const shape = m.inputShapePerSample;
  const size = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: N * size }, (_, i) => 2 * Math.sin(1.7 * i + seed));
  return new Tensor(m.dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v), [N, ...shape]);
}

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<Float32Array | Float64Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [s.inputNames[0] as string]: new ort.Tensor(x.dtype, x.data, [...x.shape]) });
  await s.release();
  return out[s.outputNames[0] as string]?.data as Float32Array | Float64Array;
}

type Kind =
  | "dense"
  | "activation"
  | "dropout"
  | "batchNormalization"
  | "layerNormalization"
  | "normalization"
  | "softmax";

describe("fromOnnx(toOnnx(m)) is the model", () => {
  it("random models of every layer kind and activation, float32 and float64: bit-identical predictions (150 cases)", async () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.record({
          dtype: fc.constantFrom("float32" as const, "float64" as const),
          seed: fc.nat(),
          image: fc.boolean(),
          hidden: fc.array(
            fc.record({
              kind: fc.constantFrom<Kind>(
                "dense",
                "activation",
                "dropout",
                "batchNormalization",
                "layerNormalization",
                "normalization",
                "softmax",
              ),
              units: fc.integer({ min: 1, max: 8 }),
              activation: fc.constantFrom(...ACTIVATION_NAMES),
              invert: fc.boolean(),
            }),
            { maxLength: 5 },
          ),
          last: fc.constantFrom(...ACTIVATION_NAMES),
        }),
        (s) => {
          const m = new Sequential({ inputShape: s.image ? [2, 3] : [5], seed: s.seed, dtype: s.dtype, backend: "js" });
          if (s.image) m.add(new Flatten());
          let width = s.image ? 6 : 5;
          for (const h of s.hidden) {
            seen.add(h.kind);
            if (h.kind === "dense") {
              seen.add(h.activation);
              m.add(new Dense({ units: h.units, activation: h.activation }));
              width = h.units;
            } else if (h.kind === "activation") {
              seen.add(h.activation);
              m.add(new Activation({ activation: h.activation }));
            } else if (h.kind === "dropout") m.add(new Dropout({ rate: 0.3 }));
            else if (h.kind === "batchNormalization") m.add(new BatchNormalization());
            else if (h.kind === "layerNormalization") m.add(new LayerNormalization());
            else if (h.kind === "softmax") m.add(new Softmax());
            else {
              const mean = Array.from({ length: width }, (_, j) => Math.sin(j + s.seed));
              const variance = Array.from({ length: width }, (_, j) => (j % 3 === 2 ? 0 : 0.25 + j));
              m.add(new Normalization({ mean, variance, invert: h.invert }));
            }
          }
          m.add(new Dense({ units: 3, activation: s.last }));
          // a few steps, so BatchNormalization's statistics are not their initial values
          m.compile({ optimizer: new Adam({ lr: 0.05 }), loss: "meanSquaredError" });
          const x = inputs(m, 5, s.seed);
          const y = Tensor.from(
            Array.from({ length: 5 }, (_, i) => [Math.cos(i), Math.sin(i), 0.5]),
            { dtype: s.dtype },
          );
          for (let k = 0; k < 3; k++) m.trainOnBatch(x, y);
          const back = fromOnnx(toOnnx(m), { backend: "js" });
          expect(back.dtype).toBe(s.dtype);
          const want = m.predict(x).data;
          const got = back.predict(x).data;
          for (let i = 0; i < want.length; i++)
            if (!Object.is(got[i], want[i])) expect.fail(`${kinds(m)} → ${kinds(back)}: [${i}] ${got[i]} ≠ ${want[i]}`);
        },
      ),
      { numRuns: 150 },
    );
    for (const k of [
      "dense",
      "activation",
      "batchNormalization",
      "layerNormalization",
      "normalization",
      "softmax",
      ...ACTIVATION_NAMES,
    ])
      expect(seen.has(k), k).toBe(true);
  }, 300_000);
});

describe("graphs other producers wrote, against onnxruntime-web", () => {
  // each file, and the layers it must become
  const CASES: [string, string][] = [
    ["torch-relu-tanh-softmax-op9.onnx", "dense(relu) dense(tanh) dense(softmax)"],
    ["torch-relu-tanh-softmax-op13.onnx", "dense(relu) dense(tanh) dense(softmax)"],
    ["torch-relu-tanh-softmax-op17.onnx", "dense(relu) dense(tanh) dense(softmax)"],
    [
      "torch-bn-gelu-silu-op13.onnx",
      "flatten dense(linear) batchNormalization activation dense(silu) dense(leakyRelu) dense(elu) dense(sigmoid) dense(softplus) dense(linear)",
    ],
    ["torch-gelutanh-selu-layernorm-op17.onnx", "dense(geluTanh) dense(selu) layerNormalization dense(linear)"],
    ["torch-float64-op13.onnx", "dense(relu) dense(linear)"],
    ["tf2onnx-matmul-add-op11.onnx", "flatten dense(relu) dense(softmax)"],
    ["tf2onnx-matmul-add-op15.onnx", "flatten dense(relu) dense(softmax)"],
    ["gemm-alpha-beta-op13.onnx", "dense(linear)"],
    ["typed-fields-hardsigmoid-op13.onnx", "dense(hardSigmoid)"], // float_data and int64_data, not raw_data
    ["logsoftmax-op13.onnx", "dense(logSoftmax)"],
    ["gelu-operator-op20.onnx", "dense(gelu)"], // the Gelu operator of opset 20
    ["gelu-operator-op21.onnx", "dense(geluTanh)"],
  ];
  for (const [file, layers] of CASES) {
    it(`${file}: ${layers}`, async () => {
      const bytes = fixture(file);
      const m = fromOnnx(bytes, { backend: "js" });
      expect(kinds(m)).toBe(layers);
      const x = inputs(m, 7, 0.3);
      const want = await runOrt(bytes, x);
      const got = m.predict(x).data;
      expect(got.length).toBe(want.length);
      const scale = Math.max(1, ...Array.from(want, Math.abs));
      const tol = (m.dtype === "float64" ? 1e-12 : 5e-5) * scale;
      for (let i = 0; i < want.length; i++)
        expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThanOrEqual(tol);
    });
  }

  it("the activations' parameters come back exactly: LeakyReLU's 0.2, ELU's 0.5 (float32 attributes, read as decimals)", () => {
    const m = fromOnnx(fixture("torch-bn-gelu-silu-op13.onnx"));
    const acts = m.layers.map((l) => (l.toConfig() as { activation?: { name: string; alpha?: number } }).activation);
    expect(acts.find((a) => a?.name === "leakyRelu")?.alpha).toBe(0.2);
    expect(acts.find((a) => a?.name === "elu")?.alpha).toBe(0.5);
  });

  it("an imported model fine-tunes, saves and exports again", async () => {
    const path = join(dir, "torch.onnx");
    writeFileSync(path, fixture("torch-relu-tanh-softmax-op13.onnx"));
    const m = loadOnnx(path);
    m.compile({ optimizer: new Adam({ lr: 0.05 }), loss: "categoricalCrossEntropy" }); // its output is probabilities
    const x = inputs(m, 16, 1);
    const y = Tensor.from(
      Array.from({ length: 16 }, (_, i) => [i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, i % 3 === 2 ? 1 : 0]),
    );
    const h = await m.fit(x, y, { epochs: 30, batchSize: 8 });
    const loss = h.history.loss as number[];
    expect(loss.at(-1) as number).toBeLessThan(loss[0] as number);
    const again = toOnnx(m);
    const want = m.predict(x).data;
    const got = await runOrt(again, x);
    for (let i = 0; i < want.length; i++)
      expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThanOrEqual(5e-5);
  });
});

describe("what has no MLP form is refused, naming it", () => {
  const REFUSED: [string, string][] = [
    ["refused-conv.onnx", "fromOnnx: node 0 ('output', Conv): a convolution or pooling has no MLP form"],
    ["refused-two-inputs.onnx", "fromOnnx: the graph has 2 inputs (input, other); an MLP has one"],
    [
      "refused-branch.onnx",
      "fromOnnx: node 1 ('b', Sigmoid): is not on the path from the input to the output (an MLP is one chain)",
    ],
    [
      "refused-external-data.onnx",
      "fromOnnx: initializer 'w': its data is in an external file; tinymlp reads self-contained models only (save with all tensors inside, e.g. onnx.save(model, path, save_as_external_data=False))",
    ],
    [
      "refused-dangling.onnx",
      "fromOnnx: node 1 ('output', Relu): input 'b' is not defined before it (a dangling name or a cycle)",
    ],
    [
      "refused-cycle.onnx",
      "fromOnnx: node 0 ('b', Relu): input 'c' is not defined before it (a dangling name or a cycle)",
    ],
    ["refused-duplicate-output.onnx", "fromOnnx: node 1 ('a', Sigmoid): output 'a' is defined twice"],
    [
      "torch-unknown-function-op13.onnx",
      "fromOnnx: node 2 ('/1/Mul', Mul): nodes 2 (Mul), 3 (Mul), 4 (Add) compute an elementwise function that is none of tinymlp's activations",
    ],
  ];
  for (const [file, message] of REFUSED) {
    it(file, () => {
      expect(() => fromOnnx(fixture(file))).toThrow(new OnnxFormatError(message));
    });
  }
  it("bytes that are not ONNX, and an opset outside 9 to 21", () => {
    expect(() => fromOnnx(new TextEncoder().encode("TMLP and then some"))).toThrow(OnnxFormatError);
    expect(() => fromOnnx("model.onnx" as never)).toThrow(
      "fromOnnx: expected the bytes of an ONNX file (a Uint8Array)",
    );
    const bytes = fixture("gemm-alpha-beta-op13.onnx");
    // the opset_import's version is the last varint of the file's opset message: 13 → 8
    const at = bytes.lastIndexOf(13);
    const old = bytes.slice();
    old[at] = 8;
    expect(() => fromOnnx(old)).toThrow("fromOnnx: opset 8; tinymlp reads opsets 9 to 21");
  });
});

describe("hostile files", () => {
  it("1,000 mutated files each end in a model or a typed error, within 1 s", () => {
    const seeds = [
      ...readdirSync(FIXTURES)
        .filter((f) => f.endsWith(".onnx"))
        .map(fixture),
      toOnnx(
        new Sequential({
          inputShape: [4],
          layers: [new Dense({ units: 3, activation: "gelu" }), new BatchNormalization()],
        }),
      ),
    ];
    const outcome = { model: 0, typed: 0 };
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(
          fc.record({
            what: fc.constantFrom("flip", "truncate", "huge", "byte", "insert", "dup"),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            v: fc.nat(255),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (k, edits) => {
          let b = (seeds[k] as Uint8Array).slice();
          for (const e of edits) {
            const i = Math.min(b.length - 1, Math.floor(e.at * b.length));
            if (e.what === "flip") b[i] = (b[i] as number) ^ (1 << (e.v % 8));
            else if (e.what === "byte") b[i] = e.v;
            else if (e.what === "truncate") b = b.slice(0, i);
            else if (e.what === "huge") {
              // a length or count of 2³²−1 where a varint was
              const big = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f);
              b = Uint8Array.from([...b.subarray(0, i), ...big, ...b.subarray(i + 1)]);
            } else if (e.what === "insert")
              b = Uint8Array.from([...b.subarray(0, i), e.v, 0x80, 0x80, ...b.subarray(i)]);
            else b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(Math.max(0, i - 40), i), ...b.subarray(i)]);
          }
          const t0 = performance.now();
          try {
            fromOnnx(b, { backend: "js" });
            outcome.model++;
          } catch (e) {
            if (!(e instanceof TinyMlpError))
              throw new Error(`an untyped ${(e as Error).constructor.name}: ${(e as Error).message}`);
            outcome.typed++;
          }
          expect(performance.now() - t0).toBeLessThan(1000);
        },
      ),
      { numRuns: 1000 },
    );
    expect(outcome.model + outcome.typed).toBe(1000);
    expect(outcome.typed).toBeGreaterThan(500);
  }, 120_000);
});
