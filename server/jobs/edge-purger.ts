import type { EdgePurger } from '../edge/purger.ts';
import type { Logger } from '../logger.ts';
import { conditionLog } from './condition-log.ts';

export interface EdgePurgeLoop {
  start(): void;
  stop(): Promise<void>;
}

export const EDGE_PURGE_INTERVAL_MS = 1000;

/**
 * Retries edge purges that an unreachable edge did not take (with backoff per purge), and sends
 * the ones whose writer died between commit and send. Every write queues its purge in its own
 * transaction, so none is lost; claims are leased, so several Herald processes can run this.
 */
export function createEdgePurgeLoop(
  purger: EdgePurger,
  log: Logger,
  opts: { intervalMs?: number } = {},
): EdgePurgeLoop {
  const interval = opts.intervalMs ?? EDGE_PURGE_INTERVAL_MS;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<unknown> | null = null;
  let stopped = false;
  const conditions = conditionLog(log, 'edge purges');
  const tick = () => {
    inFlight = purger
      .retryDue()
      .then(
        () => conditions.report('retry pass', null),
        (err: unknown) => conditions.report('retry pass', err),
      )
      .finally(() => {
        inFlight = null;
        if (!stopped) timer = setTimeout(tick, interval);
      });
  };
  return {
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight;
    },
  };
}
