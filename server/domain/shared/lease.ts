import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';

// The leases of the delivery queues (outbox_messages, deliveries, webhook_deliveries): who holds
// a claimed row, and the condition every write of the holder names its rows by.

/**
 * A claim's lease: how long it holds without a heartbeat, and who holds it (a token per delivery
 * lane, server/delivery/lane.ts). The holder's heartbeat and outcomes change only the rows it still
 * holds (`heldBy`).
 */
export interface Lease {
  ms: number;
  owner: string;
}

/**
 * A queue's row still held by the lane `owner` (`sending` under its lease, not taken over by
 * another process after the lease ran out), for the writes that name their rows by id
 * (`id IN jsonList(...)`): the heartbeat and the outcomes. A lane that could not write for longer
 * than its lease (another process held the write lock) then changes nothing another lane has
 * claimed since: its late "refused for now" cannot put back a row that one is sending, nor its
 * late hand-back. The unary plus keeps SQLite from answering through the state index: without
 * statistics it walked every row in flight (up to a claim's 1,600) for each group of 250
 * outcomes, where the ids' own index finds just those.
 */
export const heldBy = (owner: string): SQL => sql`+state = 'sending' AND lease_owner = ${owner}`;

/**
 * A name for one lane's leases: random, so no two lanes (in one process or several) share one,
 * and short, since every claimed row carries it until its outcome is written.
 */
export const newLeaseOwner = (): string => randomBytes(9).toString('base64url');
