import { integer, sqliteTable } from 'drizzle-orm/sqlite-core';

/**
 * One row (id = 1) that `/healthz` rewrites to prove the database takes writes. `probes` grows
 * on every probe: SQLite skips rewriting a row whose bytes do not change, and such a "write"
 * commits nothing, so it would pass on a full disk.
 */
export const healthProbes = sqliteTable('health_probes', {
  id: integer('id').primaryKey(),
  probes: integer('probes').notNull().default(0),
  probedAt: integer('probed_at', { mode: 'timestamp_ms' }).notNull(),
});
