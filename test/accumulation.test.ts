/**
 * Parameter gradients accumulate (`+=`): two backward passes without a
 * zeroGrad between them give twice the gradient, for every layer that has
 * parameters, alone and inside a model. gradCheck clears and runs backward
 * once, so it cannot see an overwrite (`=`); this test fails for one (it
 * gives 1× instead of 2×).
 *
 * Not bit-exactly 2×: the second pass adds its terms one by one onto the
 * first pass's sum, a different rounding order. Each gradient element here
 * is a sum of at most ~20 terms of magnitude ≲ 10, so the float64 difference
 * is ≤ 20·ε·200 ≈ 1e-12; TOL = 1e-10 (relative to max(1, |2g|)) leaves a wide
 * margin and is still ten orders of magnitude below what an overwrite gives.
 */
import { describe, expect, it } from "vitest";
import {
  BatchNormalization,
  Dense,
  jsBackend,
  type Layer,
  LayerNormalization,
  type Param,
  Rng,
  Sequential,
} from "../src/index.js";
import { randomTensor } from "./helpers.js";

const TOL = 1e-10;

function expectDouble(twice: ArrayLike<number>, once: ArrayLike<number>, name: string): void {
  let worst = 0;
  for (let i = 0; i < once.length; i++) {
    const want = 2 * (once[i] as number);
    worst = Math.max(worst, Math.abs((twice[i] as number) - want) / Math.max(1, Math.abs(want)));
  }
  expect(worst, `${name}: worst relative difference from 2× the first gradient`).toBeLessThan(TOL);
}

const copies = (params: Param[]) => params.map((p) => Float64Array.from(p.grad.data));

function twiceIsDouble(layer: Layer, inputShape: number[], batch: number, mode: "train" | "eval"): void {
  layer.build(inputShape, { dtype: "float64", rng: new Rng(1), backend: jsBackend });
  const trainable = layer.params().filter((p) => p.trainable !== false);
  // non-zero weights everywhere, so no gradient is zero by accident
  trainable.forEach((p, k) => {
    for (let i = 0; i < p.value.size; i++) p.value.data[i] = 0.3 + 0.1 * Math.sin(7 * i + k);
  });
  const x = randomTensor([batch, ...inputShape], 2);
  const y = layer.forward(x, mode);
  const dy = randomTensor([...y.shape], 3);
  layer.zeroGrad();
  layer.backward(dy, true);
  const once = copies(trainable);
  layer.backward(dy, true);
  const twice = copies(trainable);
  expect(trainable.length).toBeGreaterThan(0);
  trainable.forEach((p, k) => {
    const a = once[k] as Float64Array;
    expect(
      a.some((v) => v !== 0),
      `${p.name} has a non-zero gradient`,
    ).toBe(true);
    expectDouble(twice[k] as Float64Array, a, p.name);
  });
  layer.zeroGrad();
  for (const p of trainable) expect(p.grad.data.every((v) => v === 0)).toBe(true);
}

describe("gradients accumulate across backward calls", () => {
  it("Dense, with and without bias and penalties", () => {
    twiceIsDouble(new Dense({ units: 4, activation: "tanh" }), [3], 5, "train");
    twiceIsDouble(new Dense({ units: 4, useBias: false }), [3], 2, "train");
    twiceIsDouble(new Dense({ units: 4, kernelRegularizer: { l1: 0.1, l2: 0.2 } }), [3], 2, "train");
  });

  it("BatchNormalization (train and eval mode)", () => {
    twiceIsDouble(new BatchNormalization(), [4], 5, "train");
    twiceIsDouble(new BatchNormalization(), [4], 5, "eval");
  });

  it("LayerNormalization", () => {
    twiceIsDouble(new LayerNormalization(), [4], 3, "train");
  });

  it("a model's backward accumulates into every layer's parameters", () => {
    const m = new Sequential({ inputShape: [3], dtype: "float64", seed: 1 });
    m.add(new Dense({ units: 5, activation: "relu", biasInitializer: { name: "constant", value: 0.5 } }));
    m.add(new LayerNormalization());
    m.add(new Dense({ units: 2 }));
    const x = randomTensor([4, 3], 5);
    const out = m.forward(x, "train");
    const dOut = randomTensor([...out.shape], 6);
    m.zeroGrad();
    m.backward(dOut);
    const once = copies(m.params());
    m.backward(dOut);
    m.params().forEach((p, k) => {
      expectDouble(p.grad.data, once[k] as Float64Array, p.name);
    });
  });
});
