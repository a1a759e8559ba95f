/**
 * A cheap divergence warning for fit: a run whose loss climbs far above
 * where it has been, without ever becoming NaN (`Adam({ lr: 1e6 })` reaches
 * a loss of 1e11 and trains on), should not stay silent. It is a warning,
 * not an error: the loss may come back, and the user decides.
 */

/** What `fit`'s {@link FitOptions.onDivergence | onDivergence} receives, once per fit. */
export interface DivergenceInfo {
  /** Zero-based epoch and batch of the batch that tripped the warning. */
  epoch: number;
  /** Zero-based batch within the epoch. */
  batch: number;
  /** That batch's loss. */
  loss: number;
  /** The smoothed loss (exponential moving average over ~10 batches). */
  smoothed: number;
  /** The smallest smoothed loss of this fit so far. */
  minimum: number;
  /** The first batch's loss of this fit. */
  start: number;
}

/** How far the smoothed loss must rise over its running minimum. */
export const DIVERGENCE_FACTOR = 100;

/**
 * Watches one fit's batch losses. The loss is smoothed with an exponential
 * moving average (weight 0.1: about 10 batches), so one noisy batch does not
 * count; the watch fires once, when the smoothed loss is above both
 * {@link DIVERGENCE_FACTOR}× its running minimum and the first batch's loss
 * — far worse than the best so far, and worse than the untrained net. A
 * converged net's noise (1e-5 → 1e-3 on XOR) stays below the start; a
 * learning rate that blows up passes both at once.
 */
export class DivergenceWatch {
  private smoothed = Number.NaN;
  private minimum = Number.POSITIVE_INFINITY;
  private start = Number.NaN;
  private fired = false;

  constructor(private readonly report: (info: DivergenceInfo) => void) {}

  /** One batch's (finite) loss. */
  update(epoch: number, batch: number, loss: number): void {
    if (this.fired) return;
    if (Number.isNaN(this.start)) {
      this.start = loss;
      this.smoothed = loss;
    } else {
      this.smoothed = 0.9 * this.smoothed + 0.1 * loss;
    }
    if (this.smoothed < this.minimum) this.minimum = this.smoothed;
    if (this.smoothed > DIVERGENCE_FACTOR * this.minimum && this.smoothed > this.start) {
      this.fired = true;
      this.report({ epoch, batch, loss, smoothed: this.smoothed, minimum: this.minimum, start: this.start });
    }
  }
}

/** The default report: one console warning. */
export function warnDivergence(d: DivergenceInfo): void {
  console.warn(
    `fit: the loss may be diverging: ${d.smoothed.toPrecision(3)} (smoothed) at epoch ${d.epoch + 1}, ` +
      `batch ${d.batch + 1}, up from a minimum of ${d.minimum.toPrecision(3)} and a start of ` +
      `${d.start.toPrecision(3)}; try a smaller learning rate or clipNorm (fit({ onDivergence: null }) silences this)`,
  );
}
