/**
 * Losses. Each computes the mean loss over the batch and, in the same pass,
 * its gradient with respect to the network output.
 *
 * The 1/B (and, for element-wise losses, 1/D) of the mean is applied in
 * exactly one place: here, in the gradient each loss writes. Nothing
 * downstream divides again.
 *
 * Shapes: pred (B, D). target (B, D), or for sparseCategoricalCrossEntropy
 * (B,) integer class labels stored as numbers.
 */

import { sigmoid, softmaxRows } from "./activations.js";
import { fmtShape, ShapeError, ValueError } from "./errors.js";
import { exp, log, log1p } from "./math.js";
import { byName, named, parseOptions } from "./options.js";
import { as2d, type FloatArray, type Tensor } from "./tensor.js";

/** The built-in loss names (a closed set). */
export type LossName =
  | "meanSquaredError"
  | "meanAbsoluteError"
  | "huber"
  | "binaryCrossEntropy"
  | "categoricalCrossEntropy"
  | "sparseCategoricalCrossEntropy";

/** Serializable description of a loss. */
export interface LossConfig {
  /** The loss's name. */
  name: LossName;
  /** Whether predictions are logits (cross-entropies only). */
  fromLogits?: boolean;
  /** Huber's threshold δ. */
  delta?: number;
}

/**
 * A loss: the batch-mean value and, if asked, dL/dpred written into `grad`.
 *
 * @example
 * ```ts
 * const loss = getLoss("meanSquaredError");
 * const grad = new Float32Array(pred.size);
 * const value = loss.compute(pred, target, grad);
 * ```
 */
export interface Loss {
  /** The loss's name. */
  readonly name: LossName;
  /**
   * The mean loss over the batch. When `grad` is given, it receives dL/dpred
   * (same layout as pred), overwriting what was there.
   */
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number;
  /**
   * What turns the network's raw output into probabilities for this loss:
   * `"softmax"` / `"sigmoid"` when the loss takes logits, else `"none"`.
   */
  readonly outputLink: "softmax" | "sigmoid" | "none";
  /** The serializable form. */
  toConfig(): LossConfig;
}

/** Checks that target matches pred; returns the batch size B (the row width is size / B). */
function sameShape(where: string, pred: Tensor, target: Tensor): number {
  const B = batchOf(pred, where);
  if (target.size !== pred.size || (target.shape[0] ?? 0) !== B) {
    throw new ShapeError(
      `${where}: target shape ${fmtShape(target.shape)} does not match prediction shape ${fmtShape(pred.shape)}`,
    );
  }
  return B;
}

function batchOf(pred: Tensor, where: string): number {
  if (pred.rank < 1) throw new ShapeError(`${where}: expected a batch, got a scalar`);
  return pred.shape[0] as number;
}

/** L = 1/(B·D) Σ (p − t)². Gradient 2(p − t)/(B·D). */
export class MeanSquaredError implements Loss {
  readonly name = "meanSquaredError" as const;
  readonly outputLink = "none" as const;
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = sameShape(this.name, pred, target);
    const D = B === 0 ? 0 : pred.size / B;
    const p = pred.data;
    const t = target.data;
    const n = B * D;
    const inv = 1 / n; // the mean, applied once
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = (p[i] as number) - (t[i] as number);
      s += e * e;
      if (grad) grad[i] = 2 * e * inv;
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name };
  }
}

/** L = 1/(B·D) Σ |p − t|. Gradient sign(p − t)/(B·D) (0 where p = t). */
export class MeanAbsoluteError implements Loss {
  readonly name = "meanAbsoluteError" as const;
  readonly outputLink = "none" as const;
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = sameShape(this.name, pred, target);
    const D = B === 0 ? 0 : pred.size / B;
    const p = pred.data;
    const t = target.data;
    const n = B * D;
    const inv = 1 / n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = (p[i] as number) - (t[i] as number);
      s += Math.abs(e);
      if (grad) grad[i] = (e > 0 ? 1 : e < 0 ? -1 : 0) * inv;
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name };
  }
}

/** Per element: ½e² if |e| ≤ δ, else δ(|e| − ½δ); mean over all elements. */
export class Huber implements Loss {
  readonly name = "huber" as const;
  readonly outputLink = "none" as const;
  /** The threshold δ between the quadratic and linear parts (default 1). */
  readonly delta: number;
  /** Options: their types, ranges and defaults. */
  static readonly options = { delta: { type: "number", gt: 0, default: 1 } } as const;
  constructor(opts: { delta?: number } = {}) {
    this.delta = parseOptions("huber", Huber.options, opts).delta;
  }
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = sameShape(this.name, pred, target);
    const D = B === 0 ? 0 : pred.size / B;
    const p = pred.data;
    const t = target.data;
    const d = this.delta;
    const n = B * D;
    const inv = 1 / n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = (p[i] as number) - (t[i] as number);
      const a = Math.abs(e);
      if (a <= d) {
        s += 0.5 * e * e;
        if (grad) grad[i] = e * inv; // d/de ½e² = e
      } else {
        s += d * (a - 0.5 * d);
        if (grad) grad[i] = (e > 0 ? d : -d) * inv; // d/de δ|e| = δ·sign(e)
      }
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name, delta: this.delta };
  }
}

// Probabilities are clipped to [EPS, 1 − EPS] before the log, as Keras does,
// so that a confident wrong prediction gives a large finite loss, not Infinity.
const EPS = 1e-7;

/**
 * Binary cross-entropy, mean over all elements:
 * −[t·log p + (1 − t)·log(1 − p)]. With `fromLogits`, p = σ(x) computed
 * stably as max(x, 0) − x·t + log(1 + e^{−|x|}), gradient σ(x) − t.
 */
export class BinaryCrossEntropy implements Loss {
  readonly name = "binaryCrossEntropy" as const;
  /** Options: their types, ranges and defaults. */
  static readonly options = { fromLogits: { type: "boolean", default: false } } as const;
  /** Whether predictions are logits (default false: probabilities). */
  readonly fromLogits: boolean;
  constructor(opts: { fromLogits?: boolean } = {}) {
    this.fromLogits = parseOptions("binaryCrossEntropy", BinaryCrossEntropy.options, opts).fromLogits;
  }
  get outputLink(): "sigmoid" | "none" {
    return this.fromLogits ? "sigmoid" : "none";
  }
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = sameShape(this.name, pred, target);
    const D = B === 0 ? 0 : pred.size / B;
    const p = pred.data;
    const t = target.data;
    const n = B * D;
    const inv = 1 / n;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const ti = t[i] as number;
      const x = p[i] as number;
      if (this.fromLogits) {
        s += Math.max(x, 0) - x * ti + log1p(exp(-Math.abs(x)));
        if (grad) grad[i] = (sigmoid(x) - ti) * inv;
      } else {
        const q = Math.min(Math.max(x, EPS), 1 - EPS);
        s += -(ti * log(q) + (1 - ti) * log(1 - q));
        // Inside the clip: dL/dp = −t/p + (1 − t)/(1 − p); outside it the clip is flat.
        if (grad) grad[i] = q === x ? (-ti / q + (1 - ti) / (1 - q)) * inv : 0;
      }
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name, fromLogits: this.fromLogits };
  }
}

/**
 * Categorical cross-entropy with one-hot (or soft) targets, summed over
 * classes and averaged over the batch: −Σ_j t_j log p_j. With `fromLogits`,
 * log p = x − logsumexp(x) (stable for any logits) and the gradient is
 * softmax(x)·Σt − t.
 */
export class CategoricalCrossEntropy implements Loss {
  readonly name = "categoricalCrossEntropy" as const;
  /** Options: their types, ranges and defaults. */
  static readonly options = { fromLogits: { type: "boolean", default: false } } as const;
  /** Whether predictions are logits (default false: probabilities). */
  readonly fromLogits: boolean;
  constructor(opts: { fromLogits?: boolean } = {}) {
    this.fromLogits = parseOptions("categoricalCrossEntropy", CategoricalCrossEntropy.options, opts).fromLogits;
  }
  get outputLink(): "softmax" | "none" {
    return this.fromLogits ? "softmax" : "none";
  }
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = sameShape(this.name, pred, target);
    const K = B === 0 ? 0 : pred.size / B;
    const p = pred.data;
    const t = target.data;
    const inv = 1 / B; // mean over the batch, applied once
    let s = 0;
    for (let r = 0; r < B; r++) {
      const o = r * K;
      if (this.fromLogits) {
        const lse = logSumExp(p, o, K);
        let tsum = 0;
        for (let j = 0; j < K; j++) {
          const tj = t[o + j] as number;
          s -= tj * ((p[o + j] as number) - lse);
          tsum += tj;
        }
        if (grad) {
          for (let j = 0; j < K; j++) {
            grad[o + j] = (exp((p[o + j] as number) - lse) * tsum - (t[o + j] as number)) * inv;
          }
        }
      } else {
        for (let j = 0; j < K; j++) {
          const x = p[o + j] as number;
          const q = Math.min(Math.max(x, EPS), 1 - EPS);
          const tj = t[o + j] as number;
          s -= tj * log(q);
          if (grad) grad[o + j] = q === x ? (-tj / q) * inv : 0;
        }
      }
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name, fromLogits: this.fromLogits };
  }
}

/**
 * Cross-entropy with integer class labels. By default (`fromLogits: true`)
 * it is fused with softmax: L = logsumexp(x) − x_label, computed with the
 * row max subtracted so logits of ±1000 stay finite; the gradient is
 * softmax(x) − onehot(label), divided by B. With `fromLogits: false` the
 * predictions are probabilities and L = −log p_label.
 *
 * (Keras defaults to probabilities; tinymlp defaults to logits because the
 * fused form is the one that is both stable and fast — see docs/design.md.)
 */
export class SparseCategoricalCrossEntropy implements Loss {
  readonly name = "sparseCategoricalCrossEntropy" as const;
  /** Options: their types, ranges and defaults. */
  static readonly options = { fromLogits: { type: "boolean", default: true } } as const;
  /** Whether predictions are logits (default true). */
  readonly fromLogits: boolean;
  constructor(opts: { fromLogits?: boolean } = {}) {
    this.fromLogits = parseOptions(
      "sparseCategoricalCrossEntropy",
      SparseCategoricalCrossEntropy.options,
      opts,
    ).fromLogits;
  }
  get outputLink(): "softmax" | "none" {
    return this.fromLogits ? "softmax" : "none";
  }
  compute(pred: Tensor, target: Tensor, grad?: FloatArray): number {
    const B = batchOf(pred, this.name);
    const K = B === 0 ? 0 : pred.size / B;
    if (target.size !== B) {
      throw new ShapeError(
        `${this.name}: expected ${B} integer labels (one per row of the prediction ${fmtShape(pred.shape)}), got target shape ${fmtShape(target.shape)}`,
      );
    }
    const p = pred.data;
    const t = target.data;
    const inv = 1 / B;
    let s = 0;
    for (let r = 0; r < B; r++) {
      const label = t[r] as number;
      if (!Number.isInteger(label) || label < 0 || label >= K) {
        throw new ValueError(`${this.name}: label at row ${r} is ${label}; labels must be integers in [0, ${K - 1}]`);
      }
      const o = r * K;
      if (this.fromLogits) {
        const lse = logSumExp(p, o, K);
        s += lse - (p[o + label] as number);
        if (grad) {
          for (let j = 0; j < K; j++) grad[o + j] = exp((p[o + j] as number) - lse) * inv;
          grad[o + label] = (grad[o + label] as number) - inv;
        }
      } else {
        const x = p[o + label] as number;
        const q = Math.min(Math.max(x, EPS), 1 - EPS);
        s -= log(q);
        if (grad) {
          for (let j = 0; j < K; j++) grad[o + j] = 0;
          grad[o + label] = q === x ? -inv / q : 0;
        }
      }
    }
    return s * inv;
  }
  toConfig(): LossConfig {
    return { name: this.name, fromLogits: this.fromLogits };
  }
}

/** log Σ_j e^{x[o+j]}, with the max subtracted first so it never overflows. */
export function logSumExp(x: FloatArray, o: number, K: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < K; j++) m = Math.max(m, x[o + j] as number);
  if (m === Number.NEGATIVE_INFINITY || !Number.isFinite(m)) return m;
  let s = 0;
  for (let j = 0; j < K; j++) s += exp((x[o + j] as number) - m);
  return m + log(s);
}

/** Each loss by name; its constructor parses the options through its schema. */
const FACTORIES: Record<LossName, (opts: Record<string, unknown>) => Loss> = {
  meanSquaredError: named("meanSquaredError", {}, () => new MeanSquaredError()),
  meanAbsoluteError: named("meanAbsoluteError", {}, () => new MeanAbsoluteError()),
  huber: (o) => new Huber(o),
  binaryCrossEntropy: (o) => new BinaryCrossEntropy(o),
  categoricalCrossEntropy: (o) => new CategoricalCrossEntropy(o),
  sparseCategoricalCrossEntropy: (o) => new SparseCategoricalCrossEntropy(o),
};

/** Every built-in loss name. */
export const LOSS_NAMES = /* @__PURE__ */ Object.keys(FACTORIES) as LossName[];

/**
 * Resolves a loss from its name, a config, or an instance.
 * @throws ValueError for an unknown name.
 * @example
 * ```ts
 * getLoss("sparseCategoricalCrossEntropy");
 * getLoss({ name: "binaryCrossEntropy", fromLogits: true });
 * ```
 */
export function getLoss(l: LossName | LossConfig | Loss): Loss {
  if (typeof l === "object" && l !== null && "compute" in l) return l;
  return byName("loss", FACTORIES, l);
}

/** Applies a loss's output link (softmax/sigmoid) to raw outputs, in place. */
export function applyOutputLink(link: Loss["outputLink"], t: Tensor): Tensor {
  const [B, D] = as2d(t, "applyOutputLink");
  if (link === "softmax") softmaxRows(t.data, t.data, B, D);
  else if (link === "sigmoid") for (let i = 0; i < t.size; i++) t.data[i] = sigmoid(t.data[i] as number);
  return t;
}
