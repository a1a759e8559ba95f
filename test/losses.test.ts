/**
 * Each loss's every numeric branch on inputs whose answer is worked out here
 * from the definition: the probability (not logits) paths, the 1e-7
 * probability clip and its zero gradient outside it, Huber with δ ≠ 1, soft
 * targets over several rows, the output links, the config round trip through
 * a saved model, and the shape errors. (values.test.ts has the logits paths'
 * closed forms: uniform logits → log K, ±1000 logits.)
 */
import { describe, expect, it } from "vitest";
import {
  applyOutputLink,
  BinaryCrossEntropy,
  CategoricalCrossEntropy,
  Dense,
  deserialize,
  getLoss,
  Huber,
  type Loss,
  logSumExp,
  MeanAbsoluteError,
  MeanSquaredError,
  Sequential,
  SGD,
  ShapeError,
  SparseCategoricalCrossEntropy,
  serialize,
  Tensor,
  ValueError,
} from "../src/index.js";

const T = (rows: number[][]) => Tensor.from(rows, { dtype: "float64" });
const EPS = 1e-7; // the documented probability clip

/** The loss and its gradient, as plain arrays. */
function run(loss: Loss, pred: Tensor, target: Tensor): { value: number; grad: number[] } {
  const grad = new Float64Array(pred.size).fill(Number.NaN); // every element must be written
  const value = loss.compute(pred, target, grad);
  return { value, grad: Array.from(grad) };
}

function expectClose(got: number[], want: number[], digits = 14): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    expect(g, `element ${i}`).toBeCloseTo(want[i] as number, digits);
  });
}

describe("losses, every branch by hand", () => {
  it("MAE: sign(e)/n, and exactly 0 where p = t", () => {
    const { value, grad } = run(new MeanAbsoluteError(), T([[1, 2, 3]]), T([[0.5, 2, 4]]));
    expect(value).toBeCloseTo((0.5 + 0 + 1) / 3, 15);
    expect(grad).toEqual([1 / 3, 0, -1 / 3]);
  });

  it("MSE: 2e/n", () => {
    const { value, grad } = run(new MeanSquaredError(), T([[1, -1]]), T([[0.5, 1]]));
    expect(value).toBeCloseTo((0.25 + 4) / 2, 15);
    expectClose(grad, [(2 * 0.5) / 2, (2 * -2) / 2]);
  });

  it("Huber with δ = 0.5: quadratic inside, linear outside, the gradient clipped at ±δ", () => {
    const d = 0.5;
    const e = [0.2, -1.5, 3, -0.5];
    const { value, grad } = run(new Huber({ delta: d }), T([e]), T([[0, 0, 0, 0]]));
    const per = e.map((x) => (Math.abs(x) <= d ? 0.5 * x * x : d * (Math.abs(x) - 0.5 * d)));
    expectClose(per, [0.5 * 0.04, 0.5 * 1.25, 0.5 * 2.75, 0.125], 15);
    expect(value).toBeCloseTo(per.reduce((a, b) => a + b) / 4, 15);
    expectClose(grad, [0.2 / 4, -d / 4, d / 4, -0.5 / 4]);
    // δ changes the value: with the default δ = 1 the -1.5 and 3 elements are 1.0 and 2.5
    expect(run(new Huber(), T([e]), T([[0, 0, 0, 0]])).value).toBeCloseTo((0.02 + 1 + 2.5 + 0.125) / 4, 15);
  });

  it("binary cross-entropy on probabilities, inside the clip and outside it", () => {
    const p = [0.8, 0.3, 0, 1];
    const t = [1, 0.25, 0, 1];
    const { value, grad } = run(new BinaryCrossEntropy(), T([p]), T([t]));
    // p = 0 and p = 1 are clipped to 1e-7 and 1 − 1e-7: finite loss, zero gradient (the clip is flat)
    const q = p.map((x) => Math.min(Math.max(x, EPS), 1 - EPS));
    const per = q.map((x, i) => -((t[i] as number) * Math.log(x) + (1 - (t[i] as number)) * Math.log(1 - x)));
    expect(value).toBeCloseTo(per.reduce((a, b) => a + b) / 4, 14);
    expectClose(grad, [-1 / 0.8 / 4, (-0.25 / 0.3 + 0.75 / 0.7) / 4, 0, 0]);
    // a confident wrong prediction: −log(1e-7), not Infinity
    expect(run(new BinaryCrossEntropy(), T([[0]]), T([[1]])).value).toBeCloseTo(-Math.log(EPS), 12);
    expect(run(new BinaryCrossEntropy(), T([[1]]), T([[0]])).value).toBeCloseTo(-Math.log(EPS), 6);
  });

  it("binary cross-entropy on logits: softplus form and σ(x) − t", () => {
    const x = [2, -3];
    const t = [1, 0.5];
    const { value, grad } = run(new BinaryCrossEntropy({ fromLogits: true }), T([x]), T([t]));
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const per = x.map((v, i) => -((t[i] as number) * Math.log(s(v)) + (1 - (t[i] as number)) * Math.log(1 - s(v))));
    expect(value).toBeCloseTo((per[0]! + per[1]!) / 2, 14);
    expectClose(grad, [(s(2) - 1) / 2, (s(-3) - 0.5) / 2]);
  });

  it("categorical cross-entropy on probabilities: soft targets over two rows, clip at 1e-7", () => {
    const p = [
      [0.2, 0.5, 0.3],
      [0.1, 0, 0.9],
    ];
    const t = [
      [0, 1, 0],
      [0.25, 0, 0.75],
    ];
    const { value, grad } = run(new CategoricalCrossEntropy(), T(p), T(t));
    expect(value).toBeCloseTo((-Math.log(0.5) - (0.25 * Math.log(0.1) + 0.75 * Math.log(0.9))) / 2, 14);
    // −t/p over B = 2; the clipped 0 gets no gradient
    expectClose(grad, [0, -1 / 0.5 / 2, 0, -0.25 / 0.1 / 2, 0, -0.75 / 0.9 / 2]);
  });

  it("categorical cross-entropy on probabilities: a certain 1 is clipped to 1 − 1e-7, with no gradient", () => {
    // q = min(max(p, 1e-7), 1 − 1e-7): p = 1 gives q = fl(1 − 1e-7), so the loss is
    // −log q = −log1p(q − 1), where q − 1 is exact (Sterbenz): about 1e-7, to a
    // few ulps of it (1.3e-23 each). The clip's derivative is 0 there as at
    // p = 0 (a target of 1 on p = 0 costs −log(1e-7), with no gradient).
    const { value, grad } = run(new CategoricalCrossEntropy(), T([[1, 0]]), T([[1, 0]]));
    expect(Math.abs(value + Math.log1p(1 - 1e-7 - 1))).toBeLessThan(1e-22);
    expect(Array.from(grad)).toEqual([0, 0]);
    const miss = run(new CategoricalCrossEntropy(), T([[0, 1]]), T([[1, 0]]));
    expect(miss.value).toBeCloseTo(-Math.log(1e-7), 14);
    expect(Array.from(miss.grad)).toEqual([0, 0]);
  });

  it("categorical cross-entropy on logits with soft targets: softmax·Σt − t, per row", () => {
    const x = [
      [1, 2, 3],
      [0, -1, 4],
    ];
    const t = [
      [0.5, 0.5, 0],
      [0, 0.2, 0.6], // sums to 0.8: the gradient scales softmax by Σt
    ];
    const { value, grad } = run(new CategoricalCrossEntropy({ fromLogits: true }), T(x), T(t));
    const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    const rowLoss = (r: number[], tr: number[]) => -tr.reduce((a, tj, j) => a + tj * ((r[j] as number) - lse(r)), 0);
    expect(value).toBeCloseTo((rowLoss(x[0]!, t[0]!) + rowLoss(x[1]!, t[1]!)) / 2, 14);
    const g = x.flatMap((r, i) => {
      const tsum = t[i]!.reduce((a, b) => a + b);
      return r.map((v, j) => (Math.exp(v - lse(r)) * tsum - (t[i]![j] as number)) / 2);
    });
    expectClose(grad, g);
  });

  it("sparse cross-entropy on probabilities: −log p_label, −1/(B·p) at the label only, clip at 1e-7", () => {
    const loss = new SparseCategoricalCrossEntropy({ fromLogits: false });
    const p = T([
      [0.2, 0.5, 0.3],
      [0, 0.4, 0.6],
      [0, 1, 0],
    ]);
    const { value, grad } = run(loss, p, Tensor.from([1, 0, 1], { dtype: "float64" }));
    // row 2's label has p = 0 → clipped to 1e-7, zero gradient; row 3's p = 1 → 1 − 1e-7, zero gradient
    expect(value).toBeCloseTo((-Math.log(0.5) - Math.log(EPS) - Math.log(1 - EPS)) / 3, 12);
    expectClose(grad, [0, -1 / 3 / 0.5, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("sparse cross-entropy on logits by default, softmax − onehot", () => {
    const loss = new SparseCategoricalCrossEntropy();
    expect(loss.fromLogits).toBe(true);
    const x = [0.5, -1, 2];
    const { value, grad } = run(loss, T([x]), Tensor.from([2], { dtype: "float64" }));
    const z = x.reduce((a, v) => a + Math.exp(v), 0);
    expect(value).toBeCloseTo(Math.log(z) - 2, 14);
    expectClose(grad, [Math.exp(0.5) / z, Math.exp(-1) / z, Math.exp(2) / z - 1]);
  });

  it("labels must be integers in range, named with their row", () => {
    const loss = new SparseCategoricalCrossEntropy();
    for (const bad of [-1, 3, 1.5]) {
      expect(() => loss.compute(T([[0, 0, 0]]), Tensor.from([bad], { dtype: "float64" }))).toThrow(
        new RegExp(`label at row 0 is ${bad}; labels must be integers in \\[0, 2\\]`),
      );
    }
  });

  it("logSumExp is exact for all −∞ and for +∞ (no NaN from ∞ − ∞)", () => {
    const ninf = Number.NEGATIVE_INFINITY;
    expect(logSumExp(Float64Array.from([ninf, ninf]), 0, 2)).toBe(ninf);
    expect(logSumExp(Float64Array.from([Number.POSITIVE_INFINITY, 0]), 0, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(logSumExp(Float64Array.from([9, 0, 1, 2]), 1, 3)).toBeCloseTo(Math.log(1 + Math.E + Math.E ** 2), 14);
  });

  it("output links: softmax for logit cross-entropies, sigmoid for binary logits, none for probabilities", () => {
    const links = [
      [getLoss("meanSquaredError"), "none"],
      [getLoss({ name: "binaryCrossEntropy" }), "none"],
      [getLoss({ name: "binaryCrossEntropy", fromLogits: true }), "sigmoid"],
      [getLoss({ name: "categoricalCrossEntropy" }), "none"],
      [getLoss({ name: "categoricalCrossEntropy", fromLogits: true }), "softmax"],
      [getLoss("sparseCategoricalCrossEntropy"), "softmax"],
      [getLoss({ name: "sparseCategoricalCrossEntropy", fromLogits: false }), "none"],
    ] as const;
    for (const [loss, link] of links) expect(loss.outputLink, loss.name).toBe(link);
    expect(Array.from(applyOutputLink("sigmoid", T([[0, 2, -1]])).data)).toEqual([
      0.5,
      1 / (1 + Math.exp(-2)),
      1 / (1 + Math.exp(1)),
    ]);
    expect(Array.from(applyOutputLink("none", T([[0, 2]])).data)).toEqual([0, 2]);
    const sm = Array.from(applyOutputLink("softmax", T([[0, Math.log(3)]])).data);
    expectClose(sm, [0.25, 0.75], 15);
    // predictProba goes through the compiled loss's link
    const m = new Sequential({ inputShape: [2], dtype: "float64", seed: 1, layers: [new Dense({ units: 3 })] });
    m.compile({ optimizer: new SGD(), loss: { name: "binaryCrossEntropy", fromLogits: true } });
    const x = T([[0.5, -1]]);
    const logits = Array.from(m.predict(x).data);
    expectClose(
      Array.from(m.predictProba(x).data),
      logits.map((v) => 1 / (1 + Math.exp(-v))),
      15,
    );
    // an instance passes through getLoss unchanged
    const h = new Huber({ delta: 2 });
    expect(getLoss(h)).toBe(h);
  });

  it("every option survives a save and load (δ, fromLogits), and defaults are as documented", () => {
    const configs = [
      { name: "huber", delta: 0.3 },
      { name: "binaryCrossEntropy", fromLogits: true },
      { name: "categoricalCrossEntropy", fromLogits: true },
      { name: "sparseCategoricalCrossEntropy", fromLogits: false },
    ] as const;
    for (const cfg of configs) {
      const m = new Sequential({ inputShape: [2], layers: [new Dense({ units: 2 })] });
      m.compile({ optimizer: new SGD(), loss: cfg });
      const again = deserialize(serialize(m)).model;
      expect(again.loss?.toConfig()).toEqual(cfg);
    }
    expect(new Huber().delta).toBe(1);
    expect(new BinaryCrossEntropy().fromLogits).toBe(false);
    expect(new CategoricalCrossEntropy().fromLogits).toBe(false);
    expect(getLoss("meanAbsoluteError").toConfig()).toEqual({ name: "meanAbsoluteError" });
    expect(getLoss("meanSquaredError").toConfig()).toEqual({ name: "meanSquaredError" });
    expect(() => new Huber({ delta: 0 })).toThrow(/huber: delta must be a finite number > 0, got 0/);
    expect(() => getLoss({ name: "huber", delta: -1 })).toThrow(ValueError);
    expect(() => getLoss("hinge" as "huber")).toThrow(/unknown loss 'hinge'/);
    for (const name of ["binaryCrossEntropy", "categoricalCrossEntropy", "sparseCategoricalCrossEntropy"] as const) {
      expect(() => getLoss({ name, fromLogits: "yes" as unknown as boolean })).toThrow(
        new RegExp(`${name}: fromLogits must be true or false, got "yes"`),
      );
    }
    expect(() => getLoss(null as never)).toThrow(ValueError);
    expect(() => applyOutputLink("softmax", Tensor.from(1))).toThrow(/applyOutputLink: expected a batch, got a scalar/);
  });

  it("shape errors name the loss and both shapes", () => {
    const cases: [Loss, Tensor, Tensor, RegExp][] = [
      [
        new MeanSquaredError(),
        T([[1, 2, 3]]),
        T([[1, 2]]),
        /meanSquaredError: target shape \(1, 2\) does not match prediction shape \(1, 3\)/,
      ],
      [
        new MeanAbsoluteError(),
        T([[1, 2]]),
        T([[1], [2]]),
        /meanAbsoluteError: target shape \(2, 1\) does not match prediction shape \(1, 2\)/,
      ],
      [new Huber(), T([[1, 2]]), T([[1, 2, 3]]), /huber: target shape/],
      [new BinaryCrossEntropy(), T([[0.5]]), T([[1, 0]]), /binaryCrossEntropy: target shape/],
      [new CategoricalCrossEntropy(), T([[0.5, 0.5]]), T([[1, 0, 0]]), /categoricalCrossEntropy: target shape/],
      [
        new SparseCategoricalCrossEntropy(),
        T([[0.5, 0.5]]),
        Tensor.from([0, 1]),
        /sparseCategoricalCrossEntropy: expected 1 integer labels/,
      ],
      [new MeanSquaredError(), Tensor.from(3), Tensor.from(3), /meanSquaredError: expected a batch, got a scalar/],
    ];
    for (const [loss, p, t, msg] of cases) {
      expect(() => loss.compute(p, t)).toThrow(ShapeError);
      expect(() => loss.compute(p, t)).toThrow(msg);
    }
    // a rank-1 prediction is a batch of scalars, not an error
    expect(
      new MeanSquaredError().compute(
        Tensor.from([1, 2], { dtype: "float64" }),
        Tensor.from([1, 4], { dtype: "float64" }),
      ),
    ).toBe(2);
  });
});
