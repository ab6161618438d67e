/**
 * Events per second over the last 10 s, kept as 100 counts of 100 ms (a ring), so counting
 * costs no allocation however fast the events come. The outbox sizes its claims with it.
 */
export class RateMeter {
  readonly #counts = new Uint32Array(100);
  /** The 100 ms slot (of the clock) the ring was last moved to. */
  #at = 0;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  #advance(now: number) {
    const slot = Math.floor(now / 100);
    for (let i = Math.max(this.#at + 1, slot - 99); i <= slot; i++) this.#counts[i % 100] = 0;
    this.#at = Math.max(this.#at, slot);
  }

  /** One event now. */
  count(): void {
    this.#advance(this.#now());
    this.#counts[this.#at % 100]!++;
  }

  /** Events per second since the oldest counted in the last 10 s; null under `minimum` events. */
  perSecond(minimum = 5): number | null {
    const now = this.#now();
    this.#advance(now);
    let count = 0;
    let oldest = -1;
    for (let i = Math.max(0, this.#at - 99); i <= this.#at; i++) {
      const n = this.#counts[i % 100]!;
      if (n && oldest < 0) oldest = i;
      count += n;
    }
    if (count < minimum) return null;
    return (count / Math.max(200, now - oldest * 100)) * 1000;
  }
}
