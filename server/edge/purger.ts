import type { PurgeTarget } from '../config.ts';
import {
  claimEdgePurges,
  type ClaimedPurge,
  dropEdgePurges,
  edgePurgesDue,
  edgePurgesInFlight,
  type EdgeStatus,
  type PurgeOutcome,
  readEdgeStatus,
  recordEdgePurgeOutcomes,
} from '../domain/edge/edge-purge-store.ts';
import { PURGE_ALL_KEYS } from '../domain/shared/edge-purge-queue.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import type { Logger } from '../logger.ts';
import { purgeRequests, targetLabel } from './purge-request.ts';

export interface EdgePurger {
  /** True when EDGE_PURGE_URLS names at least one edge. */
  readonly enabled: boolean;
  /**
   * Sends the purges of writes that have committed, and waits for the edges (each bounded by
   * EDGE_PURGE_TIMEOUT_MS). Called after every write request and before it answers, so the
   * next request through the edge is fresh. Never throws: what an edge did not take stays
   * queued for `retryDue`.
   */
  settle(): Promise<void>;
  /**
   * Sends what is due: retries, purges of background writes (the scheduler), and purges whose
   * writer died between commit and send.
   */
  retryDue(): Promise<number>;
  status(): Promise<EdgeStatus>;
}

type Result = { ok: true } | { ok: false; permanent: boolean; error: string };

/** A purge still owed after this long means the edge is behind (the admin says so). */
export const BEHIND_AFTER_MS = 3000;
const LEASE_MS = 15_000;
const CLAIM_LIMIT = 500;

export function retryDelayMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.min(attempts, 10), 5 * 60_000);
}

export function createEdgePurger(
  deps: DomainDeps & { log: Logger },
  opts: { fetch?: typeof fetch } = {},
): EdgePurger {
  const { config, log } = deps;
  const targets = config.edgePurgeTargets;
  const doFetch = opts.fetch ?? fetch;
  const byUrl = new Map(targets.map((t) => [t.url, t]));

  async function send(target: PurgeTarget, keys: string[]): Promise<Result> {
    for (const r of purgeRequests(target, keys, config)) {
      let res: Response;
      try {
        res = await doFetch(r.url, {
          method: r.method,
          headers: r.headers,
          body: r.body,
          signal: AbortSignal.timeout(config.edgePurgeTimeoutMs),
        });
      } catch (err) {
        const why =
          err instanceof Error && err.name === 'TimeoutError'
            ? `no answer within ${config.edgePurgeTimeoutMs} ms`
            : String((err as { cause?: unknown })?.cause ?? err);
        return { ok: false, permanent: false, error: `${targetLabel(target)}: ${why}` };
      }
      const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
      if (res.status >= 400) {
        // 4xx: the edge refuses this purge (bad token, ACL, wrong service id). Retrying the same
        // request cannot help; an operator must fix the configuration. 5xx and 429 are passing.
        const permanent = res.status < 500 && res.status !== 429 && res.status !== 408;
        return {
          ok: false,
          permanent,
          error: `${targetLabel(target)} answered ${res.status}${text ? `: ${text}` : ''}`,
        };
      }
    }
    return { ok: true };
  }

  async function process(claimed: ClaimedPurge[]): Promise<number> {
    if (claimed.length === 0) return 0;
    const now = deps.clock.now();
    // One request per edge for the whole batch: the union of keys (purging everything covers
    // every narrower key).
    const owed = new Map<string, Set<string>>();
    for (const c of claimed) {
      for (const url of c.targets ?? targets.map((t) => t.url)) {
        if (!byUrl.has(url)) continue; // a target removed from the config since: nothing to do
        const keys = owed.get(url) ?? new Set<string>();
        for (const k of c.keys) keys.add(k);
        owed.set(url, keys);
      }
    }
    const results = new Map<string, Result>();
    await Promise.all(
      [...owed].map(async ([url, keySet]) => {
        const keys = [...keySet].some((k) => PURGE_ALL_KEYS.includes(k))
          ? PURGE_ALL_KEYS
          : [...keySet].sort();
        results.set(url, await send(byUrl.get(url)!, keys));
      }),
    );
    const outcomes: PurgeOutcome[] = claimed.map((c) => {
      const o: PurgeOutcome = {
        id: c.id,
        keys: c.keys,
        attempts: c.attempts,
        done: [],
        retry: [],
        retryAt: new Date(now.getTime() + retryDelayMs(c.attempts)),
        rejected: [],
        lastError: null,
      };
      for (const url of c.targets ?? targets.map((t) => t.url)) {
        const r = results.get(url);
        if (!r) continue;
        if (r.ok) o.done.push(url);
        else if (r.permanent) o.rejected.push({ target: url, error: r.error });
        else {
          o.retry.push(url);
          o.lastError = r.error;
        }
      }
      return o;
    });
    for (const [url, r] of results) {
      if (r.ok) continue;
      if (r.permanent)
        log.error(`Edge purge refused, not retried (fix the edge or EDGE_PURGE_URLS): ${r.error}`);
      else log.error(`Edge purge failed, queued for retry: ${r.error}`, { target: url });
    }
    await recordEdgePurgeOutcomes(deps.db, now, outcomes);
    return claimed.length;
  }

  async function settleOnce(): Promise<void> {
    try {
      await process(await claimEdgePurges(deps.db, deps.clock.now(), CLAIM_LIMIT, LEASE_MS));
      // This write's purge may have been claimed by another process's request a moment before:
      // wait for that send too (bounded like our own), so the answer still comes after it.
      const until = Date.now() + config.edgePurgeTimeoutMs + 250;
      while (Date.now() < until && (await edgePurgesInFlight(deps.db, deps.clock.now()))) {
        await new Promise((r) => setTimeout(r, 5));
      }
    } catch (err) {
      // The write has committed; its purge stays queued and the retry loop sends it.
      log.error('Edge purge could not be recorded; the retry loop will send it', {
        error: String(err),
      });
    }
  }

  // Concurrent writers share a pass, but only one that started after they asked: a pass that
  // was already claiming may have missed a purge that committed just after it began.
  let inFlight: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const run = (): Promise<void> => {
    const p = settleOnce().finally(() => {
      inFlight = null;
    });
    inFlight = p;
    return p;
  };

  return {
    enabled: targets.length > 0,
    settle() {
      if (targets.length === 0) return Promise.resolve();
      if (!inFlight) return run();
      next ??= inFlight.then(() => ((next = null), run()));
      return next;
    },
    async retryDue() {
      const now = deps.clock.now();
      // An idle pass is one read; only a queue with something due costs a write.
      if (!(await edgePurgesDue(deps.db, now))) return 0;
      if (targets.length === 0) {
        await dropEdgePurges(deps.db);
        return 0;
      }
      // Also sends what background writes (the scheduler) and writers that died queued.
      return process(await claimEdgePurges(deps.db, now, CLAIM_LIMIT, LEASE_MS));
    },
    status() {
      return readEdgeStatus(deps.db, deps.clock.now(), BEHIND_AFTER_MS);
    },
  };
}
