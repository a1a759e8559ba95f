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
import type { Backend } from "./backend/backend.js";
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
  /**
   * The backend of the model being trained (`fit` sets it), for a transform
   * with a kernel there: {@link ImageAugmentation} deforms on the wasm
   * backend, with the JS reference's bits. Absent: the JS code runs.
   */
  backend?: Backend;
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
  const [a00, a01, a10, a11] = inverseAffine(w, "warpImage");
  resample(src, dst, height, width, a00, a01, a10, a11, w.translateX, w.translateY, w.dx, w.dy);
}

/**
 * dst[p] = bilinear(src, A · (p − c − t) + c + d(p)): the sampling map with the
 * inverse affine A = [[a00, a01], [a10, a11]] given, t = (tx, ty), and the
 * displacement d = (dx, dy) when given. The wasm backend's `deform_images`
 * kernel computes the same expressions in the same order.
 */
function resample(
  src: ArrayLike<number>,
  dst: FloatArray,
  height: number,
  width: number,
  a00: number,
  a01: number,
  a10: number,
  a11: number,
  tx: number,
  ty: number,
  dxs: ArrayLike<number> | null,
  dys: ArrayLike<number> | null,
): void {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++) {
    const ry = y - cy - ty;
    for (let x = 0; x < width; x++) {
      const rx = x - cx - tx;
      const p = y * width + x;
      let sx = a00 * rx + a01 * ry + cx;
      let sy = a10 * rx + a11 * ry + cy;
      if (dxs !== null) sx += dxs[p] as number;
      if (dys !== null) sy += dys[p] as number;
      dst[p] = bilinear(src, height, width, sx, sy);
    }
  }
}

/** Blurs two raw fields in place and scales them by α: each pixel's displacement. */
function smoothFields(
  fx: Float64Array,
  fy: Float64Array,
  tmp: Float64Array,
  height: number,
  width: number,
  kernel: Float64Array,
  alpha: number,
): void {
  gaussianBlur(fx, fx, tmp, height, width, kernel);
  gaussianBlur(fy, fy, tmp, height, width, kernel);
  for (let i = 0; i < fx.length; i++) {
    fx[i] = (fx[i] as number) * alpha;
    fy[i] = (fy[i] as number) * alpha;
  }
}

/** Scratch of {@link deformImages}: three images of float64. */
export interface DeformScratch {
  /** A copy of the image being deformed. */
  src: Float64Array;
  /** The deformed image. */
  dst: Float64Array;
  /** The blur's intermediate. */
  tmp: Float64Array;
}

/**
 * Deforms `count` images of `height × width` in place: the reference of a
 * backend's `deformImages`. Image s's sampling map has the inverse affine
 * and translation `params[6s … 6s + 6)` (a00, a01, a10, a11, tx, ty); with
 * `fields` (raw U(−1, 1) fields, image s's fx then fy at 2·H·W·s), each
 * field is blurred with `kernel` (reflecting at the edges), scaled by
 * `alpha` and added to the map. The fields are overwritten.
 * @internal
 */
export function deformImages(
  images: FloatArray,
  count: number,
  height: number,
  width: number,
  params: Float64Array,
  fields: Float64Array | null,
  kernel: Float64Array | null,
  alpha: number,
  scratch: DeformScratch,
): void {
  const n = height * width;
  const { src, dst, tmp } = scratch;
  for (let s = 0; s < count; s++) {
    const off = s * n;
    for (let i = 0; i < n; i++) src[i] = images[off + i] as number;
    let fx: Float64Array | null = null;
    let fy: Float64Array | null = null;
    if (fields !== null && kernel !== null) {
      fx = fields.subarray(2 * n * s, 2 * n * s + n);
      fy = fields.subarray(2 * n * s + n, 2 * n * (s + 1));
      smoothFields(fx, fy, tmp, height, width, kernel, alpha);
    }
    const q = 6 * s;
    const p = (i: number): number => params[q + i] as number;
    resample(src, dst, height, width, p(0), p(1), p(2), p(3), p(4), p(5), fx, fy);
    for (let i = 0; i < n; i++) images[off + i] = dst[i] as number;
  }
}

/**
 * The sampling matrix A = M⁻¹ of a warp's affine part, M = R(θ) · Shear(φ) ·
 * diag(sx, sy), as [a00, a01, a10, a11] (exactly 1, 0, 0, 1 for the identity,
 * so it maps p to p exactly).
 * @throws ValueError when M is singular (check scale and shear)
 */
function inverseAffine(w: Warp, where: string): [number, number, number, number] {
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
    throw new ValueError(`${where}: the affine part is singular (determinant ${det}); check scale and shear`);
  }
  return [m11 / det, -m01 / det, -m10 / det, m00 / det];
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
  private fx = new Float64Array(0); // [H·W] horizontal displacement field
  private fy = new Float64Array(0); // [H·W] vertical displacement field
  private tmp = new Float64Array(0); // [H·W] blur scratch
  private readonly warp: Warp = identityWarp();
  private params = new Float64Array(0); // [B·6] each image's a00, a01, a10, a11, translateX, translateY
  private noise = new Float64Array(0); // [B·2·H·W] each image's raw fields, fx then fy
  private work: DeformScratch | null = null;

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
    if (this.fx.length !== n) {
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

  /** Whether the deformation has an elastic part (a field to draw, blur and scale). */
  private get elastic(): boolean {
    const e = this.options.elastic;
    return e !== undefined && this.kernel !== null && e.alpha > 0;
  }

  /** Draws one image's affine numbers into `wp`, in a fixed order (the first draws of each image). */
  private drawAffine(wp: Warp): void {
    const o = this.options;
    const rng = this.rng;
    const sym = (a: number | undefined): number => (a ? rng.uniformRange(-a, a) : 0);
    wp.rotation = sym(o.rotation);
    wp.scaleX = 1 + sym(o.scale);
    wp.scaleY = 1 + sym(o.scale);
    wp.shear = sym(o.shear);
    wp.translateX = sym(o.translation);
    wp.translateY = sym(o.translation);
  }

  /** Draws the two raw fields, U(−1, 1) per pixel, fx then fy (the rest of an image's draws). */
  private drawNoise(fx: Float64Array, fy: Float64Array): void {
    // U(−1, 1) from one 32-bit draw each (2⁻³¹ resolution is plenty for a field that is then blurred)
    this.rng.fillUint32(fx, 0, fx.length, 4.656612873077393e-10, -1);
    this.rng.fillUint32(fy, 0, fy.length, 4.656612873077393e-10, -1);
  }

  /** Draws one image's warp into this.warp (fields into this.fx / this.fy). */
  private drawWarp(h: number, w: number): Warp {
    const wp = this.warp;
    this.drawAffine(wp);
    if (this.elastic) {
      this.drawNoise(this.fx, this.fy);
      const alpha = (this.options.elastic as { alpha: number }).alpha;
      smoothFields(this.fx, this.fy, this.tmp, h, w, this.kernel as Float64Array, alpha);
      wp.dx = this.fx;
      wp.dy = this.fy;
    } else {
      wp.dx = null;
      wp.dy = null;
    }
    return wp;
  }

  /**
   * Deforms every sample of `x` (shape `[B, H·W]` or `[B, H, W]`) in place,
   * with deformations drawn from (seed, step.epoch, step.batch).
   *
   * First every image's random numbers are drawn, image after image (its
   * affine numbers, then its two raw fields), into arrays for the batch; then
   * the images are deformed: by the backend's `deformImages` kernel where it
   * has one (the wasm backend: the same float64 arithmetic in the same order,
   * so the same bits, split over its threads), else here.
   * @throws ShapeError if a sample is not an image of the configured shape
   */
  transformBatch(x: Tensor, step: BatchStep): void {
    const b = x.shape[0] as number;
    const size = b === 0 ? 0 : x.size / b;
    if (b === 0) return;
    const [h, w] = this.shapeFor(size, "ImageAugmentation");
    this.seedFor(step);
    const elastic = this.elastic;
    if (this.params.length < 6 * b) this.params = new Float64Array(6 * b);
    if (elastic && this.noise.length < 2 * size * b) this.noise = new Float64Array(2 * size * b);
    const { params, noise, warp } = this;
    for (let s = 0; s < b; s++) {
      this.drawAffine(warp);
      const a = inverseAffine(warp, "warpImage");
      params.set([...a, warp.translateX, warp.translateY], 6 * s);
      if (elastic) {
        const o = 2 * size * s;
        this.drawNoise(noise.subarray(o, o + size), noise.subarray(o + size, o + 2 * size));
      }
    }
    const alpha = elastic ? (this.options.elastic as { alpha: number }).alpha : 0;
    const kernel = elastic ? (this.kernel as Float64Array) : null;
    const fields = elastic ? noise : null;
    if (step.backend?.deformImages?.(x.data, b, h, w, params, fields, kernel, alpha)) return;
    deformImages(x.data, b, h, w, params, fields, kernel, alpha, this.scratch(h, w));
  }

  /** Scratch of the JS deformation, kept between batches. */
  private scratch(h: number, w: number): DeformScratch {
    const n = h * w;
    if (this.work === null || this.work.src.length !== n) {
      this.work = { src: new Float64Array(n), dst: new Float64Array(n), tmp: new Float64Array(n) };
    }
    return this.work;
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

/**
 * Deslanting (as used to diversify committee members, Meier et al. 2011;
 * the moment-based shear of LeCun et al. 1998's "deslanted" MNIST variants):
 * every image is sheared horizontally so that its ink's second moment is
 * upright. With pixel values I as weights, centroid (mx, my) and
 * k = Σ I·(x − mx)(y − my) / Σ I·(y − my)² (how far x moves per row down the
 * digit), output pixel (x, y) reads the input at (x + k·(y − my), y)
 * (bilinear), so the ink's rows slide back under its centroid and the result
 * has Σ I·(x − mx)(y − my) ≈ 0; the centroid row stays in place and rows are
 * unchanged. Returns new bytes (rounded, clamped to 0–255); images with no
 * ink, or ink in one row only, are copied.
 * @example
 * ```ts
 * const upright = deslant(train.images, 28, 28);
 * ```
 */
export function deslant(images: Uint8Array, height: number, width: number): Uint8Array {
  const n = height * width;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0) || images.length % n !== 0) {
    throw new ShapeError(`deslant: ${images.length} bytes are not a whole number of ${height}×${width} images`);
  }
  const out = new Uint8Array(images.length);
  const src = new Float64Array(n);
  const dst = new Float64Array(n);
  const cy = (height - 1) / 2;
  for (let off = 0; off < images.length; off += n) {
    // first moments, then the central second moments about the centroid
    let m = 0;
    let sx = 0;
    let sy = 0;
    for (let p = 0; p < n; p++) {
      const v = images[off + p] as number;
      src[p] = v;
      m += v;
      sx += v * (p % width);
      sy += v * Math.floor(p / width);
    }
    const mx = sx / m;
    const my = sy / m;
    let cxy = 0;
    let cyy = 0;
    for (let p = 0; p < n; p++) {
      const v = src[p] as number;
      const ry = Math.floor(p / width) - my;
      cxy += v * ((p % width) - mx) * ry;
      cyy += v * ry * ry;
    }
    if (!(m > 0 && cyy > 0)) {
      out.set(images.subarray(off, off + n), off);
      continue;
    }
    const k = cxy / cyy;
    // resample's map with A = [[1, k], [0, 1]] and t = (k·(my − cy), 0) reads
    // x_src = (x − cx − t) + k·(y − cy) + cx = x + k·(y − my), y_src = y.
    resample(src, dst, height, width, 1, k, 0, 1, k * (my - cy), 0, null, null);
    for (let p = 0; p < n; p++) out[off + p] = Math.min(255, Math.max(0, Math.round(dst[p] as number)));
  }
  return out;
}
