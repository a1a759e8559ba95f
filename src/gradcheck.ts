/**
 * gradCheck: compares analytic gradients with central finite differences in
 * float64 — the way to test a layer you wrote yourself.
 *
 * For a layer or a model with output y, it uses the scalar L = Σ y ⊙ r with a
 * fixed random r, so that dL/dy = r exactly and backward(r) must return dL/dx
 * (plus the layers' regularization penalties, whose gradients backward adds).
 * Each input element and parameter element θ is then perturbed:
 *   numeric = (L(θ + h) − L(θ − h)) / 2h
 * whose error is O(h²·L''') from truncation plus O(ε·|L|/h) from rounding
 * (ε = 2.2e-16); h = 1e-5 balances the two at about 1e-10 relative.
 */
import { jsBackend } from "./backend/js.js";
import { ValueError } from "./errors.js";
import type { Layer, Mode, Param } from "./layer.js";
import type { Loss } from "./losses.js";
import { parseOptions, type Schema, show } from "./options.js";
import { Rng } from "./rng.js";
import { Sequential } from "./sequential.js";
import { type FloatArray, Tensor } from "./tensor.js";

/** Largest errors found for one tensor (the input or a parameter). */
export interface GradErrors {
  /** max |analytic − numeric|. */
  maxAbsError: number;
  /** max |analytic − numeric| / max(|analytic|, |numeric|), over elements whose gradient exceeds atol. */
  maxRelError: number;
  /** Elements compared. */
  checked: number;
  /** Whether every element satisfies |a − n| ≤ atol + rtol·max(|a|, |n|). */
  ok: boolean;
}

/** What {@link gradCheck} returns. */
export interface GradCheckReport {
  /** Errors of dL/dinput. */
  input: GradErrors;
  /** Errors per parameter name. */
  params: Record<string, GradErrors>;
  /** True when the input and every parameter passed. */
  ok: boolean;
}

const defaults = { eps: 1e-5, atol: 1e-6, rtol: 1e-5, seed: 0, mode: "train" as Mode };

/** The schema of {@link GradCheckOptions}. */
const GRADCHECK_OPTIONS = {
  input: { type: "custom", required: true, parse: (v: unknown): unknown => v },
  target: { type: "custom", parse: (v: unknown): unknown => v },
  eps: { type: "number", gt: 0, lt: 1, default: defaults.eps },
  atol: { type: "number", min: 0, default: defaults.atol },
  rtol: { type: "number", min: 0, default: defaults.rtol },
  seed: { type: "number", default: defaults.seed },
  mode: { type: "enum", values: ["train", "eval"], default: defaults.mode },
  maxElements: { type: "number", integer: true, min: 1 },
} as const satisfies Schema;

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** The input batch (float64). Required for layers and models. */
  input: Tensor;
  /** For a Loss: the target. For a compiled model: use its loss with this target instead of Σ y·r. */
  target?: Tensor;
  /** The finite difference h of the central differences (f(x + h) − f(x − h))/2h (default 1e-5). */
  eps?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Seed of the random projection r (default 0). */
  seed?: number;
  /** Mode passed to forward (default "train"). */
  mode?: Mode;
  /** Check at most this many elements per tensor, chosen at random (default: all). */
  maxElements?: number;
}

interface Target {
  params(): Param[];
  zeroGrad(): void;
  lossAndGrads(x: Tensor): { loss: number; dx: FloatArray };
  lossOnly(x: Tensor): number;
}

function isLoss(t: unknown): t is Loss {
  return typeof t === "object" && t !== null && typeof (t as Loss).compute === "function";
}

/**
 * Checks a layer's, a model's or a loss's analytic gradients against
 * central finite differences. Everything must be float64: build the layer
 * inside a `Sequential({ dtype: "float64" })`, or let gradCheck build an
 * unbuilt layer in float64 from the input's shape.
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 3, activation: "tanh" });
 * const input = Tensor.from([[0.1, -0.4], [0.3, 0.2]], { dtype: "float64" });
 * const report = gradCheck(layer, { input });
 * report.ok; // true
 * report.params["dense/kernel"].maxAbsError; // ~1e-11
 * ```
 */
export function gradCheck(subject: Layer | Sequential | Loss, opts: GradCheckOptions): GradCheckReport {
  const o = parseOptions("gradCheck", GRADCHECK_OPTIONS, opts) as GradCheckOptions & typeof defaults;
  const x = o.input;
  if (!(x instanceof Tensor) || x.dtype !== "float64") {
    throw new ValueError("gradCheck: input must be a float64 Tensor");
  }
  const h = o.eps;
  const atol = o.atol;
  const rtol = o.rtol;
  const mode = o.mode;
  const rng = new Rng(o.seed);
  const target = makeTarget(subject, o, mode, rng);

  // Analytic gradients.
  target.zeroGrad();
  const { dx } = target.lossAndGrads(x);
  const analyticX = Float64Array.from(dx);
  // non-trainable state (batch norm's running statistics) has no gradient to check
  const params = target.params().filter((p) => p.trainable !== false);
  for (const p of params) {
    if (p.value.dtype !== "float64") {
      throw new ValueError(`gradCheck: parameter '${p.name}' is ${p.value.dtype}; build the layer in float64`);
    }
  }
  const analyticP = params.map((p) => Float64Array.from(p.grad.data));

  const compare = (values: FloatArray, analytic: Float64Array): GradErrors => {
    const n = values.length;
    const picks = pick(n, opts.maxElements, rng);
    let maxAbs = 0;
    let maxRel = 0;
    let ok = true;
    for (const i of picks) {
      const orig = values[i] as number;
      values[i] = orig + h;
      const lp = target.lossOnly(x);
      values[i] = orig - h;
      const lm = target.lossOnly(x);
      values[i] = orig;
      const num = (lp - lm) / (2 * h);
      const a = analytic[i] as number;
      const err = Math.abs(a - num);
      const scale = Math.max(Math.abs(a), Math.abs(num));
      maxAbs = Math.max(maxAbs, err);
      if (scale > atol) maxRel = Math.max(maxRel, err / scale);
      if (!(err <= atol + rtol * scale)) ok = false;
    }
    return { maxAbsError: maxAbs, maxRelError: maxRel, checked: picks.length, ok };
  };

  const input = compare(x.data, analyticX);
  const report: GradCheckReport = { input, params: {}, ok: input.ok };
  params.forEach((p, k) => {
    const e = compare(p.value.data, analyticP[k] as Float64Array);
    report.params[p.name] = e;
    if (!e.ok) report.ok = false;
  });
  return report;
}

function pick(n: number, max: number | undefined, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (max === undefined || max >= n) return all;
  return Array.from(rng.shuffle(all).slice(0, max)).sort((a, b) => a - b);
}

function makeTarget(subject: Layer | Sequential | Loss, opts: GradCheckOptions, mode: Mode, rng: Rng): Target {
  if (isLoss(subject)) {
    const t = opts.target;
    if (!(t instanceof Tensor)) throw new ValueError("gradCheck: checking a loss needs a target tensor");
    const grad = new Float64Array(opts.input.size);
    return {
      params: () => [],
      zeroGrad: () => {},
      lossAndGrads: (x) => ({ loss: subject.compute(x, t, grad), dx: grad }),
      lossOnly: (x) => subject.compute(x, t),
    };
  }
  if (subject instanceof Sequential) {
    if (subject.dtype !== "float64") throw new ValueError("gradCheck: the model must be float64");
    const t = opts.target;
    const loss = t ? subject.loss : null;
    if (t && loss === null) throw new ValueError("gradCheck: a target was given but the model is not compiled");
    let r: Float64Array | null = null;
    const projection = (n: number): Float64Array => {
      if (r === null || r.length !== n) r = randomProjection(n, rng);
      return r;
    };
    return {
      params: () => subject.params(),
      zeroGrad: () => subject.zeroGrad(),
      lossAndGrads: (x) => {
        const y = subject.forward(x, mode);
        const g = new Float64Array(y.size);
        let value: number;
        if (loss && t) value = loss.compute(y, t, g);
        else {
          g.set(projection(y.size));
          value = dot(y.data, g);
        }
        const dx = subject.backward(new Tensor(g, y.shape), true) as Tensor;
        return { loss: value + subject.regularizationLoss(), dx: dx.data };
      },
      lossOnly: (x) => {
        const y = subject.forward(x, mode);
        return (loss && t ? loss.compute(y, t) : dot(y.data, projection(y.size))) + subject.regularizationLoss();
      },
    };
  }
  const layer = subject;
  // A layer without parameters is either unbuilt or has nothing to allocate:
  // building it (again) in float64 from the input's shape is harmless either way.
  // A custom layer may also answer params() before build with holes (its
  // fields are still undefined) or by throwing: that is unbuilt too.
  if (paramsOf(layer, false) === null) {
    layer.build(opts.input.shape.slice(1), { dtype: "float64", rng: new Rng(opts.seed ?? 0), backend: jsBackend });
    paramsOf(layer, true);
  }
  let r: Float64Array | null = null;
  const proj = (y: Tensor): number => {
    if (r === null || r.length !== y.size) r = randomProjection(y.size, rng);
    return dot(y.data, r);
  };
  return {
    params: () => layer.params(),
    zeroGrad: () => layer.zeroGrad(),
    lossAndGrads: (x) => {
      const y = layer.forward(x, mode);
      const loss = proj(y) + (layer.regularizationLoss?.() ?? 0);
      const dx = layer.backward(new Tensor(Float64Array.from(r as Float64Array), y.shape), true);
      if (dx === null) throw new ValueError(`gradCheck: layer '${layer.name}' returned no input gradient`);
      return { loss, dx: dx.data };
    },
    lossOnly: (x) => proj(layer.forward(x, mode)) + (layer.regularizationLoss?.() ?? 0),
  };
}

/**
 * The layer's params when each is a Param with value and grad tensors;
 * otherwise null, or (with `strict`, after build) a typed error naming the
 * layer, the element and what it was.
 */
function paramsOf(layer: Layer, strict: boolean): Param[] | null {
  const where = `gradCheck: layer '${layer.name}'`;
  let list: unknown;
  try {
    list = layer.params();
  } catch (e) {
    if (!strict) return null;
    throw new ValueError(`${where}: params() threw after build: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(list)) {
    if (!strict) return null;
    throw new ValueError(`${where}: params() returned ${show(list)}; expected a list of Params`);
  }
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as Partial<Param> | undefined;
    if (typeof p !== "object" || p === null || !(p.value instanceof Tensor) || !(p.grad instanceof Tensor)) {
      if (!strict) return null;
      throw new ValueError(
        `${where}: params()[${i}] is ${typeof p === "object" && p !== null ? "a Param without value and grad tensors" : show(p)} after build; expected a Param { name, value, grad }`,
      );
    }
  }
  return list.length === 0 ? null : (list as Param[]);
}

function randomProjection(n: number, rng: Rng): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = rng.uniformRange(-1, 1);
  return r;
}

function dot(a: FloatArray, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
