import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { edgePurgeStates } from './enums.ts';

/**
 * Purges owed to caching edges. Every write inserts one in its own transaction (so a purge is
 * never lost to a crash between commit and send); the write's request sends it before
 * answering, and the edge purger retries what an unreachable edge did not take. `targets`
 * lists the purge URLs still owed (null: every configured one). A target answering 4xx leaves
 * a `rejected` row behind, shown in the admin until a later purge to it succeeds.
 */
export const edgePurges = sqliteTable(
  'edge_purges',
  {
    id: text('id').primaryKey(),
    keys: text('keys').notNull(),
    targets: text('targets', { mode: 'json' }).$type<string[] | null>(),
    state: text('state', { enum: edgePurgeStates }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    claimedUntil: integer('claimed_until', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('edge_purges_state_idx').on(t.state, t.nextAttemptAt)],
);
