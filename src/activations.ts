/**
 * Activation functions. Each is a small object with a forward and a backward
 * loop over flat typed arrays, side by side:
 *
 *   forward(x, y, rows, cols):        y = f(x)              x, y: (rows, cols)
 *   backward(x, y, dy, dx, rows, cols): dx = dy ⊙ f'(x)      (softmax: the row Jacobian)
 *
 * Backward receives both the input x and the output y so each function can
 * use whichever gives the cheaper or more accurate derivative (sigmoid from
 * y, gelu from x). dx may alias dy.
 */
import { checkNumber } from "./errors.js";
import { exp, expm1, IO, log, log1p, tanhInto } from "./math.js";
import { byName, type NamedFactory, named, schemasOf } from "./options.js";
import type { FloatArray } from "./tensor.js";

// exp, expm1 and log1p are src/math.ts's (the same bits on every engine); tanh's
// loops call its algorithm through math.ts's slot directly (see IO there): V8
// inlines that algorithm into the small tanh wrapper, which is then too large to
// inline into a loop, and a call that is not inlined boxes its double.

/** The built-in activation names (a closed set). */
export type ActivationName =
  | "linear"
  | "relu"
  | "leakyRelu"
  | "elu"
  | "selu"
  | "gelu"
  | "geluTanh"
  | "sigmoid"
  | "tanh"
  | "softplus"
  | "silu"
  | "swish"
  | "hardSigmoid"
  | "softmax"
  | "logSoftmax";

/** Serializable description of an activation. */
export interface ActivationConfig {
  /** The activation's name. */
  name: ActivationName;
  /** `leakyRelu`'s slope, `elu`'s alpha or `hardSigmoid`'s slope, where it applies. */
  alpha?: number;
  /** `hardSigmoid`'s offset. */
  beta?: number;
}

/**
 * An activation function: forward and backward loops over (rows, cols) arrays.
 *
 * @example
 * ```ts
 * const relu = getActivation("relu");
 * relu.forward(x, y, rows, cols);
 * relu.backward(x, y, dy, dx, rows, cols);
 * ```
 */
export interface ActivationFunction {
  /** Its name, as written in a config. */
  readonly name: ActivationName;
  /** y = f(x) over `rows * cols` elements. */
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void;
  /** dx = dy ⊙ f'(x) (dx may be the same array as dy). */
  backward(x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;
  /** The serializable form. */
  toConfig(): ActivationConfig;
}

abstract class Elementwise implements ActivationFunction {
  abstract readonly name: ActivationName;
  abstract forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void;
  abstract backward(x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void;
  toConfig(): ActivationConfig {
    return { name: this.name };
  }
}

/** f(x) = x. */
export class Linear extends Elementwise {
  readonly name = "linear" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    if (x !== y) y.set(x.subarray(0, rows * cols));
  }
  // f'(x) = 1
  backward(_x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    if (dx !== dy) dx.set(dy.subarray(0, rows * cols));
  }
}

/** f(x) = max(0, x). */
export class Relu extends Elementwise {
  readonly name = "relu" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      y[i] = Math.max(x[i] as number, 0); // Math.max keeps NaN visible
    }
  }
  // f'(x) = 1 if x > 0 else 0 (we take 0 at the kink, as PyTorch does)
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) dx[i] = (x[i] as number) > 0 ? (dy[i] as number) : 0;
  }
}

/** f(x) = x if x > 0 else alpha·x. */
export class LeakyRelu extends Elementwise {
  readonly name = "leakyRelu" as const;
  /** Slope for x < 0 (default 0.01, as PyTorch; Keras uses 0.3). */
  readonly alpha: number;
  constructor(alpha = 0.01) {
    super();
    this.alpha = checkNumber("leakyRelu", "alpha", alpha, (a) => a >= 0, "a finite number >= 0");
  }
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      y[i] = v > 0 ? v : a * v;
    }
  }
  // f'(x) = 1 if x > 0 else alpha
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    for (let i = 0; i < n; i++) dx[i] = (x[i] as number) > 0 ? (dy[i] as number) : a * (dy[i] as number);
  }
  override toConfig(): ActivationConfig {
    return { name: this.name, alpha: this.alpha };
  }
}

/** f(x) = x if x > 0 else alpha·(eˣ − 1) (Clevert 2015). */
export class Elu extends Elementwise {
  readonly name = "elu" as const;
  /** Scale of the negative part (default 1). */
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber("elu", "alpha", alpha, (a) => a >= 0, "a finite number >= 0");
  }
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      y[i] = v > 0 ? v : a * expm1(v);
    }
  }
  // f'(x) = 1 if x > 0 else alpha·eˣ
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      dx[i] = v > 0 ? (dy[i] as number) : (dy[i] as number) * a * exp(v);
    }
  }
  override toConfig(): ActivationConfig {
    return { name: this.name, alpha: this.alpha };
  }
}

// Klambauer et al. 2017, the constants that make SELU self-normalizing.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** f(x) = scale·(x if x > 0 else alpha·(eˣ − 1)) (Klambauer 2017). */
export class Selu extends Elementwise {
  readonly name = "selu" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      y[i] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * expm1(v);
    }
  }
  // f'(x) = scale if x > 0 else scale·alpha·eˣ
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      dx[i] = (dy[i] as number) * (v > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * exp(v));
    }
  }
}

/**
 * The error function, to ~1e-15 relative accuracy: a Taylor series for small
 * |x| and a continued fraction for erfc beyond (Numerical Recipes §6.2 style).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) via Lentz.
  let f = ax;
  let C = ax;
  let D = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    D = ax + a * D;
    D = 1 / D;
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** f(x) = x·Φ(x) = x·½(1 + erf(x/√2)), the exact GELU (Hendrycks & Gimpel 2016). */
export class Gelu extends Elementwise {
  readonly name = "gelu" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      y[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
    }
  }
  // f'(x) = Φ(x) + x·φ(x), φ the standard normal density
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
      const pdf = INV_SQRT_2PI * exp(-0.5 * v * v);
      dx[i] = (dy[i] as number) * (cdf + v * pdf);
    }
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** f(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))), GELU's tanh approximation. */
export class GeluTanh extends Elementwise {
  readonly name = "geluTanh" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      IO[0] = GELU_C * (v + 0.044715 * v * v * v);
      tanhInto();
      y[i] = 0.5 * v * (1 + (IO[0] as number));
    }
  }
  // with u = c(x + 0.044715x³), t = tanh(u):
  // f'(x) = ½(1 + t) + ½x(1 − t²)·c(1 + 3·0.044715x²)
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      IO[0] = GELU_C * (v + 0.044715 * v * v * v);
      tanhInto();
      const t = IO[0] as number;
      const d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v);
      dx[i] = (dy[i] as number) * d;
    }
  }
}

/** σ(x) = 1/(1 + e⁻ˣ), computed without overflow for large |x|. */
export function sigmoid(v: number): number {
  // For x < 0, e⁻ˣ would overflow: use eˣ/(1 + eˣ) instead.
  if (v >= 0) return 1 / (1 + exp(-v));
  const e = exp(v);
  return e / (1 + e);
}

/** f(x) = 1/(1 + e⁻ˣ), stable for large |x|. */
export class Sigmoid extends Elementwise {
  readonly name = "sigmoid" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) y[i] = sigmoid(x[i] as number);
  }
  // f'(x) = y(1 − y), from the output
  backward(_x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const s = y[i] as number;
      dx[i] = (dy[i] as number) * s * (1 - s);
    }
  }
}

/** f(x) = tanh(x). */
export class Tanh extends Elementwise {
  readonly name = "tanh" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      IO[0] = x[i] as number; // tanh through its slot, called directly (see the note on the wrappers above)
      tanhInto();
      y[i] = IO[0] as number;
    }
  }
  // f'(x) = 1 − y²
  backward(_x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const t = y[i] as number;
      dx[i] = (dy[i] as number) * (1 - t * t);
    }
  }
}

/** softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}), stable for large |x|. */
export function softplus(v: number): number {
  return Math.max(v, 0) + log1p(exp(-Math.abs(v)));
}

/** f(x) = log(1 + eˣ), stable for large |x|. */
export class Softplus extends Elementwise {
  readonly name = "softplus" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) y[i] = softplus(x[i] as number);
  }
  // f'(x) = σ(x)
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) dx[i] = (dy[i] as number) * sigmoid(x[i] as number);
  }
}

/** f(x) = x·σ(x) (SiLU, also called swish with β = 1). */
export class Silu extends Elementwise {
  readonly name: "silu" | "swish";
  constructor(name: "silu" | "swish" = "silu") {
    super();
    this.name = name;
  }
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      y[i] = v * sigmoid(v);
    }
  }
  // f'(x) = σ(x) + x·σ(x)(1 − σ(x))
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    for (let i = 0; i < n; i++) {
      const v = x[i] as number;
      const s = sigmoid(v);
      dx[i] = (dy[i] as number) * (s + v * s * (1 - s));
    }
  }
}

/**
 * f(x) = max(0, min(1, α·x + β)), the piecewise-linear sigmoid (Keras and
 * ONNX: α = 0.2, β = 0.5; PyTorch's Hardsigmoid is α = 1/6).
 */
export class HardSigmoid extends Elementwise {
  readonly name = "hardSigmoid" as const;
  /** Slope (default 0.2). */
  readonly alpha: number;
  /** Offset (default 0.5). */
  readonly beta: number;
  constructor(alpha = 0.2, beta = 0.5) {
    super();
    this.alpha = checkNumber("hardSigmoid", "alpha", alpha, (a) => a > 0, "a finite number > 0");
    this.beta = checkNumber("hardSigmoid", "beta", beta, () => true, "a finite number");
  }
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    const b = this.beta;
    for (let i = 0; i < n; i++) y[i] = Math.max(0, Math.min(1, a * (x[i] as number) + b));
  }
  // f'(x) = α where 0 < αx + β < 1, else 0 (0 at the two kinks, as at ReLU's)
  backward(x: FloatArray, _y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    const n = rows * cols;
    const a = this.alpha;
    const b = this.beta;
    for (let i = 0; i < n; i++) {
      const z = a * (x[i] as number) + b;
      dx[i] = z > 0 && z < 1 ? a * (dy[i] as number) : 0;
    }
  }
  override toConfig(): ActivationConfig {
    return { name: this.name, alpha: this.alpha, beta: this.beta };
  }
}

/** Row-wise softmax of a (rows, cols) array, stable: subtract the row max first. */
export function softmaxRows(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[o + j] as number);
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = exp((x[o + j] as number) - m);
      y[o + j] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) y[o + j] = (y[o + j] as number) * inv;
  }
}

/** y_j = e^{x_j} / Σ_k e^{x_k} along each row (the last axis). */
export class SoftmaxFunction implements ActivationFunction {
  readonly name = "softmax" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    softmaxRows(x, y, rows, cols);
  }
  // ∂y_j/∂x_i = y_j(δ_ij − y_i), so dx_i = y_i (dy_i − Σ_j dy_j y_j)
  backward(_x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += (dy[o + j] as number) * (y[o + j] as number);
      for (let j = 0; j < cols; j++) dx[o + j] = (y[o + j] as number) * ((dy[o + j] as number) - dot);
    }
  }
  toConfig(): ActivationConfig {
    return { name: this.name };
  }
}

/**
 * y_j = x_j − log Σ_k e^{x_k} along each row: log-probabilities, computed
 * stably (the row max m first: y_j = x_j − m − log Σ e^{x_k − m}).
 */
export class LogSoftmaxFunction implements ActivationFunction {
  readonly name = "logSoftmax" as const;
  forward(x: FloatArray, y: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < cols; j++) m = Math.max(m, x[o + j] as number);
      let s = 0;
      for (let j = 0; j < cols; j++) s += exp((x[o + j] as number) - m);
      const lse = m + log(s);
      for (let j = 0; j < cols; j++) y[o + j] = (x[o + j] as number) - lse;
    }
  }
  // ∂y_j/∂x_i = δ_ij − softmax_i, so dx_i = dy_i − e^{y_i}·Σ_j dy_j
  backward(_x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += dy[o + j] as number;
      for (let j = 0; j < cols; j++) dx[o + j] = (dy[o + j] as number) - exp(y[o + j] as number) * sum;
    }
  }
  toConfig(): ActivationConfig {
    return { name: this.name };
  }
}

const ALPHA = (dflt: number) => ({ alpha: { type: "number", min: 0, default: dflt } }) as const;
const none = {} as const;

/** Each activation's options (a schema) and how it is made from them. */
const FACTORIES: Record<ActivationName, NamedFactory<ActivationFunction>> = {
  linear: named("linear", none, () => new Linear()),
  relu: named("relu", none, () => new Relu()),
  leakyRelu: named("leakyRelu", ALPHA(0.01), (o) => new LeakyRelu(o.alpha)),
  elu: named("elu", ALPHA(1), (o) => new Elu(o.alpha)),
  selu: named("selu", none, () => new Selu()),
  gelu: named("gelu", none, () => new Gelu()),
  geluTanh: named("geluTanh", none, () => new GeluTanh()),
  sigmoid: named("sigmoid", none, () => new Sigmoid()),
  tanh: named("tanh", none, () => new Tanh()),
  softplus: named("softplus", none, () => new Softplus()),
  silu: named("silu", none, () => new Silu("silu")),
  swish: named("swish", none, () => new Silu("swish")),
  hardSigmoid: named(
    "hardSigmoid",
    { alpha: { type: "number", gt: 0, default: 0.2 }, beta: { type: "number", default: 0.5 } },
    (o) => new HardSigmoid(o.alpha, o.beta),
  ),
  softmax: named("softmax", none, () => new SoftmaxFunction()),
  logSoftmax: named("logSoftmax", none, () => new LogSoftmaxFunction()),
};

/** Each built-in activation's option schema, by name (for tools and tests that draw options). */
export const ACTIVATION_SCHEMAS = /* @__PURE__ */ schemasOf(FACTORIES);

/** Every built-in activation name. */
export const ACTIVATION_NAMES = /* @__PURE__ */ Object.keys(FACTORIES) as ActivationName[];

/**
 * Resolves an activation from its name, a config, or an instance.
 * @throws ValueError for an unknown name.
 * @example
 * ```ts
 * getActivation("relu");
 * getActivation({ name: "leakyRelu", alpha: 0.2 });
 * ```
 */
export function getActivation(
  a: ActivationName | ActivationConfig | ActivationFunction | undefined,
): ActivationFunction {
  if (a === undefined) return new Linear();
  if (typeof a === "object" && a !== null && "forward" in a) return a;
  return byName("activation", FACTORIES, a);
}
