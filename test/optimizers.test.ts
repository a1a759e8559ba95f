/**
 * Exact optimizer steps against test/reference/optimizers.json, produced by
 * test/reference/optimizers.py: an independent Python implementation of the
 * update rules in PyTorch's documentation for torch.optim.SGD, Adam, AdamW,
 * RMSprop, Adagrad, NAdam and clip_grad_norm_.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adam,
  AdamW,
  ExponentialDecay,
  Nadam,
  type Optimizer,
  type OptimizerName,
  optimizerFromConfig,
  type Param,
  RMSprop,
  SGD,
  Tensor,
  ValueError,
} from "../src/index.js";

interface Ref {
  theta0: Record<string, number[]>;
  grads: Record<string, number[]>[];
  decay: Record<string, boolean>;
  cases: { optimizer: OptimizerName; options: Record<string, number | boolean>; steps: Record<string, number[]>[] }[];
}
const ref = JSON.parse(readFileSync(new URL("./reference/optimizers.json", import.meta.url), "utf8")) as Ref;

function makeParams(): Param[] {
  return Object.entries(ref.theta0).map(([name, v]) => ({
    name,
    value: Tensor.from(v, { dtype: "float64" }),
    grad: Tensor.zeros([v.length], "float64"),
    decay: ref.decay[name] as boolean,
  }));
}

describe("optimizers follow PyTorch's update rules exactly (float64)", () => {
  for (const c of ref.cases) {
    it(`${c.optimizer} ${JSON.stringify(c.options)}`, () => {
      const params = makeParams();
      const opt: Optimizer = optimizerFromConfig({ name: c.optimizer, ...c.options });
      c.steps.forEach((expected, t) => {
        for (const p of params) p.grad.data.set(ref.grads[t]?.[p.name] as number[]);
        opt.step(params);
        for (const p of params) {
          const want = expected[p.name] as number[];
          // Same formulas in the same order in double precision: agreement to a
          // few ulps (1e-15 relative) is expected; 1e-13 allows for a reordered sum.
          want.forEach((w, i) => {
            expect(Math.abs((p.value.data[i] as number) - w)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(w)));
          });
        }
      });
    });
  }

  it("every optimizer solves the same small least-squares problem", () => {
    // minimise ½‖Aθ − b‖² for a well-conditioned 3×3 A; solution θ* = A⁻¹b = (1, −2, 0.5)
    const A = [
      [2, 0.5, 0],
      [0.5, 1.5, 0.2],
      [0, 0.2, 1],
    ];
    const star = [1, -2, 0.5];
    const b = A.map((row) => row.reduce((s, a, j) => s + a * (star[j] as number), 0));
    const configs: [string, () => Optimizer, number][] = [
      ["sgd", () => new SGD({ lr: 0.1 }), 500],
      ["sgd momentum", () => new SGD({ lr: 0.05, momentum: 0.9 }), 500],
      ["sgd nesterov", () => new SGD({ lr: 0.05, momentum: 0.9, nesterov: true }), 500],
      ["adam", () => new Adam({ lr: 0.05 }), 2000],
      ["adamw", () => new AdamW({ lr: 0.05, weightDecay: 0 }), 2000],
      // RMSprop's steps stay ~lr in size near the optimum: decay the rate (tests schedules too)
      ["rmsprop", () => new RMSprop({ lr: new ExponentialDecay({ lr: 0.01, decayRate: 0.5, decaySteps: 300 }) }), 3000],
      [
        "rmsprop centered momentum",
        () =>
          new RMSprop({
            lr: new ExponentialDecay({ lr: 0.005, decayRate: 0.5, decaySteps: 300 }),
            momentum: 0.5,
            centered: true,
          }),
        3000,
      ],
      ["adagrad", () => new Adagrad({ lr: 0.5 }), 2000],
      ["nadam", () => new Nadam({ lr: 0.05 }), 2000],
      ["sgd clipped", () => new SGD({ lr: 0.1, clipNorm: 1 }), 1000],
    ];
    for (const [name, make, steps] of configs) {
      const p: Param = {
        name: "theta",
        value: Tensor.zeros([3], "float64"),
        grad: Tensor.zeros([3], "float64"),
        decay: false,
      };
      const opt = make();
      for (let s = 0; s < steps; s++) {
        const th = p.value.data;
        const r = A.map((row, i) => row.reduce((acc, a, j) => acc + a * (th[j] as number), 0) - (b[i] as number));
        for (let j = 0; j < 3; j++)
          p.grad.data[j] = A.reduce((acc, row, i) => acc + (row[j] as number) * (r[i] as number), 0);
        opt.step([p]);
      }
      const err = Math.max(...star.map((s, j) => Math.abs((p.value.data[j] as number) - s)));
      expect(err, name).toBeLessThan(1e-3);
    }
  });

  it("rejects bad hyper-parameters with a clear error", () => {
    expect(() => new SGD({ lr: -0.1 })).toThrow(ValueError);
    expect(() => new SGD({ lr: -0.1 })).toThrow(/SGD: lr must be a finite number >= 0 or a schedule, got -0.1/);
    expect(() => new SGD({ lr: Number.NaN })).toThrow(/got NaN/);
    expect(() => new SGD({ momentum: 1 })).toThrow(/momentum must be a finite number in \[0, 1\)/);
    expect(() => new SGD({ nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new Adam({ beta1: 1 })).toThrow(/beta1 must be a finite number in \[0, 1\)/);
    expect(() => new Adam({ epsilon: 0 })).toThrow(/epsilon must be a finite number > 0/);
    expect(() => new Adam({ lr: -1 })).toThrow(/Adam: lr must be a finite number >= 0 or a schedule, got -1/);
    expect(() => new SGD({ clipNorm: 0 })).toThrow(/clipNorm must be a finite number > 0/);
    expect(() => new RMSprop({ alpha: 1 })).toThrow(/alpha must be a finite number in \[0, 1\)/);
    expect(() => new Adagrad({ lrDecay: -1 })).toThrow(/lrDecay must be/);
    expect(() => optimizerFromConfig({ name: "lion" as "sgd" })).toThrow(/unknown optimizer 'lion'/);
  });
});
