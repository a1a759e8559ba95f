/**
 * One run at a time, and poisoned weights refused (src/train/state.ts).
 */
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  BatchNormalization,
  Dense,
  ExponentialDecay,
  ModelBusyError,
  NonFiniteParamError,
  Sequential,
  SGD,
  serialize,
  Tensor,
  UnusableWeightsError,
  ValueError,
} from "../src/index.js";

const x = Tensor.from(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i), (i % 7) / 7 - 0.5]));
const y = Tensor.from(Array.from({ length: 64 }, (_, i) => [Math.sin(i) > 0 ? 1 : 0]));

function model(backend: "js" | "wasm", lr = 0.1): Sequential {
  const m = new Sequential({ inputShape: [3], seed: 5, backend });
  m.add(new Dense({ units: 8, activation: "tanh" }));
  m.add(new Dense({ units: 1 }));
  m.compile({ optimizer: new SGD({ lr, momentum: 0.9 }), loss: "meanSquaredError" });
  return m;
}

const bits = (m: Sequential): number[][] => m.params().map((p) => Array.from(p.value.data));

describe.each(["js", "wasm"] as const)("one run at a time (%s)", (backend) => {
  it("a second fit while one runs is refused, typed and naming the model; the first run ends as if alone", async () => {
    const alone = model(backend);
    const h0 = await alone.fit(x, y, { epochs: 3, batchSize: 8, yieldEvery: 0 });
    const m = model(backend);
    let second: unknown = null;
    let onBatch: unknown = null;
    const first = m.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      yieldEvery: 0, // yield after every batch: the second call lands mid-run
      onBatchEnd: (b) => {
        if (b === 2 && onBatch === null) onBatch = catchSync(() => m.trainOnBatch(x, y));
      },
    });
    await new Promise((r) => setImmediate(r));
    second = await m.fit(x, y, { epochs: 1 }).catch((e: unknown) => e);
    const h = await first;
    expect(second).toBeInstanceOf(ModelBusyError);
    expect((second as Error).message).toBe(
      "fit: Sequential (3 → 8 → 1) is already training (fit is running on it); await it first, or train a second model",
    );
    expect(onBatch).toBeInstanceOf(ModelBusyError);
    expect((onBatch as Error).message).toMatch(/^trainOnBatch: Sequential \(3 → 8 → 1\) is already training/);
    expect(h.history).toEqual(h0.history);
    expect(bits(m)).toEqual(bits(alone));
    // the slot is free again: the same model trains on
    await m.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(m.trainOnBatch(x, y)).toBeGreaterThan(0);
  });

  it("a run that ends in an error gives the slot back", async () => {
    const m = model(backend);
    await expect(
      m.fit(x, y, {
        epochs: 1,
        callbacks: [
          {
            onEpochBegin: () => {
              throw new Error("boom");
            },
          },
        ],
      }),
    ).rejects.toThrow("boom");
    await expect(m.fit(x, y, { epochs: 1 })).resolves.toBeDefined();
  });

  it("after NonFiniteParamError the model refuses predict, evaluate, fit, trainOnBatch and save until setWeights", async () => {
    const m = new Sequential({ inputShape: [3], seed: 5, backend });
    m.add(new Dense({ units: 2 }));
    m.compile({ optimizer: new SGD({ lr: 1e6 }), loss: "meanSquaredError" });
    const good = m.getWeights();
    const big = Tensor.from(Array.from({ length: 64 }, () => [1e33, -1e33]));
    const err = await m.fit(x, big, { epochs: 2, batchSize: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteParamError);
    const refused = [
      () => m.predict(x),
      () => m.predictProba(x),
      () => m.evaluate(x, big),
      () => m.trainOnBatch(x, big),
      () => m.trainStep(x, big),
      () => serialize(m),
    ];
    for (const call of refused) {
      const e = catchSync(call);
      expect(e).toBeInstanceOf(UnusableWeightsError);
      expect((e as UnusableWeightsError).cause).toBe(err);
      expect((e as Error).message).toMatch(
        /: the weights of Sequential \(3 → 2\) are not usable: parameter 'dense_1\/(kernel|bias)' became -?Infinity \(element \d\) at epoch 1, batch 1; load the last checkpoint again, or replace the weights with model\.setWeights/,
      );
    }
    await expect(m.fit(x, big, { epochs: 1 })).rejects.toBeInstanceOf(UnusableWeightsError);
    // a refused setWeights leaves the model refused and its weights as they were
    const poisoned = bits(m);
    expect(() => m.setWeights([good[0] as Float32Array])).toThrow(ValueError);
    expect(() => m.setWeights([good[0] as Float32Array, new Float32Array(3)])).toThrow(
      "setWeights: 'dense_1/bias' has 2 values, got 3",
    );
    expect(() => m.setWeights([good[0] as Float32Array, Float32Array.from([0, Number.NaN])])).toThrow(
      "setWeights: 'dense_1/bias' element 1 is NaN",
    );
    expect(bits(m)).toEqual(poisoned);
    expect(catchSync(() => m.predict(x))).toBeInstanceOf(UnusableWeightsError);
    m.setWeights(good);
    expect(bits(m)).toEqual(good.map((a) => Array.from(a)));
    expect(m.predict(x).data.every(Number.isFinite)).toBe(true);
  });
});

describe("a step refused half-way", () => {
  it("a running statistic the forward pass made Infinity is reported before the schedule's refusal, and poisons the weights", async () => {
    // found by the round-trip property (fast-check seed -1965562537): the
    // forward pass updates BatchNormalization's moving variance, then the
    // optimizer refuses the schedule's rate (1e-19 · 6.7e171^t overflows at
    // step 2); the Infinity it left behind must not pass unnoticed
    const m = new Sequential({ inputShape: [1], dtype: "float64", seed: 0 });
    m.add(new BatchNormalization());
    m.add(new BatchNormalization());
    m.add(new Dense({ units: 2, kernelInitializer: "zeros", kernelConstraint: { maxNorm: 6.46e-321 } }));
    m.compile({
      optimizer: new Adagrad({
        lr: new ExponentialDecay({ lr: 9.966123383067727e-19, decayRate: 6.743873732264075e171 }),
        epsilon: 5e-324,
      }),
      loss: { name: "sparseCategoricalCrossEntropy", fromLogits: true },
    });
    const xs = Tensor.from(
      Array.from({ length: 8 }, (_, i) => [Math.sin(3 * i)]),
      { dtype: "float64" },
    );
    const ys = Tensor.from(
      Array.from({ length: 8 }, (_, i) => i % 2),
      { dtype: "float64" },
    );
    const err = await m.fit(xs, ys, { epochs: 2, batchSize: 4, onDivergence: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteParamError);
    expect((err as Error).message).toMatch(/^fit: parameter 'batchNormalization_2\/movingVariance' became Infinity/);
    expect(catchSync(() => serialize(m))).toBeInstanceOf(UnusableWeightsError);
  });
});

function catchSync(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}
