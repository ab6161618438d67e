import { RateLimitedError } from '../domain/shared/errors.ts';

const TOO_MANY = 'Too many requests from your network. Wait a few minutes and try again.';

/** The default message has its catalogue key, so public forms can say it in the reader's words. */
const saidIfDefault = (err: RateLimitedError, message: string) =>
  message === TOO_MANY ? err.saying('refuse.tooOften') : err;

/**
 * In-memory sliding-window limiter per key (a client address). Per process: with several
 * Herald processes each allows the limit, which is fine for abuse control. The key count is
 * capped so a flood of addresses cannot fill memory.
 */
export class RateLimiter {
  private hits = new Map<string, number[]>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(limit: number, windowMs: number, maxKeys = 10_000) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.maxKeys = maxKeys;
  }

  /**
   * Throws RateLimitedError when `key` has no request left, without counting one: for refusing
   * before a large body is read (the request is counted when it is acted on).
   */
  check(key: string, now: Date, message = TOO_MANY): void {
    const t = now.getTime();
    const recent = (this.hits.get(key) ?? []).filter((h) => h > t - this.windowMs);
    if (recent.length >= this.limit) {
      const retry = Math.max(1, Math.ceil((recent[0]! + this.windowMs - t) / 1000));
      throw saidIfDefault(new RateLimitedError(message, retry), message);
    }
  }

  /**
   * Counts one request for `key` at `now` that was let in by `check` and then acted on (so a
   * refused form is never counted); never throws, so what was done is answered.
   */
  count(key: string, now: Date): void {
    const t = now.getTime();
    this.remember(key, [...(this.hits.get(key) ?? []).filter((h) => h > t - this.windowMs), t]);
  }

  private remember(key: string, recent: number[]): void {
    this.hits.delete(key);
    if (this.hits.size >= this.maxKeys) {
      const oldest = this.hits.keys().next().value;
      if (oldest !== undefined) this.hits.delete(oldest);
    }
    this.hits.set(key, recent);
  }

  /** Counts one request for `key` at `now`; throws RateLimitedError past the limit. */
  hit(key: string, now: Date, message = TOO_MANY): void {
    const t = now.getTime();
    const recent = (this.hits.get(key) ?? []).filter((h) => h > t - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      const retry = Math.max(1, Math.ceil((recent[0]! + this.windowMs - t) / 1000));
      throw saidIfDefault(new RateLimitedError(message, retry), message);
    }
    recent.push(t);
    this.remember(key, recent);
  }
}
