/**
 * The bounds a model (and so a file) may not exceed: one table that the
 * option schemas and the loader both read, so a model the constructors
 * accept always loads and a hostile file cannot make the loader allocate
 * much before its arrays are checked against the bytes.
 */
export const LIMITS = {
  /**
   * Bytes of a file's JSON header. The largest model the other limits allow
   * needs about 0.3 MB; the rest is room for a checkpoint's training history
   * (about 19 bytes per metric per epoch: 100,000 epochs of 4 metrics).
   */
  headerBytes: 8 * 1024 * 1024,
  /** Nesting depth of objects and arrays in a header or JSON model file (a checkpoint uses 5). */
  jsonDepth: 32,
  /** Objects and arrays in a header or JSON model file (1,000 layers with Adam state use about 8,000). */
  jsonContainers: 50_000,
  /** Values (numbers, strings, containers…) in a binary file's header: a history of 8 MiB of real numbers has about 450,000. */
  headerValues: 1_000_000,
  /** Layers in a model. */
  layers: 1000,
  /** Dimensions of a per-sample input shape. */
  inputRank: 8,
  /** Any one dimension (an input dimension, `units`). */
  dim: 10_000_000,
  /** Elements of one input sample. */
  inputSize: 100_000_000,
  /** Characters of a layer's name. */
  nameLength: 200,
} as const;
