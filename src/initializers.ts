/**
 * Weight initializers. Each fills a typed array for a weight of the given
 * fan-in / fan-out from a seeded {@link Rng}. Formulas follow Keras (and so
 * Glorot & Bengio 2010, He et al. 2015, LeCun 1998).
 */
import { checkNumber, ValueError } from "./errors.js";
import { byName, type NamedFactory, named, schemasOf } from "./options.js";
import type { Rng } from "./rng.js";
import type { FloatArray } from "./tensor.js";

/** The built-in initializer names (a closed set). */
export type InitializerName =
  | "zeros"
  | "ones"
  | "constant"
  | "randomUniform"
  | "randomNormal"
  | "truncatedNormal"
  | "glorotUniform"
  | "glorotNormal"
  | "heUniform"
  | "heNormal"
  | "lecunUniform"
  | "lecunNormal"
  | "orthogonal";

/** Serializable description of an initializer and its options. */
export interface InitializerConfig {
  /** The initializer's name. */
  name: InitializerName;
  /** `constant`'s value. */
  value?: number;
  /** `randomUniform`'s lower bound (default -0.05). */
  minval?: number;
  /** `randomUniform`'s upper bound (default 0.05). */
  maxval?: number;
  /** `randomNormal`/`truncatedNormal` mean (default 0). */
  mean?: number;
  /** `randomNormal`/`truncatedNormal` standard deviation (default 0.05). */
  stddev?: number;
  /** `orthogonal`'s multiplicative gain (default 1). */
  gain?: number;
}

/** What an initializer needs to know about the weight it fills. */
export interface FanInfo {
  /** Inputs per unit (rows of a Dense kernel). */
  fanIn: number;
  /** Outputs (columns of a Dense kernel). */
  fanOut: number;
}

/**
 * Fills a weight array. `out` is row-major (fanIn, fanOut) for a Dense kernel,
 * or a flat vector (fanIn = fanOut = length) for a bias.
 *
 * @example
 * ```ts
 * const w = new Float32Array(784 * 256);
 * getInitializer("heNormal").init(w, { fanIn: 784, fanOut: 256 }, new Rng(1));
 * ```
 */
export interface Initializer {
  /** The serializable form. */
  toConfig(): InitializerConfig;
  /** Fills `out` in place. */
  init(out: FloatArray, fan: FanInfo, rng: Rng): void;
}

/** Every element = value. */
export class Constant implements Initializer {
  constructor(
    /** The fill value. */
    readonly value = 0,
    private readonly kind: "zeros" | "ones" | "constant" = "constant",
  ) {
    checkNumber("constant initializer", "value", value, () => true, "a finite number");
  }
  init(out: FloatArray): void {
    out.fill(this.value);
  }
  toConfig(): InitializerConfig {
    return this.kind === "constant" ? { name: "constant", value: this.value } : { name: this.kind };
  }
}

/** U(minval, maxval). */
export class RandomUniform implements Initializer {
  constructor(
    readonly minval = -0.05,
    readonly maxval = 0.05,
  ) {
    checkNumber("randomUniform", "minval", minval, () => true, "a finite number");
    checkNumber("randomUniform", "maxval", maxval, (v) => v >= minval, `a finite number >= minval (${minval})`);
  }
  init(out: FloatArray, _fan: FanInfo, rng: Rng): void {
    for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(this.minval, this.maxval);
  }
  toConfig(): InitializerConfig {
    return { name: "randomUniform", minval: this.minval, maxval: this.maxval };
  }
}

/** N(mean, stddev²), or truncated to mean ± 2·stddev (re-drawn) when `truncated`. */
export class RandomNormal implements Initializer {
  constructor(
    readonly mean = 0,
    readonly stddev = 0.05,
    readonly truncated = false,
  ) {
    checkNumber("randomNormal", "mean", mean, () => true, "a finite number");
    checkNumber("randomNormal", "stddev", stddev, (v) => v >= 0, "a finite number >= 0");
  }
  init(out: FloatArray, _fan: FanInfo, rng: Rng): void {
    for (let i = 0; i < out.length; i++) {
      out[i] = this.truncated ? rng.truncatedNormal(this.mean, this.stddev) : rng.normal(this.mean, this.stddev);
    }
  }
  toConfig(): InitializerConfig {
    return { name: this.truncated ? "truncatedNormal" : "randomNormal", mean: this.mean, stddev: this.stddev };
  }
}

type FanMode = "fanIn" | "fanAvg";

// Std of a normal truncated to ±2σ, relative to σ: Keras divides by it so the
// truncated draw keeps the intended variance.
const TRUNC_STD = 0.8796256610342398;

/**
 * Variance scaling (Keras): scale / n with n = fanIn or (fanIn + fanOut)/2;
 * normal draws are truncated at 2σ (σ corrected by 0.8796…), uniform draws
 * use limit √(3·scale/n).
 */
export class VarianceScaling implements Initializer {
  constructor(
    private readonly kind: InitializerName,
    readonly scale: number,
    readonly mode: FanMode,
    readonly distribution: "normal" | "uniform",
  ) {}
  init(out: FloatArray, fan: FanInfo, rng: Rng): void {
    const n = this.mode === "fanIn" ? fan.fanIn : (fan.fanIn + fan.fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === "uniform") {
      const limit = Math.sqrt(3 * variance);
      for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(-limit, limit);
    } else {
      const std = Math.sqrt(variance) / TRUNC_STD;
      for (let i = 0; i < out.length; i++) out[i] = rng.truncatedNormal(0, std);
    }
  }
  toConfig(): InitializerConfig {
    return { name: this.kind };
  }
}

/**
 * A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014): Gram–Schmidt on
 * a Gaussian matrix, as Keras does with a QR decomposition.
 */
export class Orthogonal implements Initializer {
  constructor(readonly gain = 1) {
    checkNumber("orthogonal", "gain", gain, () => true, "a finite number");
  }
  init(out: FloatArray, fan: FanInfo, rng: Rng): void {
    // Orthonormalize the rows of the flatter orientation, then lay it out (fanIn, fanOut).
    const rows = Math.min(fan.fanIn, fan.fanOut);
    const cols = Math.max(fan.fanIn, fan.fanOut);
    if (rows * cols !== out.length) {
      throw new ValueError(`orthogonal: ${out.length} elements do not form a ${fan.fanIn}×${fan.fanOut} matrix`);
    }
    const q = new Float64Array(rows * cols);
    for (let i = 0; i < q.length; i++) q[i] = rng.normal();
    for (let r = 0; r < rows; r++) {
      // Two passes of modified Gram–Schmidt keep orthogonality to ~1e-15.
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < r; k++) {
          let dot = 0;
          for (let c = 0; c < cols; c++) dot += (q[r * cols + c] as number) * (q[k * cols + c] as number);
          for (let c = 0; c < cols; c++)
            q[r * cols + c] = (q[r * cols + c] as number) - dot * (q[k * cols + c] as number);
        }
      }
      let norm = 0;
      for (let c = 0; c < cols; c++) {
        const v = q[r * cols + c] as number;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (let c = 0; c < cols; c++) q[r * cols + c] = (q[r * cols + c] as number) / norm;
    }
    const transpose = fan.fanIn > fan.fanOut; // q is (fanOut, fanIn): write its transpose
    for (let i = 0; i < fan.fanIn; i++) {
      for (let j = 0; j < fan.fanOut; j++) {
        const v = transpose ? q[j * cols + i] : q[i * cols + j];
        out[i * fan.fanOut + j] = this.gain * (v as number);
      }
    }
  }
  toConfig(): InitializerConfig {
    return { name: "orthogonal", gain: this.gain };
  }
}

const none = {} as const;
const num = (dflt: number) => ({ type: "number", default: dflt }) as const;
const NORMAL = { mean: num(0), stddev: { type: "number", min: 0, default: 0.05 } } as const;

/** Each initializer's options (a schema) and how it is made from them. */
const FACTORIES: Record<InitializerName, NamedFactory<Initializer>> = {
  zeros: named("zeros", none, () => new Constant(0, "zeros")),
  ones: named("ones", none, () => new Constant(1, "ones")),
  constant: named("constant", { value: num(0) }, (o) => new Constant(o.value)),
  randomUniform: named(
    "randomUniform",
    { minval: num(-0.05), maxval: num(0.05) },
    (o) => new RandomUniform(o.minval, o.maxval),
  ),
  randomNormal: named("randomNormal", NORMAL, (o) => new RandomNormal(o.mean, o.stddev)),
  truncatedNormal: named("truncatedNormal", NORMAL, (o) => new RandomNormal(o.mean, o.stddev, true)),
  glorotUniform: named("glorotUniform", none, () => new VarianceScaling("glorotUniform", 1, "fanAvg", "uniform")),
  glorotNormal: named("glorotNormal", none, () => new VarianceScaling("glorotNormal", 1, "fanAvg", "normal")),
  heUniform: named("heUniform", none, () => new VarianceScaling("heUniform", 2, "fanIn", "uniform")),
  heNormal: named("heNormal", none, () => new VarianceScaling("heNormal", 2, "fanIn", "normal")),
  lecunUniform: named("lecunUniform", none, () => new VarianceScaling("lecunUniform", 1, "fanIn", "uniform")),
  lecunNormal: named("lecunNormal", none, () => new VarianceScaling("lecunNormal", 1, "fanIn", "normal")),
  orthogonal: named("orthogonal", { gain: num(1) }, (o) => new Orthogonal(o.gain)),
};

/** Each built-in initializer's option schema, by name (for tools and tests that draw options). */
export const INITIALIZER_SCHEMAS = /* @__PURE__ */ schemasOf(FACTORIES);

/** Every built-in initializer name. */
export const INITIALIZER_NAMES = /* @__PURE__ */ Object.keys(FACTORIES) as InitializerName[];

/**
 * Resolves an initializer from its name, a config, or an instance.
 * @throws ValueError for an unknown name.
 * @example
 * ```ts
 * getInitializer("heNormal");
 * getInitializer({ name: "randomUniform", minval: -1, maxval: 1 });
 * ```
 */
export function getInitializer(i: InitializerName | InitializerConfig | Initializer): Initializer {
  if (typeof i === "object" && i !== null && "init" in i) return i;
  return byName("initializer", FACTORIES, i);
}
