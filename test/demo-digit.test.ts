/**
 * The demo's drawing → 28×28 step (demo/src/digit.ts), checked against its
 * definition: each output pixel is the mean of the ink over the pixel's
 * preimage under u = (x − cx)·s + 14, s = 20 / (longer side of the box).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BOX, centreOfMass, FIELD, toMnist } from "../demo/src/digit.js";

/** The definition computed directly: overlap areas of every source pixel with every preimage square. */
function bruteForce(ink: Float32Array, w: number, h: number): Float64Array {
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      if ((ink[j * w + i] as number) <= 0) continue;
      x0 = Math.min(x0, i);
      x1 = Math.max(x1, i);
      y0 = Math.min(y0, j);
      y1 = Math.max(y1, j);
    }
  }
  const [cx, cy] = centreOfMass(ink, w, h) as [number, number];
  const side = Math.max(x1 + 1 - x0, y1 + 1 - y0) / BOX;
  const overlap = (a: number, b: number, c: number, d: number): number => Math.max(0, Math.min(b, d) - Math.max(a, c));
  const out = new Float64Array(FIELD * FIELD);
  for (let q = 0; q < FIELD; q++) {
    for (let p = 0; p < FIELD; p++) {
      const xa = cx + (p - FIELD / 2) * side;
      const ya = cy + (q - FIELD / 2) * side;
      let sum = 0;
      for (let j = 0; j < h; j++) {
        const oy = overlap(ya, ya + side, j, j + 1);
        if (oy === 0) continue;
        for (let i = 0; i < w; i++) sum += (ink[j * w + i] as number) * overlap(xa, xa + side, i, i + 1) * oy;
      }
      out[q * FIELD + p] = sum / (side * side);
    }
  }
  return out;
}

/** Random ink on a small grid: a few rectangles of random grey. */
const drawing = fc
  .record({
    w: fc.integer({ min: 1, max: 40 }),
    h: fc.integer({ min: 1, max: 40 }),
    rects: fc.array(
      fc.record({
        x: fc.double({ min: 0, max: 1, noNaN: true }),
        y: fc.double({ min: 0, max: 1, noNaN: true }),
        rw: fc.integer({ min: 1, max: 12 }),
        rh: fc.integer({ min: 1, max: 12 }),
        v: fc.double({ min: 0.05, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ w, h, rects }) => {
    const ink = new Float32Array(w * h);
    for (const r of rects) {
      const x = Math.floor(r.x * (w - 1));
      const y = Math.floor(r.y * (h - 1));
      for (let j = y; j < Math.min(h, y + r.rh); j++) {
        for (let i = x; i < Math.min(w, x + r.rw); i++) ink[j * w + i] = Math.max(ink[j * w + i] as number, r.v);
      }
    }
    return { w, h, ink };
  });

describe("toMnist (the demo's drawing pad → 28×28)", () => {
  it("each pixel is the exact mean of the ink over its preimage (the summed-area table is exact)", () => {
    fc.assert(
      fc.property(drawing, ({ w, h, ink }) => {
        const got = toMnist(ink, w, h) as Float32Array;
        const want = bruteForce(ink, w, h);
        for (let k = 0; k < got.length; k++) {
          // the table sums in float64 (error ~1e-15 of a sum ≤ w·h ≤ 1600) and the result is rounded to
          // float32 (≤ 2^-24 of a value ≤ 1): 2^-23 covers both with room
          expect(Math.abs((got[k] as number) - Math.min(1, want[k] as number))).toBeLessThanOrEqual(2 ** -23);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("scales the longer side to 20 px and puts the centre of mass within half a pixel of (14, 14)", () => {
    fc.assert(
      fc.property(drawing, ({ w, h, ink }) => {
        const out = toMnist(ink, w, h) as Float32Array;
        // only drawings that fit the field once centred (a far, faint speck can push ink out of it):
        // then the output holds all the ink, its integral times s²
        let mass = 0;
        for (const v of ink) mass += v;
        let x0 = w;
        let x1 = -1;
        let y0 = h;
        let y1 = -1;
        ink.forEach((v, k) => {
          if (v <= 0) return;
          x0 = Math.min(x0, k % w);
          x1 = Math.max(x1, k % w);
          y0 = Math.min(y0, Math.floor(k / w));
          y1 = Math.max(y1, Math.floor(k / w));
        });
        const s = BOX / Math.max(x1 + 1 - x0, y1 + 1 - y0);
        const total = out.reduce((a, b) => a + b, 0);
        fc.pre(total > (1 - 1e-6) * mass * s * s);
        // the box: the inked output pixels span 20 units, so 20 or 21 pixels (a span can start mid-pixel)
        const span = (inked: (k: number) => boolean): number => {
          let first = -1;
          let last = -1;
          for (let k = 0; k < FIELD; k++) {
            if (!inked(k)) continue;
            if (first < 0) first = k;
            last = k;
          }
          return last - first + 1;
        };
        const line = (k: number, col: boolean): number => {
          let sum = 0;
          for (let t = 0; t < FIELD; t++) sum += out[col ? t * FIELD + k : k * FIELD + t] as number;
          return sum;
        };
        const cols = span((k) => line(k, true) > 1e-6);
        const rows = span((k) => line(k, false) > 1e-6);
        expect(Math.max(cols, rows)).toBeGreaterThanOrEqual(BOX);
        expect(Math.max(cols, rows)).toBeLessThanOrEqual(BOX + 1);
        // the mapped ink's centroid is exactly 14; the pixel-centre centroid of box means is within ½ of it
        const [cx, cy] = centreOfMass(out, FIELD, FIELD) as [number, number];
        expect(Math.abs(cx - FIELD / 2)).toBeLessThanOrEqual(0.5);
        expect(Math.abs(cy - FIELD / 2)).toBeLessThanOrEqual(0.5);
      }),
      { numRuns: 200 },
    );
  });

  it("returns null for a blank pad and refuses a size that does not match", () => {
    expect(toMnist(new Float32Array(280 * 280), 280, 280)).toBeNull();
    expect(() => toMnist(new Float32Array(10), 4, 4)).toThrow(/expected 4×4 = 16 values, got 10/);
  });
});
