/**
 * The optimizers' state and config surfaces: toConfig round-trips every
 * option of every optimizer, getState/setState copy and restore slots and
 * scalars (Nadam's running μ product), setState refuses what does not fit,
 * the lr option takes a number, a schedule or its config and nothing else,
 * and a step skips non-trainable parameters and applies weight decay only
 * where `decay` is set.
 */
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adam,
  AdamW,
  CosineDecay,
  Nadam,
  type Optimizer,
  optimizerFromConfig,
  type Param,
  RMSprop,
  SGD,
  Tensor,
} from "../src/index.js";

const param = (values: number[], decay = true, trainable = true): Param => ({
  name: "p",
  value: Tensor.from(values, { dtype: "float64" }),
  grad: Tensor.from(
    values.map((v) => 0.5 * v + 0.1),
    { dtype: "float64" },
  ),
  decay,
  trainable,
});

const all = (): Optimizer[] => [
  new SGD({ lr: 0.1, momentum: 0.8, dampening: 0.2, weightDecay: 0.01, clipNorm: 3, clipValue: 2 }),
  new SGD({ lr: 0.1, momentum: 0.5, nesterov: true }),
  new Adam({ lr: 0.01, beta1: 0.8, beta2: 0.9, epsilon: 1e-6, weightDecay: 0.1 }),
  new AdamW({ lr: 0.01, weightDecay: 0.2 }),
  new RMSprop({ lr: 0.01, alpha: 0.9, epsilon: 1e-7, momentum: 0.3, centered: true }),
  new Adagrad({ lr: 0.1, lrDecay: 0.01, epsilon: 1e-9, initialAccumulatorValue: 0.2 }),
  new Nadam({ lr: 0.01, beta1: 0.85, beta2: 0.95, epsilon: 1e-7, momentumDecay: 0.01 }),
  new Adam({ lr: new CosineDecay({ lr: 0.1, decaySteps: 10, warmupSteps: 2, alpha: 0.1 }) }),
];

describe("optimizer state and config", () => {
  it("toConfig → optimizerFromConfig rebuilds the same optimizer, taking the same steps", () => {
    for (const a of all()) {
      const cfg = a.toConfig();
      const b = optimizerFromConfig(cfg);
      expect(b.toConfig()).toEqual(cfg);
      const pa = [param([1, -2, 3])];
      const pb = [param([1, -2, 3])];
      for (let s = 0; s < 3; s++) {
        a.step(pa);
        b.step(pb);
      }
      expect(Array.from(pb[0]!.value.data), a.name).toEqual(Array.from(pa[0]!.value.data));
    }
  });

  it("getState/setState move every slot and scalar to a fresh optimizer, as copies", () => {
    for (const a of all()) {
      const p = [param([0.5, -1.5]), param([2])];
      a.step(p);
      a.step(p);
      const state = a.getState(p);
      expect(state.step).toBe(2);
      const b = optimizerFromConfig(a.toConfig());
      const q = p.map((x) => ({ ...x, value: x.value.clone(), grad: x.grad.clone() }));
      b.setState(q, state);
      // the saved arrays are copies: changing them does not reach b
      for (const list of Object.values(state.slots)) for (const arr of list) arr?.fill(99);
      a.step(p);
      b.step(q);
      expect(b.iterations).toBe(3);
      p.forEach((x, i) => {
        expect(Array.from(q[i]!.value.data), a.name).toEqual(Array.from(x.value.data));
      });
    }
    const n = new Nadam();
    const p = [param([1])];
    n.step(p);
    expect(n.getState(p).scalars).toEqual({ muProduct: expect.any(Number), muProductStep: 1 });
    expect(n.getState(p).scalars?.muProduct).not.toBe(1);
  });

  it("setState refuses a bad step, a wrong slot count and a wrong slot length", () => {
    const a = new Adam();
    const p = [param([1, 2])];
    a.step(p);
    const good = a.getState(p);
    expect(() => a.setState(p, { ...good, step: -1 })).toThrow(/Adam\.setState: step must be an integer >= 0, got -1/);
    expect(() => a.setState(p, { ...good, step: 1.5 })).toThrow(/step must be an integer/);
    expect(() => a.setState(p, { ...good, slots: { ...good.slots, m: [] } })).toThrow(
      /Adam\.setState: slot 'm' needs one entry per parameter \(1\)/,
    );
    expect(() => a.setState(p, { ...good, slots: { ...good.slots, v: [new Float64Array(3)] } })).toThrow(
      /Adam\.setState: slot 'v' of 'p' has 3 values, expected 2/,
    );
    // a null slot means "not stepped yet": the next step starts that parameter afresh
    a.setState(p, { step: 0, slots: { m: [null], v: [null] } });
    expect(a.getState(p).slots.m).toEqual([null]);
  });

  it("lr: a number >= 0, a schedule or a schedule's config; the lr setter replaces a schedule", () => {
    expect(new SGD({ lr: 0 }).lr).toBe(0);
    expect(() => new SGD({ lr: Number.POSITIVE_INFINITY })).toThrow(
      /SGD: lr must be a finite number >= 0 or a schedule/,
    );
    expect(() => new SGD({ lr: "0.1" as never })).toThrow(
      /SGD: lr must be a finite number >= 0 or a schedule, got "0.1"/,
    );
    expect(() => new SGD({ lr: null as never })).toThrow(/lr must be a finite number >= 0 or a schedule, got null/);
    const s = optimizerFromConfig({ name: "sgd", lr: { name: "stepDecay", lr: 0.4, stepSize: 1, gamma: 0.5 } });
    expect(s.lr).toBe(0.4);
    s.step([param([1])]);
    expect(s.lr).toBe(0.2);
    s.lr = 0.05;
    expect(s.toConfig().lr).toBe(0.05);
    expect(() => {
      s.lr = -1;
    }).toThrow(/SGD: lr must be a finite number >= 0; got -1/);
  });

  it("a step leaves non-trainable parameters alone and decays only parameters with decay set", () => {
    const sgd = new SGD({ lr: 0.1, weightDecay: 0.5 });
    const frozen = param([1, 2], true, false);
    const kernel = param([1]);
    const bias = param([1], false);
    sgd.step([frozen, kernel, bias]);
    expect(Array.from(frozen.value.data)).toEqual([1, 2]);
    expect(kernel.value.data[0]).toBeCloseTo(1 - 0.1 * (0.6 + 0.5 * 1), 15);
    expect(bias.value.data[0]).toBeCloseTo(1 - 0.1 * 0.6, 15);
    expect(new Adam().iterations).toBe(0);
  });
});
