/**
 * A committee (ensemble) of trained models that averages their predicted
 * probabilities, as the MNIST committees of Cireşan/Meier et al. (2011).
 */

import type { DataLike } from "./data.js";
import { ShapeError, ValueError } from "./errors.js";
import { listOf, parseOptions } from "./options.js";
import { type BatchOptions, Sequential } from "./sequential.js";
import { Tensor } from "./tensor.js";

/**
 * Anything that turns inputs into one row of scores per sample: a Sequential
 * or a Committee.
 */
export interface Predictor {
  /** Scores (N, K) for N samples. */
  predict(x: DataLike, opts?: BatchOptions): Tensor;
}

/**
 * Averages the class probabilities of several models (each model's output
 * goes through its loss's output link, e.g. softmax of logits). It predicts
 * wherever a model does.
 * @example
 * ```ts
 * const committee = new Committee([modelA, modelB, modelC]);
 * const probs = committee.predict(xTest);
 * committee.evaluate(xTest, yTest).accuracy;
 * ```
 */
export class Committee implements Predictor {
  /** The members. */
  readonly members: readonly Sequential[];
  /** Weight of each member in the average (default equal). */
  readonly weights: readonly number[];

  constructor(members: Sequential[], opts: { weights?: number[] } = {}) {
    if (!Array.isArray(members) || members.length === 0 || !members.every((m) => m instanceof Sequential)) {
      throw new ValueError("Committee: needs at least one Sequential model");
    }
    const shape = members[0]?.outputShape.join(",");
    members.forEach((m, i) => {
      if (m.outputShape.join(",") !== shape) {
        throw new ShapeError(
          `Committee: member ${i} outputs (${m.outputShape.join(", ")}), member 0 outputs (${shape})`,
        );
      }
    });
    const o = parseOptions(
      "Committee",
      { weights: { type: "custom", parse: (v: unknown) => listOf<number>("numbers", v) } },
      opts,
    );
    const w = o.weights ?? members.map(() => 1);
    if (w.length !== members.length || w.some((v) => !(v >= 0) || !Number.isFinite(v)) || w.every((v) => v === 0)) {
      throw new ValueError("Committee: weights must be one finite non-negative number per member, not all zero");
    }
    this.members = members;
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((v) => v / total);
  }

  /**
   * The weighted average of the members' probabilities, (N, K).
   * (Members without a compiled loss contribute their raw outputs.)
   */
  predict(x: DataLike, opts: BatchOptions = {}): Tensor {
    let sum: Tensor | null = null;
    this.members.forEach((m, i) => {
      const p = m.loss ? m.predictProba(x, opts) : m.predict(x, opts);
      const w = this.weights[i] as number;
      if (sum === null) {
        sum = new Tensor(new Float64Array(p.size), p.shape);
      }
      const s = (sum as Tensor).data;
      for (let k = 0; k < p.size; k++) s[k] = (s[k] as number) + w * (p.data[k] as number);
    });
    return sum as unknown as Tensor;
  }

  /**
   * Accuracy of the committee's averaged prediction against integer labels.
   * @example
   * ```ts
   * committee.evaluate(imageSource(test), test.labels).accuracy;
   * ```
   */
  evaluate(
    x: DataLike,
    labels: ArrayLike<number>,
    opts: BatchOptions = {},
  ): {
    /** Fraction of samples whose averaged prediction is the label. */
    accuracy: number;
  } {
    const pred = this.predict(x, opts).argMax();
    if (pred.length !== labels.length)
      throw new ShapeError(`Committee.evaluate: ${pred.length} predictions but ${labels.length} labels`);
    let c = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
    return { accuracy: pred.length === 0 ? 0 : c / pred.length };
  }
}
