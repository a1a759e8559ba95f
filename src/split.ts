/**
 * A seeded train/test split of samples and their targets, as scikit-learn's
 * `train_test_split(x, y, test_size=…, random_state=…, stratify=…)` makes:
 * the test part has ⌈testFraction·N⌉ samples; with `stratify`, each class's
 * share of the test part is its share of the whole, to within one sample.
 */
import { ShapeError, ValueError } from "./errors.js";
import { parseOptions, type Schema } from "./options.js";
import { Rng } from "./rng.js";
import { Tensor } from "./tensor.js";

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** Fraction of the samples held out for testing, in (0, 1) (default 0.2). */
  testFraction?: number;
  /** Seed of the shuffle (default 0): the same seed, the same split. */
  seed?: number;
  /** Keep each class's proportion in both parts; needs integer labels (N) or (N, 1). Default false. */
  stratify?: boolean;
}

const SPLIT_OPTIONS = {
  testFraction: { type: "number", gt: 0, lt: 1, default: 0.2 },
  seed: { type: "number", integer: true, min: 0, max: 0xffffffff, default: 0 },
  stratify: { type: "boolean", default: false },
} as const satisfies Schema;

/** The four parts of {@link trainTestSplit}. */
export interface Split {
  /** Training samples. */
  xTrain: Tensor;
  /** Training targets. */
  yTrain: Tensor;
  /** Held-out samples. */
  xTest: Tensor;
  /** Held-out targets. */
  yTest: Tensor;
  /** Which rows of x went to each part, in their order there. */
  indices: {
    /** The rows of xTrain, in order. */
    train: Uint32Array;
    /** The rows of xTest, in order. */
    test: Uint32Array;
  };
}

/**
 * Splits samples and targets into shuffled training and test parts. Each
 * part is one copy of its rows; x and y are not changed.
 * @throws ShapeError when x and y have different numbers of rows;
 * ValueError when a part would be empty, or `stratify` meets a label that is
 * not an integer >= 0 or a class with a single sample
 * @example
 * ```ts
 * const { xTrain, yTrain, xTest, yTest } = trainTestSplit(x, y, { testFraction: 0.2, seed: 1 });
 * ```
 */
export function trainTestSplit(x: Tensor, y: Tensor, opts: SplitOptions = {}): Split {
  const o = parseOptions("trainTestSplit", SPLIT_OPTIONS, opts);
  const N = x.shape[0] ?? 0;
  if ((y.shape[0] ?? 0) !== N) {
    throw new ShapeError(`trainTestSplit: x has ${N} rows, y has ${y.shape[0] ?? 0}`);
  }
  const nTest = Math.ceil(o.testFraction * N);
  if (nTest === 0 || nTest === N) {
    throw new ValueError(
      `trainTestSplit: ${N} samples with testFraction ${o.testFraction} leave ${nTest === 0 ? "no test" : "no training"} samples`,
    );
  }
  const rng = new Rng(o.seed);
  const test = o.stratify ? stratifiedTest(y, nTest, rng) : rng.permutation(N).subarray(0, nTest);
  const inTest = new Uint8Array(N);
  for (const i of test) inTest[i] = 1;
  const order = rng.permutation(N);
  const train = new Uint32Array(N - nTest);
  const testOrder = new Uint32Array(nTest);
  let a = 0;
  let b = 0;
  for (const i of order) {
    if (inTest[i]) testOrder[b++] = i;
    else train[a++] = i;
  }
  return {
    xTrain: rows(x, train),
    yTrain: rows(y, train),
    xTest: rows(x, testOrder),
    yTest: rows(y, testOrder),
    indices: { train, test: testOrder },
  };
}

/**
 * The test rows of a stratified split: class c gets ⌊nTest·n_c/N⌋ of them,
 * and the remainder goes one each to the classes with the largest fractional
 * parts (ties to the lower class); within a class the rows are drawn at random.
 */
function stratifiedTest(y: Tensor, nTest: number, rng: Rng): Uint32Array {
  const N = y.shape[0] as number;
  if (y.size !== N) {
    throw new ValueError(`trainTestSplit: stratify needs one integer label per sample, y is (${y.shape.join(", ")})`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < N; i++) {
    const c = y.data[i] as number;
    if (!Number.isInteger(c) || c < 0) {
      throw new ValueError(`trainTestSplit: stratify needs integer labels >= 0, y[${i}] is ${c}`);
    }
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  const classes = [...byClass.keys()].sort((p, q) => p - q);
  for (const c of classes) {
    if ((byClass.get(c) as number[]).length < 2)
      throw new ValueError(`trainTestSplit: class ${c} has a single sample; stratify needs at least 2 of each`);
  }
  const quota = classes.map((c) => (nTest * (byClass.get(c) as number[]).length) / N);
  const take = quota.map(Math.floor);
  let left = nTest - take.reduce((s, v) => s + v, 0);
  const byRemainder = classes
    .map((_, k) => k)
    .sort((p, q) => ((quota[q] as number) % 1) - ((quota[p] as number) % 1) || p - q);
  for (const k of byRemainder) {
    if (left === 0) break;
    take[k] = (take[k] as number) + 1;
    left--;
  }
  const out = new Uint32Array(nTest);
  let n = 0;
  classes.forEach((c, k) => {
    const members = byClass.get(c) as number[];
    const perm = rng.permutation(members.length);
    for (let t = 0; t < (take[k] as number); t++) out[n++] = members[perm[t] as number] as number;
  });
  return out;
}

/** The rows `idx` of t, in that order: one new tensor. */
function rows(t: Tensor, idx: Uint32Array): Tensor {
  const N = t.shape[0] as number;
  const D = N === 0 ? 0 : t.size / N;
  const out = Tensor.zeros([idx.length, ...t.shape.slice(1)], t.dtype);
  for (let r = 0; r < idx.length; r++) {
    const s = (idx[r] as number) * D;
    out.data.set(t.data.subarray(s, s + D), r * D);
  }
  return out;
}
