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
 * A method was called on a model after its `dispose()`: its weights and
 * buffers are gone (on the wasm backend, their memory is freed). A
 * `ValueError`, so code that catches those catches it too.
 *
 * @example
 * ```ts
 * model.dispose();
 * model.predict(x); // DisposedError: predict: the model was disposed …
 * ```
 */
export class DisposedError extends ValueError {
  /** `where`: the call refused; `model`: the model as its `describe()` names it. */
  constructor(where: string, model: string) {
    super(
      `${where}: the model ${model} was disposed (dispose() freed its weights and buffers); build or load a new one`,
    );
  }
}

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

/**
 * A training step made a parameter non-finite: an update that overflowed
 * float range although the loss was finite (e.g. `SGD({ lr: 1e6 })`), or a
 * forward pass that put ±Infinity in a running statistic. The step
 * guard checks every parameter after each step; the message names the
 * parameter, the first bad element and, under `fit`, the epoch and batch.
 * The step cannot be undone, so the weights in memory are not usable after
 * it; no checkpoint or save ever holds them (`serialize` refuses non-finite
 * arrays), so the last checkpoint is the last good state.
 *
 * @example
 * ```ts
 * try { await model.fit(x, y); } catch (e) { if (e instanceof NonFiniteParamError) console.log(e.param, e.index); }
 * ```
 */
export class NonFiniteParamError extends TinyMlpError {
  /** The parameter's name, e.g. `"dense_1/kernel"`. */
  readonly param: string;
  /** Index of its first non-finite element. */
  readonly index: number;
  /** That element (NaN or ±Infinity). */
  readonly value: number;
  /** Zero-based epoch and batch, when the step ran under `fit`. */
  readonly epoch: number | null;
  /** Zero-based batch within the epoch, when the step ran under `fit`. */
  readonly batch: number | null;
  constructor(param: string, index: number, value: number, epoch: number | null = null, batch: number | null = null) {
    const at = epoch === null ? "" : ` at epoch ${epoch + 1}, batch ${(batch ?? 0) + 1}`;
    super(
      `${epoch === null ? "trainStep" : "fit"}: parameter '${param}' became ${value} (element ${index})${at}; ` +
        "training stopped, and these weights are not usable (reload the last checkpoint; try a smaller " +
        "learning rate or clipNorm)",
    );
    this.param = param;
    this.index = index;
    this.value = value;
    this.epoch = epoch;
    this.batch = batch;
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
