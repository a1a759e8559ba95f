import { describe, expect, it } from "vitest";
import { ShapeError, Tensor } from "../src/index.js";

describe("Tensor", () => {
  it("builds from nested arrays, row-major, float32 by default", () => {
    const t = Tensor.from([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe("float32");
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.get(1, 2)).toBe(6);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("builds float64 from a flat array with an explicit shape", () => {
    const t = Tensor.from([1, 2, 3, 4], { shape: [2, 2], dtype: "float64" });
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(t.get(1, 0)).toBe(3);
  });

  it("wraps typed arrays without copying", () => {
    const d = new Float32Array(6);
    const t = new Tensor(d, [3, 2]);
    t.set(7, 2, 1);
    expect(d[5]).toBe(7);
  });

  it("rejects a data length that does not match the shape", () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/shape \(2, 3\) holds 6 elements but data has 5/);
  });

  it("rejects negative and non-integer dimensions", () => {
    expect(() => Tensor.zeros([2, -1])).toThrow(/dimension 1 .* must be a non-negative integer, got -1/);
    expect(() => Tensor.zeros([1.5])).toThrow(/got 1.5/);
  });

  it("rejects ragged nested arrays and non-numbers, naming the element and what it is", () => {
    const msg = (v: unknown) => {
      try {
        Tensor.from(v as never);
      } catch (e) {
        expect(e).toBeInstanceOf(ShapeError);
        return (e as Error).message;
      }
      return "no error";
    };
    const shape22 = "(the shape of the first elements is (2, 2))";
    expect(msg([[1, 2], [3]])).toBe(
      `Tensor.from: ragged nested array: element [1] is a list of 1; expected a list of 2 ${shape22}`,
    );
    expect(msg([[1, 2], 3])).toBe(
      `Tensor.from: ragged nested array: element [1] is the number 3; expected a list of 2 ${shape22}`,
    );
    expect(
      msg([
        [1, 2],
        [3, [4]],
      ]),
    ).toBe(`Tensor.from: ragged nested array: element [1][1] is a list of 1; expected a number there ${shape22}`);
    // strings (a CSV read by hand) are named as strings, not as a ragged array
    expect(msg([["1", "2"]])).toBe('Tensor.from: element [0][0] is the string "1"; expected a number');
    expect(msg([1, null])).toBe("Tensor.from: element [1] is null; expected a number");
  });

  it("argMax picks the largest element of each row", () => {
    expect(
      Array.from(
        Tensor.from([
          [0, 3, 1],
          [5, 2, 9],
        ]).argMax(),
      ),
    ).toEqual([1, 2]);
  });

  it("clone copies and converts dtype", () => {
    const a = Tensor.from([[1.5, 2]]);
    const b = a.clone("float64");
    b.data[0] = 0;
    expect(a.data[0]).toBe(1.5);
    expect(b.dtype).toBe("float64");
  });
});
