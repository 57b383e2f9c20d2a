/** Initial and smallest share of the slice given to the admission window: newcomers get a short chance to prove themselves. */
export const WINDOW_SHARE = 0.01;
/** The window never grows past this share: the main space always keeps some frequency-defended room. */
export const MAX_WINDOW_SHARE = 0.99;
/** The hill climber's first step, as a share of the slice. */
export const CLIMB_STEP = 0.0625;
/** Steps grow by this while the hit ratio keeps improving, up to {@link MAX_CLIMB_STEP}… */
const STEP_GROWTH = 1.2;
const MAX_CLIMB_STEP = 0.25;
/** …and halve when a step made it worse, so the climber settles instead of wandering on noise. */
const STEP_REVERSAL = 0.5;
/** A hit-ratio change this large means the workload changed: the climber takes full steps again. */
const CLIMB_RESTART_THRESHOLD = 0.05;

/**
 * Hill climbing on the window's size. The best split between recency (the window) and frequency
 * (the main space) depends on the workload: a loop or a skewed stream wants a small window, a
 * stream whose reads return soon after their first wants a large one. After each sample of
 * lookups the climber keeps moving the window the same way, with longer steps, if the hit ratio
 * did not fall, and turns back with a step half as long if it did: on a stationary stream, where
 * the differences are noise, it settles; after a jump of the ratio it starts over with full steps.
 *
 * It only decides; the index counts the sample's hits and applies the share it is given.
 */
export class HillClimber {
  private previousHitRatio = 0;
  /** The next move, as a signed share of the slice (it starts by trying a smaller window). */
  private step = -CLIMB_STEP;

  /** The window's next share of the slice, from its current `share` and the sample's hit ratio. */
  next(share: number, hitRatio: number): number {
    const change = hitRatio - this.previousHitRatio;
    let move: number;
    if (Math.abs(change) >= CLIMB_RESTART_THRESHOLD) {
      move = change >= 0 ? this.step : -this.step;
      this.step = CLIMB_STEP * Math.sign(move);
    } else if (change >= 0) {
      move = this.step;
      this.step = Math.sign(move) * Math.min(MAX_CLIMB_STEP, Math.abs(move) * STEP_GROWTH);
    } else {
      move = -this.step * STEP_REVERSAL;
      this.step = move;
    }
    this.previousHitRatio = hitRatio;
    return Math.min(MAX_WINDOW_SHARE, Math.max(WINDOW_SHARE, share + move));
  }
}
