import { describe, expect, it } from "vitest";
import {
  Adam,
  Dense,
  Flatten,
  NonFiniteLossError,
  NonFiniteParamError,
  Sequential,
  SGD,
  ShapeError,
  Tensor,
  Uint8Source,
  ValueError,
} from "../src/index.js";
import { randomTensor } from "./helpers.js";

const xorX = Tensor.from([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const xorY = Tensor.from([[0], [1], [1], [0]]);

function xorModel(seed = 1): Sequential {
  const m = new Sequential({ inputShape: [2], seed });
  m.add(new Dense({ units: 8, activation: "tanh" }));
  m.add(new Dense({ units: 1 }));
  m.compile({
    optimizer: new SGD({ lr: 0.2, momentum: 0.9 }),
    loss: { name: "binaryCrossEntropy", fromLogits: true },
    metrics: ["accuracy"],
  });
  return m;
}

/** A toy 3-class problem: the class is which of three Gaussian blobs a point came from. */
function blobs(n: number, seed: number): { x: Tensor; y: Uint8Array } {
  const x = randomTensor([n, 2], seed, -0.5, 0.5, "float32");
  const y = new Uint8Array(n);
  const centers = [
    [2, 0],
    [-1, 1.7],
    [-1, -1.7],
  ];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x.data[2 * i] = (x.data[2 * i] as number) + (centers[c]?.[0] as number);
    x.data[2 * i + 1] = (x.data[2 * i + 1] as number) + (centers[c]?.[1] as number);
  }
  return { x, y };
}

describe("Sequential end to end", () => {
  it("fits XOR", async () => {
    const m = xorModel();
    const h = await m.fit(xorX, xorY, { epochs: 300, batchSize: 4 });
    expect(h.history.accuracy?.at(-1)).toBe(1);
    expect(h.history.loss?.at(-1)).toBeLessThan(0.05);
    const p = m.predictProba(xorX);
    expect(p.get(0, 0)).toBeLessThan(0.1);
    expect(p.get(1, 0)).toBeGreaterThan(0.9);
  });

  it("loss goes down on a toy classification problem, with validation", async () => {
    const { x, y } = blobs(300, 4);
    const m = new Sequential({ inputShape: [2], seed: 2 });
    m.add(new Dense({ units: 16, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
    const h = await m.fit(x, y, { epochs: 10, batchSize: 16, validationSplit: 0.2 });
    const loss = h.history.loss as number[];
    expect(loss.at(-1)).toBeLessThan((loss[0] as number) / 2);
    expect(h.history.val_accuracy?.at(-1)).toBeGreaterThan(0.95);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ev = m.evaluate(x, y);
    expect(ev.accuracy).toBeGreaterThan(0.95);
    const probs = m.predictProba(x);
    for (let r = 0; r < 5; r++) expect(probs.get(r, 0) + probs.get(r, 1) + probs.get(r, 2)).toBeCloseTo(1, 6);
  });

  it("same seed, same weights and history; another seed differs", async () => {
    const run = async (seed: number) => {
      const { x, y } = blobs(90, 1);
      const m = new Sequential({ inputShape: [2], seed });
      m.add(new Dense({ units: 8, activation: "relu" }));
      m.add(new Dense({ units: 3 }));
      m.compile({ optimizer: new SGD({ lr: 0.1, momentum: 0.9 }), loss: "sparseCategoricalCrossEntropy" });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 8 });
      return { w: Array.from(m.params()[0]?.value.data ?? []), loss: h.history.loss };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(b).toEqual(a);
    expect(c.w).not.toEqual(a.w);
  });

  it("trains on (N, 28, 28) byte images through Flatten", async () => {
    const n = 60;
    const bytes = new Uint8Array(n * 28 * 28);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      // class 0 lights the top half, class 1 the bottom half
      for (let p = 0; p < 392; p++) bytes[i * 784 + (i % 2) * 392 + p] = 200;
    }
    const m = new Sequential({ inputShape: [28, 28], seed: 1 });
    m.add(new Flatten());
    m.add(new Dense({ units: 2 }));
    m.compile({ optimizer: new SGD({ lr: 0.05 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
    const h = await m.fit(new Uint8Source(bytes, [28, 28], 1 / 255), labels, { epochs: 3, batchSize: 10 });
    expect(h.history.accuracy?.at(-1)).toBe(1);
  });

  it("summary lists layers, output shapes and parameter counts", () => {
    const m = new Sequential({ inputShape: [784] });
    m.add(new Dense({ units: 256, activation: "relu" }));
    m.add(new Dense({ units: 10 }));
    const s = m.summary();
    expect(s).toMatch(/dense_1 \(dense\)\s+\(B, 256\)\s+200960/);
    expect(s).toMatch(/dense_2 \(dense\)\s+\(B, 10\)\s+2570/);
    expect(s).toMatch(/Total params: 203,530/);
  });

  it("callbacks see every epoch and batch; stopTraining ends fit early", async () => {
    const m = xorModel();
    const seen: string[] = [];
    const h = await m.fit(xorX, xorY, {
      epochs: 5,
      batchSize: 2,
      onBatchEnd: (b) => {
        seen.push(`b${b}`);
      },
      onEpochEnd: (e) => {
        seen.push(`e${e}`);
        if (e === 1) m.stopTraining = true;
      },
    });
    expect(seen).toEqual(["b0", "b1", "e0", "b0", "b1", "e1"]);
    expect(h.epoch).toEqual([0, 1]);
  });
});

describe("bad input gets a clear error", () => {
  it("wrong input width names the layer and both shapes", () => {
    const m = new Sequential({ inputShape: [4] });
    m.add(new Dense({ units: 3, name: "hidden" }));
    const layer = m.layers[0] as Dense;
    expect(() => layer.forward(Tensor.zeros([2, 5]), "eval")).toThrow(ShapeError);
    expect(() => layer.forward(Tensor.zeros([2, 5]), "eval")).toThrow(
      "dense layer 'hidden': expected input of shape (B, 4), got (2, 5)",
    );
    expect(() => m.predict(Tensor.zeros([2, 5]))).toThrow(
      "predict: the model expects input of shape (N, 4), got (2, 5)",
    );
  });

  it("a nested JS array as x or y asks for Tensor.from; string labels are shown as strings", async () => {
    const m = new Sequential({ inputShape: [4] });
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
    const rows = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ];
    expect(() => m.predict(rows as never)).toThrow(
      new ShapeError("predict: x is a nested array (2 rows, the first of 4); make it a tensor first: Tensor.from(x)"),
    );
    await expect(m.fit(rows as never, [0, 1])).rejects.toThrow(
      "fit: x is a nested array (2 rows, the first of 4); make it a tensor first: Tensor.from(x)",
    );
    await expect(m.fit(Tensor.from(rows), [[1, 0, 0]] as never)).rejects.toThrow(
      "fit: y is a nested array (1 row, the first of 3); make it a tensor first: Tensor.from(y)",
    );
    await expect(m.fit(Tensor.from(rows), ["a", "b"] as never)).rejects.toThrow(
      'fit: y[0] is the string "a"; sparseCategoricalCrossEntropy needs integer labels in [0, 2] (the model has 3 outputs)',
    );
  });

  it("a Dense after an image input asks for Flatten", () => {
    const m = new Sequential({ inputShape: [28, 28] });
    expect(() => m.add(new Dense({ units: 3 }))).toThrow(
      /expected a flat per-sample input .* got \(28, 28\); add a Flatten layer/,
    );
  });

  it("labels out of range", async () => {
    const m = new Sequential({ inputShape: [2] });
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
    await expect(m.fit(Tensor.zeros([2, 2]), [0, 3])).rejects.toThrow(
      "fit: y[1] is 3; sparseCategoricalCrossEntropy needs integer labels in [0, 2] (the model has 3 outputs)",
    );
    // with the check skipped, the loss still refuses it when its batch comes round
    await expect(m.fit(Tensor.zeros([2, 2]), [0, 3], { checkData: false })).rejects.toThrow(
      /label at row \d is 3; labels must be integers in \[0, 2\]/,
    );
  });

  it("the whole data set is checked once before the first step, naming the dataset index", async () => {
    const m = new Sequential({ inputShape: [2], seed: 1 });
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
    const x = Tensor.zeros([300, 2]);
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const w0 = Array.from(m.params()[0]?.value.data ?? []);
    labels[250] = 7; // far from the first batches: found before any step
    await expect(m.fit(x, labels, { batchSize: 10 })).rejects.toThrow(/^fit: y\[250\] is 7;/);
    expect(Array.from(m.params()[0]?.value.data ?? [])).toEqual(w0); // no step was taken
    labels[250] = 1.0000000001; // checked as given, before float32 would round it to 1
    await expect(m.fit(x, labels)).rejects.toThrow(/^fit: y\[250\] is 1.0000000001;/);
    labels[250] = 1;
    x.data[2 * 123 + 1] = Number.NaN;
    await expect(m.fit(x, labels)).rejects.toThrow("fit: x[123] holds NaN at element 1; inputs must be finite numbers");
    expect(() => m.predict(x)).toThrow("predict: x[123] holds NaN at element 1");
    expect(() => m.evaluate(x, labels)).toThrow("evaluate: x[123] holds NaN at element 1");
    expect(m.predict(x, { checkData: false }).shape).toEqual([300, 3]); // the opt-out
    x.data[2 * 123 + 1] = 0;
    await expect(m.fit(x, labels, { validationData: [Tensor.zeros([4, 2]), [0, 1, 2, 3]] })).rejects.toThrow(
      /^fit: validationData\[1\]\[3\] is 3;/,
    );
    expect(() => m.trainOnBatch(Tensor.zeros([2, 2]), [0, -1])).toThrow(/^trainOnBatch: y\[1\] is -1;/);
  });

  it("targets of binary and categorical cross-entropy are checked too", async () => {
    const b = new Sequential({ inputShape: [2], seed: 1 });
    b.add(new Dense({ units: 1 }));
    b.compile({ optimizer: new SGD(), loss: { name: "binaryCrossEntropy", fromLogits: true } });
    await expect(b.fit(Tensor.zeros([3, 2]), Tensor.from([[0], [1], [2]]))).rejects.toThrow(
      "fit: y[2] holds 2 at element 0; binaryCrossEntropy needs targets in [0, 1]",
    );
    const c = new Sequential({ inputShape: [2], seed: 1 });
    c.add(new Dense({ units: 3 }));
    c.compile({ optimizer: new SGD(), loss: { name: "categoricalCrossEntropy", fromLogits: true } });
    await expect(
      c.fit(
        Tensor.zeros([2, 2]),
        Tensor.from([
          [0.1, 0.9, 0],
          [0.5, 0.4, 0],
        ]),
      ),
    ).rejects.toThrow(/^fit: y\[1\] sums to 0.9\d*; categoricalCrossEntropy needs rows that are distributions/);
    // a float32 row of rounded decimals sums within the tolerance
    await expect(c.fit(Tensor.zeros([1, 2]), Tensor.from([[0.1, 0.2, 0.7]]))).resolves.toBeDefined();
    const r = new Sequential({ inputShape: [2], seed: 1 });
    r.add(new Dense({ units: 1 }));
    r.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
    await expect(r.fit(Tensor.zeros([2, 2]), Tensor.from([[0], [Number.POSITIVE_INFINITY]]))).rejects.toThrow(
      "fit: y[1] holds Infinity at element 0; targets must be finite numbers",
    );
  });

  it("x/y length mismatch and bad fit options", async () => {
    const m = xorModel();
    await expect(m.fit(xorX, [0, 1, 1])).rejects.toThrow("fit: x has 4 samples but y has 3");
    await expect(m.fit(xorX, xorY, { batchSize: 0 })).rejects.toThrow(/fit: batchSize must be an integer >= 1, got 0/);
    await expect(m.fit(xorX, xorY, { validationSplit: 1 })).rejects.toThrow(
      /fit: validationSplit must be a finite number in \[0, 1\), got 1/,
    );
  });

  it("negative learning rate", () => {
    expect(() => new Adam({ lr: -1e-3 })).toThrow(ValueError);
  });

  it("a NaN loss stops fit with an error naming epoch and batch", async () => {
    const m = xorModel();
    const x = xorX.clone();
    x.data[5] = Number.NaN; // sample 2 (batch 2 of epoch 1 without shuffling, batch size 1)
    // (the data check would refuse this x up front: skip it to reach the loss guard)
    const err = await m
      .fit(x, xorY, { epochs: 2, batchSize: 1, shuffle: false, checkData: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).epoch).toBe(0);
    expect((err as NonFiniteLossError).batch).toBe(2);
    expect((err as Error).message).toMatch(/loss became NaN at epoch 1, batch 3/);
  });

  it("an exploding learning rate ends in a clear error naming the parameter that overflowed", async () => {
    const m = new Sequential({ inputShape: [1], seed: 1 });
    m.add(new Dense({ units: 1 }));
    m.compile({ optimizer: new SGD({ lr: 1e3 }), loss: "meanSquaredError" });
    const x = Tensor.from([[1], [2], [3], [4]]);
    const y = Tensor.from([[10], [20], [30], [40]]);
    // the weights overflow float32 before the loss (computed in double) does:
    // the step guard stops it at the step that made them non-finite
    await expect(m.fit(x, y, { epochs: 50, batchSize: 4 })).rejects.toThrow(NonFiniteParamError);
  });

  it("compile and fit refuse what they cannot use", async () => {
    const m = new Sequential({ inputShape: [2] });
    m.add(new Dense({ units: 1 }));
    await expect(m.fit(xorX, xorY)).rejects.toThrow(/call compile\(\{ optimizer, loss \}\) first/);
    expect(() => m.compile({ optimizer: new SGD(), loss: "crossEntropy" as "huber" })).toThrow(
      /unknown loss 'crossEntropy'/,
    );
    expect(() => new Sequential().predict(xorX)).toThrow(/input shape is unknown/);
  });
});

describe("options objects refuse unknown keys, naming the nearest known one", () => {
  it("fit, compile, evaluate, predict, Sequential, layers and optimizers", async () => {
    const m = new Sequential({ inputShape: [2], seed: 1 });
    m.add(new Dense({ units: 2 }));
    m.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
    const x = Tensor.from([[1, 2]]);
    await expect(m.fit(x, x, { epoch: 3 } as never)).rejects.toThrow(
      /fit: epoch is not an option \(did you mean 'epochs'\?\)/,
    );
    await expect(m.fit(x, x, { batch_size: 2 } as never)).rejects.toThrow(/did you mean 'batchSize'/);
    expect(() => m.compile({ optimizer: new SGD(), loss: "meanSquaredError", metric: [] } as never)).toThrow(
      /compile: metric is not an option \(did you mean 'metrics'\?\)/,
    );
    expect(() => m.evaluate(x, x, { batchsize: 2 } as never)).toThrow(/evaluate: batchsize is not an option/);
    expect(() => m.predict(x, { bs: 2 } as never)).toThrow(/predict: bs is not an option/);
    expect(() => new Sequential({ inputshape: [2] } as never)).toThrow(/did you mean 'inputShape'/);
    expect(() => new Adam({ learningRate: 0.1 } as never)).toThrow(
      /Adam: learningRate is not an option \(did you mean 'lr'\?\)/,
    );
    expect(() => new Dense({ units: 2, activaton: "relu" } as never)).toThrow(/did you mean 'activation'/);
  });
});
