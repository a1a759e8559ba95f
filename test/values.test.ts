/** Exact values of losses and activations on inputs whose answers are known in closed form. */
import { describe, expect, it } from "vitest";
import { erf, getActivation, getLoss, Rng, Tensor } from "../src/index.js";

const f64 = (v: number[][]): Tensor => Tensor.from(v, { dtype: "float64" });

describe("losses on known inputs", () => {
  it("uniform logits give log K (sparse and categorical, from logits)", () => {
    for (const K of [2, 3, 10]) {
      const logits = f64([new Array(K).fill(0.7), new Array(K).fill(-3)]);
      const sparse = getLoss("sparseCategoricalCrossEntropy").compute(
        logits,
        Tensor.from([0, K - 1], { dtype: "float64" }),
      );
      expect(sparse).toBeCloseTo(Math.log(K), 14);
      const onehot = f64([
        [...new Array(K - 1).fill(0), 1],
        [1, ...new Array(K - 1).fill(0)],
      ]);
      const cat = getLoss({ name: "categoricalCrossEntropy", fromLogits: true }).compute(logits, onehot);
      expect(cat).toBeCloseTo(Math.log(K), 14);
    }
  });

  it("logits of ±1000 stay finite and exact", () => {
    const logits = f64([[1000, -1000, 0]]);
    const grad = new Float64Array(3);
    // label 0: loss = logsumexp − x₀ = 1000 + log(1 + e⁻¹⁰⁰⁰ + e⁻²⁰⁰⁰) − 1000 ≈ 0
    expect(getLoss("sparseCategoricalCrossEntropy").compute(logits, Tensor.from([0], { dtype: "float64" }), grad)).toBe(
      0,
    );
    // label 1: loss = 1000 − (−1000) = 2000
    expect(getLoss("sparseCategoricalCrossEntropy").compute(logits, Tensor.from([1], { dtype: "float64" }), grad)).toBe(
      2000,
    );
    expect(Array.from(grad)).toEqual([1, -1, 0]);
    const bce = getLoss({ name: "binaryCrossEntropy", fromLogits: true });
    // t = 0, x = 1000: loss = max(x,0) − x·t + log1p(e^{−|x|}) = 1000
    expect(bce.compute(f64([[1000]]), f64([[0]]))).toBe(1000);
    expect(bce.compute(f64([[-1000]]), f64([[0]]))).toBe(0);
  });

  it("mean squared / absolute error and huber by hand", () => {
    const p = f64([
      [1, 2],
      [3, 5],
    ]);
    const t = f64([
      [0, 2],
      [1, 1],
    ]);
    // errors 1, 0, 2, 4 → MSE (1+0+4+16)/4, MAE (1+0+2+4)/4
    expect(getLoss("meanSquaredError").compute(p, t)).toBe(21 / 4);
    expect(getLoss("meanAbsoluteError").compute(p, t)).toBe(7 / 4);
    // huber δ=1: ½·1, 0, 1·(2−½), 1·(4−½) → (0.5+0+1.5+3.5)/4
    expect(getLoss("huber").compute(p, t)).toBe(5.5 / 4);
    const g = new Float64Array(4);
    getLoss("meanSquaredError").compute(p, t, g);
    expect(Array.from(g)).toEqual([0.5, 0, 1, 2]); // 2e/4
  });

  it("binary cross-entropy on probabilities by hand, clipped at 1e-7", () => {
    const bce = getLoss("binaryCrossEntropy");
    expect(bce.compute(f64([[0.8, 0.1]]), f64([[1, 0]]))).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9)) / 2, 14);
    // p = 0 with t = 1 would be log 0: clipped to −log(1e-7)
    expect(bce.compute(f64([[0]]), f64([[1]]))).toBeCloseTo(-Math.log(1e-7), 10);
  });

  it("sparse cross-entropy rejects labels out of range, naming the row", () => {
    const loss = getLoss("sparseCategoricalCrossEntropy");
    expect(() =>
      loss.compute(
        f64([
          [0, 1],
          [1, 0],
        ]),
        Tensor.from([1, 2], { dtype: "float64" }),
      ),
    ).toThrow(/label at row 1 is 2; labels must be integers in \[0, 1\]/);
    expect(() => loss.compute(f64([[0, 1]]), Tensor.from([0.5], { dtype: "float64" }))).toThrow(
      /label at row 0 is 0.5/,
    );
  });
});

describe("activations on known inputs", () => {
  const apply = (name: Parameters<typeof getActivation>[0], xs: number[]): number[] => {
    const x = Float64Array.from(xs);
    const y = new Float64Array(xs.length);
    getActivation(name).forward(x, y, 1, xs.length);
    return Array.from(y);
  };

  it("sigmoid is stable for |x| large and exact at 0", () => {
    // e⁻⁷⁴⁵ is the smallest subnormal double; the naive 1/(1 + e⁷⁴⁵) would underflow to 0.
    expect(apply("sigmoid", [0, 1000, -1000, -745])).toEqual([0.5, 1, 0, Math.exp(-745)]);
  });

  it("softplus is stable: softplus(1000) = 1000, softplus(−1000) = e⁻¹⁰⁰⁰ = 0", () => {
    const [a, b, c] = apply("softplus", [1000, -1000, 0]);
    expect(a).toBe(1000);
    expect(b).toBe(0);
    expect(c).toBeCloseTo(Math.LN2, 15);
  });

  it("softmax of huge logits is finite and sums to 1", () => {
    const y = apply("softmax", [1000, 1000, -1000]);
    expect(y).toEqual([0.5, 0.5, 0]);
  });

  it("erf matches tabulated values to 1e-14", () => {
    // Abramowitz & Stegun table 7.1 / high-precision values
    const table: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [-1.5, -0.9661051464753108],
    ];
    for (const [x, v] of table) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-14);
  });

  it("gelu(1) = Φ(1) and the tanh form is within 1e-3 of it", () => {
    const [g] = apply("gelu", [1]);
    expect(g).toBeCloseTo(0.8413447460685429, 14);
    const [gt] = apply("geluTanh", [1]);
    expect(Math.abs((gt as number) - (g as number))).toBeLessThan(1e-3);
  });

  it("selu, elu, leakyRelu, silu by hand", () => {
    expect(apply("selu", [1])[0]).toBeCloseTo(1.0507009873554805, 15);
    expect(apply({ name: "elu", alpha: 2 }, [-1])[0]).toBeCloseTo(2 * (Math.exp(-1) - 1), 15);
    expect(apply({ name: "leakyRelu", alpha: 0.2 }, [-5, 5])).toEqual([-1, 5]);
    expect(apply("silu", [2])[0]).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
  });
});

describe("float32 forward agrees with float64", () => {
  it("a Dense stack, within float32 rounding", async () => {
    const { Sequential, Dense } = await import("../src/index.js");
    const make = (dtype: "float32" | "float64") => {
      const m = new Sequential({ inputShape: [20], dtype, seed: 3 });
      m.add(new Dense({ units: 16, activation: "tanh" }));
      m.add(new Dense({ units: 8, activation: "gelu" }));
      m.add(new Dense({ units: 4, activation: "softmax" }));
      return m;
    };
    const m32 = make("float32");
    const m64 = make("float64");
    // Same seed: identical float64 draws, the float32 weights are their roundings.
    const rng = new Rng(1);
    const x = Tensor.zeros([10, 20], "float64");
    for (let i = 0; i < x.size; i++) x.data[i] = rng.uniformRange(-1, 1);
    const y32 = m32.predict(x);
    const y64 = m64.predict(x);
    // float32 has a unit roundoff of 6e-8; each output is a chain of three
    // layers of ≤ 20-term dot products, so relative errors stay ≲ 20·3·6e-8 ≈ 4e-6.
    for (let i = 0; i < y64.size; i++) {
      expect(Math.abs((y32.data[i] as number) - (y64.data[i] as number))).toBeLessThan(
        4e-6 * Math.max(1, Math.abs(y64.data[i] as number)),
      );
    }
  });
});
