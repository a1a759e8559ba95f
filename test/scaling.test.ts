/**
 * The Normalization layer: adapt's statistics against the two-pass
 * definition, in chunks or whole; a constant feature (documented: divided by
 * 1, never NaN); the inverse; the gradient against finite differences; the
 * statistics saved and loaded with the model and refused when absent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Dense,
  deserialize,
  gradCheck,
  jsBackend,
  Normalization,
  OptionError,
  Rng,
  Sequential,
  SGD,
  ShapeError,
  serialize,
  Tensor,
  TensorSource,
  ValueError,
} from "../src/index.js";
import { GRAD_TOL, RUNS, randomTensor } from "./helpers.js";

/** Mean and population variance of each column, two passes in float64. */
function twoPass(x: Tensor): { mean: number[]; variance: number[] } {
  const N = x.shape[0] as number;
  const D = x.size / N;
  const mean = Array.from({ length: D }, (_, j) => {
    let s = 0;
    for (let r = 0; r < N; r++) s += x.data[r * D + j] as number;
    return s / N;
  });
  const variance = mean.map((m, j) => {
    let s = 0;
    for (let r = 0; r < N; r++) s += ((x.data[r * D + j] as number) - m) ** 2;
    return s / N;
  });
  return { mean, variance };
}

describe("Normalization", () => {
  it("adapt: each feature's mean and population variance, over several chunks of a source as over a tensor", () => {
    // 10,000 rows: three of adapt's 4,096-row chunks. Columns of different scales and offsets.
    const N = 10_000;
    const x = randomTensor([N, 3], 7, -1, 1, "float64");
    for (let r = 0; r < N; r++) {
      x.data[r * 3 + 1] = 1e5 + 300 * (x.data[r * 3 + 1] as number);
      x.data[r * 3 + 2] = 0.001 * (x.data[r * 3 + 2] as number);
    }
    const want = twoPass(x);
    const got = new Normalization().adapt(new TensorSource(x)).statistics();
    // Welford's update and the two-pass sums differ by rounding: ≲ N·ε relative (N·ε ≈ 2e-12)
    for (let j = 0; j < 3; j++) {
      expect(Math.abs((got.mean[j] as number) - (want.mean[j] as number))).toBeLessThanOrEqual(
        2e-12 * Math.abs(want.mean[j] as number) + 1e-18,
      );
      expect(Math.abs((got.variance[j] as number) - (want.variance[j] as number))).toBeLessThanOrEqual(
        2e-12 * (want.variance[j] as number),
      );
    }
    expect(new Normalization().adapt(x).statistics()).toEqual(got);
  });

  it("a constant feature gets variance 0 and is divided by 1: centred to 0, never NaN", () => {
    // 0.1 is not a double: its float64 two-pass variance is ~1e-34, within rounding of 0
    const x = Tensor.from(
      [
        [0.1, 1],
        [0.1, 2],
        [0.1, 4],
      ],
      { dtype: "float64" },
    );
    const norm = new Normalization().adapt(x);
    expect(norm.statistics().variance[0]).toBe(0);
    const y = norm.apply(
      Tensor.from(
        [
          [0.1, 1],
          [0.35, 2],
        ],
        { dtype: "float64" },
      ),
    );
    expect(y.data[0]).toBe(0);
    expect(y.data[2]).toBe(0.35 - 0.1); // (x − m)/1
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
  });

  it("forward is (x − m)/s and invert x·s + m; inverse() undoes apply()", () => {
    const norm = new Normalization({ mean: [1, -2], variance: [4, 0.25] });
    const x = Tensor.from(
      [
        [3, -2],
        [1, -1.5],
      ],
      { dtype: "float64" },
    );
    expect(Array.from(norm.apply(x).data)).toEqual([1, 0, 0, 1]);
    const back = norm.inverse();
    expect(back.invert).toBe(true);
    expect(Array.from(back.apply(norm.apply(x)).data)).toEqual(Array.from(x.data));
  });

  it("gradient matches finite differences, both directions (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.integer(),
        (B, D, invert, seed) => {
          const mean = Array.from({ length: D }, (_, j) => Math.sin(seed + j));
          const variance = Array.from({ length: D }, (_, j) => (j === 0 ? 0 : 0.1 + (Math.abs(seed + j) % 7)));
          const layer = new Normalization({ mean, variance, invert });
          const report = gradCheck(layer, { input: randomTensor([B, D], seed), seed, ...GRAD_TOL });
          expect(report.ok, JSON.stringify(report)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("its statistics are saved and loaded with the model, and the optimizer leaves them alone", async () => {
    const x = randomTensor([20, 3], 3, -50, 50);
    const m = new Sequential({ inputShape: [3], seed: 2 });
    m.add(new Normalization().adapt(x));
    m.add(new Dense({ units: 2 }));
    m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: "meanSquaredError" });
    const before = m
      .params()
      .slice(0, 2)
      .map((p) => Array.from(p.value.data));
    await m.fit(x, randomTensor([20, 2], 4), { epochs: 2, batchSize: 5 });
    expect(
      m
        .params()
        .slice(0, 2)
        .map((p) => Array.from(p.value.data)),
    ).toEqual(before);
    const back = deserialize(serialize(m)).model;
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    expect(back.layers[0]?.toConfig()).toEqual({ kind: "normalization", name: "normalization_1", invert: false });
  });

  it("refuses: no statistics at build, a mismatched width, negative variances, one of mean/variance alone", () => {
    const m = new Sequential({ inputShape: [3] });
    expect(() => m.add(new Normalization())).toThrow(
      new ValueError(
        "normalization layer 'normalization_1': no statistics; call adapt(data) or pass mean and variance before adding it to a model",
      ),
    );
    expect(() =>
      new Sequential({ inputShape: [3] }).add(new Normalization({ mean: [0, 0], variance: [1, 1] })),
    ).toThrow(ShapeError);
    expect(() => new Normalization({ mean: [0], variance: [-1] })).toThrow(
      new OptionError("Normalization", "variance", "element 0 must be a finite number >= 0, got -1"),
    );
    expect(() => new Normalization({ mean: [0] })).toThrow(OptionError);
    expect(() => new Normalization().adapt(Tensor.from([[1, Number.NaN]]))).toThrow(
      "Normalization.adapt: sample 0, feature 1 is NaN, not a finite number",
    );
  });
});

describe("fit's hint for unscaled regression", () => {
  const run = async (
    layers: () => import("../src/index.js").Layer[],
    x: Tensor,
    y: Tensor,
    loss = "meanSquaredError",
  ) => {
    const m = new Sequential({ inputShape: [x.shape[1] as number], seed: 1, layers: layers() });
    m.compile({ optimizer: new SGD({ lr: 1e-9 }), loss: loss as never });
    const hints: string[] = [];
    await m.fit(x, y, { epochs: 2, batchSize: 4, onScaleHint: (h) => hints.push(h), onDivergence: null });
    return hints;
  };
  const x = Tensor.from(Array.from({ length: 8 }, (_, i) => [i, 2 * i]));
  const dollars = Tensor.from(Array.from({ length: 8 }, (_, i) => [200_000 + 1000 * i]));

  it("targets with a root mean square above 100: one hint, saying what to do", async () => {
    const hints = await run(() => [new Dense({ units: 1 })], x, dollars);
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(
      /^fit: the targets are large \(root mean square 2\.04e\+5\); fit on scaled targets: const yNorm = new Normalization\(\)\.adapt\(y\)/,
    );
    expect(hints[0]).toMatch(/\(fit\(\{ onScaleHint: null \}\) silences this\)$/);
  });

  it("silent with an inverting Normalization last, for small targets, and for classification losses", async () => {
    const yNorm = new Normalization().adapt(dollars);
    expect(await run(() => [new Dense({ units: 1 }), yNorm.inverse()], x, dollars)).toEqual([]);
    expect(await run(() => [new Dense({ units: 1 })], x, yNorm.apply(dollars))).toEqual([]);
    const labels = Tensor.from([0, 1, 0, 1, 0, 1, 0, 1]);
    expect(await run(() => [new Dense({ units: 2 })], x, labels, "sparseCategoricalCrossEntropy")).toEqual([]);
  });

  it("features beyond ±1000 without a Normalization first", async () => {
    const big = Tensor.from(Array.from({ length: 8 }, (_, i) => [i, 3000 + i]));
    const small = Tensor.from(Array.from({ length: 8 }, (_, i) => [Math.sin(i)]));
    const hints = await run(() => [new Dense({ units: 1 })], big, small);
    expect(hints).toEqual([
      "fit: features reach 3.01e+3; put a Normalization layer first: new Normalization().adapt(x) (fit({ onScaleHint: null }) silences this)",
    ]);
    expect(await run(() => [new Normalization().adapt(big), new Dense({ units: 1 })], big, small)).toEqual([]);
  });
});

describe("Normalization's edges", () => {
  it("its config keeps a given input shape; mean and variance must agree; bad lists are named", () => {
    const n = new Normalization({ inputShape: [2], mean: [0, 1], variance: [1, 4] });
    expect(n.toConfig()).toEqual({ kind: "normalization", name: "", inputShape: [2], invert: false });
    expect(() => new Normalization({ mean: [0, 1], variance: [1] })).toThrow(
      new OptionError("Normalization", "variance", "has 1 values, mean has 2"),
    );
    expect(() => new Normalization({ variance: [1] })).toThrow(
      new OptionError("Normalization", "mean", "is needed with the other (mean and variance come together)"),
    );
    expect(() => new Normalization({ mean: [], variance: [] })).toThrow(/mean must be a non-empty list of numbers/);
    expect(() => new Normalization({ mean: ["a"] as never, variance: [1] })).toThrow(
      /mean element 0 must be a finite number, got "a"/,
    );
    expect(() => new Normalization().statistics()).toThrow(
      "normalization layer '': no statistics; call adapt(data) first",
    );
    expect(() => new Normalization({ mean: [0], variance: [1] }).forward(Tensor.from([[1]]))).toThrow(
      "normalization layer '': not built (add it to a model first)",
    );
    expect(() => new Normalization({ mean: [0, 0], variance: [1, 1] }).apply(Tensor.from([[1, 2, 3]]))).toThrow(
      new ShapeError("Normalization.apply: expected (N, 2) values (2 features per sample), got (1, 3)"),
    );
    expect(() => new Normalization().adapt(Tensor.zeros([0, 3]))).toThrow(
      "Normalization.adapt: the data has no samples",
    );
  });

  it("adapt on a built layer writes the model's parameters, and refuses another width", () => {
    const norm = new Normalization({ mean: [0, 0], variance: [1, 1] });
    const m = new Sequential({ inputShape: [2], dtype: "float64", layers: [norm] });
    norm.adapt(
      Tensor.from(
        [
          [1, 10],
          [3, 30],
        ],
        { dtype: "float64" },
      ),
    );
    expect(m.params().map((p) => Array.from(p.value.data))).toEqual([
      [2, 20],
      [1, 100],
    ]);
    expect(Array.from(m.predict(Tensor.from([[3, 0]], { dtype: "float64" })).data)).toEqual([1, -2]);
    expect(() => norm.adapt(Tensor.from([[1, 2, 3]]))).toThrow(
      new ShapeError("Normalization.adapt: the layer takes 2 features per sample, the data has 3"),
    );
    // the inverse of an inverting layer scales again
    expect(norm.inverse().inverse().invert).toBe(false);
  });
});

describe("Normalization, the rest of its contract", () => {
  it("a nearly constant column (within rounding of its own variance) is taken as constant", () => {
    // [1, 1 + 2⁻⁵²]: Welford's variance is ~1.2e-32, below StandardScaler's bound n·ε·v + (n·m·ε)² ≈ 2e-31
    const n = new Normalization().adapt(Tensor.from([[1], [1 + 2 ** -52]], { dtype: "float64" }));
    expect(n.statistics().variance).toEqual([0]);
    // a real spread is kept: [1, 1.001] has variance 2.5e-7
    expect(
      new Normalization().adapt(Tensor.from([[1], [1.001]], { dtype: "float64" })).statistics().variance[0],
    ).toBeCloseTo(2.5e-7, 15);
  });

  it("a NaN far into the data is named by its own sample number", () => {
    const x = new Float64Array(5000);
    x[4500] = Number.NaN;
    expect(() => new Normalization().adapt(new Tensor(x, [5000, 1]))).toThrow(
      "Normalization.adapt: sample 4500, feature 0 is NaN, not a finite number",
    );
    expect(() => new Normalization().adapt("x" as never)).toThrow(/Normalization\.adapt/);
  });

  it("the variance is refused negative at save; a loaded layer reports its statistics; the layer's own surface", async () => {
    const norm = new Normalization({ mean: [1, 2], variance: [4, 9] });
    const m = new Sequential({ inputShape: [2], layers: [norm] });
    expect(norm.outputShape).toEqual([2]);
    expect(norm.backward(Tensor.from([[1, 1]]), false)).toBeNull();
    const loaded = deserialize(serialize(m)).model.layers[0] as Normalization;
    expect(loaded.statistics()).toEqual({ mean: [1, 2], variance: [4, 9] });
    m.setWeights([
      [1, 2],
      [4, -9],
    ]);
    expect(() => serialize(m)).toThrow(/is negative; it holds a variance/);
    expect(new Normalization().params()).toEqual([]);
    expect(() => new Normalization({ mean: [1] })).toThrow(
      new OptionError("Normalization", "variance", "is needed with the other (mean and variance come together)"),
    );
    expect(() =>
      new Sequential({ inputShape: [3] }).add(new Normalization({ mean: [0, 0], variance: [1, 1] })),
    ).toThrow("normalization layer 'normalization_1': its statistics have 2 features, the input (3) has 3");
    // built directly, without saying whether to initialize: refused without statistics, as in a model
    expect(() => new Normalization().build([2], { dtype: "float64", rng: new Rng(1), backend: jsBackend })).toThrow(
      /no statistics; call adapt\(data\) or pass mean and variance/,
    );
  });
});
