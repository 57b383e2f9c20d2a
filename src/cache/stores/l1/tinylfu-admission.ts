import type { FrequencySketch } from './frequency-sketch.js';

/** From this frequency on, a candidate that loses is still admitted once in 128 (see `admits`). */
const ADMIT_HASH_FLOODING_THRESHOLD = 6;

/**
 * TinyLFU's door: a candidate leaving the window takes the main space's victim's place only if the
 * sketch saw it more often, so a scan of keys read once is turned away instead of flushing the
 * keys read again and again.
 */
export class TinyLfuAdmission {
  /** A tiny generator for the rare random admission; seeded, so a run can be replayed. */
  private random = 0x2545f491;

  constructor(private readonly sketch: FrequencySketch) {}

  /** The candidate wins if it was seen more often than the victim. */
  admits(candidateHash: number, victimHash: number): boolean {
    const candidateFrequency = this.sketch.frequency(candidateHash);
    const victimFrequency = this.sketch.frequency(victimHash);
    if (candidateFrequency > victimFrequency) return true;
    // An attacker who makes one victim look hot (colliding keys) would otherwise freeze the main
    // space; a warm candidate that loses is let in now and then, at random.
    if (candidateFrequency >= ADMIT_HASH_FLOODING_THRESHOLD) return (this.nextRandom() & 127) === 0;
    return false;
  }

  private nextRandom(): number {
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.random = x);
  }
}
