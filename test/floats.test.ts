import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { floatsAt, HOST_LITTLE_ENDIAN, readFloats, writeFloats } from "../src/format/floats.js";
import { RUNS } from "./helpers.js";

// The file's float arrays are little-endian IEEE 754. The copy path
// (`native`) is what little-endian hosts take; the DataView path is what a
// big-endian host would take. Every test machine is little-endian, so the
// portable path is forced here and held to the same bytes.

const GUARD = 0xa5; // fills the bytes around each write, which must keep it

/** Bytes of IEEE 754 values written out by hand (sign, exponent, mantissa), little-endian. */
const KNOWN: { dtype: "float32" | "float64"; values: number[]; bytes: number[] }[] = [
  // 1 = 0x3F800000, -2.5 = 0xC0200000, 2^-149 (smallest subnormal) = 0x00000001
  { dtype: "float32", values: [1, -2.5, 2 ** -149], bytes: [0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0, 1, 0, 0, 0] },
  // 1 = 0x3FF0000000000000, -0 = 0x8000000000000000
  { dtype: "float64", values: [1, -0], bytes: [0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x80] },
];

const make = (dtype: "float32" | "float64", v: number[]) =>
  dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v);

describe("the file's float encoding (src/format/floats.ts)", () => {
  it("this host is little-endian, so the copy path is the default", () => {
    expect(HOST_LITTLE_ENDIAN).toBe(true);
  });

  it("floatsAt: a view on the bytes where aligned, a decoded copy where not; the same values either way", () => {
    for (const { dtype, values, bytes } of KNOWN) {
      const width = dtype === "float64" ? 8 : 4;
      for (const lead of [0, 1, 3, width]) {
        const buf = new Uint8Array(lead + bytes.length + 5).fill(GUARD);
        buf.set(bytes, lead);
        const a = floatsAt(buf, lead, values.length, dtype);
        expect(Array.from(a)).toEqual(values);
        expect(Object.is(a[a.length - 1], values[values.length - 1])).toBe(true);
        // aligned: shares the file's bytes (no copy); misaligned: its own buffer
        expect(a.buffer === buf.buffer).toBe(lead % width === 0);
      }
      // inside a larger buffer at an odd offset (a pooled read): aligned by the absolute offset
      const pool = new Uint8Array(1 + width + bytes.length);
      pool.set(bytes, 1 + width);
      const inner = pool.subarray(1);
      expect(Array.from(floatsAt(inner, width, values.length, dtype))).toEqual(values);
    }
  });

  for (const native of [true, false]) {
    const path = native ? "copy" : "DataView";
    it(`${path} path: known values give their hand-derived bytes, and read back`, () => {
      for (const { dtype, values, bytes } of KNOWN) {
        const a = make(dtype, values);
        // Written at byte 3 of a buffer that ends exactly where the array ends.
        const out = new Uint8Array(3 + bytes.length).fill(GUARD);
        writeFloats(out, 3, a, native);
        expect(Array.from(out)).toEqual([GUARD, GUARD, GUARD, ...bytes]);
        const back = make(
          dtype,
          values.map(() => 7),
        );
        readFloats(out, 3, back, native);
        expect(Array.from(back)).toEqual(Array.from(a));
        expect(Object.is(back[back.length - 1], a[a.length - 1])).toBe(true); // −0 stays −0
      }
    });
  }

  it("both paths write the same bytes and read the same values, at any offset, touching nothing around them", () => {
    const values = fc.array(fc.double({ noNaN: true }), { minLength: 0, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.constantFrom("float32" as const, "float64" as const),
        values,
        fc.nat(16),
        fc.nat(16),
        (dtype, v, before, after) => {
          const a = make(dtype, v);
          const outs = [true, false].map((native) => {
            const out = new Uint8Array(before + a.byteLength + after).fill(GUARD);
            writeFloats(out, before, a, native);
            return out;
          });
          expect(Array.from(outs[1] as Uint8Array)).toEqual(Array.from(outs[0] as Uint8Array));
          const out = outs[0] as Uint8Array;
          expect(out.subarray(0, before).every((b) => b === GUARD)).toBe(true);
          expect(out.subarray(before + a.byteLength).every((b) => b === GUARD)).toBe(true);
          // Read through a view into the middle of a larger buffer: only the view's bytes change.
          for (const native of [true, false]) {
            const host = make(dtype, Array(a.length + 2).fill(9));
            const into = host.subarray(1, 1 + a.length);
            readFloats(out, before, into, native);
            expect(Array.from(into)).toEqual(Array.from(a));
            expect([host[0], host[host.length - 1]]).toEqual([9, 9]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a source inside a larger Uint8Array (a file read into a pooled buffer) is read from its own offset", () => {
    const a = Float32Array.from([0.5, -3, 1e30]);
    const pool = new Uint8Array(64).fill(GUARD);
    const file = pool.subarray(20, 20 + 4 + a.byteLength);
    writeFloats(file, 4, a, false);
    for (const native of [true, false]) {
      const back = new Float32Array(3);
      readFloats(file, 4, back, native);
      expect(Array.from(back)).toEqual(Array.from(a));
    }
    expect(pool.subarray(0, 24).every((b) => b === GUARD)).toBe(true);
  });
});
