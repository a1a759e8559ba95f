/**
 * The regression and macro classification metrics against scikit-learn's
 * definitions: expected values come from test/reference/metrics.py (sklearn's
 * own functions on fixed inputs), here computed in batches of every size,
 * through compile and evaluate, and through a checkpoint's saved state.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  confusionMatrix,
  Dense,
  MacroClassMetric,
  type Metric,
  metricFromName,
  modelFromJSON,
  modelToJSON,
  RegressionMetric,
  Sequential,
  SGD,
  ShapeError,
  Tensor,
  ValueError,
} from "../src/index.js";

const ref = JSON.parse(readFileSync(new URL("./reference/metrics.json", import.meta.url), "utf8"));

/** The metric's result over `pred` and `target` fed in batches of `bs` rows. */
function inBatches(m: Metric, pred: number[][], target: number[][] | number[], bs: number): number {
  m.reset();
  for (let s = 0; s < pred.length; s += bs) {
    const p = pred.slice(s, s + bs);
    const t = (target as unknown[]).slice(s, s + bs);
    m.update(Tensor.from(p, { dtype: "float64" }), Tensor.from(t as number[][], { dtype: "float64" }));
  }
  return m.result();
}

// The sums are float64 over 7 rows of values ≤ 2.1e5: each partial sum is
// rounded with relative error ≤ 2⁻⁵³, so n·2⁻⁵³ ≈ 1e-15 relative; Welford's
// Σ(t − t̄)² is within a few n·ε of the two-pass sum numpy takes. 1e-12
// relative leaves three orders of margin and still tells any formula apart.
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));

describe("regression metrics: mae, mse, rmse, r2 as scikit-learn defines them", () => {
  it("over the whole set, whatever the batch size (2 outputs: each scored, then averaged)", () => {
    const { pred, target } = ref.regression;
    for (const name of ["mae", "mse", "rmse", "r2"] as const) {
      for (const bs of [1, 2, 3, 7])
        close(inBatches(new RegressionMetric(name), pred, target, bs), ref.regression[name]);
    }
  });

  it("a constant target: R² 1 for an exact fit, 0 otherwise (never NaN)", () => {
    const r2 = new RegressionMetric("r2");
    expect(inBatches(r2, ref.constant.target, ref.constant.target, 2)).toBe(ref.constant.exact);
    expect(inBatches(r2, ref.constant.pred, ref.constant.target, 2)).toBe(ref.constant.off);
  });

  it("through compile and evaluate, in batches of 3 (a linear model that outputs its input)", () => {
    const { pred, target } = ref.regression;
    const m = new Sequential({ inputShape: [2], dtype: "float64", seed: 1 });
    m.add(new Dense({ units: 2, useBias: false }));
    m.compile({ optimizer: new SGD(), loss: "meanSquaredError", metrics: ["mae", "mse", "rmse", "r2"] });
    m.setWeights([[1, 0, 0, 1]]);
    const logs = m.evaluate(Tensor.from(pred, { dtype: "float64" }), Tensor.from(target, { dtype: "float64" }), {
      batchSize: 3,
    });
    for (const name of ["mae", "mse", "rmse", "r2"] as const) close(logs[name] as number, ref.regression[name]);
    close(logs.loss as number, ref.regression.mse); // the loss is the same MSE
  });
});

describe("precision, recall, f1: macro averages as scikit-learn's (zero_division = 0)", () => {
  it("four columns, a class never seen (left out) and one only predicted (scores 0)", () => {
    const { scores, labels } = ref.classes;
    for (const name of ["precision", "recall", "f1"] as const) {
      for (const bs of [1, 4, 9]) {
        close(inBatches(new MacroClassMetric(name), scores, labels, bs), ref.classes[name]);
        // one-hot targets give the same as integer labels
        const onehot = labels.map((l: number) => [0, 1, 2, 3].map((k) => (k === l ? 1 : 0)));
        close(inBatches(new MacroClassMetric(name), scores, onehot, bs), ref.classes[name]);
      }
    }
  });

  it("one probability column: two classes split at 0.5 (at 0 for logits, as compile picks)", () => {
    const { probs, labels } = ref.binary;
    const col = probs.map((p: number) => [p]);
    const y = labels.map((l: number) => [l]);
    for (const name of ["precision", "recall", "f1"] as const) {
      close(inBatches(metricFromName(name, "none") as Metric, col, y, 3), ref.binary[name]);
      // the same decisions as logits: log(p / (1 − p)) > 0 exactly when p > 0.5
      const logits = probs.map((p: number) => [Math.log(p / (1 - p))]);
      close(inBatches(metricFromName(name, "sigmoid") as Metric, logits, y, 3), ref.binary[name]);
    }
  });

  it("a label outside the columns is a ValueError naming it and its row", () => {
    const m = new MacroClassMetric("f1");
    expect(() => m.update(Tensor.from([[0.2, 0.8]]), Tensor.from([2]))).toThrow(
      new ValueError("f1: label 2 of row 0 is outside [0, 1]"),
    );
  });
});

describe("running state in checkpoints", () => {
  it("each metric's state survives a checkpoint, and a state that cannot be is refused naming the metric", async () => {
    const m = new Sequential({ inputShape: [2], seed: 3 });
    m.add(new Dense({ units: 3 }));
    m.compile({
      optimizer: new SGD({ lr: 0.1 }),
      loss: "sparseCategoricalCrossEntropy",
      metrics: ["accuracy", "f1", "precision"],
    });
    const x = Tensor.from([
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
    ]);
    let doc: ReturnType<typeof modelToJSON> | null = null;
    // a checkpoint taken after the first batch of 3 rows, mid-epoch
    await m.fit(x, Tensor.from([0, 1, 2, 1]), {
      epochs: 1,
      batchSize: 3,
      onBatchEnd: () => {
        doc ??= JSON.parse(JSON.stringify(modelToJSON(m, m.trainingState())));
      },
    });
    if (doc === null) throw new Error("no checkpoint taken");
    const saved = (doc as { training: { metrics: Record<string, number[]> } }).training.metrics;
    expect(saved.f1?.[0]).toBe(3); // K, then the 9 counts of the 3 rows seen
    expect(saved.f1?.slice(1).reduce((a, b) => a + b, 0)).toBe(3);
    expect(modelFromJSON(structuredClone(doc)).training?.metrics).toEqual(saved);
    (doc as { training: { metrics: Record<string, number[]> } }).training.metrics.f1 = [2, 1, 0, 0];
    expect(() => modelFromJSON(doc)).toThrow(
      "training.metrics.f1: expected [K, then K×K counts] (integers >= 0, K <= 1000), got 4 numbers",
    );
    const r = new RegressionMetric("r2");
    r.update(Tensor.from([[1], [2]]), Tensor.from([[1.5], [2.5]]));
    const back = new RegressionMetric("r2");
    back.setState(r.getState());
    expect(back.result()).toBe(r.result());
    expect(() => back.setState([1, 2, 0.5, -1, 0, 0])).toThrow(/r2\.setState: expected \[outputs, count/);
  });
});

describe("confusionMatrix from a model", () => {
  it("confusionMatrix(model, x, y) is confusionMatrix(model.predict(x), y, K)", () => {
    const m = new Sequential({ inputShape: [2], seed: 5, layers: [new Dense({ units: 3 })] });
    const x = Tensor.from([
      [1, 0],
      [0, 1],
      [1, 1],
      [0, -1],
      [2, 1],
    ]);
    const y = Tensor.from([0, 1, 2, 1, 0]);
    const want = [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ];
    for (const [i, k] of Array.from(m.predict(x).argMax()).entries()) {
      const row = want[y.data[i] as number] as number[];
      row[k] = (row[k] as number) + 1;
    }
    expect(confusionMatrix(m, x, y)).toEqual(want);
    expect(confusionMatrix(m, x, y.data)).toEqual(want);
  });
});

describe("the metrics' edges", () => {
  it("nothing seen is 0; a reset starts over; shapes that change or disagree are named", () => {
    const r = new RegressionMetric("mae");
    expect(r.result()).toBe(0);
    r.update(Tensor.from([[1], [3]]), Tensor.from([[2], [2]]));
    expect(r.result()).toBe(1);
    r.update(Tensor.zeros([0, 1]), Tensor.zeros([0, 1])); // an empty batch changes nothing
    expect(r.result()).toBe(1);
    r.reset();
    expect(r.result()).toBe(0);
    expect(r.getState()).toEqual([0, 0]);
    r.update(Tensor.from([[1, 2]]), Tensor.from([[1, 2]]));
    expect(() => r.update(Tensor.from([[1]]), Tensor.from([[1]]))).toThrow(
      new ShapeError("mae: 1 outputs per sample after 2"),
    );
    expect(() => r.update(Tensor.from([[1, 2]]), Tensor.from([[1]]))).toThrow(
      new ShapeError("mae: predictions (1×2) and targets (1×1) differ in size"),
    );
    const f = new MacroClassMetric("recall");
    expect(f.result()).toBe(0);
    f.update(Tensor.from([[0.9, 0.1]]), Tensor.from([0]));
    expect(() => f.update(Tensor.from([[0.9, 0.1, 0]]), Tensor.from([0]))).toThrow(
      new ShapeError("recall: 3 classes after 2"),
    );
    expect(() => f.update(new Tensor(new Float32Array(1001), [1, 1001]), Tensor.from([0]))).toThrow(
      "recall: 1001 classes; the running confusion matrix keeps at most 1000",
    );
    f.reset();
    expect(f.getState()).toEqual([0]);
    f.update(Tensor.zeros([0, 2]), Tensor.zeros([0]));
    expect(f.getState()).toEqual([0]);
  });

  it("setState refuses states that cannot be, naming each metric", () => {
    const bad: [Metric, number[]][] = [
      [new RegressionMetric("rmse"), [1, 1, 0, 0, 0]], // one number short
      [new RegressionMetric("rmse"), [1, 0, 0, 0, 0, 0]], // a count of 0 with an output
      [new RegressionMetric("rmse"), [0, 1]], // samples without outputs
      [new RegressionMetric("rmse"), [1.5, 1, 0, 0, 0, 0]],
      [new RegressionMetric("rmse"), [1, 1, -1, 0, 0, 0]], // a negative Σ|e|
      [new RegressionMetric("rmse"), [1, 1, 0, Number.NaN, 0, 0]],
      [new MacroClassMetric("f1"), [2, 1, 0, 0]],
      [new MacroClassMetric("f1"), [1, 0.5]],
      [new MacroClassMetric("f1"), [1, -1]],
      [new MacroClassMetric("f1"), [1001]],
    ];
    for (const [m, state] of bad) expect(() => m.setState?.(state), JSON.stringify(state)).toThrow(ValueError);
    // a negative mean is fine: it is the targets' mean
    const ok = new RegressionMetric("r2");
    ok.setState([1, 2, 0.5, 0.25, -3, 2]);
    expect(ok.result()).toBeCloseTo(1 - 0.25 / 2, 15);
  });
});
