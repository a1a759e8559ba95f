/**
 * Metrics computed during fit and evaluate. Accuracy adapts to the targets:
 * integer labels (B,) compare with the argmax of each row; one-hot targets
 * (B, K) with their argmax; a single output column (B, 1) is binary
 * (threshold 0.5 on probabilities, 0 on logits).
 */
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

/** Built-in metric names. */
export type MetricName = "accuracy";

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
  if (name === "accuracy") return new Accuracy(outputLink === "sigmoid" ? 0 : 0.5);
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
 * `predicted` may be class indices or a (N, K) tensor of scores (argmax taken).
 * @example
 * ```ts
 * const m = confusionMatrix(model.predict(xTest), yTest, 10);
 * m[4][9]; // fours taken for nines
 * ```
 */
export function confusionMatrix(
  predicted: Tensor | ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): number[][] {
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
