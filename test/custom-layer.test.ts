/**
 * A layer written by a user — the `Scale` example of the Layer interface's
 * TSDoc, plus a variant with a parameter — trains in a model, saves, loads
 * with an explicit registry, and passes gradCheck. Loading without the
 * registry names the class and how to register it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BuildContext,
  Dense,
  deserialize,
  FormatError,
  gradCheck,
  type Layer,
  type LayerConfig,
  type LayerShapes,
  layerOptions,
  modelFromJSON,
  modelToJSON,
  OptionError,
  type Param,
  parseOptions,
  Sequential,
  SGD,
  serialize,
  Tensor,
  ValueError,
} from "../src/index.js";
import { load, save } from "../src/node.js";
import { GRAD_TOL, randomTensor } from "./helpers.js";

/** The TSDoc example, verbatim in behaviour: y = factor·x. */
class Scale implements Layer {
  readonly kind = "custom";
  name: string;
  readonly factor: number;
  outputShape: readonly number[] = [];
  constructor(opts: { factor: number; name?: string }) {
    this.factor = opts.factor;
    this.name = opts.name ?? "";
  }
  static fromConfig(cfg: LayerConfig) {
    return new Scale(layerOptions(cfg) as { factor: number; name?: string });
  }
  paramShapes(inputShape: readonly number[]) {
    return { output: [...inputShape], params: [] };
  }
  build(inputShape: readonly number[]) {
    this.outputShape = inputShape;
    return inputShape;
  }
  forward(x: Tensor) {
    const y = x.clone();
    for (let i = 0; i < y.size; i++) y.data[i] = (y.data[i] as number) * this.factor;
    return y;
  }
  backward(dy: Tensor) {
    const dx = dy.clone();
    for (let i = 0; i < dx.size; i++) dx.data[i] = (dx.data[i] as number) * this.factor;
    return dx;
  }
  params() {
    return [];
  }
  zeroGrad() {}
  toConfig() {
    return { kind: "custom", className: "Scale", name: this.name, factor: this.factor };
  }
}

/**
 * A per-feature learned gain with a checked option, the way a built-in layer
 * is written: y = g ⊙ x + shift, g: (D) trainable; dg += Σ_b dy ⊙ x; dx = dy ⊙ g.
 */
class Gain implements Layer {
  static readonly options = {
    name: { type: "string", maxLength: 200 },
    shift: { type: "number", min: -10, max: 10, default: 0 },
  } as const;
  static fromConfig(cfg: LayerConfig) {
    return new Gain(layerOptions(cfg));
  }
  readonly kind = "custom";
  name: string;
  readonly shift: number;
  outputShape: readonly number[] = [];
  gain: Param | null = null;
  private x: Tensor | null = null;
  constructor(opts: { name?: string; shift?: number } = {}) {
    const o = parseOptions("Gain", Gain.options, opts);
    this.name = o.name ?? "";
    this.shift = o.shift;
  }
  paramShapes(inputShape: readonly number[]): LayerShapes {
    return { output: [...inputShape], params: [[inputShape[0] as number]] };
  }
  build(inputShape: readonly number[], ctx: BuildContext) {
    const D = inputShape[0] as number;
    const value = new Tensor(ctx.backend.alloc(ctx.dtype, D), [D]);
    value.data.fill(1);
    this.gain = {
      name: `${this.name}/gain`,
      value,
      grad: new Tensor(ctx.backend.alloc(ctx.dtype, D), [D]),
      decay: false,
    };
    this.outputShape = inputShape;
    return inputShape;
  }
  forward(x: Tensor) {
    this.x = x;
    const g = (this.gain as Param).value.data;
    const D = g.length;
    const y = x.clone();
    for (let i = 0; i < y.size; i++) y.data[i] = (x.data[i] as number) * (g[i % D] as number) + this.shift;
    return y;
  }
  backward(dy: Tensor) {
    const x = this.x as Tensor;
    const p = this.gain as Param;
    const D = p.value.size;
    const dx = dy.clone();
    for (let i = 0; i < dy.size; i++) {
      p.grad.data[i % D] = (p.grad.data[i % D] as number) + (dy.data[i] as number) * (x.data[i] as number);
      dx.data[i] = (dy.data[i] as number) * (p.value.data[i % D] as number);
    }
    return dx;
  }
  params() {
    return this.gain ? [this.gain] : [];
  }
  zeroGrad() {
    this.gain?.grad.data.fill(0);
  }
  toConfig() {
    return { kind: "custom", className: "Gain", name: this.name, shift: this.shift };
  }
}

function model(): Sequential {
  const m = new Sequential({ inputShape: [3], dtype: "float64", seed: 4 });
  m.add(new Dense({ units: 4, activation: "tanh" }));
  m.add(new Scale({ factor: 2.5 }));
  m.add(new Gain({ shift: 0.25 }));
  m.add(new Dense({ units: 2 }));
  m.compile({ optimizer: new SGD({ lr: 0.1, momentum: 0.9 }), loss: "sparseCategoricalCrossEntropy" });
  return m;
}

const x = randomTensor([8, 3], 1);
const y = Tensor.from([0, 1, 1, 0, 1, 0, 0, 1], { dtype: "float64" });
const registry = { layers: { Scale, Gain } };

describe("a user-defined layer", () => {
  it("passes gradCheck alone and inside a model", () => {
    expect(gradCheck(new Scale({ factor: -1.5 }), { input: randomTensor([2, 3], 2), ...GRAD_TOL }).ok).toBe(true);
    const g = new Gain({ shift: 0.5 });
    g.build([3], { dtype: "float64", rng: model().rng, backend: model().backend });
    (g.gain as Param).value.data.set([0.5, -2, 1.5]);
    const report = gradCheck(g, { input: randomTensor([4, 3], 3), ...GRAD_TOL });
    expect(report.ok).toBe(true);
    expect(Object.keys(report.params)).toEqual(["/gain"]);
    expect(gradCheck(model(), { input: randomTensor([3, 3], 4), ...GRAD_TOL }).ok).toBe(true);
  });

  it("gradCheck builds a layer whose params() before build has holes or throws, and names a broken params() after it", () => {
    // the common way to write it: `params() { return [this.gain as Param]; }`, undefined until build
    class Holey extends Gain {
      override params() {
        return [this.gain as Param];
      }
    }
    expect(gradCheck(new Holey(), { input: randomTensor([4, 3], 3), ...GRAD_TOL }).ok).toBe(true);
    class Throws extends Gain {
      override params() {
        if (this.gain === null) throw new Error("not built");
        return [this.gain];
      }
    }
    expect(gradCheck(new Throws(), { input: randomTensor([4, 3], 3), ...GRAD_TOL }).ok).toBe(true);
    class Broken extends Gain {
      override params() {
        return [undefined as unknown as Param];
      }
    }
    expect(() => gradCheck(new Broken({ name: "b" }), { input: randomTensor([4, 3], 3) })).toThrow(
      new ValueError(
        "gradCheck: layer 'b': params()[0] is undefined after build; expected a Param { name, value, grad }",
      ),
    );
  });

  it("trains, saves and loads (binary, JSON and file) with its class passed to the loader", async () => {
    const m = model();
    await m.fit(x, y, { epochs: 3, batchSize: 4 });
    const want = Array.from(m.predict(x).data);
    const fromBytes = deserialize(serialize(m), registry).model;
    const fromJson = modelFromJSON(JSON.parse(JSON.stringify(modelToJSON(m))), registry).model;
    const path = join(mkdtempSync(join(tmpdir(), "tinymlp-custom-")), "m.tmlp");
    save(m, path);
    const fromFile = load(path, registry);
    for (const copy of [fromBytes, fromJson, fromFile]) {
      expect(copy.layers.map((l) => l.toConfig())).toEqual(m.layers.map((l) => l.toConfig()));
      expect(Array.from(copy.predict(x).data)).toEqual(want);
    }
    // the optimizer state came along: one more step moves both alike
    await m.fit(x, y, { epochs: 1, batchSize: 8 });
    await fromBytes.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(Array.from(fromBytes.predict(x).data)).toEqual(Array.from(m.predict(x).data));
  });

  it("loading without the registry names the class and how to register it", () => {
    const bytes = serialize(model());
    expect(() => deserialize(bytes)).toThrow(FormatError);
    expect(() => deserialize(bytes)).toThrow(
      /model\.layers\[1\]: custom layer class 'Scale' is not registered; pass it when loading: load\(path, \{ layers: \{ Scale \} \}\)/,
    );
    expect(() => deserialize(bytes, { layers: { Scale } })).toThrow(/custom layer class 'Gain' is not registered/);
  });

  it("a class that breaks its own contract on load is named, with what it did", () => {
    const m = model();
    const bytes = serialize(m);
    const gain = m.layers[2]?.name as string; // weights: Dense W, b (0, 1), Gain's gain (2), Dense W, b (3, 4)
    const swap = (G: typeof Gain) => ({ layers: { Scale, Gain: G } });
    // build() makes a parameter other than the one paramShapes() declared: its name, its size, its rank
    // (each subclass has its own fromConfig: Gain's builds a Gain)
    const made = (name: string, shape: number[]) =>
      class Made extends Gain {
        static override fromConfig(cfg: LayerConfig) {
          return new Made(layerOptions(cfg));
        }
        override build(inputShape: readonly number[], ctx: BuildContext) {
          const out = super.build(inputShape, ctx);
          const n = shape.reduce((a, b) => a * b, 1);
          this.gain = {
            ...(this.gain as Param),
            name: `${this.name}${name}`,
            value: new Tensor(ctx.backend.alloc(ctx.dtype, n), shape),
          };
          return out;
        }
      };
    for (const [name, shape, shown] of [
      ["/g", [4], "4"],
      ["/gain", [5], "5"],
      ["/gain", [4, 1], "4×1"],
    ] as const) {
      expect(() => deserialize(bytes, swap(made(name, [...shape])))).toThrow(
        new FormatError(
          `weights[2]: '${gain}/gain' (4) does not match the layers' parameter '${gain}${name}' (${shown})`,
        ),
      );
    }
    // params() lists one parameter more than paramShapes() declared
    class Twice extends Gain {
      static override fromConfig(cfg: LayerConfig) {
        return new Twice(layerOptions(cfg));
      }
      override params() {
        return this.gain ? [this.gain, this.gain] : [];
      }
    }
    expect(() => deserialize(bytes, swap(Twice))).toThrow(
      new FormatError("weights: the layers have 6 parameters, the header lists 5"),
    );
    // build() refuses the shape it is given: the error keeps the layer's place in the file
    class Refuses extends Gain {
      static override fromConfig(cfg: LayerConfig) {
        return new Refuses(layerOptions(cfg));
      }
      override build(): readonly number[] {
        throw new Error("Gain: this input is not for me");
      }
    }
    expect(() => deserialize(bytes, swap(Refuses))).toThrow(
      new FormatError("model.layers[2]: Gain: this input is not for me"),
    );
    // fromConfig() itself throws a plain Error (not an option error): its message, at the layer's place
    class Throws extends Gain {
      static override fromConfig(): Gain {
        throw new TypeError("Gain: config is from another version");
      }
    }
    expect(() => deserialize(bytes, swap(Throws))).toThrow(
      new FormatError("model.layers[2]: Gain: config is from another version"),
    );
    // fromConfig() returns something that is not a layer (nothing, or a plain object)
    for (const wrong of [null, {}]) {
      class NotALayer extends Gain {
        static override fromConfig() {
          return wrong as unknown as Gain;
        }
      }
      expect(() => deserialize(bytes, swap(NotALayer))).toThrow(
        new FormatError("model.layers[2]: the class's fromConfig did not return a layer"),
      );
    }
  });

  it("its own option checks apply on load, naming the layer and the option", () => {
    const doc = modelToJSON(model());
    (doc.model.layers[2] as Record<string, unknown>).shift = 99;
    expect(() => modelFromJSON(doc, registry)).toThrow(
      /model\.layers\[2\]\.shift: must be a finite number in \[-10, 10\], got 99/,
    );
    (doc.model.layers[2] as Record<string, unknown>).shift = 0;
    (doc.model.layers[2] as Record<string, unknown>).shfit = 1;
    expect(() => modelFromJSON(doc, registry)).toThrow(
      /model\.layers\[2\]\.shfit: not an option \(did you mean 'shift'\?\)/,
    );
    expect(() => new Gain({ shift: 11 })).toThrow(OptionError);
  });
});
