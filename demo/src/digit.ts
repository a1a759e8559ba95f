/**
 * From a drawing to an MNIST-style input, the way the MNIST digits were made
 * (LeCun, Cortes & Burges, "The MNIST database of handwritten digits"): the
 * digit's bounding box is scaled to fit a 20×20 box, keeping its aspect
 * ratio, with anti-aliasing (here: exact area averaging), and the result is
 * placed in a 28×28 field so that its centre of mass sits at the field's
 * centre.
 *
 * One map does both. With ink f(x, y) in [0, 1] on the source grid (pixel
 * (i, j) covers [i, i+1) × [j, j+1)), bounding box [x0, x1) × [y0, y1) and
 * scale s = 20 / max(x1 − x0, y1 − y0), a source point goes to
 *   u = (x − cx)·s + 14,   v = (y − cy)·s + 14,
 * where (cx, cy) = ∫(x, y)·f / ∫f is the ink's centre of mass. Output pixel
 * (p, q) is the mean of f over the preimage of [p, p+1) × [q, q+1), a square
 * of side 1/s. That mean is a box integral of a piecewise-constant image,
 * which a summed-area table S gives exactly: S(x, y) = ∫₀ˣ∫₀ʸ f is bilinear
 * inside every grid cell, so bilinear interpolation of S at the square's four
 * corners is exact, not an approximation.
 */

/** A 28×28 MNIST-style image, row-major, values in [0, 1]. */
export type Digit28 = Float32Array;

/** The side of the box the digit's longer side is scaled to (MNIST: 20). */
export const BOX = 20;
/** The side of the output field (MNIST: 28). */
export const FIELD = 28;

/**
 * The drawing `ink` (w × h, row-major, values in [0, 1]) as a 28×28
 * MNIST-style digit, or null when nothing is drawn.
 */
export function toMnist(ink: Float32Array, w: number, h: number): Digit28 | null {
  if (ink.length !== w * h) throw new Error(`toMnist: expected ${w}×${h} = ${w * h} values, got ${ink.length}`);
  // the bounding box of the ink
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      if ((ink[j * w + i] as number) <= 0) continue;
      if (i < x0) x0 = i;
      if (i > x1) x1 = i;
      if (j < y0) y0 = j;
      if (j > y1) y1 = j;
    }
  }
  const centre = centreOfMass(ink, w, h);
  if (centre === null) return null;
  const [cx, cy] = centre;
  const s = BOX / Math.max(x1 + 1 - x0, y1 + 1 - y0);
  // summed-area table, (w+1) × (h+1): S[j][i] = Σ of ink over [0, i) × [0, j)
  const W1 = w + 1;
  const S = new Float64Array(W1 * (h + 1));
  for (let j = 0; j < h; j++) {
    let row = 0;
    for (let i = 0; i < w; i++) {
      row += ink[j * w + i] as number;
      S[(j + 1) * W1 + i + 1] = (S[j * W1 + i + 1] as number) + row;
    }
  }
  // S at a real point, clamped to the grid (outside it, ink is 0): bilinear inside each cell
  const at = (x: number, y: number): number => {
    x = Math.min(Math.max(x, 0), w);
    y = Math.min(Math.max(y, 0), h);
    const i = Math.min(Math.floor(x), w - 1);
    const j = Math.min(Math.floor(y), h - 1);
    const a = x - i;
    const b = y - j;
    const s00 = S[j * W1 + i] as number;
    const s10 = S[j * W1 + i + 1] as number;
    const s01 = S[(j + 1) * W1 + i] as number;
    const s11 = S[(j + 1) * W1 + i + 1] as number;
    return (1 - b) * ((1 - a) * s00 + a * s10) + b * ((1 - a) * s01 + a * s11);
  };
  const out = new Float32Array(FIELD * FIELD);
  const side = 1 / s; // the preimage of one output pixel
  const area = side * side;
  for (let q = 0; q < FIELD; q++) {
    const ya = cy + (q - FIELD / 2) * side;
    const yb = ya + side;
    for (let p = 0; p < FIELD; p++) {
      const xa = cx + (p - FIELD / 2) * side;
      const xb = xa + side;
      const v = (at(xb, yb) - at(xa, yb) - at(xb, ya) + at(xa, ya)) / area;
      out[q * FIELD + p] = Math.min(1, Math.max(0, v));
    }
  }
  return out;
}

/** Centre of mass (x, y) of a w × h image, pixel centres at (i + ½, j + ½); null when it is blank. */
export function centreOfMass(img: ArrayLike<number>, w: number, h: number): [number, number] | null {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const f = img[j * w + i] as number;
      m += f;
      mx += f * (i + 0.5);
      my += f * (j + 0.5);
    }
  }
  return m > 0 ? [mx / m, my / m] : null;
}
