import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { newId } from './ids.ts';

// Every write queues the purge of what it touched on the caching edge (shared/writes.ts); the
// queue's other reads and writes, for the purger, are in edge/edge-purge-store.ts.

/** Purges everything: every public body carries this key (see server/cache/cache-policy.ts). */
export const PURGE_ALL_KEYS = ['herald'];

/**
 * Queues a purge in the caller's transaction, so it commits with the write or not at all. While
 * an untouched purge of the same keys is already waiting, it covers this write too: a refresh
 * storm of writes against an unreachable edge leaves one row, not thousands. (The write holds
 * the write lock here, after the counter bump, so no purger can claim that row in between.)
 */
export async function queueEdgePurge(tx: DbOrTx, now: Date, keys: string[]): Promise<void> {
  const joined = [...new Set(keys)].sort().join(' ');
  await tx.run(sql`
    INSERT INTO edge_purges (id, keys, targets, state, attempts, next_attempt_at, created_at)
    SELECT ${newId()}, ${joined}, NULL, 'pending', 0, ${now.getTime()}, ${now.getTime()}
    WHERE NOT EXISTS (
      SELECT 1 FROM edge_purges
      WHERE state = 'pending' AND keys = ${joined} AND targets IS NULL
        AND claimed_until IS NULL AND attempts = 0)`);
}
