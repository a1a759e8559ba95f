/** The training toolkit: normalization layers, regularizers, constraints, schedules, callbacks, metrics, committees. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Adam,
  BatchNormalization,
  type BuildContext,
  Committee,
  CosineDecay,
  classificationReport,
  Dense,
  deserialize,
  EarlyStopping,
  ExponentialDecay,
  gradCheck,
  jsBackend,
  LayerNormalization,
  type LearningRateSchedule,
  OneCycle,
  type Param,
  ReduceLROnPlateau,
  Rng,
  Sequential,
  SGD,
  StepDecay,
  serialize,
  Tensor,
  TopKAccuracy,
} from "../src/index.js";
import { GRAD_TOL, RUNS, randomTensor } from "./helpers.js";

const build = <T extends { build: (s: number[], c: BuildContext) => unknown }>(l: T, D: number, seed = 1): T => {
  l.build([D], { dtype: "float64", rng: new Rng(seed), backend: jsBackend });
  return l;
};

/** Random γ and β so the checks do not sit at γ = 1, β = 0. */
function randomize(params: Param[], seed: number): void {
  const rng = new Rng(seed);
  for (const p of params)
    if (p.trainable !== false) for (let i = 0; i < p.value.size; i++) p.value.data[i] = rng.uniformRange(-1.5, 1.5);
}

describe("normalization layers: gradients (float64, finite differences)", () => {
  it("BatchNormalization in train mode, through the batch statistics", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (B, D, seed) => {
        const bn = build(new BatchNormalization({ name: "bn" }), D, seed);
        randomize(bn.params(), seed);
        const x = randomTensor([B, D], seed + 1, -2, 2);
        const report = gradCheck(bn, { input: x, seed, mode: "train", ...GRAD_TOL });
        expect(report.ok).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("BatchNormalization in eval mode", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (B, D, seed) => {
        const bn = build(new BatchNormalization({ name: "bn" }), D, seed);
        randomize(bn.params(), seed);
        expect(
          gradCheck(bn, { input: randomTensor([B, D], seed + 1, -2, 2), seed, mode: "eval", ...GRAD_TOL }).ok,
        ).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("LayerNormalization", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 6 }), fc.integer(), (B, D, seed) => {
        const ln = build(new LayerNormalization({ name: "ln" }), D, seed);
        randomize(ln.params(), seed);
        expect(gradCheck(ln, { input: randomTensor([B, D], seed + 1, -2, 2), seed, ...GRAD_TOL }).ok).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("L1 and L2 kernel regularizers (away from W = 0, the kink of |W|)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer(),
        (B, I, O, l1, l2, seed) => {
          const d = build(
            new Dense({ units: O, name: "d", activation: "tanh", kernelRegularizer: { l1, l2 } }),
            I,
            seed,
          );
          const w = d.kernel?.value.data as Float64Array;
          fc.pre(w.every((v) => Math.abs(v) > 1e-3));
          expect(gradCheck(d, { input: randomTensor([B, I], seed + 1), seed, ...GRAD_TOL }).ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("normalization layers: values", () => {
  it("BatchNormalization eval mode uses the running statistics", () => {
    const bn = build(new BatchNormalization({ momentum: 0.9, epsilon: 1e-3 }), 2);
    const x = Tensor.from(
      [
        [1, 10],
        [3, 20],
      ],
      { dtype: "float64" },
    );
    bn.forward(x, "train");
    // batch mean (2, 15), biased variance (1, 25): running = 0.9·(0, 1) + (1 − 0.9)·batch
    const rm = [0.9 * 0 + (1 - 0.9) * 2, 0.9 * 0 + (1 - 0.9) * 15];
    const rv = [0.9 * 1 + (1 - 0.9) * 1, 0.9 * 1 + (1 - 0.9) * 25];
    expect(Array.from(bn.movingMean?.value.data ?? [])).toEqual(rm);
    expect(Array.from(bn.movingVariance?.value.data ?? [])).toEqual(rv);
    const y = bn.forward(Tensor.from([[1, 1]], { dtype: "float64" }), "eval");
    expect(y.data[0]).toBeCloseTo((1 - (rm[0] as number)) / Math.sqrt((rv[0] as number) + 1e-3), 14);
    expect(y.data[1]).toBeCloseTo((1 - (rm[1] as number)) / Math.sqrt((rv[1] as number) + 1e-3), 14);
    // train mode normalizes with the batch: each column has mean 0, variance 1/(1 + ε/σ²)
    const yt = bn.forward(x, "train");
    expect((yt.data[0] as number) + (yt.data[2] as number)).toBeCloseTo(0, 14);
    expect(yt.data[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-3), 14);
  });

  it("running statistics are not trained and survive save/load", () => {
    const m = new Sequential({ inputShape: [3], seed: 2 });
    m.add(new Dense({ units: 4 }));
    m.add(new BatchNormalization());
    m.add(new LayerNormalization());
    m.add(new Dense({ units: 2, kernelRegularizer: { l2: 0.01 }, kernelConstraint: { maxNorm: 2 } }));
    m.compile({
      optimizer: new SGD({ lr: new CosineDecay({ lr: 0.1, decaySteps: 10, warmupSteps: 2 }) }),
      loss: "sparseCategoricalCrossEntropy",
    });
    const x = randomTensor([8, 3], 1, -1, 1, "float32");
    const y = Tensor.from([0, 1, 0, 1, 1, 0, 1, 0]);
    for (let i = 0; i < 3; i++) m.trainOnBatch(x, y);
    const copy = deserialize(serialize(m)).model;
    expect(Array.from(copy.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    expect(copy.optimizer?.lr).toBe(m.optimizer?.lr); // the schedule and its clock came along
    expect(copy.trainOnBatch(x, y)).toBe(m.trainOnBatch(x, y));
  });
});

describe("regularization and constraints", () => {
  it("the reported loss includes l1·Σ|W| + l2·ΣW²", () => {
    const make = (reg: boolean) => {
      const m = new Sequential({ inputShape: [2], seed: 3, dtype: "float64" });
      m.add(new Dense({ units: 2, ...(reg ? { kernelRegularizer: { l1: 0.1, l2: 0.2 } } : {}) }));
      m.compile({ optimizer: new SGD({ lr: 0 }), loss: "meanSquaredError" });
      return m;
    };
    const x = Tensor.from([[1, 2]], { dtype: "float64" });
    const y = Tensor.from([[0, 1]], { dtype: "float64" });
    const a = make(false);
    const b = make(true);
    const w = Array.from(b.params()[0]?.value.data ?? []);
    const penalty = 0.1 * w.reduce((s, v) => s + Math.abs(v), 0) + 0.2 * w.reduce((s, v) => s + v * v, 0);
    expect(b.trainOnBatch(x, y)).toBeCloseTo(a.trainOnBatch(x, y) + penalty, 14);
  });

  it("max-norm keeps every unit's incoming weights within c, leaving short columns alone", () => {
    const m = new Sequential({ inputShape: [4], seed: 1, dtype: "float64" });
    const d = new Dense({ units: 3, kernelConstraint: { maxNorm: 0.5 } });
    m.add(d);
    m.compile({ optimizer: new SGD({ lr: 1 }), loss: "meanSquaredError" });
    const W = d.kernel?.value.data as Float64Array;
    W.set([0.1, 3, 0, 0.1, 0, 0, 0.1, 0, 0, 0.1, 0, 0]); // column norms 0.2, 3, 0
    d.applyConstraints();
    expect([W[0], W[3], W[6], W[9]]).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(W[1]).toBeCloseTo(0.5, 15);
    // after real steps too
    const x = randomTensor([16, 4], 2);
    const y = randomTensor([16, 3], 3, -10, 10);
    for (let i = 0; i < 5; i++) m.trainOnBatch(x, y);
    for (let j = 0; j < 3; j++) {
      const norm = Math.hypot(...[0, 1, 2, 3].map((i) => W[i * 3 + j] as number));
      expect(norm).toBeLessThanOrEqual(0.5 + 1e-12);
    }
  });
});

describe("learning-rate schedules", () => {
  it("a rate of 0 stays 0 where the decay factor overflows (0 · ∞ would be NaN)", () => {
    const big = Number.MAX_VALUE; // γ² = ∞
    expect([0, 1, 2, 5].map((t) => new StepDecay({ lr: 0, stepSize: 1, gamma: big }).rateAt(t))).toEqual([0, 0, 0, 0]);
    expect(new ExponentialDecay({ lr: 0, decayRate: big, decaySteps: 1 }).rateAt(3)).toBe(0);
    // a positive rate that overflows is still Infinity, which the optimizer refuses by name
    expect(new StepDecay({ lr: 1, stepSize: 1, gamma: big }).rateAt(2)).toBe(Number.POSITIVE_INFINITY);
  });

  it("values at chosen steps, worked out by hand", () => {
    const step = new StepDecay({ lr: 0.1, stepSize: 1000, gamma: 0.5 });
    expect([step.rateAt(0), step.rateAt(999), step.rateAt(1000), step.rateAt(2500)]).toEqual([0.1, 0.1, 0.05, 0.025]);
    const exp = new ExponentialDecay({ lr: 0.1, decayRate: 0.5, decaySteps: 100 });
    expect(exp.rateAt(200)).toBeCloseTo(0.025, 16);
    expect(exp.rateAt(50)).toBeCloseTo(0.1 * Math.SQRT1_2, 16);
    expect(new ExponentialDecay({ lr: 0.1, decayRate: 0.5, decaySteps: 100, staircase: true }).rateAt(150)).toBe(0.05);
    const cos = new CosineDecay({ lr: 0.1, decaySteps: 1000, warmupSteps: 100, alpha: 0 });
    expect(cos.rateAt(0)).toBeCloseTo(0.001, 16); // (0 + 1)/100 of the peak
    expect(cos.rateAt(99)).toBeCloseTo(0.1, 16); // end of warm-up
    expect(cos.rateAt(100)).toBeCloseTo(0.1, 16); // cos(0) = 1
    expect(cos.rateAt(600)).toBeCloseTo(0.05, 16); // cos(π/2) = 0 → half
    expect(cos.rateAt(1100)).toBeCloseTo(0, 16);
    expect(cos.rateAt(5000)).toBeCloseTo(0, 16);
    const one = new OneCycle({ maxLr: 0.1, totalSteps: 1000 });
    expect(one.rateAt(0)).toBeCloseTo(0.004, 16); // maxLr / 25
    expect(one.rateAt(299)).toBeCloseTo(0.1, 16); // top at pctStart·total − 1
    expect(one.rateAt(999)).toBeCloseTo(4e-7, 18); // 0.004 / 1e4
    expect(one.rateAt(649)).toBeCloseTo(4e-7 + (0.1 - 4e-7) / 2, 12); // half-way down: cos(π/2)
  });

  it("an optimizer follows its schedule step by step", () => {
    const p: Param = {
      name: "p",
      value: Tensor.zeros([1], "float64"),
      grad: Tensor.from([1], { dtype: "float64" }),
      decay: false,
    };
    const opt = new SGD({ lr: new StepDecay({ lr: 1, stepSize: 2, gamma: 0.1 }) });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(opt.lr);
      opt.step([p]);
    }
    expect(seen.map((v) => Number(v.toPrecision(12)))).toEqual([1, 1, 0.1, 0.1, 0.01]);
    expect(p.value.data[0]).toBeCloseTo(-(1 + 1 + 0.1 + 0.1 + 0.01), 12);
  });

  it("a schedule that yields a negative or NaN rate stops the step with an error", () => {
    const p: Param = {
      name: "p",
      value: Tensor.zeros([1], "float64"),
      grad: Tensor.zeros([1], "float64"),
      decay: false,
    };
    for (const bad of [-0.1, Number.NaN]) {
      const sched: LearningRateSchedule = {
        name: "constant",
        rateAt: (s) => (s < 2 ? 0.1 : bad),
        toConfig: () => ({ name: "constant" }),
      };
      const opt = new Adam({ lr: sched });
      opt.step([p]);
      opt.step([p]);
      expect(() => opt.step([p])).toThrow(new RegExp(`schedule 'constant' gave lr ${bad} at step 2`));
    }
    expect(() => new StepDecay({ lr: 0.1, stepSize: 0 })).toThrow(/stepSize must be an integer >= 1/);
    expect(() => new OneCycle({ maxLr: 0.1, totalSteps: 100, pctStart: 1 })).toThrow(
      /pctStart must be a finite number in \(0, 1\)/,
    );
  });
});

describe("callbacks", () => {
  const toy = () => {
    const rng = new Rng(4);
    const x = Tensor.zeros([120, 3]);
    const y = new Uint8Array(120);
    for (let i = 0; i < 120; i++) {
      y[i] = i % 3;
      for (let j = 0; j < 3; j++) x.data[i * 3 + j] = (j === y[i] ? 1.5 : 0) + rng.normal(0, 0.8);
    }
    const m = new Sequential({ inputShape: [3], seed: 7 });
    m.add(new Dense({ units: 32, activation: "relu" }));
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new Adam({ lr: 0.05 }), loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy"] });
    return { m, x, y };
  };

  it("EarlyStopping with restoreBestWeights restores exactly the best epoch's weights", async () => {
    const { m, x, y } = toy();
    const snapshots: Float32Array[][] = [];
    const es = new EarlyStopping({ monitor: "val_loss", patience: 3, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 60,
      batchSize: 8,
      validationSplit: 0.5,
      callbacks: [
        { onEpochEnd: () => void snapshots.push(m.params().map((p) => Float32Array.from(p.value.data))) },
        es,
      ],
    });
    const vl = h.history.val_loss as number[];
    const best = vl.indexOf(Math.min(...vl));
    expect(es.bestEpoch).toBe(best);
    expect(es.stoppedEpoch).toBe(vl.length - 1); // it did stop early (overfitting sets in)
    expect(vl.length).toBeLessThan(60);
    expect(m.params().map((p) => Array.from(p.value.data))).toEqual(snapshots[best]?.map((a) => Array.from(a)));
  });

  it("ReduceLROnPlateau divides the rate after `patience` flat epochs", () => {
    const { m } = toy();
    const cb = new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2, minDelta: 0 });
    cb.setModel(m);
    const lrs: number[] = [];
    for (const v of [1.0, 0.9, 0.95, 0.92, 0.91, 0.95, 0.97]) {
      cb.onEpochEnd(0, { val_loss: v });
      lrs.push(m.optimizer?.lr as number);
    }
    // best 0.9 at epoch 2; epochs 3, 4 flat → halve; 5 better than 0.9? no (0.91) → wait 1; 6, 7 → halve again
    expect(lrs).toEqual([0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]);
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/factor must be a finite number in \(0, 1\), got 1/);
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(/patience must be an integer >= 0/);
  });
});

describe("metrics and committees", () => {
  it("top-k accuracy by hand", () => {
    const m = new TopKAccuracy(2);
    m.update(
      Tensor.from([
        [0.1, 0.5, 0.4],
        [0.7, 0.2, 0.1],
        [0.2, 0.3, 0.5],
      ]),
      Tensor.from([2, 1, 0]),
    );
    // row 0: label 2 is second → in; row 1: label 1 second → in; row 2: label 0 is last → out
    expect(m.result()).toBeCloseTo(2 / 3, 15);
  });

  it("precision, recall and F1 by hand", () => {
    // true 0 0 1 1 1 2, predicted 0 1 1 1 2 2
    const r = classificationReport([0, 1, 1, 1, 2, 2], [0, 0, 1, 1, 1, 2], 3);
    expect(r.precision).toEqual([1, 2 / 3, 1 / 2]);
    expect(r.recall).toEqual([1 / 2, 2 / 3, 1]);
    expect(r.f1[0]).toBeCloseTo(2 / 3, 15);
    expect(r.support).toEqual([2, 3, 1]);
    expect(r.accuracy).toBeCloseTo(4 / 6, 15);
  });

  it("a committee averages its members' probabilities", () => {
    const make = (seed: number) => {
      const m = new Sequential({ inputShape: [3], seed, dtype: "float64" });
      m.add(new Dense({ units: 4 }));
      m.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
      return m;
    };
    const a = make(1);
    const b = make(2);
    const x = randomTensor([5, 3], 9);
    const c = new Committee([a, b], { weights: [1, 3] });
    const pa = a.predictProba(x).data;
    const pb = b.predictProba(x).data;
    const pc = c.predict(x).data;
    for (let i = 0; i < pc.length; i++)
      expect(pc[i]).toBeCloseTo(0.25 * (pa[i] as number) + 0.75 * (pb[i] as number), 15);
    // accuracy: the averaged probabilities' argmax against the labels, counted here
    const labels = [0, 1, 2, 3, 0];
    let hits = 0;
    labels.forEach((label, r) => {
      const row = Array.from(pc.subarray(r * 4, r * 4 + 4));
      if (row.indexOf(Math.max(...row)) === label) hits++;
    });
    expect(c.evaluate(x, labels).accuracy).toBe(hits / labels.length);
    expect(() => new Committee([])).toThrow(/at least one/);
  });
});
