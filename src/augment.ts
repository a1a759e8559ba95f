/**
 * Image augmentation: random affine transforms and elastic distortions of
 * square (or rectangular) grayscale images, applied to a batch in place.
 *
 * The deformation of one image is a single sampling map: for each output
 * pixel p = (x, y) we compute where in the source image to read,
 *
 *   src(p) = A · (p − c − t) + c + α · (G_σ ∗ U)(p)
 *
 * where c is the image centre, t the translation, A the inverse of the
 * forward affine map M = R(θ) · Shear(φ) · Scale(sx, sy), and U a field of
 * per-pixel displacements drawn from U(−1, 1), smoothed with a Gaussian of
 * standard deviation σ and scaled by α (Simard, Steinkraus & Platt 2003,
 * "Best practices for convolutional neural networks applied to visual
 * document analysis"). The value at src(p) is interpolated bilinearly from
 * the four nearest pixels, with the background (0) outside the image. One
 * resampling for the composed map keeps the digit sharper than resampling
 * twice (affine, then elastic).
 *
 * Randomness: a {@link ImageAugmentation} re-seeds its generator from
 * (seed, epoch, batch) at each batch, so the deformations of a batch depend
 * only on where it is in training: a resumed run sees the same ones.
 *
 * Legend: H, W = image height and width; B = batch size; r = blur radius.
 */
import { ShapeError, ValueError } from "./errors.js";
import { cos, exp, sin, tan } from "./math.js";
import { IMAGE_SHAPE_SPEC, parseOptions, type Schema } from "./options.js";
import { Rng } from "./rng.js";
import type { FloatArray, Tensor } from "./tensor.js";

/** Where a batch is in training; given to {@link BatchTransform.transformBatch}. */
export interface BatchStep {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
}

/**
 * Something that changes a batch of training inputs in place before each
 * training step (`fit({ augment })`). It must depend only on the batch's
 * contents and `step` (not on hidden state that a checkpoint would not hold),
 * so that a resumed run is identical to an uninterrupted one.
 * @example
 * ```ts
 * const noise: BatchTransform = {
 *   transformBatch(x, { epoch, batch }) {
 *     const rng = new Rng(epoch * 100003 + batch);
 *     for (let i = 0; i < x.data.length; i++) x.data[i] += 0.01 * rng.normal();
 *   },
 * };
 * ```
 */
export interface BatchTransform {
  /** Transforms `x` (shape `[B, ...]`) in place. */
  transformBatch(x: Tensor, step: BatchStep): void;
}

/**
 * Chains batch transforms: each sees the output of the one before.
 * @example
 * ```ts
 * const both = composeTransforms(new ImageAugmentation({ rotation: 10 }), noise);
 * ```
 */
export function composeTransforms(...transforms: BatchTransform[]): BatchTransform {
  for (const [i, t] of transforms.entries()) {
    if (typeof t?.transformBatch !== "function") {
      throw new ValueError(`composeTransforms: argument ${i} has no transformBatch method`);
    }
  }
  return {
    transformBatch(x: Tensor, step: BatchStep): void {
      for (const t of transforms) t.transformBatch(x, step);
    },
  };
}

/** One image's deformation, as numbers: see {@link warpImage}. */
export interface Warp {
  /** Rotation in degrees; positive turns the digit clockwise on screen (y grows downwards). */
  rotation: number;
  /** Horizontal and vertical scale factors (1 = unchanged). */
  scaleX: number;
  /** Vertical scale factor (1 = unchanged). */
  scaleY: number;
  /** Horizontal shear angle in degrees: x moves by tan(shear) · (y − centre). */
  shear: number;
  /** Translation in pixels (the digit moves right by translateX). */
  translateX: number;
  /** Translation in pixels (the digit moves down by translateY). */
  translateY: number;
  /** Per-pixel horizontal displacement of the sampling point, `[H·W]`, or null for none. */
  dx: FloatArray | null;
  /** Per-pixel vertical displacement of the sampling point, `[H·W]`, or null for none. */
  dy: FloatArray | null;
}

/** The identity warp (no deformation); a starting point for {@link warpImage}. */
export function identityWarp(): Warp {
  return { rotation: 0, scaleX: 1, scaleY: 1, shear: 0, translateX: 0, translateY: 0, dx: null, dy: null };
}

/**
 * Applies one deformation to one image: `dst[p] = bilinear(src, map(p))`
 * with the map described in this module's header and 0 outside the image.
 * `src` and `dst` must not overlap.
 * @example
 * ```ts
 * const shifted = new Float64Array(784);
 * warpImage(image, shifted, 28, 28, { ...identityWarp(), translateX: 2 }); // 2 px to the right
 * ```
 */
export function warpImage(src: ArrayLike<number>, dst: FloatArray, height: number, width: number, w: Warp): void {
  const n = height * width;
  if (src.length < n || dst.length < n) {
    throw new ShapeError(
      `warpImage: expected images of ${height}×${width} = ${n} pixels, got ${src.length} and ${dst.length}`,
    );
  }
  // Forward map M = R(θ) · Shear(φ) · diag(sx, sy); we sample with A = M⁻¹.
  const th = (w.rotation * Math.PI) / 180;
  const c = cos(th);
  const s = sin(th);
  const sh = tan((w.shear * Math.PI) / 180);
  // R · Sh = [[cos, cos·sh − sin], [sin, sin·sh + cos]]; times diag(sx, sy):
  const m00 = c * w.scaleX;
  const m01 = (c * sh - s) * w.scaleY;
  const m10 = s * w.scaleX;
  const m11 = (s * sh + c) * w.scaleY;
  const det = m00 * m11 - m01 * m10;
  if (!(Math.abs(det) > 1e-12) || !Number.isFinite(det)) {
    throw new ValueError(`warpImage: the affine part is singular (determinant ${det}); check scale and shear`);
  }
  // For the identity these are exactly 1, 0, 0, 1, so identity maps p to p exactly.
  const a00 = m11 / det;
  const a01 = -m01 / det;
  const a10 = -m10 / det;
  const a11 = m00 / det;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const dxs = w.dx;
  const dys = w.dy;
  for (let y = 0; y < height; y++) {
    const ry = y - cy - w.translateY;
    for (let x = 0; x < width; x++) {
      const rx = x - cx - w.translateX;
      const p = y * width + x;
      let sx = a00 * rx + a01 * ry + cx;
      let sy = a10 * rx + a11 * ry + cy;
      if (dxs !== null) sx += dxs[p] as number;
      if (dys !== null) sy += dys[p] as number;
      dst[p] = bilinear(src, height, width, sx, sy);
    }
  }
}

/** Bilinear interpolation at (x, y), 0 outside the image. */
function bilinear(src: ArrayLike<number>, height: number, width: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  // (written so that a NaN coordinate also reads the background)
  if (!(x0 >= -1 && y0 >= -1 && x0 < width && y0 < height)) return 0;
  const fx = x - x0;
  const fy = y - y0;
  // (1−fx)(1−fy)·v00 + fx(1−fy)·v01 + (1−fx)fy·v10 + fx·fy·v11, skipping pixels outside
  const inX0 = x0 >= 0;
  const inX1 = x0 + 1 < width;
  let top = 0;
  let bottom = 0;
  if (y0 >= 0) {
    const r = y0 * width + x0;
    top = (inX0 ? (1 - fx) * (src[r] as number) : 0) + (inX1 && fx !== 0 ? fx * (src[r + 1] as number) : 0);
  }
  if (y0 + 1 < height && fy !== 0) {
    const r = (y0 + 1) * width + x0;
    bottom = (inX0 ? (1 - fx) * (src[r] as number) : 0) + (inX1 && fx !== 0 ? fx * (src[r + 1] as number) : 0);
  }
  return fy === 0 ? top : (1 - fy) * top + fy * bottom;
}

/**
 * The normalized 1-D Gaussian of standard deviation σ, truncated at radius
 * r = ⌈3σ⌉: `k[i + r] = exp(−i²/2σ²) / Σ`, i = −r … r.
 * @example
 * ```ts
 * gaussianKernel(1).length; // 7
 * ```
 */
export function gaussianKernel(sigma: number): Float64Array {
  if (!(sigma > 0) || !(sigma <= MAX_SIGMA)) {
    throw new ValueError(`gaussianKernel: sigma must be in (0, ${MAX_SIGMA}], got ${sigma}`);
  }
  // 2σ² underflows to 0 below σ ≈ 1e-162, and 0/0 would make the kernel NaN
  if (!(2 * sigma * sigma > 0)) {
    throw new ValueError(
      `gaussianKernel: sigma ${sigma} is so small that 2σ² underflows to 0; a blur that narrow is no blur (use sigma ≥ 0.1, or no elastic distortion)`,
    );
  }
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) (k[i] as number) /= sum;
  return k;
}

/**
 * The largest σ {@link gaussianKernel} builds: 24,577 taps. An image's own
 * bound is tighter (its larger side, see {@link ImageAugmentation}).
 */
export const MAX_SIGMA = 4096;

/**
 * Index of `i` folded into [0, n) by mirror reflection about the edges
 * (d c b a | a b c d | d c b a), the boundary rule of {@link gaussianBlur}.
 */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  const m = (((i % period) + period) % period) | 0; // (| 0 turns −0 into 0)
  return m < n ? m : period - 1 - m;
}

/**
 * Blurs an `[H·W]` image with a separable Gaussian (rows, then columns),
 * reflecting at the edges. `tmp` is scratch of `H·W` values; `kernel` from
 * {@link gaussianKernel}; `out` may be `img`.
 * @example
 * ```ts
 * const k = gaussianKernel(4);
 * gaussianBlur(field, field, new Float64Array(784), 28, 28, k);
 * ```
 */
export function gaussianBlur(
  img: ArrayLike<number>,
  out: FloatArray,
  tmp: FloatArray,
  height: number,
  width: number,
  kernel: ArrayLike<number>,
): void {
  const r = (kernel.length - 1) / 2;
  const need = Math.max(height, width) + 2 * r;
  if (line.length < need) line = new Float64Array(need);
  const pad = line; // [r + n + r] one row or column with its reflected margins
  // rows: tmp[y, x] = Σ_i k[i] · img[y, reflect(x + i)]
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = -r; i < width + r; i++) pad[i + r] = img[row + reflectIndex(i, width)] as number;
    convolveLine(pad, kernel, tmp, row, 1, width);
  }
  // columns: out[y, x] = Σ_i k[i] · tmp[reflect(y + i), x]
  for (let x = 0; x < width; x++) {
    for (let i = -r; i < height + r; i++) pad[i + r] = tmp[reflectIndex(i, height) * width + x] as number;
    convolveLine(pad, kernel, out, x, width, height);
  }
}

/** Scratch line of {@link gaussianBlur}, grown when a larger image comes. */
let line = new Float64Array(64);

/** out[off + j·stride] = Σ_t k[t] · pad[j + t], j = 0 … n−1 (pad holds the margins). */
function convolveLine(
  pad: Float64Array,
  k: ArrayLike<number>,
  out: FloatArray,
  off: number,
  stride: number,
  n: number,
): void {
  const taps = k.length;
  let j = 0;
  // Four outputs at a time: four independent sums instead of one long
  // dependency chain, which is what limits a single accumulator.
  for (; j + 4 <= n; j += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < taps; t++) {
      const kt = k[t] as number;
      const p = j + t;
      s0 += kt * (pad[p] as number);
      s1 += kt * (pad[p + 1] as number);
      s2 += kt * (pad[p + 2] as number);
      s3 += kt * (pad[p + 3] as number);
    }
    out[off + j * stride] = s0;
    out[off + (j + 1) * stride] = s1;
    out[off + (j + 2) * stride] = s2;
    out[off + (j + 3) * stride] = s3;
  }
  for (; j < n; j++) {
    let s = 0;
    for (let t = 0; t < taps; t++) s += (k[t] as number) * (pad[j + t] as number);
    out[off + j * stride] = s;
  }
}

/** Options of {@link ImageAugmentation}; every range is symmetric about "no change". */
export interface ImageAugmentationOptions {
  /** `[height, width]` of one image; default: the square root of the sample size. */
  imageShape?: [number, number];
  /** Rotation angle drawn from U(−rotation, rotation), in degrees (default 0). */
  rotation?: number;
  /** Scale factors (horizontal and vertical, drawn separately) from U(1 − scale, 1 + scale) (default 0). */
  scale?: number;
  /** Horizontal shear angle from U(−shear, shear), in degrees (default 0). */
  shear?: number;
  /** Translation in pixels, each axis from U(−translation, translation) (default 0). */
  translation?: number;
  /**
   * Elastic distortion: displacement fields from U(−1, 1) per pixel, blurred
   * by a Gaussian of `sigma` pixels and scaled by `alpha` pixels (Simard 2003
   * used σ = 4, α = 34 on MNIST). Default: none.
   */
  elastic?: {
    /** Strength α: the displacement field's scale in pixels (Simard 2003: 34). */
    alpha: number;
    /** Smoothness σ: the Gaussian's standard deviation in pixels (Simard 2003: 4). */
    sigma: number;
  };
  /** Seed of the deformations (default 0). */
  seed?: number;
}

/**
 * Random affine and elastic deformations of images, drawn anew for every
 * batch: pass it to `fit({ augment })`, or call {@link ImageAugmentation.sample}
 * to see what it does. Its scratch buffers are allocated once (in the
 * constructor, or at the first batch when the image shape is inferred);
 * transforming a batch allocates nothing per image.
 * @example
 * ```ts
 * const augment = new ImageAugmentation({ rotation: 10, scale: 0.1, shear: 10, translation: 2,
 *   elastic: { alpha: 34, sigma: 4 }, seed: 1 });
 * await model.fit(imageSource(train), train.labels, { epochs: 30, augment });
 * ```
 */
export class ImageAugmentation implements BatchTransform {
  /** The options as given (for logs and checkpoints). */
  readonly options: Readonly<ImageAugmentationOptions>;
  private readonly rng = new Rng(0);
  private readonly kernel: Float64Array | null;
  private shape: [number, number] | null;
  private src = new Float64Array(0); // [H·W] a copy of the image being warped
  private dst = new Float64Array(0); // [H·W] the warped image
  private fx = new Float64Array(0); // [H·W] horizontal displacement field
  private fy = new Float64Array(0); // [H·W] vertical displacement field
  private tmp = new Float64Array(0); // [H·W] blur scratch
  private readonly warp: Warp = identityWarp();

  /** The options' types and ranges (none has a default: an absent one is no deformation). */
  static readonly options = {
    imageShape: IMAGE_SHAPE_SPEC,
    rotation: { type: "number", min: 0 },
    scale: { type: "number", min: 0, lt: 1 }, // factors from 1 − scale to 1 + scale
    shear: { type: "number", min: 0, lt: 90 },
    translation: { type: "number", min: 0 },
    elastic: {
      type: "object",
      schema: {
        alpha: { type: "number", min: 0, max: 1e6, required: true },
        sigma: { type: "number", gt: 0, max: MAX_SIGMA, required: true },
      },
    },
    seed: { type: "number" },
  } as const satisfies Schema;

  constructor(options: ImageAugmentationOptions = {}) {
    const o = parseOptions("ImageAugmentation", ImageAugmentation.options, options) as ImageAugmentationOptions;
    this.options = Object.freeze(o);
    this.kernel = o.elastic ? gaussianKernel(o.elastic.sigma) : null;
    this.shape = null;
    if (o.imageShape) this.setShape(o.imageShape, "ImageAugmentation");
  }

  private setShape(shape: readonly number[], where: string): void {
    const [h, w] = shape as [number, number];
    if (shape.length !== 2 || !Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
      throw new ShapeError(
        `${where}: imageShape must be [height, width] of positive integers, got [${shape.join(", ")}]`,
      );
    }
    const e = this.options.elastic;
    const side = Math.max(h, w);
    if (e && e.sigma > side) {
      // the blur runs on the image's mirror-reflected field, periodic in 2·side: a
      // Gaussian wider than the side averages whole periods into a uniform shift
      throw new ValueError(
        `${where}: elastic.sigma ${e.sigma} is beyond what a ${h}×${w} image can express (at most ${side}, its larger side: a wider blur of the reflected field is a uniform shift, and costs ${2 * Math.ceil(3 * e.sigma) + 1} taps per pixel)`,
      );
    }
    if (e && e.alpha > 100 * side) {
      throw new ValueError(
        `${where}: elastic.alpha ${e.alpha} is beyond what a ${h}×${w} image can express (at most ${100 * side}, 100 × its larger side: larger fields move most pixels out of the image and leave blank images)`,
      );
    }
    this.shape = [h, w];
    const n = h * w;
    if (this.src.length !== n) {
      this.src = new Float64Array(n);
      this.dst = new Float64Array(n);
      this.fx = new Float64Array(n);
      this.fy = new Float64Array(n);
      this.tmp = new Float64Array(n);
    }
  }

  /** The image shape for samples of `size` values (given, or a square). */
  private shapeFor(size: number, where: string): [number, number] {
    if (this.shape !== null) {
      if (this.shape[0] * this.shape[1] !== size) {
        throw new ShapeError(
          `${where}: imageShape [${this.shape.join(", ")}] has ${this.shape[0] * this.shape[1]} pixels, but a sample has ${size} values`,
        );
      }
      return this.shape;
    }
    const side = Math.round(Math.sqrt(size));
    if (side * side !== size) {
      throw new ShapeError(
        `${where}: a sample has ${size} values, not a square image; give imageShape [height, width]`,
      );
    }
    this.setShape([side, side], where);
    return [side, side];
  }

  /** Re-seeds the generator for one batch from (seed, epoch, batch). */
  private seedFor(step: BatchStep): void {
    // FNV-1a-style mixing of three 32-bit words into one seed.
    const h = mixWord(mixWord(mixWord(0x811c9dc5, this.options.seed ?? 0), step.epoch), step.batch);
    this.rng.reseed(h >>> 0);
  }

  /** Draws one image's warp into this.warp (fields into this.fx / this.fy). */
  private drawWarp(h: number, w: number): Warp {
    const o = this.options;
    const rng = this.rng;
    const wp = this.warp;
    const sym = (a: number | undefined): number => (a ? rng.uniformRange(-a, a) : 0);
    wp.rotation = sym(o.rotation);
    wp.scaleX = 1 + sym(o.scale);
    wp.scaleY = 1 + sym(o.scale);
    wp.shear = sym(o.shear);
    wp.translateX = sym(o.translation);
    wp.translateY = sym(o.translation);
    if (o.elastic && this.kernel !== null && o.elastic.alpha > 0) {
      const n = h * w;
      const { fx, fy, tmp } = this;
      // U(−1, 1) from one 32-bit draw each (2⁻³¹ resolution is plenty for a field that is then blurred)
      for (let i = 0; i < n; i++) fx[i] = rng.nextUint32() * 4.656612873077393e-10 - 1;
      for (let i = 0; i < n; i++) fy[i] = rng.nextUint32() * 4.656612873077393e-10 - 1;
      gaussianBlur(fx, fx, tmp, h, w, this.kernel);
      gaussianBlur(fy, fy, tmp, h, w, this.kernel);
      const a = o.elastic.alpha;
      for (let i = 0; i < n; i++) {
        fx[i] = (fx[i] as number) * a;
        fy[i] = (fy[i] as number) * a;
      }
      wp.dx = fx;
      wp.dy = fy;
    } else {
      wp.dx = null;
      wp.dy = null;
    }
    return wp;
  }

  /**
   * Deforms every sample of `x` (shape `[B, H·W]` or `[B, H, W]`) in place,
   * with deformations drawn from (seed, step.epoch, step.batch).
   * @throws ShapeError if a sample is not an image of the configured shape
   */
  transformBatch(x: Tensor, step: BatchStep): void {
    const b = x.shape[0] as number;
    const size = b === 0 ? 0 : x.size / b;
    if (b === 0) return;
    const [h, w] = this.shapeFor(size, "ImageAugmentation");
    this.seedFor(step);
    const data = x.data;
    const { src, dst } = this;
    for (let s = 0; s < b; s++) {
      const off = s * size;
      for (let i = 0; i < size; i++) src[i] = data[off + i] as number;
      warpImage(src, dst, h, w, this.drawWarp(h, w));
      for (let i = 0; i < size; i++) data[off + i] = dst[i] as number;
    }
  }

  /**
   * `count` deformed copies of one image (values as given, e.g. bytes 0–255),
   * for pictures of what the augmentation does. Deterministic in `seed`.
   * @example
   * ```ts
   * const copies = augment.sample(train.images.subarray(0, 784), 8);
   * ```
   */
  sample(image: ArrayLike<number>, count: number, seed = 0): Float64Array[] {
    const [h, w] = this.shapeFor(image.length, "ImageAugmentation.sample");
    this.seedFor({ epoch: -1, batch: Math.trunc(seed) });
    const out: Float64Array[] = [];
    for (let c = 0; c < count; c++) {
      const dst = new Float64Array(h * w);
      warpImage(image, dst, h, w, this.drawWarp(h, w));
      out.push(dst);
    }
    return out;
  }
}

/** One FNV-1a-style step: mixes a 32-bit word into the hash h. */
function mixWord(h: number, v: number): number {
  const m = Math.imul(h ^ (Math.trunc(v) >>> 0), 0x01000193);
  return m ^ (m >>> 15);
}

/**
 * Width normalization (as used to diversify committee members, Meier et al.
 * 2011): every image is stretched or squeezed horizontally about its ink's
 * centre so that its ink (pixels > `threshold`) spans `width` pixels, and the
 * ink is centred horizontally; rows are unchanged. Returns new bytes (rounded,
 * clamped to 0–255); images with no ink are copied.
 * @example
 * ```ts
 * const narrow = normalizeWidth(train.images, 28, 28, 16);
 * ```
 */
export function normalizeWidth(
  images: Uint8Array,
  height: number,
  width: number,
  targetWidth: number,
  threshold = 0,
): Uint8Array {
  const n = height * width;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0) || images.length % n !== 0) {
    throw new ShapeError(`normalizeWidth: ${images.length} bytes are not a whole number of ${height}×${width} images`);
  }
  if (!(targetWidth >= 1 && targetWidth <= width)) {
    throw new ValueError(`normalizeWidth: targetWidth must be in [1, ${width}], got ${targetWidth}`);
  }
  const out = new Uint8Array(images.length);
  const src = new Float64Array(n);
  const dst = new Float64Array(n);
  const w = identityWarp();
  const c = (width - 1) / 2;
  for (let off = 0; off < images.length; off += n) {
    let lo = width;
    let hi = -1;
    for (let p = 0; p < n; p++) {
      const v = images[off + p] as number;
      src[p] = v;
      if (v > threshold) {
        const x = p % width;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    if (hi < 0) {
      out.set(images.subarray(off, off + n), off);
      continue;
    }
    // ink spans [lo − ½, hi + ½] (hi − lo + 1 pixels): scale it to targetWidth,
    // and move its centre (lo + hi)/2 to the image centre c.
    const s = targetWidth / (hi - lo + 1);
    w.scaleX = s;
    w.translateX = -s * ((lo + hi) / 2 - c);
    warpImage(src, dst, height, width, w);
    for (let p = 0; p < n; p++) out[off + p] = Math.min(255, Math.max(0, Math.round(dst[p] as number)));
  }
  return out;
}
