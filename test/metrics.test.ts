/**
 * The regression and macro classification metrics against scikit-learn's
 * definitions: expected values come from test/reference/metrics.py (sklearn's
 * own functions on fixed inputs), here computed in batches of every size,
 * through compile and evaluate, and through a checkpoint's saved state.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  classificationReport,
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
  TopKAccuracy,
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

describe("accuracy, top-k, the confusion matrix and the report, clause by clause", () => {
  it("metricFromName: top<k>Accuracy for k of 1 to 6 digits and nothing else", () => {
    expect(metricFromName("top3Accuracy", "none")?.name).toBe("top3Accuracy");
    expect(metricFromName("top123Accuracy", "none")?.name).toBe("top123Accuracy");
    expect(metricFromName("top999999Accuracy", "none")?.name).toBe("top999999Accuracy");
    for (const bad of [
      "top0Accuracy",
      "top1234567Accuracy",
      "xtop3Accuracy",
      "top3Accuracyx",
      "topAccuracy",
      "topxAccuracy",
    ])
      expect(metricFromName(bad, "none"), bad).toBeNull();
  });

  it("accuracy: ties go to the first class, 0.5 is not above the threshold, one-hot targets, nothing seen is 0", () => {
    const acc = () => metricFromName("accuracy", "none") as Metric;
    const a = acc();
    expect(a.result()).toBe(0);
    a.update(Tensor.from([[0.5, 0.5]]), Tensor.from([0])); // a tie: class 0
    expect(a.result()).toBe(1);
    const b = acc();
    b.update(Tensor.from([[0.5], [0.7]]), Tensor.from([[0], [1]])); // 0.5 is not > 0.5: class 0, right
    expect(b.result()).toBe(1);
    const c = acc();
    c.update(
      Tensor.from([
        [0.1, 0.7, 0.2],
        [0.6, 0.3, 0.1],
      ]),
      Tensor.from([
        [0, 1, 0],
        [0, 0, 1],
      ]),
    ); // one-hot
    expect(c.result()).toBe(0.5);
    expect(c.getState?.()).toEqual([1, 2]);
    for (const ok of [
      [0, 0],
      [2, 2],
    ])
      expect(() => acc().setState?.(ok)).not.toThrow();
    for (const bad of [
      [-1, 2],
      [0.5, 1],
      [2, 1],
      [1, 2, 3],
    ])
      expect(() => acc().setState?.(bad), JSON.stringify(bad)).toThrow(
        `accuracy.setState: expected [correct, total] with 0 <= correct <= total, got [${bad.join(", ")}]`,
      );
  });

  it("top-k: k is a positive integer; rows of several samples; one-hot targets; its running state", () => {
    expect(() => new TopKAccuracy(0)).toThrow(new ValueError("TopKAccuracy: k must be a positive integer, got 0"));
    expect(() => new TopKAccuracy(1.5)).toThrow(ValueError);
    const t1 = new TopKAccuracy(1);
    expect(t1.name).toBe("top1Accuracy");
    expect(t1.result()).toBe(0);
    const t = new TopKAccuracy(2);
    // row 0: label 2 has the 2nd highest score (in the top 2); row 1: label 0 has the lowest (not)
    t.update(
      Tensor.from([
        [0.5, 0.1, 0.4],
        [0.1, 0.5, 0.4],
      ]),
      Tensor.from([2, 0]),
    );
    expect(t.result()).toBe(0.5);
    t.update(Tensor.from([[0.2, 0.3, 0.5]]), Tensor.from([[0, 1, 0]])); // one-hot: label 1, 2nd highest
    expect(t.getState()).toEqual([2, 3]);
    const back = new TopKAccuracy(2);
    back.setState(t.getState());
    expect(back.result()).toBe(t.result());
    t.reset();
    expect(t.getState()).toEqual([0, 0]);
  });

  it("confusionMatrix refuses mismatched lengths and pairs outside the classes, naming them", () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(
      new ShapeError("confusionMatrix: 2 predictions but 1 labels"),
    );
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(
      "confusionMatrix: pair 1 (true 1, predicted 2) is outside [0, 1]",
    );
    expect(() => confusionMatrix([0], [2], 2)).toThrow(
      "confusionMatrix: pair 0 (true 2, predicted 0) is outside [0, 1]",
    );
    expect(() => confusionMatrix([-1], [0], 2)).toThrow(ValueError);
    expect(() => confusionMatrix([0], [0.5], 2)).toThrow(ValueError);
    expect(() => confusionMatrix([0.5], [0], 2)).toThrow(ValueError);
    expect(confusionMatrix([1, 1, 0], [1, 0, 0], 2)).toEqual([
      [1, 1],
      [0, 1],
    ]);
  });

  it("classificationReport: by hand, with a class never predicted and one never true", () => {
    // true 0 0 1 1 2 ; predicted 0 1 1 1 1: class 2 is never predicted, nothing is predicted 2
    const r = classificationReport([0, 1, 1, 1, 1], [0, 0, 1, 1, 2], 4);
    expect(r.precision).toEqual([1, 2 / 4, 0, 0]);
    expect(r.recall).toEqual([1 / 2, 1, 0, 0]);
    expect(r.f1[0]).toBeCloseTo((2 * 1 * 0.5) / 1.5, 15);
    expect(r.f1[1]).toBeCloseTo((2 * 0.5 * 1) / 1.5, 15);
    expect([r.f1[2], r.f1[3]]).toEqual([0, 0]);
    expect(r.support).toEqual([2, 2, 1, 0]);
    expect(r.accuracy).toBe(3 / 5);
    expect(r.macro.precision).toBeCloseTo(1.5 / 4, 15);
    expect(r.macro.recall).toBeCloseTo(1.5 / 4, 15);
    expect(r.macro.f1).toBeCloseTo((2 * (2 / 3)) / 4, 15);
    const empty = classificationReport([], [], 2);
    expect([empty.accuracy, empty.macro.f1]).toEqual([0, 0]);
  });

  it("macro metrics: a class that occurs but is never predicted scores 0 (not NaN); binary ties; labels checked", () => {
    const rec = new MacroClassMetric("precision");
    rec.update(
      Tensor.from([
        [0.9, 0.1],
        [0.8, 0.2],
      ]),
      Tensor.from([0, 1]),
    ); // class 1 never predicted
    expect(rec.result()).toBe((0.5 + 0) / 2);
    const bin = new MacroClassMetric("recall");
    bin.update(Tensor.from([[0.5], [0.9]]), Tensor.from([[0], [1]])); // 0.5 is class 0
    expect(bin.result()).toBe(1);
    const tie = new MacroClassMetric("f1");
    tie.update(Tensor.from([[0.5, 0.5]]), Tensor.from([0])); // a tie: class 0
    expect(tie.result()).toBe(1);
    expect(() => new MacroClassMetric("f1").update(Tensor.from([[0.9, 0.1]]), Tensor.from([-1]))).toThrow(
      "f1: label -1 of row 0 is outside [0, 1]",
    );
    expect(() => new MacroClassMetric("f1").update(Tensor.from([[0.9, 0.1]]), Tensor.from([0.5]))).toThrow(
      "f1: label 0.5 of row 0 is outside [0, 1]",
    );
    // a running state round-trips; K = 0, 1,000 classes and counts up to 2⁵³ − 1 are all states
    const back = new MacroClassMetric("precision");
    back.setState(rec.getState());
    expect(back.result()).toBe(rec.result());
    for (const ok of [[0], [1, Number.MAX_SAFE_INTEGER]])
      expect(() => new MacroClassMetric("f1").setState(ok)).not.toThrow();
    const big = new MacroClassMetric("f1");
    big.setState([1000, ...new Array(1_000_000).fill(0)]);
    big.update(new Tensor(new Float32Array(1000), [1, 1000]), Tensor.from([0]));
    expect(big.result()).toBe(1);
  });

  it("regression states: the reset state, two outputs, zero sums and a mean of any sign are states; a NaN mean is not", () => {
    for (const ok of [
      [0, 0],
      [1, 1, 0, 0, 0, 0],
      [2, 3, 1, 1, -5, 2, 0, 0, 7, 0],
    ])
      expect(() => new RegressionMetric("mse").setState(ok), JSON.stringify(ok)).not.toThrow();
    expect(() => new RegressionMetric("mse").setState([1, 1, 0, 0, Number.NaN, 0])).toThrow(ValueError);
    expect(() => new RegressionMetric("mse").setState([0.5, 1, 0, 0, 0, 0])).toThrow(ValueError);
    expect(() => new RegressionMetric("mse").setState([1, 0.5, 0, 0, 0, 0])).toThrow(ValueError);
    const two = new RegressionMetric("mae");
    two.setState([2, 3, 1, 1, -5, 2, 0, 0, 7, 0]);
    expect(two.result()).toBeCloseTo((1 / 3 + 0) / 2, 15);
  });
});
