/**
 * Base class of every error tinymlp throws on purpose. Catch this to tell a
 * refused input from a bug.
 *
 * @example
 * ```ts
 * try { model.predict(x); } catch (e) { if (e instanceof TinyMlpError) console.error(e.message); }
 * ```
 */
export class TinyMlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A tensor or batch had the wrong shape. The message names the layer (or
 * function) and both the expected and the actual shape.
 *
 * @example
 * ```ts
 * throw new ShapeError("Dense 'dense_1': expected input (B, 784), got (32, 783)");
 * ```
 */
export class ShapeError extends TinyMlpError {}

/**
 * An option or a value was out of its allowed range (a negative learning rate,
 * a label out of range, NaN in an input).
 *
 * @example
 * ```ts
 * throw new ValueError("SGD: lr must be a finite number >= 0, got -1");
 * ```
 */
export class ValueError extends TinyMlpError {}

/**
 * Training produced a non-finite loss. The message names the epoch and batch.
 *
 * @example
 * ```ts
 * try { await model.fit(x, y); } catch (e) { if (e instanceof NonFiniteLossError) console.log(e.epoch, e.batch); }
 * ```
 */
export class NonFiniteLossError extends TinyMlpError {
  /** Zero-based epoch in which the loss became non-finite. */
  readonly epoch: number;
  /** Zero-based batch index within that epoch. */
  readonly batch: number;
  /** The loss value (NaN or ±Infinity). */
  readonly loss: number;
  constructor(epoch: number, batch: number, loss: number) {
    super(
      `fit: loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1}; ` +
        "training stopped (try a smaller learning rate, or check the inputs for NaN/Infinity)",
    );
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }
}

/** Formats a shape as `(a, b, c)` for error messages. */
export function fmtShape(shape: readonly (number | string)[]): string {
  return `(${shape.join(", ")})`;
}

/** Throws a ValueError unless `v` is a finite number satisfying `ok`. */
export function checkNumber(where: string, name: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
    throw new ValueError(`${where}: ${name} must be ${rule}, got ${String(v)}`);
  }
  return v;
}
