/**
 * Tables in, raw rows out: TableEncoding's columns and one-hot order, its
 * typed errors (missing values, unseen categories, missing columns), the
 * encoding saved in the model file, predictRecords on raw records, and the
 * CSV records reader.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  Dense,
  deserialize,
  FormatError,
  modelFromJSON,
  modelToJSON,
  parseCsvRecords,
  predictRecords,
  Sequential,
  Softmax,
  serialize,
  TableEncoding,
  TableError,
  Tensor,
  ValueError,
} from "../src/index.js";
import { loadCsvRecords } from "../src/node.js";

const cars = [
  { Name: "a", Miles_per_Gallon: 18, Horsepower: 130, Origin: "USA", Cylinders: 8 },
  { Name: "b", Miles_per_Gallon: 26, Horsepower: 90, Origin: "Japan", Cylinders: 4 },
  { Name: "c", Miles_per_Gallon: null, Horsepower: 100, Origin: "Europe", Cylinders: 4 },
  { Name: "d", Miles_per_Gallon: 24, Horsepower: 95, Origin: "Europe", Cylinders: 6 },
];

const dir = mkdtempSync(join(tmpdir(), "tinymlp-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TableEncoding", () => {
  it("numeric columns as they are, then one 0/1 feature per category (sorted); the label a number", () => {
    const enc = TableEncoding.fit(cars, {
      label: "Miles_per_Gallon",
      numeric: ["Horsepower"],
      categorical: ["Origin", "Cylinders"],
      missing: "drop",
    });
    expect(enc.features).toEqual([
      "Horsepower",
      "Origin=Europe",
      "Origin=Japan",
      "Origin=USA",
      "Cylinders=4",
      "Cylinders=6",
      "Cylinders=8",
    ]);
    const { x, y, kept } = enc.encode(cars);
    expect(kept).toEqual([0, 1, 3]); // row 2 has no MPG
    expect(Array.from(x.data)).toEqual([130, 0, 0, 1, 0, 0, 1, 90, 0, 1, 0, 1, 0, 0, 95, 1, 0, 0, 0, 1, 0]);
    expect(y?.shape).toEqual([3, 1]);
    expect(Array.from(y?.data ?? [])).toEqual([18, 26, 24]);
    // the JSON form round-trips and encodes the same
    const back = TableEncoding.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())), "drop");
    expect(Array.from(back.encode(cars).x.data)).toEqual(Array.from(x.data));
  });

  it("a categorical label: class indices in sorted order, decoded back to names", () => {
    const enc = TableEncoding.fit(cars, { label: "Origin", numeric: ["Horsepower"], categorical: ["Origin"] });
    expect(enc.features).toEqual(["Horsepower"]);
    expect(enc.toJSON().labelCategories).toEqual(["Europe", "Japan", "USA"]);
    const { y } = enc.encode(cars);
    expect(Array.from(y?.data ?? [])).toEqual([2, 1, 0, 0]);
    // the highest score's class, by name
    expect(
      enc.decode(
        Tensor.from([
          [0.1, 0.7, 0.2],
          [0.5, 0.2, 0.3],
        ]),
      ),
    ).toEqual(["Japan", "Europe"]);
    expect(() => enc.decode(Tensor.from([[0.1, 0.9]]))).toThrow(
      "TableEncoding.decode: 2 scores per row for 3 classes (Europe, Japan, USA)",
    );
  });

  it("typed errors name the row and column: a missing value, no such column, an unseen category, a non-number", () => {
    expect(() => TableEncoding.fit(cars, { label: "Miles_per_Gallon", numeric: ["Horsepower"] })).toThrow(
      new TableError(
        `row 2, column 'Miles_per_Gallon': a missing value (null); pass missing: "drop" to skip such rows`,
      ),
    );
    const enc = TableEncoding.fit(cars, { numeric: ["Horsepower"], categorical: ["Origin"] });
    expect(() => enc.encode([{ Horsepower: 100 }])).toThrow(
      new TableError(`row 0, column 'Origin': no such column; pass missing: "drop" to skip such rows`),
    );
    expect(() => enc.encode([{ Horsepower: 100, Origin: "Mars" }])).toThrow(
      new TableError(`row 0, column 'Origin': unseen category "Mars"; the encoding knows "Europe", "Japan", "USA"`),
    );
    expect(() => enc.encode([{ Horsepower: "fast", Origin: "USA" }])).toThrow(
      new TableError(`row 0, column 'Horsepower': expected a number, got "fast"`),
    );
    expect(() => TableEncoding.fit(cars, { numeric: ["Horsepower", "Horsepower"] })).toThrow(
      "TableEncoding.fit: numeric and categorical list column 'Horsepower' twice",
    );
    expect(() =>
      TableEncoding.fromJSON({
        label: null,
        labelCategories: null,
        numeric: [],
        categorical: [{ column: "x", categories: ["a", "a"] }],
      }),
    ).toThrow(new ValueError("table.categorical[0].categories: lists 'a' twice"));
  });

  it("travels in the model file: a loaded model predicts raw records (a class name, or a number)", () => {
    const enc = TableEncoding.fit(cars, {
      label: "Origin",
      numeric: ["Horsepower", "Cylinders"],
      categorical: ["Origin"],
    });
    const m = new Sequential({ inputShape: [2], seed: 1 });
    m.add(new Dense({ units: 3 }));
    m.add(new Softmax());
    m.table = enc.toJSON();
    const back = deserialize(serialize(m)).model;
    expect(back.table).toEqual(enc.toJSON());
    const rows = [
      { Horsepower: 130, Cylinders: 8 },
      { Horsepower: 90, Cylinders: 4 },
    ];
    const want = Array.from(
      m.predict(enc.encode(rows, { withLabel: false }).x).argMax(),
      (k) => ["Europe", "Japan", "USA"][k],
    );
    expect(predictRecords(back, rows)).toEqual(want);
    expect(modelFromJSON(JSON.parse(JSON.stringify(modelToJSON(m)))).model.table).toEqual(enc.toJSON());
    // a table that does not fit the model's input is refused by the loader
    const doc = JSON.parse(JSON.stringify(modelToJSON(m)));
    doc.table.numeric.push("Weight");
    expect(() => modelFromJSON(doc)).toThrow(
      new FormatError("table: encodes 3 features, the model takes 2 per sample"),
    );
    expect(() => predictRecords(new Sequential({ inputShape: [2], layers: [new Dense({ units: 1 })] }), rows)).toThrow(
      ValueError,
    );
  });
});

describe("CSV records", () => {
  it("numbers become numbers, empty fields null, quoted fields keep their commas and quotes", () => {
    const rows = parseCsvRecords('price,rooms,city\n250000,3,Leeds\n"199,000",,"St ""Ives"""\r\n\n1e3,2,York\n');
    expect(rows).toEqual([
      { price: 250000, rooms: 3, city: "Leeds" },
      { price: "199,000", rooms: null, city: 'St "Ives"' },
      { price: 1000, rooms: 2, city: "York" },
    ]);
    expect(() => parseCsvRecords("a,b\n1\n")).toThrow(
      new TableError("parseCsvRecords: line 2 has 1 fields, the header 2"),
    );
    expect(() => parseCsvRecords('a\n"open\n')).toThrow(
      new TableError("parseCsvRecords: line 2 opens a quote that never closes"),
    );
    const path = join(dir, "t.csv");
    writeFileSync(path, "x,y\n1,2\n");
    expect(loadCsvRecords(path)).toEqual([{ x: 1, y: 2 }]);
    writeFileSync(path, Uint8Array.from([0x78, 0x0a, 0xff, 0x0a]));
    expect(() => loadCsvRecords(path)).toThrow(new TableError(`loadCsvRecords: '${path}' is not UTF-8 text`));
  });
});
