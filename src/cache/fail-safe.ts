/**
 * The fail-safe throttle: keys whose source just failed (and were served stale), and until when
 * the source is not tried again for them, so a dead database is not hammered by every request.
 * Bounded: past `max` keys the oldest is forgotten (it is then merely tried again sooner).
 */
export class FailSafeThrottle {
  private readonly until = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** The source failed for `key` at `now`: leave it alone for `forMs`. */
  failed(key: string, now: number, forMs: number): void {
    if (forMs <= 0) return;
    this.until.delete(key);
    this.until.set(key, now + forMs);
    if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
  }

  throttled(key: string, now: number): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.until.delete(key);
    return false;
  }

  /** The source answered for `key` again. */
  recovered(key: string): void {
    this.until.delete(key);
  }
}
