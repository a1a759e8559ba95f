/**
 * The bounds a model (and so a file) may not exceed: one table that the
 * option schemas and the loader both read, so a model the constructors
 * accept always loads and a hostile file cannot make the loader allocate
 * much before its arrays are checked against the bytes.
 */
export const LIMITS = {
  /** Bytes of a file's JSON header. */
  headerBytes: 16 * 1024 * 1024,
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
