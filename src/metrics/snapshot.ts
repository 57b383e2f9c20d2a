/**
 * A value read at most once per turn of the event loop: one scrape renders many metrics from the
 * same source (prom-client collects them all in one synchronous pass), and each asks for it. The
 * next turn reads it afresh, so a scrape never sees values older than itself.
 */
export class Snapshot<T> {
  private value: T | undefined;

  constructor(private readonly read: () => T) {}

  get(): T {
    if (this.value === undefined) {
      this.value = this.read();
      queueMicrotask(() => (this.value = undefined));
    }
    return this.value;
  }
}
