/**
 * Finite-difference properties (float64): for random shapes, values and seeds,
 * every analytic gradient (input and parameters) matches central differences.
 * Tolerances: see GRAD_TOL in helpers.ts. Inputs are kept away from kinks
 * (ReLU at 0, |e| = δ for Huber) by preconditions, never by wider tolerances.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACTIVATION_NAMES,
  Activation,
  type ActivationConfig,
  type ActivationName,
  Dense,
  Flatten,
  gemmNaive,
  getLoss,
  gradCheck,
  jsBackend,
  type Layer,
  Rng,
  Sequential,
  Softmax,
  Tensor,
} from "../src/index.js";
import { BCE_PROBABILITY_TOL, GRAD_TOL, RUNS, randomTensor } from "./helpers.js";

// Activations with a kink at 0: inputs must stay at least KINK_MARGIN away.
const KINKED = new Set<ActivationName>(["relu", "leakyRelu", "elu", "selu"]);
const KINK_MARGIN = 1e-3; // ≫ h = 1e-5, so a perturbation never crosses the kink

/** Every activation, with a random non-default alpha for those that take one (so a dropped alpha fails). */
const activationArb: fc.Arbitrary<ActivationConfig> = fc
  .tuple(fc.constantFrom(...ACTIVATION_NAMES), fc.double({ min: 0.05, max: 3, noNaN: true }))
  .map(([name, alpha]) =>
    name === "leakyRelu" || name === "elu"
      ? { name, alpha }
      : name === "hardSigmoid"
        ? { name, alpha, beta: 0.5 - alpha / 10 }
        : { name },
  );

/** How far values are from the activation's kinks (ReLU-likes: 0; hardSigmoid: where αx + β is 0 or 1). */
function kinkDistance(a: ActivationConfig, v: ArrayLike<number>): number {
  if (KINKED.has(a.name)) return minAbs(v);
  if (a.name !== "hardSigmoid") return Number.POSITIVE_INFINITY;
  const alpha = a.alpha ?? 0.2;
  const beta = a.beta ?? 0.5;
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < v.length; i++) {
    const z = alpha * (v[i] as number) + beta;
    m = Math.min(m, Math.abs(z) / alpha, Math.abs(z - 1) / alpha);
  }
  return m;
}

function expectOk(report: ReturnType<typeof gradCheck>): void {
  if (!report.ok) {
    const bad = Object.entries({ input: report.input, ...report.params }).filter(([, e]) => !e.ok);
    throw new Error(`gradient mismatch: ${JSON.stringify(bad)}`);
  }
  expect(report.ok).toBe(true);
}

/** z = x·W + b of a built Dense layer, computed with the naive reference. */
function preactivation(layer: Dense, x: Tensor): Float64Array {
  const W = layer.kernel?.value as Tensor;
  const [I, O] = W.shape as [number, number];
  const B = x.shape[0] as number;
  const z = new Float64Array(B * O);
  gemmNaive(false, false, B, O, I, x.data, W.data, z, false);
  const b = layer.bias?.value.data;
  if (b)
    for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) z[r * O + j] = (z[r * O + j] as number) + (b[j] as number);
  return z;
}

function minAbs(a: ArrayLike<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.length; i++) m = Math.min(m, Math.abs(a[i] as number));
  return m;
}

function built(layer: Layer, inputShape: number[], seed: number): Layer {
  layer.build(inputShape, { dtype: "float64", rng: new Rng(seed), backend: jsBackend });
  return layer;
}

describe("gradients match finite differences (float64)", () => {
  it("Activation layer, every activation", () => {
    fc.assert(
      fc.property(
        activationArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (activation, B, D, seed) => {
          const x = randomTensor([B, D], seed, -3, 3);
          fc.pre(kinkDistance(activation, x.data) > KINK_MARGIN);
          const layer = built(new Activation({ activation }), [D], seed);
          expectOk(gradCheck(layer, { input: x, seed, ...GRAD_TOL }));
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it("Dense layer: random sizes, activations, with and without bias and L1/L2 penalties", () => {
    const penalty = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.5, noNaN: true }));
    fc.assert(
      fc.property(
        activationArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        penalty,
        penalty,
        fc.integer(),
        (activation, B, I, O, useBias, l1, l2, seed) => {
          const layer = new Dense({
            units: O,
            activation,
            useBias,
            biasInitializer: { name: "randomUniform", minval: -0.5, maxval: 0.5 },
            kernelRegularizer: { l1, l2 },
          });
          built(layer, [I], seed);
          const x = randomTensor([B, I], seed + 1, -2, 2);
          fc.pre(kinkDistance(activation, preactivation(layer, x)) > KINK_MARGIN);
          // |W| has a kink at 0: with an L1 penalty no weight may sit within a step of it
          if (l1 > 0) fc.pre(minAbs(layer.kernel?.value.data ?? []) > KINK_MARGIN);
          expectOk(gradCheck(layer, { input: x, seed, ...GRAD_TOL }));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("Softmax layer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (B, D, seed) => {
        const layer = built(new Softmax(), [D], seed);
        expectOk(gradCheck(layer, { input: randomTensor([B, D], seed, -5, 5), seed, ...GRAD_TOL }));
      }),
      { numRuns: RUNS },
    );
  });

  it("Flatten layer (N, h, w) → (N, h·w)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (B, H, W, seed) => {
          const layer = built(new Flatten(), [H, W], seed);
          const x = randomTensor([B, H, W], seed);
          const y = layer.forward(x, "train");
          expect(y.shape).toEqual([B, H * W]);
          expectOk(gradCheck(layer, { input: x, seed, ...GRAD_TOL }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  describe("losses", () => {
    const B = fc.integer({ min: 1, max: 5 });
    const K = fc.integer({ min: 1, max: 6 });

    it("meanSquaredError", () => {
      fc.assert(
        fc.property(B, K, fc.integer(), (b, k, seed) => {
          const report = gradCheck(getLoss("meanSquaredError"), {
            input: randomTensor([b, k], seed, -3, 3),
            target: randomTensor([b, k], seed + 1, -3, 3),
            ...GRAD_TOL,
          });
          expectOk(report);
        }),
        { numRuns: RUNS },
      );
    });

    it("meanAbsoluteError (away from p = t)", () => {
      fc.assert(
        fc.property(B, K, fc.integer(), (b, k, seed) => {
          const p = randomTensor([b, k], seed, -3, 3);
          const t = randomTensor([b, k], seed + 1, -3, 3);
          fc.pre(minAbs(p.data.map((v, i) => v - (t.data[i] as number))) > KINK_MARGIN);
          expectOk(gradCheck(getLoss("meanAbsoluteError"), { input: p, target: t, ...GRAD_TOL }));
        }),
        { numRuns: RUNS },
      );
    });

    it("huber (away from |p − t| = δ)", () => {
      fc.assert(
        fc.property(B, K, fc.double({ min: 0.2, max: 2, noNaN: true }), fc.integer(), (b, k, delta, seed) => {
          const p = randomTensor([b, k], seed, -3, 3);
          const t = randomTensor([b, k], seed + 1, -3, 3);
          fc.pre(minAbs(p.data.map((v, i) => Math.abs(v - (t.data[i] as number)) - delta)) > KINK_MARGIN);
          expectOk(gradCheck(getLoss({ name: "huber", delta }), { input: p, target: t, ...GRAD_TOL }));
        }),
        { numRuns: RUNS },
      );
    });

    it("binaryCrossEntropy, probabilities and logits", () => {
      fc.assert(
        fc.property(B, K, fc.boolean(), fc.integer(), (b, k, fromLogits, seed) => {
          // probabilities stay inside (0.02, 0.98), far from the 1e-7 clip
          const p = fromLogits ? randomTensor([b, k], seed, -6, 6) : randomTensor([b, k], seed, 0.02, 0.98);
          const t = randomTensor([b, k], seed + 1, 0, 1);
          expectOk(
            gradCheck(getLoss({ name: "binaryCrossEntropy", fromLogits }), {
              input: p,
              target: t,
              ...(fromLogits ? GRAD_TOL : BCE_PROBABILITY_TOL),
            }),
          );
        }),
        { numRuns: RUNS },
      );
    });

    it("categoricalCrossEntropy, probabilities and logits", () => {
      fc.assert(
        fc.property(B, K, fc.boolean(), fc.integer(), (b, k, fromLogits, seed) => {
          const p = fromLogits ? randomTensor([b, k], seed, -6, 6) : randomTensor([b, k], seed, 0.02, 0.98);
          const t = randomTensor([b, k], seed + 1, 0, 1); // soft targets exercise Σt ≠ 1
          expectOk(
            gradCheck(getLoss({ name: "categoricalCrossEntropy", fromLogits }), { input: p, target: t, ...GRAD_TOL }),
          );
        }),
        { numRuns: RUNS },
      );
    });

    it("sparseCategoricalCrossEntropy, logits and probabilities", () => {
      fc.assert(
        fc.property(B, fc.integer({ min: 2, max: 6 }), fc.boolean(), fc.integer(), (b, k, fromLogits, seed) => {
          const p = fromLogits ? randomTensor([b, k], seed, -6, 6) : randomTensor([b, k], seed, 0.02, 0.98);
          const rng = new Rng(seed);
          const labels = Tensor.from(
            Array.from({ length: b }, () => rng.int(k)),
            { dtype: "float64" },
          );
          expectOk(
            gradCheck(getLoss({ name: "sparseCategoricalCrossEntropy", fromLogits }), {
              input: p,
              target: labels,
              ...GRAD_TOL,
            }),
          );
        }),
        { numRuns: RUNS },
      );
    });
  });

  it("whole models: random stacks of depth 1–4, every parameter", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ units: fc.integer({ min: 1, max: 6 }), activation: activationArb }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (specs, B, I, seed) => {
          const model = new Sequential({ inputShape: [I], dtype: "float64", seed });
          for (const s of specs) {
            model.add(new Dense({ ...s, biasInitializer: { name: "randomUniform", minval: -0.5, maxval: 0.5 } }));
          }
          const x = randomTensor([B, I], seed + 1, -2, 2);
          // Every kinked pre-activation must stay away from 0.
          let h = x;
          for (const layer of model.layers as Dense[]) {
            fc.pre(kinkDistance(layer.activation.toConfig(), preactivation(layer, h)) > KINK_MARGIN);
            h = layer.forward(h, "train").clone();
          }
          expectOk(gradCheck(model, { input: x, seed, ...GRAD_TOL }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a compiled model with its own loss and a target", async () => {
    const { SGD } = await import("../src/index.js");
    const model = new Sequential({ inputShape: [3], dtype: "float64", seed: 5 });
    model.add(new Dense({ units: 4, activation: "tanh" }));
    model.add(new Dense({ units: 3 }));
    model.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
    const x = randomTensor([5, 3], 9);
    const labels = Tensor.from([0, 2, 1, 1, 0], { dtype: "float64" });
    expectOk(gradCheck(model, { input: x, target: labels, ...GRAD_TOL }));
  });

  it("gradCheck catches a wrong gradient (it can fail)", () => {
    // A layer whose backward is off by a factor of 2 must be reported.
    class Wrong extends Activation {
      override backward(dy: Tensor): Tensor {
        const dx = super.backward(dy) as Tensor;
        for (let i = 0; i < dx.size; i++) dx.data[i] = 2 * (dx.data[i] as number);
        return dx;
      }
    }
    const layer = built(new Wrong({ activation: "tanh" }), [3], 1);
    const report = gradCheck(layer, { input: randomTensor([2, 3], 1), ...GRAD_TOL });
    expect(report.ok).toBe(false);
    expect(report.input.maxRelError).toBeGreaterThan(0.1);
  });
});
