/**
 * Dense's contract, stated one clause per test (as dropout.test.ts does for
 * Dropout): shapes and parameter layout, the forward value against the naive
 * product, what backward returns and accumulates, the penalty and constraint
 * formulas, the decay flags optimizers read, errors that name the layer, and
 * the config round trip. Expected values are worked out in the test from the
 * definitions (y = act(x·W + b), penalty l1·Σ|W| + l2·ΣW²).
 */
import { describe, expect, it } from "vitest";
import {
  Dense,
  gemmNaive,
  getInitializer,
  jsBackend,
  LAYER_CLASSES,
  Rng,
  Sequential,
  ShapeError,
  Tensor,
  ValueError,
} from "../src/index.js";
import { randomTensor } from "./helpers.js";

const ctx = (seed = 1) => ({ dtype: "float64" as const, rng: new Rng(seed), backend: jsBackend });

function built(opts: ConstructorParameters<typeof Dense>[0], I: number): Dense {
  const d = new Dense(opts);
  d.build([I], ctx());
  return d;
}

describe("Dense", () => {
  it("has W: (I, O) and b: (O), named after the layer; only W decays", () => {
    const d = new Dense({ units: 3, name: "fc" });
    expect(d.paramShapes([5])).toEqual({ output: [3], params: [[5, 3], [3]] });
    d.build([5], ctx());
    const [W, b] = d.params();
    expect(W?.name).toBe("fc/kernel");
    expect(W?.value.shape).toEqual([5, 3]);
    expect(W?.decay).toBe(true);
    expect(b?.name).toBe("fc/bias");
    expect(b?.value.shape).toEqual([3]);
    expect(b?.decay).toBe(false);
    expect(new Dense({ units: 3, useBias: false }).paramShapes([5]).params).toEqual([[5, 3]]);
  });

  it("forward is act(x·W + b), checked against the naive product", () => {
    const d = built({ units: 4, activation: "tanh", biasInitializer: { name: "constant", value: 0.3 } }, 6);
    const x = randomTensor([5, 6], 2);
    const y = d.forward(x, "eval");
    const z = new Float64Array(5 * 4);
    gemmNaive(false, false, 5, 4, 6, x.data, d.kernel?.value.data as Float64Array, z, false);
    for (let i = 0; i < z.length; i++) expect(y.data[i]).toBeCloseTo(Math.tanh((z[i] as number) + 0.3), 14);
    expect(y.shape).toEqual([5, 4]);
  });

  it("backward returns dx = dz·Wᵀ, or null when the input gradient is not needed", () => {
    const d = built({ units: 2 }, 3); // linear: dz = dy
    const x = randomTensor([4, 3], 3);
    d.forward(x, "train");
    const dy = randomTensor([4, 2], 4);
    d.zeroGrad();
    const dx = d.backward(dy) as Tensor;
    const W = d.kernel?.value.data as Float64Array;
    for (let r = 0; r < 4; r++)
      for (let i = 0; i < 3; i++) {
        let s = 0;
        for (let j = 0; j < 2; j++) s += (dy.data[r * 2 + j] as number) * (W[i * 2 + j] as number);
        expect(dx.data[r * 3 + i]).toBeCloseTo(s, 14);
      }
    expect(d.backward(dy, false)).toBeNull();
  });

  it("L1 alone, L2 alone and both: the penalty and its gradient (Keras's form, no ½)", () => {
    for (const [l1, l2] of [
      [0.1, 0],
      [0, 0.2],
      [0.1, 0.2],
    ] as const) {
      const d = built({ units: 2, kernelRegularizer: { l1, l2 } }, 3);
      const w = d.kernel?.value.data as Float64Array;
      w.set([0.5, -1, 2, -0.25, 0.75, -3]);
      const sumAbs = 0.5 + 1 + 2 + 0.25 + 0.75 + 3;
      const sumSq = 0.25 + 1 + 4 + 0.0625 + 0.5625 + 9;
      expect(d.regularizationLoss()).toBeCloseTo(l1 * sumAbs + l2 * sumSq, 14);
      // with dy = 0 the kernel gradient is the penalty's alone: l1·sign(W) + 2·l2·W
      d.forward(Tensor.zeros([1, 3], "float64"), "train");
      d.zeroGrad();
      d.backward(Tensor.zeros([1, 2], "float64"));
      const g = d.kernel?.grad.data as Float64Array;
      for (let i = 0; i < 6; i++)
        expect(g[i]).toBeCloseTo(l1 * Math.sign(w[i] as number) + 2 * l2 * (w[i] as number), 14);
    }
    expect(built({ units: 2 }, 3).regularizationLoss()).toBe(0);
  });

  it("max-norm rescales exactly the columns whose norm exceeds it", () => {
    const d = built({ units: 2, kernelConstraint: { maxNorm: 1 } }, 2);
    const w = d.kernel?.value.data as Float64Array;
    w.set([3, 0.3, 4, 0.4]); // column 0 has norm 5, column 1 has norm 0.5
    d.applyConstraints();
    const k = 1 / 5; // c / norm, applied as the layer applies it
    expect(Array.from(w)).toEqual([3 * k, 0.3, 4 * k, 0.4]);
  });

  it("initializes from the seeded generator, or not at all when the context says so", () => {
    const a = built({ units: 3 }, 4);
    const b = built({ units: 3 }, 4);
    expect(Array.from(a.kernel?.value.data ?? [])).toEqual(Array.from(b.kernel?.value.data ?? []));
    expect(a.kernel?.value.data.some((v) => v !== 0)).toBe(true);
    const c = new Dense({ units: 3, kernelInitializer: "orthogonal", biasInitializer: "ones" });
    const rng = new Rng(1);
    const before = rng.getState();
    c.build([4], { ...ctx(), rng, initialize: false });
    expect(c.kernel?.value.data.every((v) => v === 0)).toBe(true);
    expect(c.bias?.value.data.every((v) => v === 0)).toBe(true);
    expect(rng.getState()).toEqual(before);
  });

  it("draws the kernel, then the bias with fans (O, O), as Keras computes fans for a 1-D weight", () => {
    // The kernel W is I×O with fans (I, O); the bias is a vector of O, whose
    // fan-in and fan-out are both O. Glorot uniform for both: limits √(6/(I+O))
    // and √(6/(2O)), drawn in that order from one generator.
    const I = 4;
    const O = 6;
    const d = new Dense({ units: O, biasInitializer: "glorotUniform" });
    d.build([I], { ...ctx(), rng: new Rng(11) });
    const rng = new Rng(11);
    const W = new Float64Array(I * O);
    const b = new Float64Array(O);
    getInitializer("glorotUniform").init(W, { fanIn: I, fanOut: O }, rng);
    getInitializer("glorotUniform").init(b, { fanIn: O, fanOut: O }, rng);
    expect(Array.from(d.kernel?.value.data ?? [])).toEqual(Array.from(W));
    expect(Array.from(d.bias?.value.data ?? [])).toEqual(Array.from(b));
    expect(b.every((v) => Math.abs(v) <= Math.sqrt(6 / (2 * O)))).toBe(true);
  });

  it("refuses bad options and inputs with errors naming the layer, the option and the shapes", () => {
    expect(() => new Dense({ units: 0 })).toThrow(/Dense: units must be an integer in \[1, 10000000\], got 0/);
    expect(() => new Dense({ units: 2.5 })).toThrow(ValueError);
    expect(() => new Dense({ units: 2, kernelRegularizer: { l1: -1 } })).toThrow(/kernelRegularizer\.l1 must be/);
    expect(() => new Dense({ units: 2, kernelConstraint: { maxNorm: 0 } })).toThrow(
      /kernelConstraint\.maxNorm must be/,
    );
    expect(() => new Dense({ units: 2, activation: "relux" as "relu" })).toThrow(/did you mean 'relu'/);
    expect(() => new Dense({ units: 2, unit: 3 } as never)).toThrow(
      /Dense: unit is not an option \(did you mean 'units'\?\)/,
    );
    expect(() => new Dense({ units: 2 }).build([2, 2], ctx())).toThrow(/add a Flatten layer/);
    const d = built({ units: 2, name: "fc" }, 3);
    expect(() => d.forward(Tensor.zeros([4, 5]), "eval")).toThrow(ShapeError);
    expect(() => d.forward(Tensor.zeros([4, 5]), "eval")).toThrow(
      /dense layer 'fc': expected input of shape \(B, 3\), got \(4, 5\)/,
    );
    d.forward(Tensor.zeros([4, 3], "float64"), "train");
    expect(() => d.backward(Tensor.zeros([4, 3], "float64"))).toThrow(/expected dy of shape \(4, 2\), got \(4, 3\)/);
    expect(() => new Dense({ units: 2 }).forward(Tensor.zeros([1, 3]), "eval")).toThrow(/not built/);
  });

  it("its config rebuilds the same layer through the registry", () => {
    const opts = {
      units: 3,
      name: "fc",
      activation: { name: "leakyRelu", alpha: 0.2 },
      useBias: false,
      kernelInitializer: { name: "randomNormal", mean: 0.1, stddev: 0.3 },
      kernelRegularizer: { l1: 0.01, l2: 0.02 },
      kernelConstraint: { maxNorm: 2 },
    } as const;
    const cfg = new Dense(opts).toConfig();
    const again = LAYER_CLASSES.dense.fromConfig(cfg);
    expect(again.toConfig()).toEqual(cfg);
    expect(cfg).toMatchObject({ kind: "dense", ...opts, biasInitializer: { name: "zeros" } });
    const m1 = new Sequential({ inputShape: [4], seed: 3, layers: [new Dense(opts)] });
    const m2 = new Sequential({ inputShape: [4], seed: 3, layers: [again] });
    expect(Array.from(m2.params()[0]?.value.data ?? [])).toEqual(Array.from(m1.params()[0]?.value.data ?? []));
  });
});
