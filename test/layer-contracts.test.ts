/**
 * The small clauses of the layers' contract that the gradient and model
 * suites pass over: shapes before and after build, the errors (exact text,
 * naming the layer), `needInputGrad = false`, an unbuilt layer's params,
 * views and buffers reused while the input buffer is the same, the L1
 * subgradient at exactly 0, Dropout's gradient after an eval pass, and which
 * keys a config carries. Written where a mutation run (docs/testing.md)
 * found each one unpinned.
 */
import { describe, expect, it } from "vitest";
import {
  Activation,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  type Layer,
  LayerNormalization,
  Sequential,
  Softmax,
  Tensor,
} from "../src/index.js";

const built = <L extends Layer>(layer: L, inputShape: number[], seed = 1): L => {
  const m = new Sequential({ inputShape, seed, backend: "js", dtype: "float64" });
  m.add(layer);
  return layer;
};
const t = (values: number[], shape: number[]) => new Tensor(Float64Array.from(values), shape);

describe("shapes before and after build", () => {
  it("outputShape is [] before build and the output per sample after it", () => {
    expect(new Activation({ activation: "relu" }).outputShape).toEqual([]);
    expect(new Softmax().outputShape).toEqual([]);
    expect(new Dropout({ rate: 0.5 }).outputShape).toEqual([]);
    expect(new Flatten().outputShape).toEqual([0]);
    expect(new Dense({ units: 3 }).outputShape).toEqual([3]);
    expect(built(new Activation({ activation: "tanh" }), [2, 3]).outputShape).toEqual([2, 3]);
    expect(built(new Softmax(), [4]).outputShape).toEqual([4]);
    expect(built(new Dropout({ rate: 0.5 }), [5, 2]).outputShape).toEqual([5, 2]);
    expect(built(new Flatten(), [2, 3, 4]).outputShape).toEqual([24]);
    expect(built(new Dense({ units: 7 }), [3]).outputShape).toEqual([7]);
  });
});

describe("names", () => {
  it("a given name is kept; none is '' until the model names the layer", () => {
    expect(new Flatten().name).toBe("");
    expect(new Dropout({ rate: 0.1 }).name).toBe("");
    expect(new Flatten({ name: "flat" }).name).toBe("flat");
    expect(new Dropout({ rate: 0.1, name: "drop" }).name).toBe("drop");
    expect(built(new Flatten(), [2, 2]).name).toBe("flatten_1");
    expect(built(new Dropout({ rate: 0.1 }), [2]).name).toBe("dropout_1");
  });
});

describe("errors name the layer", () => {
  it("options that are not an object, and unknown keys, name the class", () => {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
    const bad = (f: () => unknown) => () => f() as any;
    expect(bad(() => new Activation(null as never))).toThrow(/^Activation: options object required$/);
    expect(bad(() => new Activation("relu" as never))).toThrow(/^Activation: options object required$/);
    expect(bad(() => new Dense(null as never))).toThrow(/^Dense: options object required$/);
    expect(bad(() => new Dense(5 as never))).toThrow(/^Dense: options object required$/);
    expect(() => new Activation({ activation: "relu", foo: 1 } as never)).toThrow(/^Activation: foo is not an option/);
    expect(() => new Softmax({ foo: 1 } as never)).toThrow(/^Softmax: foo is not an option/);
    expect(() => new Dropout({ rate: 0.1, foo: 1 } as never)).toThrow(/^Dropout: foo is not an option/);
    expect(() => new Flatten({ foo: 1 } as never)).toThrow(/^Flatten: foo is not an option/);
  });

  it("backward before forward, and on a layer that was never built", () => {
    const dy = t([1, 2], [1, 2]);
    expect(() => built(new Activation({ activation: "relu", name: "a" }), [2]).backward(dy)).toThrow(
      /^activation layer 'a': backward called before forward$/,
    );
    expect(() => built(new Softmax({ name: "s" }), [2]).backward(dy)).toThrow(
      /^softmax layer 's': backward called before forward$/,
    );
    expect(() => built(new Flatten({ name: "f" }), [2]).backward(dy)).toThrow(
      /^flatten layer 'f': backward called before forward$/,
    );
    expect(() => built(new Dense({ units: 2, name: "d" }), [2]).backward(dy)).toThrow(
      /^dense layer 'd': backward called before forward$/,
    );
    expect(() => new Dense({ units: 2, name: "d" }).backward(dy)).toThrow(
      /^dense layer 'd': not built \(add it to a model first\)$/,
    );
    // (an unbuilt layer's sample shape is [], so only a batch of scalars gets past the input check)
    expect(() => new Dropout({ rate: 0.5, name: "r" }).forward(t([1, 2], [2]), "train")).toThrow(
      /^dropout layer 'r': not built \(add it to a model first\)$/,
    );
  });

  it("Dense refuses a dy of the wrong shape, naming both shapes", () => {
    const d = built(new Dense({ units: 2, name: "d" }), [3]);
    d.forward(t([1, 2, 3, 4, 5, 6], [2, 3]), "train");
    expect(() => d.backward(t([1, 2, 3], [1, 3]))).toThrow(
      /^dense layer 'd': expected dy of shape \(2, 2\), got \(1, 3\)$/,
    );
    expect(() => d.backward(t([1, 2, 3, 4, 5, 6], [2, 3]))).toThrow(/expected dy of shape \(2, 2\), got \(2, 3\)/);
    // The right number of values in the wrong number of rows is refused too.
    expect(() => d.backward(t([1, 2, 3, 4], [1, 4]))).toThrow(/expected dy of shape \(2, 2\), got \(1, 4\)/);
  });
});

describe("needInputGrad", () => {
  const cases: [string, () => Layer, number[]][] = [
    ["Activation", () => new Activation({ activation: "tanh" }), [3]],
    ["Softmax", () => new Softmax(), [3]],
    ["Dropout", () => new Dropout({ rate: 0.5 }), [3]],
    ["Flatten", () => new Flatten(), [3]],
    ["Dense", () => new Dense({ units: 3 }), [3]],
  ];
  for (const [name, make, shape] of cases) {
    it(`${name}: backward(dy, false) returns null; backward(dy) returns dx`, () => {
      const layer = built(make(), shape);
      const x = t([0.1, -0.2, 0.3, 0.4, 0.5, -0.6], [2, 3]);
      layer.forward(x, "train");
      const dy = t([1, 2, 3, 4, 5, 6], [2, 3]);
      expect(layer.backward(dy, false)).toBeNull();
      const dx = layer.backward(dy);
      expect(dx).not.toBeNull();
      expect(dx?.shape).toEqual([2, 3]);
    });
  }
});

describe("Dense before build", () => {
  it("has no params, zeroGrad and the penalty do nothing", () => {
    const d = new Dense({ units: 2, kernelRegularizer: { l1: 0.1, l2: 0.1 } });
    expect(d.params()).toEqual([]);
    expect(() => d.zeroGrad()).not.toThrow();
    expect(d.regularizationLoss()).toBe(0);
  });
});

describe("the normalization layers before build", () => {
  it("have no params, and zeroGrad does nothing", () => {
    for (const layer of [new BatchNormalization(), new LayerNormalization()]) {
      expect(layer.params(), layer.kind).toEqual([]);
      expect(() => layer.zeroGrad(), layer.kind).not.toThrow();
    }
  });
});

describe("Dense's L1 gradient at a zero weight", () => {
  it("uses the subgradient 0 there (sign(0) = 0), so the step leaves an exact zero alone", () => {
    const d = built(new Dense({ units: 2, useBias: false, kernelRegularizer: { l1: 0.5 } }), [2]);
    const [W] = d.params();
    W?.value.data.set([0, 1, -1, 0]);
    d.zeroGrad();
    d.forward(t([0, 0], [1, 2]), "train"); // x = 0: the data term of dW is 0
    d.backward(t([1, 1], [1, 2]));
    // dW = xᵀ·dz + l1·sign(W) = 0 + 0.5·[0, 1, −1, 0]
    expect(Array.from(W?.grad.data ?? [])).toEqual([0, 0.5, -0.5, 0]);
    expect(d.regularizationLoss()).toBe(0.5 * 2);
  });
});

describe("Dense's config", () => {
  it("carries kernelRegularizer exactly when a penalty is set, with both terms", () => {
    expect(new Dense({ units: 2 }).toConfig()).not.toHaveProperty("kernelRegularizer");
    expect(new Dense({ units: 2, kernelRegularizer: { l1: 0.1 } }).toConfig().kernelRegularizer).toEqual({
      l1: 0.1,
      l2: 0,
    });
    expect(new Dense({ units: 2, kernelRegularizer: { l2: 0.2 } }).toConfig().kernelRegularizer).toEqual({
      l1: 0,
      l2: 0.2,
    });
  });
});

describe("Dropout", () => {
  it("after an eval pass, backward passes dy through unchanged (no stale mask)", () => {
    const layer = built(new Dropout({ rate: 0.5 }), [8]);
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [1, 8]);
    layer.forward(x, "train"); // draws a mask with zeros
    layer.forward(x, "eval");
    const dy = t([1, 1, 1, 1, 1, 1, 1, 1], [1, 8]);
    expect(Array.from(layer.backward(dy)?.data ?? [])).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});

describe("Flatten's views", () => {
  it("forward reuses its view while the input buffer is the same; backward gives a view of each dy", () => {
    const f = built(new Flatten(), [2, 2]);
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const y1 = f.forward(x, "train");
    expect(f.forward(x, "train")).toBe(y1); // no allocation per step
    expect(y1.shape).toEqual([2, 4]);
    const other = t([8, 7, 6, 5, 4, 3, 2, 1], [2, 2, 2]);
    expect(Array.from(f.forward(other, "train").data)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    const dy1 = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const dx1 = f.backward(dy1) as Tensor;
    expect(dx1.shape).toEqual([2, 2, 2]);
    expect(f.backward(dy1)).toBe(dx1);
    const dy2 = t([9, 9, 9, 9, 9, 9, 9, 9], [2, 4]);
    expect(Array.from((f.backward(dy2) as Tensor).data)).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
  });
});
