/**
 * The optimizers' small clauses that the trajectory tests pass over: each
 * class's name in its errors, the rate checked at construction and at every
 * step, clipping skipping frozen parameters, which slots exist (none for a
 * momentum of 0), setState with never-stepped parameters, Nadam's μ-product
 * surviving getState/setState, and the config keys. Written where a mutation
 * run (docs/testing.md) found each one unpinned.
 */
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adam,
  AdamW,
  clipByGlobalNorm,
  clipByValue,
  Nadam,
  type Optimizer,
  optimizerFromConfig,
  type Param,
  RMSprop,
  SGD,
  Tensor,
} from "../src/index.js";

const param = (values: number[], grad: number[], trainable = true): Param => ({
  name: "p",
  value: new Tensor(Float64Array.from(values), [values.length]),
  grad: new Tensor(Float64Array.from(grad), [grad.length]),
  decay: true,
  trainable,
});

describe("errors name the optimizer", () => {
  const classes: [string, (o: object) => Optimizer][] = [
    ["SGD", (o) => new SGD(o)],
    ["Adam", (o) => new Adam(o)],
    ["AdamW", (o) => new AdamW(o)],
    ["RMSprop", (o) => new RMSprop(o)],
    ["Adagrad", (o) => new Adagrad(o)],
    ["Nadam", (o) => new Nadam(o)],
  ];
  for (const [name, make] of classes) {
    it(`${name}: a bad rate or key at construction, and a bad rate at a step`, () => {
      expect(() => make({ lr: -1 })).toThrow(
        new RegExp(`^${name}: lr must be a finite number >= 0 or a schedule, got -1$`),
      );
      expect(() => make({ lr: "fast" })).toThrow(
        new RegExp(`^${name}: lr must be a finite number >= 0 or a schedule, got "fast"$`),
      );
      expect(() => make({ foo: 1 })).toThrow(new RegExp(`^${name}: foo is not an option; known: lr, `));
      const opt = make({ lr: 0.1 });
      for (const bad of [-1, Number.POSITIVE_INFINITY, Number.NaN, "0.1"]) {
        expect(() => {
          (opt as { lr: unknown }).lr = bad;
        }).toThrow(new RegExp(`^${name}: lr must be a finite number >= 0; got ${bad}$`));
      }
      // a schedule is checked at every step: it may give anything
      for (const bad of [-1, Number.POSITIVE_INFINITY, Number.NaN, "0.1"]) {
        const schedule = { name: "constant", rateAt: () => bad, toConfig: () => ({ name: "constant" }) };
        const scheduled = make({ lr: schedule });
        expect(() => scheduled.step([param([1, 2], [0.5, -0.5])])).toThrow(
          new RegExp(`^${name}: lr must be a finite number >= 0; schedule 'constant' gave lr ${bad} at step 0$`),
        );
      }
    });
  }

  it("SGD: Nesterov needs momentum and no dampening", () => {
    expect(() => new SGD({ nesterov: true })).toThrow(/^SGD: nesterov needs momentum > 0 and dampening 0$/);
    expect(() => new SGD({ nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(
      /^SGD: nesterov needs momentum > 0 and dampening 0$/,
    );
    expect(() => new SGD({ nesterov: true, momentum: 0.9 })).not.toThrow();
  });
});

describe("clipping skips frozen parameters", () => {
  it("clipByGlobalNorm: the norm and the scaling are over trainable gradients only", () => {
    const a = param([0, 0], [3, 4]); // ‖g‖ = 5
    const frozen = param([0], [1000], false);
    const norm = clipByGlobalNorm([a, frozen], 1);
    expect(norm).toBe(5);
    const coef = 1 / (5 + 1e-6);
    expect(Array.from(a.grad.data)).toEqual([3 * coef, 4 * coef]);
    expect(Array.from(frozen.grad.data)).toEqual([1000]);
    // under the bound nothing changes
    const b = param([0, 0], [0.3, 0.4]);
    expect(clipByGlobalNorm([b], 1)).toBeCloseTo(0.5, 15);
    expect(Array.from(b.grad.data)).toEqual([0.3, 0.4]);
  });

  it("clipByValue: frozen gradients keep their values", () => {
    const a = param([0, 0, 0], [-3, 0.2, 3]);
    const frozen = param([0], [1000], false);
    clipByValue([a, frozen], 0.5);
    expect(Array.from(a.grad.data)).toEqual([-0.5, 0.2, 0.5]);
    expect(Array.from(frozen.grad.data)).toEqual([1000]);
  });
});

describe("slots and state", () => {
  it("a momentum of 0 keeps no momentum slot (SGD, RMSprop); a momentum > 0 does", () => {
    const p = param([1, 2], [0.5, -0.5]);
    for (const [opt, slot] of [
      [new SGD({ lr: 0.1 }), "momentum"],
      [new RMSprop({ lr: 0.1 }), "momentum"],
    ] as const) {
      opt.step([p]);
      expect(opt.getState([p]).slots[slot]).toEqual([null]);
    }
    for (const [opt, slot] of [
      [new SGD({ lr: 0.1, momentum: 0.9 }), "momentum"],
      [new RMSprop({ lr: 0.1, momentum: 0.9 }), "momentum"],
    ] as const) {
      opt.step([p]);
      expect(opt.getState([p]).slots[slot]?.[0]).toHaveLength(2);
    }
  });

  it("getState of an optimizer without scalars has an empty scalars object", () => {
    expect(new SGD({ lr: 0.1 }).getState([]).scalars).toEqual({});
  });

  it("setState takes null for a parameter that was never stepped", () => {
    const stepped = param([1, 2], [0.5, -0.5]);
    const fresh = param([3], [1]);
    const a = new Adam({ lr: 0.1 });
    a.step([stepped]);
    const state = a.getState([stepped, fresh]);
    expect(state.slots.m?.[1]).toBeNull();
    const b = new Adam({ lr: 0.1 });
    b.setState([stepped, fresh], state);
    expect(b.getState([stepped, fresh])).toEqual(state);
  });

  it("Nadam's μ-product survives getState/setState: the next steps match an unbroken run", () => {
    const run = (split: boolean): number[] => {
      const p = param([1, -2, 0.5], [0.3, -0.1, 0.2]);
      let opt = new Nadam({ lr: 0.05 });
      for (let s = 0; s < 6; s++) {
        if (split && s === 3) {
          const state = opt.getState([p]);
          expect(state.scalars?.muProductStep).toBeGreaterThan(0);
          opt = new Nadam({ lr: 0.05 });
          opt.setState([p], state);
        }
        opt.step([p]);
      }
      return Array.from(p.value.data);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("config", () => {
  it("carries clipNorm and clipValue when set, and rebuilds the same optimizer", () => {
    const cfg = new RMSprop({ lr: 0.1, clipNorm: 2, clipValue: 3 }).toConfig();
    expect(cfg).toMatchObject({ clipNorm: 2, clipValue: 3 });
    expect(optimizerFromConfig(cfg).toConfig()).toEqual(cfg);
    expect(new RMSprop({ lr: 0.1 }).toConfig()).not.toHaveProperty("clipNorm");
    expect(new RMSprop({ lr: 0.1 }).toConfig()).not.toHaveProperty("clipValue");
  });
});
