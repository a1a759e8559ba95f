import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  batchIndices,
  confusionMatrix,
  encodeIdx,
  IdxFormatError,
  imageDataset,
  oneHot,
  parseIdx,
  subsetDataset,
  Tensor,
  Uint8Source,
  validationSplit,
} from "../src/index.js";
import { loadIdx, loadMnist } from "../src/node.js";

/** A hand-built IDX file: magic 00 00 08 03, dims 2×2×3 big-endian, 12 bytes. */
const valid = new Uint8Array([
  0,
  0,
  0x08,
  3,
  0,
  0,
  0,
  2,
  0,
  0,
  0,
  2,
  0,
  0,
  0,
  3,
  ...Array.from({ length: 12 }, (_, i) => i * 20),
]);

describe("IDX parser", () => {
  it("reads a valid uint8 file", () => {
    const a = parseIdx(valid);
    expect(a.type).toBe("uint8");
    expect(a.shape).toEqual([2, 2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
  });

  it("reads big-endian int32 and float64 elements", () => {
    const i32 = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0]);
    expect(Array.from(parseIdx(i32).data)).toEqual([-2, 256]);
    const f64 = encodeIdx({ shape: [2], data: new Float64Array([1.5, -0.25]), type: "float64" });
    expect(Array.from(parseIdx(f64).data)).toEqual([1.5, -0.25]);
  });

  it("rejects a bad magic number, naming the source", () => {
    const bad = valid.slice();
    bad[0] = 1;
    expect(() => parseIdx(bad, "x.idx")).toThrow(IdxFormatError);
    expect(() => parseIdx(bad, "x.idx")).toThrow(/x.idx: bad magic number 0x01000803/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), "y")).toThrow(/looks gzip-compressed/);
  });

  it("rejects unknown element types and zero dimensions", () => {
    const t = valid.slice();
    t[2] = 0x07;
    expect(() => parseIdx(t)).toThrow(/unknown element type 0x07/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]))).toThrow(/zero dimensions/);
  });

  it("rejects truncated headers and data, and trailing bytes", () => {
    expect(() => parseIdx(valid.subarray(0, 10))).toThrow(/truncated header: 3 dimensions need 16 bytes, got 10/);
    expect(() => parseIdx(valid.subarray(0, 20))).toThrow(
      /dimensions \[2, 2, 3\] of uint8 need 28 bytes, got 20 \(truncated\)/,
    );
    expect(() => parseIdx(new Uint8Array([...valid, 0]))).toThrow(/got 29 \(trailing bytes\)/);
  });

  it("rejects a dimension mismatch (dims claim more than the data)", () => {
    const d = valid.slice();
    d[15] = 4; // 2×2×4 = 16 elements, 12 present
    expect(() => parseIdx(d)).toThrow(/need 32 bytes, got 28/);
  });

  it("refuses NaN and ±Infinity in float data, naming the element (data must be finite, as weights are)", () => {
    const f32 = encodeIdx({ shape: [3], data: new Float32Array([1, Number.NaN, 2]), type: "float32" });
    expect(() => parseIdx(f32, "f.idx")).toThrow(
      new IdxFormatError("f.idx: element 1 is NaN; an IDX file of float32 data must hold finite numbers"),
    );
    const f64 = encodeIdx({ shape: [2], data: new Float64Array([0, Number.NEGATIVE_INFINITY]), type: "float64" });
    expect(() => parseIdx(f64, "g.idx")).toThrow(/^g\.idx: element 1 is -Infinity;/);
  });

  it("parseIdx copies the caller's bytes; loadIdx's byte data is a view on the buffer it read (no second copy)", () => {
    const bytes = valid.slice();
    const a = parseIdx(bytes);
    bytes[16] = 99;
    expect(a.data[0]).toBe(0); // a copy: the caller may reuse its buffer
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-idx-"));
    writeFileSync(join(dir, "v.idx"), valid);
    const b = loadIdx(join(dir, "v.idx"));
    expect(b.data.byteOffset).toBe(16); // after the 16-byte header of the file's own buffer
    expect(b.data.buffer.byteLength).toBeGreaterThanOrEqual(valid.length);
  });

  it("encodeIdx round-trips", () => {
    const a = { shape: [3, 2], data: new Uint8Array([1, 2, 3, 4, 5, 6]), type: "uint8" as const };
    expect(parseIdx(encodeIdx(a))).toEqual(a);
  });

  it("the Node loader reads raw and gzip files, and names a corrupt one", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-idx-"));
    writeFileSync(join(dir, "a.idx"), valid);
    writeFileSync(join(dir, "a.idx.gz"), gzipSync(valid));
    expect(loadIdx(join(dir, "a.idx"))).toEqual(loadIdx(join(dir, "a.idx.gz")));
    const gz = gzipSync(valid);
    writeFileSync(join(dir, "bad.gz"), gz.subarray(0, gz.length - 6));
    expect(() => loadIdx(join(dir, "bad.gz"))).toThrow(/bad.gz: corrupt gzip data/);
    expect(() => loadIdx(join(dir, "missing"))).toThrow(/cannot read '.*missing'/);
  });

  it("loadMnist finds gzip files and pairs images with labels", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-mnist-"));
    const imgs = encodeIdx({ shape: [2, 28, 28], data: new Uint8Array(2 * 784).fill(7), type: "uint8" });
    const labels = encodeIdx({ shape: [2], data: new Uint8Array([3, 9]), type: "uint8" });
    for (const split of ["train", "t10k"]) {
      writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(imgs));
      writeFileSync(join(dir, `${split}-labels-idx1-ubyte`), labels);
    }
    const { train, test } = loadMnist(dir);
    expect(train.length).toBe(2);
    expect(Array.from(test.labels)).toEqual([3, 9]);
    expect(train.imageShape).toEqual([28, 28]);
    expect(() => loadMnist(join(dir, "nope"))).toThrow(
      /neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz/,
    );
  });
});

describe("data helpers", () => {
  const ds = imageDataset(
    { shape: [5, 2, 2], data: Uint8Array.from({ length: 20 }, (_, i) => i), type: "uint8" },
    { shape: [5], data: new Uint8Array([0, 1, 2, 3, 4]), type: "uint8" },
  );

  it("validationSplit holds out the last images", () => {
    const { train, validation } = validationSplit(ds, 2);
    expect(Array.from(train.labels)).toEqual([0, 1, 2]);
    expect(Array.from(validation.labels)).toEqual([3, 4]);
    expect(Array.from(validation.images)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(() => validationSplit(ds, 5)).toThrow(/validationSize must be an integer in \[0, 5\)/);
  });

  it("imageDataset checks counts", () => {
    expect(() =>
      imageDataset(
        { shape: [2, 1, 1], data: new Uint8Array(2), type: "uint8" },
        { shape: [3], data: new Uint8Array(3), type: "uint8" },
      ),
    ).toThrow(/2 images but 3 labels/);
  });

  it("subsetDataset is a seeded sample of whole images", () => {
    const a = subsetDataset(ds, 3, 9);
    expect(subsetDataset(ds, 3, 9)).toEqual(a);
    for (let i = 0; i < 3; i++) {
      const label = a.labels[i] as number;
      expect(Array.from(a.images.subarray(i * 4, i * 4 + 4))).toEqual([
        4 * label,
        4 * label + 1,
        4 * label + 2,
        4 * label + 3,
      ]);
    }
  });

  it("oneHot encodes and refuses labels out of range", () => {
    expect(oneHot([2, 0], 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    expect(() => oneHot([1, 3], 3)).toThrow(/label 3 at index 1 is not an integer in \[0, 2\]/);
  });

  it("batchIndices covers every index once, seeded", () => {
    const b = batchIndices(10, 4, 1);
    expect(b.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(b.flatMap((x) => Array.from(x)).sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batchIndices(10, 4, 1).map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
  });

  it("Uint8Source gathers and scales rows", () => {
    const src = new Uint8Source(new Uint8Array([0, 255, 51, 102]), [2], 1 / 255);
    const out = new Float32Array(4);
    src.gather([1, 0], 0, 2, out);
    expect(Array.from(out)).toEqual([0.2, 0.4, 0, 1].map(Math.fround));
  });

  it("confusionMatrix counts (true, predicted) pairs", () => {
    const m = confusionMatrix(
      Tensor.from([
        [0.1, 0.9],
        [0.8, 0.2],
        [0.3, 0.7],
      ]),
      [1, 1, 0],
      2,
    );
    expect(m).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(() => confusionMatrix([0, 5], [0, 1], 2)).toThrow(/pair 1 \(true 1, predicted 5\)/);
  });
});
