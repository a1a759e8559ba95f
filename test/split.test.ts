/** trainTestSplit: sizes, disjoint parts that keep x's and y's rows together, seeds, stratified quotas. */
import { describe, expect, it } from "vitest";
import { OptionError, ShapeError, Tensor, trainTestSplit, ValueError } from "../src/index.js";

/** N samples whose one feature is the row index, with labels `label(i)`. */
function data(N: number, label: (i: number) => number) {
  return {
    x: Tensor.from(Array.from({ length: N }, (_, i) => [i, -i])),
    y: Tensor.from(Array.from({ length: N }, (_, i) => label(i))),
  };
}

describe("trainTestSplit", () => {
  it("⌈f·N⌉ test rows, every row in exactly one part, x's and y's rows kept together, in a seeded order", () => {
    const { x, y } = data(101, (i) => i % 3);
    const s = trainTestSplit(x, y, { testFraction: 0.3, seed: 5 });
    expect(s.xTest.shape).toEqual([31, 2]); // ⌈30.3⌉
    expect(s.xTrain.shape).toEqual([70, 2]);
    const seen = [...s.indices.train, ...s.indices.test].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 101 }, (_, i) => i));
    s.indices.test.forEach((row, r) => {
      expect(s.xTest.data[2 * r]).toBe(row);
      expect(s.yTest.data[r]).toBe(row % 3);
    });
    expect(trainTestSplit(x, y, { testFraction: 0.3, seed: 5 }).indices).toEqual(s.indices);
    expect(trainTestSplit(x, y, { testFraction: 0.3, seed: 6 }).indices.test).not.toEqual(s.indices.test);
    // shuffled, not the first or last rows
    expect(Array.from(s.indices.test).every((v, k) => k === 0 || v > (s.indices.test[k - 1] as number))).toBe(false);
  });

  it("stratified: class c gets ⌊n·p_c⌋ test rows, the remainder to the largest fractional parts (ties to the lower class)", () => {
    // 100 samples, classes of 50, 30 and 20; 25 test rows: quotas 12.5, 7.5, 5 → 13, 7, 5
    const { x, y } = data(100, (i) => (i < 50 ? 0 : i < 80 ? 1 : 2));
    for (const seed of [0, 1, 2]) {
      const s = trainTestSplit(x, y, { testFraction: 0.25, seed, stratify: true });
      const count = (c: number) => Array.from(s.yTest.data).filter((v) => v === c).length;
      expect([count(0), count(1), count(2)]).toEqual([13, 7, 5]);
    }
  });

  it("refuses rows that differ, an empty part, and labels stratify cannot use", () => {
    const { x, y } = data(10, (i) => i % 2);
    expect(() => trainTestSplit(x, Tensor.from([1, 2]))).toThrow(
      new ShapeError("trainTestSplit: x has 10 rows, y has 2"),
    );
    expect(() => trainTestSplit(x, y, { testFraction: 1 })).toThrow(OptionError);
    expect(() => trainTestSplit(data(2, () => 0).x, data(2, () => 0).y, { testFraction: 0.6 })).toThrow(
      new ValueError("trainTestSplit: 2 samples with testFraction 0.6 leave no training samples"),
    );
    expect(() =>
      trainTestSplit(x, Tensor.from(Array.from({ length: 10 }, (_, i) => i / 2)), { stratify: true }),
    ).toThrow("trainTestSplit: stratify needs integer labels >= 0, y[1] is 0.5");
    expect(() => trainTestSplit(x, Tensor.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), { stratify: true })).toThrow(
      "trainTestSplit: class 1 has a single sample; stratify needs at least 2 of each",
    );
  });
});
