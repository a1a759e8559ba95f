/**
 * Metrics computed during fit and evaluate. Accuracy adapts to the targets:
 * integer labels (B,) compare with the argmax of each row; one-hot targets
 * (B, K) with their argmax; a single output column (B, 1) is binary
 * (threshold 0.5 on probabilities, 0 on logits).
 */

import type { Predictor } from "./committee.js";
import { ShapeError, ValueError } from "./errors.js";
import type { Tensor } from "./tensor.js";

/** The class of target row r: the integer label itself, or the argmax of a one-hot row. */
function labelOf(t: Tensor["data"], r: number, K: number, sparse: boolean): number {
  if (sparse) return t[r] as number;
  const o = r * K;
  let label = 0;
  for (let j = 1; j < K; j++) if ((t[o + j] as number) > (t[o + label] as number)) label = j;
  return label;
}

/** Built-in metric names (besides `top<k>Accuracy`). */
export type MetricName = "accuracy" | RegressionMetricName | ClassMetricName;

/** The names {@link metricFromName} knows, as error messages list them. */
export const METRIC_NAMES = "accuracy, top<k>Accuracy, mae, mse, rmse, r2, precision, recall, f1";

/**
 * A streaming metric: update per batch, read the result, reset per epoch.
 * @example
 * ```ts
 * const acc = new Accuracy();
 * acc.update(pred, labels);
 * acc.result(); // fraction correct so far
 * ```
 */
export interface Metric {
  /** Key in history logs, e.g. `"accuracy"`. */
  readonly name: string;
  /** Adds one batch. */
  update(pred: Tensor, target: Tensor): void;
  /** The value over everything since the last reset. */
  result(): number;
  /** Starts over. */
  reset(): void;
  /** The running counts (for checkpoints taken mid-epoch). */
  getState?(): number[];
  /** Restores counts from {@link Metric.getState}. */
  setState?(state: readonly number[]): void;
}

/**
 * The metric a saved name stands for: `"accuracy"` (thresholded at 0 for a
 * loss on logits with a sigmoid link, else 0.5, as compile does) or
 * `"top<k>Accuracy"`. Returns null for any other name.
 * @example
 * ```ts
 * metricFromName("top3Accuracy", "softmax"); // new TopKAccuracy(3)
 * ```
 */
export function metricFromName(name: string, outputLink: "softmax" | "sigmoid" | "none"): Metric | null {
  const threshold = outputLink === "sigmoid" ? 0 : 0.5;
  if (name === "accuracy") return new Accuracy(threshold);
  if (name === "mae" || name === "mse" || name === "rmse" || name === "r2") return new RegressionMetric(name);
  if (name === "precision" || name === "recall" || name === "f1") return new MacroClassMetric(name, threshold);
  const m = /^top([1-9][0-9]{0,5})Accuracy$/.exec(name);
  return m ? new TopKAccuracy(Number(m[1])) : null;
}

/** Checks and unpacks a [correct, total] count pair. */
function countState(state: readonly number[], name: string): [number, number] {
  const [c, t] = state as [number, number];
  if (state.length !== 2 || !Number.isInteger(c) || !Number.isInteger(t) || c < 0 || t < c) {
    throw new ValueError(
      `${name}.setState: expected [correct, total] with 0 <= correct <= total, got [${state.join(", ")}]`,
    );
  }
  return [c, t];
}

/**
 * Fraction of correctly classified samples.
 * @example
 * ```ts
 * model.compile({ optimizer, loss, metrics: ["accuracy"] });
 * ```
 */
export class Accuracy implements Metric {
  readonly name = "accuracy";
  private correct = 0;
  private total = 0;
  /** @param threshold decision threshold for a single output column (0.5 for probabilities, 0 for logits). */
  constructor(readonly threshold = 0.5) {}

  update(pred: Tensor, target: Tensor): void {
    const B = pred.shape[0] as number;
    if (B === 0) return;
    const K = pred.size / B;
    const p = pred.data;
    const t = target.data;
    const sparse = target.size === B && K > 1;
    for (let r = 0; r < B; r++) {
      const o = r * K;
      let ok: boolean;
      if (K === 1) {
        ok = (p[r] as number) > this.threshold === (t[r] as number) > 0.5;
      } else {
        let best = 0;
        for (let j = 1; j < K; j++) if ((p[o + j] as number) > (p[o + best] as number)) best = j;
        ok = best === labelOf(t, r, K, sparse);
      }
      if (ok) this.correct++;
      this.total++;
    }
  }

  result(): number {
    return this.total === 0 ? 0 : this.correct / this.total;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
  }

  getState(): number[] {
    return [this.correct, this.total];
  }

  setState(state: readonly number[]): void {
    [this.correct, this.total] = countState(state, this.name);
  }
}

/**
 * Counts of (true class, predicted class) pairs: `m[t][p]`.
 * `predicted` may be class indices or a (N, K) tensor of scores (argmax
 * taken); or pass a model, the inputs and the labels, and it predicts (K is
 * the model's output width).
 * @example
 * ```ts
 * const m = confusionMatrix(model.predict(xTest), yTest, 10);
 * m[4][9]; // fours taken for nines
 * confusionMatrix(model, xTest, yTest); // the same
 * ```
 */
export function confusionMatrix(model: Predictor, x: Tensor, labels: Tensor | ArrayLike<number>): number[][];
export function confusionMatrix(
  predicted: Tensor | ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][];
export function confusionMatrix(
  first: Predictor | Tensor | ArrayLike<number>,
  second: Tensor | ArrayLike<number>,
  third: number | Tensor | ArrayLike<number>,
): number[][] {
  if (typeof (first as Predictor).predict === "function") {
    const scores = (first as Predictor).predict(second as Tensor);
    const N = scores.shape[0] ?? 0;
    const K = N === 0 ? 0 : scores.size / N;
    const y = third instanceof Object && "data" in third ? (third as Tensor).data : (third as ArrayLike<number>);
    return confusionMatrix(scores, y, K);
  }
  const predicted = first as Tensor | ArrayLike<number>;
  const labels = second as ArrayLike<number>;
  const numClasses = third as number;
  const pred = "argMax" in predicted ? predicted.argMax() : predicted;
  if (pred.length !== labels.length) {
    throw new ShapeError(`confusionMatrix: ${pred.length} predictions but ${labels.length} labels`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i] as number;
    const p = pred[i] as number;
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses && Number.isInteger(p) && p >= 0 && p < numClasses)) {
      throw new ValueError(`confusionMatrix: pair ${i} (true ${t}, predicted ${p}) is outside [0, ${numClasses - 1}]`);
    }
    (m[t] as number[])[p] = ((m[t] as number[])[p] as number) + 1;
  }
  return m;
}

/**
 * Fraction of samples whose label is among the k highest scores
 * (integer labels (B,) or one-hot targets (B, K)).
 * @example
 * ```ts
 * model.compile({ optimizer, loss, metrics: ["accuracy", new TopKAccuracy(3)] });
 * ```
 */
export class TopKAccuracy implements Metric {
  readonly name: string;
  private correct = 0;
  private total = 0;
  constructor(
    /** How many of the highest scores may contain the label. */
    readonly k = 5,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new ValueError(`TopKAccuracy: k must be a positive integer, got ${k}`);
    this.name = `top${k}Accuracy`;
  }
  update(pred: Tensor, target: Tensor): void {
    const B = pred.shape[0] as number;
    if (B === 0) return;
    const K = pred.size / B;
    const p = pred.data;
    const t = target.data;
    const sparse = target.size === B;
    for (let r = 0; r < B; r++) {
      const o = r * K;
      const label = labelOf(t, r, K, sparse);
      // the label is in the top k when fewer than k scores beat it (ties count for the label)
      const s = p[o + label] as number;
      let higher = 0;
      for (let j = 0; j < K; j++) if ((p[o + j] as number) > s) higher++;
      if (higher < this.k) this.correct++;
      this.total++;
    }
  }
  result(): number {
    return this.total === 0 ? 0 : this.correct / this.total;
  }
  reset(): void {
    this.correct = 0;
    this.total = 0;
  }

  getState(): number[] {
    return [this.correct, this.total];
  }

  setState(state: readonly number[]): void {
    [this.correct, this.total] = countState(state, this.name);
  }
}

/** Per-class and averaged precision, recall and F1. */
export interface ClassificationReport {
  /** precision[c] = TP / (TP + FP); 0 when the class was never predicted. */
  precision: number[];
  /** recall[c] = TP / (TP + FN); 0 when the class never occurs. */
  recall: number[];
  /** F1 = 2PR / (P + R); 0 when P + R = 0. */
  f1: number[];
  /** Samples of each true class. */
  support: number[];
  /** Unweighted means over classes. */
  macro: {
    /** Mean of the per-class precisions. */
    precision: number;
    /** Mean of the per-class recalls. */
    recall: number;
    /** Mean of the per-class F1 scores. */
    f1: number;
  };
  /** Fraction correct. */
  accuracy: number;
}

/**
 * Precision, recall and F1 per class (and their macro averages) from a
 * confusion matrix, or from predictions and labels.
 * @example
 * ```ts
 * const r = classificationReport(model.predict(xTest), yTest, 10);
 * r.f1[8]; // how well eights are found
 * ```
 */
export function classificationReport(
  predicted: Tensor | ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): ClassificationReport {
  const m = confusionMatrix(predicted, labels, numClasses);
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = (m[c] as number[])[c] as number;
    let predC = 0;
    let trueC = 0;
    for (let k = 0; k < numClasses; k++) {
      predC += (m[k] as number[])[c] as number;
      trueC += (m[c] as number[])[k] as number;
    }
    const p = predC === 0 ? 0 : tp / predC;
    const r = trueC === 0 ? 0 : tp / trueC;
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
    support.push(trueC);
    correct += tp;
    total += trueC;
  }
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  return {
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    accuracy: total === 0 ? 0 : correct / total,
  };
}

/** The regression metrics' names. */
export type RegressionMetricName = "mae" | "mse" | "rmse" | "r2";

/**
 * Mean absolute error, mean squared error, root mean squared error or the
 * coefficient of determination R², over the whole set seen since the last
 * reset: sums, not a mean of batch means. With several outputs, each output
 * is scored on its own and the scores are averaged, as scikit-learn's
 * `multioutput="uniform_average"` does (so RMSE is the mean of the outputs'
 * RMSEs, and R² the mean of their R²s):
 * ```
 * mae_j = Σ|p − t| / n     mse_j = Σ(p − t)² / n     rmse_j = √mse_j
 * r2_j  = 1 − Σ(p − t)² / Σ(t − t̄)²    (1 if both sums are 0, 0 if only the second is)
 * ```
 * The target's Σ(t − t̄)² comes from Welford's streaming update in float64,
 * so no E[t²] − E[t]² cancellation. State for checkpoints:
 * `[D, n, then per output: Σ|e|, Σe², t̄, Σ(t − t̄)²]`.
 * @example
 * ```ts
 * model.compile({ optimizer, loss: "meanSquaredError", metrics: ["mae", "r2"] });
 * ```
 */
export class RegressionMetric implements Metric {
  private D = 0;
  private n = 0;
  private sums = new Float64Array(0); // per output: Σ|e|, Σe², mean t, M2 t
  constructor(readonly name: RegressionMetricName) {}

  update(pred: Tensor, target: Tensor): void {
    const B = pred.shape[0] as number;
    if (B === 0) return;
    if (pred.size !== target.size) {
      throw new ShapeError(
        `${this.name}: predictions (${pred.shape.join("×")}) and targets (${target.shape.join("×")}) differ in size`,
      );
    }
    const D = pred.size / B;
    if (this.n === 0) {
      this.D = D;
      this.sums = new Float64Array(4 * D);
    } else if (D !== this.D) {
      throw new ShapeError(`${this.name}: ${D} outputs per sample after ${this.D}`);
    }
    const p = pred.data;
    const t = target.data;
    const s = this.sums;
    for (let r = 0; r < B; r++) {
      const n = this.n + r + 1;
      for (let j = 0; j < D; j++) {
        const tv = t[r * D + j] as number;
        const e = (p[r * D + j] as number) - tv;
        const k = 4 * j;
        s[k] = (s[k] as number) + Math.abs(e);
        s[k + 1] = (s[k + 1] as number) + e * e;
        // Welford: mean += δ/n, M2 += δ·(t − new mean)
        const delta = tv - (s[k + 2] as number);
        s[k + 2] = (s[k + 2] as number) + delta / n;
        s[k + 3] = (s[k + 3] as number) + delta * (tv - (s[k + 2] as number));
      }
    }
    this.n += B;
  }

  result(): number {
    if (this.n === 0) return 0;
    const s = this.sums;
    let total = 0;
    for (let j = 0; j < this.D; j++) {
      const k = 4 * j;
      const sae = s[k] as number;
      const sse = s[k + 1] as number;
      const sst = s[k + 3] as number;
      if (this.name === "mae") total += sae / this.n;
      else if (this.name === "mse") total += sse / this.n;
      else if (this.name === "rmse") total += Math.sqrt(sse / this.n);
      else total += sst === 0 ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
    }
    return total / this.D;
  }

  reset(): void {
    this.n = 0;
    this.D = 0;
    this.sums = new Float64Array(0);
  }

  getState(): number[] {
    return [this.D, this.n, ...this.sums];
  }

  setState(state: readonly number[]): void {
    const [D, n] = state as [number, number];
    const ok =
      Number.isInteger(D) &&
      Number.isInteger(n) &&
      D >= 0 &&
      n >= 0 &&
      (n === 0) === (D === 0) &&
      state.length === 2 + 4 * D &&
      state.every((v) => Number.isFinite(v)) &&
      state.every((v, i) => i < 2 || (i - 2) % 4 === 2 || v >= 0);
    if (!ok) {
      throw new ValueError(
        `${this.name}.setState: expected [outputs, count, then per output Σ|e|, Σe², mean, Σ(t − mean)²] (sums >= 0), got ${state.length} numbers`,
      );
    }
    this.D = D;
    this.n = n;
    this.sums = Float64Array.from(state.slice(2));
  }
}

/** The macro-averaged classification metrics' names. */
export type ClassMetricName = "precision" | "recall" | "f1";

/**
 * Macro-averaged precision, recall or F1 over the whole set seen since the
 * last reset, from a running confusion matrix, as scikit-learn's
 * `precision_score(…, average="macro")` and its siblings define them: each
 * class's score, then their unweighted mean over the classes that occur as a
 * label or a prediction; a score whose denominator is 0 counts as 0
 * (`zero_division=0`). Predictions are the argmax of each row; a single
 * output column is two classes, split at the threshold (0.5 on
 * probabilities, 0 on logits). State for checkpoints: `[K, then the K×K
 * counts, true class by predicted class]`.
 * @example
 * ```ts
 * model.compile({ optimizer, loss: "sparseCategoricalCrossEntropy", metrics: ["accuracy", "f1"] });
 * ```
 */
export class MacroClassMetric implements Metric {
  private K = 0;
  private counts = new Float64Array(0);
  constructor(
    readonly name: ClassMetricName,
    /** Decision threshold for a single output column. */
    readonly threshold = 0.5,
  ) {}

  update(pred: Tensor, target: Tensor): void {
    const B = pred.shape[0] as number;
    if (B === 0) return;
    const W = pred.size / B; // output columns
    const K = W === 1 ? 2 : W;
    if (K > 1000) throw new ValueError(`${this.name}: ${K} classes; the running confusion matrix keeps at most 1000`);
    if (this.K === 0) {
      this.K = K;
      this.counts = new Float64Array(K * K);
    } else if (K !== this.K) {
      throw new ShapeError(`${this.name}: ${K} classes after ${this.K}`);
    }
    const p = pred.data;
    const t = target.data;
    const sparse = target.size === B && W > 1;
    for (let r = 0; r < B; r++) {
      let truth: number;
      let guess: number;
      if (W === 1) {
        truth = (t[r] as number) > 0.5 ? 1 : 0;
        guess = (p[r] as number) > this.threshold ? 1 : 0;
      } else {
        truth = labelOf(t, r, W, sparse);
        const o = r * W;
        guess = 0;
        for (let j = 1; j < W; j++) if ((p[o + j] as number) > (p[o + guess] as number)) guess = j;
      }
      if (!(Number.isInteger(truth) && truth >= 0 && truth < K)) {
        throw new ValueError(`${this.name}: label ${truth} of row ${r} is outside [0, ${K - 1}]`);
      }
      this.counts[truth * K + guess] = (this.counts[truth * K + guess] as number) + 1;
    }
  }

  result(): number {
    const K = this.K;
    const c = this.counts;
    let sum = 0;
    let classes = 0;
    for (let k = 0; k < K; k++) {
      const tp = c[k * K + k] as number;
      let predicted = 0; // column k
      let actual = 0; // row k
      for (let j = 0; j < K; j++) {
        predicted += c[j * K + k] as number;
        actual += c[k * K + j] as number;
      }
      if (predicted === 0 && actual === 0) continue; // a class that never occurs is not averaged
      classes++;
      const precision = predicted === 0 ? 0 : tp / predicted;
      const recall = actual === 0 ? 0 : tp / actual;
      if (this.name === "precision") sum += precision;
      else if (this.name === "recall") sum += recall;
      else sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    }
    return classes === 0 ? 0 : sum / classes;
  }

  reset(): void {
    this.K = 0;
    this.counts = new Float64Array(0);
  }

  getState(): number[] {
    return [this.K, ...this.counts];
  }

  setState(state: readonly number[]): void {
    const K = state[0] as number;
    const ok =
      Number.isInteger(K) &&
      K >= 0 &&
      K <= 1000 &&
      state.length === 1 + K * K &&
      state.every((v) => Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER);
    if (!ok) {
      throw new ValueError(
        `${this.name}.setState: expected [K, then K×K counts] (integers >= 0, K <= 1000), got ${state.length} numbers`,
      );
    }
    this.K = K;
    this.counts = Float64Array.from(state.slice(1));
  }
}
