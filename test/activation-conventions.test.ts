/**
 * What the gradient properties cannot see: the derivative chosen at a kink
 * (x = 0 exactly, where finite differences straddle it), the exact limits of
 * erf, the activations' configs and direct-constructor checks, and that the
 * loops touch exactly rows·cols elements of larger buffers.
 */
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, Elu, LeakyRelu, Silu } from "../src/activations.js";
import { type ActivationName, erf, getActivation } from "../src/index.js";

const SELU_ALPHA = 1.6732632423543772; // Klambauer et al. 2017
const SELU_SCALE = 1.0507009873554805;

function at(name: ActivationName | { name: ActivationName; alpha: number }, x: number[]) {
  const f = getActivation(name);
  const xs = Float64Array.from(x);
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  f.forward(xs, y, 1, x.length);
  f.backward(xs, y, new Float64Array(x.length).fill(1), dx, 1, x.length);
  return { y: Array.from(y), dx: Array.from(dx) };
}

describe("activations at their kinks and limits", () => {
  it("at x = 0 the derivative is the left one for ReLU-like functions", () => {
    expect(at("relu", [0, -1, 2])).toEqual({ y: [0, 0, 2], dx: [0, 0, 1] });
    expect(at({ name: "leakyRelu", alpha: 0.1 }, [0, -2, 3])).toEqual({ y: [0, -0.2, 3], dx: [0.1, 0.1, 1] });
    expect(at({ name: "elu", alpha: 0.5 }, [0, 2])).toEqual({ y: [0, 2], dx: [0.5, 1] });
    const selu = at("selu", [0, 1]);
    expect(selu.y).toEqual([0, SELU_SCALE]);
    expect(selu.dx).toEqual([SELU_SCALE * SELU_ALPHA, SELU_SCALE]);
  });

  it("erf is exactly ±1 beyond |x| = 6 and odd around its series/continued-fraction switch at 2.5", () => {
    expect([erf(6.5), erf(-7), erf(40)]).toEqual([1, -1, 1]);
    for (const x of [2.4999, 2.5, 2.5001, 3, 5.9]) {
      expect(erf(-x)).toBe(-erf(x));
      expect(erf(x)).toBeGreaterThan(0.999);
      expect(erf(x)).toBeLessThanOrEqual(1);
    }
    // erf(2.5) = 0.999593047982555 (Abramowitz & Stegun table 7.1)
    expect(erf(2.5)).toBeCloseTo(0.999593047982555, 13);
    expect(erf(2.4999)).toBeLessThan(erf(2.5001));
  });

  it("loops write rows·cols elements and no more (buffers may be larger)", () => {
    for (const name of [
      "relu",
      "leakyRelu",
      "elu",
      "selu",
      "linear",
      "sigmoid",
      "tanh",
      "gelu",
      "softplus",
      "silu",
      "hardSigmoid",
    ] as const) {
      const f = getActivation(name);
      const x = Float64Array.from([1, -1, 0.5, 9, 9]);
      const y = new Float64Array(5).fill(7);
      f.forward(x, y, 1, 3);
      expect([y[3], y[4]], `${name} forward`).toEqual([7, 7]);
      const dx = new Float64Array(5).fill(7);
      f.backward(x, y, Float64Array.from([1, 1, 1, 5, 5]), dx, 1, 3);
      expect([dx[3], dx[4]], `${name} backward`).toEqual([7, 7]);
    }
  });

  it("hardSigmoid: 0.2·x + 0.5 clipped, slope 0.2 between its kinks at ±2.5 and 0 beyond; logSoftmax: log of softmax", () => {
    const hs = getActivation("hardSigmoid");
    const x = Float64Array.from([-3, -2.5, -1, 0, 1, 2.5, 3]);
    const y = new Float64Array(7);
    hs.forward(x, y, 1, 7);
    expect(Array.from(y)).toEqual([0, 0, 0.3, 0.5, 0.7, 1, 1]);
    const dx = new Float64Array(7);
    hs.backward(x, y, new Float64Array(7).fill(1), dx, 1, 7);
    expect(Array.from(dx)).toEqual([0, 0, 0.2, 0.2, 0.2, 0, 0]); // 0 at the kinks, as ReLU's at 0
    expect(getActivation({ name: "hardSigmoid", alpha: 1 / 6, beta: 0.5 }).toConfig()).toEqual({
      name: "hardSigmoid",
      alpha: 1 / 6,
      beta: 0.5,
    });
    // logSoftmax of (0, ln 3): softmax is (1/4, 3/4), so (−ln 4, ln 3 − ln 4); 1000 more on one side stays finite
    const ls = getActivation("logSoftmax");
    const z = new Float64Array(4);
    ls.forward(Float64Array.from([0, Math.log(3), 1000, 0]), z, 2, 2);
    expect(z[0]).toBeCloseTo(-Math.log(4), 15);
    expect(z[1]).toBeCloseTo(Math.log(3) - Math.log(4), 15);
    expect([z[2], z[3]]).toEqual([0, -1000]);
  });

  it("configs carry alpha where there is one; direct constructors check it", () => {
    expect(getActivation({ name: "leakyRelu", alpha: 0.2 }).toConfig()).toEqual({ name: "leakyRelu", alpha: 0.2 });
    expect(getActivation({ name: "elu", alpha: 0.7 }).toConfig()).toEqual({ name: "elu", alpha: 0.7 });
    expect(getActivation("softmax").toConfig()).toEqual({ name: "softmax" });
    expect(getActivation("swish").toConfig()).toEqual({ name: "swish" });
    // Every registered name builds a function that saves under that same name.
    for (const name of ACTIVATION_NAMES) expect(getActivation(name).toConfig().name, name).toBe(name);
    expect(new Silu().toConfig()).toEqual({ name: "silu" });
    expect(new LeakyRelu().alpha).toBe(0.01);
    expect(new Elu().alpha).toBe(1);
    expect(() => new LeakyRelu(-0.1)).toThrow(/leakyRelu: alpha must be a finite number >= 0/);
    expect(() => new Elu(-1)).toThrow(/elu: alpha must be a finite number >= 0/);
    expect(new LeakyRelu(0).alpha).toBe(0);
    expect(() => getActivation({ name: "relu", alpha: 1 } as never)).toThrow(/relu: alpha is not an option/);
    expect(() => getActivation({ name: "silu", alpha: 1 } as never)).toThrow(
      /^silu: alpha is not an option; known: none$/,
    );
    expect(new Elu(0).alpha).toBe(0); // the bound is inclusive: α = 0 is ReLU's shape with ELU's name
  });

  it("getActivation: none is linear, an instance passes through, anything else is named in the error", () => {
    expect(getActivation(undefined).toConfig()).toEqual({ name: "linear" });
    const mine = new LeakyRelu(0.3); // any object with forward/backward/toConfig, used as it is
    expect(getActivation(mine)).toBe(mine);
    expect(() => getActivation("nope" as never)).toThrow(
      "activation: unknown activation 'nope'; known: linear, relu, leakyRelu, elu, selu, gelu, geluTanh, sigmoid, tanh, softplus, silu, swish, hardSigmoid, softmax, logSoftmax",
    );
    for (const bad of [null, 5, { forwrd: 1 }])
      expect(() => getActivation(bad as never), String(bad)).toThrow(/^activation: /);
  });
});
