import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { importKinds } from './enums.ts';

/**
 * Which Herald row each object of another status page became. Written in the transaction that
 * creates the row, so an import stopped anywhere and run again skips what it already brought.
 */
export const importMappings = sqliteTable(
  'import_mappings',
  {
    /** The source page: `statuspage:<page id>`, `uptime-kuma:<host>/<slug>`, `cachet:<host>`. */
    source: text('source').notNull(),
    kind: text('kind', { enum: importKinds }).notNull(),
    sourceId: text('source_id').notNull(),
    heraldId: text('herald_id').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('import_mappings_source_idx').on(t.source, t.kind, t.sourceId)],
);
