/**
 * Fuzzing the foreign readers as test/fuzz.test.ts fuzzes the native one:
 * CSV text (the incremental parser, in random chunks) and IDX files (flipped
 * bytes, truncations, extensions, huge dimensions), 1,000 cases each. Every
 * case ends in a result or a typed error (`TinyMlpError`), and is checked
 * for its bounds:
 *
 * - memory: what a reader returns is proportional to what it read. A CSV
 *   value takes at least one byte or one separator, so values ≤ bytes +
 *   lines + 1; an IDX element takes its type's size, so elements · size ≤
 *   the file's bytes − its header.
 * - time: no case may take a second. The inputs are at most 4 KiB, which the
 *   readers take in well under a millisecond; the bound is there only to
 *   catch a hang or a blow-up (a loop that does not advance, a quadratic
 *   rescan), with room for a loaded machine.
 * - values: every number returned is finite (the readers refuse NaN, ±∞
 *   and float32 overflow, naming line and column).
 *
 * The TF.js reader has its own 1,000 hostile model.json + weights cases in
 * test/tfjs.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvParser } from "../src/csv.js";
import { TinyMlpError } from "../src/errors.js";
import { encodeIdx, type IdxArray, parseIdx } from "../src/idx.js";

const CASE_MS = 1000;

function timed<T>(f: () => T): { value: T | null; error: unknown; ms: number } {
  const t0 = performance.now();
  try {
    const value = f();
    return { value, error: null, ms: performance.now() - t0 };
  } catch (error) {
    return { value: null, error, ms: performance.now() - t0 };
  }
}

/** Rethrows anything but a typed error of the library (a TypeError or RangeError is a bug). */
function typedOnly(e: unknown): void {
  if (e !== null && !(e instanceof TinyMlpError)) throw e;
}

describe("fuzzing the CSV reader", () => {
  // pieces CSV files are made of, valid and hostile
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("0", "1", "7", "255", "-3", "2.5", ".5", "1e3", "-0", "42") },
    { weight: 4, arbitrary: fc.constantFrom(",", ",", "\n", "\r\n", "\n") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "NaN",
        "Infinity",
        "-Infinity",
        "1e39",
        "-1e39",
        "3.4028236e38",
        "1e-50",
        "0x1F",
        "1_0",
        " 1 ",
        '"1"',
        '"',
        "label",
        "x,y,z",
        "\uFEFF",
        "\u00e9",
        "\t",
        ";",
        "",
        "e",
        "-",
        ".",
        "\r",
        "\u0000",
        "９",
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const csv = fc.array(piece, { maxLength: 300 }).map((parts) => new TextEncoder().encode(parts.join("")));
  const options = fc.record(
    {
      labelColumn: fc.constantFrom(null, 0, 1, 3, 1_000_000),
      header: fc.constantFrom(true, false, "auto" as const),
      delimiter: fc.constantFrom(",", ";", "\t"),
    },
    { requiredKeys: [] },
  );

  it("text of numbers, separators and hostile tokens, in random chunks: a table or a CsvError (1,000 cases)", () => {
    const counts = { tables: 0, refused: 0 };
    fc.assert(
      fc.property(csv, options, fc.array(fc.nat({ max: 64 }), { maxLength: 20 }), (bytes, opts, cuts) => {
        const r = timed(() => {
          const p = new CsvParser("fuzz.csv", opts);
          let at = 0;
          for (const c of cuts) {
            const to = Math.min(bytes.length, at + c);
            p.push(bytes.subarray(at, to));
            at = to;
          }
          p.push(bytes.subarray(at));
          return p.end();
        });
        typedOnly(r.error);
        expect(r.ms).toBeLessThan(CASE_MS);
        if (r.value === null) {
          expect((r.error as Error).message).toMatch(/^fuzz\.csv/); // names the file
          counts.refused++;
          return;
        }
        counts.tables++;
        const t = r.value;
        let lines = 1;
        for (const b of bytes) if (b === 10) lines++;
        expect(t.features.length + t.labels.length).toBeLessThanOrEqual(bytes.length + lines + 1);
        expect(t.features.length).toBe(t.length * t.columns);
        expect(t.labels.length).toBe(opts.labelColumn === null ? 0 : t.length);
        expect(t.features.every(Number.isFinite)).toBe(true);
        expect(t.labels.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    // both outcomes are exercised, not only refusals
    expect(counts.tables).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(50);
  });
});

describe("fuzzing the IDX reader", () => {
  const types: IdxArray["type"][] = ["uint8", "int8", "int16", "int32", "float32", "float64"];
  const SIZES: Record<IdxArray["type"], number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
  const valid = fc
    .record({
      type: fc.constantFrom(...types),
      shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      seed: fc.nat(),
    })
    .map(({ type, shape, seed }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float64Array(n).map((_, i) => ((seed + 31 * i) % 200) - (type.startsWith("u") ? 0 : 100));
      const a = {
        type,
        shape,
        data: (type === "uint8"
          ? Uint8Array
          : type === "int8"
            ? Int8Array
            : type === "int16"
              ? Int16Array
              : type === "int32"
                ? Int32Array
                : type === "float32"
                  ? Float32Array
                  : Float64Array
        ).from(data),
      } as IdxArray;
      return encodeIdx(a);
    });
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("extend" as const), n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      kind: fc.constant("dim" as const),
      at: fc.nat(),
      value: fc.constantFrom(0, 1, 2 ** 16, 2 ** 31 - 1, 2 ** 32 - 1, 60000, 784),
    }),
    fc.record({ kind: fc.constant("byte" as const), at: fc.integer({ min: 0, max: 3 }), value: fc.nat({ max: 255 }) }),
  );

  it("flipped bytes, truncations, extensions, huge dimensions: an array or an IdxFormatError (1,000 cases)", () => {
    const counts = { arrays: 0, refused: 0 };
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 3 }), (file, muts) => {
        let bytes = file;
        for (const m of muts) {
          if (m.kind === "flip" && bytes.length > 0) {
            bytes = bytes.slice();
            const i = m.at % bytes.length;
            bytes[i] = (bytes[i] as number) ^ (1 << m.bit);
          } else if (m.kind === "truncate") bytes = bytes.slice(0, m.at % (bytes.length + 1));
          else if (m.kind === "extend") {
            const longer = new Uint8Array(bytes.length + m.n);
            longer.set(bytes);
            bytes = longer;
          } else if (m.kind === "dim" && bytes.length >= 8) {
            bytes = bytes.slice();
            const dims = Math.min(bytes[3] as number, Math.floor((bytes.length - 4) / 4));
            if (dims > 0) new DataView(bytes.buffer).setUint32(4 + 4 * (m.at % dims), m.value, false);
          } else if (m.kind === "byte" && bytes.length > m.at) {
            bytes = bytes.slice();
            bytes[m.at] = m.value;
          }
        }
        const r = timed(() => parseIdx(bytes, "fuzz.idx"));
        typedOnly(r.error);
        expect(r.ms).toBeLessThan(CASE_MS);
        if (r.value === null) {
          expect((r.error as Error).message).toMatch(/^fuzz\.idx: /);
          counts.refused++;
          return;
        }
        counts.arrays++;
        const a = r.value;
        const header = 4 + 4 * a.shape.length;
        expect(a.data.length).toBe(a.shape.reduce((p, d) => p * d, 1));
        expect(a.data.length * SIZES[a.type]).toBeLessThanOrEqual(bytes.length - header);
        if (a.type === "float32" || a.type === "float64") {
          // flipped exponent bits may give NaN/∞ in a float IDX file: what does the reader do with them?
          for (const v of a.data) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    expect(counts.arrays).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(50);
  });
});
