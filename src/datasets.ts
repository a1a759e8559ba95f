/**
 * Data-set helpers (browser-safe): one-hot labels, the standard MNIST
 * train/validation split, and an image data set type that keeps pixels as bytes.
 */
import { Uint8Source } from "./data.js";
import { ShapeError, ValueError } from "./errors.js";
import type { IdxArray } from "./idx.js";
import { parseOptions, type Schema } from "./options.js";
import { Rng } from "./rng.js";
import { type DType, Tensor } from "./tensor.js";

/**
 * Images as bytes plus integer labels: 60,000 MNIST images take 47 MB this
 * way instead of 188 MB as float32. Pixels are scaled by `scale` (1/255)
 * when a batch is gathered.
 */
export interface ImageDataset {
  /** Pixels, image after image, row-major. */
  images: Uint8Array;
  /** One label per image. */
  labels: Uint8Array;
  /** Shape of one image, e.g. [28, 28]. */
  imageShape: [number, number];
  /** Number of images. */
  length: number;
}

/**
 * Builds an {@link ImageDataset} from parsed IDX images and labels.
 * @throws ShapeError when the counts disagree or the files are not bytes
 * @example
 * ```ts
 * const train = imageDataset(parseIdx(imageBytes), parseIdx(labelBytes));
 * ```
 */
export function imageDataset(images: IdxArray, labels: IdxArray): ImageDataset {
  if (images.type !== "uint8" || labels.type !== "uint8") {
    throw new ShapeError(`imageDataset: expected uint8 images and labels, got ${images.type} and ${labels.type}`);
  }
  if (images.shape.length !== 3 || labels.shape.length !== 1) {
    throw new ShapeError(
      `imageDataset: expected images (N, H, W) and labels (N), got (${images.shape.join(", ")}) and (${labels.shape.join(", ")})`,
    );
  }
  const [n, h, w] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) throw new ShapeError(`imageDataset: ${n} images but ${labels.shape[0]} labels`);
  return { images: images.data as Uint8Array, labels: labels.data as Uint8Array, imageShape: [h, w], length: n };
}

const IMAGE_SOURCE_OPTIONS = {
  flat: { type: "boolean", default: true },
  scale: { type: "number", default: 1 / 255 },
} as const satisfies Schema;

/**
 * The images as a data source for fit/evaluate/predict: flat (`[H·W]`,
 * default) or 2-D (`[H, W]`, for a model that starts with Flatten), scaled to [0, 1].
 * @example
 * ```ts
 * await model.fit(imageSource(train), train.labels, { epochs: 5 });
 * ```
 */
export function imageSource(ds: ImageDataset, opts: { flat?: boolean; scale?: number } = {}): Uint8Source {
  const o = parseOptions("imageSource", IMAGE_SOURCE_OPTIONS, opts);
  const [h, w] = ds.imageShape;
  return new Uint8Source(ds.images, o.flat ? [h * w] : [h, w], o.scale);
}

/**
 * Samples `start` (inclusive) to `end` (exclusive) of a data set: no copy.
 * @example
 * ```ts
 * const { train, validation } = { train: sliceDataset(ds, 0, 50000), validation: sliceDataset(ds, 50000, 60000) };
 * ```
 */
export function sliceDataset(ds: ImageDataset, start: number, end: number): ImageDataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= ds.length)) {
    throw new ValueError(`sliceDataset: range [${start}, ${end}) is not within [0, ${ds.length}]`);
  }
  const px = ds.imageShape[0] * ds.imageShape[1];
  return {
    images: ds.images.subarray(start * px, end * px),
    labels: ds.labels.subarray(start, end),
    imageShape: ds.imageShape,
    length: end - start,
  };
}

/**
 * The literature's MNIST protocol: the last `validationSize` (10,000)
 * training images are held out for model selection; the test set is used once.
 * @example
 * ```ts
 * const { train, validation } = validationSplit(mnistTrain); // 50,000 / 10,000
 * ```
 */
export function validationSplit(
  ds: ImageDataset,
  validationSize = 10_000,
): {
  /** The first length − validationSize images. */
  train: ImageDataset;
  /** The last validationSize images. */
  validation: ImageDataset;
} {
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= ds.length) {
    throw new ValueError(
      `validationSplit: validationSize must be an integer in [0, ${ds.length}), got ${validationSize}`,
    );
  }
  const cut = ds.length - validationSize;
  return { train: sliceDataset(ds, 0, cut), validation: sliceDataset(ds, cut, ds.length) };
}

/**
 * A random subset of `n` samples (seeded), e.g. for a quick smoke run.
 * @example
 * ```ts
 * const small = subsetDataset(train, 500, 1);
 * ```
 */
export function subsetDataset(ds: ImageDataset, n: number, seed = 0): ImageDataset {
  if (!Number.isInteger(n) || n < 0 || n > ds.length) {
    throw new ValueError(`subsetDataset: n must be an integer in [0, ${ds.length}], got ${n}`);
  }
  const idx = new Rng(seed).permutation(ds.length).subarray(0, n);
  const px = ds.imageShape[0] * ds.imageShape[1];
  const images = new Uint8Array(n * px);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[i] as number;
    images.set(ds.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = ds.labels[j] as number;
  }
  return { images, labels, imageShape: ds.imageShape, length: n };
}

/**
 * One-hot encodes integer labels into a (N, numClasses) tensor.
 * @throws ValueError naming the first label out of range
 * @example
 * ```ts
 * oneHot([2, 0], 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(labels: ArrayLike<number>, numClasses: number, dtype: DType = "float32"): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ValueError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const t = Tensor.zeros([labels.length, numClasses], dtype);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new ValueError(`oneHot: label ${c} at index ${i} is not an integer in [0, ${numClasses - 1}]`);
    }
    t.data[i * numClasses + c] = 1;
  }
  return t;
}

/**
 * Splits 0..n-1 into shuffled mini-batches of indices (the last may be
 * smaller). Same seed, same batches.
 * @example
 * ```ts
 * for (const idx of batchIndices(60000, 128, 7)) { ... }
 * ```
 */
export function batchIndices(n: number, batchSize: number, seed: number): Uint32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValueError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  }
  const p = new Rng(seed).permutation(n);
  const out: Uint32Array[] = [];
  for (let s = 0; s < n; s += batchSize) out.push(p.subarray(s, Math.min(n, s + batchSize)));
  return out;
}
