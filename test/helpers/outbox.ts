import {
  createOutboxWorker,
  type OutboxWorkerOptions,
} from '../../server/delivery/email-channel.ts';
import type { TestContext } from './deps.ts';

/** A worker driven by hand: no timers, fixed jitter. */
export function testWorker(t: TestContext, opts: OutboxWorkerOptions = {}) {
  const worker = createOutboxWorker(t.deps, { random: () => 0.5, ...opts });
  return {
    worker,
    /** Rounds until nothing is due now. */
    async drain() {
      let total = 0;
      for (let n = await worker.runOnce(); n > 0; n = await worker.runOnce()) total += n;
      return total;
    },
  };
}

/** The path of the first link in a text that starts with the public URL and `prefix`. */
export function linkPath(text: string, prefix: string): string {
  const m = text.match(new RegExp(`https://status\\.example\\.com(${prefix}[A-Za-z0-9_-]+)`));
  if (!m) throw new Error(`no ${prefix} link in:\n${text}`);
  return m[1]!;
}
