/**
 * The normalization layers' contract beyond their gradients: parameter names,
 * shapes and flags (γ, β trainable without decay; batch norm's running
 * statistics saved but not trained), the flat-input requirement, and the
 * errors that name the layer.
 */
import { describe, expect, it } from "vitest";
import { BatchNormalization, jsBackend, LayerNormalization, Rng, Tensor } from "../src/index.js";

const ctx = { dtype: "float64" as const, rng: new Rng(1), backend: jsBackend };

describe("normalization layers", () => {
  it("parameters: γ = 1 and β = 0, no decay; batch norm adds moving mean 0 and variance 1, not trainable", () => {
    const bn = new BatchNormalization({ name: "bn" });
    expect(bn.paramShapes([3])).toEqual({ output: [3], params: [[3], [3], [3], [3]] });
    bn.build([3], ctx);
    expect(bn.outputShape).toEqual([3]);
    const ps = bn.params();
    expect(ps.map((p) => [p.name, p.decay, p.trainable ?? true, Array.from(p.value.data)])).toEqual([
      ["bn/gamma", false, true, [1, 1, 1]],
      ["bn/beta", false, true, [0, 0, 0]],
      ["bn/movingMean", false, false, [0, 0, 0]],
      ["bn/movingVariance", false, false, [1, 1, 1]],
    ]);
    for (const p of ps) expect(p.grad.shape).toEqual([3]);
    const ln = new LayerNormalization({ name: "ln" });
    expect(ln.paramShapes([4])).toEqual({ output: [4], params: [[4], [4]] });
    ln.build([4], ctx);
    expect(ln.params().map((p) => [p.name, p.decay, p.trainable ?? true])).toEqual([
      ["ln/gamma", false, true],
      ["ln/beta", false, true],
    ]);
    expect(new LayerNormalization().params()).toEqual([]);
  });

  it("needs a flat input, a non-empty training batch and a forward before backward", () => {
    expect(() => new BatchNormalization({ name: "bn" }).paramShapes([2, 2])).toThrow(
      "batchNormalization layer 'bn': expected a flat per-sample input (features), got (2, 2)",
    );
    expect(() => new LayerNormalization({ name: "ln" }).build([2, 2], ctx)).toThrow(
      /layerNormalization layer 'ln': expected a flat/,
    );
    const bn = new BatchNormalization({ name: "bn" });
    expect(() => bn.forward(Tensor.zeros([1, 3], "float64"), "train")).toThrow(
      /batchNormalization layer 'bn': not built/,
    );
    bn.build([3], ctx);
    expect(() => bn.backward(Tensor.zeros([1, 3], "float64"))).toThrow(
      /batchNormalization layer 'bn': backward called before forward/,
    );
    expect(() => bn.forward(Tensor.zeros([0, 3], "float64"), "train")).toThrow(
      /batchNormalization layer 'bn': an empty batch has no statistics/,
    );
    const ln = new LayerNormalization({ name: "ln" });
    ln.build([3], ctx);
    expect(() => ln.backward(Tensor.zeros([1, 3], "float64"))).toThrow(
      /layerNormalization layer 'ln': backward called before forward/,
    );
    const x = Tensor.from([[1, 2, 4]], { dtype: "float64" });
    ln.forward(x, "train");
    expect(ln.backward(Tensor.from([[1, 0, 0]], { dtype: "float64" }), false)).toBeNull();
    expect(ln.backward(Tensor.from([[1, 0, 0]], { dtype: "float64" }))).not.toBeNull();
    bn.forward(x, "train");
    expect(bn.backward(Tensor.from([[1, 0, 0]], { dtype: "float64" }), false)).toBeNull();
    bn.forward(x, "train");
    expect(bn.backward(Tensor.from([[1, 0, 0]], { dtype: "float64" }))).not.toBeNull(); // dx by default
  });

  it("running statistics: new = m·old + (1 − m)·batch, per step (biased batch variance)", () => {
    const bn = new BatchNormalization({ name: "bn", momentum: 0.5 });
    bn.build([2], ctx);
    // two batches; per feature the batch mean and the biased variance (÷ B), by hand:
    // batch 1: feature 0 {1, 3}: mean 2, var 1; feature 1 {0, 4}: mean 2, var 4
    // batch 2: feature 0 {2, 2}: mean 2, var 0; feature 1 {−1, 5}: mean 2, var 9
    bn.forward(
      Tensor.from(
        [
          [1, 0],
          [3, 4],
        ],
        { dtype: "float64" },
      ),
      "train",
    );
    bn.forward(
      Tensor.from(
        [
          [2, -1],
          [2, 5],
        ],
        { dtype: "float64" },
      ),
      "train",
    );
    const [, , mm, mv] = bn.params().map((p) => Array.from(p.value.data));
    // mean: 0 → 0.5·0 + 0.5·2 = 1 → 0.5·1 + 0.5·2 = 1.5
    expect(mm).toEqual([1.5, 1.5]);
    // variance from 1: feature 0: 0.5·1 + 0.5·1 = 1 → 0.5·1 + 0.5·0 = 0.5;
    //                  feature 1: 0.5·1 + 0.5·4 = 2.5 → 0.5·2.5 + 0.5·9 = 5.75
    expect(mv).toEqual([0.5, 5.75]);
  });

  it("options: names in errors, defaults, bounds", () => {
    expect(new BatchNormalization().momentum).toBe(0.99);
    expect(new BatchNormalization().epsilon).toBe(1e-3);
    expect(() => new BatchNormalization({ momentum: 1 })).toThrow(
      /BatchNormalization: momentum must be a finite number in \[0, 1\)/,
    );
    expect(() => new LayerNormalization({ epsilon: 0 })).toThrow(
      /LayerNormalization: epsilon must be a finite number in \(0, 1\]/,
    );
    expect(new BatchNormalization({ momentum: 0.5, epsilon: 0.01 }).toConfig()).toEqual({
      kind: "batchNormalization",
      name: "",
      momentum: 0.5,
      epsilon: 0.01,
    });
  });
});
